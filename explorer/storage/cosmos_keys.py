"""Cosmos DB document ids of bot state, in every dialect (stdlib only).

A partitioned bot store keeps ``{"id": <escaped key>, "realId": <key>,
"document": <state>}``. The ``id`` is derived from the key differently by each
SDK, and sometimes cannot be derived at all, so the key is always read from
``realId`` and an existing document keeps its ``id``. This module computes and
recognises ids; it never decides by ``id`` alone which key a document holds.

Dialects (``COSMOS_DIALECTS``):

- ``python`` (botbuilder-python, Agents SDK python): ``*`` + decimal code point
  for ``\\ ? / # TAB LF CR *``. Compatibility mode (off by default): an escaped
  key over 255 characters becomes its first 191 characters + its sha256 hex.
- ``js`` (botbuilder-js): ``*`` + lowercase hex (no padding: TAB is ``*9``) for
  the same characters; compatibility mode (on by default) truncates like
  python, counting UTF-16 code units.
- ``agents-js`` (Agents SDK js): the js escape; a long key becomes the bare
  64-hex sha256 of the escaped key; every document carries ``"eTag": ""``.
- ``dotnet``: ``*`` + two hex digits for ``\\ ? / # *`` only; documents carry
  ``PartitionKey``; a long key is cut + a process-local hash (before 4.23), so
  such ids cannot be recomputed (form ``opaque``).

A key without any escaped character has the same id in every dialect: such
ids say nothing about the dialect (``IdMatch.dialect`` is ``None``).
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

Dialect = Literal["python", "js", "agents-js", "dotnet"]
COSMOS_DIALECTS: tuple[Dialect, ...] = ("python", "js", "agents-js", "dotnet")
#: how an id was derived from its escaped key
IdForm = Literal["escaped", "truncated", "hashed", "opaque", "unknown"]
Truncation = Literal["none", "truncated", "hashed"]

MAX_ID_LENGTH = 255
_SHA_HEX = 64
_ESCAPED = "\\?/#\t\n\r*"
_DOTNET_ESCAPED = "\\?/#*"
_PY_TABLE = {ord(c): f"*{ord(c)}" for c in _ESCAPED}
_JS_TABLE = {ord(c): f"*{ord(c):x}" for c in _ESCAPED}
_DOTNET_TABLE = {ord(c): f"*{ord(c):02x}" for c in _DOTNET_ESCAPED}
_HEX = frozenset("0123456789abcdef")
_CONTROL_TABLE = {ord(c): f"*{ord(c):x}" for c in "\t\n\r"}
_PY_SPACE = "*32"
_JS_SPACE = "*20"
_ILLEGAL_IN_ID = frozenset(_ESCAPED)
#: compatibility mode each SDK uses unless configured otherwise
DEFAULT_TRUNCATION: dict[Dialect, Truncation] = {
    "python": "none",
    "js": "truncated",
    "agents-js": "hashed",
    "dotnet": "truncated",
}


def _replacer(table: dict[int, str]) -> tuple[tuple[str, str], ...]:
    # "*" first: the later replacements insert "*", which must stay as it is
    pairs = sorted(((chr(c), code) for c, code in table.items()), key=lambda p: p[0] != "*")
    return tuple(pairs)


_PY_PAIRS = _replacer(_PY_TABLE)
_JS_PAIRS = _replacer(_JS_TABLE)
_DOTNET_PAIRS = _replacer(_DOTNET_TABLE)


def escape(key: str, dialect: Dialect) -> str:
    """The escaped key (no suffix, no truncation)."""
    pairs = (
        _PY_PAIRS if dialect == "python" else _DOTNET_PAIRS if dialect == "dotnet" else _JS_PAIRS
    )
    for char, code in pairs:  # str.replace per character: much faster than str.translate
        if char in key:
            key = key.replace(char, code)
    return key


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def _utf16_len(text: str) -> int:
    return len(text) + sum(1 for c in text if ord(c) > 0xFFFF)


def _utf16_prefix(text: str, units: int) -> str:
    return text.encode("utf-16-le", "surrogatepass")[: units * 2].decode(
        "utf-16-le", "surrogatepass"
    )


def _too_long(escaped: str, dialect: Dialect) -> bool:
    length = len(escaped) if dialect == "python" else _utf16_len(escaped)
    return length > MAX_ID_LENGTH


def truncate(escaped: str, dialect: Dialect) -> str:
    """botbuilder's compatibility-mode id: 191 characters + sha256 hex when too long."""
    if not _too_long(escaped, dialect):
        return escaped
    keep = MAX_ID_LENGTH - _SHA_HEX
    head = escaped[:keep] if dialect == "python" else _utf16_prefix(escaped, keep)
    return head + _sha256(escaped)


def compute_id(
    key: str, dialect: Dialect, *, truncation: Truncation | None = None, suffix: str = ""
) -> str:
    """The id a bot of ``dialect`` gives a new document for ``key``.

    ``truncation`` defaults to the SDK's own default. A .NET long id cannot be
    reproduced; the full escaped key is returned for it (Cosmos DB accepts ids
    up to 1,023 bytes).
    """
    escaped = _storable(escape(key, dialect) + suffix, dialect)
    mode = DEFAULT_TRUNCATION[dialect] if truncation is None else truncation
    if mode == "none" or dialect == "dotnet" or not _too_long(escaped, dialect):
        return escaped
    if mode == "hashed":
        return _sha256(escaped)
    return truncate(escaped, dialect)


def _storable(escaped: str, dialect: Dialect) -> str:
    """``escaped`` made into a valid Cosmos DB id where the SDKs would fail.

    No SDK can store a key whose id ends in a space, nor a .NET id holding
    TAB/LF/CR (Cosmos DB refuses both), so no bot wrote such an id: the
    offending characters get the dialect's own escape (js hex for .NET).
    """
    if dialect == "dotnet" and not _ILLEGAL_IN_ID.isdisjoint(escaped):
        escaped = escaped.translate(_CONTROL_TABLE)
    if escaped.endswith(" "):
        code = _PY_SPACE if dialect == "python" else _JS_SPACE
        stripped = escaped.rstrip(" ")
        escaped = stripped + code * (len(escaped) - len(stripped))
    return escaped


def is_certain(key: str, dialect: Dialect, suffix: str = "") -> bool:
    """True when ``compute_id`` gives the only id any bot of ``dialect`` can use.

    False for keys whose escaped form is too long: they may be stored truncated,
    hashed or in full depending on the compatibility mode of the writer.
    """
    return not _too_long(escape(key, dialect) + suffix, dialect)


@dataclass(frozen=True, slots=True)
class IdMatch:
    """What an id says about its writer. ``dialect`` is ``None`` when it cannot tell."""

    dialect: Dialect | None
    form: IdForm
    suffix: str = ""


_UNKNOWN = IdMatch(None, "unknown")


def _is_dotnet_cut(doc_id: str, escaped: str) -> bool:
    if len(doc_id) != MAX_ID_LENGTH or len(escaped) <= MAX_ID_LENGTH:
        return False
    for digits in range(1, 9):
        head, tail = doc_id[:-digits], doc_id[-digits:]
        if set(tail) <= _HEX and escaped.startswith(head):
            return True
    return False


def _suffix_of(doc_id: str, escaped: str) -> str | None:
    if len(doc_id) > len(escaped) and doc_id.startswith(escaped):
        rest = doc_id[len(escaped) :]
        if not _ILLEGAL_IN_ID.intersection(rest):
            return rest
    return None


def classify(
    doc_id: str, real_id: str, *, has_etag: bool = False, has_partition_key: bool = False
) -> IdMatch:
    """Which dialect and form produced ``doc_id`` from ``real_id``.

    ``has_etag`` / ``has_partition_key``: the document has a top-level ``eTag``
    (Agents SDK js) / ``PartitionKey`` (.NET) member; they decide between
    dialects whose escapes agree.
    """
    order: tuple[Dialect, ...]
    if has_partition_key:
        order = ("dotnet", "js", "python")
    elif has_etag:
        order = ("agents-js", "python", "dotnet")
    else:
        order = ("python", "js", "dotnet")
    hinted: Dialect | None = order[0] if (has_etag or has_partition_key) else None
    if doc_id == real_id:  # nothing escaped, nothing truncated
        return IdMatch(hinted, "escaped")
    for dialect in order:
        escaped = escape(real_id, dialect)
        if doc_id != escaped and doc_id == _storable(escaped, dialect):
            escaped = doc_id  # an id made storable by this project
        if doc_id == escaped:
            if escaped == real_id:
                return IdMatch(hinted, "escaped")
            # js and .NET agree unless TAB/LF/CR occur; python's escape is distinct
            return IdMatch(_name(dialect, hinted, real_id), "escaped")
        if (
            len(doc_id) == _SHA_HEX
            and dialect in ("js", "agents-js")
            and doc_id == _sha256(escaped)
        ):
            return IdMatch("agents-js", "hashed")
        if dialect in ("python", "js", "agents-js") and doc_id == truncate(escaped, dialect):
            return IdMatch("js" if dialect == "agents-js" else dialect, "truncated")
        if dialect in ("dotnet", "js") and _is_dotnet_cut(doc_id, escape(real_id, "dotnet")):
            return IdMatch("dotnet", "opaque")
        suffix = _suffix_of(doc_id, escaped)
        if suffix is not None:
            return IdMatch(_name(dialect, hinted, real_id), "escaped", suffix)
    return _UNKNOWN


def _name(dialect: Dialect, hinted: Dialect | None, real_id: str) -> Dialect:
    if hinted is not None:
        return hinted
    if dialect in ("js", "dotnet") and not set("\t\n\r").intersection(real_id):
        return "js"  # indistinguishable; .NET documents carry PartitionKey
    return dialect


@dataclass(frozen=True, slots=True)
class ContainerDialect:
    """The dialect a container's documents use, detected from a sample.

    ``dialect`` is ``None`` when the sample was empty or said nothing.
    ``mixed``: the sample held ids of more than one dialect (or suffix), so ids
    are never recomputed to find a key. ``modes_mixed``: long keys are stored
    both truncated/hashed and in full (bots in both compatibility modes), so a
    long key may be held by two documents; long keys are always found by query
    anyway. ``truncation`` is what long ids of this container look like.
    """

    dialect: Dialect | None = None
    truncation: Truncation | None = None
    suffix: str = ""
    mixed: bool = False
    modes_mixed: bool = False
    sampled: int = 0

    @property
    def known(self) -> bool:
        return self.dialect is not None and not self.mixed

    def id_for(self, key: str, default: Dialect = "python") -> str:
        """The id a new document for ``key`` gets in this container."""
        dialect = self.dialect or default
        return compute_id(key, dialect, truncation=self.truncation, suffix=self.suffix)

    def certain_id(self, key: str) -> str | None:
        """The only id ``key`` can have here, or ``None`` when a query must decide.

        ``None`` for a mixed or unknown container, and for keys whose escaped
        form is too long (stored truncated, hashed or in full depending on the
        writer's compatibility mode).
        """
        dialect = self.dialect
        if dialect is None or self.mixed:
            return None
        escaped = _storable(escape(key, dialect) + self.suffix, dialect)
        if len(escaped) > MAX_ID_LENGTH // 2 and _too_long(escaped, dialect):
            return None
        return escaped


def detect(samples: Iterable[tuple[str, str, bool, bool]]) -> ContainerDialect:
    """Detect a container's dialect from ``(id, realId, has_etag, has_partition_key)``."""
    dialects: Counter[Dialect] = Counter()
    forms: Counter[IdForm] = Counter()
    suffixes: Counter[str] = Counter()
    long_full = 0
    count = 0
    for doc_id, real_id, has_etag, has_pk in samples:
        count += 1
        match = classify(doc_id, real_id, has_etag=has_etag, has_partition_key=has_pk)
        if match.dialect is not None:
            dialects[match.dialect] += 1
            suffixes[match.suffix] += 1
        forms[match.form] += 1
        if match.form == "escaped" and len(doc_id) > MAX_ID_LENGTH:
            long_full += 1
    if not dialects:
        return ContainerDialect(sampled=count)
    shortened = forms["truncated"] + forms["opaque"] + forms["hashed"]
    truncation: Truncation | None = None
    if forms["hashed"]:
        truncation = "hashed"
    elif shortened:
        truncation = "truncated"
    elif long_full:
        truncation = "none"
    return ContainerDialect(
        dialect=dialects.most_common(1)[0][0],
        truncation=truncation,
        suffix=suffixes.most_common(1)[0][0],
        mixed=len(dialects) > 1 or len(suffixes) > 1,
        modes_mixed=bool(long_full and shortened),
        sampled=count,
    )

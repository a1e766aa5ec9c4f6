"""How each bot SDK names and writes state blobs: the blob dialects, as data.

Dialects (see ``/work/shared/formats.md``):

=============== ============================================ ================= ==============
dialect         blob name for key ``k``                      body              content type
=============== ============================================ ================= ==============
python          ``k`` with ``\\`` -> ``/`` (virtual folders)   jsonpickle-shaped octet-stream
agents-python   as python                                    ``json.dumps``    octet-stream
js              ``encodeURIComponent(k)``, empty segments    compact JSON      application/json
                dropped, cut at 1,024 chars (``%2F``)
agents-js       ``%2F`` + the js name (leading slash kept)   compact JSON      application/json
dotnet          ``HttpUtility.UrlEncode(k)``: lowercase      minified          application/json
                ``%2f``, ``+`` for a space                   Newtonsoft
=============== ============================================ ================= ==============

Invariants and losses:

- A python name cannot say whether the key held ``\\`` or ``/``: the listed key
  of ``a\\b`` is ``a/b``. Reading ``a\\b`` still finds it (the name is
  computed from the key); only the listing shows ``/``.
- js / agents-js names drop empty segments (a js bot's trailing ``/`` is not in
  the name): the listed key is the decoded name, so ``msteams/users/u1/``
  lists as ``msteams/users/u1``. Both map to the same blob.
- A js name cut at 1,024 characters cannot give back the full key; a cut
  through a ``%xx`` escape makes the name undecodable (an ``Entry`` error).
- python and agents-python bodies look the same unless the body carries a
  ``py/*`` tag or an ``e_tag`` member (then it is python); an untagged body takes
  the container's python-family hint.

Only the standard library is used here (no Azure SDK), so this module is safe
to import anywhere; ``explorer.storage.blob`` does the I/O.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote_to_bytes

from explorer.core.errors import InvalidKeyError
from explorer.core.items import STORAGE_MEMBERS
from explorer.storage.json_style import Default, JsonStyle, detect_style, rewrite

MAX_NAME = 1024
_ALNUM = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"


def _table(safe: bytes, upper: bool, plus_for_space: bool) -> list[str]:
    table = [f"%{b:02X}" if upper else f"%{b:02x}" for b in range(256)]
    for b in _ALNUM + safe:
        table[b] = chr(b)
    if plus_for_space:
        table[0x20] = "+"
    return table


_URI_COMPONENT = _table(b"-_.!~*'()", upper=True, plus_for_space=False)
_URL_ENCODE = _table(b"-_.!*()", upper=False, plus_for_space=True)
_BAD_ESCAPE = re.compile(r"%(?![0-9A-Fa-f]{2})")
_ESCAPES = re.compile(r"%([0-9A-Fa-f]{2})")


def _utf8(key: str) -> bytes:
    try:
        return key.encode("utf-8")
    except UnicodeEncodeError:
        raise InvalidKeyError(
            f"{key!r} holds a lone surrogate, which no bot SDK can put in a blob name; "
            "use a different key",
            key=key,
        ) from None


def encode_uri_component(text: str) -> str:
    """JavaScript's ``encodeURIComponent`` (uppercase hex, keeps ``-_.!~*'()``)."""
    return "".join([_URI_COMPONENT[b] for b in _utf8(text)])


def url_encode(text: str) -> str:
    """.NET's ``HttpUtility.UrlEncode`` (lowercase hex, ``+`` for space, keeps ``-_.!*()``)."""
    return "".join([_URL_ENCODE[b] for b in _utf8(text)])


def strict_unquote(name: str) -> str:
    """Undo ``%xx`` escapes; raises ``ValueError`` on a bad escape or non-UTF-8 bytes."""
    if "%" not in name:
        return name
    if _BAD_ESCAPE.search(name):
        raise ValueError("a '%' that does not start a %xx escape")
    try:
        return unquote_to_bytes(name).decode("utf-8")
    except UnicodeDecodeError:
        raise ValueError("%xx escapes that are not UTF-8") from None


def _check_name(key: str, name: str) -> str:
    if not name:
        raise InvalidKeyError(f"{key!r} gives an empty blob name; use a non-empty key", key=key)
    if len(name) > MAX_NAME:
        raise InvalidKeyError(
            f"{key!r} gives a blob name of {len(name):,} characters; Azure allows "
            f"{MAX_NAME:,}. Use a shorter key",
            key=key,
        )
    return name


# -- names per dialect ---------------------------------------------------------


def _python_name(key: str) -> str:
    return _check_name(key, key.replace("\\", "/"))


def _js_joined(key: str) -> str:
    # botbuilder-js sanitizeBlobKey: reduce() without a seed over split('/'):
    # empty segments vanish, a leading '/' survives, segments past 254 lose their '/'
    parts = key.split("/")
    joined = parts[0]
    for index, part in enumerate(parts[1:], start=1):
        if part:
            joined = f"{joined}{'/' if index < 255 else ''}{part}"
    return joined


def _js_name(key: str) -> str:
    return _check_name(key, encode_uri_component(_js_joined(key))[:MAX_NAME])


def _agents_js_name(key: str) -> str:
    joined = "".join(f"/{part}" for part in key.split("/") if part)[:MAX_NAME]
    return _check_name(key, encode_uri_component(joined)[:MAX_NAME])


def _dotnet_name(key: str) -> str:
    return _check_name(key, url_encode(key))


def _agents_js_key(name: str) -> str:
    return strict_unquote(name[3:] if name.startswith("%2F") else name)


def _dotnet_key(name: str) -> str:
    return strict_unquote(name.replace("+", " "))


@dataclass(frozen=True, slots=True)
class BlobDialect:
    """One SDK's blob form. ``name_of(key)`` raises ``InvalidKeyError``."""

    name: str
    label: str
    content_type: str
    style: JsonStyle
    #: names hold real ``/`` (virtual folders: server-side hierarchical listing)
    hierarchical: bool
    #: the body carries an ``e_tag`` member that write-back updates (botbuilder-python)
    body_etag: bool
    name_of: Callable[[str], str] = field(repr=False)
    #: blob name -> key; raises ``ValueError`` for a name this dialect cannot have written
    key_of: Callable[[str], str] = field(repr=False)
    #: key prefix -> the prefix of the names of keys that start with it
    name_prefix_of: Callable[[str], str] = field(repr=False)
    #: what a key's ``/`` is in a name: the delimiter a listing walks one level by
    separator: str = "/"


_PY_STYLE = JsonStyle(", ", ": ", ensure_ascii=True)
_COMPACT = JsonStyle(",", ":", ensure_ascii=False)
OCTET_STREAM = "application/octet-stream"
JSON = "application/json"

PYTHON = BlobDialect(
    "python", "botbuilder-python", OCTET_STREAM, _PY_STYLE, True, True,
    _python_name, str, lambda p: p.replace("\\", "/"),
)  # fmt: skip
AGENTS_PYTHON = BlobDialect(
    "agents-python", "Agents SDK (python)", OCTET_STREAM, _PY_STYLE, True, False,
    _python_name, str, lambda p: p.replace("\\", "/"),
)  # fmt: skip
JS = BlobDialect(
    "js", "botbuilder-js", JSON, _COMPACT, False, False,
    _js_name, strict_unquote, encode_uri_component, "%2F",
)  # fmt: skip
AGENTS_JS = BlobDialect(
    "agents-js", "Agents SDK (js)", JSON, _COMPACT, False, False,
    _agents_js_name, _agents_js_key, lambda p: "%2F" + encode_uri_component(p.lstrip("/")),
    "%2F",
)  # fmt: skip
DOTNET = BlobDialect(
    "dotnet", "botbuilder-dotnet", JSON, _COMPACT, False, False,
    _dotnet_name, _dotnet_key, url_encode, "%2f",
)  # fmt: skip

#: every dialect, in the order names are tried for a key after the main one
ALL = (PYTHON, AGENTS_PYTHON, JS, AGENTS_JS, DOTNET)
DIALECTS: dict[str, BlobDialect] = {d.name: d for d in ALL}
PYTHON_FAMILY = frozenset({"python", "agents-python"})


def dialect(name: str) -> BlobDialect:
    """The dialect called ``name``; ``ValueError`` lists the known ones otherwise."""
    try:
        return DIALECTS[name]
    except KeyError:
        raise ValueError(
            f"unknown blob dialect {name!r}; use one of {', '.join(DIALECTS)}"
        ) from None


# -- detection -----------------------------------------------------------------


def _media_type(content_type: str | None) -> str:
    return (content_type or "").split(";", 1)[0].strip().lower()


def guess(
    name: str, content_type: str | None, *, python_hint: str = "python", json_hint: str = "js"
) -> tuple[BlobDialect, bool]:
    """The dialect a blob's name and content type show, and whether the name proves it.

    A real ``/`` or an octet-stream body means the python family (which of the
    two comes from the body or ``python_hint``). Otherwise the escapes decide:
    a leading ``%2F`` is agents-js, lowercase hex or ``+`` is .NET, uppercase hex
    or a raw ``~``/``'`` is js; a name with none of them takes ``json_hint``.
    """
    media = _media_type(content_type)
    if "/" in name or media in ("", OCTET_STREAM):
        return DIALECTS[python_hint], False
    if name.startswith("%2F"):
        return AGENTS_JS, True
    escapes = _ESCAPES.findall(name)
    if "+" in name or any(e != e.upper() for e in escapes):
        return DOTNET, True
    if "~" in name or "'" in name or any(e != e.lower() for e in escapes):
        return JS, True
    return DIALECTS[json_hint], False


def refine(found: BlobDialect, certain: bool, body: bytes, *, python_hint: str) -> BlobDialect:
    """Correct a name-based guess with what the body shows (tags, ``e_tag``, ``$type``)."""
    if found.name in PYTHON_FAMILY:
        if b'"e_tag"' in body or b'"py/' in body:
            return PYTHON
        return DIALECTS[python_hint]
    if not certain and body[:64].lstrip().startswith(b'{"$type"'):
        return DOTNET
    return found


def is_tagged_python(body: bytes) -> bool:
    """A body only botbuilder-python writes (``py/*`` tags or a stale ``e_tag``)."""
    return b'"e_tag"' in body or b'"py/' in body


def vote(
    guesses: Sequence[tuple[BlobDialect, bool]],
    bodies: Sequence[tuple[BlobDialect, bytes]],
    *,
    python_default: str,
    json_default: str,
    fallback: BlobDialect,
) -> tuple[BlobDialect, str, str]:
    """A container's main dialect and tie-breakers from a sample of its listing.

    ``guesses``: ``guess()`` of each sampled name; ``bodies``: the first bytes of
    a few blobs whose name did not prove their dialect. Returns
    ``(main, python_hint, json_hint)``: the python-family body style the sample
    shows (tagged -> python, untagged -> agents-python), whether unproven json
    names are .NET (``$type`` bodies, or more proven .NET names than js) or js,
    and the most common dialect (``fallback`` for an empty sample).
    """
    python_hint = python_default
    python_bodies = [body for found, body in bodies if found.hierarchical]
    if python_bodies:
        tagged = any(is_tagged_python(body) for body in python_bodies)
        python_hint = "python" if tagged else "agents-python"
    proven = Counter(found.name for found, certain in guesses if certain)
    json_bodies = [body for found, body in bodies if not found.hierarchical]
    typed = sum(body[:64].lstrip().startswith(b'{"$type"') for body in json_bodies)
    if proven["dotnet"] > proven["js"] or (json_bodies and typed * 2 > len(json_bodies)):
        json_hint = "dotnet"
    elif proven["js"] or json_bodies:
        json_hint = "js"
    else:
        json_hint = json_default
    totals: Counter[str] = Counter()
    for found, certain in guesses:
        if certain:
            totals[found.name] += 1
        else:
            totals[python_hint if found.hierarchical else json_hint] += 1
    main = DIALECTS[totals.most_common(1)[0][0]] if totals else fallback
    return main, python_hint, json_hint


def key_of(name: str, found: BlobDialect) -> str:
    """The key stored under ``name``; ``ValueError`` says why a name cannot be decoded."""
    return found.key_of(name)


# -- bodies --------------------------------------------------------------------

_BOM = b"\xef\xbb\xbf"


def encode_body(
    document: Mapping[str, Any],
    found: BlobDialect,
    *,
    like_body: bytes | None = None,
    like_etag: str | None = None,
    default: Default = None,
) -> bytes:
    """The body that stores ``document`` (storage members ignored) in ``found``'s style.

    With ``like_body`` (the stored body being replaced) the result is that body
    with only the changed properties rewritten: same separators, escapes, key
    order, tags, byte order mark. Storage members found in it stay where they
    are; in the python dialect a stale ``e_tag`` member becomes ``like_etag``
    (the etag of the blob being replaced), which is what botbuilder-python
    itself writes: the etag it read before writing. A body without ``e_tag``
    never gains one (Agents SDK python bodies must not have it). A ``like_body``
    that is not a JSON object is ignored: the document is written fresh.

    Raises ``ValueError``/``TypeError`` for values JSON cannot store.
    """
    state = {k: v for k, v in document.items() if k not in STORAGE_MEMBERS}
    if like_body is not None:
        bom = _BOM if like_body.startswith(_BOM) else b""
        try:
            text = like_body[len(bom) :].decode("utf-8")
            original = json.loads(text)
        except (UnicodeDecodeError, ValueError, RecursionError):
            original = None
        if isinstance(original, dict):
            target: dict[str, Any] = dict(state)
            for member in STORAGE_MEMBERS:
                if member in original:
                    keep = original[member]
                    update = member == "e_tag" and found.body_etag and like_etag
                    target[member] = like_etag if update else keep
            style = detect_style(text, found.style)
            return bom + rewrite(text, target, style, default).encode("utf-8")
    return found.style.dumps(state, default).encode("utf-8")

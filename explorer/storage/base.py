"""The storage protocol and a base class that backends build on.

The document trio has botbuilder semantics:

- ``read_documents(keys)``: missing keys are absent from the result; every
  returned document is a fresh copy carrying ``"e_tag"`` = the item's current etag.
- ``write_documents(changes)``: empty is a no-op. A value whose ``e_tag`` or
  ``eTag`` is present, non-empty and not ``"*"`` is written only if it equals
  the stored etag (a missing item never matches), else ``ETagConflictError``
  naming the key and that key is left untouched. Without an etag, last write
  wins. The storage-level members ``e_tag`` / ``eTag`` are never stored in the
  document.
- ``delete(keys)``: missing keys are a no-op.

``read`` / ``write`` are the same calls as botbuilder-python's ``Storage``
sees them (``bot_objects.BotFacing``): they add botbuilder's argument checks
and, for a store opened with ``objects=True`` (a botbuilder-python bot),
store its objects as botbuilder does and rebuild allow-listed ones on read.

The explorer adds listing (``iter_entries`` / ``iter_keys``, paged underneath
and safe to stop early), raw access that keeps the stored form (``read_raw``,
``write_raw``, ``delete_raw``) and the per-backend codec (``decode`` /
``encode``) that turns a stored body into a document and back while keeping the
item's own style. Optional abilities are declared in ``capabilities``.

Read-only is enforced here: every mutating call on a read-only store raises
``ReadOnlyError`` before any I/O.
"""

from __future__ import annotations

import json
from abc import abstractmethod
from collections.abc import AsyncIterator, Iterable, Mapping, Sequence
from datetime import date, datetime, time
from enum import Enum, StrEnum
from types import TracebackType
from typing import Any, Protocol, Self

from explorer.core.errors import DecodeError, ETagConflictError, ReadOnlyError, StorageError
from explorer.core.items import STORAGE_MEMBERS, Entry, JsonObject, RawItem
from explorer.storage.bot_objects import BotFacing, BotObjects
from explorer.storage.json_style import JsonStyle, detect_style, rewrite

#: Bodies above this size are refused by ``decode`` with a clear error.
MAX_DOCUMENT_BYTES = 32 * 1024 * 1024


class Capability(StrEnum):
    """Optional abilities a backend declares (never found by ``isinstance``)."""

    #: lists the children of a ``/``-delimited prefix without a full scan
    HIERARCHY = "hierarchy"
    #: operations cost request units, recorded in ``last_request_charge``
    REQUEST_CHARGE = "request_charge"
    #: safe to share one store between several processes
    MULTI_PROCESS = "multi_process"
    #: stored data survives closing the store
    PERSISTENT = "persistent"
    #: writes many raw items in one transaction (``write_raw_many``)
    BULK_WRITE = "bulk_write"
    #: ``paging.ListingPages``: forward pages resumed by an opaque cursor
    LISTING_PAGES = "listing_pages"
    #: ``paging.KeyPages``: pages in key order from any key, in both directions
    KEY_PAGES = "key_pages"
    #: ``paging.Positions``: rows of a prefix by number
    POSITIONS = "positions"
    #: ``paging.Counting``: counts exact where cheap, else marked
    COUNT = "count"
    #: ``count("")`` is answered from what the store reports of itself (Cosmos DB's
    #: quota info), not by reading its keys or index
    REPORTED_TOTAL = "reported_total"
    #: ``paging.RequestBudget``: RU spent in the session and an RU/s cap on scans
    RU_BUDGET = "ru_budget"
    #: reads one item by its stored name in one request (``read_document``)
    READ_BY_NAME = "read_by_name"
    #: counts items per channel and kind on the server (``aggregate_counts``)
    AGGREGATE_COUNTS = "aggregate_counts"
    #: scans sizes, times and chosen bodies in one pass (``scan_rows``)
    SCAN_ROWS = "scan_rows"


class Storage(Protocol):
    """What every backend offers. Stores are async context managers."""

    url: str
    read_only: bool
    capabilities: frozenset[Capability]

    @property
    def warnings(self) -> tuple[str, ...]:
        """What the user must know about this store (TLS off, scans, legacy layout)."""
        ...

    @property
    def transport_scheme(self) -> str:
        """``https``, ``http`` (no TLS: a local emulator) or ``local`` (no network)."""
        ...

    @property
    def location(self) -> str | None:
        """The account the store lives in (an endpoint URL), where it tells one."""
        ...

    #: what opening the store created, if it was asked to create what was missing
    created: str | None
    #: why the store is read-only when that was not the caller's choice (a read-only SAS)
    read_only_reason: str | None

    async def __aenter__(self) -> Self: ...

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...

    async def read(self, keys: Sequence[str]) -> dict[str, JsonObject]: ...

    async def write(self, changes: Mapping[str, Mapping[str, Any]]) -> None: ...

    async def read_documents(self, keys: Sequence[str]) -> dict[str, JsonObject]: ...

    async def write_documents(self, changes: Mapping[str, Mapping[str, Any]]) -> None: ...

    async def delete(self, keys: Sequence[str]) -> None: ...

    def iter_keys(self, prefix: str = "") -> AsyncIterator[str]: ...

    def iter_entries(self, prefix: str = "") -> AsyncIterator[Entry]: ...

    async def read_raw(self, keys: Sequence[str]) -> dict[str, RawItem]: ...

    async def write_raw(
        self, item: RawItem, *, if_match: str | None = None, create: bool = False
    ) -> RawItem: ...

    async def delete_raw(self, key: str, *, if_match: str | None = None) -> None: ...

    def decode(self, item: RawItem) -> JsonObject: ...

    def encode(
        self, key: str, document: Mapping[str, Any], *, like: RawItem | None = None
    ) -> RawItem: ...


def public_attributes(value: object) -> Any:
    """``json.dumps(default=...)`` hook: how a non-JSON value in a document is stored.

    botbuilder-python bots put plain objects in state (its own storages pickle
    them). Without object mode an object is stored as its attributes
    (``__dict__`` or ``__slots__``), so it reads back as a plain dict; it is
    never pickled and never rebuilt as its class (object mode: ``bot_objects``).
    An object with private (``_x``) attributes is refused rather than stored
    without them. ``datetime`` / ``date`` / ``time`` become ISO 8601 text, enums
    their value, sets and tuples lists. Anything else raises ``TypeError``
    (``encode`` turns it into a ``StorageError`` naming the key).
    """
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, set | frozenset | tuple):
        return list(value)
    members: dict[str, Any] | None = getattr(value, "__dict__", None)
    if members is None:
        slots = [s for cls in type(value).__mro__ for s in getattr(cls, "__slots__", ())]
        if not slots:
            raise TypeError(f"a {type(value).__name__} is not JSON and has no attributes")
        members = {s: getattr(value, s) for s in slots if hasattr(value, s)}
    hidden = sorted(k for k in members if k.startswith("_") and not k.startswith("__"))
    if hidden:
        # Dropping them would lose state silently (botbuilder's DialogState keeps
        # its whole stack in ``_dialog_stack``); storing them tagged is object mode's job.
        raise TypeError(
            f"a {type(value).__module__}.{type(value).__qualname__} keeps state in "
            f"private attributes ({', '.join(hidden[:3])}) that plain JSON cannot carry; "
            "a botbuilder-python bot opens its storage with objects=True to store its "
            "objects as botbuilder does"
        )
    return dict(members)


def as_document(value: object) -> Mapping[str, Any]:
    """A written value as a mapping: a mapping as it is, an object as its public attributes."""
    if type(value) is dict or isinstance(value, Mapping):  # the first test is the fast path
        return value
    document = public_attributes(value)
    if not isinstance(document, dict):
        raise TypeError(f"a {type(value).__name__} cannot be stored as a state document")
    return document


# One encoder each, built once: json.dumps with options builds a new encoder per call.
_JSON = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), default=public_attributes)
_ASCII_JSON = json.JSONEncoder(separators=(",", ":"), default=public_attributes)


def dump_json(key: str, document: Mapping[str, Any]) -> bytes:
    """Compact UTF-8 JSON for ``document``; non-JSON values go through ``public_attributes``.

    Text holding lone surrogates (valid in JSON as ``\\ud800`` escapes, not in
    UTF-8) is written with ASCII escapes instead, so it still round-trips.
    """
    try:
        text = _JSON.encode(document)
    except (TypeError, ValueError, RecursionError) as exc:
        raise StorageError(
            f"cannot store {key!r}: {exc}; keep state to JSON values and plain objects",
            key=key,
        ) from None
    try:
        return text.encode()
    except UnicodeEncodeError:
        return _ASCII_JSON.encode(document).encode()


def restyle(key: str, old_body: bytes, document: Mapping[str, Any]) -> bytes:
    """``document`` written in the style of ``old_body``: only changed members differ.

    Keeps separators, escapes, member order and a leading BOM of a JSON object
    body (a python bot's ``", "``, a js bot's compact text); falls back to
    compact JSON when the old body is not a JSON object.
    """
    bom = b"\xef\xbb\xbf" if old_body.startswith(b"\xef\xbb\xbf") else b""
    try:
        text = old_body[len(bom) :].decode("utf-8")
        if not text.lstrip().startswith("{"):
            raise ValueError("not an object")
        style = detect_style(text, JsonStyle())
        return bom + rewrite(text, document, style, public_attributes).encode("utf-8")
    except (UnicodeError, ValueError, IndexError, RecursionError):
        return dump_json(key, document)


def etag_conflict(keys: Sequence[str]) -> ETagConflictError:
    """The error for a batch write in which ``keys`` (at least one) conflicted."""
    if len(keys) == 1:
        return ETagConflictError(keys[0])
    return ETagConflictError(
        keys[0],
        f"{len(keys)} items changed since they were read "
        f"({', '.join(map(repr, keys[:5]))}); the others were written. "
        "Reload them and apply your change again",
    )


def requested_etag(value: Mapping[str, Any]) -> str | None:
    """The etag a write asks to match, or ``None`` for last-write-wins."""
    for member in ("e_tag", "eTag"):
        etag = value.get(member)
        if isinstance(etag, str) and etag and etag != "*":
            return etag
    return None


def strip_storage_members(value: Mapping[str, Any]) -> JsonObject:
    """A shallow copy of ``value`` without ``e_tag`` / ``eTag``."""
    return {k: v for k, v in value.items() if k not in STORAGE_MEMBERS}


def decode_json_object(item: RawItem) -> JsonObject:
    """Parse a body as a JSON object, with a clear per-item error otherwise.

    Never constructs objects from type tags: ``py/object`` and ``$type`` stay
    plain members.
    """
    if len(item.body) > MAX_DOCUMENT_BYTES:
        raise DecodeError(
            f"{item.key!r} is {len(item.body):,} bytes, above the "
            f"{MAX_DOCUMENT_BYTES:,}-byte limit; export it to inspect it",
            key=item.key,
        )
    if not item.body or item.body.isspace():
        raise DecodeError(f"{item.key!r} has an empty body; it holds no state", key=item.key)
    try:
        text = item.body.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DecodeError(
            f"{item.key!r} is not UTF-8 text (byte {exc.start}); it was not written by a bot",
            key=item.key,
        ) from None
    try:
        value = json.loads(text)
    except (json.JSONDecodeError, RecursionError) as exc:
        detail = (
            f"line {exc.lineno} column {exc.colno}"
            if isinstance(exc, json.JSONDecodeError)
            else "nested too deeply"
        )
        raise DecodeError(f"{item.key!r} is not valid JSON ({detail})", key=item.key) from None
    if not isinstance(value, dict):
        raise DecodeError(
            f"{item.key!r} holds a JSON {type(value).__name__}, not an object; "
            "bot state is always an object",
            key=item.key,
        )
    return value


class StorageBase(BotFacing):
    """Shared behaviour: lifecycle, read-only guard, the document trio on top of raw access.

    A backend implements ``iter_entries``, ``read_raw``, ``write_raw``,
    ``delete_raw`` and may override ``decode`` / ``encode`` (default: compact
    UTF-8 JSON) or the trio itself for speed.

    ``objects=True``: the store serves a botbuilder-python bot: ``write`` stores
    its objects in botbuilder's jsonpickle form and ``read`` rebuilds them,
    allowing botbuilder's state types, the classes registered with
    ``register_state_class`` and ``state_classes`` (see ``bot_objects``).
    """

    url: str = ""
    capabilities: frozenset[Capability] = frozenset()

    def __init__(
        self,
        *,
        read_only: bool = False,
        objects: bool = False,
        state_classes: Iterable[type] = (),
    ) -> None:
        self.read_only = read_only
        #: what opening the store created (a container asked for with
        #: ``create_container``), to tell the user; None when nothing was
        self.created: str | None = None
        state_classes = tuple(state_classes)
        if state_classes and not objects:
            raise ValueError("state_classes are rebuilt only in object mode: pass objects=True")
        self.objects = BotObjects(state_classes) if objects else None

    async def __aenter__(self) -> Self:
        """``open()``; a failed open closes what it made (a client, a session)."""
        try:
            await self.open()
        except BaseException:
            await self.close()
            raise
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    async def open(self) -> None:
        """Connect or open files. Called by ``async with``."""

    async def close(self) -> None:
        """Release connections and files. Safe to call twice."""

    @property
    def warnings(self) -> tuple[str, ...]:
        return ()

    @property
    def transport_scheme(self) -> str:
        return "local"

    @property
    def location(self) -> str | None:
        return None

    #: why the store is read-only when it is not the caller's choice (a read-only SAS)
    read_only_reason: str | None = None

    def check_writable(self, operation: str, key: str | None = None) -> None:
        if self.read_only:
            raise ReadOnlyError(operation, key, self.read_only_reason)

    # -- listing -------------------------------------------------------------

    @abstractmethod
    def iter_entries(self, prefix: str = "") -> AsyncIterator[Entry]:
        """Listed items whose key starts with ``prefix``, in pages underneath."""

    async def iter_keys(self, prefix: str = "") -> AsyncIterator[str]:
        async for entry in self.iter_entries(prefix):
            yield entry.key

    # -- raw access ----------------------------------------------------------

    @abstractmethod
    async def read_raw(self, keys: Sequence[str]) -> dict[str, RawItem]:
        """The stored form of each existing key; missing keys are absent."""

    @abstractmethod
    async def write_raw(
        self, item: RawItem, *, if_match: str | None = None, create: bool = False
    ) -> RawItem:
        """Store ``item`` as it is and return it with its new etag.

        ``if_match``: write only if the item exists and its stored etag equals
        it (``"*"`` or ``None``: unconditional). ``create``: write only if the
        key is absent. Either failing raises ``ETagConflictError`` and writes
        nothing. Raises ``ReadOnlyError`` on a read-only store.
        """

    @abstractmethod
    async def delete_raw(self, key: str, *, if_match: str | None = None) -> None:
        """Delete ``key`` (a no-op if missing, unless ``if_match`` is given)."""

    # -- codec ---------------------------------------------------------------

    def decode(self, item: RawItem) -> JsonObject:
        """The state document stored in ``item``, storage-level members removed."""
        document = decode_json_object(item)  # a fresh dict: drop the members in place
        for member in STORAGE_MEMBERS:
            document.pop(member, None)
        return document

    def encode(
        self, key: str, document: Mapping[str, Any], *, like: RawItem | None = None
    ) -> RawItem:
        """A raw item storing ``document`` under ``key``, in ``like``'s form if given."""
        document = as_document(document)
        if not STORAGE_MEMBERS.isdisjoint(document):
            document = strip_storage_members(document)
        if like is None:
            return RawItem(key=key, body=dump_json(key, document))
        return RawItem(
            key=key,
            body=restyle(key, like.body, document),
            content_type=like.content_type,
            etag=like.etag,
            name=like.name,
            dialect=like.dialect,
            meta=like.meta,
        )

    # -- the document trio ---------------------------------------------------

    async def read_documents(self, keys: Sequence[str]) -> dict[str, JsonObject]:
        raw = await self.read_raw(list(keys))
        result: dict[str, JsonObject] = {}
        for key, item in raw.items():
            document = self.decode(item)
            document["e_tag"] = item.etag or ""
            result[key] = document
        return result

    async def write_documents(self, changes: Mapping[str, Mapping[str, Any]]) -> None:
        if not changes:
            return
        for key in changes:
            self.check_writable("write", key)
        conflicts: list[str] = []
        for key, value in changes.items():
            document = as_document(value)
            etag = requested_etag(document)
            item = self.encode(key, document)
            try:
                await self.write_raw(item, if_match=etag)
            except ETagConflictError:
                conflicts.append(key)
        if conflicts:
            raise etag_conflict(conflicts)

    async def delete(self, keys: Sequence[str]) -> None:
        for key in keys:
            self.check_writable("delete", key)
        for key in keys:
            await self.delete_raw(key)

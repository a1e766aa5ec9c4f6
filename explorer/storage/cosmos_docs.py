"""Cosmos DB bot-state documents <-> raw items and entries (stdlib only).

A stored document is ``{"id", "realId", "document", ...extras}`` plus server
fields. Invariants:

- ``RawItem.body`` is the compact UTF-8 JSON of the whole document without the
  server fields (``_rid _self _ts _attachments _etag``), members in stored
  order; ``_etag`` becomes ``RawItem.etag`` and ``_ts`` ``last_modified``.
- ``RawItem.key`` is ``realId``; ``RawItem.name`` is ``id``.
- ``RawItem.meta`` holds the extra top-level members (``PartitionKey`` of .NET,
  the Agents SDK js ``"eTag": ""``) and, when several documents hold the same
  ``realId``, ``duplicate_ids``: the ids of the others.
- Writing back keeps ``id``, ``realId``, the extras and member order; only
  ``document`` is replaced.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from explorer.core.errors import DecodeError
from explorer.core.items import Entry, JsonObject, RawItem
from explorer.storage.base import decode_json_object, dump_json, strip_storage_members
from explorer.storage.cosmos_keys import ContainerDialect, Dialect, classify, escape

SERVER_FIELDS = frozenset({"_rid", "_self", "_ts", "_attachments", "_etag", "_lsn"})
ENVELOPE = ("id", "realId", "document")
CONTENT_TYPE = "application/json"
#: the projection used for listing (extras tell the dialect, without the body)
LIST_FIELDS = "c.id, c.realId, c._etag, c._ts, c.eTag, c.PartitionKey"


_WHEN: dict[int | float, datetime] = {}


def modified(doc: Mapping[str, Any]) -> datetime | None:
    """``_ts`` as a UTC time (many documents share a second: converted once each)."""
    ts = doc.get("_ts")
    when = _WHEN.get(ts) if ts is not None else None
    if when is None and isinstance(ts, int | float) and not isinstance(ts, bool):
        if len(_WHEN) > 4096:
            _WHEN.clear()
        when = _WHEN[ts] = datetime.fromtimestamp(ts, UTC)
    return when


def item_dialect(doc: Mapping[str, Any], container: ContainerDialect) -> str:
    """The dialect of one document, the container's when its id cannot tell."""
    doc_id, real_id = doc.get("id"), doc.get("realId")
    if not isinstance(doc_id, str) or not isinstance(real_id, str):
        return "unknown"
    has_etag, has_pk = "eTag" in doc, "PartitionKey" in doc
    dialect = container.dialect
    if (
        dialect is not None
        and has_etag is (dialect == "agents-js")
        and has_pk is (dialect == "dotnet")
        and doc_id == escape(real_id, dialect) + container.suffix
    ):
        return dialect  # the common case: the container's own escape, checked cheaply
    match = classify(doc_id, real_id, has_etag=has_etag, has_partition_key=has_pk)
    if match.form == "unknown":
        return "unknown"
    return match.dialect or dialect or "plain"


def to_raw(
    doc: Mapping[str, Any], container: ContainerDialect, duplicates: tuple[str, ...] = ()
) -> RawItem:
    """The raw item of a document as the SDK returned it."""
    stored = {k: v for k, v in doc.items() if k not in SERVER_FIELDS}
    extras: dict[str, Any] = {k: v for k, v in stored.items() if k not in ENVELOPE}
    if duplicates:
        extras["duplicate_ids"] = duplicates
    real_id = doc.get("realId")
    doc_id = str(doc.get("id", ""))
    etag = doc.get("_etag")
    return RawItem(
        key=real_id if isinstance(real_id, str) else doc_id,
        body=dump_json(str(real_id or doc_id), stored),
        content_type=CONTENT_TYPE,
        etag=etag if isinstance(etag, str) else None,
        last_modified=modified(doc),
        name=doc_id,
        dialect=item_dialect(doc, container),
        meta=extras,
    )


def to_entry(
    doc: Mapping[str, Any], container: ContainerDialect, error: str | None = None
) -> Entry:
    """A listed document (from the listing projection or a whole document)."""
    doc_id = str(doc.get("id", ""))
    real_id = doc.get("realId")
    if not isinstance(real_id, str):
        error = error or (
            f"document {doc_id!r} has no realId member, so it was not written by a bot "
            "storage; it is listed under its id"
        )
    etag = doc.get("_etag")
    return Entry(
        key=real_id if isinstance(real_id, str) else doc_id,
        name=doc_id,
        last_modified=modified(doc),
        etag=etag if isinstance(etag, str) else None,
        dialect=item_dialect(doc, container),
        error=error,
    )


def is_envelope(value: Any) -> bool:
    """A stored item (``realId`` and ``document`` members), even a damaged one."""
    return isinstance(value, dict) and "document" in value and "realId" in value


def envelope_of(item: RawItem) -> JsonObject:
    """The document to store for ``item``: its envelope, or its body wrapped in one.

    A body that is not an envelope (a state document from another backend) is
    wrapped as ``{"realId": key, "document": body}``; the id is then chosen at
    write time. ``realId`` is always set to ``item.key``.
    """
    value = decode_json_object(item)
    if not is_envelope(value):
        return {"realId": item.key, "document": value}
    envelope = {k: v for k, v in value.items() if k not in SERVER_FIELDS}
    envelope["realId"] = item.key
    if not isinstance(envelope.get("id"), str) or not envelope["id"]:
        envelope.pop("id", None)
        if item.name:
            envelope = {"id": item.name, **envelope}
    return envelope


def document_of(item: RawItem) -> JsonObject:
    """The state document of ``item`` with storage-level members removed."""
    value = decode_json_object(item)
    if "document" in value and "realId" in value:
        document = value["document"]
        if not isinstance(document, dict):
            raise DecodeError(
                f"{item.key!r}: its document member is a JSON {type(document).__name__}, "
                "not an object; bot state is always an object",
                key=item.key,
            )
        return strip_storage_members(document)
    return strip_storage_members(value)


def new_envelope(
    key: str, document: Mapping[str, Any], container: ContainerDialect, like: RawItem | None
) -> JsonObject:
    """The envelope storing ``document`` under ``key``, in ``like``'s shape if given.

    With ``like`` for the same key: its id, extras and member order are kept.
    Otherwise there is no ``id`` yet (the store finds an existing document for
    the key or computes one at write time), and the extras the container's
    dialect writes are added (``"eTag": ""`` for agents-js).
    """
    state = strip_storage_members(document)
    if like is not None:
        try:
            base = decode_json_object(like)
        except DecodeError:
            base = {}
        if is_envelope(base):
            shaped = {k: v for k, v in base.items() if k not in SERVER_FIELDS}
            if like.key != key:
                shaped.pop("id", None)
                shaped.pop("PartitionKey", None)
            shaped["realId"] = key
            shaped["document"] = state
            return shaped
    envelope: JsonObject = {"realId": key, "document": state}
    if container.dialect == "agents-js":
        envelope["eTag"] = ""
    return envelope


def shape_of(doc: Mapping[str, Any]) -> JsonObject:
    """The stored members of ``doc`` in order, ``document`` set to ``None`` (no server fields)."""
    return {k: None if k == "document" else v for k, v in doc.items() if k not in SERVER_FIELDS}


def shaped(
    key: str,
    envelope: JsonObject,
    shape: JsonObject | None,
    container: ContainerDialect,
    default: Dialect,
) -> JsonObject:
    """``envelope`` (without an id) as it is to be stored.

    With the ``shape`` of the key's existing document: its id, extras and member
    order, only ``document`` replaced. Without: a new document with the id the
    container's dialect (else ``default``) computes, and .NET's ``PartitionKey``.
    """
    if shape is None:
        doc_id = container.id_for(key, default)
        if container.dialect == "dotnet":
            envelope.setdefault("PartitionKey", doc_id)
        return {"id": doc_id, **envelope}
    result = dict(shape)
    result["realId"] = key
    result["document"] = envelope["document"]
    return result


class ShapeCache(dict[str, JsonObject | None]):
    """key -> ``shape_of`` its document (``None``: none found), at most ``limit`` keys.

    Lets a bot's write-back keep the id and members of the document it read
    without another lookup. A forgotten key only costs a lookup on its next
    write, so the oldest entries are dropped first and memory stays bounded in a
    long-running bot.
    """

    def __init__(self, limit: int = 50_000) -> None:
        super().__init__()
        self.limit = limit

    def __setitem__(self, key: str, value: JsonObject | None) -> None:
        self.pop(key, None)  # re-inserted as the newest
        super().__setitem__(key, value)
        if len(self) > self.limit:
            del self[next(iter(self))]

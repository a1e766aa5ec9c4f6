"""Export files: the JSON-lines format of ``export`` (described in ``explorer.cli.transfer``).

``item_to_line`` writes one item as one line; ``write_export`` writes the items
of some keys to a file atomically (the window's Export…; the command line
streams its own). ``line_to_item`` turns one line back into the stored item it describes (body
bytes exactly, from ``body`` or ``body_base64``) and its ``source`` scheme;
``read_export`` reads a whole file, and ``decode_exported`` gives an exported
item's state document the way its source store decodes it (a Cosmos item's
``document`` member; everything else the body, storage members removed), so an
export compares with a live store.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from explorer.core.errors import StorageError
from explorer.core.items import JsonObject, RawItem
from explorer.storage.base import Storage, decode_json_object, strip_storage_members
from explorer.storage.cosmos_docs import document_of
from explorer.workspace.files import atomic_file

#: items read per request when exporting
BATCH = 200


_JSON_UNSAFE = re.compile("[\x7f-\x9f\u2028\u2029\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def json_line(value: Any) -> str:
    """One JSON text on one line: readable UTF-8, but every character that some
    reader treats as a line break or that reorders text (NEL, U+2028/9, bidi
    controls) written as a ``\\uXXXX`` escape, which is equally valid JSON."""
    text = json.dumps(value, ensure_ascii=False, default=str)
    return _JSON_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def item_to_line(item: RawItem, source: str) -> str:
    data: dict[str, Any] = {"key": item.key}
    try:
        data["body"] = item.body.decode("utf-8")
    except UnicodeDecodeError:
        data["body_base64"] = base64.b64encode(item.body).decode("ascii")
    data.update(
        content_type=item.content_type,
        etag=item.etag,
        last_modified=item.last_modified.isoformat() if item.last_modified else None,
        meta=dict(item.meta),
        name=item.name,
        dialect=item.dialect,
        source=source,
    )
    line = json_line(data)
    try:
        line.encode("utf-8")
    except UnicodeEncodeError:
        line = json.dumps(data, ensure_ascii=True, default=str)
    return line


async def write_export(store: Storage, keys: Sequence[str], path: str, source: str) -> int:
    """Write the items of ``keys`` (those that exist) to ``path``; returns how many."""
    count = 0
    with atomic_file(path) as out:
        for start in range(0, len(keys), BATCH):
            part = list(keys[start : start + BATCH])
            items = await store.read_raw(part)
            for key in part:
                item = items.get(key)
                if item is not None:
                    out.write(item_to_line(item, source) + "\n")
                    count += 1
    return count


class LineError(ValueError):
    """One import line cannot be used."""


def line_to_item(text: str) -> tuple[RawItem, str | None]:
    """The raw item a line describes and its ``source`` scheme; ``LineError`` if malformed."""
    try:
        data = json.loads(text)
    except (json.JSONDecodeError, RecursionError) as exc:
        raise LineError(f"not valid JSON ({exc})") from None
    if not isinstance(data, dict):
        raise LineError("not a JSON object")
    key = data.get("key")
    if not isinstance(key, str) or not key:
        raise LineError('no "key" (a non-empty string)')
    if isinstance(data.get("body"), str):
        try:
            body = data["body"].encode("utf-8")
        except UnicodeEncodeError:
            raise LineError(f"key {key!r}: body holds a lone surrogate, not text") from None
    elif isinstance(data.get("body_base64"), str):
        try:
            body = base64.b64decode(data["body_base64"], validate=True)
        except (binascii.Error, ValueError):
            raise LineError(f"key {key!r}: body_base64 is not valid base64") from None
    else:
        raise LineError(f'key {key!r}: no "body" (string) or "body_base64"')
    meta = data.get("meta")
    meta = {} if meta is None else meta
    if not isinstance(meta, dict):
        raise LineError(f'key {key!r}: "meta" must be an object')
    strings = {n: data.get(n) for n in ("content_type", "name", "dialect", "source")}
    for name, value in strings.items():
        if value is not None and not isinstance(value, str):
            raise LineError(f'key {key!r}: "{name}" must be a string')
    item = RawItem(
        key=key,
        body=body,
        content_type=strings["content_type"] or "application/json",
        name=strings["name"] or "",
        dialect=strings["dialect"] or "plain",
        meta=meta,
    )
    return item, strings["source"]


@dataclass(frozen=True)
class ExportedItem:
    """One line of an export: the item, its source scheme and its line number."""

    item: RawItem
    source: str | None
    line: int


def read_export(path: str) -> Iterator[ExportedItem | tuple[int, LineError]]:
    """Every line of the export at ``path``: an item, or ``(line number, why)`` if unusable."""
    try:
        with open(path, encoding="utf-8", errors="surrogateescape") as f:
            for number, text in enumerate(f, 1):
                if not text.strip():
                    continue
                try:
                    item, source = line_to_item(text)
                except LineError as exc:
                    yield number, exc
                    continue
                yield ExportedItem(item, source, number)
    except OSError as exc:
        raise StorageError(f"cannot read {path}: {exc.strerror or exc}") from None


def decode_exported(item: RawItem, source: str | None) -> JsonObject:
    """The state document of an exported item, as its source store decodes it."""
    if source == "cosmos":
        return document_of(item)
    return strip_storage_members(decode_json_object(item))

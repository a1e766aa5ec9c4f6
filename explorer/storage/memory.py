"""In-process storage: a dict of raw items. Data lives as long as the object.

Used for tests, the demo and bots that need no persistence. Etags are a
process-wide counter, so an etag never repeats within a process.
"""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator, Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from explorer.core.errors import ETagConflictError
from explorer.core.items import Entry, RawItem
from explorer.storage.base import StorageBase
from explorer.storage.bot_objects import object_options

_etags = itertools.count(1)

#: keys listed per page; the listing yields to the event loop between pages
PAGE_SIZE = 1000


class MemoryStorage(StorageBase):
    """A store held in memory. ``MemoryStorage()`` is empty.

    ``objects=True`` / ``state_classes``: object mode for a botbuilder-python bot
    (see ``StorageBase``).
    """

    url = "memory:"

    def __init__(
        self,
        *,
        read_only: bool = False,
        objects: bool = False,
        state_classes: Iterable[type] = (),
    ) -> None:
        super().__init__(read_only=read_only, objects=objects, state_classes=state_classes)
        self._items: dict[str, RawItem] = {}

    async def iter_entries(self, prefix: str = "") -> AsyncIterator[Entry]:
        keys = sorted(k for k in self._items if k.startswith(prefix))
        for start in range(0, len(keys), PAGE_SIZE):
            for key in keys[start : start + PAGE_SIZE]:
                item = self._items.get(key)
                if item is not None:  # deleted while listing
                    yield Entry(
                        key=key,
                        name=item.stored_name,
                        size=item.size,
                        last_modified=item.last_modified,
                        etag=item.etag,
                        dialect=item.dialect,
                    )

    async def read_raw(self, keys: Sequence[str]) -> dict[str, RawItem]:
        return {k: self._items[k] for k in keys if k in self._items}

    async def write_raw(
        self, item: RawItem, *, if_match: str | None = None, create: bool = False
    ) -> RawItem:
        self.check_writable("write", item.key)
        current = self._items.get(item.key)
        if create and current is not None:
            raise ETagConflictError(item.key, f"{item.key!r} already exists; reload it first")
        if if_match not in (None, "*") and (current is None or current.etag != if_match):
            raise ETagConflictError(item.key)
        stored = RawItem(  # not dataclasses.replace: this is the hot path of every turn
            key=item.key,
            body=item.body,
            content_type=item.content_type,
            etag=str(next(_etags)),
            last_modified=datetime.now(UTC),
            name=item.name,
            dialect=item.dialect,
            meta=item.meta,
        )
        self._items[item.key] = stored
        return stored

    async def delete_raw(self, key: str, *, if_match: str | None = None) -> None:
        self.check_writable("delete", key)
        current = self._items.get(key)
        if if_match not in (None, "*") and (current is None or current.etag != if_match):
            raise ETagConflictError(key)
        self._items.pop(key, None)


def from_url(url: str, *, read_only: bool = False, **options: Any) -> MemoryStorage:
    """``memory:`` opens a new, empty in-memory store (options ``objects``, ``state_classes``)."""
    return MemoryStorage(read_only=read_only, **object_options(options))

"""In-process storage: a dict of raw items. Data lives as long as the object.

Used for tests, the demo and bots that need no persistence. Etags are a
process-wide counter, so an etag never repeats within a process.

Keys are also kept sorted (``KeyIndex``), so pages, positions and counts
(``explorer.storage.paging``) are bisections: a page costs its own size, a
count nothing. New and deleted keys are folded into the sorted list on the next
listing (one re-sort after a bulk load, one insertion after a bot's new key).
"""

from __future__ import annotations

import bisect
import itertools
from collections.abc import AsyncIterator, Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from explorer.core.errors import ETagConflictError
from explorer.core.items import Entry, RawItem
from explorer.storage.base import Capability, StorageBase
from explorer.storage.bot_objects import object_options
from explorer.storage.paging import Count, Page

_etags = itertools.count(1)

#: keys listed per page; the listing yields to the event loop between pages
PAGE_SIZE = 1000
#: new keys inserted one by one into the sorted list; more are sorted in at once
_INSERT_LIMIT = 64


def prefix_end(prefix: str) -> str | None:
    """The least string above every string starting with ``prefix`` (``None``: no bound)."""
    chars = list(prefix)
    while chars:
        code = ord(chars[-1]) + 1
        if code <= 0x10FFFF:
            chars[-1] = chr(code)
            return "".join(chars)
        chars.pop()
    return None


class KeyIndex:
    """The keys of a store in code point order, updated lazily."""

    def __init__(self) -> None:
        self._keys: list[str] = []
        self._added: list[str] = []
        self._removed: set[str] = set()

    def add(self, key: str) -> None:
        """``key`` was not in the store and now is."""
        if key in self._removed:
            self._removed.discard(key)  # still in the list: it was never taken out
        else:
            self._added.append(key)

    def remove(self, key: str) -> None:
        """``key`` was in the store and is gone."""
        self._removed.add(key)

    def sorted(self) -> list[str]:
        """Every key, sorted (do not change the list)."""
        if self._added:
            if len(self._added) <= _INSERT_LIMIT:
                for key in self._added:
                    bisect.insort(self._keys, key)
            else:
                self._keys.extend(self._added)
                self._keys.sort()
            self._added.clear()
        if self._removed:
            self._keys = [k for k in self._keys if k not in self._removed]
            self._removed.clear()
        return self._keys

    def span(self, prefix: str) -> tuple[list[str], int, int]:
        """The sorted keys and the slice ``[lo:hi]`` of those starting with ``prefix``."""
        keys = self.sorted()
        lo = bisect.bisect_left(keys, prefix)
        end = prefix_end(prefix)
        hi = len(keys) if end is None else bisect.bisect_left(keys, end, lo)
        return keys, lo, hi


class MemoryStorage(StorageBase):
    """A store held in memory. ``MemoryStorage()`` is empty.

    ``objects=True`` / ``state_classes``: object mode for a botbuilder-python bot
    (see ``StorageBase``).
    """

    url = "memory:"
    capabilities = frozenset(
        {
            Capability.LISTING_PAGES,
            Capability.KEY_PAGES,
            Capability.POSITIONS,
            Capability.COUNT,
        }
    )

    def __init__(
        self,
        *,
        read_only: bool = False,
        objects: bool = False,
        state_classes: Iterable[type] = (),
    ) -> None:
        super().__init__(read_only=read_only, objects=objects, state_classes=state_classes)
        self._items: dict[str, RawItem] = {}
        self._index = KeyIndex()

    def view(self, *, read_only: bool = True) -> MemoryStorage:
        """Another store object over the same items (a read-only view by default)."""
        other = MemoryStorage(read_only=read_only)
        other._items, other._index = self._items, self._index
        return other

    # -- listing -------------------------------------------------------------

    async def iter_entries(self, prefix: str = "") -> AsyncIterator[Entry]:
        cursor: str | None = None
        while True:
            page = await self.next_page(prefix, cursor=cursor, limit=PAGE_SIZE)
            for entry in page.entries:
                yield entry
            cursor = page.cursor
            if cursor is None:
                return

    def _entries(self, keys: Sequence[str]) -> list[Entry]:
        entries = []
        for key in keys:
            item = self._items[key]
            entries.append(
                Entry(
                    key=key,
                    name=item.stored_name,
                    size=item.size,
                    last_modified=item.last_modified,
                    etag=item.etag,
                    dialect=item.dialect,
                )
            )
        return entries

    async def next_page(
        self,
        prefix: str = "",
        *,
        cursor: str | None = None,
        limit: int = PAGE_SIZE,
        keys_only: bool = False,
    ) -> Page:
        """``paging.ListingPages``: key order; the cursor is the page's last key."""
        page = await self.list_page(prefix, after=cursor, limit=limit)
        return Page(page.entries, more=page.more, cursor=page.last if page.more else None)

    async def list_page(
        self,
        prefix: str = "",
        *,
        after: str | None = None,
        limit: int = PAGE_SIZE,
        reverse: bool = False,
        inclusive: bool = False,
        keys_only: bool = False,
        until: str | None = None,
    ) -> Page:
        """``paging.KeyPages``: a bisection and a slice."""
        keys, lo, hi = self._index.span(prefix)
        limit = max(1, limit)
        if until is not None:  # the range stops short of ``until``
            if reverse:
                lo = max(lo, bisect.bisect_right(keys, until, lo, hi))
            else:
                hi = min(hi, bisect.bisect_left(keys, until, lo, hi))
        if not reverse:
            start = lo
            if after is not None and after >= prefix:
                find = bisect.bisect_left if inclusive else bisect.bisect_right
                start = find(keys, after, lo, hi)
            stop = min(hi, start + limit)
            return Page(self._entries(keys[start:stop]), more=stop < hi)
        stop = hi
        if after is not None:
            if after < prefix:
                return Page()
            find = bisect.bisect_right if inclusive else bisect.bisect_left
            stop = find(keys, after, lo, hi)
        start = max(lo, stop - limit)
        return Page(self._entries(keys[start:stop]), more=start > lo)

    async def page_at(
        self, prefix: str, offset: int, *, limit: int = PAGE_SIZE, total: int | None = None
    ) -> Page:
        """``paging.Positions``: a slice."""
        keys, lo, hi = self._index.span(prefix)
        start = min(hi, lo + max(0, offset))
        stop = min(hi, start + max(1, limit))
        return Page(self._entries(keys[start:stop]), more=stop < hi)

    async def index_of(self, prefix: str, key: str) -> int:
        """``paging.Positions``: a bisection."""
        keys, lo, hi = self._index.span(prefix)
        return bisect.bisect_left(keys, key, lo, hi) - lo

    async def count(self, prefix: str = "") -> Count:
        """``paging.Counting``: exact, two bisections."""
        _, lo, hi = self._index.span(prefix)
        return Count(hi - lo)

    # -- raw access ----------------------------------------------------------

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
        if current is None:
            self._index.add(item.key)
        return stored

    async def delete_raw(self, key: str, *, if_match: str | None = None) -> None:
        self.check_writable("delete", key)
        current = self._items.get(key)
        if if_match not in (None, "*") and (current is None or current.etag != if_match):
            raise ETagConflictError(key)
        if self._items.pop(key, None) is not None:
            self._index.remove(key)


def from_url(url: str, *, read_only: bool = False, **options: Any) -> MemoryStorage:
    """``memory:`` opens a new, empty in-memory store (options ``objects``, ``state_classes``)."""
    return MemoryStorage(read_only=read_only, **object_options(options))

"""Pages, counts and request budgets: what a window over a big store is built on.

A store declares each ability as a ``Capability``; a caller checks it once
(``Capability.KEY_PAGES in store.capabilities``) and then uses the matching
protocol below. Nothing here is found by ``getattr``.

============================ ======================================== ==========================
capability                   protocol and method                      backends
============================ ======================================== ==========================
``LISTING_PAGES``            ``ListingPages.next_page``: forward      all
                             pages in the store's listing order,
                             resumed by an opaque ``Page.cursor``
``KEY_PAGES``                ``KeyPages.list_page``: pages in key     memory, sqlite, cosmos
                             order from any key, forwards or back     (not a container that
                             (the end of a group is one request)      refuses ORDER BY)
``POSITIONS``                ``Positions.page_at`` / ``index_of``:    memory, sqlite
                             rows by number (a scroll-bar drag)
``COUNT``                    ``Counting.count``: exact where cheap,   all (blob: a lower bound
                             else an estimate or a lower bound        past one page)
``RU_BUDGET``                ``RequestBudget``: request units spent,  cosmos
                             an RU/s cap on scans
============================ ======================================== ==========================

Invariants:

- Key order is the code point order of the key: Python's ``str`` order, SQLite's
  byte order of UTF-8. Cosmos DB orders by the server's string order, which is
  the same except where a character above U+FFFF meets one in U+E000-U+FFFF at
  the same position (the emulator compares UTF-16 code units there); its pages
  still never skip or repeat a key, because the seek uses the server's order too.
- ``Page.entries`` are always in ascending order (``LISTING_PAGES``: listing
  order); ``more`` says whether the store holds more beyond the page in the
  direction it was read (below it for ``reverse``).
- Every method here is cancellable (cancel the task awaiting it); a cancelled
  SQLite count stops its query at once instead of running on in its thread.
- A count never lists keys client-side: it is one server-side or index
  aggregate, or a lower bound from one page.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, cast

from explorer.core.items import Entry
from explorer.storage.base import Capability, Storage

#: keys per page a caller asks for when it has no better idea
DEFAULT_LIMIT = 1000


class Page:
    """One page of a listing.

    ``entries``: ascending key order (listing order for ``next_page``).
    ``more``: items lie beyond this page in the direction it was read.
    ``cursor``: for ``next_page`` only, the opaque token that resumes after this
    page (``None`` when there is no more); pass it back with the same prefix.

    A backend may build a page from its rows (``from_rows``): ``keys`` then
    costs nothing more and each ``Entry`` is made only when ``entries`` is read
    (a listing printed by key never makes them).
    """

    __slots__ = ("_entries", "_make", "_rows", "cursor", "more")

    def __init__(
        self, entries: Sequence[Entry] = (), *, more: bool = False, cursor: str | None = None
    ) -> None:
        self._entries: tuple[Entry, ...] | None = tuple(entries)
        self._rows: Sequence[Sequence[Any]] = ()
        self._make: Callable[[Sequence[Any]], Entry] | None = None
        self.more = more
        self.cursor = cursor

    @classmethod
    def from_rows(
        cls,
        rows: Sequence[Sequence[Any]],
        make: Callable[[Sequence[Any]], Entry],
        *,
        more: bool = False,
        cursor: str | None = None,
    ) -> Page:
        """A page of ``rows`` (each starting with its key, none with an error)
        whose entries ``make(row)`` builds when first read."""
        page = cls(more=more, cursor=cursor)
        page._entries, page._rows, page._make = None, rows, make
        return page

    @property
    def entries(self) -> tuple[Entry, ...]:
        if self._entries is None:
            assert self._make is not None
            self._entries = tuple(map(self._make, self._rows))
            self._rows = ()
        return self._entries

    @property
    def keys(self) -> list[str]:
        if self._entries is None:
            return [row[0] for row in self._rows]
        return [entry.key for entry in self._entries]

    @property
    def errors(self) -> list[Entry]:
        """Entries that could not be read as a key (``Entry.error``), in order."""
        if self._entries is None:
            return []  # rows never carry errors
        return [entry for entry in self._entries if entry.error]

    @property
    def first(self) -> str | None:
        if self._entries is None:
            return self._rows[0][0] if self._rows else None
        return self._entries[0].key if self._entries else None

    @property
    def last(self) -> str | None:
        if self._entries is None:
            return self._rows[-1][0] if self._rows else None
        return self._entries[-1].key if self._entries else None

    def __len__(self) -> int:
        return len(self._rows) if self._entries is None else len(self._entries)

    def __repr__(self) -> str:
        return f"Page({len(self)} entries, {self.first!r}..{self.last!r}, more={self.more})"


@dataclass(frozen=True, slots=True)
class Count:
    """How many keys a prefix holds.

    ``exact``: the value is the count. Otherwise ``at_least`` marks a lower bound
    (one page was seen and more exist: "5,000+"), else the value is an estimate
    ("≈ 1.2M"). ``request_charge``: the RU it cost, on stores that charge them.
    """

    value: int
    exact: bool = True
    at_least: bool = False
    request_charge: float | None = None

    def describe(self) -> str:
        """``1,234``, ``5,000+`` or ``≈ 1.2M``."""
        if self.exact:
            return f"{self.value:,}"
        if self.at_least:
            return f"{self.value:,}+"
        return f"≈ {_short(self.value)}"


def _short(value: int) -> str:
    for size, unit in ((1_000_000_000, "G"), (1_000_000, "M"), (1_000, "k")):
        if value >= size:
            return f"{value / size:.1f}{unit}".replace(".0", "")
    return str(value)


class ListingPages(Protocol):
    """``Capability.LISTING_PAGES``: forward pages, resumed by a cursor (every backend)."""

    async def next_page(
        self,
        prefix: str = "",
        *,
        cursor: str | None = None,
        limit: int = DEFAULT_LIMIT,
        keys_only: bool = False,
    ) -> Page:
        """The next page of items whose key starts with ``prefix``, in listing order.

        ``cursor``: a ``Page.cursor`` from the previous page of the same prefix
        (``None``: the first page); the last page has none. One request per page
        where the backend pages (Blob, Cosmos DB: the service's continuation
        token). ``limit`` is an upper bound; a backend may return fewer (Blob: at
        most 5,000) and still set ``more``. ``keys_only``: entries need only
        ``key`` (and ``error``): a backend may read less.
        """
        ...


class KeyPages(Protocol):
    """``Capability.KEY_PAGES``: pages in key order from any key, in both directions."""

    async def list_page(
        self,
        prefix: str = "",
        *,
        after: str | None = None,
        limit: int = DEFAULT_LIMIT,
        reverse: bool = False,
        inclusive: bool = False,
        keys_only: bool = False,
        until: str | None = None,
    ) -> Page:
        """Up to ``limit`` entries whose key starts with ``prefix``, ascending.

        Forwards: the first keys above ``after`` (all keys if ``None``).
        ``reverse``: the last keys below ``after`` (``None``: the end of the prefix),
        so the end of a group of millions is one query. ``inclusive``: ``after``
        itself is included when it exists. ``after`` need not exist nor start with
        ``prefix`` (a seek target). ``until``: the page stops short of this key
        (never included): forwards only keys below it, ``reverse`` only keys above
        it, so a range between two keys already read is read exactly (a gap row
        filled from either side reads nothing it has). ``more``: keys lie beyond
        the page in the direction read (and short of ``until``). ``keys_only`` as
        for ``next_page``.
        """
        ...


class Positions(Protocol):
    """``Capability.POSITIONS``: rows by number, for a scroll-bar drag or a Go to."""

    async def page_at(
        self, prefix: str, offset: int, *, limit: int = DEFAULT_LIMIT, total: int | None = None
    ) -> Page:
        """The entries at rows ``offset`` .. ``offset + limit - 1`` of ``prefix``.

        ``total``: the prefix's count if known, so a row in the second half is
        reached from the end. Cost grows with the distance from the nearer end
        (SQLite: an index walk, ~0.1 s per million rows), never with the store.
        """
        ...

    async def index_of(self, prefix: str, key: str) -> int:
        """How many keys of ``prefix`` sort below ``key`` (its row, if it exists)."""
        ...


class Counting(Protocol):
    """``Capability.COUNT``: how many keys a prefix holds, as cheaply as the store allows."""

    async def count(self, prefix: str = "") -> Count:
        """Exact where cheap (SQLite: an index range count in a worker thread;
        Cosmos DB: a server-side ``COUNT``), else a marked lower bound or estimate.
        Never lists keys client-side; cancel the awaiting task to stop it."""
        ...


class RequestBudget(Protocol):
    """``Capability.RU_BUDGET``: request units spent, and the cap on scans.

    ``ru_per_second``: the cap (``None``: none) that listing, counting and bulk
    reads (value search, stats, export) wait for; single-key reads and writes
    are never held back, only counted. ``total_request_charge``: RU spent since
    the store was made; ``throttled_seconds``: time scans spent waiting for it.
    """

    ru_per_second: float | None
    total_request_charge: float
    last_request_charge: float
    throttled_seconds: float


#: sorts after every key below a name (``NAME`` + this) where strings order by code
#: point (SQLite: UTF-8 bytes; memory)
PAST = "/\U0010ffff"
#: the same where strings order by UTF-16 code unit (JavaScript: the cosmos
#: emulator), where U+E000–U+FFFF sort after U+10FFFF
_PAST_UTF16 = "/\uffff\uffff"


async def first_key(
    pages: KeyPages, prefix: str, *, after: str | None = None, past: str | None = None
) -> str | None:
    """The first key under ``prefix`` after ``after`` (``None``: from the start), or
    past every key below the name ``past`` (``past/…``): the seek that skips a
    channel or a folder whatever it holds. One one-key page; a second where the
    first lands below ``past`` still (a store ordering strings by UTF-16 code
    unit: a key ``past/\uff21…`` sorts after ``past`` + ``PAST`` there)."""
    bound = after if past is None else past + PAST
    key = (await pages.list_page(prefix, after=bound, limit=1, keys_only=True)).first
    if past is not None and key is not None and key.startswith(past + "/"):
        page = await pages.list_page(prefix, after=past + _PAST_UTF16, limit=1, keys_only=True)
        key = page.first
    return key


async def iter_pages(
    store: ListingPages,
    prefix: str = "",
    *,
    limit: int = DEFAULT_LIMIT,
    keys_only: bool = False,
) -> AsyncIterator[Page]:
    """Every page of ``prefix`` in listing order (``ListingPages``), in constant memory.

    The next page is requested while the caller handles the current one, so a
    listing costs about the slower of the two, not their sum. Stopping early
    cancels the request in flight.
    """
    pending = asyncio.ensure_future(store.next_page(prefix, limit=limit, keys_only=keys_only))
    try:
        while True:
            page = await pending
            if page.cursor is None:
                yield page
                return
            pending = asyncio.ensure_future(
                store.next_page(prefix, cursor=page.cursor, limit=limit, keys_only=keys_only)
            )
            yield page
    finally:
        if not pending.done():
            pending.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await pending


async def pages_of(
    store: Storage,
    prefix: str = "",
    *,
    limit: int = DEFAULT_LIMIT,
    keys_only: bool = False,
) -> AsyncIterator[Page]:
    """Pages of any store: ``iter_pages`` where it offers ``LISTING_PAGES``, else its
    ``iter_entries`` cut into pages of ``limit`` (a third-party backend)."""
    if Capability.LISTING_PAGES in store.capabilities:
        async for page in iter_pages(
            cast(ListingPages, store), prefix, limit=limit, keys_only=keys_only
        ):
            yield page
        return
    batch: list[Entry] = []
    async for entry in store.iter_entries(prefix):
        batch.append(entry)
        if len(batch) >= limit:
            yield Page(batch, more=True)
            batch = []
    yield Page(batch)

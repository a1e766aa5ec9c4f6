"""Optional abilities of a store as typed protocols, checked once when it opens.

A backend declares what it can do in ``capabilities`` (``Capability`` members)
and implements the matching protocol below. A caller never probes a store with
``getattr``: it asks ``Abilities.of(store)`` once, after opening, and keeps the
typed handles (``None`` where the store lacks the ability), the pattern of
litestar's ``NamespacedStore``.

| capability | protocol | who |
|---|---|---|
| ``HIERARCHY`` | ``Hierarchical``: ``iter_children``, ``known_children`` | Blob |
| ``REQUEST_CHARGE`` | ``RequestCharged``: last and total request charge | Cosmos |
| ``BULK_WRITE`` | ``BulkWriter``: ``write_raw_many`` | SQLite |
| ``READ_BY_NAME`` | ``NameReader``: ``read_document`` (one request) | Cosmos |
| ``AGGREGATE_COUNTS`` | ``Aggregating``: ``aggregate_counts`` (server-side) | Cosmos |
| ``SCAN_ROWS`` | ``RowScanner``: ``scan_rows`` (sizes, times, chosen bodies) | SQLite |
| ``KEY_PAGES`` | ``paging.KeyPages``: ``list_page`` | memory, SQLite, Cosmos |
| ``COUNT`` | ``paging.Counting``: ``count`` | all |
| ``REPORTED_TOTAL`` | ``paging.Counting``: ``count("")`` from the store's report | Cosmos |
| ``LISTING_PAGES`` | ``paging.ListingPages``: ``next_page`` | all |
| ``RU_BUDGET`` | ``paging.RequestBudget``: RU spent, RU/s cap | Cosmos |
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol, cast

from explorer.core.items import Entry, RawItem
from explorer.storage.base import Capability, Storage
from explorer.storage.counting import KeyCounts
from explorer.storage.paging import Counting, KeyPages, ListingPages, RequestBudget


class Hierarchical(Protocol):
    """Lists the children of a ``/``-delimited prefix without a full scan."""

    def iter_children(self, prefix: str = "") -> AsyncIterator[str | Entry]:
        """Direct children of ``prefix``: items as ``Entry``, sub-prefixes as ``str``."""
        ...

    def known_children(self, prefix: str) -> tuple[str, ...]:
        """Child prefixes already seen (offered once), shown before the listing answers."""
        ...


class RequestCharged(Protocol):
    """Operations cost request units (Cosmos DB)."""

    @property
    def last_request_charge(self) -> float: ...

    @property
    def total_request_charge(self) -> float: ...


class BulkWriter(Protocol):
    """Writes many raw items in one transaction."""

    async def write_raw_many(self, items: Iterable[RawItem]) -> int: ...


class NameReader(Protocol):
    """Reads one item by its stored name (``RawItem.name``) in one request."""

    async def read_document(self, name: str) -> RawItem | None:
        """The item stored under ``name``, ``None`` if there is none."""
        ...


class Aggregating(Protocol):
    """Counts keys per kind and channel on the server, without reading the items."""

    async def aggregate_counts(self, prefix: str = "") -> KeyCounts | None:
        """The counts of keys under ``prefix``; ``None`` where the server cannot
        count (a container without an index): scan instead."""
        ...


#: one scanned item: key, stored size, last write, and its body where it was asked for
ScanRow = tuple[str, int, datetime | None, bytes | None]


class RowScanner(Protocol):
    """Scans every item under a prefix in one pass, bodies only where they matter."""

    def scan_rows(
        self, prefix: str = "", *, key_marker: str, body_marker: bytes
    ) -> AsyncIterator[list[ScanRow]]:
        """Pages of rows in key order; a row carries its body only when its key
        holds ``key_marker`` and its body holds ``body_marker`` (else ``None``)."""
        ...


def _has(store: Storage, capability: Capability) -> bool:
    return capability in store.capabilities


@dataclass(frozen=True)
class Abilities:
    """The optional abilities of one opened store."""

    hierarchy: Hierarchical | None = None
    charges: RequestCharged | None = None
    bulk: BulkWriter | None = None
    by_name: NameReader | None = None
    aggregates: Aggregating | None = None
    scanner: RowScanner | None = None
    #: ``Capability.KEY_PAGES``: pages in key order from any key (``paging.KeyPages``)
    key_pages: KeyPages | None = None
    #: ``Capability.COUNT``: counts by prefix (``paging.Counting``)
    counting: Counting | None = None
    #: ``Capability.LISTING_PAGES``: forward pages resumed by a cursor (``paging.ListingPages``)
    listing_pages: ListingPages | None = None
    #: ``Capability.RU_BUDGET``: request units spent and the RU/s cap (``paging.RequestBudget``)
    budget: RequestBudget | None = None

    @classmethod
    def of(cls, store: Storage) -> Abilities:
        return cls(
            hierarchy=cast(Hierarchical, store) if _has(store, Capability.HIERARCHY) else None,
            charges=(
                cast(RequestCharged, store) if _has(store, Capability.REQUEST_CHARGE) else None
            ),
            bulk=cast(BulkWriter, store) if _has(store, Capability.BULK_WRITE) else None,
            by_name=cast(NameReader, store) if _has(store, Capability.READ_BY_NAME) else None,
            aggregates=(
                cast(Aggregating, store) if _has(store, Capability.AGGREGATE_COUNTS) else None
            ),
            scanner=cast(RowScanner, store) if _has(store, Capability.SCAN_ROWS) else None,
            key_pages=cast(KeyPages, store) if _has(store, Capability.KEY_PAGES) else None,
            counting=cast(Counting, store) if _has(store, Capability.COUNT) else None,
            listing_pages=(
                cast(ListingPages, store) if _has(store, Capability.LISTING_PAGES) else None
            ),
            budget=cast(RequestBudget, store) if _has(store, Capability.RU_BUDGET) else None,
        )

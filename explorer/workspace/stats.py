"""Store insights: what a store (or a subtree) holds, at a glance.

``collect_stats(store, prefix)`` scans the keys under ``prefix`` once and
returns ``StoreStats``: counts per kind and channel, stored bytes, the largest
items, size and age histograms, and the most common active dialogs. The
``stats`` command prints it as JSON; the window's Insights page charts it.

Invariants:
- A full scan, on request only: the listing gives keys, sizes and times
  (``Entry``); bodies are read (``read_raw``, in chunks) only where needed:
  conversation states that mention ``DialogState`` for the active dialog, and
  every item on a store whose listing carries no size (Cosmos DB). A body
  that spells ``DialogState`` with JSON escapes is not looked into.
- Progress through ``on_progress(scanned, expected)`` (``expected`` is
  ``None`` when unknown). Cancelling the task stops it between pages.
- On a store that charges request units, a ``ScanBudget`` (RU per second
  and/or in all) keeps the scan from starving the bot: it waits between
  chunks to stay under the rate, and stops (``complete=False``) when the
  total is spent.
- Where the store counts on the server (``Capability.AGGREGATE_COUNTS``,
  Cosmos DB with an index), the counts per kind and channel come from there
  (``counts_from="server"``); the scan still gives sizes, ages and dialogs.
  ``request_charge`` says what each part cost. ``counts_only`` skips the body
  scan (server counts, or a listing where the store cannot count).
- Dialog ids come from ``explorer.state.dialogs.read_stack`` (python, js,
  .NET forms); the active dialog of each conversation is counted once.
"""

from __future__ import annotations

import asyncio
import bisect
import heapq
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from explorer.core.errors import DialogStackError, StorageError
from explorer.core.items import RawItem
from explorer.state.dialogs import active_dialog
from explorer.state.keys import key_kind
from explorer.storage.abilities import Abilities, RowScanner, ScanRow
from explorer.storage.base import Storage
from explorer.storage.counting import KeyCounts
from explorer.workspace.tree import Node, NodeKind

KB = 1024
MB = 1024 * KB
#: Cosmos DB refuses items above 2 MB; items above this size are "near" it
COSMOS_LIMIT = 2 * MB
NEAR_LIMIT = int(1.6 * MB)
#: size buckets: an item is in the first whose top is above its size; the last is open
SIZE_TOPS: tuple[int, ...] = (KB, 4 * KB, 16 * KB, 64 * KB, 256 * KB, MB, NEAR_LIMIT, COSMOS_LIMIT)
SIZE_LABELS: tuple[str, ...] = (
    "< 1 KB",
    "1-4 KB",
    "4-16 KB",
    "16-64 KB",
    "64-256 KB",
    "256 KB-1 MB",
    "1-1.6 MB",
    "1.6-2 MB (near the Cosmos DB limit)",
    ">= 2 MB (over the Cosmos DB limit)",
)
HOUR, DAY = 3600, 86400
#: age buckets (seconds since the last write), as the size buckets
AGE_TOPS: tuple[int, ...] = (HOUR, DAY, 7 * DAY, 30 * DAY, 90 * DAY, 365 * DAY)
AGE_LABELS: tuple[str, ...] = (
    "< 1 hour",
    "1 hour-1 day",
    "1-7 days",
    "7-30 days",
    "30-90 days",
    "90 days-1 year",
    "> 1 year",
)
UNKNOWN_AGE = "unknown"
LARGEST = 10
TOP_DIALOGS = 10
#: keys kept per size bucket, age bucket and dialog id, for a view to reach them
SAMPLES = 20
#: keys per body read
CHUNK = 200
_DIALOG_MARK = b"DialogState"


class BudgetSpentError(StorageError):
    """The request-unit budget of a scan is spent."""


@dataclass
class ScanBudget:
    """Request units a scan may spend: ``per_second`` (a rate) and/or ``total``."""

    per_second: float | None = None
    total: float | None = None
    _started: float = field(default_factory=time.monotonic)

    async def spend(self, spent: float) -> None:
        """Wait until ``spent`` RU (the scan's total so far) fits the rate;
        raise ``BudgetSpentError`` once it exceeds the total."""
        if self.total is not None and spent >= self.total:
            raise BudgetSpentError(
                f"the scan spent its budget of {self.total:,.0f} RU; the figures cover "
                "what was read until then"
            )
        if self.per_second:
            ahead = spent / self.per_second - (time.monotonic() - self._started)
            if ahead > 0:
                await asyncio.sleep(ahead)


@dataclass
class StoreStats:
    """What ``collect_stats`` found; ``as_json`` is the ``stats`` output."""

    prefix: str = ""
    counts: KeyCounts = field(default_factory=KeyCounts)
    counts_from: str = "scan"
    scanned: int = 0
    bytes: int = 0
    largest: list[tuple[int, str]] = field(default_factory=list)
    sizes: Counter[str] = field(default_factory=Counter)
    ages: Counter[str] = field(default_factory=Counter)
    dialogs: Counter[str] = field(default_factory=Counter)
    near_limit: int = 0
    unreadable: int = 0
    complete: bool = True
    note: str | None = None
    #: up to ``SAMPLES`` keys per "size:LABEL", "age:LABEL" and "dialog:ID" (not in JSON)
    samples: dict[str, list[str]] = field(default_factory=dict)
    #: RU per part ("aggregate_counts", "scan"), on stores that charge them
    request_charge: dict[str, float] = field(default_factory=dict)
    elapsed: float = 0.0

    def largest_items(self) -> list[dict[str, Any]]:
        return [
            {"key": k, "bytes": n} for n, k in sorted(self.largest, key=lambda x: (-x[0], x[1]))
        ]

    def as_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "prefix": self.prefix,
            "total": self.counts.total,
            "kinds": dict(self.counts.kinds),
            "channels": {c: dict(v) for c, v in sorted(self.counts.channels.items())},
            "counts_from": self.counts_from,
            "scanned": self.scanned,
            "bytes": self.bytes,
            "largest": self.largest_items(),
            "size_histogram": [
                {"label": label, "max_bytes": top, "count": self.sizes[label]}
                for top, label in zip((*SIZE_TOPS, None), SIZE_LABELS, strict=True)
            ],
            "near_cosmos_limit": self.near_limit,
            "modified_histogram": [
                {"label": label, "max_seconds": top, "count": self.ages[label]}
                for top, label in zip((*AGE_TOPS, None), AGE_LABELS, strict=True)
            ]
            + [{"label": UNKNOWN_AGE, "max_seconds": None, "count": self.ages[UNKNOWN_AGE]}],
            "dialogs": [{"id": d, "count": n} for d, n in _top(self.dialogs, TOP_DIALOGS)],
            "unreadable": self.unreadable,
            "complete": self.complete,
            "elapsed_seconds": round(self.elapsed, 3),
        }
        if self.request_charge:
            data["request_charge"] = {k: round(v, 2) for k, v in self.request_charge.items()}
        if self.note:
            data["note"] = self.note
        return data


def _top(counter: Counter[str], n: int) -> list[tuple[str, int]]:
    return sorted(counter.items(), key=lambda x: (-x[1], x[0]))[:n]


def size_label(size: int) -> str:
    return SIZE_LABELS[bisect.bisect_right(SIZE_TOPS, size)]


def age_label(seconds: float | None) -> str:
    if seconds is None:
        return UNKNOWN_AGE
    return AGE_LABELS[bisect.bisect_right(AGE_TOPS, seconds)]


class StatsBuilder:
    """Adds listed items and read bodies into a ``StoreStats`` (no I/O).

    Built for scans of millions of items: per item one ``key_kind``, two
    bisections and a few counter updates.
    """

    def __init__(self, prefix: str = "", *, now: datetime | None = None) -> None:
        self.stats = StoreStats(prefix=prefix)
        self.now = now or datetime.now(UTC)
        self.count_keys = True
        self._pairs: Counter[tuple[str, str | None]] = Counter()
        self._sizes = [0] * len(SIZE_LABELS)
        self._ages = [0] * (len(AGE_LABELS) + 1)  # the last one: unknown
        # oldest first: an item written after _since[i] is younger than AGE_TOPS[-1 - i]
        self._since = [self.now - timedelta(seconds=top) for top in reversed(AGE_TOPS)]
        self._size_keys: list[list[str]] = [[] for _ in self._sizes]
        self._age_keys: list[list[str]] = [[] for _ in self._ages]

    def add(self, key: str, size: int | None, modified: datetime | None) -> str:
        """Count one item (its size and age when known); returns its kind."""
        kind, channel = key_kind(key)
        if self.count_keys:
            self._pairs[kind, channel] += 1
        stats = self.stats
        stats.scanned += 1
        if modified is None:
            bucket = len(self._ages) - 1
        else:
            try:
                newer = bisect.bisect_left(self._since, modified)
            except TypeError:  # a time without a zone: UTC
                newer = bisect.bisect_left(self._since, modified.replace(tzinfo=UTC))
            bucket = len(AGE_TOPS) - newer
        self._ages[bucket] += 1
        if len(self._age_keys[bucket]) < SAMPLES:
            self._age_keys[bucket].append(key)
        if size is not None:
            self.add_size(key, size)
        return kind

    def add_rows(self, rows: list[ScanRow]) -> list[tuple[str, bytes]]:
        """``add`` for a page of scanned rows, in one tight loop (the hot path of
        ``stats`` on SQLite); returns the conversations' bodies that came along."""
        pairs, ages, sizes, since = self._pairs, self._ages, self._sizes, self._since
        age_keys, size_keys = self._age_keys, self._size_keys
        count_keys, oldest, stats = self.count_keys, len(AGE_TOPS), self.stats
        left, right, tops, near = bisect.bisect_left, bisect.bisect_right, SIZE_TOPS, NEAR_LIMIT
        largest = stats.largest
        floor = largest[0][0] if len(largest) >= LARGEST else -1
        bodies: list[tuple[str, bytes]] = []
        total = 0
        for key, size, modified, body in rows:
            kind, channel = key_kind(key)
            if count_keys:
                pairs[kind, channel] += 1
            if modified is None:
                bucket = oldest + 1
            else:
                try:
                    bucket = oldest - left(since, modified)
                except TypeError:  # a time without a zone: UTC
                    bucket = oldest - left(since, modified.replace(tzinfo=UTC))
            ages[bucket] += 1
            samples = age_keys[bucket]
            if len(samples) < SAMPLES:
                samples.append(key)
            total += size
            bucket = right(tops, size)
            sizes[bucket] += 1
            samples = size_keys[bucket]
            if len(samples) < SAMPLES:
                samples.append(key)
            if size >= near:
                stats.near_limit += 1
            if size > floor:
                if len(largest) < LARGEST:
                    heapq.heappush(largest, (size, key))
                else:
                    heapq.heapreplace(largest, (size, key))
                floor = largest[0][0] if len(largest) >= LARGEST else -1
            if body is not None and kind == "conversation":
                bodies.append((key, body))
        stats.scanned += len(rows)
        stats.bytes += total
        return bodies

    def add_size(self, key: str, size: int) -> None:
        stats = self.stats
        stats.bytes += size
        bucket = bisect.bisect_right(SIZE_TOPS, size)
        self._sizes[bucket] += 1
        if len(self._size_keys[bucket]) < SAMPLES:
            self._size_keys[bucket].append(key)
        if size >= NEAR_LIMIT:
            stats.near_limit += 1
        largest = stats.largest
        if len(largest) < LARGEST:
            heapq.heappush(largest, (size, key))
        elif size > largest[0][0]:
            heapq.heapreplace(largest, (size, key))

    def add_body(self, store: Storage, item: RawItem) -> None:
        """Count the active dialog in a conversation state's stored body."""
        if _DIALOG_MARK not in item.body:
            return
        try:
            frame = active_dialog(store.decode(item))
        except (StorageError, DialogStackError):
            self.stats.unreadable += 1
            return
        if frame is not None and frame.id:
            self.stats.dialogs[frame.id] += 1
            samples = self.stats.samples.setdefault(f"dialog:{frame.id}", [])
            if len(samples) < SAMPLES:
                samples.append(item.key)

    def finish(self) -> StoreStats:
        """The stats with the counters folded in (call once, at the end)."""
        stats = self.stats
        if self.count_keys:
            counts = KeyCounts()
            for (kind, channel), n in sorted(self._pairs.items(), key=lambda x: str(x[0])):
                counts.add(kind, channel, n)
            stats.counts = counts
        stats.sizes = Counter(dict(zip(SIZE_LABELS, self._sizes, strict=True)))
        stats.ages = Counter(dict(zip([*AGE_LABELS, UNKNOWN_AGE], self._ages, strict=True)))
        for label, keys in zip(SIZE_LABELS, self._size_keys, strict=True):
            stats.samples[f"size:{label}"] = keys
        for label, keys in zip([*AGE_LABELS, UNKNOWN_AGE], self._age_keys, strict=True):
            stats.samples[f"age:{label}"] = keys
        return stats


ProgressCallback = Callable[[int, int | None], None]


async def collect_stats(
    store: Storage,
    prefix: str = "",
    *,
    on_progress: ProgressCallback | None = None,
    budget: ScanBudget | None = None,
    counts_only: bool = False,
    server_counts: bool = True,
    now: datetime | None = None,
    chunk: int = CHUNK,
) -> StoreStats:
    """Scan the keys under ``prefix`` (see the module docstring).

    ``server_counts=False`` counts by the scan even where the store could count
    on the server (to compare what each costs).
    """
    started = time.monotonic()
    builder = StatsBuilder(prefix, now=now)
    stats = builder.stats
    abilities = Abilities.of(store)
    expected: int | None = None
    if abilities.aggregates is not None and server_counts:
        server = await abilities.aggregates.aggregate_counts(prefix)
        if server is not None:
            stats.counts, stats.counts_from = server, "server"
            stats.request_charge["aggregate_counts"] = server.request_charge
            builder.count_keys = False
            expected = server.total
    if counts_only and stats.counts_from == "server":
        stats.elapsed = time.monotonic() - started
        return stats
    scan = _Scan(store, builder, on_progress, budget, expected)
    try:
        if abilities.scanner is not None and not counts_only:
            await scan.rows(abilities.scanner, prefix)
        else:
            await scan.entries(prefix, counts_only=counts_only, chunk=chunk)
    except BudgetSpentError as exc:
        stats.complete, stats.note = False, str(exc)
    scan.progress()
    if abilities.charges is not None:
        stats.request_charge["scan"] = scan.spent()
    builder.finish()
    stats.elapsed = time.monotonic() - started
    return stats


class _Scan:
    """One scan's loop: rows or entries in, progress and budget out."""

    def __init__(
        self,
        store: Storage,
        builder: StatsBuilder,
        on_progress: ProgressCallback | None,
        budget: ScanBudget | None,
        expected: int | None,
    ) -> None:
        self.store = store
        self.builder = builder
        self.on_progress = on_progress
        self.expected = expected
        self.charges = Abilities.of(store).charges
        self.budget = budget if self.charges is not None else None
        self.charged_from = self.charges.total_request_charge if self.charges else 0.0

    def spent(self) -> float:
        return self.charges.total_request_charge - self.charged_from if self.charges else 0.0

    def progress(self) -> None:
        if self.on_progress is not None:
            self.on_progress(self.builder.stats.scanned, self.expected)

    async def checkpoint(self) -> None:
        self.progress()
        if self.budget is not None:
            await self.budget.spend(self.spent())

    async def rows(self, scanner: RowScanner, prefix: str) -> None:
        """One pass: sizes, times and conversation bodies that hold a dialog state."""
        add_rows, add_body, store = self.builder.add_rows, self.builder.add_body, self.store
        async for page in scanner.scan_rows(
            prefix, key_marker="/conversations/", body_marker=_DIALOG_MARK
        ):
            for key, body in add_rows(page):
                add_body(store, RawItem(key=key, body=body))
            await self.checkpoint()

    async def entries(self, prefix: str, *, counts_only: bool, chunk: int) -> None:
        """The listing, and bodies read in chunks where they are needed."""
        builder, store = self.builder, self.store
        pending: list[str] = []
        unsized: set[str] = set()
        conversations: set[str] = set()

        async def read_pending() -> None:
            for item in (await store.read_raw(pending)).values():
                if item.key in unsized:
                    builder.add_size(item.key, item.size)
                if item.key in conversations:
                    builder.add_body(store, item)
            pending.clear()
            unsized.clear()
            conversations.clear()
            if self.budget is not None:
                await self.budget.spend(self.spent())

        async for entry in store.iter_entries(prefix):
            kind = builder.add(entry.key, entry.size, entry.last_modified)
            if not counts_only:
                if entry.size is None:
                    unsized.add(entry.key)
                if kind == "conversation":
                    conversations.add(entry.key)
                if entry.size is None or kind == "conversation":
                    pending.append(entry.key)
                if len(pending) >= chunk:
                    await read_pending()
            if builder.stats.scanned % 1000 == 0:
                await self.checkpoint()
        if pending:
            await read_pending()


def subtree_prefix(node: Node) -> tuple[str, str] | None:
    """The key prefix of a tree row's subtree and its path below the connection
    (``"msteams / Users"``), for Insights on it.

    A connection is the whole store (``("", "")``); a channel, an agent and their
    Users / Conversations groups are key prefixes. Other rows (one state,
    "Other keys") have no prefix of their own: ``None``.
    """
    path = node.path()
    if not path:
        return None
    prefix, names = "", []
    for below in path[1:]:
        if below.kind is NodeKind.CHANNEL:
            prefix += f"{below.label}/"
        elif below.kind is NodeKind.AGENT:
            prefix += f"{below.label.removeprefix('agent ')}/"
        elif below.kind is NodeKind.USERS:
            prefix += "users/"
        elif below.kind is NodeKind.CONVERSATIONS:
            prefix += "conversations/"
        else:
            return None
        names.append(below.label)
    return prefix, " / ".join(names)

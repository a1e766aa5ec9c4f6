"""Store insights over memory and SQLite: a store of known composition, buckets,
dialog forms, progress, a request-unit budget, and the one-pass SQLite scan
agreeing with the generic listing + reads."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from explorer.core.items import Entry, RawItem
from explorer.storage.base import Capability, StorageBase
from explorer.storage.memory import MemoryStorage
from explorer.workspace.stats import (
    AGE_LABELS,
    NEAR_LIMIT,
    SAMPLES,
    SIZE_LABELS,
    ScanBudget,
    StatsBuilder,
    age_label,
    collect_stats,
    size_label,
)
from tests.support.known_store import EXPECTED, KNOWN


async def _fill(store: StorageBase) -> None:
    await store.write(KNOWN)


def _comparable(data: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if k not in ("elapsed_seconds",)}


def check_known(data: dict[str, Any]) -> None:
    """``data`` (``StoreStats.as_json``) describes ``KNOWN`` exactly."""
    for name in ("total", "kinds", "channels", "dialogs", "unreadable"):
        assert data[name] == EXPECTED[name], name
    assert data["largest"][0]["key"] == EXPECTED["largest"]
    assert len(data["largest"]) == 10
    sizes = [x["bytes"] for x in data["largest"]]
    assert sizes == sorted(sizes, reverse=True)
    assert sum(b["count"] for b in data["size_histogram"]) == EXPECTED["total"]
    assert sum(b["count"] for b in data["modified_histogram"]) == EXPECTED["total"]
    assert data["complete"] is True


async def test_a_store_of_known_composition(storage: StorageBase) -> None:
    await _fill(storage)
    stats = await collect_stats(storage)
    data = stats.as_json()
    check_known(data)
    assert data["counts_from"] == "scan"
    assert data["scanned"] == EXPECTED["total"]
    listed = [e async for e in storage.iter_entries()]
    assert data["bytes"] == sum(e.size or 0 for e in listed)
    assert data["modified_histogram"][0] == {"label": "< 1 hour", "max_seconds": 3600, "count": 19}
    assert "request_charge" not in data  # neither store charges request units


async def test_a_prefix_is_a_subtree(storage: StorageBase) -> None:
    await _fill(storage)
    data = (await collect_stats(storage, "webchat/")).as_json()
    assert data["prefix"] == "webchat/"
    assert data["total"] == 5
    assert data["channels"] == {"webchat": EXPECTED["channels"]["webchat"]}
    assert data["dialogs"] == [{"id": "bookingDialog", "count": 1}]


async def test_sqlite_one_pass_scan_agrees_with_listing_and_reads(tmp_path: Any) -> None:
    from explorer.storage.sqlite import SqliteStorage

    now = datetime.now(UTC) + timedelta(days=3)
    async with SqliteStorage(tmp_path / "s.db") as sqlite:
        await _fill(sqlite)
        one_pass = (await collect_stats(sqlite, now=now)).as_json()
        generic = MemoryStorage()  # the generic path, on the very same stored items
        for item in (await sqlite.read_raw(list(KNOWN))).values():
            generic._items[item.key] = item
            generic._index.add(item.key)  # its key index, as write_raw keeps it
        listed = (await collect_stats(generic, now=now)).as_json()
    assert _comparable(one_pass) == _comparable(listed)
    assert one_pass["modified_histogram"][2]["label"] == "1-7 days"
    assert one_pass["modified_histogram"][2]["count"] == 19


def test_buckets_and_their_edges() -> None:
    assert size_label(0) == "< 1 KB"
    assert size_label(1023) == "< 1 KB"
    assert size_label(1024) == "1-4 KB"
    assert size_label(NEAR_LIMIT) == "1.6-2 MB (near the Cosmos DB limit)"
    assert size_label(2 * 1024 * 1024) == ">= 2 MB (over the Cosmos DB limit)"
    assert age_label(None) == "unknown"
    assert age_label(3599) == "< 1 hour"
    assert age_label(3600) == "1 hour-1 day"
    assert age_label(10**9) == "> 1 year"
    now = datetime(2024, 5, 1, tzinfo=UTC)
    builder = StatsBuilder(now=now)
    ages = [timedelta(minutes=5), timedelta(hours=1), timedelta(days=2), timedelta(days=400)]
    for i, age in enumerate(ages):
        builder.add(f"k{i}", 10, now - age)
    builder.add("naive", 10, datetime(2024, 4, 30, 23, 59))  # no zone: taken as UTC
    builder.add("unknown", None, None)
    builder.add("near", NEAR_LIMIT + 1, now)
    stats = builder.finish()
    assert [stats.ages[label] for label in AGE_LABELS] == [3, 1, 1, 0, 0, 0, 1]
    assert stats.ages["unknown"] == 1
    assert stats.near_limit == 1
    assert stats.sizes[SIZE_LABELS[0]] == 5
    assert stats.bytes == 50 + NEAR_LIMIT + 1
    assert stats.largest_items()[0] == {"key": "near", "bytes": NEAR_LIMIT + 1}


class Charged(MemoryStorage):
    """A memory store charging 5 RU per read call and 1 RU per listed page."""

    capabilities = frozenset({Capability.REQUEST_CHARGE})

    def __init__(self) -> None:
        super().__init__()
        self.total_request_charge = 0.0
        self.last_request_charge = 0.0

    async def read_raw(self, keys: Sequence[str]) -> dict[str, RawItem]:
        self.total_request_charge += 5
        return await super().read_raw(keys)


async def test_a_budget_stops_the_scan_and_says_so() -> None:
    store = Charged()
    await store.write({f"webchat/conversations/c{i:04d}": {"n": i} for i in range(100)})
    stats = await collect_stats(store, budget=ScanBudget(total=12), chunk=10)
    assert stats.complete is False
    assert "budget of 12 RU" in (stats.note or "")
    assert stats.request_charge == {"scan": 15.0}  # stopped at the first check over 12
    assert stats.scanned < 100
    assert stats.as_json()["complete"] is False


async def test_a_rate_budget_paces_the_scan() -> None:
    budget = ScanBudget(per_second=100)
    loop = asyncio.get_running_loop()
    started = loop.time()
    await budget.spend(20)  # 20 RU at 100 RU/s: 0.2 s from the start
    assert loop.time() - started >= 0.15
    started = loop.time()
    await budget.spend(20)  # already paid for
    assert loop.time() - started < 0.1


async def test_progress_is_reported_and_the_scan_can_be_cancelled() -> None:
    store = MemoryStorage()
    await store.write({f"msteams/users/u{i:05d}": {"n": i} for i in range(2500)})
    seen: list[tuple[int, int | None]] = []
    stats = await collect_stats(store, on_progress=lambda n, of: seen.append((n, of)))
    assert seen == [(1000, None), (2000, None), (2500, None)]
    assert len(stats.samples["size:< 1 KB"]) == SAMPLES  # a few keys per bar, not all

    class Slow(MemoryStorage):
        async def read_raw(self, keys: Sequence[str]) -> dict[str, RawItem]:
            await asyncio.sleep(10)
            return {}

        async def iter_entries(self, prefix: str = "") -> Any:
            yield Entry(key="msteams/users/u", size=None)

    task = asyncio.create_task(collect_stats(Slow()))
    await asyncio.sleep(0.05)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


async def test_samples_reach_the_items_behind_each_bar(storage: StorageBase) -> None:
    await _fill(storage)
    stats = await collect_stats(storage)
    booking = stats.samples["dialog:bookingDialog"]
    assert sorted(booking) == sorted(
        [
            "msteams/conversations/19:abc@thread.tacv2;messageid=1",
            "webchat/conversations/c1|livechat/",
        ]
    )
    assert EXPECTED["largest"] in stats.samples["size:16-64 KB"]
    assert len(stats.samples["age:< 1 hour"]) == 19  # all of them: fewer than SAMPLES
    assert "samples" not in stats.as_json()


def test_subtree_prefix_of_tree_rows() -> None:
    from explorer.workspace.stats import subtree_prefix
    from explorer.workspace.tree import NodeKind, StateTree

    tree = StateTree()
    conn = tree.add_connection("known", store=None)
    tree.add_entries(conn, [Entry(key=k) for k in KNOWN])
    assert subtree_prefix(conn) == ("", "")
    channel = conn.index["c:msteams"]
    assert subtree_prefix(channel) == ("msteams/", "msteams")
    assert subtree_prefix(channel.index["\0users"]) == ("msteams/users/", "msteams / Users")
    agent = channel.index["a:28:bot"]
    assert subtree_prefix(agent.index["\0convs"]) == (
        "msteams/28:bot/conversations/",
        "msteams / agent 28:bot / Conversations",
    )
    user = conn.by_key["msteams/users/29:1AbC"]
    assert user.kind is NodeKind.USER
    assert subtree_prefix(user) is None  # one state: no subtree of its own

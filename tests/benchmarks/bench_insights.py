"""Store insights benchmark against a raw listing of the same store, in the same run.

``stats_vs_raw_listing``: ``collect_stats`` (every count, size, age and the
active dialog of every conversation: a full scan) on a SQLite store of 100,000
demo items (``--quick``: the same, fewer repeats) over draining
``iter_entries()`` of the same store (what ``ls`` reads: keys, sizes, times).
Value: median(stats seconds) / median(listing seconds); the target is <= 2.0.
Rounds alternate who goes first. The detail also gives both against a bare
stdlib ``sqlite3`` SELECT of the same columns.
"""

from __future__ import annotations

import sqlite3
import tempfile
import time
from pathlib import Path

from explorer.storage.sqlite import SqliteStorage
from explorer.workspace.demo import demo_items
from explorer.workspace.stats import StoreStats, collect_stats
from tests.benchmarks.run import Context, Result, benchmark, median
from tests.benchmarks.timing import rounds


def _sqlite3_listing(path: Path) -> float:
    started = time.perf_counter()
    conn = sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True)
    for _ in conn.execute("SELECT key, length(body), last_modified FROM items ORDER BY key"):
        pass
    conn.close()
    return time.perf_counter() - started


@benchmark("stats_vs_raw_listing")
async def stats_vs_raw_listing(ctx: Context) -> Result:
    # quick: all the items, fewer rounds. With a third (32,000 items) the listing
    # took 0.094 s a repeat and the ratio was 1.71 against 1.36 for all of them
    users, conversations = 48_000, 32_000
    count = 3 if ctx.quick else 5
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "stats.db"
        items = demo_items(users=users, conversations=conversations)
        async with SqliteStorage(path) as store:
            await store.write_raw_many(items)
        async with SqliteStorage(path, read_only=True) as store:

            async def ours() -> StoreStats:
                return await collect_stats(store)

            async def theirs() -> int:
                listed = 0
                async for _ in store.iter_entries():
                    listed += 1
                return listed

            def check(stats: StoreStats, listed: int) -> None:
                assert stats.counts.total == stats.scanned == listed == len(items)
                assert stats.dialogs

            times = await rounds(
                count,
                ours=ours,
                theirs=theirs,
                check=check,
                alternate=True,
            )
            stats = await collect_stats(store)
        plain = median([_sqlite3_listing(path) for _ in range(3)])
    ours_s, theirs_s = median(times.ours), median(times.theirs)
    return Result(
        round(ours_s / theirs_s, 2),
        "x the store's raw listing (seconds; target <= 2.0)",
        {
            "items": len(items),
            "conversations_with_dialogs": sum(stats.dialogs.values()),
            "stats_s": round(ours_s, 3),
            "listing_s": round(theirs_s, 3),
            "stdlib_sqlite3_select_s": round(plain, 3),
            "stats_over_sqlite3": round(ours_s / plain, 2),
            "repeats": len(times.ours),
        },
        times.runs(),
    )

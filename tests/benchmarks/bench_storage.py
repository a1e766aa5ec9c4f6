"""SQLite storage benchmarks against plain stdlib ``sqlite3``, measured in the same run.

``sqlite_bulk_insert``: 100,000 items written with
``SqliteStorage.write_raw_many`` (etags, timestamps, worker thread, one
transaction) over the same rows inserted with one ``executemany`` into a bare
two-column table on the calling thread. Value: our items/s over theirs.

``sqlite_turn_vs_blocking``: a bot turn at the storage level (``read`` one
document, change it, ``write`` it back with its etag) on ``SqliteStorage``,
over the same SELECT + ``BEGIN IMMEDIATE`` / etag-checked UPDATE / COMMIT done
with blocking ``sqlite3`` calls on the event loop thread (what the worker thread
exists to avoid). Value: our turns/s over theirs, the price of never blocking.

Repeats alternate ours / theirs; the value is median(ours) / median(theirs).
"""

from __future__ import annotations

import json
import sqlite3
import tempfile
import time
import uuid
from pathlib import Path

from explorer.core.items import RawItem
from explorer.storage.sqlite import SqliteStorage
from tests.benchmarks.run import Context, Result, benchmark, median, paired, ratio

BODY = json.dumps({"Count": 3, "Profile": {"name": "Ada", "visits": 12}}).encode()
# sizes and repeats, full run / --quick: both take seconds, so --quick measures
# the same (20,000 rows gave 0.31 against 0.39 for 100,000: fixed costs weigh more).
# Five repeats, who goes first alternating, so drift hits both sides (with three,
# ours always first, two runs of the same code on the shared machine gave 0.23
# and 0.42 for the turns)
BULK_ITEMS, BULK_ITEMS_QUICK = 100_000, 100_000
BULK_REPEATS, BULK_REPEATS_QUICK = 5, 5
TURNS, TURNS_QUICK = 5_000, 5_000
TURN_REPEATS, TURN_REPEATS_QUICK = 5, 5


def _rows(count: int) -> list[tuple[str, bytes]]:
    return [(f"msteams/users/29:{i:07d}-AbC", BODY) for i in range(count)]


async def _ours_bulk(folder: Path, rows: list[tuple[str, bytes]]) -> float:
    async with SqliteStorage(folder / f"{uuid.uuid4().hex}.db") as store:
        await store.open()
        started = time.perf_counter()
        await store.write_raw_many(RawItem(key=k, body=b) for k, b in rows)
        return len(rows) / (time.perf_counter() - started)


def _theirs_bulk(folder: Path, rows: list[tuple[str, bytes]]) -> float:
    conn = sqlite3.connect(folder / f"{uuid.uuid4().hex}.db", isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = NORMAL")
    conn.execute("CREATE TABLE items (key TEXT PRIMARY KEY, body BLOB) WITHOUT ROWID")
    started = time.perf_counter()
    conn.execute("BEGIN IMMEDIATE")
    conn.executemany("INSERT INTO items VALUES (?, ?)", rows)
    conn.execute("COMMIT")
    rate = len(rows) / (time.perf_counter() - started)
    conn.close()
    return rate


@benchmark("sqlite_bulk_insert")
async def sqlite_bulk_insert(ctx: Context) -> Result:
    count = ctx.pick(BULK_ITEMS_QUICK, BULK_ITEMS)
    repeats = ctx.pick(BULK_REPEATS_QUICK, BULK_REPEATS)
    rows = _rows(count)
    ours: list[float] = []
    theirs: list[float] = []
    with tempfile.TemporaryDirectory() as tmp:
        for index in range(repeats):  # who goes first alternates: drift hits both
            if index % 2:
                theirs.append(_theirs_bulk(Path(tmp), rows))
            ours.append(await _ours_bulk(Path(tmp), rows))
            if not index % 2:
                theirs.append(_theirs_bulk(Path(tmp), rows))
    return Result(
        ratio(ours, theirs, 2),
        "x plain sqlite3 executemany items/s",
        {
            "items": count,
            "ours_items_per_s": round(median(ours)),
            "sqlite3_items_per_s": round(median(theirs)),
            "ours_seconds": round(count / median(ours), 2),
        },
        paired(ours, theirs),
    )


async def _ours_turns(store: SqliteStorage, key: str, turns: int) -> float:
    started = time.perf_counter()
    for _ in range(turns):
        document = (await store.read([key]))[key]
        document["Count"] += 1
        await store.write({key: document})
    return turns / (time.perf_counter() - started)


def _theirs_turns(conn: sqlite3.Connection, key: str, turns: int) -> float:
    started = time.perf_counter()
    for _ in range(turns):
        body, etag = conn.execute("SELECT body, etag FROM t WHERE key = ?", (key,)).fetchone()
        document = json.loads(body)
        document["Count"] += 1
        conn.execute("BEGIN IMMEDIATE")
        updated = conn.execute(
            "UPDATE t SET body = ?, etag = ? WHERE key = ? AND etag = ?",
            (json.dumps(document).encode(), uuid.uuid4().hex, key, etag),
        ).rowcount
        conn.execute("COMMIT")
        assert updated == 1
    return turns / (time.perf_counter() - started)


@benchmark("sqlite_turn_vs_blocking")
async def sqlite_turn_vs_blocking(ctx: Context) -> Result:
    turns = ctx.pick(TURNS_QUICK, TURNS)
    repeats = ctx.pick(TURN_REPEATS_QUICK, TURN_REPEATS)
    key = "msteams/users/29:1AbC"
    ours: list[float] = []
    theirs: list[float] = []
    with tempfile.TemporaryDirectory() as tmp:
        conn = sqlite3.connect(Path(tmp) / "blocking.db", isolation_level=None)
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = NORMAL")
        conn.execute("CREATE TABLE t (key TEXT PRIMARY KEY, body BLOB, etag TEXT) WITHOUT ROWID")
        conn.execute("INSERT INTO t VALUES (?, ?, ?)", (key, BODY, "0"))
        async with SqliteStorage(Path(tmp) / "ours.db") as store:
            await store.write({key: json.loads(BODY)})
            for index in range(repeats):  # who goes first alternates: drift hits both
                if index % 2:
                    theirs.append(_theirs_turns(conn, key, turns))
                ours.append(await _ours_turns(store, key, turns))
                if not index % 2:
                    theirs.append(_theirs_turns(conn, key, turns))
            final = (await store.read([key]))[key]["Count"]
        conn.close()
    assert final == 3 + turns * repeats, final
    return Result(
        ratio(ours, theirs, 2),
        "x blocking sqlite3 turns/s",
        {
            "ours_turns_per_s": round(median(ours)),
            "blocking_turns_per_s": round(median(theirs)),
            "turns_per_run": turns,
        },
        paired(ours, theirs),
    )

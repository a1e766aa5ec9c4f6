"""The explorer window on big stores: first rows and event-loop stalls while listing.

- ``gui_first_rows_s``: a SQLite store of 100,000 keys (Teams-like ids over 5
  channels: users, conversations, private states); seconds from Connect to the
  first rows shown under the connection (target < 0.5). Peer: the raw
  ``SqliteStorage`` opening and yielding its first page, in the same run.
- ``gui_max_stall_ms``: the same runs; the largest gap of a 5 ms QTimer
  heartbeat from Connect until all 100,000 keys are in the tree (target < 50),
  also with the first channel's Users group expanded while the rest streams
  in. Peer in detail: the whole window listing over the raw store listing.
- ``gui_first_rows_azurite_s`` / ``gui_max_stall_azurite_ms``: 20,000 blobs in
  Azurite (python names); the window lists per node there (top level, then
  the first channel, then its Users through ``fetchMore``).

Each run is a fresh process (``tests.benchmarks.gui_probe``, offscreen Qt
with qasync); values are medians of the repeats, the worst run in detail,
with the machine's load average (other work on a shared machine shows up as
stalls). ``--quick``: the same sizes, 3 repeats on Azurite.
"""

from __future__ import annotations

import asyncio
import json
import os
import tempfile
import time
from pathlib import Path
from typing import Any

from explorer.core.items import RawItem
from explorer.storage.sqlite import SqliteStorage
from tests.benchmarks.run import Context, Result, benchmark, median, probe

CHANNELS = ("msteams", "webchat", "slack", "directline", "msteams:COPILOT")
BODY = json.dumps({"UserProfile": {"name": "Ada", "age": 37}, "prefs": {"lang": "fr"}}).encode()


def bench_keys(count: int) -> list[str]:
    """60% users, 30% conversations, 10% private states; long Teams-like ids."""
    keys = []
    for i in range(count):
        channel, kind = CHANNELS[i % 5], i % 10
        if kind < 6:
            keys.append(f"{channel}/users/29:1{i:08d}AbCdEfGhIjKlMnOpQrStUvWxYz")
        elif kind < 9:
            keys.append(f"{channel}/conversations/a:1{i:08d}Q;messageid=17")
        else:
            keys.append(f"{channel}/conversations/a:1{i - 1:08d}Q;messageid=17/users/29:1{i}/")
    return keys


async def _probe(url: str, *extra: str) -> dict[str, Any]:
    return await probe("gui_probe", url, *extra)


# sizes and repeats, full run / --quick. The stalls grow with the keys listed
# and Azurite's cost per request with the blobs it holds (20,000 SQLite keys gave
# 33 ms against 63 ms; 2,000 blobs 0.17 s and 29 ms against 0.55 s and 143 ms),
# so --quick keeps the sizes; it runs fewer of the Azurite runs (a minute each
# on a busy machine) and as many of the SQLite ones (seconds each)
SQLITE_KEYS, SQLITE_KEYS_QUICK = 100_000, 100_000
BLOBS, BLOBS_QUICK = 20_000, 20_000
SQLITE_REPEATS, SQLITE_REPEATS_QUICK = 5, 5
AZURITE_REPEATS, AZURITE_REPEATS_QUICK = 5, 3


async def _sqlite_runs(ctx: Context) -> dict[str, Any]:
    if "gui_sqlite" in ctx.resources:
        cached: dict[str, Any] = ctx.resources["gui_sqlite"]
        return cached
    count = ctx.pick(SQLITE_KEYS_QUICK, SQLITE_KEYS)
    folder = tempfile.TemporaryDirectory(prefix="bench-gui-")
    ctx.cleanups.append(folder.cleanup)
    path = Path(folder.name) / "state.db"
    async with SqliteStorage(path) as store:
        await store.write_raw_many(RawItem(key=k, body=BODY) for k in bench_keys(count))
    url = f"sqlite:{path}"
    repeats = ctx.pick(SQLITE_REPEATS_QUICK, SQLITE_REPEATS)
    plain = [await _probe(url) for _ in range(repeats)]
    expanded = [await _probe(url, "--expand-users") for _ in range(repeats)]
    first_page, full = [], []
    for _ in range(repeats):
        started = time.perf_counter()
        async with SqliteStorage(path, read_only=True) as store:
            listed = 0
            async for _entry in store.iter_entries(""):
                listed += 1
                if listed == 1:
                    first_page.append(time.perf_counter() - started)
            full.append(time.perf_counter() - started)
    runs = {"count": count, "plain": plain, "expanded": expanded}
    runs["raw_first_s"], runs["raw_full_s"] = median(first_page), median(full)
    ctx.resources["gui_sqlite"] = runs
    return runs


def _load() -> float:
    return round(os.getloadavg()[0], 2)


@benchmark("gui_first_rows_s")
async def first_rows(ctx: Context) -> Result:
    runs = await _sqlite_runs(ctx)
    values = [r["first_rows_s"] for r in runs["plain"]]
    value = median(values)
    return Result(
        round(value, 3),
        "s (connect to first rows shown, lower is better; target < 0.5)",
        {
            "keys": runs["count"],
            "runs": values,
            "raw_store_first_entry_s": round(runs["raw_first_s"], 4),
            "ratio_to_raw_first_entry": round(value / runs["raw_first_s"], 1),
            "load_average": _load(),
        },
        values,
    )


@benchmark("gui_max_stall_ms")
async def max_stall(ctx: Context) -> Result:
    runs = await _sqlite_runs(ctx)
    plain = [r["max_stall_ms"] for r in runs["plain"]]
    expanded = [r["max_stall_ms"] for r in runs["expanded"]]
    listed = median([r["listed_s"] for r in runs["plain"]])
    return Result(
        median(plain),
        "ms (largest event-loop stall while listing, lower is better; target < 50)",
        {
            "keys": runs["count"],
            "runs": plain,
            "users_expanded_median_ms": median(expanded),
            "users_expanded_runs": expanded,
            "window_listing_s": round(listed, 2),
            "raw_listing_s": round(runs["raw_full_s"], 2),
            "ratio_window_to_raw_listing": round(listed / runs["raw_full_s"], 1),
            "load_average": _load(),
        },
        plain,
    )


async def _azurite_runs(ctx: Context) -> dict[str, Any]:
    if "gui_azurite" in ctx.resources:
        cached: dict[str, Any] = ctx.resources["gui_azurite"]
        return cached
    from azure.storage.blob.aio import ContainerClient

    from tests.support import azurite as azurite_support

    emulator = azurite_support.start()
    ctx.cleanups.append(emulator.stop)
    count = ctx.pick(BLOBS_QUICK, BLOBS)
    container = azurite_support.unique_container("gui")
    cs = emulator.connection_string
    async with ContainerClient.from_connection_string(cs, container) as client:
        await client.create_container()
        limit = asyncio.Semaphore(64)

        async def put(key: str) -> None:
            async with limit:
                await client.upload_blob(key, BODY)  # botbuilder-python names: the key

        await asyncio.gather(*(put(k) for k in bench_keys(count)))
    url = f"blob://{container}"
    repeats = ctx.pick(AZURITE_REPEATS_QUICK, AZURITE_REPEATS)
    runs = [await _probe(url, "--connection-string", cs) for _ in range(repeats)]
    result = {"count": count, "runs": runs}
    ctx.resources["gui_azurite"] = result
    return result


@benchmark("gui_first_rows_azurite_s")
async def first_rows_azurite(ctx: Context) -> Result:
    runs = await _azurite_runs(ctx)
    values = [r["first_rows_s"] for r in runs["runs"]]
    return Result(
        round(median(values), 3),
        "s (connect to first rows shown on Azurite, lower is better; target < 0.5)",
        {"blobs": runs["count"], "runs": values, "load_average": _load()},
        values,
    )


@benchmark("gui_max_stall_azurite_ms")
async def max_stall_azurite(ctx: Context) -> Result:
    runs = await _azurite_runs(ctx)
    values = [r["max_stall_ms"] for r in runs["runs"]]
    return Result(
        median(values),
        "ms (largest stall: top level, first channel and its Users listed; target < 50)",
        {
            "blobs": runs["count"],
            "runs": values,
            "listed_s": median([r["listed_s"] for r in runs["runs"]]),
            "users_listed": [r["items"] for r in runs["runs"]],
            "load_average": _load(),
        },
        values,
    )

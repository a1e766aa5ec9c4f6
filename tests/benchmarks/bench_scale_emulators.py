"""The window over big emulator stores (issue 13): Blob first screen, bytes, Cosmos DB RU.

Stores hold the key mix of the big SQLite stores (``tests.support.bigstore``):
Azurite's data directory is written by ``tests.support.azurite_bulk`` (the same
keys and bodies as ``bigstore.fill_blob``; filling 110,000 blobs through the
API takes over an hour, Azurite's cost per upload grows with its blob count),
Cosmos DB is filled with ``bigstore.fill_cosmos``. Each figure comes from
``screen_probe`` runs in fresh processes, each driving the window as
``gui STORE --screenshot`` does (connect, then the first user state selected
and shown).

- ``scale_blob_first_rows_s``: 100,000 blobs on Azurite (10,000 with
  ``--quick``), connect → the first rows under the connection shown in the
  tree (as ``scale_sqlite_first_rows_s``), median of repeats; target ≤ 0.5.
- ``scale_blob_first_screen_s``: the same runs, connect → the first user state
  shown; no target.
- ``scale_blob_bytes_ratio``: bytes Azurite sent from connect to the first
  screen on the big container over the same on a container a tenth of its size
  (10,000 blobs; 1,000 with ``--quick``), both in one Azurite (its per-request
  cost grows with its blob count, so they are compared within one instance);
  counted by a TCP proxy in the probe. Target ≤ 1.5.
- ``scale_blob_js_first_screen_s`` and ``scale_blob_js_bytes_ratio``: the same
  two figures on containers whose blobs are named as botbuilder-js names them
  (flat, ``%2F``-escaped: each level is walked by ``%2F`` as the delimiter).
- ``scale_cosmos_connect_ru_ratio``: RU spent from connect to the first screen
  on 10,000 documents (1,000 with ``--quick``) over the RU of a full listing
  (``iter_entries``) of the same container, on the cosmos emulator; target
  ≤ 0.05. The emulator (cosmosdb-server) charges a flat ~1 RU per request
  whatever it reads, so there the ratio is one of *requests*; the detail also
  gives the items each side read, the figure real Cosmos DB's charge follows.

The Azurite data directory holding both containers is cached under
``.cache/bench/azurite/`` and copied for each run; Azurite removes its copy
when it stops.
"""

from __future__ import annotations

import asyncio
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from tests.benchmarks.run import Context, Result, benchmark, median, probe
from tests.support import azurite as azurite_support
from tests.support import azurite_bulk, bigstore
from tests.support import cosmos_emulator as emulator_support

CACHE = bigstore.ROOT / ".cache" / "bench" / "azurite"
BIG, SMALL = "big", "small"
REPEATS, REPEATS_QUICK = 5, 3
DATABASE, COSMOS_CONTAINER = "scale", "state"


def _sizes(ctx: Context) -> tuple[int, int]:
    big = ctx.pick(10_000, 100_000)
    return big, big // 10


async def _azurite(ctx: Context, form: str = "python") -> azurite_support.Azurite:
    """Azurite serving a copy of the cached data directory of ``form``'s names
    (built on first use)."""
    resource = f"scale_azurite_{form}"
    if resource in ctx.resources:
        running: azurite_support.Azurite = ctx.resources[resource]
        return running
    sizes = _sizes(ctx)
    named = "" if form == "python" else f"{form}-"
    cached = CACHE / f"bulk-{named}{sizes[0]}-{sizes[1]}-v{bigstore.VERSION}"
    if not cached.exists():
        building = Path(tempfile.mkdtemp(prefix="azurite-build-", dir=CACHE.parent))
        started = time.perf_counter()
        await azurite_bulk.build(building, {BIG: sizes[0], SMALL: sizes[1]}, form)
        took = time.perf_counter() - started
        print(f"# wrote {sum(sizes):,} {form} blobs for Azurite in {took:.1f}s", file=sys.stderr)
        await asyncio.to_thread(CACHE.mkdir, parents=True, exist_ok=True)
        await asyncio.to_thread(building.rename, cached)
    copy = Path(tempfile.mkdtemp(prefix="azurite-scale-")) / "data"
    await asyncio.to_thread(shutil.copytree, cached, copy)
    emulator = azurite_support.start(location=copy, timeout=300)  # loads 110k records
    ctx.cleanups.append(emulator.stop)
    ctx.resources[resource] = emulator
    return emulator


async def _blob_runs(ctx: Context, form: str = "python") -> dict[str, Any]:
    resource = f"scale_blob_{form}"
    if resource in ctx.resources:
        cached: dict[str, Any] = ctx.resources[resource]
        return cached
    emulator = await _azurite(ctx, form)
    cs = emulator.connection_string
    await probe("screen_probe", f"blob://{BIG}", "--secret", cs)  # warm-up (Azurite's caches)
    first = [
        await probe("screen_probe", f"blob://{BIG}", "--secret", cs)
        for _ in range(ctx.pick(REPEATS_QUICK, REPEATS))
    ]
    big_bytes = await probe("screen_probe", f"blob://{BIG}", "--secret", cs, "--bytes")
    small_bytes = await probe("screen_probe", f"blob://{SMALL}", "--secret", cs, "--bytes")
    result = {"sizes": _sizes(ctx), "first": first, "big": big_bytes, "small": small_bytes}
    ctx.resources[resource] = result
    return result


def _selected(runs: dict[str, Any]) -> str:
    selected = {r["selected"] for r in runs["first"]}
    if len(selected) != 1 or None in selected:
        raise RuntimeError(f"the first screen selected {selected}, not one user state")
    return str(selected.pop())


@benchmark("scale_blob_first_rows_s")
async def scale_blob_first_rows(ctx: Context) -> Result:
    runs = await _blob_runs(ctx)
    values = [r["first_rows_s"] for r in runs["first"]]
    screens = [r["first_screen_s"] for r in runs["first"]]
    return Result(
        round(median(values), 3),
        f"s (connect to the first rows under the connection, {runs['sizes'][0]:,} blobs on "
        "Azurite; target <= 0.5)",
        {
            "first_screen_s": round(median(screens), 3),
            "selected": _selected(runs),
            "rows": runs["first"][0]["rows"],
        },
        runs=values,
    )


@benchmark("scale_blob_first_screen_s")
async def scale_blob_first_screen(ctx: Context) -> Result:
    runs = await _blob_runs(ctx)
    values = [r["first_screen_s"] for r in runs["first"]]
    return Result(
        round(median(values), 3),
        f"s (connect to the first user state shown, {runs['sizes'][0]:,} blobs on Azurite; "
        "no target)",
        {"selected": _selected(runs), "rows": runs["first"][0]["rows"]},
        runs=values,
    )


async def _bytes_ratio(ctx: Context, form: str, blobs: str) -> Result:
    runs = await _blob_runs(ctx, form)
    big, small = runs["big"]["bytes"], runs["small"]["bytes"]
    value = big / small
    return Result(
        round(value, 3),
        f"x (bytes read connect to first screen, {runs['sizes'][0]:,} over "
        f"{runs['sizes'][1]:,} {blobs}; target <= 1.5)",
        {"big_bytes": big, "small_bytes": small},
        runs=[value],
    )


@benchmark("scale_blob_bytes_ratio")
async def scale_blob_bytes_ratio(ctx: Context) -> Result:
    return await _bytes_ratio(ctx, "python", "blobs")


@benchmark("scale_blob_js_first_screen_s")
async def scale_blob_js_first_screen(ctx: Context) -> Result:
    runs = await _blob_runs(ctx, "js")
    values = [r["first_screen_s"] for r in runs["first"]]
    return Result(
        round(median(values), 3),
        f"s (connect to the first user state shown, {runs['sizes'][0]:,} blobs named as "
        "botbuilder-js names them, %2F-escaped and flat, on Azurite; no target)",
        {
            "first_rows_s": round(median([r["first_rows_s"] for r in runs["first"]]), 3),
            "selected": _selected(runs),
            "rows": runs["first"][0]["rows"],
        },
        runs=values,
    )


@benchmark("scale_blob_js_bytes_ratio")
async def scale_blob_js_bytes_ratio(ctx: Context) -> Result:
    return await _bytes_ratio(ctx, "js", "js-named blobs (as for python names)")


async def _full_listing_charge(emulator: emulator_support.Emulator, url: str) -> dict[str, float]:
    from explorer.storage.abilities import Abilities
    from explorer.storage.cosmos import from_url

    store = from_url(
        url, endpoint=emulator.endpoint, key=emulator.key, insecure=True, read_only=True
    )
    async with store:
        charges = Abilities.of(store).charges
        assert charges is not None
        before = charges.total_request_charge
        items = sum([1 async for _ in store.iter_entries("")])
        return {"request_charge": charges.total_request_charge - before, "items": items}


@benchmark("scale_cosmos_connect_ru_ratio")
async def scale_cosmos_connect_ru_ratio(ctx: Context) -> Result:
    from azure.cosmos import PartitionKey
    from azure.cosmos.aio import CosmosClient

    count = ctx.pick(1_000, 10_000)
    emulator = emulator_support.start()
    ctx.cleanups.append(emulator.stop)
    started = time.perf_counter()
    async with CosmosClient(emulator.endpoint, emulator.key, connection_verify=False) as client:
        database = await client.create_database(DATABASE)
        container = await database.create_container(COSMOS_CONTAINER, PartitionKey(path="/id"))
        await bigstore.fill_cosmos(container, count)
    print(f"# filled {count:,} documents in {time.perf_counter() - started:.1f}s", file=sys.stderr)
    url = f"cosmos://{DATABASE}/{COSMOS_CONTAINER}"
    args = ("--secret", emulator.key, "--endpoint", emulator.endpoint)
    screens = [await probe("screen_probe", url, *args) for _ in range(ctx.pick(3, 3))]
    full = [await _full_listing_charge(emulator, url) for _ in range(ctx.pick(3, 3))]
    connect = [s["request_charge"] for s in screens]
    listing = [f["request_charge"] for f in full]
    ratios = [c / f for c, f in zip(connect, listing, strict=True)]
    return Result(
        round(median(ratios), 4),
        f"x (RU connect to first screen / RU of a full listing, {count:,} documents on the "
        "cosmos emulator: ~1 RU per request there; target <= 0.05)",
        {
            "connect_ru": median(connect),
            "full_listing_ru": median(listing),
            "full_listing_items": full[0]["items"],
            "first_screen_rows": screens[0]["rows"],
            "first_screen_s": median([s["first_screen_s"] for s in screens]),
        },
        runs=ratios,
    )

"""Cosmos DB backend benchmarks on the emulator, each against a peer measured in the same run.

- ``cosmos_list_vs_raw``: our full listing (``iter_entries`` of 10,000
  documents: key, id, etag, time, dialect of each) over a raw SDK query of the
  same projection with the same page size (target <= 1.15).
- ``cosmos_read_vs_raw``: our bulk ``read`` of 2,000 documents (decoded state
  with ``e_tag``) over raw concurrent SDK point reads of the same documents with
  the same concurrency bound (target <= 1.25). Ours reads known ids with the
  SDK's read-many; the detail also gives one raw read-many of the same ids and
  our read with realId queries only (no direct-id fast path).
- ``cosmos_read_20ms_vs_botbuilder``: through a local TCP proxy (its own
  process) that delays every chunk sent to the emulator by 20 ms, the time
  botbuilder-python 4.17.1 ``CosmosDbPartitionedStorage.read`` (its own venv)
  takes for 500 keys over the time of our bulk read of the same keys (>= 8).

The emulator starts once per run and the container is filled once,
concurrently, with botbuilder-python-shaped documents (``*47`` ids). Ours and
the peer run back to back, in alternating order, so a busy machine slows both
alike; values are ratios of medians, the first round is a warm-up. ``--quick`` measures the
same (about two minutes).
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from dataclasses import dataclass, replace
from typing import Any

from azure.cosmos import PartitionKey
from azure.cosmos.aio import ContainerProxy, CosmosClient

from explorer.storage.cosmos import CosmosStorage, from_url
from explorer.storage.cosmos_docs import LIST_FIELDS
from explorer.storage.cosmos_keys import compute_id
from tests.benchmarks.run import Context, Result, benchmark, median, paired, ratio
from tests.benchmarks.timing import rounds
from tests.support import botbuilder_venv
from tests.support import cosmos_emulator as emulator_support
from tests.support.latency_proxy import spawn, stop_process

DELAY_S = 0.020
DATABASE = "bench"
CONTAINER = "state"
# sizes and repeats, full run / --quick: the same. A listing of 1,000 is one page
# (ours 1.53x raw, 1.25x over 10 pages), a read-many of 300 ids compares with
# point reads differently than one of 2,000 (0.13 against 0.34), 100 keys at
# 20 ms gave 24x against 13x; and filling the emulator takes most of the time
DOCUMENTS, DOCUMENTS_QUICK = 10_000, 10_000
READS, READS_QUICK = 2_000, 2_000
PROXIED, PROXIED_QUICK = 500, 500
LIST_REPEATS, LIST_REPEATS_QUICK = 5, 5
READ_REPEATS, READ_REPEATS_QUICK = 5, 5
PROXIED_ROUNDS, PROXIED_ROUNDS_QUICK = 3, 3


@dataclass
class Bench:
    emulator: emulator_support.Emulator
    keys: list[str]
    reads: list[str]
    proxied: list[str]

    @property
    def url(self) -> str:
        return f"cosmos://{DATABASE}/{CONTAINER}"


def _document(i: int, key: str) -> dict[str, Any]:
    return {
        "id": compute_id(key, "python"),
        "realId": key,
        "document": {
            "UserProfile": {
                "py/object": "bbmodels.UserProfile",
                "name": f"user {i}",
                "age": 20 + i % 50,
                "langs": ["en", "fr"],
            },
            "DialogState": {"dialogStack": [{"id": "main", "state": {"turn": i % 7}}]},
        },
    }


async def _bench(ctx: Context) -> Bench:
    if "cosmos_bench" in ctx.resources:
        bench: Bench = ctx.resources["cosmos_bench"]
        return bench
    emulator = emulator_support.start()
    ctx.cleanups.append(emulator.stop)
    total = ctx.pick(DOCUMENTS_QUICK, DOCUMENTS)
    reads, proxied = ctx.pick(READS_QUICK, READS), ctx.pick(PROXIED_QUICK, PROXIED)
    keys = [f"msteams/users/29:user-{i:06d}" for i in range(total)]
    started = time.perf_counter()
    async with CosmosClient(emulator.endpoint, emulator.key, connection_verify=False) as client:
        database = await client.create_database(DATABASE)
        container = await database.create_container(CONTAINER, PartitionKey(path="/id"))
        limit = asyncio.Semaphore(32)

        async def put(i: int, key: str) -> None:
            async with limit:
                await container.create_item(_document(i, key))

        await asyncio.gather(*(put(i, k) for i, k in enumerate(keys)))
    print(f"# filled {total:,} documents in {time.perf_counter() - started:.1f}s", file=sys.stderr)
    step = max(1, total // reads)
    bench = Bench(emulator, keys, keys[::step][:reads], keys[::step][:proxied])
    ctx.resources["cosmos_bench"] = bench
    return bench


def _store(bench: Bench, endpoint: str | None = None) -> CosmosStorage:
    return from_url(
        bench.url,
        endpoint=endpoint or bench.emulator.endpoint,
        key=bench.emulator.key,
        insecure=True,
        read_only=True,
    )


def _raw_client(bench: Bench) -> CosmosClient:
    return CosmosClient(bench.emulator.endpoint, bench.emulator.key, connection_verify=False)


async def _raw_list(container: ContainerProxy, page_size: int) -> int:
    pages = container.query_items(
        f"SELECT {LIST_FIELDS} FROM c", max_item_count=page_size
    ).by_page()
    count = 0
    async for page in pages:
        count += len([doc async for doc in page])
    return count


@benchmark("cosmos_list_vs_raw")
async def list_vs_raw(ctx: Context) -> Result:
    bench = await _bench(ctx)
    async with _raw_client(bench) as client, _store(bench) as store:
        container = client.get_database_client(DATABASE).get_container_client(CONTAINER)

        async def our_list() -> int:
            return sum([1 async for _ in store.iter_entries()])

        def same(listed: int, count: int) -> None:
            assert count == listed == len(bench.keys), (count, listed)

        times = await rounds(
            ctx.pick(LIST_REPEATS_QUICK, LIST_REPEATS),
            ours=our_list,
            theirs=lambda: _raw_list(container, store.page_size),
            check=same,
            alternate=True,
        )
        ours, raw = times.ours, times.theirs
        charge = store.last_request_charge
    return Result(
        times.ratio(),
        "x (ours / raw SDK, lower is better)",
        {
            "documents": len(bench.keys),
            "page_size": store.page_size,
            "ours_s": round(median(ours), 3),
            "raw_s": round(median(raw), 3),
            "listing_ru": charge,
            "target": "<= 1.15",
        },
        times.runs(),
    )


async def _raw_read(container: ContainerProxy, keys: list[str], concurrency: int) -> int:
    limit = asyncio.Semaphore(concurrency)

    async def one(key: str) -> dict[str, Any]:
        doc_id = compute_id(key, "python")
        async with limit:
            return dict(await container.read_item(doc_id, partition_key=doc_id))

    documents = await asyncio.gather(*(one(k) for k in keys))
    return len(documents)


@benchmark("cosmos_read_vs_raw")
async def read_vs_raw(ctx: Context) -> Result:
    bench = await _bench(ctx)
    async with _raw_client(bench) as client, _store(bench) as store:
        container = client.get_database_client(DATABASE).get_container_client(CONTAINER)
        await container.read()  # the SDK caches the container's properties, as the store does

        def same(documents: dict[str, Any], count: int) -> None:
            assert count == len(documents) == len(bench.reads)

        times = await rounds(
            ctx.pick(READ_REPEATS_QUICK, READ_REPEATS),
            ours=lambda: store.read(bench.reads),
            theirs=lambda: _raw_read(container, bench.reads, store.max_concurrency),
            check=same,
            alternate=True,
        )
        ours, raw = times.ours, times.theirs
        charge = store.last_request_charge
        # for comparison: the SDK's own read-many of the same ids (what ours uses)
        started = time.perf_counter()
        ids = [compute_id(k, "python") for k in bench.reads]
        many = await container.read_items([(i, i) for i in ids], max_concurrency=32)
        raw_many_s = time.perf_counter() - started
        assert len(many) == len(bench.reads)
        # the same read without the direct-id fast path: realId queries only
        store.profile = replace(store.profile, mixed=True)
        started = time.perf_counter()
        assert len(await store.read(bench.reads)) == len(bench.reads)
        query_s = time.perf_counter() - started
        query_charge = store.last_request_charge
    return Result(
        times.ratio(),
        "x (ours / raw concurrent SDK, lower is better)",
        {
            "documents": len(bench.reads),
            "concurrency": store.max_concurrency,
            "ours_s": round(median(ours), 3),
            "raw_s": round(median(raw), 3),
            "read_ru": charge,
            "raw_read_many_s": round(raw_many_s, 3),
            "realid_queries_only_s": round(query_s, 3),
            "realid_queries_only_ru": query_charge,
            "target": "<= 1.25",
        },
        times.runs(),
    )


PEER = """
import asyncio, json, sys, time
from azure.cosmos import documents
from botbuilder.azure import CosmosDbPartitionedConfig, CosmosDbPartitionedStorage

async def main(endpoint, key, database, container, keys):
    policy = documents.ConnectionPolicy()
    policy.DisableSSLVerification = True
    storage = CosmosDbPartitionedStorage(CosmosDbPartitionedConfig(
        cosmos_db_endpoint=endpoint, auth_key=key, database_id=database,
        container_id=container, cosmos_client_options={"connection_policy": policy}))
    await storage.read(keys[:1])  # creates the client, checks database and container
    started = time.perf_counter()
    items = await storage.read(keys)
    print(json.dumps({"seconds": time.perf_counter() - started, "count": len(items)}))

asyncio.run(main(*sys.argv[1:5], json.loads(sys.stdin.read())))
"""


def _botbuilder_read(endpoint: str, key: str, keys: list[str]) -> float:
    done = botbuilder_venv.run(
        "-c", PEER, endpoint, key, DATABASE, CONTAINER, stdin=json.dumps(keys), timeout=1800
    )
    result = botbuilder_venv.last_json(done.stdout)
    assert result["count"] == len(keys), result
    return float(result["seconds"])


@benchmark("cosmos_read_20ms_vs_botbuilder")
async def read_20ms_vs_botbuilder(ctx: Context) -> Result:
    bench = await _bench(ctx)
    port = int(bench.emulator.endpoint.rstrip("/").rsplit(":", 1)[1])
    proxy, proxy_port = spawn(port, DELAY_S)
    ctx.cleanups.append(lambda: stop_process(proxy))
    endpoint = f"https://127.0.0.1:{proxy_port}/"
    ours: list[float] = []
    theirs: list[float] = []
    try:
        async with _store(bench, endpoint) as store:
            await store.read(bench.proxied[:50])  # opens connections, as the peer's warm-up does
            for _ in range(ctx.pick(PROXIED_ROUNDS_QUICK, PROXIED_ROUNDS)):
                theirs.append(
                    await asyncio.to_thread(
                        _botbuilder_read, endpoint, bench.emulator.key, bench.proxied
                    )
                )
                started = time.perf_counter()
                documents = await store.read(bench.proxied)
                ours.append(time.perf_counter() - started)
                assert len(documents) == len(bench.proxied)
    finally:
        stop_process(proxy)
    return Result(
        ratio(theirs, ours, 2),
        "x (botbuilder-python / ours, higher is better)",
        {
            "documents": len(bench.proxied),
            "delay_ms": DELAY_S * 1000,
            "ours_s": round(median(ours), 3),
            "botbuilder_s": round(median(theirs), 3),
            "target": ">= 8",
        },
        paired(theirs, ours),
    )

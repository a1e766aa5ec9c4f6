"""Cosmos DB backend against the real cosmos emulator: killed, cut off, stalled, throttled.

The emulator keeps everything in memory, so a killed one comes back empty: the
real kills (SIGKILL by PID, mid-listing and mid-bulk-read) check the error and
the time it takes. "Nothing lost" and "old or new, never partial" are checked
across a lost network instead: the fault proxy resets every connection from a
chosen request on (what a client sees of a dead server), then lets traffic
through again, and the emulator's data is compared with what was written.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
from azure.cosmos import PartitionKey
from azure.cosmos.aio import CosmosClient

from explorer.core.errors import BackendUnavailableError, StorageError
from explorer.storage.cosmos import CosmosStorage, from_url
from explorer.workspace.safe_write import SafeWriter
from explorer.workspace.session import EditSession
from tests.faults.conftest import Recorder, RestartableCosmos
from tests.faults.support import (
    REPORT_WITHIN,
    Clock,
    count_lost,
    counter,
    drain,
    trail,
)
from tests.support.cosmos_emulator import Emulator, unique_name
from tests.support.fault_proxy import FaultProxy, Rule

SUITE = "cosmos"
pytestmark = [pytest.mark.emulator, pytest.mark.timeout(120)]
ITEMS = 2000
PAGE = 500
KEY = "faults-edited"


def _port(endpoint: str) -> int:
    return int(endpoint.rstrip("/").rsplit(":", 1)[1])


def _is_query(method: str, path: str) -> bool:
    return method == "POST" and path.rstrip("/").endswith("/docs")


def _is_point_read(method: str, path: str) -> bool:
    return method == "GET" and "/docs/" in path


def _is_lookup(method: str, path: str) -> bool:
    return _is_point_read(method, path) or _is_query(method, path)


def _is_replace(method: str, path: str) -> bool:
    return method == "PUT" and "/docs/" in path


async def _seed(endpoint: str, key: str, database: str, count: int) -> dict[str, dict[str, Any]]:
    """A container of ``count`` python-dialect documents, written with the SDK itself."""
    async with CosmosClient(endpoint, key, connection_verify=False) as client:
        db = await client.create_database_if_not_exists(database)
        container = await db.create_container_if_not_exists("state", PartitionKey(path="/id"))
        docs = {
            f"faults-u{i:05d}": {
                "id": f"faults-u{i:05d}",
                "realId": f"faults-u{i:05d}",
                "document": {"UserProfile": {"name": f"user {i}", "n": i}},
            }
            for i in range(count)
        }
        limit = asyncio.Semaphore(32)

        async def put(doc: dict[str, Any]) -> None:
            async with limit:
                await container.upsert_item(doc)

        await asyncio.gather(*(put(d) for d in docs.values()))
        return docs


@asynccontextmanager
async def cosmos_store(
    endpoint: str, key: str, database: str, **options: Any
) -> AsyncIterator[CosmosStorage]:
    store = from_url(
        f"cosmos://{database}/state",
        endpoint=endpoint,
        key=key,
        insecure=True,
        **({"page_size": PAGE} | options),
    )
    async with store:
        yield store


async def _bodies(store: CosmosStorage, keys: list[str]) -> dict[str, bytes]:
    found = await store.read_raw(keys)
    assert len(found) == len(keys)
    return {k: item.body for k, item in found.items()}


# -- the server killed (error and time; the emulator forgets everything) -------------------


async def test_killed_mid_listing_and_mid_bulk_read_are_clear_errors(
    own_cosmos: RestartableCosmos, faults: Recorder
) -> None:
    database = unique_name("faults")
    await _seed(own_cosmos.endpoint, own_cosmos.key, database, ITEMS)
    async with cosmos_store(own_cosmos.endpoint, own_cosmos.key, database) as store:
        entries = store.iter_entries()
        await anext(entries)  # the first page of PAGE entries is in
        own_cosmos.kill()
        with Clock() as clock, pytest.raises(BackendUnavailableError) as failure:
            await drain(entries)
        assert clock.elapsed < REPORT_WITHIN
        assert "list the container" in str(failure.value)
        assert "check that the account (or emulator) is up" in str(failure.value)

    own_cosmos.restart()  # empty again: seed anew, kill during a bulk read
    docs = await _seed(own_cosmos.endpoint, own_cosmos.key, database, ITEMS)
    with FaultProxy(own_cosmos.port, tls=True) as proxy:
        async with cosmos_store(proxy.endpoint(), own_cosmos.key, database) as store:
            nth = counter(10)  # the 10th lookup (point read or a query of 50 keys)
            proxy.add(
                Rule("drop", match=lambda m, p: _is_lookup(m, p) and nth(), on_hit=own_cosmos.kill)
            )
            with Clock() as clock, pytest.raises(BackendUnavailableError) as failure:
                await store.read_raw(list(docs))
            assert clock.elapsed < REPORT_WITHIN
            assert failure.value.key in docs
    faults.record(tried=2, dead_server_requests=proxy.unreachable)


# -- the network lost mid-operation, then back: nothing lost ------------------------------


@pytest.fixture
async def seeded(cosmos_emulator: Emulator) -> tuple[str, dict[str, dict[str, Any]]]:
    database = unique_name("faults")
    return database, await _seed(cosmos_emulator.endpoint, cosmos_emulator.key, database, ITEMS)


async def test_connection_lost_mid_listing_then_back_loses_nothing(
    cosmos_emulator: Emulator, seeded: tuple[str, dict[str, Any]], faults: Recorder
) -> None:
    database, docs = seeded
    with FaultProxy(_port(cosmos_emulator.endpoint), tls=True) as proxy:
        async with cosmos_store(proxy.endpoint(), cosmos_emulator.key, database) as store:
            expected = await _bodies(store, list(docs))
            entries = store.iter_entries()
            await anext(entries)
            gone = proxy.add(Rule("drop", times=None))  # every connection reset from now on
            with Clock() as clock, pytest.raises(BackendUnavailableError):
                await drain(entries)
            assert clock.elapsed < REPORT_WITHIN
            proxy.clear()
            lost = await count_lost(store, expected)  # the same store, once the network is back
    faults.record(tried=1, lost=lost, reset_requests=gone.hits)
    assert lost == 0


async def test_connection_lost_mid_bulk_read_then_back_loses_nothing(
    cosmos_emulator: Emulator, seeded: tuple[str, dict[str, Any]], faults: Recorder
) -> None:
    database, docs = seeded
    with FaultProxy(_port(cosmos_emulator.endpoint), tls=True) as proxy:
        async with cosmos_store(proxy.endpoint(), cosmos_emulator.key, database) as store:
            expected = await _bodies(store, list(docs))
            nth = counter(10)
            gone = proxy.add(
                Rule("drop", times=None, match=lambda m, p: _is_lookup(m, p) and nth())
            )
            with Clock() as clock, pytest.raises(BackendUnavailableError):
                await store.read_raw(list(docs))
            assert clock.elapsed < REPORT_WITHIN
            proxy.clear()
            lost = await count_lost(store, expected)
    faults.record(tried=1, lost=lost, reset_requests=gone.hits)
    assert lost == 0


# -- saves: old or new in full, backups kept, audit honest ---------------------------------


@asynccontextmanager
async def one_item(
    emulator: Emulator, **options: Any
) -> AsyncIterator[tuple[CosmosStorage, FaultProxy]]:
    database = unique_name("faults")
    async with CosmosClient(emulator.endpoint, emulator.key, connection_verify=False) as client:
        db = await client.create_database(database)
        container = await db.create_container("state", PartitionKey(path="/id"))
        await container.create_item(
            {"id": KEY, "realId": KEY, "document": {"UserProfile": {"name": "Ada", "visits": 1}}}
        )
    with FaultProxy(_port(emulator.endpoint), tls=True) as proxy:
        async with cosmos_store(proxy.endpoint(), emulator.key, database, **options) as store:
            yield store, proxy


async def _edit(store: CosmosStorage) -> tuple[EditSession, dict[str, Any], dict[str, Any]]:
    session = await EditSession.load(store, KEY)
    old = dict(session.document)
    session.set_property("UserProfile", {"name": "Grace", "visits": 2})
    return session, old, dict(session.draft)


async def _stored_state(store: CosmosStorage, old: dict[str, Any], new: dict[str, Any]) -> str:
    item = (await store.read_raw([KEY])).get(KEY)
    document = None if item is None else store.decode(item)
    return "old" if document == old else "new" if document == new else "torn"


async def _check_failed_save(
    store: CosmosStorage,
    writer: SafeWriter,
    old: dict[str, Any],
    new: dict[str, Any],
    faults: Recorder,
    **extra: int,
) -> str:
    state = await _stored_state(store, old, new)
    record = await trail(writer, store, KEY)
    assert len(record.backups) == 1
    assert store.decode(record.backups[0].to_raw_item()) == old
    assert record.backups[0].state == "unknown"
    assert record.claimed == []
    assert [e.outcome for e in record.audit] == ["BackendUnavailableError"]
    faults.record(tried=1, lost=int(state == "torn"), **{f"save_{state}": 1}, **extra)
    assert state != "torn"
    return state


async def test_connection_lost_while_a_save_is_stalled_keeps_the_old_item(
    cosmos_emulator: Emulator, writer: SafeWriter, faults: Recorder
) -> None:
    async with one_item(cosmos_emulator) as (store, proxy):
        session, old, new = await _edit(store)
        stall = proxy.add(Rule("stall", match=_is_replace, then="drop", stall_for=30))
        # from the stalled save on, the server is gone for everything
        gone = proxy.add(Rule("drop", times=None, match=lambda m, p: stall.hit.is_set()))
        save = asyncio.ensure_future(session.save(writer))
        assert await asyncio.to_thread(stall.hit.wait, 15), "the save never reached the proxy"
        stall.release()
        with Clock() as clock, pytest.raises(BackendUnavailableError) as failure:
            await save
        assert clock.elapsed < REPORT_WITHIN
        assert failure.value.key == KEY
        assert session.is_dirty
        proxy.clear()
        state = await _check_failed_save(store, writer, old, new, faults, reset_requests=gone.hits)
    assert state == "old"


async def test_reply_lost_then_connection_lost_after_a_save_applied(
    cosmos_emulator: Emulator, writer: SafeWriter, faults: Recorder
) -> None:
    async with one_item(cosmos_emulator) as (store, proxy):
        session, old, new = await _edit(store)
        lose = proxy.add(Rule("lose_reply", match=_is_replace))
        gone = proxy.add(Rule("drop", times=None, match=lambda m, p: lose.hits > 0))
        with Clock() as clock, pytest.raises(BackendUnavailableError) as failure:
            await session.save(writer)
        assert clock.elapsed < REPORT_WITHIN
        assert "may or may not have been applied" in str(failure.value)
        proxy.clear()
        state = await _check_failed_save(store, writer, old, new, faults, reset_requests=gone.hits)
    assert state == "new"  # the emulator applied it; the client could not know


async def test_lost_reply_to_a_save_that_landed(
    cosmos_emulator: Emulator, writer: SafeWriter, faults: Recorder
) -> None:
    async with one_item(cosmos_emulator) as (store, proxy):
        session, old, new = await _edit(store)
        lose = proxy.add(Rule("lose_reply", match=_is_replace))
        try:
            stored = await session.save(writer)
        except BackendUnavailableError:
            stored = None  # the SDK did not retry: an honest "unknown" is fine too
        assert lose.hits == 1
        assert await _stored_state(store, old, new) == "new"
        record = await trail(writer, store, KEY)
        assert len(record.backups) == 1
        assert store.decode(record.backups[0].to_raw_item()) == old
        if stored is None:
            assert record.claimed == []
            assert record.backups[0].state == "unknown"
        else:
            now = (await store.read_raw([KEY]))[KEY]
            assert stored.etag == now.etag
            assert [e.new_etag for e in record.claimed] == [now.etag]
    faults.record(tried=1, retried=int(stored is not None))


# -- timeouts and throttling ----------------------------------------------------------------


async def test_stalled_read_times_out_within_the_configured_bound(
    cosmos_emulator: Emulator, faults: Recorder
) -> None:
    async with one_item(cosmos_emulator, read_timeout=1, retries=1) as (store, proxy):
        stall = proxy.add(Rule("stall", match=_is_lookup, times=None, stall_for=60))
        with Clock() as clock, pytest.raises(BackendUnavailableError) as failure:
            await store.read_raw([KEY])
        stall.release()
        assert 2.0 <= clock.elapsed < 2 + 5
        assert stall.hits == 2  # the first attempt and one retry
        assert failure.value.key == KEY
        assert "Timeout" in str(failure.value)
        proxy.clear()
        assert KEY in await store.read_raw([KEY])
    faults.record(tried=1, retried=stall.hits - 1)


def test_default_client_settings_are_bounded() -> None:
    store = CosmosStorage("db", "c", endpoint="https://127.0.0.1:1/", key="a2V5", insecure=True)
    connect, read, retries = store.timeouts
    assert connect <= 10
    assert (retries + 1) * read <= 45


async def test_throttled_429_is_retried_as_the_service_asks(
    cosmos_emulator: Emulator, faults: Recorder
) -> None:
    async with one_item(cosmos_emulator) as (store, proxy):
        busy = proxy.add(
            Rule(
                "status",
                status=429,
                times=3,
                headers={"x-ms-retry-after-ms": "100", "Retry-After": "1"},
                match=_is_lookup,
            )
        )
        with Clock() as clock:
            found = await store.read([KEY])
        assert found[KEY]["UserProfile"] == {"name": "Ada", "visits": 1}
        assert busy.hits == 3
        assert clock.elapsed >= 0.3  # it waited as asked
        session, _, _ = await _edit(store)
        busy_write = proxy.add(
            Rule(
                "status",
                status=429,
                times=2,
                headers={"x-ms-retry-after-ms": "50"},
                match=_is_replace,
            )
        )
        await session.save()
        assert busy_write.hits == 2
        assert (await store.read([KEY]))[KEY]["UserProfile"]["name"] == "Grace"
    faults.record(tried=2, retried=busy.hits + busy_write.hits)


async def test_throttling_beyond_the_retry_budget_is_a_clear_error(
    cosmos_emulator: Emulator, faults: Recorder
) -> None:
    async with one_item(cosmos_emulator) as (store, proxy):
        busy = proxy.add(
            Rule(
                "status",
                status=429,
                times=None,
                headers={"x-ms-retry-after-ms": "20"},
                match=_is_lookup,
            )
        )
        with Clock() as clock, pytest.raises(StorageError) as failure:
            await store.read_raw([KEY])
        assert clock.elapsed < REPORT_WITHIN
        # the SDK's budget (9 retries as asked, 30 s at most) spent, then a clear error;
        # a query retries inside each retry of the page, so more requests are seen
        assert busy.hits >= 10
        assert "429" in str(failure.value)
        assert "wait a moment and try again" in str(failure.value)
        proxy.clear()
        unavailable = proxy.add(Rule("status", status=503, times=None, match=_is_lookup))
        with pytest.raises(StorageError) as failure:
            await store.read_raw([KEY])
        assert "503" in str(failure.value)
        assert "try again" in str(failure.value)
    faults.record(tried=2, retried=busy.hits - 1 + unavailable.hits - 1)

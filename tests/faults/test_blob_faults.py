"""Azure Blob backend against a real Azurite that is killed, stalled, throttled and cut.

Azurite is this test's own (``own_azurite``), killed by PID with SIGKILL and
restarted on the same data directory and port; the fault proxy
(``tests/support/fault_proxy.py``) sits in front of it where a fault must hit
one exact request. Every test ends in a typed error within ``REPORT_WITHIN``
seconds, or a retry that succeeds; then the store is checked: nothing lost,
no partial write, backups kept, no audit line claiming a write that failed.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import pytest

from explorer.core.errors import BackendUnavailableError, StorageError
from explorer.storage.blob import BlobStorage, from_url
from explorer.workspace.safe_write import SafeWriter
from explorer.workspace.session import EditSession
from tests.faults.conftest import Recorder, RestartableAzurite
from tests.faults.support import (
    REPORT_WITHIN,
    Clock,
    count_lost,
    counter,
    drain,
    old_or_new,
    seed,
    trail,
)
from tests.support import azurite as azurite_support
from tests.support import processes
from tests.support.fault_proxy import FaultProxy, Rule

SUITE = "blob"
pytestmark = [pytest.mark.emulator, pytest.mark.timeout(120)]
ITEMS = 2000
PAGE = 500
KEY = "faults/users/edited"


def _is_download(method: str, path: str) -> bool:
    return method == "GET" and "comp=" not in path and "restype=" not in path


def _is_upload(method: str, path: str) -> bool:
    return method == "PUT" and "restype=container" not in path


@asynccontextmanager
async def blob_store(
    connection_string: str, container: str = "faults", **options: Any
) -> AsyncIterator[BlobStorage]:
    store = from_url(
        f"blob://{container}",
        connection_string=connection_string,
        **({"create_container": True, "page_size": PAGE} | options),
    )
    async with store:
        yield store


@asynccontextmanager
async def proxied(
    azurite: RestartableAzurite | azurite_support.Azurite, **options: Any
) -> AsyncIterator[tuple[BlobStorage, FaultProxy]]:
    """A store on a fresh container, reaching ``azurite`` through a fault proxy."""
    with FaultProxy(azurite.port) as proxy:
        via = azurite_support.connection_string("127.0.0.1", proxy.port)
        async with blob_store(via, azurite_support.unique_container("f"), **options) as store:
            yield store, proxy


# -- the server killed ------------------------------------------------------------------


@dataclass
class Seeded:
    azurite: RestartableAzurite
    expected: dict[str, bytes]


@pytest.fixture(scope="module")
def seeded_module() -> Iterator[Seeded]:
    """One Azurite with ITEMS items for the kill tests (a restart keeps the data)."""
    azurite = processes.started("Azurite", RestartableAzurite, azurite_support.AzuriteError)

    async def fill() -> dict[str, bytes]:
        async with blob_store(azurite.connection_string) as store:
            return await seed(store, ITEMS)

    try:
        expected = asyncio.run(fill())
        azurite.settle()  # Azurite saves its metadata every 5 s, or on SIGTERM
        yield Seeded(azurite, expected)
    finally:
        azurite.stop()


@pytest.fixture
def seeded(seeded_module: Seeded) -> Seeded:
    """The seeded Azurite, running (a test that failed midway may have left it dead)."""
    process = seeded_module.azurite.current.process
    if process is None or process.poll() is not None:
        seeded_module.azurite.restart()
    return seeded_module


async def test_killed_mid_listing_is_a_clear_error_and_loses_nothing(
    seeded: Seeded, faults: Recorder
) -> None:
    own_azurite, expected = seeded.azurite, seeded.expected
    async with blob_store(own_azurite.connection_string) as store:
        entries = store.iter_entries()
        first = await anext(entries)  # the first page of PAGE names is in
        own_azurite.kill()
        with Clock() as clock, pytest.raises(BackendUnavailableError) as failure:
            await drain(entries)
        assert first.key in expected
        assert clock.elapsed < REPORT_WITHIN
        message = str(failure.value)
        assert "cannot list blob container 'faults'" in message
        assert "check the network" in message
        own_azurite.restart()
        lost = await count_lost(store, expected)  # the same store object, reconnected
    faults.record(tried=1, lost=lost)
    assert lost == 0


async def test_killed_mid_bulk_read_is_a_clear_error_and_loses_nothing(
    seeded: Seeded, faults: Recorder
) -> None:
    own_azurite, expected = seeded.azurite, seeded.expected
    with FaultProxy(own_azurite.port) as proxy:
        via = azurite_support.connection_string("127.0.0.1", proxy.port)
        async with blob_store(via) as store:
            await _kill_mid_bulk_read(store, proxy, seeded)
        own_azurite.restart()
    async with blob_store(own_azurite.connection_string) as store:
        lost = await count_lost(store, expected)
    faults.record(tried=1, lost=lost, dead_server_requests=proxy.unreachable)
    assert lost == 0


async def _kill_mid_bulk_read(store: BlobStorage, proxy: FaultProxy, seeded: Seeded) -> None:
    nth = counter(300)  # kill Azurite when the 300th blob is being downloaded
    proxy.add(
        Rule("drop", match=lambda m, p: _is_download(m, p) and nth(), on_hit=seeded.azurite.kill)
    )
    with Clock() as clock, pytest.raises(BackendUnavailableError) as failure:
        await store.read_raw(list(seeded.expected))
    assert clock.elapsed < REPORT_WITHIN
    assert failure.value.key in seeded.expected  # names the key it was reading
    assert "check the network" in str(failure.value)


async def _edit(store: BlobStorage) -> tuple[EditSession, bytes, bytes]:
    session = await EditSession.load(store, KEY)
    session.set_property("UserProfile", {"name": "Grace", "visits": 2})
    encoded = session.encoded()
    assert encoded is not None
    return session, session.loaded.body, encoded.body


async def _check_failed_save(
    store: BlobStorage, writer: SafeWriter, old: bytes, new: bytes, faults: Recorder, **extra: int
) -> str:
    """After a save that raised: old or new in full, a backup of old, no false audit line."""
    state = old_or_new((await store.read_raw([KEY])).get(KEY), old, new)
    record = await trail(writer, store, KEY)
    assert [b.body for b in record.backups] == [old]
    assert record.backups[0].state == "unknown"  # the outcome could not be known
    assert record.claimed == []  # nothing claims the write happened
    assert [e.outcome for e in record.audit] == ["BackendUnavailableError"]
    faults.record(tried=1, lost=int(state == "torn"), **{f"save_{state}": 1}, **extra)
    assert state != "torn"
    return state


async def test_killed_while_a_save_is_stalled_keeps_the_old_item(
    own_azurite: RestartableAzurite, writer: SafeWriter, faults: Recorder
) -> None:
    async with proxied(own_azurite) as (store, proxy):
        await store.write({KEY: {"UserProfile": {"name": "Ada", "visits": 1}}})
        own_azurite.settle()
        session, old, new = await _edit(store)
        stall = proxy.add(Rule("stall", match=_is_upload, stall_for=30))
        save = asyncio.ensure_future(session.save(writer))
        assert await asyncio.to_thread(stall.hit.wait, 15), "the save never reached the proxy"
        own_azurite.kill()  # the server dies while the request is in flight
        stall.release()
        with Clock() as clock, pytest.raises(BackendUnavailableError):
            await save
        assert clock.elapsed < REPORT_WITHIN
        assert session.is_dirty  # the draft is kept to save again
        own_azurite.restart()
        state = await _check_failed_save(store, writer, old, new, faults)
        assert state == "old"  # the request never reached a live server


async def test_killed_after_applying_a_save_before_answering(
    own_azurite: RestartableAzurite, writer: SafeWriter, faults: Recorder
) -> None:
    async with proxied(own_azurite) as (store, proxy):
        await store.write({KEY: {"UserProfile": {"name": "Ada", "visits": 1}}})
        own_azurite.settle()
        session, old, new = await _edit(store)
        proxy.add(Rule("lose_reply", match=_is_upload, after_forward=own_azurite.kill))
        with Clock() as clock, pytest.raises(BackendUnavailableError):
            await session.save(writer)
        assert clock.elapsed < REPORT_WITHIN
        own_azurite.restart()
        # Azurite applied the write, then died before saving its metadata (every
        # 5 s): either version may be back, but only ever one of them in full.
        await _check_failed_save(store, writer, old, new, faults)


async def test_lost_reply_to_a_save_that_landed(
    azurite: azurite_support.Azurite, writer: SafeWriter, faults: Recorder
) -> None:
    """The connection drops after the server applied the save: the SDK retries the
    PUT, which now fails its If-Match. The save did happen: it must not be
    reported as someone else's change, and the backup of the old version stays."""
    async with proxied(azurite) as (store, proxy):
        await store.write({KEY: {"UserProfile": {"name": "Ada", "visits": 1}}})
        session, old, new = await _edit(store)
        lose = proxy.add(Rule("lose_reply", match=_is_upload))
        stored = await session.save(writer)
        assert lose.hits == 1
        now = (await store.read_raw([KEY]))[KEY]
        assert old_or_new(now, old, new) == "new"
        assert stored is not None
        assert stored.etag == now.etag
        record = await trail(writer, store, KEY)
        assert [b.body for b in record.backups] == [old]
        assert [e.outcome for e in record.claimed] == ["ok"]
        assert record.claimed[0].new_etag == now.etag
    faults.record(tried=1, lost=0, retried=1)


async def test_lost_reply_to_a_delete_that_landed(
    azurite: azurite_support.Azurite, writer: SafeWriter, faults: Recorder
) -> None:
    """The same for a delete: its retry finds the blob gone; the delete was ours."""
    async with proxied(azurite) as (store, proxy):
        await store.write({KEY: {"UserProfile": {"name": "Ada", "visits": 1}}})
        session = await EditSession.load(store, KEY)
        old = session.loaded.body
        session.delete_state()
        lose = proxy.add(Rule("lose_reply", match=lambda m, p: m == "DELETE"))
        assert await session.save(writer) is None
        assert lose.hits == 1
        assert await store.read_raw([KEY]) == {}
        record = await trail(writer, store, KEY)
        assert [(b.body, b.state) for b in record.backups] == [(old, "applied")]
        assert [(e.action, e.outcome) for e in record.audit] == [("delete", "ok")]
    faults.record(tried=1, lost=0, retried=1)


# -- network timeouts -------------------------------------------------------------------


async def test_stalled_read_times_out_within_the_configured_bound(
    azurite: azurite_support.Azurite, faults: Recorder
) -> None:
    async with proxied(azurite, read_timeout=1, retries=1) as (store, proxy):
        await store.write({KEY: {"UserProfile": {"name": "Ada"}}})
        stall = proxy.add(Rule("stall", match=_is_download, times=None, stall_for=60))
        with Clock() as clock, pytest.raises(BackendUnavailableError) as failure:
            await store.read_raw([KEY])
        stall.release()
        # 2 attempts x 1 s read timeout + one backoff of 2 +- 1 s
        assert 2.0 <= clock.elapsed < 2 + 3 + 5
        assert stall.hits == 2
        assert failure.value.key == KEY
        proxy.clear()
        assert KEY in await store.read_raw([KEY])  # fine again once the network is
    faults.record(tried=1, retried=stall.hits - 1)


async def test_stalled_save_times_out_and_is_not_claimed(
    azurite: azurite_support.Azurite, writer: SafeWriter, faults: Recorder
) -> None:
    async with proxied(azurite, read_timeout=1, retries=1) as (store, proxy):
        await store.write({KEY: {"UserProfile": {"name": "Ada", "visits": 1}}})
        session, old, new = await _edit(store)
        stall = proxy.add(Rule("stall", match=_is_upload, times=None, stall_for=60))
        with Clock() as clock, pytest.raises(BackendUnavailableError):
            await session.save(writer)
        assert clock.elapsed < 2 + 3 + 5
        # the stalled requests reach the server late, after the client gave up: a
        # timed-out write may still land, which is why its outcome is "unknown"
        proxy.clear()
        await asyncio.sleep(0.3)
        await _check_failed_save(store, writer, old, new, faults, retried=stall.hits - 1)


def test_default_client_settings_are_bounded() -> None:
    """The defaults (no options) bound a dead or stalled server to well under a minute."""
    store = from_url("blob://faults", connection_string=azurite_support.connection_string("h", 1))
    policy: Any = store._container._config.retry_policy
    assert policy.total_retries <= 3
    assert policy.connect_retries <= 1
    assert policy.initial_backoff + policy.increment_base**policy.total_retries <= 10
    transport: Any = store._container._client._client._pipeline._transport
    assert transport.connection_config.timeout <= 10
    assert transport.connection_config.read_timeout <= 30


# -- throttling -----------------------------------------------------------------------------


async def test_throttled_503_is_retried_and_succeeds(
    azurite: azurite_support.Azurite, faults: Recorder
) -> None:
    async with proxied(azurite) as (store, proxy):
        expected = await seed(store, 20)
        busy = proxy.add(
            Rule("status", status=503, times=2, headers={"Retry-After": "1"}, match=_is_download)
        )
        found = await store.read_raw(list(expected)[:1])
        assert busy.hits == 2
        assert [i.body for i in found.values()] == [next(iter(expected.values()))]
        busy = proxy.add(Rule("status", status=503, times=1, match=_is_upload))
        await store.write({KEY: {"UserProfile": {"name": "Ada"}}})
        assert busy.hits == 1
        assert KEY in await store.read_raw([KEY])
    faults.record(tried=2, retried=3)


async def test_throttling_beyond_the_retry_budget_is_a_clear_error(
    azurite: azurite_support.Azurite, faults: Recorder
) -> None:
    async with proxied(azurite, retries=1) as (store, proxy):
        await store.write({KEY: {"UserProfile": {"name": "Ada"}}})
        busy = proxy.add(Rule("status", status=503, times=None, match=_is_download))
        with Clock() as clock, pytest.raises(StorageError) as failure:
            await store.read_raw([KEY])
        assert busy.hits == 2  # the first request and one retry, then it gives up
        assert clock.elapsed < REPORT_WITHIN
        assert "503" in str(failure.value)
        assert "try again" in str(failure.value)
        proxy.clear()
        # 429 is not a Blob Storage throttling answer (it sends 503); the SDK does not
        # retry it: a clear error at once
        many = proxy.add(
            Rule("status", status=429, times=None, headers={"Retry-After": "1"}, match=_is_upload)
        )
        with pytest.raises(StorageError) as failure:
            await store.write({KEY: {"UserProfile": {"name": "Bob"}}})
        assert many.hits == 1
        assert "429" in str(failure.value)
        proxy.clear()
        assert (await store.read(["faults/users/edited"]))[KEY]["UserProfile"] == {"name": "Ada"}
    faults.record(tried=2, retried=busy.hits - 1)


async def test_reply_cut_mid_body_is_retried(
    azurite: azurite_support.Azurite, faults: Recorder
) -> None:
    async with proxied(azurite, page_size=50) as (store, proxy):
        expected = await seed(store, 80)
        cuts = proxy.add(Rule("cut", cut_after=200, match=lambda m, p: "comp=list" in p))
        cut_read = proxy.add(Rule("cut", cut_after=10, match=_is_download))
        lost = await count_lost(store, expected)
        assert cuts.hits == 1
        assert cut_read.hits == 1
    faults.record(tried=2, lost=lost, retried=2)
    assert lost == 0

"""Live watch on the real emulators: Blob on Azurite, Cosmos DB on the cosmos emulator.

A bot (its own store object, its own client) changes, deletes and re-creates a
key while a ``Watcher`` follows it; then the emulator is killed by PID: the
watch reports the outage, keeps retrying, and reports the recovery and the
changes after the restart. On Cosmos DB a poll is one point read by the
document's id, also while the key is deleted (the emulator charges 1 RU per
request, so the RU figure there is the request count).

Azurite keeps its data across a restart (its metadata is made durable first
with a graceful restart); the cosmos emulator comes back empty, so there the
container is created again and the key reads as deleted, then created.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager

import pytest
from azure.cosmos import PartitionKey
from azure.cosmos.aio import CosmosClient

from explorer.storage.base import StorageBase
from explorer.storage.blob import from_url as blob_url
from explorer.storage.cosmos import CosmosStorage
from explorer.storage.cosmos import from_url as cosmos_url
from explorer.workspace.watch import CONFIRM_EVERY, Outage, Recovered, Version, Watcher, WatchEvent
from tests.faults.conftest import RestartableAzurite, RestartableCosmos
from tests.support import azurite as azurite_support
from tests.support import cosmos_emulator as cosmos_support
from tests.support import processes
from tests.support.cosmos_emulator import Emulator, unique_name

pytestmark = [pytest.mark.emulator, pytest.mark.timeout(180)]
KEY = "msteams/users/29:1AbC"


@pytest.fixture
def own_azurite() -> Iterator[RestartableAzurite]:
    yield from processes.running("Azurite", RestartableAzurite, azurite_support.AzuriteError)


@pytest.fixture
def own_cosmos() -> Iterator[RestartableCosmos]:
    yield from processes.running(
        "the cosmos emulator", RestartableCosmos, cosmos_support.EmulatorError
    )


class Follow:
    """A watcher running as a task; ``events`` fills as it reports."""

    def __init__(self, watcher: Watcher) -> None:
        self.events: list[WatchEvent] = []
        self.cursor = 0  # events before it were matched or passed over
        self.task = asyncio.create_task(self._run(watcher))

    async def _run(self, watcher: Watcher) -> None:
        async for event in watcher.events():
            self.events.append(event)

    async def until(self, test: Callable[[WatchEvent], bool], within: float = 60.0) -> WatchEvent:
        """The first event after the last one found that passes ``test``."""
        start = self.cursor
        for _ in range(int(within / 0.02)):
            for index in range(start, len(self.events)):
                if test(self.events[index]):
                    self.cursor = index + 1
                    return self.events[index]
            if self.task.done():
                self.task.result()  # raises what ended the watch
            await asyncio.sleep(0.02)
        raise AssertionError(f"no such event within {within:g} s: {self.events[start:]}")

    async def version(self, change: str) -> Version:
        found = await self.until(lambda e: isinstance(e, Version) and e.change == change)
        assert isinstance(found, Version)
        return found

    async def stop(self) -> None:
        self.task.cancel()
        await asyncio.gather(self.task, return_exceptions=True)


async def _change_delete_recreate(follow: Follow, bot: StorageBase) -> None:
    await follow.until(lambda e: isinstance(e, Version) and e.change is None)
    await bot.write({KEY: {"prefs": {"lang": "fr"}, "visits": 1}})
    changed = await follow.version("changed")
    assert changed.paths == ("prefs.lang",)
    assert changed.etag == (await bot.read_raw([KEY]))[KEY].etag
    await bot.delete([KEY])
    deleted = await follow.version("deleted")
    assert deleted.paths == ("prefs", "visits")
    await bot.write({KEY: {"prefs": {"lang": "de"}}})
    created = await follow.version("created")
    assert created.paths == ("prefs",)


# -- Blob on Azurite -------------------------------------------------------------------------


@asynccontextmanager
async def _blob(connection_string: str, container: str) -> AsyncIterator[StorageBase]:
    store = blob_url(
        f"blob://{container}", connection_string=connection_string, create_container=True
    )
    async with store:
        yield store


async def test_blob_change_delete_recreate_and_an_emulator_restart(
    own_azurite: RestartableAzurite,
) -> None:
    container = azurite_support.unique_container("watch")
    async with _blob(own_azurite.connection_string, container) as bot:
        await bot.write({KEY: {"prefs": {"lang": "en"}, "visits": 1}})
        async with _blob(own_azurite.connection_string, container) as watched:
            follow = Follow(Watcher(watched, [KEY], interval=0.1, max_backoff=0.5))
            try:
                await _change_delete_recreate(follow, bot)
                # Azurite saves its metadata on SIGTERM (or every 5 s): make it durable
                await asyncio.to_thread(own_azurite.settle)
                await asyncio.to_thread(own_azurite.kill)
                outage = await follow.until(lambda e: isinstance(e, Outage))
                assert isinstance(outage, Outage)
                assert "blob" in str(outage.error).lower()
                await asyncio.to_thread(own_azurite.restart)
                await follow.until(lambda e: isinstance(e, Recovered))
                await bot.write({KEY: {"prefs": {"lang": "it"}}})
                after = await follow.version("changed")
                assert after.paths == ("prefs.lang",)
                versions = [e for e in follow.events if isinstance(e, Version)]
                # the restart itself changed nothing: no version between created and this
                assert [v.change for v in versions] == [
                    None,
                    "changed",
                    "deleted",
                    "created",
                    "changed",
                ]
            finally:
                await follow.stop()


# -- Cosmos DB on the cosmos emulator --------------------------------------------------------


async def _container(endpoint: str, key: str, database: str) -> None:
    async with CosmosClient(endpoint, key, connection_verify=False) as client:
        db = await client.create_database_if_not_exists(database)
        await db.create_container_if_not_exists("state", PartitionKey(path="/id"))


@asynccontextmanager
async def _cosmos(endpoint: str, key: str, database: str) -> AsyncIterator[CosmosStorage]:
    store = cosmos_url(f"cosmos://{database}/state", endpoint=endpoint, key=key, insecure=True)
    async with store:
        yield store


async def test_cosmos_change_delete_recreate_and_an_emulator_restart(
    own_cosmos: RestartableCosmos,
) -> None:
    database = unique_name("watch")
    endpoint, key = own_cosmos.endpoint, own_cosmos.key
    await _container(endpoint, key, database)
    async with _cosmos(endpoint, key, database) as bot:
        await bot.write({KEY: {"prefs": {"lang": "en"}, "visits": 1}})
        async with _cosmos(endpoint, key, database) as watched:
            follow = Follow(Watcher(watched, [KEY], interval=0.1, max_backoff=0.5))
            try:
                await _change_delete_recreate(follow, bot)
                await asyncio.to_thread(own_cosmos.kill)
                outage = await follow.until(lambda e: isinstance(e, Outage))
                assert isinstance(outage, Outage)
                await asyncio.to_thread(own_cosmos.restart)  # in memory: comes back empty
                await _container(endpoint, key, database)
                await follow.until(lambda e: isinstance(e, Recovered))
                gone = await follow.version("deleted")
                assert gone.paths == ("prefs",)
            finally:
                await follow.stop()
    async with _cosmos(endpoint, key, database) as bot, _cosmos(endpoint, key, database) as w:
        follow = Follow(Watcher(w, [KEY], interval=0.1))
        try:
            await follow.until(lambda e: isinstance(e, Version))
            await bot.write({KEY: {"prefs": {"lang": "pt"}}})
            assert (await follow.version("created")).paths == ("prefs",)
        finally:
            await follow.stop()


async def _per_poll(store: CosmosStorage, watcher: Watcher, polls: int) -> float:
    charge = store.total_request_charge
    for _ in range(polls):
        await watcher.poll()
    return (store.total_request_charge - charge) / polls


async def test_cosmos_poll_is_one_point_read_also_while_deleted(
    cosmos_emulator: Emulator, cosmos_database: str
) -> None:
    endpoint, key = cosmos_emulator.endpoint, cosmos_emulator.key
    await _container(endpoint, key, cosmos_database)
    async with _cosmos(endpoint, key, cosmos_database) as store:
        await store.write({KEY: {"UserProfile": {"name": "Ada"}}})
        watcher = Watcher(store, [KEY], interval=0.1)
        await watcher.start()
        present = await _per_poll(store, watcher, CONFIRM_EVERY)
        await store.delete([KEY])
        charge = store.total_request_charge
        assert [v.change for v in await watcher.poll()] == ["deleted"]
        # gone by its id: confirmed once by key (a point read + a realId query)
        seen_deleted = store.total_request_charge - charge
        deleted = await _per_poll(store, watcher, CONFIRM_EVERY)
    # the emulator charges 1 RU a request, so these are request counts too:
    # one point read a poll; while deleted, every 10th poll also reads by key (2)
    assert (present, seen_deleted, deleted) == (1.0, 3.0, 1.2)

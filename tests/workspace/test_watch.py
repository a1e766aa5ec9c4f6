"""Live watch over memory and SQLite: changes, deletes, re-creates, private states,
outages retried and reported, and the cost of a poll."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from typing import Any

import pytest

from explorer.core.errors import BackendUnavailableError
from explorer.core.items import RawItem
from explorer.storage.base import Capability, StorageBase
from explorer.storage.memory import MemoryStorage
from explorer.workspace.json_paths import changed_paths
from explorer.workspace.watch import (
    CONFIRM_EVERY,
    Outage,
    Recovered,
    Version,
    Watcher,
    WatchEvent,
    private_prefix,
)

KEY = "msteams/users/29:1AbC"


def test_changed_paths_are_dotted_and_exact() -> None:
    old = {"prefs": {"lang": "en", "tz": "UTC"}, "visits": 1, "stack": [{"id": "a"}], "t": True}
    new = {"prefs": {"lang": "fr", "tz": "UTC"}, "visits": 1, "stack": [{"id": "b"}], "t": 1}
    assert changed_paths(old, new) == ["prefs.lang", "stack.0.id", "t"]
    assert changed_paths({"a": [1, 2]}, {"a": [1, 2, 3]}) == ["a"]  # moved: named whole
    assert changed_paths({"a": 1}, {"b": 1}) == ["a", "b"]
    assert changed_paths({"a": {"b": None}}, {"a": {"b": None}}) == []
    assert changed_paths({}, []) == ["$"]
    many = changed_paths({f"k{i}": 0 for i in range(500)}, {f"k{i}": 1 for i in range(500)})
    assert len(many) == 100
    assert many[-1] == "(and more)"


def test_private_prefix_of_every_conversation_key_style() -> None:
    assert private_prefix("msteams/conversations/a:1x") == "msteams/conversations/a:1x/users/"
    assert private_prefix("webchat/conversations/c1|livechat/") == (
        "webchat/conversations/c1|livechat/users/"
    )
    assert private_prefix(KEY) is None
    assert private_prefix("msteams/28:bot/conversations/c") is None  # agent keys have none


async def test_change_delete_recreate_in_order(storage: StorageBase) -> None:
    await storage.write({KEY: {"prefs": {"lang": "en"}, "visits": 1}})
    watcher = Watcher(storage, [KEY], interval=0.01)
    (base,) = await watcher.start()
    assert (base.change, base.key) == (None, KEY)
    assert base.etag == (await storage.read_raw([KEY]))[KEY].etag
    assert await watcher.poll() == []  # nothing changed: nothing reported

    await storage.write({KEY: {"prefs": {"lang": "fr"}, "visits": 2}})
    (changed,) = await watcher.poll()
    assert changed.change == "changed"
    assert changed.paths == ("prefs.lang", "visits")
    assert changed.etag == (await storage.read_raw([KEY]))[KEY].etag
    assert changed.item is not None
    assert storage.decode(changed.item) == {"prefs": {"lang": "fr"}, "visits": 2}

    await storage.delete([KEY])
    (deleted,) = await watcher.poll()
    assert (deleted.change, deleted.etag, deleted.paths) == ("deleted", None, ("prefs", "visits"))
    assert await watcher.poll() == []  # still gone: said once

    await storage.write({KEY: {"DialogState": {"dialogStack": []}}})
    (created,) = await watcher.poll()
    assert (created.change, created.paths) == ("created", ("DialogState",))
    line = created.as_json()
    assert set(line) == {"time", "key", "change", "etag", "paths"}
    assert line["change"] == "created"
    assert line["paths"] == ["DialogState"]


async def test_a_key_that_does_not_exist_yet_is_waited_for(storage: StorageBase) -> None:
    watcher = Watcher(storage, [KEY], interval=0.01)
    (base,) = await watcher.start()
    assert base.item is None
    assert base.etag is None
    assert await watcher.poll() == []
    await storage.write({KEY: {"a": 1}})
    assert [v.change for v in await watcher.poll()] == ["created"]


async def test_a_body_that_is_not_json_is_a_change_of_the_whole(storage: StorageBase) -> None:
    await storage.write_raw(RawItem(key=KEY, body=b'{"a": 1}'))
    watcher = Watcher(storage, [KEY], interval=0.01)
    await watcher.start()
    await storage.write_raw(RawItem(key=KEY, body=b"\xff not json"))
    (version,) = await watcher.poll()
    assert (version.change, version.paths) == ("changed", ("$",))


async def test_a_conversation_with_its_private_states(storage: StorageBase) -> None:
    conv = "msteams/conversations/a:1x"
    mine, theirs = f"{conv}/users/29:1me", f"{conv}/users/29:1you"
    await storage.write({conv: {"DialogState": {"dialogStack": []}}, mine: {"step": 1}})
    watcher = Watcher(storage, [conv], prefix=private_prefix(conv), interval=0.01, relist_every=2)
    baseline = await watcher.start()
    assert {v.key for v in baseline} == {conv, mine}
    await storage.write({mine: {"step": 2}, theirs: {"step": 1}})
    first = await watcher.poll()  # not relisted yet: only the known ones
    assert [(v.key, v.change, v.paths) for v in first] == [(mine, "changed", ("step",))]
    second = await watcher.poll()  # relisted: the new private state is created
    assert [(v.key, v.change) for v in second] == [(theirs, "created")]


async def test_events_report_every_change_until_cancelled(storage: StorageBase) -> None:
    await storage.write({KEY: {"n": 0}})
    seen: list[Version] = []

    async def follow() -> None:
        async for event in Watcher(storage, [KEY], interval=0.01).events():
            assert isinstance(event, Version)
            seen.append(event)

    task = asyncio.create_task(follow())
    for n in range(1, 4):
        await _until(lambda n=n: len(seen) == n)
        await storage.write({KEY: {"n": n}})
    await _until(lambda: len(seen) == 4)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert [v.change for v in seen] == [None, "changed", "changed", "changed"]
    assert all(v.paths == ("n",) for v in seen[1:])


class Flaky(MemoryStorage):
    """A memory store whose reads fail while ``down`` is set."""

    def __init__(self) -> None:
        super().__init__()
        self.down = False
        self.reads = 0

    async def read_raw(self, keys: Sequence[str]) -> dict[str, RawItem]:
        self.reads += 1
        if self.down:
            raise BackendUnavailableError("cannot reach the store (test)")
        return await super().read_raw(keys)


async def _until(condition: Any) -> None:
    for _ in range(2000):  # 10 s
        if condition():
            return
        await asyncio.sleep(0.005)
    raise AssertionError("timed out")


async def test_an_unreachable_store_is_retried_and_reported_then_recovers() -> None:
    store = Flaky()
    await store.write({KEY: {"n": 0}})
    events: list[WatchEvent] = []

    async def follow() -> None:
        async for event in Watcher(store, [KEY], interval=0.01, max_backoff=0.04).events():
            events.append(event)

    task = asyncio.create_task(follow())
    await _until(lambda: len(events) == 1)
    store.down = True
    await _until(lambda: sum(isinstance(e, Outage) for e in events) >= 4)
    await store.write({KEY: {"n": 1}})  # changed while unreachable
    store.down = False
    await _until(lambda: any(isinstance(e, Version) and e.change for e in events))
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    outages = [e for e in events if isinstance(e, Outage)]
    assert [o.attempts for o in outages[:4]] == [1, 2, 3, 4]
    assert all(o.since == outages[0].since for o in outages)
    assert [o.retry_in for o in outages[:4]] == [0.02, 0.04, 0.04, 0.04]  # doubling, capped
    assert "cannot reach" in str(outages[0].error)
    kinds = [type(e).__name__ for e in events if not isinstance(e, Outage)]
    assert kinds == ["Version", "Recovered", "Version"]  # recovery said before the change
    recovered = next(e for e in events if isinstance(e, Recovered))
    assert recovered.attempts == len(outages)


async def test_a_store_that_stays_away_ends_the_watch_with_its_error() -> None:
    store = Flaky()
    await store.write({KEY: {"n": 0}})
    watcher = Watcher(store, [KEY], interval=0.01, max_backoff=0.02, give_up=0.2)
    events: list[WatchEvent] = []

    async def follow() -> None:
        async for event in watcher.events():
            events.append(event)
            store.down = True

    with pytest.raises(BackendUnavailableError):
        await follow()
    assert isinstance(events[0], Version)
    assert len(events) > 3
    assert all(isinstance(e, Outage) for e in events[1:])


async def test_the_first_read_fails_like_any_read() -> None:
    store = Flaky()
    store.down = True
    with pytest.raises(BackendUnavailableError):
        await anext(aiter(Watcher(store, [KEY]).events()))


def test_an_interval_must_be_positive() -> None:
    with pytest.raises(ValueError, match="above 0"):
        Watcher(MemoryStorage(), [KEY], interval=0)


class ByName(MemoryStorage):
    """A store that reads by stored name in one request (as Cosmos does)."""

    capabilities = frozenset({Capability.READ_BY_NAME})

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[str] = []

    async def read_raw(self, keys: Sequence[str]) -> dict[str, RawItem]:
        self.calls.append("by key")
        return await super().read_raw(keys)

    async def read_document(self, name: str) -> RawItem | None:
        self.calls.append("by name")
        found = await super().read_raw([name.removeprefix("id:")])
        return next(iter(found.values()), None)

    async def iter_entries(self, prefix: str = "") -> AsyncIterator[Any]:
        async for entry in super().iter_entries(prefix):
            yield entry


async def test_a_store_that_reads_by_name_costs_one_request_a_poll() -> None:
    store = ByName()
    await store.write_raw(RawItem(key=KEY, body=b'{"a": 1}', name=f"id:{KEY}"))
    watcher = Watcher(store, [KEY], interval=0.01)
    await watcher.start()
    store.calls.clear()
    assert await watcher.poll() == []
    assert store.calls == ["by name"]
    await store.delete_raw(KEY)
    store.calls.clear()
    (deleted,) = await watcher.poll()
    assert deleted.change == "deleted"
    assert store.calls == ["by name", "by key"]  # gone by name: confirmed by key, once
    store.calls.clear()
    for _ in range(CONFIRM_EVERY * 2):
        assert await watcher.poll() == []
    assert store.calls.count("by key") == 2  # now and then, for another id
    assert store.calls.count("by name") == CONFIRM_EVERY * 2
    await store.write_raw(RawItem(key=KEY, body=b'{"a": 2}', name=f"id:{KEY}"))
    (created,) = await watcher.poll()
    assert (created.change, created.paths) == ("created", ("a",))

"""ThreadedLister: a store's listing run in its own thread and event loop (real SQLite)."""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from explorer.core.errors import BackendUnavailableError, StorageError
from explorer.core.items import Entry, RawItem
from explorer.storage.base import Capability
from explorer.storage.sqlite import SqliteStorage
from explorer.workspace.threaded_listing import ThreadedLister


async def filled(path: Path, count: int) -> None:
    async with SqliteStorage(path) as store:
        await store.write_raw_many(
            RawItem(key=f"webchat/users/u{i:05}", body=b"{}") for i in range(count)
        )


def listing_threads() -> set[threading.Thread]:
    return {t for t in threading.enumerate() if t.name == "store-listing" and t.is_alive()}


async def test_lists_the_same_entries_from_another_thread(tmp_path: Path) -> None:
    before = listing_threads()
    path = tmp_path / "state.db"
    await filled(path, 1200)
    lister = await ThreadedLister.start(lambda: SqliteStorage(path, read_only=True), batch=100)
    try:
        keys = [e.key async for e in lister.iter_entries("webchat/")]
        assert keys == [f"webchat/users/u{i:05}" for i in range(1200)]
        assert Capability.PERSISTENT in lister.capabilities
        assert Capability.HIERARCHY not in lister.capabilities  # SQLite has no hierarchy
        first = []
        async for entry in lister.iter_entries(""):
            first.append(entry.key)
            if len(first) == 5:
                break  # stopping early cancels the worker side
        assert len(first) == 5
        assert [e.key async for e in lister.iter_entries("webchat/users/u0119")] == [
            f"webchat/users/u0119{i}" for i in range(10)
        ]
    finally:
        await lister.close()
        await lister.close()  # twice is fine
    assert listing_threads() <= before  # its thread ended


class Failing(SqliteStorage):
    async def iter_entries(self, prefix: str = "") -> AsyncIterator[Entry]:
        yield Entry(key="webchat/users/a")
        raise BackendUnavailableError("the network went away; try again")

    async def iter_children(self, prefix: str = "") -> AsyncIterator[Any]:
        yield prefix + "users/"


async def test_errors_reach_the_caller_and_children_are_offered(tmp_path: Path) -> None:
    lister = await ThreadedLister.start(lambda: Failing(tmp_path / "x.db"))
    seen: list[str] = []

    async def drain() -> None:
        async for entry in lister.iter_entries(""):
            seen.append(entry.key)

    try:
        with pytest.raises(BackendUnavailableError, match="network went away"):
            await drain()
        assert seen == ["webchat/users/a"]
        assert [c async for c in lister.iter_children("webchat/")] == ["webchat/users/"]
    finally:
        await lister.close()


async def test_a_store_that_cannot_open_fails_start(tmp_path: Path) -> None:
    before = listing_threads()
    (tmp_path / "folder").mkdir()
    with pytest.raises(StorageError, match="folder"):
        await ThreadedLister.start(lambda: SqliteStorage(tmp_path / "folder"))
    assert listing_threads() <= before

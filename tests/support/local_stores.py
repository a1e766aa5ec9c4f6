"""The `storage` fixture: every state and workspace rule runs over memory and SQLite."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from explorer.storage import MemoryStorage, StorageBase


@pytest.fixture(params=["memory", "sqlite"])
async def storage(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[StorageBase]:
    if request.param == "memory":
        store: StorageBase = MemoryStorage()
    else:
        from explorer.storage.sqlite import SqliteStorage

        store = SqliteStorage(tmp_path / "state.db")
    async with store:
        yield store

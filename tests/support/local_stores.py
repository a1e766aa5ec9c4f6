"""Stores for the state and workspace tests: every bucket rule runs over memory and SQLite.

Each also in object mode (``objects=True``, a store a botbuilder-python bot
opened): buckets read and write plain JSON documents there too, so every rule
holds the same.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from explorer.storage import MemoryStorage, StorageBase


@pytest.fixture(params=["memory", "sqlite", "memory+objects", "sqlite+objects"])
async def storage(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[StorageBase]:
    kind, _, mode = request.param.partition("+")
    objects = mode == "objects"
    if kind == "memory":
        store: StorageBase = MemoryStorage(objects=objects)
    else:
        from explorer.storage.sqlite import SqliteStorage

        store = SqliteStorage(tmp_path / "state.db", objects=objects)
    async with store:
        yield store

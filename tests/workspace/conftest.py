"""Fixtures shared by the support workflow tests (``test_support_*.py``).

``place`` runs a test once per ``support_params()`` kind (memory, SQLite, Blob
and Cosmos DB in python and js forms), filled with ``support_stores.ALL``;
``store`` and ``read_only_store`` are that place opened, ``writer`` a
``SafeWriter`` with its own backup store and audit log under ``tmp_path``.
A test module's own fixture of the same name takes precedence over these.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from explorer.storage import Storage
from explorer.workspace.audit import AuditLog
from explorer.workspace.backups import BackupStore
from explorer.workspace.safe_write import SafeWriter
from tests.support.support_stores import Place, filled_place, support_params


@pytest.fixture(params=support_params())
async def place(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Place]:
    async with filled_place(request, tmp_path) as made:
        yield made


@pytest.fixture
async def store(place: Place) -> AsyncIterator[Storage]:
    """The place opened for writing."""
    async with place.opener(False) as opened:
        yield opened


@pytest.fixture
async def read_only_store(place: Place) -> AsyncIterator[Storage]:
    """The place opened read-only (what lookups and comparisons must work on)."""
    async with place.opener(True) as opened:
        yield opened


@pytest.fixture
def writer(tmp_path: Path) -> Iterator[SafeWriter]:
    backups = BackupStore(tmp_path / "backups.db")
    yield SafeWriter(backups, AuditLog(tmp_path / "audit.jsonl"), profile="t")
    backups.close()

"""Helpers shared by the detail / pending / conflict UI tests (real SQLite files)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

from PySide6.QtCore import SignalInstance

from explorer.core.items import RawItem
from explorer.storage.base import Storage
from explorer.storage.sqlite import SqliteStorage
from explorer.workspace.audit import AuditLog
from explorer.workspace.backups import BackupStore
from explorer.workspace.safe_write import SafeWriter


def sqlite_store(tmp_path: Path, *, read_only: bool = False) -> SqliteStorage:
    return SqliteStorage(tmp_path / "state.db", read_only=read_only)


def safe_writer(tmp_path: Path) -> SafeWriter:
    return SafeWriter(
        BackupStore(tmp_path / "backups.db"), AuditLog(tmp_path / "audit.jsonl"), profile="test"
    )


async def stored(store: Storage, key: str) -> dict[str, Any] | None:
    """The document now stored under ``key`` (read fresh), ``None`` if absent."""
    found = await store.read_raw([key])
    return store.decode(found[key]) if key in found else None


async def external_write(path: Path, key: str, document: dict[str, Any]) -> None:
    """Another process (bot or explorer) writes ``key``: a second store on the same file."""
    async with SqliteStorage(path) as other:
        current = (await other.read_raw([key])).get(key)
        body = json.dumps(document).encode()
        item = (
            RawItem(key=key, body=body)
            if current is None
            else RawItem(key=key, body=body, content_type=current.content_type)
        )
        await other.write_raw(item)


async def next_emit(signal: SignalInstance, within: float = 10.0) -> Any:
    """Wait for the next emission of ``signal`` and return its first argument."""
    future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()

    def on_emit(*args: Any) -> None:
        if not future.done():
            future.set_result(args[0] if args else None)

    signal.connect(on_emit)
    try:
        return await asyncio.wait_for(future, within)
    finally:
        signal.disconnect(on_emit)

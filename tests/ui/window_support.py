"""Helpers for the window / connection tests: a real window on real SQLite files.

- ``MemoryKeyring``: a keyring backend in this process only (there is no OS
  keychain here, and tests must not touch a real one).
- ``until``: wait for a condition while both the asyncio loop (pytest-asyncio)
  and Qt's event queue run.
- ``make_store``: a SQLite file with given keys.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication

from explorer.core.items import RawItem
from explorer.storage.sqlite import SqliteStorage
from explorer.workspace.connections import Connector
from explorer.workspace.environment import DataPaths, Environment
from explorer.workspace.tree import Node, NodeKind


async def until(condition: Callable[[], Any], within: float = 15.0) -> Any:
    """Poll ``condition`` (processing Qt events) until truthy; fail after ``within`` s."""
    deadline = time.monotonic() + within
    while True:
        QApplication.processEvents()
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {within}s waiting for {condition}")
        await asyncio.sleep(0.01)


async def make_store(path: Path, keys: Iterable[str]) -> str:
    """A SQLite store at ``path`` holding ``{"n": i}`` under each key; its URL."""
    async with SqliteStorage(path) as store:
        await store.write_raw_many(
            RawItem(key=k, body=json.dumps({"Profile": {"n": i}}).encode())
            for i, k in enumerate(keys)
        )
    return f"sqlite:{path}"


def connector_at(data: Path) -> Connector:
    """The workspace's connector over the data folder ``data`` (no environment)."""
    return Connector(DataPaths(data), Environment())


def settings_at(path: Path) -> QSettings:
    return QSettings(str(path), QSettings.Format.IniFormat)


def labels(node: Node) -> list[str]:
    return [c.label for c in node.children]


def first_of(node: Node, kind: NodeKind) -> Node:
    return next(n for n in node.walk() if n.kind is kind)

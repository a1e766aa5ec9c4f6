"""Fixtures shared by the window tests: an in-memory keychain and a real main window."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

from explorer.app import build_window
from tests.support import keyrings
from tests.support.keyrings import MemoryKeyring
from tests.ui.window_support import settings_at


@pytest.fixture(autouse=True)
def memory_keyring() -> Iterator[MemoryKeyring]:
    """Secrets go to a keychain in memory: the tests never touch the OS keychain."""
    with keyrings.memory_keyring() as backend:
        yield backend


@pytest.fixture
async def window(qtbot: Any, tmp_path: Path) -> AsyncIterator[Any]:
    """The real main window with its own settings file and data folder, closed after."""
    win = build_window(settings_at(tmp_path / "settings.ini"), tmp_path / "data")
    qtbot.addWidget(win)
    win.show()
    yield win
    win.runner.cancel_all()
    await win.manager.close_all()  # stores and listing threads

"""Save conflicts: a concurrent external write, then the ConflictDialog's choices.

The external writer is a second SqliteStorage on the same file (another
explorer or a bot process); the explorer writes through SafeWriter.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from explorer.storage.sqlite import SqliteStorage
from explorer.ui.detail.pane import DetailPane
from explorer.ui.dialogs.conflict import LAST_WRITER_WINS, ConflictDialog
from explorer.ui.pending import PendingEdits
from tests.ui.detail_demo import USER_DOC, USER_KEY, fill
from tests.ui.detail_support import external_write, next_emit, safe_writer, sqlite_store, stored

THEIRS = {**USER_DOC, "visits": 50}


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[SqliteStorage]:
    async with sqlite_store(tmp_path) as backend:
        await fill(backend)
        yield backend


@pytest.fixture
def pane(tmp_path: Path, qtbot: Any) -> DetailPane:
    writer = safe_writer(tmp_path)
    widget = DetailPane(PendingEdits(writer), backups=writer.backups, audit=writer.audit)
    qtbot.addWidget(widget)
    return widget


async def start_conflict(
    pane: DetailPane, store: SqliteStorage, tmp_path: Path
) -> tuple[asyncio.Future[bool], ConflictDialog]:
    """Edit, let someone else write, save: returns the save task and the dialog shown."""
    await pane.open_item(store, USER_KEY)
    assert pane.session is not None
    pane.session.set_property("visits", 1000)
    await external_write(tmp_path / "state.db", USER_KEY, THEIRS)
    opened = asyncio.ensure_future(next_emit(pane.pending.conflict_opened))
    task = asyncio.ensure_future(pane.pending.save_session(pane.session))
    dialog: ConflictDialog = await opened
    return task, dialog


async def test_conflict_dialog_says_what_happened_and_overwrite_needs_compare(
    pane: DetailPane, store: SqliteStorage, tmp_path: Path
) -> None:
    task, dialog = await start_conflict(pane, store, tmp_path)
    assert dialog.headline.text() == f"Someone changed {USER_KEY} since you loaded it."
    assert dialog.note.text() == LAST_WRITER_WINS
    assert "last-writer-wins" in LAST_WRITER_WINS
    assert "turn" in LAST_WRITER_WINS
    assert not dialog.overwrite_button.isEnabled()
    dialog.overwrite_button.click()  # disabled: nothing happens
    assert not task.done()
    their_rows = [r for r in dialog.their_changes.rows if r.kind != "equal"]
    assert any(r.right and '"visits": 50' in r.right for r in their_rows)

    dialog.compare_button.click()
    texts = [pane.toPlainText() for pane in dialog.compare.panes]
    assert '"visits": 42' in texts[0]  # loaded
    assert '"visits": 50' in texts[1]  # theirs
    assert '"visits": 1000' in texts[2]  # mine
    assert dialog.overwrite_button.isEnabled()
    dialog.overwrite_button.click()
    assert await asyncio.wait_for(task, 10) is True
    assert (await stored(store, USER_KEY))["visits"] == 1000  # type: ignore[index]
    assert pane.session is not None
    assert not pane.session.is_dirty


async def test_reload_theirs_keeps_my_draft_aside_and_can_put_it_back(
    pane: DetailPane, store: SqliteStorage, tmp_path: Path
) -> None:
    task, dialog = await start_conflict(pane, store, tmp_path)
    dialog.reload_button.click()
    assert await asyncio.wait_for(task, 10) is False
    session = pane.session
    assert session is not None
    assert session.draft["visits"] == 50  # theirs is the base now
    assert session.is_dirty is False
    assert session.aside is not None
    assert session.aside["visits"] == 1000
    assert pane.aside_banner.isVisibleTo(pane)
    pane.aside_banner.button.click()  # "Use my draft again"
    assert session.draft["visits"] == 1000
    assert bool(session.is_dirty)
    assert not pane.aside_banner.isVisibleTo(pane)
    assert await pane.pending.save_session(session)  # checked against their etag
    assert (await stored(store, USER_KEY))["visits"] == 1000  # type: ignore[index]


async def test_cancel_keeps_my_edits_pending_and_theirs_stored(
    pane: DetailPane, store: SqliteStorage, tmp_path: Path
) -> None:
    task, dialog = await start_conflict(pane, store, tmp_path)
    dialog.cancel_button.click()
    assert await asyncio.wait_for(task, 10) is False
    assert pane.pending.is_dirty(USER_KEY)
    assert await stored(store, USER_KEY) == THEIRS


async def test_a_change_after_compare_is_never_overwritten_unseen(
    pane: DetailPane, store: SqliteStorage, tmp_path: Path
) -> None:
    task, dialog = await start_conflict(pane, store, tmp_path)
    dialog.compare_button.click()
    newer = {**USER_DOC, "visits": 77}
    await external_write(tmp_path / "state.db", USER_KEY, newer)  # after the user compared
    reopened = asyncio.ensure_future(next_emit(pane.pending.conflict_opened))
    dialog.overwrite_button.click()
    second: ConflictDialog = await reopened
    assert await stored(store, USER_KEY) == newer  # refused, not overwritten
    assert not second.overwrite_button.isEnabled()
    second.compare_button.click()
    assert '"visits": 77' in second.compare.panes[1].toPlainText()
    second.overwrite_button.click()
    assert await asyncio.wait_for(task, 10) is True
    assert (await stored(store, USER_KEY))["visits"] == 1000  # type: ignore[index]


async def test_someone_deleted_it(pane: DetailPane, store: SqliteStorage, tmp_path: Path) -> None:
    await pane.open_item(store, USER_KEY)
    assert pane.session is not None
    pane.session.set_property("visits", 1)
    async with SqliteStorage(tmp_path / "state.db") as other:
        await other.delete_raw(USER_KEY)
    opened = asyncio.ensure_future(next_emit(pane.pending.conflict_opened))
    task = asyncio.ensure_future(pane.pending.save_session(pane.session))
    dialog: ConflictDialog = await opened
    assert dialog.headline.text() == f"Someone deleted {USER_KEY} since you loaded it."
    assert not dialog.reload_button.isEnabled()
    assert dialog.overwrite_button.text() == "Recreate with my draft"
    assert not dialog.overwrite_button.isEnabled()
    dialog.compare_button.click()
    assert "(deleted)" in dialog.compare.panes[1].toPlainText()
    assert dialog.overwrite_button.isEnabled()
    dialog.cancel_button.click()
    assert await asyncio.wait_for(task, 10) is False
    assert await stored(store, USER_KEY) is None
    assert pane.pending.is_dirty(USER_KEY)

    opened = asyncio.ensure_future(next_emit(pane.pending.conflict_opened))
    task = asyncio.ensure_future(pane.pending.save_session(pane.session))
    dialog = await opened
    dialog.compare_button.click()
    dialog.overwrite_button.click()  # recreate with my draft
    assert await asyncio.wait_for(task, 10) is True
    assert await stored(store, USER_KEY) == {**USER_DOC, "visits": 1}
    assert not pane.pending.is_dirty(USER_KEY)

"""PendingEdits and the Review & save dialog, driven like a user would, on a real SQLite file."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtWidgets import QApplication, QMessageBox

from explorer.storage.sqlite import SqliteStorage
from explorer.ui.detail.pane import DetailPane
from explorer.ui.dialogs.history import AuditModel, BackupsModel
from explorer.ui.dialogs.save import SaveDialog
from explorer.ui.pending import PendingEdits
from explorer.workspace.session import EditSession
from tests.ui.detail_demo import CONV_KEY, USER_DOC, USER_KEY, fill
from tests.ui.detail_support import external_write, next_emit, safe_writer, sqlite_store, stored


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[SqliteStorage]:
    async with sqlite_store(tmp_path) as backend:
        await fill(backend)
        yield backend


async def two_edits(pending: PendingEdits, store: SqliteStorage) -> tuple[EditSession, EditSession]:
    user = await pending.open(store, USER_KEY)
    conv = await pending.open(store, CONV_KEY)
    user.set_property("visits", 43)
    user.remove_property("lastSeen")
    conv.pop_active_dialog()
    return user, conv


async def test_counts_summary_and_actions_follow_the_sessions(
    store: SqliteStorage, qapp: Any
) -> None:
    pending = PendingEdits()
    changes: list[int] = []
    pending.changed.connect(lambda: changes.append(pending.count()))
    assert not pending.save_action.isEnabled()
    await two_edits(pending, store)
    assert pending.count() == 2
    assert pending.edit_count() == 3
    assert pending.summary() == "3 edits in 2 states"
    assert pending.is_dirty(USER_KEY)
    assert pending.is_dirty(CONV_KEY, store)
    assert not pending.is_dirty("msteams/users/other")
    assert pending.save_action.text() == "Save (2)"
    assert changes[-1] == 2
    pending.discard_all()
    assert not pending.has_unsaved()
    assert pending.save_action.text() == "Save"
    assert not pending.undo_action.isEnabled()


async def test_review_dialog_saves_one_state_and_discards_the_other(
    store: SqliteStorage, qtbot: Any
) -> None:
    pending = PendingEdits()
    user, _conv = await two_edits(pending, store)
    opened = asyncio.ensure_future(next_emit(pending.review_opened))
    task = asyncio.ensure_future(pending.save_all(None))
    dialog: SaveDialog = await opened
    qtbot.addWidget(dialog)
    assert dialog.heading.text() == "2 states will be written"
    assert dialog.states.count() == 2
    dialog.states.setCurrentRow([s.key for s in dialog.sessions].index(USER_KEY))
    assert dialog.key_label.text() == USER_KEY
    assert f"still {user.etag}" in dialog.etag_label.text()
    changed = [row for row in dialog.diff.rows if row.kind != "equal"]
    assert any(row.left and '"visits": 42' in row.left for row in changed)
    assert any(row.right and '"visits": 43' in row.right for row in changed)
    dialog.save_one.click()
    for _ in range(200):  # the save runs on the loop; the list shrinks when done
        if dialog.states.count() == 1:
            break
        await asyncio.sleep(0.01)
    assert dialog.states.count() == 1
    saved = await stored(store, USER_KEY)
    assert saved is not None
    assert saved["visits"] == 43
    assert "lastSeen" not in saved
    assert dialog.key_label.text() == CONV_KEY
    dialog.discard_one.click()
    assert await asyncio.wait_for(task, 10) is True
    assert not pending.has_unsaved()
    conv_now = await stored(store, CONV_KEY)
    assert conv_now is not None
    assert len(conv_now["DialogState"]["_dialog_stack"]) == 3  # discarded, never written


async def test_closing_the_review_keeps_everything_pending(
    store: SqliteStorage, qtbot: Any
) -> None:
    pending = PendingEdits()
    await two_edits(pending, store)
    opened = asyncio.ensure_future(next_emit(pending.review_opened))
    task = asyncio.ensure_future(pending.save_all(None))
    dialog: SaveDialog = await opened
    dialog.close_button.click()
    assert await asyncio.wait_for(task, 10) is False
    assert pending.count() == 2
    assert await stored(store, USER_KEY) == USER_DOC


async def test_save_all_writes_every_state(store: SqliteStorage, qtbot: Any) -> None:
    pending = PendingEdits()
    await two_edits(pending, store)
    opened = asyncio.ensure_future(next_emit(pending.review_opened))
    task = asyncio.ensure_future(pending.save_all(None))
    dialog: SaveDialog = await opened
    assert dialog.save_all.text() == "Save all (2)"
    dialog.save_all.click()
    assert await asyncio.wait_for(task, 10) is True
    conv = await stored(store, CONV_KEY)
    assert conv is not None
    assert [f["id"] for f in conv["DialogState"]["_dialog_stack"]] == [
        "WaterfallDialog",
        "MainDialog",
    ]


async def test_a_failed_save_stays_listed_with_its_reason(tmp_path: Path, qtbot: Any) -> None:
    async with sqlite_store(tmp_path) as writable:
        await fill(writable)
    async with sqlite_store(tmp_path, read_only=True) as store:
        pending = PendingEdits()
        session = await pending.open(store, USER_KEY)
        session.set_property("visits", 1)
        opened = asyncio.ensure_future(next_emit(pending.review_opened))
        task = asyncio.ensure_future(pending.save_all(None))
        dialog: SaveDialog = await opened
        dialog.save_all.click()
        for _ in range(200):
            if dialog.error_label.text():
                break
            await asyncio.sleep(0.01)
        assert "read-only" in dialog.error_label.text()
        assert dialog.states.count() == 1
        assert pending.is_dirty(USER_KEY)
        dialog.reject()
        assert await asyncio.wait_for(task, 10) is False


async def test_discard_asks_first(store: SqliteStorage, qtbot: Any) -> None:
    pending = PendingEdits()
    await two_edits(pending, store)

    async def answer(button: QMessageBox.StandardButton) -> None:
        for _ in range(100):
            boxes = [w for w in QApplication.topLevelWidgets() if isinstance(w, QMessageBox)]
            visible = [b for b in boxes if b.isVisible()]
            if visible:
                assert "3 edits in 2 states" in visible[0].text()
                visible[0].button(button).click()
                return
            await asyncio.sleep(0.01)
        raise AssertionError("no confirmation shown")

    answering = asyncio.ensure_future(answer(QMessageBox.StandardButton.Cancel))
    assert await pending.confirm_discard_all(None) is False
    await answering
    assert pending.count() == 2
    answering = asyncio.ensure_future(answer(QMessageBox.StandardButton.Discard))
    assert await pending.confirm_discard_all(None) is True
    await answering
    assert not pending.has_unsaved()


async def test_safe_writer_backs_up_and_history_reverts_as_a_pending_edit(
    store: SqliteStorage, tmp_path: Path, qtbot: Any, qtmodeltester: Any
) -> None:
    writer = safe_writer(tmp_path)
    pending = PendingEdits(writer)
    pane = DetailPane(pending, backups=writer.backups, audit=writer.audit)
    qtbot.addWidget(pane)
    await pane.open_item(store, USER_KEY)
    assert pane.session is not None
    assert not pane.history_view.revert_last_button.isEnabled()  # nothing saved yet
    pane.session.set_property("visits", 100)
    assert await pending.save_session(pane.session)
    await pane.open_item(store, USER_KEY)  # reloads the history
    history = pane.history_view
    assert history.backups_model.rowCount() == 1
    assert history.audit_model.rowCount() == 1
    audit_row = [history.audit_model.index(0, c).data() for c in range(8)]
    assert audit_row[3] == "write"
    assert audit_row[4] == "ok"
    assert audit_row[7] == USER_KEY
    qtmodeltester.check(history.backups_model)
    qtmodeltester.check(history.audit_model)

    history.revert_last_button.click()
    assert pane.session is not None
    assert pane.session.draft == USER_DOC  # the version before the save, pending
    assert pane.session.undo_label == "Revert to version 1"
    assert (await stored(store, USER_KEY))["visits"] == 100  # type: ignore[index]
    assert await pending.save_session(pane.session)
    assert await stored(store, USER_KEY) == USER_DOC
    await pane.open_item(store, USER_KEY)
    assert history.backups_model.rowCount() == 2
    history.backups_view.selectRow(1)  # the oldest: the original again
    history.revert_button.click()
    assert not pane.session.is_dirty  # reverting to what is stored changes nothing


def test_models_pass_the_tester_with_records(qtmodeltester: Any, qapp: Any) -> None:
    from explorer.workspace.audit import AuditEntry

    model = AuditModel()
    model.set_records(
        [
            AuditEntry(
                time="2026-11-20T14:03:11+00:00",
                user="ada",
                profile="prod",
                store="sqlite:/x",
                key="k",
                action="write",
                outcome="ETagConflictError",
                detail="changed by someone else",
            ),
            AuditEntry(
                time="2026-11-21T14:03:11+00:00",
                user="ada",
                profile=None,
                store="sqlite:/x",
                key="k",
                action="delete",
            ),
        ]
    )
    qtmodeltester.check(model)
    assert model.index(0, 3).data() == "delete"  # newest first
    assert model.index(1, 0).data(3) == "changed by someone else"  # tooltip
    qtmodeltester.check(BackupsModel())


async def test_one_session_per_item_so_held_references_stay_valid(
    store: SqliteStorage, tmp_path: Path, qapp: Any
) -> None:
    pending = PendingEdits()
    first = await pending.open(store, USER_KEY)
    await external_write(tmp_path / "state.db", USER_KEY, {**USER_DOC, "visits": 50})
    again = await pending.open(store, USER_KEY)
    assert again is first
    assert first.draft["visits"] == 50  # a clean session takes the fresh snapshot
    await pending.open(store, CONV_KEY)  # the user state is set aside (clean)
    assert not pending.is_dirty(USER_KEY)
    first.set_property("visits", 7)  # edited through a held reference
    assert pending.is_dirty(USER_KEY)
    assert await pending.open(store, USER_KEY) is first


async def test_revert_last_save_action_and_audit_viewer(
    store: SqliteStorage, tmp_path: Path, qtbot: Any
) -> None:
    from explorer.ui.dialogs.history import AuditDialog

    writer = safe_writer(tmp_path)
    pane = DetailPane(PendingEdits(writer), backups=writer.backups, audit=writer.audit)
    qtbot.addWidget(pane)
    await pane.open_item(store, USER_KEY)
    assert not pane.revert_last_action.isEnabled()
    assert pane.session is not None
    pane.session.set_property("visits", 5)
    assert await pane.pending.save_session(pane.session)
    await pane.open_item(store, USER_KEY)
    assert pane.revert_last_action.isEnabled()
    pane.revert_last_action.trigger()
    assert pane.session.draft["visits"] == 42
    assert pane.pending.is_dirty(USER_KEY)

    dialog = AuditDialog(writer.audit)
    qtbot.addWidget(dialog)
    await dialog.load()
    assert dialog.model.rowCount() == 1
    dialog.filter.setText("no such key")
    assert dialog.proxy.rowCount() == 0
    dialog.filter.setText("WRITE")  # any column, any case
    assert dialog.proxy.rowCount() == 1
    assert "1 entry in" in dialog.summary.text()


def test_redaction_action_follows_the_mode(qapp: Any) -> None:
    from PySide6.QtCore import QObject

    from explorer.ui.detail.redaction import Redaction

    owner = QObject()
    redaction = Redaction()
    action = redaction.make_action(owner)
    assert not action.isChecked()
    action.trigger()
    assert redaction.enabled
    redaction.set_enabled(False)
    assert not action.isChecked()


async def test_a_second_save_request_reuses_the_open_review(
    store: SqliteStorage, qtbot: Any
) -> None:
    pending = PendingEdits()
    await two_edits(pending, store)
    opened = asyncio.ensure_future(next_emit(pending.review_opened))
    first = asyncio.ensure_future(pending.save_all(None))
    dialog: SaveDialog = await opened
    assert await pending.save_all(None) is False  # no second dialog
    dialog.close_button.click()
    assert await asyncio.wait_for(first, 10) is False
    assert pending.count() == 2


async def test_after_deleting_a_state_the_pane_says_it_is_gone(
    store: SqliteStorage, qtbot: Any
) -> None:
    pane = DetailPane()
    qtbot.addWidget(pane)
    await pane.open_item(store, USER_KEY)
    pane.delete_action.trigger()
    assert pane.session is not None
    assert await pane.pending.save_session(pane.session)
    assert "Deleted from the store" in pane.banner.label.text()
    assert not pane.add_action.isEnabled()
    assert not pane.pending.has_unsaved()


async def test_review_and_conflict_mask_values_in_redaction_mode(
    store: SqliteStorage, tmp_path: Path, qtbot: Any
) -> None:
    from explorer.ui.detail.redaction import Redaction
    from explorer.ui.dialogs.conflict import ConflictDialog

    redaction = Redaction(enabled=True)
    pending = PendingEdits(redaction=redaction)
    session = await pending.open(store, USER_KEY)
    session.set_property("visits", 43)
    dialog = SaveDialog(pending.sessions(), redaction)
    qtbot.addWidget(dialog)
    both = dialog.diff.left.toPlainText() + dialog.diff.right.toPlainText()
    assert "ada@contoso.com" not in both
    assert "Ada Lovelace" not in both
    assert "••••••" in both
    assert '"visits": 43' in dialog.diff.right.toPlainText()  # not sensitive: shown
    assert not dialog.diff.mode_bytes.isEnabled()  # exact bytes would show everything
    await external_write(tmp_path / "state.db", USER_KEY, {**USER_DOC, "visits": 50})
    await session.fetch_theirs()
    conflict = ConflictDialog(session, redaction)
    qtbot.addWidget(conflict)
    conflict.show_compare()
    texts = "".join(p.toPlainText() for p in conflict.compare.panes)
    assert "ada@contoso.com" not in texts
    assert "••••••" in texts
    redaction.reveal(store, USER_KEY)
    revealed = SaveDialog(pending.sessions(), redaction)
    qtbot.addWidget(revealed)
    assert "ada@contoso.com" in revealed.diff.left.toPlainText()


async def test_redaction_and_the_audit_log_are_reachable_from_the_pane(
    store: SqliteStorage, tmp_path: Path, qtbot: Any
) -> None:
    from explorer.ui.dialogs.history import AuditDialog

    writer = safe_writer(tmp_path)
    pane = DetailPane(PendingEdits(writer), backups=writer.backups, audit=writer.audit)
    qtbot.addWidget(pane)
    await pane.open_item(store, USER_KEY)
    pane.tool_buttons["redact"].click()
    assert bool(pane.redaction.enabled)
    assert "Ada" not in pane.model.index(0, 2).data()
    assert pane.tool_buttons["reveal"].isVisibleTo(pane)
    pane.tool_buttons["redact"].click()
    assert pane.redaction.enabled is False

    pane.history_view.audit_button.click()
    for _ in range(200):
        dialogs = [w for w in QApplication.topLevelWidgets() if isinstance(w, AuditDialog)]
        if dialogs and dialogs[0].isVisible():
            break
        await asyncio.sleep(0.01)
    assert dialogs
    dialogs[0].reject()
    await asyncio.sleep(0)

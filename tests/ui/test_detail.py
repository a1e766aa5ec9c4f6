"""DetailPane on a real SQLite file: header, properties, JSON editor, pending edits, redaction."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from explorer.core.items import RawItem
from explorer.storage.sqlite import SqliteStorage
from explorer.ui.detail import DetailPane, Redaction, style
from explorer.ui.detail.pane import TAB_PROPERTIES, TAB_RAW
from explorer.ui.detail.properties import CHANGE_ROLE, PENDING_MARK
from explorer.ui.detail.redaction import Redaction as RedactionClass
from explorer.ui.pending import PendingEdits
from tests.ui.detail_demo import CONV_KEY, USER_DOC, USER_KEY, fill
from tests.ui.detail_support import sqlite_store, stored

MASK = "••••••"


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[SqliteStorage]:
    async with sqlite_store(tmp_path) as backend:
        await fill(backend)
        yield backend


@pytest.fixture
def pane(qtbot: Any) -> DetailPane:
    widget = DetailPane(redaction=Redaction())
    qtbot.addWidget(widget)
    widget.resize(900, 640)
    return widget


def row_texts(pane: DetailPane) -> list[str]:
    model = pane.model
    return [model.index(r, 0).data() for r in range(model.rowCount())]


async def test_open_item_shows_header_properties_and_type_badges(
    pane: DetailPane, store: SqliteStorage, qtmodeltester: Any
) -> None:
    await pane.open_item(store, USER_KEY)
    item = (await store.read_raw([USER_KEY]))[USER_KEY]
    assert pane.header.key_label.text() == USER_KEY
    assert f"etag</span> {item.etag}" in pane.header.meta_label.text()
    assert "user state" in pane.header.kind_label.text()
    assert row_texts(pane) == ["UserProfile", "prefs", "lastSeen", "visits"]
    badge = pane.model.index(0, 1)
    assert badge.data() == "bbmodels.UserProfile"  # shown, never resolved
    assert badge.data(Qt.ItemDataRole.ForegroundRole) == style.muted()
    assert pane.model.index(1, 1).data() == "object · 3"
    assert pane.model.index(0, 2).data().startswith('{name: "Ada Lovelace"')
    assert "py/object" not in pane.model.index(0, 2).data()
    qtmodeltester.check(pane.model)


async def test_long_key_is_elided_in_the_middle_with_full_tooltip(
    pane: DetailPane, store: SqliteStorage, qtbot: Any
) -> None:
    pane.resize(420, 500)
    pane.show()
    await pane.open_item(store, USER_KEY)
    shown = pane.header.key_label.displayed_text()
    assert "…" in shown
    assert shown.startswith("msteams/users/")
    assert shown.endswith(USER_KEY[-3:])
    assert pane.header.key_label.toolTip() == USER_KEY
    pane.header.copy_key_action.trigger()
    from PySide6.QtGui import QGuiApplication

    assert QGuiApplication.clipboard().text() == USER_KEY


async def test_edit_in_json_editor_is_pending_until_saved_with_the_etag(
    pane: DetailPane, store: SqliteStorage, qtmodeltester: Any
) -> None:
    await pane.open_item(store, USER_KEY)
    assert pane.select_property("prefs")
    assert json.loads(pane.editor.text_value()) == USER_DOC["prefs"]
    pane.editor.set_text('{"lang": "de"}')
    assert pane.editor.is_modified
    assert pane.editor.apply()
    assert row_texts(pane)[1] == f"prefs  {PENDING_MARK}"
    assert pane.pending.is_dirty(USER_KEY)
    assert pane.pending.count() == 1
    assert (await stored(store, USER_KEY)) == USER_DOC  # nothing written yet
    assert "will be written" not in pane.banner.label.text()
    assert pane.banner.label.text().startswith("Pending: 1 edit")
    session = pane.session
    assert session is not None
    loaded_etag = session.etag
    assert await pane.pending.save_session(session)
    after = await store.read_raw([USER_KEY])
    assert store.decode(after[USER_KEY])["prefs"] == {"lang": "de"}
    assert after[USER_KEY].etag != loaded_etag
    assert row_texts(pane)[1] == "prefs"  # ● gone
    assert not pane.pending.has_unsaved()
    qtmodeltester.check(pane.model)


async def test_invalid_json_is_blocked_with_its_line(
    pane: DetailPane, store: SqliteStorage
) -> None:
    await pane.open_item(store, USER_KEY)
    pane.select_property("prefs")
    pane.editor.set_text('{\n  "lang": "de",\n}')
    assert not pane.editor.is_valid
    assert not pane.editor.apply_button.isEnabled()
    assert not pane.editor.apply()
    assert pane.editor.error_line == 3
    assert "line 3" in pane.editor.status.text()
    assert not pane.pending.has_unsaved()
    pane.editor.set_text('{"lang": "de"}')  # fixed: the mark goes
    assert bool(pane.editor.is_valid)
    assert pane.editor.error_line == 0
    assert pane.editor.apply_button.isEnabled()


async def test_pretty_print_and_typing_undo_are_the_editors_own(
    pane: DetailPane, store: SqliteStorage
) -> None:
    await pane.open_item(store, USER_KEY)
    pane.select_property("visits")
    pane.editor.set_text('{"a":[1,2]}')
    pane.editor.pretty_print()
    assert pane.editor.text_value() == '{\n  "a": [\n    1,\n    2\n  ]\n}'
    pane.editor.text.undo()
    assert pane.editor.text_value() == '{"a":[1,2]}'
    pane.editor.text.undo()
    assert pane.editor.text_value() == "42"
    assert not pane.pending.has_unsaved()  # typing is not a pending edit


async def test_add_remove_restore_and_delete_state(pane: DetailPane, store: SqliteStorage) -> None:
    await pane.open_item(store, USER_KEY)
    pane.add_action.trigger()
    assert pane.editor.is_new
    assert not pane.editor.apply_button.isEnabled()  # needs a name
    pane.editor.name_edit.setText("tags")
    pane.editor.set_text('["vip"]')
    assert pane.editor.apply()
    assert pane.session is not None
    assert pane.session.draft["tags"] == ["vip"]
    assert pane.model.index(pane.model.row_of("tags"), 0).data(CHANGE_ROLE) == "added"

    pane.select_property("visits")
    pane.remove_action.trigger()
    row = pane.model.row_of("visits")
    assert pane.model.index(row, 0).data(CHANGE_ROLE) == "removed"
    assert pane.model.index(row, 2).data() == "(removed on save)"
    assert pane.remove_action.text() == "Restore property"
    pane.remove_action.trigger()
    assert pane.model.index(pane.model.row_of("visits"), 0).data(CHANGE_ROLE) == ""

    pane.delete_action.trigger()
    assert pane.session.deleted
    assert "deleted when you save" in pane.banner.label.text()
    assert not pane.add_action.isEnabled()  # a deleted state is not edited further
    assert await pane.pending.save_session(pane.session)
    assert await stored(store, USER_KEY) is None


async def test_undo_redo_of_pending_edits_across_items(
    pane: DetailPane, store: SqliteStorage
) -> None:
    pending = pane.pending
    await pane.open_item(store, USER_KEY)
    assert pane.session is not None
    pane.session.set_property("visits", 43)
    await pane.open_item(store, CONV_KEY)
    pane.stack_view.pop_button.click()
    assert pending.count() == 2
    assert pending.undo_action.text() == "Undo Pop dialog TextPrompt"
    pending.undo_action.trigger()
    assert pending.count() == 1
    assert pane.stack_view.frame_ids()[0] == "TextPrompt"
    assert pending.undo_action.text() == "Undo Edit visits"
    pending.undo_action.trigger()
    assert not pending.has_unsaved()
    assert not pending.undo_action.isEnabled()
    pending.redo_action.trigger()
    pending.redo_action.trigger()
    assert pending.count() == 2
    assert pane.stack_view.frame_ids()[0] == "WaterfallDialog"


async def test_dialog_stack_shows_active_first_and_pop_is_pending(
    pane: DetailPane, store: SqliteStorage
) -> None:
    await pane.open_item(store, CONV_KEY)
    view = pane.stack_view
    assert view.frame_ids() == ["TextPrompt", "WaterfallDialog", "MainDialog"]
    assert view.frames.topLevelItem(0).text(0) == "▶ active"  # type: ignore[union-attr]
    view.pop_button.click()
    assert view.frame_ids() == ["WaterfallDialog", "MainDialog"]
    assert pane.pending.is_dirty(CONV_KEY)
    before = await stored(store, CONV_KEY)
    assert before is not None
    assert len(before["DialogState"]["_dialog_stack"]) == 3  # not written
    view.clear_button.click()
    assert view.frame_ids() == []
    assert "empty" in view.empty_label.text()
    assert pane.session is not None
    await pane.pending.save_session(pane.session)
    after = await stored(store, CONV_KEY)
    assert after is not None
    assert after["DialogState"]["_dialog_stack"] == []
    assert after["DialogState"]["py/object"] == before["DialogState"]["py/object"]


async def test_js_stack_is_shown_active_first(pane: DetailPane, store: SqliteStorage) -> None:
    key = "webchat/conversations/c1/"
    stack = {"DialogState": {"dialogStack": [{"id": "main"}, {"id": "child"}]}}
    await store.write_raw(RawItem(key=key, body=json.dumps(stack).encode()))
    await pane.open_item(store, key)
    assert pane.stack_view.frame_ids() == ["child", "main"]
    pane.stack_view.pop_button.click()
    assert pane.session is not None
    assert pane.session.draft["DialogState"]["dialogStack"] == [{"id": "main"}]


async def test_redaction_masks_values_in_every_view_until_revealed(
    store: SqliteStorage, qtbot: Any
) -> None:
    redaction = RedactionClass(enabled=True)
    pane = DetailPane(redaction=redaction)
    qtbot.addWidget(pane)
    await pane.open_item(store, USER_KEY)
    preview = pane.model.index(0, 2).data()
    assert "Ada" not in preview
    assert MASK in preview
    pane.tabs.setCurrentIndex(TAB_RAW)
    raw = pane.raw_view.text.toPlainText()
    assert "ada@contoso.com" not in raw
    assert f'"email": "{MASK}"' in raw
    pane.raw_view.mode.setCurrentIndex(1)  # exact bytes are hidden too
    assert "ada@contoso.com" not in pane.raw_view.text.toPlainText()
    assert "hidden in redaction mode" in pane.raw_view.text.toPlainText()
    pane.raw_view.mode.setCurrentIndex(0)
    pane.tabs.setCurrentIndex(TAB_PROPERTIES)
    pane.select_property("UserProfile")
    assert MASK in pane.editor.text_value()
    assert pane.editor.text.isReadOnly()  # a mask can never be applied back
    assert not pane.editor.apply()
    assert pane.tool_buttons["reveal"].isVisibleTo(pane)

    pane.reveal_action.setChecked(True)
    assert "Ada Lovelace" in pane.model.index(0, 2).data()
    pane.tabs.setCurrentIndex(TAB_RAW)
    assert "ada@contoso.com" in pane.raw_view.text.toPlainText()
    pane.tabs.setCurrentIndex(TAB_PROPERTIES)
    pane.select_property("UserProfile")
    assert not pane.editor.text.isReadOnly()
    pane.reveal_action.setChecked(False)
    assert "Ada" not in pane.model.index(0, 2).data()

    await pane.open_item(store, CONV_KEY)  # another item: masked until revealed itself
    assert pane.redaction.is_masked(store, CONV_KEY)


async def test_read_only_store_shows_values_but_offers_no_edits(tmp_path: Path, qtbot: Any) -> None:
    async with sqlite_store(tmp_path) as writable:
        await fill(writable)
    async with sqlite_store(tmp_path, read_only=True) as store:
        pane = DetailPane()
        qtbot.addWidget(pane)
        await pane.open_item(store, USER_KEY)
        assert "Read-only" in pane.banner.label.text()
        pane.select_property("prefs")
        assert pane.editor.text.isReadOnly()
        assert not pane.add_action.isEnabled()
        assert not pane.delete_action.isEnabled()
        assert not pane.stack_view.pop_button.isEnabled()


async def test_missing_key_and_undecodable_body_are_shown_not_raised(
    pane: DetailPane, store: SqliteStorage
) -> None:
    errors: list[str] = []
    pane.error.connect(errors.append)
    await pane.open_item(store, "msteams/users/gone")
    assert "no longer exists" in pane.banner.label.text()
    assert pane.session is None
    await store.write_raw(RawItem(key="bad", body=b"\xff\xfe not json"))
    await pane.open_item(store, "bad")
    assert "not UTF-8" in pane.banner.label.text()
    assert pane.tabs.currentWidget() is pane.raw_view
    assert "not json" in pane.raw_view.text.toPlainText()
    assert len(errors) == 2
    pane.clear()
    assert pane.session is None
    assert pane.header.key_label.text() == "No state selected"


async def test_a_later_open_wins_over_an_earlier_slow_one(
    pane: DetailPane, store: SqliteStorage
) -> None:
    import asyncio

    first = asyncio.ensure_future(pane.open_item(store, USER_KEY))
    second = asyncio.ensure_future(pane.open_item(store, CONV_KEY))
    await asyncio.gather(first, second)
    assert pane.key == CONV_KEY
    assert row_texts(pane) == ["ConversationData", "DialogState"]


async def test_pending_edits_survive_switching_items(
    pane: DetailPane, store: SqliteStorage
) -> None:
    pending: PendingEdits = pane.pending
    await pane.open_item(store, USER_KEY)
    assert pane.session is not None
    pane.session.set_property("visits", 99)
    await pane.open_item(store, CONV_KEY)
    await pane.open_item(store, USER_KEY)
    assert pane.session.draft["visits"] == 99
    assert pending.is_dirty(USER_KEY)
    assert pending.summary() == "1 edit in 1 state"


async def test_ctrl_z_in_the_editor_undoes_typing_not_pending_edits(
    store: SqliteStorage, qtbot: Any
) -> None:
    from PySide6.QtCore import Qt as QtKeys
    from PySide6.QtWidgets import QMainWindow

    window = QMainWindow()
    qtbot.addWidget(window)
    pane = DetailPane()
    window.setCentralWidget(pane)
    window.addAction(pane.pending.undo_action)  # Ctrl+Z as a window shortcut, as in the app
    window.show()
    window.activateWindow()
    assert QTest.qWaitForWindowActive(window)
    await pane.open_item(store, USER_KEY)
    assert pane.session is not None
    pane.session.set_property("visits", 43)  # one pending edit
    pane.select_property("prefs")
    pane.editor.text.setFocus()
    qtbot.keyClicks(pane.editor.text, "x")
    assert pane.editor.text_value().startswith("x")
    qtbot.keyClick(pane.editor.text, QtKeys.Key.Key_Z, QtKeys.KeyboardModifier.ControlModifier)
    assert pane.editor.text_value().startswith("{")  # the editor's own undo
    assert pane.session.draft["visits"] == 43  # the pending edit is still there
    pane.table.setFocus()
    qtbot.keyClick(pane.table, QtKeys.Key.Key_Z, QtKeys.KeyboardModifier.ControlModifier)
    assert pane.session.draft["visits"] == 42  # now the pending edit is undone


async def test_keys_in_the_pane_do_not_collide_with_the_windows_shortcuts(
    store: SqliteStorage, qtbot: Any
) -> None:
    from PySide6.QtCore import Qt as QtKeys
    from PySide6.QtGui import QAction, QKeySequence
    from PySide6.QtWidgets import QMainWindow

    window = QMainWindow()
    qtbot.addWidget(window)
    pane = DetailPane()
    window.setCentralWidget(pane)
    fired: list[str] = []
    for name, keys in (("mark state for deletion", "Del"), ("search values", "Ctrl+Shift+F")):
        action = QAction(name, window)
        action.setShortcut(QKeySequence(keys))
        action.triggered.connect(lambda *_, n=name: fired.append(n))
        window.addAction(action)  # as the window's menus do
    window.show()
    window.activateWindow()
    assert QTest.qWaitForWindowActive(window)
    await pane.open_item(store, USER_KEY)
    pane.select_property("lastSeen")
    pane.table.setFocus()
    qtbot.keyClick(pane.table, QtKeys.Key.Key_Delete)
    assert pane.session is not None
    assert "lastSeen" not in pane.session.draft  # the table's Delete: remove the property
    assert not pane.session.deleted
    assert fired == []
    pane.select_property("prefs")
    pane.editor.text.setFocus()
    qtbot.keyClick(
        pane.editor.text,
        QtKeys.Key.Key_F,
        QtKeys.KeyboardModifier.ControlModifier | QtKeys.KeyboardModifier.ShiftModifier,
    )
    assert fired == ["search values"]  # the window's key still works in the editor
    pane.editor.set_text('{"lang":"de"}')
    qtbot.keyClick(
        pane.editor.text,
        QtKeys.Key.Key_I,
        QtKeys.KeyboardModifier.ControlModifier | QtKeys.KeyboardModifier.ShiftModifier,
    )
    assert pane.editor.text_value() == '{\n  "lang": "de"\n}'  # Format
    qtbot.keyClick(pane.editor.text, QtKeys.Key.Key_Return, QtKeys.KeyboardModifier.ControlModifier)
    assert pane.session.draft["prefs"] == {"lang": "de"}  # Ctrl+Enter applies


async def test_a_large_document_stays_usable(pane: DetailPane, store: SqliteStorage) -> None:
    from explorer.ui.dialogs.save import SaveDialog

    big = [{"i": i, "name": f"user {i}", "tags": ["a", "b"]} for i in range(40000)]
    document = {"big": big, "small": 1}
    await store.write_raw(RawItem(key="msteams/users/big", body=json.dumps(document).encode()))
    await pane.open_item(store, "msteams/users/big")
    assert row_texts(pane) == ["big", "small"]
    pane.select_property("big")
    assert "too large to edit here" in pane.editor.status.text()
    assert pane.editor.text.isReadOnly()
    pane.tabs.setCurrentIndex(TAB_RAW)
    assert (
        "too large to format" in pane.raw_view.info.text() or "first" in pane.raw_view.info.text()
    )
    assert len(pane.raw_view.text.toPlainText()) <= 256 * 1024
    pane.tabs.setCurrentIndex(TAB_PROPERTIES)
    pane.select_property("small")
    pane.editor.set_text("2")
    assert pane.editor.apply()
    assert pane.session is not None
    dialog = SaveDialog([pane.session])
    assert "only the properties that change" in dialog.diff.summary.text()
    assert dialog.diff.left.toPlainText() == '"small": 1'
    assert dialog.diff.right.toPlainText() == '"small": 2'
    dialog.deleteLater()
    assert await pane.pending.save_session(pane.session)
    saved = await stored(store, "msteams/users/big")
    assert saved is not None
    assert saved["small"] == 2
    assert len(saved["big"]) == 40000


async def test_opening_selects_the_first_property_and_reopening_keeps_the_selection(
    pane: DetailPane, store: SqliteStorage
) -> None:
    await pane.open_item(store, USER_KEY)
    assert pane.selected_property() == "UserProfile"
    assert '"transport": "bike"' in pane.editor.text_value()
    pane.select_property("prefs")
    await pane.open_item(store, USER_KEY)  # the tree refreshed the same item
    assert pane.selected_property() == "prefs"
    await pane.open_item(store, CONV_KEY)
    assert pane.selected_property() == "ConversationData"


async def test_unapplied_text_survives_other_edits_and_is_kept_when_leaving(
    pane: DetailPane, store: SqliteStorage
) -> None:
    errors: list[str] = []
    pane.error.connect(errors.append)
    await pane.open_item(store, USER_KEY)
    session = pane.session
    assert session is not None
    pane.select_property("prefs")
    pane.editor.set_text('{"lang": "it"}')
    session.set_property("visits", 1)  # another property changes: the typing stays
    assert pane.selected_property() == "prefs"
    assert pane.editor.text_value() == '{"lang": "it"}'
    pane.select_property("lastSeen")  # leaving keeps it, as a pending edit
    assert session.draft["prefs"] == {"lang": "it"}
    assert session.undo_label == "Edit prefs"
    pane.editor.set_text('"2026-11-2')  # not JSON
    pane.select_property("visits")
    assert session.draft["lastSeen"] == "2026-11-20T14:03:11Z"
    assert errors == ["Your unfinished edit of lastSeen is not valid JSON; it was not applied"]
    pane.pending.undo()  # undoing the property shown reloads the editor
    pane.pending.undo()
    pane.select_property("prefs")
    assert json.loads(pane.editor.text_value()) == USER_DOC["prefs"]


async def test_scalars_are_edited_in_the_cell_as_pending_edits(
    pane: DetailPane, store: SqliteStorage, qtmodeltester: Any
) -> None:
    await pane.open_item(store, USER_KEY)
    model = pane.model
    visits = model.index(model.row_of("visits"), 2)
    last_seen = model.index(model.row_of("lastSeen"), 2)
    prefs = model.index(model.row_of("prefs"), 2)
    assert model.flags(visits) & Qt.ItemFlag.ItemIsEditable
    assert not model.flags(prefs) & Qt.ItemFlag.ItemIsEditable  # objects: the JSON editor
    assert last_seen.data(Qt.ItemDataRole.EditRole) == "2026-11-20T14:03:11Z"  # no quotes
    assert model.setData(visits, "43")
    assert model.setData(last_seen, "yesterday")  # stays a string
    assert not model.setData(visits, "forty")  # a number needs JSON
    assert pane.session is not None
    assert pane.session.draft["visits"] == 43
    assert pane.session.draft["lastSeen"] == "yesterday"
    assert (await stored(store, USER_KEY)) == USER_DOC  # pending only
    qtmodeltester.check(model)


async def test_cells_are_not_editable_when_masked_or_read_only(tmp_path: Path, qtbot: Any) -> None:
    async with sqlite_store(tmp_path) as writable:
        await fill(writable)
        redaction = RedactionClass(enabled=True)
        pane = DetailPane(redaction=redaction)
        qtbot.addWidget(pane)
        await writable.write_raw(RawItem(key="k", body=b'{"email": "a@b.co", "n": 1}'))
        await pane.open_item(writable, "k")
        model = pane.model
        assert not model.flags(model.index(0, 2)) & Qt.ItemFlag.ItemIsEditable  # masked
        assert model.flags(model.index(1, 2)) & Qt.ItemFlag.ItemIsEditable
    async with sqlite_store(tmp_path, read_only=True) as store:
        reader = DetailPane()
        qtbot.addWidget(reader)
        await reader.open_item(store, "k")
        assert not reader.model.flags(reader.model.index(1, 2)) & Qt.ItemFlag.ItemIsEditable

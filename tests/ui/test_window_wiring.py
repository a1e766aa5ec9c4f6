"""The window's last wiring: menus, the tree after saves, redaction rules, a clean exit.

Real widgets offscreen, real SQLite files, a real local HTTP server for the
update check.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QApplication, QDialog, QMenu

from explorer.app import build_window
from explorer.storage.sqlite import SqliteStorage
from explorer.ui.dialogs.redaction_rules import SETTINGS_KEY, RedactionRulesDialog
from explorer.ui.menus import REDACTION_SHORTCUT
from explorer.ui.models import roles
from explorer.ui.tasks import TaskRunner
from explorer.ui.update_check import ENABLED_KEY
from explorer.workspace.profiles import Profile
from explorer.workspace.tree import LoadState
from tests.ui.window_support import connector_at, make_store, settings_at, until

KEYS = [
    "msteams/users/29:1AbC-long-teams-user-id-0123456789",
    "msteams/users/29:1XyZ/",
    "msteams/conversations/a:1Q;messageid=17",
    "webchat/users/dl_42",
]


async def _window(qtbot: Any, tmp_path: Path) -> Any:
    win = build_window(settings_at(tmp_path / "settings.ini"), tmp_path / "data")
    qtbot.addWidget(win)
    win.show()
    return win


@pytest.fixture
async def window(qtbot: Any, tmp_path: Path) -> AsyncIterator[Any]:
    win = await _window(qtbot, tmp_path)
    yield win
    win.runner.cancel_all()
    await win.manager.close_all()


async def connect(window: Any, url: str) -> Any:
    path = url[7:]
    window.connect_profile(Profile(Path(path).name, "sqlite", "dev", {"path": path}), None)
    await until(lambda: window.manager.connections)
    conn = window.manager.connections[-1]
    await until(lambda: conn.node.load_state is LoadState.LOADED)
    return conn


def menu_actions(window: Any) -> dict[str, dict[str, QAction]]:
    menus: dict[str, dict[str, QAction]] = {}
    for top in window.menuBar().actions():
        menu = top.menu()
        assert isinstance(menu, QMenu)
        menus[top.text().replace("&", "")] = {
            a.text().replace("&", ""): a for a in menu.actions() if not a.isSeparator()
        }
    return menus


async def open_state(window: Any, key: str) -> Any:
    node = window.manager.connections[-1].node.by_key[key]
    window.select_node(node)
    await until(lambda: window.detail.key == key and window.detail.session is not None)
    await window.runner.wait_idle(5)
    return node


# -- menus ---------------------------------------------------------------------------


async def test_menus_reach_redaction_revert_audit_updates_and_about(window: Any) -> None:
    menus = menu_actions(window)
    detail = window.detail
    redaction = menus["View"]["Redaction mode"]
    assert redaction is detail.redaction_action  # one action with the pane's button
    assert redaction.isCheckable()
    assert not redaction.isChecked()
    assert redaction.shortcut().toString() == REDACTION_SHORTCUT
    shortcuts = [
        a.shortcut().toString()
        for a in {*window.findChildren(QAction), *detail.findChildren(QAction)}
        if a is not redaction and not a.shortcut().isEmpty()
    ]
    assert REDACTION_SHORTCUT not in shortcuts
    redaction.trigger()
    assert detail.redaction.enabled
    assert detail.tool_buttons["redact"].isChecked()
    detail.tool_buttons["redact"].click()
    assert not redaction.isChecked()
    assert not detail.redaction.enabled
    assert "Redaction rules…" in menus["View"]
    assert menus["State"]["Revert last save"] is detail.revert_last_action
    assert not detail.revert_last_action.isEnabled()  # nothing shown, nothing saved
    assert "Audit log…" in menus["State"]
    toggle = menus["Help"]["Check for updates automatically"]
    assert toggle.isCheckable()
    assert not toggle.isChecked()
    assert menus["Help"]["About Bot State Explorer"].menuRole().name == "AboutRole"


async def test_audit_log_opens_from_the_state_menu(window: Any) -> None:
    menu_actions(window)["State"]["Audit log…"].trigger()
    dialog = await until(
        lambda: next((w for w in QApplication.topLevelWidgets() if isinstance(w, QDialog)
                      and w.isVisible() and "audit" in w.windowTitle().lower()), None)
    )  # fmt: skip
    dialog.reject()
    await window.detail.aclose()


async def test_update_check_is_off_by_default_and_asks_only_once_turned_on(
    window: Any,
) -> None:
    hits: list[str] = []

    async def handle(request: web.Request) -> web.Response:
        hits.append(request.path)
        return web.json_response({"info": {"version": "99.0.0"}})

    app = web.Application()
    app.router.add_get("/json", handle)
    server = TestServer(app, port=0)
    await server.start_server()
    try:
        checker = window.update_checker
        checker._url = str(server.make_url("/json"))  # the real PyPI is out of reach here
        assert checker.maybe_check() is None  # off: what app.py calls after show()
        await until(lambda: True)
        assert hits == []
        assert window.settings.value(ENABLED_KEY, False) in (False, "false")
        menu_actions(window)["Help"]["Check for updates automatically"].trigger()
        await until(lambda: hits)
        note = await until(lambda: window.findChild(object, "updateNote"))
        await until(note.isVisible)
        assert "99.0.0" in note.text()
        await checker.aclose()
    finally:
        await server.close()


# -- the tree after saves ----------------------------------------------------------


async def test_saving_a_deletion_takes_the_row_out_of_the_tree(window: Any, tmp_path: Path) -> None:
    url = await make_store(tmp_path / "state.db", KEYS)
    conn = await connect(window, url)
    key = "webchat/users/dl_42"
    node = await open_state(window, key)
    window.mark_for_deletion()
    await until(lambda: window.model.index_of(node).data(roles.DIRTY_ROLE))
    assert await window.pending.save_session(window.detail.session)
    await until(lambda: key not in conn.node.by_key)
    assert "webchat" not in [c.label for c in conn.node.children]  # its only user
    assert conn.node.count == len(KEYS) - 1
    assert key not in window.model.dirty_keys
    async with SqliteStorage(tmp_path / "state.db") as store:
        assert key not in await store.read_raw([key])


async def test_saving_an_edit_refreshes_the_row_and_clears_the_mark(
    window: Any, tmp_path: Path
) -> None:
    url = await make_store(tmp_path / "state.db", KEYS)
    await connect(window, url)
    key = KEYS[0]
    node = await open_state(window, key)
    before = window.model.index_of(node).data(0x0003)  # ToolTipRole
    session = window.detail.session
    old_etag = session.etag
    session.set_property("Profile", {"n": 1, "note": "x" * 400})
    await until(lambda: window.model.index_of(node).data().endswith("●"))
    assert await window.pending.save_session(session)
    await until(lambda: not window.model.index_of(node).data(roles.DIRTY_ROLE))
    assert window.model.index_of(node).data() == node.label
    assert node.entry is not None
    assert node.entry.etag == session.etag != old_etag
    assert node.entry.size == session.loaded.size > 400
    tooltip = window.model.index_of(node).data(0x0003)
    assert tooltip != before
    assert f"{node.entry.size:,} bytes" in tooltip


async def test_discard_clears_the_mark(window: Any, tmp_path: Path) -> None:
    url = await make_store(tmp_path / "state.db", KEYS)
    await connect(window, url)
    node = await open_state(window, KEYS[0])
    window.detail.session.set_property("Profile", {"n": 5})
    await until(lambda: window.model.index_of(node).data(roles.DIRTY_ROLE))
    window.pending.discard_all()
    await until(lambda: window.model.index_of(node).data() == node.label)


# -- redaction rules ---------------------------------------------------------------


async def test_redaction_rules_apply_to_every_view_and_are_remembered(
    qtbot: Any, window: Any, tmp_path: Path
) -> None:
    path = tmp_path / "state.db"
    key = "msteams/users/29:1rules"
    async with SqliteStorage(path) as store:
        from explorer.core.items import RawItem

        doc = {"Profile": {"transport": "bike", "name": "Ada"}}
        await store.write_raw(RawItem(key=key, body=json.dumps(doc).encode()), create=True)
    await connect(window, f"sqlite:{path}")
    await open_state(window, key)
    detail = window.detail
    detail.redaction_action.trigger()
    assert "bike" in json.dumps(detail.redaction.view_document(detail.store, key, doc))

    dialog = RedactionRulesDialog(detail.redaction, window.settings, window)
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.names_edit.setPlainText("transport\n(")  # a bad regex first
    dialog.accept()
    assert dialog.error_label.isVisible()
    assert "'('" in dialog.error_label.text()
    assert dialog.result() != QDialog.DialogCode.Accepted
    dialog.names_edit.setPlainText("transport")
    dialog.mask_edit.setText("[hidden]")
    dialog.accept()
    assert dialog.result() == QDialog.DialogCode.Accepted
    shown = json.dumps(detail.redaction.view_document(detail.store, key, doc))
    assert "bike" not in shown
    assert "[hidden]" in shown
    assert "Ada" in shown
    detail.tabs.setCurrentIndex(1)  # Raw JSON redraws with the new rules
    await until(lambda: "[hidden]" in detail.raw_view.text.toPlainText())
    assert "bike" not in detail.raw_view.text.toPlainText()
    assert "transport" in str(window.settings.value(SETTINGS_KEY))

    again = build_window(settings_at(tmp_path / "settings.ini"), tmp_path / "data")
    qtbot.addWidget(again)
    assert again.detail.redaction.rules.name_patterns == ("transport",)
    assert again.detail.redaction.rules.mask == "[hidden]"


# -- a clean exit ------------------------------------------------------------------


async def test_task_runner_aclose_waits_for_cancelled_work() -> None:
    import asyncio

    runner = TaskRunner()
    ended: list[str] = []

    async def slow(_handle: Any) -> None:
        try:
            await asyncio.sleep(30)
        finally:
            ended.append("ended")

    runner.start("slow", slow)
    await asyncio.sleep(0)
    await asyncio.wait_for(runner.aclose(), 5)
    assert ended == ["ended"]
    assert not runner.active


def test_screenshot_exits_without_pending_tasks(tmp_path: Path) -> None:
    import asyncio

    keys = [f"msteams/users/29:1user{i}" for i in range(50)]
    url = asyncio.run(make_store(tmp_path / "state.db", keys))
    env = {
        **os.environ,
        "QT_QPA_PLATFORM": "offscreen",
        "PYTHONDEVMODE": "1",
        "BOTSTATE_EXPLORER_DATA_DIR": str(tmp_path / "data"),
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
    }
    result = subprocess.run(
        [sys.executable, "-m", "explorer", "gui", url, "--screenshot", str(tmp_path / "s.png")],
        capture_output=True,
        text=True,
        env=env,
        timeout=180,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "Task was destroyed" not in result.stderr, result.stderr[-2000:]
    assert "never awaited" not in result.stderr, result.stderr[-2000:]
    assert (tmp_path / "s.png").stat().st_size > 10_000


# -- layout polish seen in the screenshots --------------------------------------------


async def test_test_connection_sits_under_the_fields_of_every_kind(
    qtbot: Any, tmp_path: Path
) -> None:
    from explorer.ui.connection_dialog import ConnectionDialog
    from explorer.workspace.profiles import ProfileStore

    dialog = ConnectionDialog(
        ProfileStore(tmp_path / "connections.json"),
        TaskRunner(),
        connector_at(tmp_path).check_profile,
    )
    qtbot.addWidget(dialog)
    dialog.show()
    for index in range(dialog.kind.count()):
        dialog.kind.setCurrentIndex(index)
        await until(lambda: True)
        page = dialog.pages.currentWidget()
        bottom = page.mapTo(dialog, page.childrenRect().bottomLeft()).y()  # its last field
        top = dialog.test_button.mapTo(dialog, dialog.test_button.rect().topLeft()).y()
        assert 0 <= top - bottom < 24, (dialog.kind.currentText(), top, bottom)
        # lined up with the fields, not with their labels
        field_x = dialog.name.mapTo(dialog, dialog.name.rect().topLeft()).x()
        assert dialog.test_button.mapTo(dialog, dialog.test_button.rect().topLeft()).x() == field_x


async def test_dialog_stack_buttons_stay_right_when_there_is_no_stack(
    window: Any, tmp_path: Path
) -> None:
    url = await make_store(tmp_path / "state.db", KEYS)  # {"Profile": ...}: no DialogState
    await connect(window, url)
    await open_state(window, KEYS[2])
    detail = window.detail
    detail.tabs.setCurrentIndex(2)
    view = detail.stack_view
    await until(view.empty_label.isVisible)
    right = view.clear_button.mapTo(view, view.clear_button.rect().topRight()).x()
    assert view.width() - right < 16
    assert view.pop_button.width() < view.width() / 3


def test_a_pickled_enum_reads_as_its_type_and_value_not_as_an_empty_object() -> None:
    from explorer.ui.detail.values import preview

    prompt = {
        "py/object": "botbuilder.schema._models_py3.Activity",
        "type": {
            "py/reduce": [
                {"py/type": "botbuilder.schema._models_py3.ActivityTypes"},
                {"py/tuple": ["message"]},
            ]
        },
        "text": "Where to?",
    }
    assert preview(prompt) == '{type: ‹ActivityTypes "message"›, text: "Where to?"}'
    assert preview({"ref": {"py/id": 3}, "empty": {}}) == "{ref: ‹py/id 3›, empty: {}}"


async def test_about_names_the_version_and_the_data_dir(window: Any, tmp_path: Path) -> None:
    from explorer import __version__
    from explorer.ui.menus import about_box

    box = about_box(window, window.data_folder)  # the fixture keeps it in tmp_path / "data"
    assert f"Bot State Explorer {__version__}" in box.text()
    assert str(tmp_path / "data") in box.informativeText()
    menu_actions(window)["Help"]["About Bot State Explorer"].trigger()
    shown = await until(
        lambda: next((w for w in QApplication.topLevelWidgets()
                      if w.isVisible() and w.windowTitle() == "About Bot State Explorer"), None)
    )  # fmt: skip
    shown.close()


async def test_nothing_selected_shows_a_tip_not_empty_tables(window: Any, tmp_path: Path) -> None:
    detail = window.detail
    assert not detail.tabs.isVisible()
    assert detail.placeholder.isVisible()
    assert "Go to" in detail.placeholder.text()
    url = await make_store(tmp_path / "state.db", KEYS)
    await connect(window, url)
    await open_state(window, KEYS[0])
    assert detail.tabs.isVisible()
    assert not detail.placeholder.isVisible()
    window.detail_clear()
    assert not detail.tabs.isVisible()


async def test_shutdown_leaves_no_window_task_running(qtbot: Any, tmp_path: Path) -> None:
    import asyncio

    from explorer.app import shutdown

    url = await make_store(tmp_path / "state.db", KEYS)
    win = await _window(qtbot, tmp_path)
    await connect(win, url)
    node = win.manager.connections[-1].node.by_key[KEYS[0]]
    win.select_node(node)  # opening the state and loading its History starts now
    win.detail.show_audit_log()  # and an audit log viewer loads in the background
    assert win.runner.active
    win.close()
    await shutdown(win)
    current = asyncio.current_task()
    left = [t for t in asyncio.all_tasks() if t is not current and not t.done()]
    assert not win.runner.active
    assert not win.detail.running
    assert not win.manager.connections
    assert not [t for t in left if "explorer" in repr(t.get_coro())], left


async def test_conflict_dialog_says_once_what_is_still_pending(qtbot: Any, tmp_path: Path) -> None:
    from explorer.core.items import RawItem
    from explorer.ui.dialogs.conflict import ConflictDialog
    from explorer.workspace.session import EditSession

    async with SqliteStorage(tmp_path / "s.db") as store:
        stored = await store.write_raw(RawItem(key="webchat/users/u1", body=b'{"a": 1}'))
        session = EditSession(store, stored)
        session.set_property("a", 2)
        session.add_property("b", 3)
        await store.write_raw(RawItem(key="webchat/users/u1", body=b'{"a": 5}'))
        await session.fetch_theirs()
        dialog = ConflictDialog(session)
        qtbot.addWidget(dialog)
        text = dialog.detail.text()
        assert "Nothing was written: your 2 edits (" in text
        assert text.endswith("are still pending.")
        assert text.count("pending") == 1
        session.revert()
        session.delete_state()
        dialog = ConflictDialog(session)
        qtbot.addWidget(dialog)
        assert dialog.detail.text().endswith("the deletion of this state is still pending.")


async def test_a_save_refreshes_the_shown_history_and_enables_revert_last_save(
    window: Any, tmp_path: Path
) -> None:
    url = await make_store(tmp_path / "state.db", KEYS)
    await connect(window, url)
    await open_state(window, KEYS[0])
    detail = window.detail
    assert detail.history_view.backups_model.rowCount() == 0
    assert not detail.revert_last_action.isEnabled()
    session = detail.session
    session.set_property("Profile", {"n": 7})
    assert await window.pending.save_session(session)
    await until(lambda: detail.history_view.backups_model.rowCount() == 1)
    await until(detail.revert_last_action.isEnabled)
    assert detail.history_view.audit_model.rowCount() == 1
    detail.revert_last_action.trigger()  # the version before the save becomes the draft
    await until(lambda: session.is_dirty)
    assert session.draft["Profile"] == {"n": 0}
    window.pending.discard_all()  # else closing the window asks about the pending revert

"""The explorer window driven through its widgets, on real SQLite files."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QMessageBox, QPushButton

from explorer.app import build_window
from explorer.core.items import RawItem
from explorer.storage.sqlite import SqliteStorage
from explorer.ui.models import roles
from explorer.workspace.profiles import Profile
from explorer.workspace.tree import LoadState, NodeKind
from tests.ui.window_support import (
    first_of,
    labels,
    make_store,
    settings_at,
    until,
)

KEYS = [
    "msteams/users/29:1AbC-long-teams-user-id-0123456789",
    "msteams/users/29:1XyZ/",
    "msteams/conversations/a:1Q;messageid=17",
    "msteams/conversations/a:1Q;messageid=17/users/29:1AbC-long-teams-user-id-0123456789/",
    "webchat/users/dl_42",
    "webchat/conversations/Kx1|livechat/",
    "msteams:COPILOT/28:bot-app/users/u2",
    "auth/agent/sign-in",
]


def sqlite_profile(url: str, environment: str = "dev") -> Profile:
    return Profile(Path(url[7:]).name, "sqlite", environment, {"path": url[7:]})


async def connect(window: Any, url: str, environment: str = "dev") -> Any:
    before = len(window.manager.connections)
    window.connect_profile(sqlite_profile(url, environment), None)
    await until(lambda: len(window.manager.connections) > before)
    conn = window.manager.connections[-1]
    await until(lambda: conn.node.load_state is LoadState.LOADED)
    return conn


async def test_connect_lists_the_store_into_the_tree(window: Any, tmp_path: Path) -> None:
    url = await make_store(tmp_path / "state.db", KEYS)
    conn = await connect(window, url)
    assert labels(conn.node) == ["msteams", "msteams:COPILOT", "webchat", "Other keys"]
    model = window.model
    conn_index = model.index(0, 0)
    await until(lambda: window.view.isExpanded(conn_index))
    # the store's own count, asked for in the background (never the number listed so far)
    await until(lambda: model.data(conn_index.siblingAtColumn(1)) == str(len(KEYS)))
    teams = model.index(0, 0, conn_index)
    assert model.data(teams) == "msteams"
    assert model.data(teams.siblingAtColumn(1)) == "4"
    assert "DEV" in window.band.text()
    assert "state.db" in window.status.connection_label.text()
    assert "state.db" in window.windowTitle()


async def test_selecting_a_state_opens_it_in_the_detail_pane(window: Any, tmp_path: Path) -> None:
    url = await make_store(tmp_path / "state.db", KEYS)
    conn = await connect(window, url)
    user = first_of(conn.node, NodeKind.USER)
    window.select_node(user)
    await until(lambda: window.detail.key == user.key)
    assert window.view.currentIndex().data(roles.KEY_ROLE) == user.key
    # long ids are elided in the middle, the full key is in the tooltip
    assert window.view.textElideMode() == Qt.TextElideMode.ElideMiddle
    tooltip = window.view.currentIndex().data(Qt.ItemDataRole.ToolTipRole)
    assert tooltip.splitlines()[0] == user.key


@pytest.mark.parametrize(
    "pasted",
    [
        "msteams/conversations/a:1Q;messageid=17",  # the key
        "a:1Q;messageid=17",  # a conversation id
        "msteams*2fconversations*2fa:1Q;messageid=17*2f",  # js cosmos id
        "msteams*47conversations*47a:1Q;messageid=17",  # python cosmos id
        "msteams%2Fconversations%2Fa%3A1Q%3Bmessageid%3D17",  # js blob name
    ],
)
async def test_go_to_finds_a_key_in_any_form(window: Any, tmp_path: Path, pasted: str) -> None:
    url = await make_store(tmp_path / "state.db", KEYS)
    await connect(window, url)
    window.toolbar.goto_edit.setText(pasted)
    window.toolbar.goto_edit.returnPressed.emit()
    await until(
        lambda: (
            window.view.currentIndex().data(roles.KEY_ROLE)
            == "msteams/conversations/a:1Q;messageid=17"
        )
    )
    assert window.view.isExpanded(window.view.currentIndex().parent())


async def test_go_to_reads_the_key_before_the_listing_reaches_it(
    window: Any, tmp_path: Path
) -> None:
    url = await make_store(tmp_path / "state.db", [*KEYS, "zz/users/last"])
    conn = await connect(window, url)
    # forget the listing: go to must read the key itself, not find it in the tree
    window.manager.tree.clear_children(conn.node)
    window.toolbar.goto_edit.setText("29:1XyZ")
    window.toolbar.goto_edit.returnPressed.emit()
    await until(lambda: window.view.currentIndex().data(roles.KEY_ROLE) == "msteams/users/29:1XyZ/")
    assert conn.node.count == 1


async def test_go_to_an_id_used_twice_says_where_else_it_is(window: Any, tmp_path: Path) -> None:
    keys = ["msteams/users/shared-id", "webchat/users/shared-id", "slack/users/other"]
    url = await make_store(tmp_path / "state.db", keys)
    await connect(window, url)
    window.toolbar.goto_edit.setText("shared-id")
    window.toolbar.goto_edit.returnPressed.emit()
    await until(lambda: "2 states match" in window.status.currentMessage())
    shown = window.view.currentIndex().data(roles.KEY_ROLE)
    assert shown in keys[:2]
    assert (set(keys[:2]) - {shown}).pop() in window.status.currentMessage()


async def test_go_to_something_missing_says_so_in_the_status_bar(
    window: Any, tmp_path: Path
) -> None:
    url = await make_store(tmp_path / "state.db", KEYS)
    await connect(window, url)
    window.toolbar.goto_edit.setText("no-such-user")
    window.toolbar.goto_edit.returnPressed.emit()
    await until(lambda: "no-such-user" in window.status.error_label.text())


async def test_filter_shows_matching_ids_with_their_parents(window: Any, tmp_path: Path) -> None:
    url = await make_store(tmp_path / "state.db", KEYS)
    await connect(window, url)
    window.toolbar.filter_edit.setText("livechat")
    await until(lambda: window.view.model() is window.filter.results_model)
    proxy = window.filter.results_model
    conn_index = proxy.index(0, 0)
    assert proxy.rowCount(conn_index) == 1
    webchat = proxy.index(0, 0, conn_index)
    assert proxy.data(webchat) == "webchat"
    convs = proxy.index(0, 0, webchat)
    assert proxy.rowCount(webchat) == 1
    assert proxy.data(proxy.index(0, 0, convs)) == "Kx1|livechat"
    assert window.view.isExpanded(convs)
    assert window.status.currentMessage() == "Filter 'livechat': 1 matching state"
    window.toolbar.filter_edit.clear()
    await until(lambda: window.view.model() is window.model)
    assert window.model.rowCount(window.model.index(0, 0)) == 4


async def test_refresh_shows_what_others_wrote(window: Any, tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    url = await make_store(path, KEYS)
    conn = await connect(window, url)
    async with SqliteStorage(path) as other:
        await other.write_raw(RawItem(key="slack/users/new", body=json.dumps({}).encode()))
    window.view.setCurrentIndex(window.model.index(0, 0))
    window.toolbar.refresh_action.trigger()
    await until(lambda: "slack/users/new" in conn.node.by_key)
    await until(lambda: conn.node.load_state is LoadState.LOADED)
    assert conn.node.count == len(KEYS) + 1


async def test_several_connections_at_once(window: Any, tmp_path: Path) -> None:
    first = await make_store(tmp_path / "a.db", KEYS[:2])
    second = await make_store(tmp_path / "b.db", KEYS[4:6])
    await connect(window, first)
    await connect(window, second, environment="test")
    assert window.model.rowCount() == 2
    assert [window.model.data(window.model.index(r, 0)) for r in range(2)] == [
        "a.db  (SQLite file)",
        "b.db  (SQLite file)",
    ]
    second_conn = window.manager.connections[1]
    window.select_node(first_of(second_conn.node, NodeKind.USER))
    await until(lambda: "TEST" in window.band.text())
    window.select_node(first_of(window.manager.connections[0].node, NodeKind.USER))
    await until(lambda: "DEV" in window.band.text())


async def test_prod_opens_read_only_until_writes_are_unlocked(
    window: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = await make_store(tmp_path / "state.db", KEYS)
    conn = await connect(window, url, environment="prod")
    assert conn.store.read_only
    assert "PROD · read-only" in window.band.text()
    assert window.unlock_action.isEnabled()
    asked: list[str] = []

    def answer(*args: Any, **_kw: Any) -> QMessageBox.StandardButton:
        asked.append(args[1])
        return QMessageBox.StandardButton.Yes

    monkeypatch.setattr(QMessageBox, "warning", answer)
    user = first_of(conn.node, NodeKind.USER)
    window.select_node(user)
    await until(lambda: window.detail.key == user.key)
    assert not window.detail.editable
    window.unlock_action.trigger()
    await until(lambda: conn.writes_unlocked)
    # the shown state is reopened on the writable store and can be edited
    await until(lambda: window.detail.store is conn.store)
    assert window.detail.editable
    assert asked == ["Allow writes for this session"]
    assert not conn.store.read_only
    assert conn.node.store is conn.store
    assert "writes allowed" in window.band.text()
    assert not window.unlock_action.isEnabled()


async def test_a_store_that_cannot_open_reports_in_the_status_bar(
    window: Any, tmp_path: Path
) -> None:
    (tmp_path / "not-a-db").mkdir()
    window.connect_profile(sqlite_profile(f"sqlite:{tmp_path / 'not-a-db'}"), None)
    await until(lambda: window.status.error_label.text())
    assert "Connecting to not-a-db failed" in window.status.error_label.text()
    assert window.manager.connections == []


async def test_closing_with_unsaved_edits_asks_first(
    window: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = await make_store(tmp_path / "state.db", KEYS)
    conn = await connect(window, url)
    user = first_of(conn.node, NodeKind.USER)
    window.select_node(user)
    await until(lambda: window.detail.session is not None)
    window.detail.session.set_property("Profile", {"n": 99})
    await until(lambda: window.pending.has_unsaved())
    # the tree marks the edited state
    await until(lambda: window.model.index_of(user).data(roles.DIRTY_ROLE))
    assert window.toolbar.save_action.text() == "Save (1)"
    answers = [QMessageBox.StandardButton.Cancel, QMessageBox.StandardButton.Discard]
    monkeypatch.setattr(QMessageBox, "question", lambda *_a, **_k: answers.pop(0))
    assert not window.close()
    assert window.isVisible()
    assert window.close()
    assert answers == []


async def test_window_layout_is_restored(qtbot: Any, tmp_path: Path) -> None:
    settings = settings_at(tmp_path / "settings.ini")
    first = build_window(settings, tmp_path / "data")
    qtbot.addWidget(first)
    first.show()
    first.resize(780, 560)  # the offscreen screen is 800x600
    first.splitter.setSizes([300, 440])
    sizes, size = first.splitter.sizes(), first.size()
    assert size.height() == 560
    assert first.close()
    second = build_window(settings_at(tmp_path / "settings.ini"), tmp_path / "data")
    qtbot.addWidget(second)
    second.show()
    assert second.size() == size
    assert second.splitter.sizes() == sizes


def test_menus_use_standard_keys_and_mac_roles(window: Any) -> None:
    menus = {a.text().replace("&", ""): a.menu() for a in window.menuBar().actions()}
    assert list(menus) == ["File", "Edit", "View", "State", "Support", "Help"]
    actions = {a.text().replace("&", ""): a for m in menus.values() for a in m.actions()}
    assert actions["Quit"].menuRole().name == "QuitRole"
    assert actions["About Bot State Explorer"].menuRole().name == "AboutRole"
    assert actions["Go to…"].shortcut().toString() == "Ctrl+L"
    assert actions["Filter…"].shortcut().toString() == "Ctrl+F"
    assert window.toolbar.refresh_action.shortcut().toString() == "F5"
    assert "Allow writes for this session…" in actions
    assert any(name.startswith("Undo") for name in actions)


async def test_delete_marks_the_selected_state_and_discard_clears_the_mark(
    window: Any, tmp_path: Path
) -> None:
    url = await make_store(tmp_path / "state.db", KEYS)
    conn = await connect(window, url)
    user = first_of(conn.node, NodeKind.USER)
    window.select_node(user)
    await until(lambda: window.detail.key == user.key)
    delete = next(a for a in window.view.actions() if a.text() == "&Mark state for deletion")
    delete.trigger()
    await until(lambda: window.pending.has_unsaved())
    index = window.model.index_of(user)
    assert index.data(roles.DIRTY_ROLE)
    assert index.data().endswith("●")
    assert "Pending: 1 edit in 1 state" in window.status.pending_button.text()
    window.pending.discard_all()
    await until(lambda: not window.model.index_of(user).data(roles.DIRTY_ROLE))
    assert window.model.index_of(user).data() == user.label
    async with SqliteStorage(tmp_path / "state.db") as store:
        assert user.key in await store.read_raw([user.key])  # nothing was written


async def test_search_in_values_shows_the_states_that_contain_the_text(
    window: Any, tmp_path: Path
) -> None:
    path = tmp_path / "state.db"
    url = await make_store(path, KEYS)
    async with SqliteStorage(path) as store:
        await store.write({"webchat/users/dl_42": {"Profile": {"city": "Zürich"}}})
    await connect(window, url)
    window.toolbar.values_button.setChecked(True)
    window.toolbar.filter_edit.setText("zürich")
    window.toolbar.filter_edit.returnPressed.emit()
    await until(lambda: "1 of 8 states contain" in window.status.currentMessage())
    assert window.view.model() is window.filter.results_model
    rows = []
    proxy = window.filter.results_model
    stack = [proxy.index(0, 0)]
    while stack:
        index = stack.pop()
        key = proxy.data(index, roles.KEY_ROLE)
        if key:
            rows.append(key)
        stack.extend(proxy.index(r, 0, index) for r in range(proxy.rowCount(index)))
    assert rows == ["webchat/users/dl_42"]
    # back to ids: the tree shows everything again
    window.toolbar.values_button.setChecked(False)
    window.toolbar.filter_edit.clear()
    await until(lambda: window.view.model() is window.model)


async def test_empty_window_offers_connect_and_the_demo(window: Any) -> None:
    assert window.left.currentIndex() == 0  # the empty state, not an empty tree
    demo = next(b for b in window.left.widget(0).findChildren(QPushButton) if "demo" in b.text())
    demo.click()
    await until(lambda: window.manager.connections)
    conn = window.manager.connections[0]
    await until(lambda: conn.node.load_state is LoadState.LOADED)
    assert window.left.currentIndex() == 1
    assert conn.node.count > 100


async def test_a_big_group_pages_in_as_the_view_scrolls_to_its_end(
    window: Any, tmp_path: Path
) -> None:
    url = await make_store(tmp_path / "state.db", [f"webchat/users/u{i:05}" for i in range(2500)])
    conn = await connect(window, url)
    users = first_of(conn.node, NodeKind.USERS)
    assert len(users.children) == 2500
    window.view.expand(window.model.index_of(users.parent))
    window.view.expand(window.model.index_of(users))
    await until(lambda: window.model.shown(users) == 1000)
    for _ in range(20):  # nobody scrolls: relayouts do not page in more
        QApplication.processEvents()
    assert window.model.shown(users) == 1000
    for _ in range(3):
        window.view.scrollToBottom()
        await until(lambda: True)
    await until(lambda: window.model.shown(users) > 1000)
    # go to a row far below the pages shown
    window.select_node(users.children[2499])
    assert window.view.currentIndex().data(roles.KEY_ROLE) == "webchat/users/u02499"


async def test_filter_shows_a_matching_conversation_with_its_private_states(
    window: Any, tmp_path: Path
) -> None:
    url = await make_store(tmp_path / "state.db", KEYS)
    await connect(window, url)
    window.toolbar.filter_edit.setText("messageid=17")
    await until(lambda: window.filter.active)
    results = window.filter.results
    conv = results.find_key("msteams/conversations/a:1Q;messageid=17")
    assert conv is not None
    assert [c.label for c in conv.children] == ["private: 29:1AbC-long-teams-user-id-0123456789"]
    # selecting a result opens it, and clearing the filter keeps it selected in the tree
    window.view.setCurrentIndex(window.filter.results_model.index_of(conv))
    await until(lambda: window.detail.key == conv.key)
    window.toolbar.filter_edit.clear()
    await until(lambda: not window.filter.active)
    assert window.view.currentIndex().data(roles.KEY_ROLE) == conv.key


async def test_cancelling_a_listing_keeps_what_was_listed_and_refresh_lists_again(
    window: Any, tmp_path: Path
) -> None:
    keys = [f"webchat/users/u{i:06}" for i in range(30000)]
    url = await make_store(tmp_path / "state.db", keys)
    window.manager.paged_threshold = 10**9  # a streamed listing (big stores open paged)
    before = len(window.manager.connections)
    window.connect_profile(sqlite_profile(url), None)
    await until(lambda: len(window.manager.connections) > before)
    conn = window.manager.connections[-1]
    await until(lambda: conn.node.count > 0)
    await until(lambda: window.status.tasks.cancel_button.isVisible())
    window.status.tasks.cancel_button.click()
    await until(lambda: conn.node.load_state is LoadState.FAILED)
    assert 0 < conn.node.count < len(keys)
    assert "cancelled" in window.status.error_label.text()
    assert "listing stopped" in window.model.index(0, 0).data()
    window.view.setCurrentIndex(window.model.index(0, 0))
    window.toolbar.refresh_action.trigger()
    await until(lambda: conn.node.load_state is LoadState.LOADED, within=60)
    assert conn.node.count == len(keys)


async def test_disconnecting_with_unsaved_edits_asks_first(
    window: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = await make_store(tmp_path / "state.db", KEYS)
    conn = await connect(window, url)
    user = first_of(conn.node, NodeKind.USER)
    window.select_node(user)
    await until(lambda: window.detail.session is not None)
    window.detail.session.set_property("Profile", {"n": 7})
    answers = [QMessageBox.StandardButton.Cancel, QMessageBox.StandardButton.Discard]
    monkeypatch.setattr(QMessageBox, "question", lambda *_a, **_k: answers.pop(0))
    window.disconnect_current()
    assert window.manager.connections == [conn]
    window.disconnect_current()
    await until(lambda: window.manager.connections == [])
    assert not window.pending.has_unsaved()

"""The window over a big store: groups page in as the view scrolls, Go to reaches any key."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt

from explorer.workspace.tree import LoadState, NodeKind
from explorer.workspace.tree_load import PAGE_KEYS
from tests.ui.test_main_window import sqlite_profile
from tests.ui.window_support import first_of, make_store, until

USERS = [f"msteams/users/29:{i:05d}" for i in range(3000)]
KEYS = [*USERS, "msteams/conversations/c1", "webchat/users/u1", "auth/sign-in"]


async def test_a_big_store_pages_in_as_the_view_scrolls(
    window: Any, tmp_path: Path, qtmodeltester: Any
) -> None:
    url = await make_store(tmp_path / "big.db", KEYS)
    window.manager.paged_threshold = 100
    window.connect_profile(sqlite_profile(url), None)
    await until(lambda: window.manager.connections)
    conn = window.manager.connections[0]
    assert conn.node.paged
    await until(lambda: conn.node.load_state is LoadState.LOADED)
    assert conn.listing is None  # nothing streams the whole store
    model, view = window.model, window.view
    users = first_of(conn.node, NodeKind.USERS)
    view.expand(model.index_of(users.parent))
    view.expand(model.index_of(users))
    await until(lambda: len(users.children) > 0 and users.load_state is LoadState.UNLOADED)
    assert len(users.children) == PAGE_KEYS  # one page, not the group
    # the store's count, not the number read
    count = model.index_of(conn.node, 1)
    await until(lambda: model.data(count) == "3.0k")
    assert "3,003 items in the store" in model.data(count, Qt.ItemDataRole.ToolTipRole)
    # scrolling to the end reads the next page, in key order
    # scrolling to the end shows the next page, read from the store in key order
    await until(lambda: len(users.children) >= 4 * PAGE_KEYS or view.scrollToBottom())
    await asyncio.sleep(0.3)
    read = [n.key for n in users.children]
    assert read == USERS[: len(read)]
    assert len(read) < len(USERS)  # not the whole group
    # Go to a key not read yet: it is read by key, inserted and selected
    window.toolbar.goto_edit.setText("29:02999")
    window.go_to()
    await until(lambda: window.current_node() is not None
                and window.current_node().key == "msteams/users/29:02999")  # fmt: skip
    await asyncio.sleep(0.3)
    assert len(users.children) == len(read) + 1  # going there read no page
    # the user scrolls: the group reads on from where its pages stopped
    view.verticalScrollBar().triggerAction(view.verticalScrollBar().SliderAction.SliderToMaximum)
    await until(lambda: len(users.children) > len(read) + 1 or view.scrollToBottom())
    keys = [n.key for n in users.children]
    assert keys[len(read)] == "msteams/users/29:02999"
    assert keys[len(read) + 1] == USERS[len(read)]  # the next page, in key order
    # a refresh finds the groups again
    window.manager.refresh(conn)
    await until(lambda: conn.node.load_state is LoadState.LOADED and conn.node.children)
    await asyncio.sleep(0.3)
    # read again from the start: at most the page the view asks for
    again = [n.key for n in first_of(conn.node, NodeKind.USERS).children]
    assert again == USERS[: len(again)]
    assert len(again) <= PAGE_KEYS
    # the invariants (the tester walks every row: it pages the whole group in)
    qtmodeltester.check(model)


async def test_the_filter_asks_a_big_store_for_ids_that_start_with_the_text(
    window: Any, tmp_path: Path
) -> None:
    url = await make_store(tmp_path / "big.db", KEYS)
    window.manager.paged_threshold = 100
    window.connect_profile(sqlite_profile(url), None)
    await until(lambda: window.manager.connections)
    conn = window.manager.connections[0]
    await until(lambda: conn.node.load_state is LoadState.LOADED and conn.node.children)
    assert conn.node.listed == 0  # no page read: the filter cannot look among listed keys
    assert "START with the text" in window.toolbar.filter_edit.toolTip()
    # a pasted id far down a group nobody scrolled: found by a prefix page of the store
    window.toolbar.filter_edit.setText("29:02999")
    assert not window.filter.timer.isActive()  # a paste is asked at once, not after a pause
    assert window.filter.filtering is not None
    await until(lambda: window.view.model() is window.filter.results_model)
    await until(lambda: "1 matching state" in window.status.currentMessage())
    assert "that start with '29:02999'" in window.status.currentMessage()
    results = window.filter.results.root.children[0]
    assert [n.key for n in results.walk() if n.is_state] == ["msteams/users/29:02999"]
    # placed in the main tree as Go to places it: selecting the result goes there
    assert "msteams/users/29:02999" in conn.node.by_key
    assert len(conn.node.by_key) == 1  # one key read, not a page
    # a fragment that starts thousands of ids: the first per group, "more" said
    window.toolbar.filter_edit.setText("29:0")
    await until(lambda: "type more of the id" in window.status.currentMessage())
    message = window.status.currentMessage()
    assert "more ids start with 'msteams/users/29:0'" in message
    shown = [n.key for n in window.filter.results.root.children[0].walk() if n.is_state]
    assert shown == USERS[: len(shown)]
    assert 0 < len(shown) < PAGE_KEYS
    # typing on cancels the previous query quietly; a substring in the middle is no prefix
    window.toolbar.filter_edit.setText("0299")
    await until(lambda: "0 matching states" in window.status.currentMessage())
    assert "cancelled" not in window.status.error_label.text()
    assert "in values" in window.status.currentMessage()  # the full scan is offered
    window.toolbar.filter_edit.setText("02999")  # one key typed: the filter waits for more
    assert window.filter.timer.isActive()
    window.toolbar.filter_edit.clear()
    await until(lambda: window.view.model() is window.model)

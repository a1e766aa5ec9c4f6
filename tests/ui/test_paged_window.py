"""The window over a big store: groups page in as the view scrolls, End and the
scroll bar reach a group's end by one seek, Go to reaches any key, far rows are
dropped back into gaps."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from explorer.workspace.tree import LoadState, Node, NodeKind
from explorer.workspace.tree_paged import PAGE_KEYS
from tests.ui.test_main_window import sqlite_profile
from tests.ui.window_support import first_of, make_store, until

USERS = [f"msteams/users/29:{i:05d}" for i in range(3000)]
KEYS = [*USERS, "msteams/conversations/c1", "webchat/users/u1", "auth/sign-in"]


def _keys(group: Node) -> list[str]:
    return [n.key for n in group.children if n.key is not None]


def _gaps(group: Node) -> int:
    return sum(1 for n in group.children if n.kind is NodeKind.GAP)


async def _open_users(window: Any, tmp_path: Path) -> tuple[Any, Node]:
    """Connect to a paged store, expand msteams' Users and wait for its first page."""
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
    await until(lambda: _keys(users) and users.children[-1].load_state is LoadState.UNLOADED)
    return conn, users


async def test_a_big_store_pages_in_as_the_view_scrolls(
    window: Any, tmp_path: Path, qtmodeltester: Any
) -> None:
    conn, users = await _open_users(window, tmp_path)
    model, view = window.model, window.view
    assert _keys(users) == USERS[:PAGE_KEYS]  # one page, not the group
    gap = users.children[-1]
    assert gap.kind is NodeKind.GAP  # the rest of the group: one gap row
    # the store's count, not the number read
    count = model.index_of(conn.node, 1)
    await until(lambda: model.data(count) == "3.0k")
    assert "3,003 items in the store" in model.data(count, Qt.ItemDataRole.ToolTipRole)
    await until(lambda: users.store_count is not None or model.data(model.index_of(users, 1)))
    await until(lambda: "2,500 more" in model.data(model.index_of(users.children[-1])))
    assert "End" in model.data(model.index_of(users.children[-1]))
    # scrolling to the end shows the next page, read from the store in key order
    await until(lambda: len(_keys(users)) >= 4 * PAGE_KEYS or view.scrollToBottom())
    await asyncio.sleep(0.3)
    read = _keys(users)
    assert read == USERS[: len(read)]
    assert len(read) < len(USERS)  # not the whole group
    # Go to a key not read yet: read by key, placed at its key order (the gap
    # splits around it) and selected
    window.toolbar.goto_edit.setText("29:02999")
    window.go_to()
    target = "msteams/users/29:02999"
    await until(lambda: window.current_node() is not None and window.current_node().key == target)
    await asyncio.sleep(0.3)
    assert _keys(users) == [*read, target]  # going there read no page
    assert [n.kind for n in users.children[-3:]] == [NodeKind.GAP, NodeKind.USER, NodeKind.GAP]
    # the user scrolls: the gaps next to the row read on, each key once, in order
    view.verticalScrollBar().triggerAction(view.verticalScrollBar().SliderAction.SliderToMaximum)
    await until(lambda: len(_keys(users)) > len(read) + 1)
    await asyncio.sleep(0.3)
    keys = _keys(users)
    assert keys == sorted(set(keys))
    assert USERS[len(read)] in keys  # read forwards after the first pages
    # the gap after it held nothing: reading it found the group's end
    await until(lambda: users.children[-1].key == target)
    # the invariants, with gap rows (the tester walks every row)
    qtmodeltester.check(model)
    # a refresh finds the groups again
    window.manager.refresh(conn)
    await until(lambda: conn.node.load_state is LoadState.LOADED and conn.node.children)
    await asyncio.sleep(0.3)
    # read again from the start: at most the page the view asks for
    again = _keys(first_of(conn.node, NodeKind.USERS))
    assert again == USERS[: len(again)]
    assert len(again) <= PAGE_KEYS


async def test_end_reads_the_last_page_and_selects_the_last_row(
    window: Any, tmp_path: Path, qtmodeltester: Any
) -> None:
    conn, users = await _open_users(window, tmp_path)
    model, view = window.model, window.view
    # more rows than the model shows of a plain group at once (page_rows)
    await until(lambda: len(_keys(users)) > model.page_rows or view.scrollToBottom())
    await asyncio.sleep(0.2)
    before = len(users.children)
    told = [0]  # rows the model announced under the group since

    def inserted(parent: Any, first: int, last: int) -> None:
        if model.node(parent) is users:
            told[0] += last - first + 1

    def removed(parent: Any, first: int, last: int) -> None:
        if model.node(parent) is users:
            told[0] -= last - first + 1

    model.rowsInserted.connect(inserted)
    model.rowsRemoved.connect(removed)
    view.setCurrentIndex(model.index_of(users.children[3]))
    view.setFocus()
    QTest.keyClick(view, Qt.Key.Key_End)
    await until(lambda: window.current_node() is not None
                and window.current_node().key == USERS[-1])  # fmt: skip
    await asyncio.sleep(0.3)
    keys = _keys(users)
    assert keys[:PAGE_KEYS] == USERS[:PAGE_KEYS]
    assert keys[-PAGE_KEYS:] == USERS[-PAGE_KEYS:]
    assert len(keys) <= 4 * PAGE_KEYS  # nothing like the whole group in between
    assert conn.node.listed <= 4 * PAGE_KEYS
    assert before + told[0] == len(users.children)  # every row change was announced
    assert _gaps(users) == 1
    last = view.visualRect(model.index_of(users.children[-1]))
    assert last.intersects(view.viewport().rect())  # and shown
    qtmodeltester.check(model)
    # End on the group row itself: already at the end, the last row again
    view.setCurrentIndex(model.index_of(users))
    QTest.keyClick(view, Qt.Key.Key_End)
    await until(lambda: window.current_node() is not None
                and window.current_node().key == USERS[-1])  # fmt: skip


async def test_dragging_the_scroll_bar_to_the_bottom_reads_the_end(
    window: Any, tmp_path: Path
) -> None:
    conn, users = await _open_users(window, tmp_path)
    bar = window.view.verticalScrollBar()
    bar.setSliderDown(True)  # the user holds the slider...
    bar.setValue(bar.maximum())  # ...and drags it to the bottom
    await until(lambda: USERS[-1] in _keys(users))
    await asyncio.sleep(0.2)
    keys = _keys(users)
    assert keys[-PAGE_KEYS:] == USERS[-PAGE_KEYS:]  # the end, not the next page
    assert keys[:PAGE_KEYS] == USERS[:PAGE_KEYS]
    assert len(keys) == 2 * PAGE_KEYS  # nothing read while the slider is held
    bar.setSliderDown(False)
    await asyncio.sleep(0.2)
    assert conn.node.listed <= 4 * PAGE_KEYS


async def test_far_rows_are_dropped_but_the_selected_row_stays(
    window: Any, tmp_path: Path, qtmodeltester: Any
) -> None:
    conn, users = await _open_users(window, tmp_path)
    model, view = window.model, window.view
    model.max_group_rows, model.keep_rows = 3 * PAGE_KEYS, PAGE_KEYS
    chosen = users.children[3]
    view.setCurrentIndex(model.index_of(chosen))
    # the user scrolls down through the whole group (the view, not the selection)
    most = 0

    def scrolled_to_the_end() -> bool:
        nonlocal most
        most = max(most, len(users.children))
        view.scrollToBottom()
        return USERS[-1] in conn.node.by_key

    await until(scrolled_to_the_end, within=30)
    await until(lambda: len(users.children) <= 3 * PAGE_KEYS + 3)
    assert chosen.attached
    assert window.current_node() is chosen
    assert view.currentIndex().isValid()
    assert model.node(view.currentIndex()) is chosen
    assert USERS[1000] not in conn.node.by_key  # a row far from the view went
    assert _gaps(users) >= 1
    assert most <= 3 * PAGE_KEYS + PAGE_KEYS + 3  # never much past the bound
    keys = _keys(users)
    assert keys == sorted(keys)
    qtmodeltester.check(model)


async def test_scrolling_up_from_the_end_reads_backwards_and_keeps_the_view(
    window: Any, tmp_path: Path
) -> None:
    conn, users = await _open_users(window, tmp_path)
    model, view = window.model, window.view
    view.setCurrentIndex(model.index_of(users.children[0]))
    QTest.keyClick(view, Qt.Key.Key_End)
    await until(lambda: USERS[-1] in conn.node.by_key)
    await asyncio.sleep(0.2)
    tail = next(n for n in users.children if n.key == USERS[-PAGE_KEYS])
    # the user scrolls up to the first rows read from the end, the gap just above
    view.scrollTo(model.index_of(tail), view.ScrollHint.PositionAtTop)
    y = view.visualRect(model.index_of(tail)).top()
    await until(lambda: USERS[-PAGE_KEYS - 1] in conn.node.by_key)  # read backwards
    await asyncio.sleep(0.3)
    QTest.qWait(100)
    assert view.visualRect(model.index_of(tail)).top() == y  # the rows did not move
    read = len(conn.node.by_key)
    await asyncio.sleep(0.5)
    QTest.qWait(200)
    assert len(conn.node.by_key) == read  # and reading stopped there
    keys = _keys(users)
    assert keys == sorted(keys)
    assert keys[-2 * PAGE_KEYS :] == USERS[-2 * PAGE_KEYS :]


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

"""Live watch and Insights in the window: real widgets offscreen, real SQLite files.

Watch: Ctrl+W on the shown state marks its row, a bot's change lands in the
timeline with a banner and refreshes a clean state; pending edits stay
pending (their base etag kept, so Save meets the conflict flow); two versions
compare side by side; selecting another state stops the watch. Insights: the
page of a store of known composition, its bars lead to the items, a chart
saves as PNG, light and dark. The tree shows Size and Modified from the listing.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCharts import QChart
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QImage

from explorer.app import build_window
from explorer.storage.sqlite import SqliteStorage
from explorer.ui.dialogs.diff import DiffView
from explorer.ui.insights import INSIGHTS_SHORTCUT, WATCH_SHORTCUT, WindowInsights
from explorer.ui.models.state_tree_model import MODIFIED_COLUMN, SIZE_COLUMN, WATCH_MARK
from explorer.ui.theme import THEME_ENV
from explorer.workspace.profiles import Profile
from explorer.workspace.tree import Node, NodeKind
from tests.support.known_store import EXPECTED, KNOWN
from tests.ui.window_support import settings_at, until

USER = "msteams/users/29:1AbC"
CONV = "webchat/conversations/c1|livechat/"


@pytest.fixture
async def store_path(tmp_path: Path) -> Path:
    path = tmp_path / "known.db"
    async with SqliteStorage(path) as store:
        await store.write(KNOWN)
    return path


@pytest.fixture
async def window(qtbot: Any, tmp_path: Path, store_path: Path) -> AsyncIterator[Any]:
    win = build_window(settings_at(tmp_path / "settings.ini"), tmp_path / "data")
    qtbot.addWidget(win)
    win.resize(1200, 800)
    win.show()
    path = str(store_path)
    win.connect_profile(Profile("known", "sqlite", "dev", {"path": path}), None)
    await until(lambda: win.manager.connections and win.manager.connections[0].node.count == 19)
    win.insights.controller.interval = 0.1
    yield win
    win.runner.cancel_all()
    await win.manager.close_all()


def _node(window: Any, key: str) -> Node:
    node = window.manager.connections[0].node.by_key[key]
    assert isinstance(node, Node)
    return node


async def _show(window: Any, key: str) -> None:
    window.select_node(_node(window, key))
    await until(lambda: window.detail.session is not None and window.detail.key == key)


async def _bot_writes(path: Path, changes: dict[str, Any]) -> None:
    async with SqliteStorage(path) as bot:  # another connection: the running bot
        await bot.write(changes)


def _label(window: Any, key: str) -> str:
    node = _node(window, key)
    return str(window.model.data(window.model.index_of(node)))


async def test_watch_timeline_banner_and_pending_edits_kept(window: Any, store_path: Path) -> None:
    insights: WindowInsights = window.insights
    controller, panel = insights.controller, insights.panel
    await _show(window, USER)
    assert insights.watch_action.shortcut().toString() == WATCH_SHORTCUT
    insights.watch_action.trigger()  # Ctrl+W
    await until(lambda: controller.versions)
    assert controller.watching
    assert panel.isVisible()
    assert WATCH_MARK in _label(window, USER)
    assert "no change by the bot yet" in panel.banner.label.text()

    await _bot_writes(store_path, {USER: {"UserProfile": {"name": "Ada", "visits": 2}}})
    await until(lambda: controller.last_change is not None)
    assert controller.last_change.paths == ("UserProfile.visits",)
    text = panel.banner.label.text()
    assert text.startswith("The bot changed this state 0 s ago")
    assert "Shown as it is now" in text
    session = window.detail.session
    assert session.draft["UserProfile"]["visits"] == 2  # a clean state follows the bot
    assert window.model.data(window.model.index_of(_node(window, USER), SIZE_COLUMN))

    session.set_property("UserProfile", {"name": "Ada L."})  # a pending edit
    base = session.etag
    await _bot_writes(store_path, {USER: {"UserProfile": {"name": "Ada", "visits": 3}}})
    await until(lambda: len(controller.versions) == 3)
    assert session.is_dirty
    assert session.draft["UserProfile"] == {"name": "Ada L."}  # still mine
    assert session.etag == base  # Save is checked against it: the conflict flow
    assert "Your pending edit stays as it is" in panel.banner.label.text()
    assert panel.timeline.topLevelItemCount() == 3
    assert panel.timeline.topLevelItem(0).text(2) == "changed"
    assert panel.timeline.topLevelItem(2).text(2) == "loaded"

    assert not panel.compare_button.isEnabled()
    panel.timeline.topLevelItem(0).setSelected(True)
    panel.timeline.topLevelItem(2).setSelected(True)
    assert panel.compare_button.isEnabled()
    dialog = panel.compare_selected()
    assert dialog is not None
    diff = dialog.findChild(DiffView)
    assert any(row.kind != "equal" for row in diff.rows)
    assert diff.left_title.text().endswith("· loaded · " + controller.versions[0].etag)
    dialog.close()

    session.revert()
    await _show(window, CONV)  # another state shown: the watch stops
    await until(lambda: not controller.watching)
    assert not insights.watch_action.isChecked()
    assert WATCH_MARK not in _label(window, USER)


async def test_watch_a_conversation_with_its_private_states(window: Any, store_path: Path) -> None:
    controller = window.insights.controller
    await _show(window, CONV)
    window.insights.watch_action.trigger()
    await until(lambda: len(controller.versions) == 3)  # the conversation and 2 private
    private = "webchat/conversations/c1|livechat/users/dl_1/"
    assert WATCH_MARK in _label(window, private)
    await _bot_writes(store_path, {private: {"PrivateData": {"step": 1}}})
    await until(lambda: controller.last_change is not None)
    assert controller.last_change.key == private
    assert "a private state" in window.insights.panel.banner.label.text()
    window.insights.watch_action.trigger()  # Ctrl+W again: stop
    await until(lambda: not controller.watching)
    assert WATCH_MARK not in _label(window, private)


async def test_watch_needs_a_shown_state(window: Any) -> None:
    window.detail_clear()
    window.insights.watch_action.trigger()
    assert not window.insights.watch_action.isChecked()
    assert "select a state" in window.status.error_label.text()


def test_shortcuts_are_unique(window: Any) -> None:
    mine = {WATCH_SHORTCUT, INSIGHTS_SHORTCUT}
    taken = [
        a.shortcut().toString()
        for a in {*window.findChildren(QAction), *window.detail.findChildren(QAction)}
        if not a.shortcut().isEmpty()
    ]
    for shortcut in mine:
        assert taken.count(shortcut) == 1, shortcut


async def test_insights_page_of_a_known_store_leads_to_the_items(
    window: Any, tmp_path: Path
) -> None:
    dialog = window.insights.open_insights()
    await window.runner.wait_idle(30)
    page = dialog.page
    assert page.stats is not None
    assert page.stats.counts.total == EXPECTED["total"]
    assert dialog.windowTitle() == "Insights — known"
    assert "19 items" in page.summary.text()
    assert page.largest.count() == 10
    assert page.largest.item(0).data(256) == EXPECTED["largest"]

    channel_sets = page.channels.chart.series()[0].barSets()
    assert [s.label() for s in channel_sets] == ["user", "conversation", "private"]
    categories = page.channels.chart.axes()[0].categories()
    assert categories[-1] == "msteams"  # most items first, on top
    channel_sets[0].clicked.emit(len(categories) - 1)  # msteams' users bar
    current = window.current_node()
    assert current.kind is NodeKind.USERS
    assert current.parent.label == "msteams"

    menu = page.offer("dialog:bookingDialog")
    keys = [a.text() for a in menu.actions()[1:]]
    assert sorted(keys) == sorted(["msteams/conversations/19:abc@thread.tacv2;messageid=1", CONV])
    menu.actions()[1].trigger()
    await until(lambda: window.current_node() is not None and window.current_node().key == keys[0])
    menu.close()
    size_sets = page.sizes.chart.series()[0].barSets()
    assert [s.label() for s in size_sets] == ["items", "near or over the Cosmos DB 2 MB limit"]
    page.largest.itemClicked.emit(page.largest.item(0))
    assert window.current_node().key == EXPECTED["largest"]

    png = tmp_path / "channels.png"
    assert page.channels.save_png(str(png))
    image = QImage(str(png))
    assert image.width() > 200
    assert image.height() > 150
    dialog.close()


async def test_insights_of_a_subtree(window: Any) -> None:
    conn = window.manager.connections[0].node
    window.select_node(conn.index["c:webchat"])
    dialog = window.insights.open_insights()
    await window.runner.wait_idle(30)
    assert dialog.windowTitle() == "Insights — known / webchat"
    assert dialog.page.stats.counts.total == 5
    dialog.close()


async def test_charts_follow_light_and_dark(window: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    dialog = window.insights.open_insights()
    await window.runner.wait_idle(30)
    chart = dialog.page.channels.chart
    assert chart.theme() is QChart.ChartTheme.ChartThemeLight
    monkeypatch.setenv(THEME_ENV, "dark")
    dialog.page.apply_theme()
    assert chart.theme() is QChart.ChartTheme.ChartThemeDark
    bar = dialog.page.channels.chart.series()[0].barSets()[0]
    assert bar.color().name() == "#3f7fd6"  # the kinds keep their colours in both
    dialog.close()


async def test_tree_shows_size_and_modified_from_the_listing(window: Any) -> None:
    model = window.model
    node = _node(window, USER)
    assert model.headerData(SIZE_COLUMN, Qt.Orientation.Horizontal) == "Size"
    assert model.headerData(MODIFIED_COLUMN, Qt.Orientation.Horizontal) == "Modified"
    size = model.data(model.index_of(node, SIZE_COLUMN))
    assert size.endswith(" B")
    modified = model.data(model.index_of(node, MODIFIED_COLUMN))
    assert len(modified) in (len("Dec 04 20:09"), len("2024-05-01"))
    group = node.parent
    assert model.data(model.index_of(group, SIZE_COLUMN)) == ""  # groups have none
    await asyncio.sleep(0)

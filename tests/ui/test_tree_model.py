"""StateTreeModel and StateFilterModel against the model invariants (qtmodeltester)."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QModelIndex, Qt

from explorer.core.items import Entry
from explorer.state.tree import LoadState, Node, StateTree
from explorer.ui.models import roles
from explorer.ui.models.state_tree_model import DIRTY_MARK, StateFilterModel, StateTreeModel

KEYS = [
    "msteams/users/29:1AbC",
    "msteams/users/29:1XyZ/",
    "msteams/conversations/a:1Q;messageid=17",
    "msteams/conversations/a:1Q;messageid=17/users/29:1AbC/",
    "webchat/users/u1",
    "msteams:COPILOT/28:bot-app/users/u2",
    "auth/agent/sign-in",
]


def find(model: Any, text: str, parent: QModelIndex | None = None) -> QModelIndex:
    parent = parent or QModelIndex()
    for row in range(model.rowCount(parent)):
        index = model.index(row, 0, parent)
        if str(model.data(index)).startswith(text):
            return index
        below = find(model, text, index)
        if below.isValid():
            return below
    return QModelIndex()


def test_model_passes_the_tester_while_rows_stream_in(qapp: Any, qtmodeltester: Any) -> None:
    tree = StateTree()
    model = StateTreeModel(tree)
    conn = tree.add_connection("local", None)
    tree.add_entries(conn, [Entry(key=k) for k in KEYS])
    qtmodeltester.check(model)
    # the tester stays attached: later batches, a new connection and removals
    tree.add_entries(conn, [Entry(key=f"msteams/users/n{i}") for i in range(300)])
    tree.add_entries(conn, [Entry(key="slack/conversations/c1/users/u1")])
    other = tree.add_connection("second", None)
    tree.add_entries(other, [Entry(key=k) for k in KEYS[:3]])
    tree.clear_children(conn)
    tree.remove_connection(other)
    qtmodeltester.check(model)
    assert model.rowCount() == 1


def test_rows_show_ids_counts_and_tooltips(qapp: Any) -> None:
    tree = StateTree()
    model = StateTreeModel(tree)
    conn = tree.add_connection("local", None)
    tree.add_entries(conn, [Entry(key=k, size=120) for k in KEYS])
    teams = find(model, "msteams")
    assert model.data(teams.siblingAtColumn(1)) == "4…"  # listing still running
    tree.set_load_state(conn, LoadState.LOADED)
    assert model.data(teams.siblingAtColumn(1)) == "4"
    users = find(model, "Users", teams)
    assert model.rowCount(users) == 2
    user = model.index(0, 0, users)
    assert model.data(user) == "29:1AbC"
    assert model.data(user, roles.KEY_ROLE) == "msteams/users/29:1AbC"
    tip = model.data(user, Qt.ItemDataRole.ToolTipRole)
    assert "msteams/users/29:1AbC" in tip
    assert "120 bytes" in tip
    assert model.data(user.siblingAtColumn(1)) == ""
    assert model.parent(user) == users
    assert model.rowCount(user.siblingAtColumn(1)) == 0


def test_pending_edits_mark_rows(qapp: Any) -> None:
    tree = StateTree()
    dirty: set[str] = set()
    model = StateTreeModel(tree, is_dirty=dirty.__contains__)
    conn = tree.add_connection("local", None)
    tree.add_entries(conn, [Entry(key=k) for k in KEYS])
    changed: list[QModelIndex] = []
    model.dataChanged.connect(lambda a, _b, _r: changed.append(a))
    dirty.add("webchat/users/u1")
    model.refresh_dirty()
    index = find(model, "u1")
    assert model.data(index) == f"u1  {DIRTY_MARK}"
    assert model.data(index, roles.DIRTY_ROLE) is True
    assert index in changed
    dirty.clear()
    model.refresh_dirty()
    assert model.data(index) == "u1"


def test_fetch_more_marks_loading_and_hands_over_without_io(qtmodeltester: Any) -> None:
    tree = StateTree()
    requested: list[Node] = []
    model = StateTreeModel(tree, on_fetch=requested.append)
    conn = tree.add_connection("blob", None, lazy=True)
    index = model.index(0, 0)
    assert model.hasChildren(index)
    assert model.canFetchMore(index)
    model.fetchMore(index)
    assert requested == [conn]
    assert not model.canFetchMore(index)  # no second load while the first runs
    qtmodeltester.check(model)


def test_filter_keeps_matching_states_and_their_parents(qtmodeltester: Any) -> None:
    tree = StateTree()
    model = StateTreeModel(tree)
    conn = tree.add_connection("local", None)
    tree.add_entries(conn, [Entry(key=k) for k in KEYS])
    proxy = StateFilterModel()
    proxy.setSourceModel(model)
    proxy.set_needle("1abc")
    qtmodeltester.check(proxy)
    teams = find(proxy, "msteams")
    assert proxy.rowCount(QModelIndex()) == 1
    assert [proxy.data(proxy.index(r, 0, teams)) for r in range(proxy.rowCount(teams))] == [
        "Users",
        "Conversations",
    ]
    assert find(proxy, "u1") == QModelIndex()
    # a matching conversation keeps its private states
    proxy.set_needle("messageid=17")
    conv = find(proxy, "a:1Q")
    assert proxy.rowCount(conv) == 1
    proxy.set_needle("")
    assert proxy.rowCount(QModelIndex()) == 1
    assert proxy.rowCount(proxy.index(0, 0)) == 4

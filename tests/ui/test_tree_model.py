"""StateTreeModel against the model invariants (qtmodeltester), paging, marks."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from PySide6.QtCore import QModelIndex, Qt

from explorer.core.items import Entry
from explorer.ui.models import roles
from explorer.ui.models.state_tree_model import DIRTY_MARK, StateTreeModel
from explorer.workspace.tree import LoadState, Node, StateTree

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


def test_big_groups_are_paged_until_the_view_asks_for_more(qapp: Any, qtmodeltester: Any) -> None:
    tree = StateTree()
    model = StateTreeModel(tree, page_rows=5)
    conn = tree.add_connection("local", None)
    tree.add_entries(conn, [Entry(key=f"webchat/users/u{i:02}") for i in range(3)])
    users = find(model, "Users")
    assert model.rowCount(users) == 3
    tree.add_entries(conn, [Entry(key=f"webchat/users/u{i:02}") for i in range(3, 12)])
    assert model.rowCount(users) == 5  # one page; the rest waits in the tree
    # QTreeView asks on every relayout: more only once the end has been drawn
    assert not model.canFetchMore(users)
    model.data(model.index(4, 0, users))
    assert model.canFetchMore(users)
    model.fetchMore(users)
    model.fetchMore(users)  # asked twice before the page arrives: one page
    assert model.rowCount(users) == 5  # fetchMore returns at once
    qapp.processEvents()
    assert model.rowCount(users) == 10
    model.data(model.index(9, 0, users))
    model.fetchMore(users)
    qapp.processEvents()
    assert model.rowCount(users) == 12
    assert not model.canFetchMore(users)
    # go to a row beyond the page: it is paged in
    tree.add_entries(conn, [Entry(key=f"webchat/users/u{i:02}") for i in range(12, 30)])
    last = conn.by_key["webchat/users/u29"]
    assert not model.index_of(last).isValid()
    model.reveal(last)
    assert model.index_of(last).isValid()
    assert model.data(model.index_of(last)) == "u29"
    # new groups among shown rows keep every shown row
    tree.add_entries(conn, [Entry(key=f"a{i}/users/x") for i in range(8)])
    assert model.rowCount() == 1
    assert model.rowCount(model.index(0, 0)) == 9
    tree.clear_children(conn)
    assert model.rowCount(model.index(0, 0)) == 0
    tree.add_entries(conn, [Entry(key=f"webchat/users/v{i}") for i in range(7)])
    assert model.rowCount(find(model, "Users")) == 5
    model.set_paging(False)
    assert model.rowCount(find(model, "Users")) == 7
    qtmodeltester.check(model)


def test_paged_model_passes_the_tester_while_rows_stream_in(qapp: Any, qtmodeltester: Any) -> None:
    tree = StateTree()
    model = StateTreeModel(tree, page_rows=4)
    conn = tree.add_connection("local", None)
    qtmodeltester.check(model)  # stays attached and fetches pages itself
    for start in range(0, 40, 6):
        tree.add_entries(
            conn,
            [Entry(key=f"webchat/users/u{i:02}") for i in range(start, start + 6)]
            + [Entry(key=f"c{start}/conversations/x/users/{i}") for i in range(3)],
        )
        qapp.processEvents()
    tree.clear_children(conn)
    qapp.processEvents()
    assert model.rowCount(model.index(0, 0)) == 0


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["add", "clear", "page", "reveal"]),
            st.lists(st.sampled_from(["webchat", "msteams", "slack"]), max_size=3),
            st.integers(0, 12),
        ),
        max_size=10,
    )
)
def test_paged_model_stays_consistent_under_random_changes(
    qapp: Any, steps: list[tuple[str, list[str], int]]
) -> None:
    from PySide6.QtCore import qInstallMessageHandler
    from PySide6.QtTest import QAbstractItemModelTester

    failures: list[str] = []

    def record(_kind: Any, _context: Any, message: str) -> None:
        if "FAIL" in message or "Compared values" in message:
            failures.append(message)

    previous = qInstallMessageHandler(record)
    tree = StateTree()
    model = StateTreeModel(tree, page_rows=3)
    tester = QAbstractItemModelTester(model, QAbstractItemModelTester.FailureReportingMode.Warning)
    conn = tree.add_connection("local", None)
    serial = 0
    for op, channels, count in steps:
        if op == "add":
            batch = []
            for channel in channels or ["webchat"]:
                for _ in range(count):
                    serial += 1
                    batch.append(Entry(key=f"{channel}/users/u{serial:03}"))
            tree.add_entries(conn, batch)
        elif op == "clear":
            tree.clear_children(conn)
        elif op == "page":
            for node in list(conn.walk()):
                if node.children:
                    index = model.index_of(node)
                    if model.canFetchMore(index) or node.children:
                        model.data(model.index(model.shown(node) - 1, 0, index))
        elif op == "reveal" and conn.by_key:
            node = list(conn.by_key.values())[count % len(conn.by_key)]
            model.reveal(node)
            assert model.index_of(node).isValid()
        qapp.processEvents()
        for node in conn.walk():
            if node is not conn and model.is_shown(node):
                assert model.index_of(node).data(roles.NODE_ROLE) is node
    qInstallMessageHandler(previous)
    del tester
    assert failures == []


def test_counts_are_compact_with_the_exact_count_in_the_tooltip(qapp: Any) -> None:
    from explorer.storage.paging import Count
    from explorer.ui.models.state_tree_model import compact_count, describe_count

    assert [compact_count(v) for v in (7, 999, 12_400, 1_000_000, 2_500_000_000)] == [
        "7", "999", "12.4k", "1.0M", "2.5G",
    ]  # fmt: skip
    assert describe_count(Count(1_000_000)) == "1.0M"
    assert describe_count(Count(5_000, exact=False, at_least=True)) == "5,000+"
    assert describe_count(Count(1_234_567, exact=False)) == "≈ 1.2M"
    tree = StateTree()
    asked: list[Node] = []
    model = StateTreeModel(tree, on_count=asked.append)
    conn = tree.add_connection("local", None)
    tree.add_entries(conn, [Entry(key=k) for k in KEYS])
    root = model.index(0, 1)
    # the connection shows the store's count or nothing: never the number listed so far
    assert model.data(root) == ""
    qapp.processEvents()  # the count is asked for on the next loop turn, once
    assert conn in asked
    model.data(root)
    qapp.processEvents()
    assert asked.count(conn) == 1
    conn.store_count = Count(1_234_567)
    tree.notify_changed(conn)
    assert model.data(root) == "1.2M"
    assert "1,234,567 items in the store" in model.data(root, Qt.ItemDataRole.ToolTipRole)
    conn.store_count = Count(1_200_000, exact=False)
    assert model.data(root) == "≈ 1.2M"
    assert "(an estimate)" in model.data(root, Qt.ItemDataRole.ToolTipRole)
    # saves and deletes keep a known count up to date; a refresh asks again
    conn.store_count = Count(10)
    tree.put_entry(conn, Entry(key="webchat/users/new"))
    assert conn.store_count == Count(11)
    tree.remove_key(conn, "webchat/users/u1")
    assert conn.store_count == Count(10)
    tree.clear_children(conn)
    assert conn.store_count is None
    assert not conn.count_asked


def test_a_channel_says_more_until_its_groups_are_read(qapp: Any) -> None:
    """A channel of a lazy connection counts what is listed below it: "3+" while its
    Users group has pages to read (it was "3": the channel itself was loaded)."""
    tree = StateTree()
    model = StateTreeModel(tree)
    conn = tree.add_connection("lazy", None, lazy=True)
    tree.add_entries(conn, [Entry(key=f"msteams/users/u{i}") for i in range(3)])
    channel = conn.children[0]
    users = channel.children[0]
    for node, state in ((conn, LoadState.LOADED), (channel, LoadState.LOADED)):
        tree.set_load_state(node, state)
    tree.set_load_state(users, LoadState.UNLOADED)
    row = model.index(0, 1, model.index(0, 0))
    assert model.data(row) == "3+"
    tree.set_load_state(users, LoadState.LOADED)
    assert model.data(row) == "3"


async def test_counts_come_from_the_store_in_the_background(tmp_path: Any) -> None:
    from explorer.storage.sqlite import SqliteStorage
    from explorer.workspace.tree_load import count_node
    from tests.ui.window_support import make_store

    keys = [f"msteams/users/u{i}" for i in range(1500)] + ["msteams/conversations/c1"]
    url = await make_store(tmp_path / "s.db", keys)
    async with SqliteStorage(url[len("sqlite:") :]) as store:
        tree = StateTree()
        conn = tree.add_connection("local", store)
        tree.add_entries(conn, [Entry(key=k) for k in keys[:3]])
        channel = conn.children[0]
        users = channel.children[0]
        assert (await count_node(tree, conn)).value == 1501  # type: ignore[union-attr]
        assert (await count_node(tree, channel)).value == 1501  # type: ignore[union-attr]
        assert (await count_node(tree, users)).value == 1500  # type: ignore[union-attr]
        assert users.store_count is not None
        assert users.store_count.exact
        assert users.count == 3  # what is listed is another number

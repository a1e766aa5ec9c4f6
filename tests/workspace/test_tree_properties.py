"""The state tree under random batches, clears and removals (hypothesis).

After every step: rows are the children's indexes, parents are right, every
listed key has exactly one node, and each node's count is the number of
stored items at or below it. The recorder checks every insert/remove event
against the rows a listener could see at that moment.
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from explorer.core.items import Entry
from explorer.workspace.tree import ConnectionNode, Node, NodeKind, StateTree
from tests.workspace.test_tree import Recorder

CHANNELS = ["msteams", "webchat", "msteams:COPILOT", "auth"]
IDS = ["29:1AbC", "a:1Q;messageid=17", "u/x", "Kx1|livechat", "ü ?#*\\"]


@st.composite
def keys(draw: st.DrawFn) -> str:
    channel = draw(st.sampled_from(CHANNELS))
    ident = draw(st.sampled_from(IDS))
    other = draw(st.sampled_from(IDS))
    shape = draw(st.integers(0, 5))
    slash = draw(st.sampled_from(["", "/"]))
    return [
        f"{channel}/users/{ident}{slash}",
        f"{channel}/conversations/{ident}{slash}",
        f"{channel}/conversations/{ident}/users/{other}{slash}",
        f"{channel}/28:bot/users/{ident}",
        f"{channel}/28:bot/conversations/{ident}/",
        f"direct-{ident}",
    ][shape]


operations = st.lists(
    st.one_of(
        st.tuples(st.just("add"), st.integers(0, 1), st.lists(keys(), max_size=12)),
        st.tuples(st.just("clear"), st.integers(0, 1), st.just([])),
    ),
    max_size=12,
)


def check(node: Node) -> int:
    """Structure below ``node`` is consistent; returns its item count."""
    items = 1 if node.is_state else 0
    for row, child in enumerate(node.children):
        assert child.row == row
        assert child.parent is node
        assert child.attached
        items += check(child)
    if node.kind is not NodeKind.ROOT:
        assert node.count == items, (node.label, node.count, items)
    return items


@settings(max_examples=150, deadline=None)
@given(operations)
def test_random_batches_keep_the_tree_consistent(steps: list[tuple[str, int, list[str]]]) -> None:
    tree = StateTree()
    tree.subscribe(Recorder(tree))
    conns = [tree.add_connection("a", None), tree.add_connection("b", None)]
    expected: list[set[str]] = [set(), set()]
    for op, which, batch in steps:
        conn: ConnectionNode = conns[which]
        if op == "add":
            placed = tree.add_entries(conn, [Entry(key=k) for k in batch])
            assert [n.key for n in placed] == batch
            expected[which] |= set(batch)
        else:
            tree.clear_children(conn)
            expected[which] = set()
        for index, c in enumerate(conns):
            assert set(c.by_key) == expected[index]
            assert all(n.key == k for k, n in c.by_key.items())
            assert check(c) == len(expected[index])
    tree.remove_connection(conns[0])
    assert tree.root.children == [conns[1]]
    assert conns[1].row == 0

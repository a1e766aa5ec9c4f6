"""The plain-Python state tree: placement, events, counts, batching, lazy listing."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from explorer.core.items import Entry
from explorer.storage.base import Capability
from explorer.storage.memory import MemoryStorage
from explorer.workspace.tree import ConnectionNode, LoadState, Node, NodeKind, StateTree
from explorer.workspace.tree_load import expand_node, list_connection

KEYS = [
    "msteams/users/29:1AbC",
    "msteams/users/29:1XyZ/",
    "msteams/conversations/a:1Q;messageid=17",
    "msteams/conversations/a:1Q;messageid=17/users/29:1AbC/",
    "msteams/conversations/only-private/users/u9",
    "webchat/users/u1",
    "msteams:COPILOT/28:bot-app/users/u2",
    "msteams:COPILOT/28:bot-app/conversations/c2/",
    "auth/agent/sign-in",
    "proactive/conversations/x",
    "direct/dict-key",
]


class Recorder:
    """A listener that checks the begin/end pairing like a Qt model would."""

    def __init__(self, tree: StateTree) -> None:
        self.tree = tree
        self.events: list[tuple[str, str, int, int]] = []
        self.open: tuple[Node, int, int, int] | None = None

    def before_insert(self, parent: Node, first: int, last: int) -> None:
        assert self.open is None
        assert first <= len(parent.children), "rows must not be visible before the event"
        self.open = (parent, first, last, len(parent.children))
        self.events.append(("insert", parent.label, first, last))

    def after_insert(self, parent: Node, first: int, last: int) -> None:
        assert self.open is not None
        assert self.open[0] is parent
        assert len(parent.children) == self.open[3] + last - first + 1
        self.open = None

    def before_remove(self, parent: Node, first: int, last: int) -> None:
        self.events.append(("remove", parent.label, first, last))

    def after_remove(self, parent: Node, first: int, last: int) -> None:
        pass

    def changed(self, node: Node) -> None:
        assert node.attached
        self.events.append(("changed", node.label, node.row, node.row))


def build(keys: list[str]) -> tuple[StateTree, ConnectionNode, Recorder]:
    tree = StateTree()
    recorder = Recorder(tree)
    tree.subscribe(recorder)
    conn = tree.add_connection("local", None)
    tree.add_entries(conn, [Entry(key=k) for k in keys])
    return tree, conn, recorder


def labels(node: Node) -> list[str]:
    return [c.label for c in node.children]


def test_keys_are_placed_by_channel_kind_and_agent() -> None:
    _tree, conn, _ = build(KEYS)
    # channels sorted, other keys last, whatever the listing order
    assert labels(conn) == ["msteams", "msteams:COPILOT", "webchat", "Other keys"]
    assert [n.row for n in conn.children] == [0, 1, 2, 3]
    teams = conn.children[0]
    assert labels(teams) == ["Users", "Conversations"]
    assert labels(teams.children[0]) == ["29:1AbC", "29:1XyZ"]
    convs = teams.children[1]
    assert labels(convs) == ["a:1Q;messageid=17", "only-private"]
    conv = convs.children[0]
    assert conv.key == "msteams/conversations/a:1Q;messageid=17"
    assert labels(conv) == ["private: 29:1AbC"]
    assert convs.children[1].key is None  # only its private state is stored
    agent = conn.children[1].children[0]
    assert agent.kind is NodeKind.AGENT
    assert agent.label == "agent 28:bot-app"
    assert labels(agent) == ["Users", "Conversations"]
    assert sorted(labels(conn.children[3])) == sorted(KEYS[-3:])
    assert set(conn.by_key) == set(KEYS)


def test_counts_cover_every_state_below() -> None:
    _, conn, _ = build(KEYS)
    assert conn.count == len(KEYS)
    teams = conn.children[0]
    assert teams.count == 5
    assert teams.children[0].count == 2
    assert teams.children[1].count == 3


def test_a_batch_announces_each_visible_parent_once() -> None:
    tree, conn, recorder = build(KEYS[:2])
    recorder.events.clear()
    tree.add_entries(conn, [Entry(key=f"msteams/users/n{i}") for i in range(50)])
    inserts = [e for e in recorder.events if e[0] == "insert"]
    assert inserts == [("insert", "Users", 2, 51)]
    changed = {e[1] for e in recorder.events if e[0] == "changed"}
    assert {"Users", "msteams", "local"} <= changed


def test_new_groups_arrive_with_their_children() -> None:
    tree, conn, recorder = build([])
    recorder.events.clear()
    tree.add_entries(conn, [Entry(key="webchat/users/a"), Entry(key="webchat/users/b")])
    assert [e for e in recorder.events if e[0] == "insert"] == [
        ("insert", "local", 0, 0),
        ("insert", "webchat", 0, 0),
        ("insert", "Users", 0, 1),
    ]
    assert all(n.attached for n in conn.walk())


def test_listing_the_same_key_twice_updates_in_place() -> None:
    tree, conn, recorder = build(KEYS)
    node = conn.by_key[KEYS[0]]
    recorder.events.clear()
    tree.add_entries(conn, [Entry(key=KEYS[0], size=42)])
    assert conn.by_key[KEYS[0]] is node
    assert node.entry is not None
    assert node.entry.size == 42
    assert not [e for e in recorder.events if e[0] == "insert"]
    assert conn.count == len(KEYS)


def test_clear_children_removes_rows_keys_and_counts() -> None:
    tree, conn, recorder = build(KEYS)
    tree.clear_children(conn)
    assert conn.children == []
    assert conn.by_key == {}
    assert conn.count == 0
    assert ("remove", "local", 0, 3) in recorder.events
    tree.add_entries(conn, [Entry(key=KEYS[0])])
    assert conn.count == 1
    assert labels(conn) == ["msteams"]


def test_remove_connection_renumbers_rows() -> None:
    tree = StateTree()
    first = tree.add_connection("a", None)
    second = tree.add_connection("b", None)
    tree.remove_connection(first)
    assert tree.root.children == [second]
    assert second.row == 0


async def test_list_connection_streams_in_batches_and_reports_progress() -> None:
    store = MemoryStorage()
    for i in range(5000):
        await store.write({f"webchat/users/u{i:05}": {"n": i}})
    tree = StateTree()
    recorder = Recorder(tree)
    tree.subscribe(recorder)
    conn = tree.add_connection("mem", store)
    progress: list[tuple[int, int | None]] = []
    count = await list_connection(tree, conn, lambda d, t: progress.append((d, t)), batch_size=700)
    assert count == 5000
    assert conn.count == 5000
    assert conn.load_state is LoadState.LOADED
    assert len([e for e in recorder.events if e[0] == "insert"]) >= 5000 // 700
    assert progress[-1] == (5000, 5000)
    users = conn.children[0].children[0]
    assert [n.row for n in users.children] == list(range(5000))


async def test_a_failed_listing_marks_the_connection() -> None:
    class Broken(MemoryStorage):
        async def iter_entries(self, prefix: str = "") -> AsyncIterator[Entry]:
            yield Entry(key="webchat/users/a")
            raise OSError("disk gone")

    tree = StateTree()
    conn = tree.add_connection("broken", Broken())
    with pytest.raises(OSError, match="disk gone"):
        await list_connection(tree, conn)
    assert conn.load_state is LoadState.FAILED
    assert conn.error == "disk gone"
    assert conn.count == 1


class Hierarchical(MemoryStorage):
    """A memory store that also lists one level at a time, like blob folders."""

    capabilities = frozenset({Capability.HIERARCHY})

    def __init__(self) -> None:
        super().__init__()
        self.listed_prefixes: list[str] = []

    def known_children(self, prefix: str) -> tuple[str, ...]:
        return ()  # nothing seen before the listing

    async def iter_children(self, prefix: str) -> AsyncIterator[Any]:
        self.listed_prefixes.append(prefix)
        seen: set[str] = set()
        async for key in self.iter_keys(prefix):
            rest = key[len(prefix) :]
            head, sep, _ = rest.partition("/")
            if sep:
                if head not in seen:
                    seen.add(head)
                    yield prefix + head + "/"
            else:
                yield Entry(key=key)


async def test_lazy_expansion_lists_only_the_expanded_node() -> None:
    store = Hierarchical()
    for key in KEYS[:6]:
        await store.write({key: {"v": 1}})
    tree = StateTree()
    conn = tree.add_connection("blob", store, lazy=True)
    assert conn.load_state is LoadState.UNLOADED
    await expand_node(tree, conn)
    assert labels(conn) == ["msteams", "webchat"]
    teams = conn.children[0]
    assert teams.load_state is LoadState.UNLOADED
    assert teams.children == []
    await expand_node(tree, teams)
    assert labels(teams) == ["Users", "Conversations"]
    users = next(c for c in teams.children if c.kind is NodeKind.USERS)
    await expand_node(tree, users)
    assert labels(users) == ["29:1AbC", "29:1XyZ"]
    assert store.listed_prefixes == ["", "msteams/"]
    assert conn.children[1].children == []  # webchat was never listed


async def test_lazy_top_level_puts_sign_in_and_proactive_keys_under_other_keys() -> None:
    store = Hierarchical()
    for key in ["msteams/users/u1", "auth/agent/sign-in", "proactive/conversations/x"]:
        await store.write({key: {"v": 1}})
    tree = StateTree()
    conn = tree.add_connection("blob", store, lazy=True)
    await expand_node(tree, conn)
    assert labels(conn) == ["msteams", "Other keys"]
    assert sorted(labels(conn.children[1])) == ["auth/agent/sign-in", "proactive/conversations/x"]


def test_remove_key_takes_the_row_and_empty_groups_out() -> None:
    tree, conn, recorder = build(KEYS)
    teams = conn.children[0]
    before = conn.count
    # a user row: gone, the Users group keeps its other user
    assert tree.remove_key(conn, "msteams/users/29:1AbC")
    assert "msteams/users/29:1AbC" not in conn.by_key
    assert labels(teams.children[0]) == ["29:1XyZ"]
    assert conn.count == before - 1
    assert teams.count == teams.children[0].count + 3
    # the only webchat user: the Users group and the channel go with it
    assert tree.remove_key(conn, "webchat/users/u1")
    assert "webchat" not in labels(conn)
    assert [n.row for n in conn.children] == list(range(len(conn.children)))
    # a conversation that holds a private state keeps its row, without a key
    conv = conn.by_key["msteams/conversations/a:1Q;messageid=17"]
    assert tree.remove_key(conn, conv.key or "")
    assert conv.key is None
    assert conv.attached
    assert len(conv.children) == 1
    assert ("changed", conv.label, conv.row, conv.row) in recorder.events
    # its last private state: now the conversation row goes too
    assert tree.remove_key(conn, "msteams/conversations/a:1Q;messageid=17/users/29:1AbC/")
    assert not conv.attached
    assert not tree.remove_key(conn, "never/listed")
    assert conn.count == sum(1 for n in conn.walk() if n.is_state)


def test_put_entry_refreshes_an_existing_row_or_adds_a_new_one() -> None:
    tree, conn, recorder = build(KEYS)
    listed = conn.listed
    node = tree.put_entry(conn, Entry(key="webchat/users/u1", size=99, etag="e2"))
    assert node is conn.by_key["webchat/users/u1"]
    assert node.entry is not None
    assert node.entry.size == 99
    assert node.entry.etag == "e2"
    assert recorder.events[-1] == ("changed", "u1", node.row, node.row)
    new = tree.put_entry(conn, Entry(key="webchat/users/u2", size=5))
    assert new.attached
    assert new.parent is node.parent
    assert labels(node.parent) == ["u1", "u2"]
    assert conn.listed == listed
    assert node.parent.count == 2

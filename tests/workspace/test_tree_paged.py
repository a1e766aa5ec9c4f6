"""A big store opened as a window: groups found by seeks, pages loaded in key order."""

from __future__ import annotations

from pathlib import Path

from explorer.core.items import Entry
from explorer.storage.sqlite import SqliteStorage
from explorer.workspace.locate import locate
from explorer.workspace.tree import ConnectionNode, LoadState, Node, NodeKind, StateTree
from explorer.workspace.tree_load import expand_node
from explorer.workspace.tree_paged import (
    PAGE_KEYS,
    discover_groups,
    fill_gap,
    load_page,
    probe_size,
    read_end,
    trim_group,
)
from tests.ui.window_support import make_store

USERS = [f"msteams/users/29:{i:05d}" for i in range(1200)]
CONVERSATIONS = [
    key
    for i in range(300)
    for key in (f"msteams/conversations/a:{i:04d}", f"msteams/conversations/a:{i:04d}/users/u{i}/")
]
KEYS = [
    *USERS,
    *CONVERSATIONS,
    "webchat/users/dl_42",
    "msteams:COPILOT/28:bot-app/users/u2",
    "auth/agent/sign-in",
    "proactive/x",
    "lonekey",
]


async def test_a_big_store_opens_as_groups_found_by_seeks(tmp_path: Path) -> None:
    url = await make_store(tmp_path / "big.db", KEYS)
    async with SqliteStorage(url[len("sqlite:") :]) as store:
        assert (await probe_size(store, 1000)).paged
        assert not (await probe_size(store, len(KEYS))).paged
        tree = StateTree()
        conn = tree.add_connection("big", store, lazy=True)
        conn.paged = True
        await expand_node(tree, conn)
        assert conn.load_state is LoadState.LOADED
        assert [c.label for c in conn.children] == [
            "msteams", "msteams:COPILOT", "webchat", "Other keys",
        ]  # fmt: skip
        assert conn.listed == 0  # no group's items were read
        teams = conn.children[0]
        users, convs = teams.children
        assert (users.label, convs.label) == ("Users", "Conversations")
        assert users.load_state is LoadState.UNLOADED
        # pages in key order, each key once, until the group is read
        shown: list[str] = []
        while users.load_state is LoadState.UNLOADED:
            before = len(users.children)
            first = all(n.gap is not None for n in users.children)
            await expand_node(tree, users)
            assert len(users.children) - before <= PAGE_KEYS
            if first:  # a store that charges nothing reads a whole page first
                assert len([n for n in users.children if n.key]) == PAGE_KEYS
            shown = [n.key for n in users.children if n.key]
            assert len(users.children) == len(shown) + (users.load_state is LoadState.UNLOADED)
        assert shown == USERS
        assert users.load_state is LoadState.LOADED
        # conversations bring their private states along
        while convs.load_state is LoadState.UNLOADED:
            await expand_node(tree, convs)
        assert len(convs.children) == 300
        assert all(len(c.children) == 1 for c in convs.children)
        other = conn.children[-1]
        await expand_node(tree, other)
        assert {n.key for n in other.children} == {"auth/agent/sign-in", "proactive/x", "lonekey"}
        agent = conn.children[1].children[0]
        assert agent.kind is NodeKind.AGENT
        await expand_node(tree, agent.children[0])
        assert [n.key for n in agent.children[0].children] == [
            "msteams:COPILOT/28:bot-app/users/u2"
        ]


def _rows(group: Node) -> list[str]:
    """A paged group's rows: keys, and ``~`` for a gap."""
    return [n.key or "~" if n.gap is None else "~" for n in group.children]


async def _read_all(tree: StateTree, group: Node, *, reverse: bool = False) -> None:
    """Fill every gap of ``group`` (the first one each time) until none is left."""
    assert group.cursor is not None
    for _ in range(1000):
        if not group.cursor.gaps:
            return
        await fill_gap(tree, group.cursor.gaps[0], reverse=reverse)
    raise AssertionError("gaps never closed")


async def _opened(store: SqliteStorage) -> tuple[StateTree, ConnectionNode]:
    tree = StateTree()
    conn = tree.add_connection("big", store, lazy=True)
    conn.paged = True
    await discover_groups(tree, conn)
    return tree, conn


async def test_go_to_into_an_unread_region_splits_its_gap(tmp_path: Path) -> None:
    url = await make_store(tmp_path / "big.db", KEYS)
    async with SqliteStorage(url[len("sqlite:") :]) as store:
        tree, conn = await _opened(store)
        users = conn.children[0].children[0]
        assert _rows(users) == ["~"]  # a new group is one gap
        found = await locate(tree, conn, "29:00900")
        assert [n.key for n in found] == ["msteams/users/29:00900"]
        assert found[0].parent is users
        assert _rows(users) == ["~", "msteams/users/29:00900", "~"]  # placed by key
        assert users.cursor is not None
        before, after = (g.gap for g in users.cursor.gaps)
        assert before is not None
        assert after is not None
        assert (before.after, before.before) == (None, "msteams/users/29:00900")
        assert (after.after, after.before) == ("msteams/users/29:00900", None)
        await _read_all(tree, users)
        assert [n.key for n in users.children] == USERS  # every key once, in order
        assert users.load_state is LoadState.LOADED


async def test_rows_a_go_to_placed_before_the_groups_were_found_join_the_pages(
    tmp_path: Path,
) -> None:
    url = await make_store(tmp_path / "big.db", KEYS)
    async with SqliteStorage(url[len("sqlite:") :]) as store:
        tree = StateTree()
        conn = tree.add_connection("big", store, lazy=True)
        conn.paged = True
        await locate(tree, conn, "29:00900")  # before the groups are found
        await locate(tree, conn, "29:00100")
        await discover_groups(tree, conn)
        users = conn.children[0].children[0]
        assert _rows(users) == ["~", USERS[100], "~", USERS[900], "~"]
        await _read_all(tree, users)
        assert [n.key for n in users.children] == USERS


async def test_end_reads_the_last_page_by_one_seek_then_the_gap_closes(tmp_path: Path) -> None:
    url = await make_store(tmp_path / "big.db", KEYS)
    async with SqliteStorage(url[len("sqlite:") :]) as store:
        tree, conn = await _opened(store)
        users = conn.children[0].children[0]
        assert await load_page(tree, users) == PAGE_KEYS
        assert await read_end(tree, users) == PAGE_KEYS
        tail = USERS[-PAGE_KEYS:]
        assert _rows(users) == [*USERS[:PAGE_KEYS], "~", *tail]
        assert conn.listed == 2 * PAGE_KEYS  # nothing in between was read
        assert users.cursor is not None
        (gap,) = users.cursor.gaps
        assert gap.gap is not None
        assert (gap.gap.after, gap.gap.before) == (USERS[PAGE_KEYS - 1], tail[0])
        assert users.load_state is LoadState.UNLOADED
        assert await read_end(tree, users) == 0  # the end is read already
        # scrolling up from the end reads backwards into the gap, until it closes
        assert await fill_gap(tree, gap, reverse=True) == len(USERS) - 2 * PAGE_KEYS
        assert [n.key for n in users.children] == USERS
        assert users.load_state is LoadState.LOADED
        # conversations: rows carry their private states, also read from the end
        convs = conn.children[0].children[1]
        await read_end(tree, convs)
        await _read_all(tree, convs, reverse=True)
        assert [c.key for c in convs.children] == CONVERSATIONS[::2]
        assert all(len(c.children) == 1 for c in convs.children)


async def test_a_trim_drops_far_rows_into_gaps_and_keeps_pinned_ones(tmp_path: Path) -> None:
    url = await make_store(tmp_path / "big.db", KEYS)
    async with SqliteStorage(url[len("sqlite:") :]) as store:
        tree, conn = await _opened(store)
        users = conn.children[0].children[0]
        await load_page(tree, users, limit=len(USERS))
        assert users.count == len(USERS)
        pinned = USERS[5]
        focus = users.children[1000]
        dropped = trim_group(
            tree, users, focus, lambda n: n.key == pinned, max_rows=200, keep_rows=100
        )
        kept = [*USERS[950:1051]]
        assert dropped == len(USERS) - len(kept) - 1
        assert _rows(users) == ["~", pinned, "~", *kept, "~"]
        assert set(conn.by_key) >= {pinned, *kept}
        assert USERS[0] not in conn.by_key
        assert USERS[-1] not in conn.by_key
        assert users.count == len(kept) + 1
        # below the bound nothing is dropped
        assert trim_group(tree, users, focus, lambda n: False, max_rows=200) == 0
        # the gaps stand for exactly what was dropped: reading them gives it all back
        await _read_all(tree, users)
        assert [n.key for n in users.children] == USERS


async def test_saves_and_deletes_in_a_paged_group_keep_key_order_and_gaps(
    tmp_path: Path,
) -> None:
    url = await make_store(tmp_path / "big.db", KEYS)
    async with SqliteStorage(url[len("sqlite:") :]) as store:
        tree, conn = await _opened(store)
        users = conn.children[0].children[0]
        await load_page(tree, users, limit=10)
        new = "msteams/users/29:00600x"  # in the unread range
        tree.put_entry(conn, Entry(key=new))
        assert _rows(users) == [*USERS[:10], "~", new, "~"]
        early = "msteams/users/29:00003x"  # among the rows read
        tree.put_entry(conn, Entry(key=early))
        assert _rows(users)[3:5] == [USERS[3], early]
        assert tree.remove_key(conn, new)  # the two gaps around it become one
        assert _rows(users) == [*USERS[:4], early, *USERS[4:10], "~"]
        assert users.cursor is not None
        (gap,) = users.cursor.gaps
        assert gap.gap is not None
        assert (gap.gap.after, gap.gap.before) == (USERS[9], None)


async def test_a_name_starting_with_lone_keys_is_a_channel_only_with_groups(
    tmp_path: Path,
) -> None:
    """``weird/…`` holds only lone keys: Other keys, not a channel. ``slack/`` starts
    with one but has Users: a channel, its lone key in Other keys."""
    weird = [f"weird/w{i} ?#*" for i in range(12)]
    keys = [*USERS[:50], "slack/a-lone", "slack/users/U1", *weird]
    url = await make_store(tmp_path / "lone.db", keys)
    async with SqliteStorage(url[len("sqlite:") :]) as store:
        tree = StateTree()
        conn = tree.add_connection("big", store, lazy=True)
        conn.paged = True
        await expand_node(tree, conn)
        assert [c.label for c in conn.children] == ["msteams", "slack", "Other keys"]
        slack = conn.children[1]
        assert [c.label for c in slack.children] == ["Users"]
        other = conn.children[-1]
        while other.load_state is LoadState.UNLOADED:
            await expand_node(tree, other)
        assert sorted(n.key or "" for n in other.children) == sorted(["slack/a-lone", *weird])

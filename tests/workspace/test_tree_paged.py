"""A big store opened as a window: groups found by seeks, pages loaded in key order."""

from __future__ import annotations

from pathlib import Path

from explorer.storage.sqlite import SqliteStorage
from explorer.workspace.locate import locate
from explorer.workspace.tree import LoadState, NodeKind, StateTree
from explorer.workspace.tree_load import (
    PAGE_KEYS,
    discover_groups,
    expand_node,
    load_page,
    should_page,
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
        assert await should_page(store, 1000)
        assert not await should_page(store, len(KEYS))
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
            await expand_node(tree, users)
            assert len(users.children) - before <= PAGE_KEYS
            shown = [n.key for n in users.children if n.key]
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


async def test_go_to_into_an_unread_region_then_paging_shows_it_once(tmp_path: Path) -> None:
    url = await make_store(tmp_path / "big.db", KEYS)
    async with SqliteStorage(url[len("sqlite:") :]) as store:
        tree = StateTree()
        conn = tree.add_connection("big", store, lazy=True)
        conn.paged = True
        await discover_groups(tree, conn)
        users = conn.children[0].children[0]
        found = await locate(tree, conn, "29:00900")
        assert [n.key for n in found] == ["msteams/users/29:00900"]
        assert found[0].parent is users  # inserted into its group, ahead of the pages
        assert users.cursor is not None
        while not users.cursor.done:
            await load_page(tree, users)
        keys = [n.key for n in users.children]
        assert sorted(keys) == USERS  # every key once

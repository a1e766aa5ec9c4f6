"""A big Cosmos DB container opened as a window: channels found on connect, their groups
when a channel is expanded, so connecting costs one seek per top-level name.

Requests are counted with the store's own request charge: the emulator charges
1 RU for every request, whatever it reads.
"""

from __future__ import annotations

import pytest

from explorer.storage.abilities import Abilities
from explorer.storage.base import Storage
from explorer.workspace.locate import first_user_key, locate
from explorer.workspace.tree import LoadState, Node, NodeKind, StateTree
from explorer.workspace.tree_load import expand_node
from explorer.workspace.tree_paged import FIRST_PAGE_KEYS, discover_channels, lazy_discovery
from explorer.workspace.user_lookup import find_user
from tests.support.cosmos_emulator import Emulator, new_container_store

AGENT = "28:bot-app"
WEIRD = [f"weird/w{i} ?#*\\ ünï 🤖 %2F {i}" for i in range(12)]


def keys_of(users: int) -> list[str]:
    return [
        *(f"msteams/users/29:{i:05d}" for i in range(users)),
        *(f"msteams/conversations/a:{i:04d}" for i in range(30)),
        "msteams/conversations/a:0001/users/29:00001/",
        f"msteams:COPILOT/{AGENT}/users/29:00042/",
        f"msteams:COPILOT/{AGENT}/conversations/a:0042/",
        "webchat/users/dl_42",
        "webchat/conversations/c42",
        "webchat/lone",
        "auth/29:00042/sign-in",
        "proactive/conversations/a:9",
        *WEIRD,
        "lonekey",
    ]


#: top-level names of ``keys_of``: one seek each on connect, and one for the end
TOP_LEVEL = ["auth", "lonekey", "msteams", "msteams:COPILOT", "proactive", "webchat", "weird"]
#: ``weird/`` starts with a lone key: is there a Users or Conversations group below it?
WEIRD_SEEKS = 2


def spent(store: Storage) -> float:
    charges = Abilities.of(store).charges
    assert charges is not None
    return float(charges.total_request_charge)


async def requests_of(store: Storage, tree: StateTree, node: Node) -> float:
    before = spent(store)
    await expand_node(tree, node)
    return spent(store) - before


def child(parent: Node, label: str) -> Node:
    return next(c for c in parent.children if c.label == label)


@pytest.mark.emulator
@pytest.mark.timeout(300)
@pytest.mark.parametrize("users", [50, 600])
async def test_connect_seeks_top_level_names_and_a_channel_its_groups_when_expanded(
    cosmos_emulator: Emulator, cosmos_database: str, users: int
) -> None:
    store = await new_container_store(cosmos_emulator, cosmos_database, "lazy")
    keys = keys_of(users)
    async with store:
        await store.write({key: {"n": i} for i, key in enumerate(keys)})
        assert lazy_discovery(store)
        tree = StateTree()
        conn = tree.add_connection("big", store, lazy=True)
        conn.paged = True

        # connect: one seek per top-level name and one for the end, whatever the size
        assert await requests_of(store, tree, conn) == len(TOP_LEVEL) + 1 + WEIRD_SEEKS
        assert [c.label for c in conn.children] == [
            "msteams", "msteams:COPILOT", "webchat", "Other keys",
        ]  # fmt: skip
        teams, copilot, webchat, other = conn.children
        for channel in (teams, copilot, webchat):
            assert channel.children == []
            assert channel.load_state is LoadState.UNLOADED
        assert conn.listed == 0

        # a channel: one seek per group and one for the end, when it is expanded
        assert await requests_of(store, tree, teams) == 3
        assert [c.label for c in teams.children] == ["Users", "Conversations"]
        assert teams.load_state is LoadState.LOADED
        assert webchat.children == []  # the other channels are not sought
        # an agent: its first key, a seek per group, and the end
        assert await requests_of(store, tree, copilot) == 4
        agent = child(copilot, f"agent {AGENT}")
        assert [c.label for c in agent.children] == ["Users", "Conversations"]

        # the groups page as on any paged connection, a screenful first (RU follow
        # what a query reads), then PAGE_KEYS a page
        users_group = child(teams, "Users")
        await expand_node(tree, users_group)
        assert len([n for n in users_group.children if n.gap is None]) == min(
            users, FIRST_PAGE_KEYS
        )
        while users_group.load_state is LoadState.UNLOADED:
            await expand_node(tree, users_group)
        assert [n.key for n in users_group.children] == sorted(
            k for k in keys if k.startswith("msteams/users/")
        )
        # names with no group below them (weird/…) are in Other keys, read in pages
        while other.load_state is LoadState.UNLOADED:
            await expand_node(tree, other)
        assert sorted(n.key or "" for n in other.children) == sorted(
            [*WEIRD, "auth/29:00042/sign-in", "proactive/conversations/a:9", "lonekey"]
        )

        # the filter and Go to find the channels not opened yet, each once
        before = spent(store)
        assert await discover_channels(tree, conn) > 0
        # webchat only (msteams was found already): its two groups, its lone key, the end
        assert spent(store) - before == 4
        assert [c.label for c in webchat.children] == ["Users", "Conversations"]
        assert await discover_channels(tree, conn) == 0
        # its lone key joins Other keys, read to its end before: it reads on
        assert other.load_state is LoadState.UNLOADED
        while other.load_state is LoadState.UNLOADED:
            await expand_node(tree, other)
        assert "webchat/lone" in [n.key for n in other.children]
        assert len(other.children) == len(WEIRD) + 4
        found = await locate(tree, conn, "29:00042")
        assert f"msteams:COPILOT/{AGENT}/users/29:00042/" in [n.key for n in found]
        assert [n.kind for n in found].count(NodeKind.USER) >= 1


@pytest.mark.emulator
async def test_seeks_past_a_name_whatever_order_the_store_gives_strings(
    cosmos_emulator: Emulator, cosmos_database: str
) -> None:
    """The emulator orders strings by UTF-16 code unit, where U+E000–U+FFFF sort
    after U+10FFFF: a seek past ``msteams/`` + U+10FFFF still lands on
    ``msteams/\uff21…``. The seek then skips by the UTF-16 bound: every channel is
    found, once, in a few requests (it sought ``msteams`` 200 times before)."""
    store = await new_container_store(cosmos_emulator, cosmos_database, "order")
    keys = [
        "msteams/users/29:00001",
        "msteams/users/\uff21wide",  # a fullwidth letter
        "msteams/\ue000private",  # a private-use character
        "webchat/users/29:00001",
    ]
    async with store:
        await store.write({key: {} for key in keys})
        tree = StateTree()
        conn = tree.add_connection("order", store, lazy=True)
        conn.paged = True
        before = spent(store)
        await expand_node(tree, conn)
        assert [c.label for c in conn.children] == ["msteams", "webchat"]
        assert spent(store) - before <= 6  # two seeks past msteams, one each else
        teams = child(conn, "msteams")
        await expand_node(tree, teams)
        assert [c.label for c in teams.children] == ["Users"]
        other = child(conn, "Other keys")  # the lone key msteams/\ue000private
        while other.load_state is LoadState.UNLOADED:
            await expand_node(tree, other)
        assert [n.key for n in other.children] == ["msteams/\ue000private"]
        users = child(teams, "Users")
        while users.load_state is LoadState.UNLOADED:
            await expand_node(tree, users)
        assert [n.key for n in users.children] == keys[:2]
        assert await first_user_key(store) == "msteams/users/29:00001"
        found = await find_user(store, "29:00001", private=False)
        assert sorted(item.key for item in found.items) == [
            "msteams/users/29:00001",
            "webchat/users/29:00001",
        ]

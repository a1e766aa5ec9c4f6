"""End, gap rows and Go to in a paged group of a big Cosmos DB container (the emulator).

What ``test_tree_paged`` checks on SQLite, on Cosmos DB, where every request
costs request units: End reads a group's last page with one reverse
``ORDER BY … DESC`` query, whatever lies between; scrolling up from there reads
backwards into the gap a page (one request) at a time until it closes; a Go to
into the unread range places its row between two gaps, which fill from either
side. Requests are counted with the store's own request charge: the emulator
charges 1 RU for every request, whatever it reads.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import AsyncIterator

import pytest
from azure.cosmos import PartitionKey
from azure.cosmos.aio import ContainerProxy, CosmosClient

from explorer.storage.abilities import Abilities
from explorer.storage.base import Storage
from explorer.storage.cosmos import from_url as cosmos_url
from explorer.storage.cosmos_keys import escape
from explorer.workspace.locate import locate
from explorer.workspace.tree import ConnectionNode, LoadState, Node, NodeKind, StateTree
from explorer.workspace.tree_load import expand_node
from explorer.workspace.tree_paged import PAGE_KEYS, fill_gap, lazy_discovery, load_page, read_end
from tests.support.cosmos_emulator import Emulator

pytestmark = [pytest.mark.emulator, pytest.mark.timeout(300)]

#: a Users group of a few thousand documents: six pages, End reads one; what lies
#: between the first and the last page is a whole number of pages
USERS = [f"msteams/users/29:{i:05d}" for i in range(6 * PAGE_KEYS)]
CONVERSATIONS = [
    key
    for i in range(PAGE_KEYS + 100)
    for key in (f"msteams/conversations/a:{i:04d}", f"msteams/conversations/a:{i:04d}/users/u{i}/")
]
KEYS = [*USERS, *CONVERSATIONS, "webchat/users/dl_42", "auth/agent/sign-in", "lonekey"]


async def _fill(container: ContainerProxy, keys: list[str], concurrency: int = 32) -> None:
    """Python-dialect documents (``id`` escaped as botbuilder-python does), written
    concurrently with the plain SDK: much faster than one batch through the store."""
    todo = iter(enumerate(keys))

    async def worker() -> None:
        for i, key in todo:
            document = {"id": escape(key, "python"), "realId": key, "document": {"n": i}}
            await container.upsert_item(document)

    await asyncio.gather(*(worker() for _ in range(concurrency)))


@pytest.fixture
async def store(cosmos_emulator: Emulator, cosmos_database: str) -> AsyncIterator[Storage]:
    """A container holding ``KEYS``, opened as the explorer opens it."""
    async with CosmosClient(
        cosmos_emulator.endpoint, cosmos_emulator.key, connection_verify=False
    ) as client:
        database = await client.create_database_if_not_exists(cosmos_database)
        container = await database.create_container("paged", PartitionKey(path="/id"))
        await _fill(container, KEYS)
    opened = cosmos_url(
        f"cosmos://{cosmos_database}/paged",
        endpoint=cosmos_emulator.endpoint,
        key=cosmos_emulator.key,
        insecure=True,
    )
    async with opened:
        yield opened


def spent(store: Storage) -> float:
    """Request units charged so far: requests made, on the emulator."""
    charges = Abilities.of(store).charges
    assert charges is not None
    return float(charges.total_request_charge)


def _rows(group: Node) -> list[str]:
    """A paged group's rows: keys, and ``~`` for a gap."""
    return ["~" if n.gap is not None else n.key or "?" for n in group.children]


def _group(conn: ConnectionNode, channel: str, kind: NodeKind) -> Node:
    found = next(c for c in conn.children if c.label == channel)
    return next(c for c in found.children if c.kind is kind)


async def _opened(store: Storage) -> tuple[StateTree, ConnectionNode]:
    """A paged connection with msteams expanded (its groups found by seeks), as the
    window has it when the user opens msteams; no group's keys read yet."""
    assert lazy_discovery(store)
    tree = StateTree()
    conn = tree.add_connection("big", store, lazy=True)
    conn.paged = True
    await expand_node(tree, conn)
    await expand_node(tree, next(c for c in conn.children if c.label == "msteams"))
    assert conn.listed == 0
    return tree, conn


async def test_end_reads_the_last_page_by_one_request(store: Storage) -> None:
    tree, conn = await _opened(store)
    users = _group(conn, "msteams", NodeKind.USERS)
    assert _rows(users) == ["~"]  # a new group is one gap
    before = spent(store)
    assert await load_page(tree, users) == PAGE_KEYS
    assert spent(store) - before == 1
    before = spent(store)
    assert await read_end(tree, users) == PAGE_KEYS  # End
    assert spent(store) - before == 1  # one DESC query, whatever lies between
    tail = USERS[-PAGE_KEYS:]
    assert _rows(users) == [*USERS[:PAGE_KEYS], "~", *tail]
    assert conn.listed == 2 * PAGE_KEYS  # nothing in between was read
    assert users.cursor is not None
    (gap,) = users.cursor.gaps
    assert gap.gap is not None
    assert (gap.gap.after, gap.gap.before) == (USERS[PAGE_KEYS - 1], tail[0])
    assert users.load_state is LoadState.UNLOADED
    before = spent(store)
    assert await read_end(tree, users) == 0  # the end is read already: no request
    assert spent(store) == before


async def test_a_gap_fills_from_below_a_page_a_request_until_it_closes(store: Storage) -> None:
    tree, conn = await _opened(store)
    users = _group(conn, "msteams", NodeKind.USERS)
    await load_page(tree, users)
    await read_end(tree, users)
    assert users.cursor is not None
    (gap,) = users.cursor.gaps
    between = len(USERS) - 2 * PAGE_KEYS
    before = spent(store)
    placed: list[int] = []
    while gap.attached:  # the view scrolls up from the end: reads backwards
        assert gap.gap is not None
        lowest = gap.gap.before
        assert lowest is not None
        placed.append(await fill_gap(tree, gap, reverse=True))
        if gap.attached:  # the gap shrank from below by the page read
            assert gap.gap.before is not None
            assert gap.gap.before < lowest
        keys = [n.key for n in users.children if n.key]
        assert keys == sorted(keys)  # key order kept, each key once
        assert len(placed) <= math.ceil(between / PAGE_KEYS)
    # a page a request, and the gap closes with its last keys: no request to find
    # it empty, no key below it read again
    assert placed == [PAGE_KEYS] * math.ceil(between / PAGE_KEYS)
    assert [n.key for n in users.children] == USERS  # the gap went with its last keys
    assert users.load_state is LoadState.LOADED
    assert spent(store) - before == len(placed)  # a request a page
    # conversations (rows carry their private states) read from the end the same way
    convs = _group(conn, "msteams", NodeKind.CONVERSATIONS)
    await read_end(tree, convs)
    assert convs.cursor is not None
    while convs.cursor.gaps:
        await fill_gap(tree, convs.cursor.gaps[0], reverse=True)
    assert [c.key for c in convs.children] == CONVERSATIONS[::2]
    assert all(len(c.children) == 1 for c in convs.children)


async def test_go_to_into_a_gap_places_the_row_between_two_gaps(store: Storage) -> None:
    tree, conn = await _opened(store)
    users = _group(conn, "msteams", NodeKind.USERS)
    target = USERS[2000]  # a whole number of pages above it
    before = spent(store)
    found = await locate(tree, conn, "29:02000")
    assert [n.key for n in found] == [target]
    assert found[0].parent is users
    assert _rows(users) == ["~", target, "~"]  # placed by key, nothing listed
    assert conn.listed <= 1
    assert spent(store) - before < len(USERS) / PAGE_KEYS  # less than listing the group
    assert users.cursor is not None
    low, high = users.cursor.gaps
    assert low.gap is not None
    assert high.gap is not None
    assert (low.gap.after, low.gap.before) == (None, target)
    assert (high.gap.after, high.gap.before) == (target, None)
    # the gap above fills forwards from the top, the one below backwards from its end
    before = spent(store)
    await fill_gap(tree, low)
    assert _rows(users) == [*USERS[:PAGE_KEYS], "~", target, "~"]
    await fill_gap(tree, high, reverse=True)  # approached from below: its end first
    assert _rows(users) == [*USERS[:PAGE_KEYS], "~", target, "~", *USERS[-PAGE_KEYS:]]
    while users.cursor.gaps:  # each gap read up to the row, never past it
        await fill_gap(tree, users.cursor.gaps[0])
    assert [n.key for n in users.children] == USERS
    assert users.load_state is LoadState.LOADED
    above, below = USERS.index(target), len(USERS) - USERS.index(target) - 1
    pages = math.ceil(above / PAGE_KEYS) + math.ceil(below / PAGE_KEYS)
    assert spent(store) - before == pages
    assert conn.listed == len(USERS)  # every key once

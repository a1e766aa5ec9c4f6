"""A Blob container in the tree: groups read one listing page at a time, on Azurite."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from azure.storage.blob.aio import ContainerClient

from explorer.storage import blob_dialects as dialects
from explorer.storage.blob import BlobStorage
from explorer.workspace.tree import ListingCursor, LoadState, Node, NodeKind, StateTree
from explorer.workspace.tree_listing import reads_listing_pages
from explorer.workspace.tree_load import count_node, expand_node
from explorer.workspace.tree_paged import FIRST_PAGE_KEYS, PAGE_KEYS
from tests.support.azurite import Azurite, unique_container

pytestmark = pytest.mark.emulator

USERS = [f"msteams/users/29:{i:04d}" for i in range(PAGE_KEYS + 120)]
CONVERSATIONS = [
    key
    for i in range(PAGE_KEYS // 2 + 40)
    for key in (f"msteams/conversations/a:{i:04d}", f"msteams/conversations/a:{i:04d}/users/u{i}/")
]
OTHER = ["auth/agent/sign-in", "proactive/x/y"]


async def _upload(client: ContainerClient, names: list[str], content_type: str) -> None:
    from azure.storage.blob import ContentSettings

    settings = ContentSettings(content_type=content_type)
    limit = asyncio.Semaphore(32)

    async def one(name: str) -> None:
        async with limit:
            await client.upload_blob(name, b'{"v": 1}', content_settings=settings)

    await asyncio.gather(*(one(n) for n in names))


@pytest.fixture
async def python_store(azurite: Azurite) -> AsyncIterator[BlobStorage]:
    """A container of python-dialect names (name = key), shared by the tests here."""
    async with azurite.new_container("pages") as client:
        await _upload(client, [*USERS, *CONVERSATIONS, *OTHER], "application/octet-stream")
        store = BlobStorage(client)
        await store.open()
        yield store


def _child(node: Node, kind: NodeKind) -> Node:
    return next(c for c in node.children if c.kind is kind)


async def _groups(tree: StateTree, store: BlobStorage) -> tuple[Node, Node, Node]:
    conn = tree.add_connection("blob", store, lazy=True)
    await expand_node(tree, conn)
    teams = _child(conn, NodeKind.CHANNEL)
    await expand_node(tree, teams)
    return conn, _child(teams, NodeKind.USERS), _child(teams, NodeKind.CONVERSATIONS)


async def test_a_users_group_reads_one_page_then_the_next(python_store: BlobStorage) -> None:
    tree = StateTree()
    conn, users, _ = await _groups(tree, python_store)
    assert reads_listing_pages(users)
    await expand_node(tree, users)
    keys = [c.key for c in users.children]
    assert keys == USERS[:FIRST_PAGE_KEYS]  # a screenful, in key order
    assert users.load_state is LoadState.UNLOADED  # more in the store
    assert isinstance(users.cursor, ListingCursor)
    assert users.cursor.token
    assert users.cursor.spans == [("msteams/users/", USERS[FIRST_PAGE_KEYS - 1])]
    await expand_node(tree, users)  # the view scrolled near the end: a full page
    assert [c.key for c in users.children] == USERS[: FIRST_PAGE_KEYS + PAGE_KEYS]
    assert users.load_state is LoadState.UNLOADED
    await expand_node(tree, users)
    assert [c.key for c in users.children] == USERS
    assert users.load_state is LoadState.LOADED
    assert users.cursor.done
    assert not any(k.startswith(("auth/", "proactive/")) for k in conn.by_key)  # not read yet


async def test_conversations_page_with_their_private_states(python_store: BlobStorage) -> None:
    tree = StateTree()
    _, _, convs = await _groups(tree, python_store)
    await expand_node(tree, convs)
    assert convs.load_state is LoadState.UNLOADED
    first = convs.children[0]
    assert first.key == "msteams/conversations/a:0000"
    assert [c.label for c in first.children] == ["private: u0"]
    assert first.prefix is None  # nothing left to list under it
    while convs.load_state is LoadState.UNLOADED:
        await expand_node(tree, convs)
    assert len(convs.children) == len(CONVERSATIONS) // 2
    assert sum(len(c.children) for c in convs.children) == len(CONVERSATIONS) // 2


async def test_sign_in_and_proactive_keys_wait_for_their_group(python_store: BlobStorage) -> None:
    tree = StateTree()
    conn = tree.add_connection("blob", python_store, lazy=True)
    await expand_node(tree, conn)
    other = _child(conn, NodeKind.OTHER_GROUP)
    assert other.children == []
    assert other.load_state is LoadState.UNLOADED
    await expand_node(tree, other)
    assert sorted(c.key or "" for c in other.children) == OTHER
    assert other.load_state is LoadState.LOADED


async def test_escaped_names_show_in_key_order_within_a_page(azurite: Azurite) -> None:
    """js names are escaped: ``a%3Ab`` lists before ``a0`` though ``a0 < a:b``."""
    keys = ["msteams/users/a:b", "msteams/users/a0", "msteams/users/a-c"]
    names = [dialects.JS.name_of(k) for k in keys]
    assert sorted(names) != [dialects.JS.name_of(k) for k in sorted(keys)]
    async with ContainerClient.from_connection_string(
        azurite.connection_string, unique_container("jspages")
    ) as client:
        await client.create_container()
        try:
            await _upload(client, names, "application/json")
            store = BlobStorage(client)
            await store.open()
            tree = StateTree()
            conn = tree.add_connection("blob", store, lazy=True)
            await expand_node(tree, conn)
            teams = _child(conn, NodeKind.CHANNEL)
            await expand_node(tree, teams)
            users = _child(teams, NodeKind.USERS)
            await expand_node(tree, users)
            assert [c.key for c in users.children] == sorted(keys)
        finally:
            await client.delete_container()


async def test_the_tree_never_counts_a_blob_container(python_store: BlobStorage) -> None:
    """A Blob count lists up to a page of names: the Items column shows what is listed."""
    tree = StateTree()
    conn, users, _ = await _groups(tree, python_store)
    await expand_node(tree, users)
    for node in (conn, conn.children[0], users):
        assert await count_node(tree, node) is None
        assert node.store_count is None
    assert users.count == FIRST_PAGE_KEYS


async def test_sampled_sign_in_names_show_before_the_top_level_is_listed(
    azurite: Azurite,
) -> None:
    """The open sample saw only ``auth/…`` names: "Other keys" shows before the first
    level's listing answers, and the listing does not give its span twice."""
    signins = [f"auth/u{i:03d}/sign-in" for i in range(60)]  # more than the sample
    async with ContainerClient.from_connection_string(
        azurite.connection_string, unique_container("sampled")
    ) as client:
        await client.create_container()
        try:
            await _upload(client, [*signins, *USERS[:5]], "application/octet-stream")
            store = BlobStorage(client, read_only=True)
            await store.open()
            assert store.profile.top_prefixes == ("auth/",)  # the sample saw only these
            tree = StateTree()
            conn = tree.add_connection("blob", store, lazy=True)
            listing = asyncio.create_task(expand_node(tree, conn))
            await asyncio.sleep(0)  # the listing went out; its answer has not come
            assert conn.load_state is LoadState.LOADING
            assert [c.label for c in conn.children] == ["Other keys"]
            await listing
            assert [c.label for c in conn.children] == ["msteams", "Other keys"]
            other = _child(conn, NodeKind.OTHER_GROUP)
            assert isinstance(other.cursor, ListingCursor)
            assert other.cursor.spans == [("auth/", None)]
            while other.load_state is LoadState.UNLOADED:
                await expand_node(tree, other)
            assert [c.key for c in other.children] == signins  # each once
            await store.close()
        finally:
            await client.delete_container()

"""The default of "search conversations for private state", from what the window knows.

Real stores: SQLite files (listed whole, or opened paged) and a Blob container
on Azurite (listed one folder at a time: size unknown).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from explorer.storage.blob import BlobStorage
from explorer.storage.paging import Count
from explorer.storage.sqlite import SqliteStorage
from explorer.workspace.private_scan import private_scan_choice
from explorer.workspace.tree import StateTree
from explorer.workspace.tree_load import count_node, list_connection
from tests.support.azurite import Azurite
from tests.ui.window_support import make_store

KEYS = [
    *(f"msteams/users/29:{i:03d}" for i in range(40)),
    *(f"msteams/conversations/a:{i:03d}/users/29:{i:03d}/" for i in range(40)),
]


async def test_a_store_listed_whole_is_searched(tmp_path: Path) -> None:
    url = await make_store(tmp_path / "small.db", KEYS)
    async with SqliteStorage(url[len("sqlite:") :]) as store:
        tree = StateTree()
        conn = tree.add_connection("small", store)  # not paged: listed whole
        await list_connection(tree, conn)
        choice = private_scan_choice(conn, 1000)
        assert choice.default
        assert "80 items" in choice.reason
        assert "conversations/" in choice.cost
        assert "5,000 a request" in choice.cost
        assert "request units" not in choice.cost  # SQLite does not charge
        # more listed than the threshold (a store that cannot seek lists whole): off
        assert not private_scan_choice(conn, 50).default


async def test_a_paged_store_is_not_searched_unless_its_count_is_small(tmp_path: Path) -> None:
    url = await make_store(tmp_path / "big.db", KEYS)
    async with SqliteStorage(url[len("sqlite:") :]) as store:
        tree = StateTree()
        conn = tree.add_connection("big", store, lazy=True)
        conn.paged = True  # as the window opens a store past its paged threshold
        choice = private_scan_choice(conn, 50)
        assert not choice.default
        assert "more than 50 keys" in choice.reason
        # the store's count, once it came in, decides
        assert await count_node(tree, conn) == Count(len(KEYS))
        assert not private_scan_choice(conn, 50).default
        assert "80 keys" in private_scan_choice(conn, 50).reason
        assert private_scan_choice(conn, 100).default


@pytest.mark.emulator
async def test_a_blob_store_of_unknown_size_is_searched_only_in_dev(azurite: Azurite) -> None:
    async with azurite.new_container("private") as client:
        await client.upload_blob("msteams/users/29:1", b"{}")
        async with BlobStorage(client) as store:
            tree = StateTree()
            dev = tree.add_connection("dev", store, lazy=True)
            prod = tree.add_connection("prod", store, environment="prod", lazy=True)
            assert private_scan_choice(dev).default
            assert not private_scan_choice(prod).default
            assert "not known" in private_scan_choice(prod).reason

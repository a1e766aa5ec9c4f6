"""Filter ids on a big store: prefix queries on a real SQLite store that pages, and on Cosmos DB."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from explorer.storage.base import Storage
from explorer.storage.paging import Page
from explorer.storage.sqlite import SqliteStorage
from explorer.workspace.id_prefix import find_by_prefix, group_prefixes, prefix_queries
from explorer.workspace.tree import ConnectionNode, StateTree
from explorer.workspace.tree_paged import discover_channels, discover_groups
from tests.support.cosmos_emulator import Emulator, new_container_store
from tests.ui.window_support import make_store


def keys_of(users: int) -> list[str]:
    """A store with a big Users group, conversations with private states, an agent and others."""
    return [
        *(f"msteams/users/29:{i:05d}" for i in range(users)),
        *(
            key
            for i in range(200)
            for key in (
                f"msteams/conversations/a:{i:04d}",
                f"msteams/conversations/a:{i:04d}/users/29:{i:05d}/",
            )
        ),
        "webchat/users/dl_42",
        "webchat/users/dl_420",
        "webchat/conversations/29:00042x",
        "msteams:COPILOT/28:bot-app/users/29:00042",
        "auth/29:00042/sign-in",
        "29:00042-lone",
        "lonekey",
    ]


#: what ``find_by_prefix(conn, "29:00042")`` finds in ``keys_of`` (any size, any backend):
#: the keys whose id starts with it, in every group and among the other keys, in key order
ID_42 = [
    "29:00042-lone",
    "auth/29:00042/sign-in",
    "msteams/users/29:00042",
    "msteams:COPILOT/28:bot-app/users/29:00042",
    "webchat/conversations/29:00042x",
]


class CountingSqlite(SqliteStorage):
    """A real SQLite store that counts the key pages asked of it and the rows they held."""

    pages = 0
    rows = 0

    async def list_page(self, prefix: str = "", **options: Any) -> Page:
        page = await super().list_page(prefix, **options)
        CountingSqlite.pages += 1
        CountingSqlite.rows += len(page)
        return page


async def paged(tree: StateTree, store: Storage) -> ConnectionNode:
    conn = tree.add_connection("big", store, lazy=True)
    conn.paged = True
    await discover_groups(tree, conn)
    await discover_channels(tree, conn)  # Cosmos DB finds them on expanding
    return conn


async def test_an_id_prefix_is_found_under_every_group(tmp_path: Path) -> None:
    url = await make_store(tmp_path / "big.db", keys_of(3000))
    async with SqliteStorage(url[len("sqlite:") :]) as store:
        conn = await paged(StateTree(), store)
        assert set(group_prefixes(conn)) == {
            "msteams/users/",
            "msteams/conversations/",
            "msteams:COPILOT/28:bot-app/users/",
            "webchat/users/",
            "webchat/conversations/",
        }
        found = await find_by_prefix(conn, "29:00042")
        assert [e.key for e in found.entries] == ID_42
        assert not found.more
        # a fragment that starts many ids: the first per prefix, and "more" said
        many = await find_by_prefix(conn, "29:0", per_prefix=10)
        users = [e.key for e in many.entries if e.key.startswith("msteams/users/")]
        assert users == [f"msteams/users/29:{i:05d}" for i in range(10)]
        assert many.capped == ["msteams/users/29:0"]
        # ids start with the text; a substring is not a prefix
        assert (await find_by_prefix(conn, "00042")).entries == []
        # case matters: the store's key order
        assert (await find_by_prefix(conn, "DL_42")).entries == []
        webchat = await find_by_prefix(conn, "dl_42")
        assert [e.key for e in webchat.entries] == ["webchat/users/dl_42", "webchat/users/dl_420"]


async def test_a_key_or_its_escaped_forms_are_a_key_prefix(tmp_path: Path) -> None:
    url = await make_store(tmp_path / "big.db", keys_of(3000))
    async with SqliteStorage(url[len("sqlite:") :]) as store:
        conn = await paged(StateTree(), store)
        whole = await find_by_prefix(conn, "msteams/conversations/a:0007")
        assert [e.key for e in whole.entries] == [
            "msteams/conversations/a:0007",
            "msteams/conversations/a:0007/users/29:00007/",
        ]
        pasted = await find_by_prefix(conn, "msteams%2Fusers%2F29%3A02999")
        assert [e.key for e in pasted.entries] == ["msteams/users/29:02999"]
        # a trailing "/" still finds the key stored without one, and not its neighbours
        slash = await find_by_prefix(conn, "msteams/users/29:0299/")
        assert [e.key for e in slash.entries] == []
        exact = await find_by_prefix(conn, "msteams/users/29:02999/")
        assert [e.key for e in exact.entries] == ["msteams/users/29:02999"]
        assert prefix_queries("a/b/", []) == ["a/b/", "a/b"]


async def test_the_cost_depends_on_the_groups_and_the_result_not_the_store(
    tmp_path: Path,
) -> None:
    costs: list[tuple[int, int]] = []
    for users in (1000, 20_000):
        url = await make_store(tmp_path / f"big{users}.db", keys_of(users))
        async with CountingSqlite(url[len("sqlite:") :]) as store:
            conn = await paged(StateTree(), store)
            CountingSqlite.pages = CountingSqlite.rows = 0
            found = await find_by_prefix(conn, "29:00042", per_prefix=20)
            assert "msteams/users/29:00042" in [e.key for e in found.entries]
            assert (
                CountingSqlite.pages
                == found.queries
                == len(prefix_queries("29:00042", group_prefixes(conn)))
            )
            costs.append((CountingSqlite.pages, CountingSqlite.rows))
    assert costs[0] == costs[1]  # 20 times the keys: the same pages, the same rows read
    assert costs[0][1] <= 10


@pytest.mark.emulator
@pytest.mark.timeout(300)
async def test_cosmos_finds_ids_by_prefix(cosmos_emulator: Emulator, cosmos_database: str) -> None:
    store = await new_container_store(cosmos_emulator, cosmos_database, "filter")
    async with store:
        await store.write({key: {"n": i} for i, key in enumerate(keys_of(300))})
        conn = await paged(StateTree(), store)
        found = await find_by_prefix(conn, "29:00042")
        assert [e.key for e in found.entries] == ID_42
        many = await find_by_prefix(conn, "29:0", per_prefix=10)
        assert "msteams/users/29:0" in many.capped
        pasted = await find_by_prefix(conn, "msteams*47users*4729:00299")
        assert [e.key for e in pasted.entries] == ["msteams/users/29:00299"]

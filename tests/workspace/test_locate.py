"""Go to: pasted ids and keys in every escape, found by direct reads (no scan)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from explorer.core.items import Entry
from explorer.storage.memory import MemoryStorage
from explorer.workspace.locate import candidate_keys, locate, unescape_candidates
from explorer.workspace.tree import NodeKind, StateTree

KEY = "msteams/conversations/a:1Q;messageid=17"


@pytest.mark.parametrize(
    "pasted",
    [
        KEY,
        f"  '{KEY}'  ",
        "msteams*2fconversations*2fa:1Q;messageid=17*2f",  # js cosmos id
        "msteams*47conversations*47a:1Q;messageid=17",  # python cosmos id
        "msteams%2Fconversations%2Fa%3A1Q%3Bmessageid%3D17",  # js blob name
        "msteams%2fconversations%2fa%3a1Q%3bmessageid%3d17",  # .NET UrlEncode
        "%2Fmsteams%2Fconversations%2Fa%3A1Q%3Bmessageid%3D17",  # Agents SDK js blob name
    ],
)
def test_every_escaped_form_reads_back_as_the_key(pasted: str) -> None:
    assert KEY in candidate_keys(pasted)


def test_python_cosmos_escape_is_greedy_about_known_codes() -> None:
    assert "msteams/users/1" in unescape_candidates("msteams*47users*471")
    assert "a?b#c*d\\e" in unescape_candidates("a*63b*35c*42d*92e")


def test_a_bare_id_is_tried_as_user_and_conversation_on_known_channels() -> None:
    keys = candidate_keys("29:1AbC", ["msteams", "webchat"], [("msteams", "28:bot")])
    assert "msteams/users/29:1AbC" in keys
    assert "webchat/conversations/29:1AbC/" in keys
    assert "msteams/28:bot/users/29:1AbC" in keys
    assert keys[0] == "msteams/users/29:1AbC"


def test_plus_in_ids_is_kept_and_also_read_as_space() -> None:
    readings = unescape_candidates("msteams%2fusers%2fa+b")
    assert "msteams/users/a+b" in readings
    assert "msteams/users/a b" in readings


class NoScan(MemoryStorage):
    """A store that fails if anything lists it whole: go to must not scan."""

    def __init__(self) -> None:
        super().__init__()
        self.read_calls = 0

    async def iter_entries(self, prefix: str = "") -> AsyncIterator[Entry]:
        if not prefix:
            raise AssertionError("go to listed the whole store")
        async for entry in super().iter_entries(prefix):
            yield entry

    async def read_raw(self, keys: list[str]) -> dict:  # type: ignore[override]
        self.read_calls += 1
        return await super().read_raw(keys)


async def test_locate_reads_candidates_directly_and_adds_them_to_the_tree() -> None:
    store = NoScan()
    await store.write(
        {
            KEY: {"v": 1},
            f"{KEY}/users/29:1XyZ/": {"v": 2},
            "webchat/users/other": {"v": 3},
        }
    )
    tree = StateTree()
    conn = tree.add_connection("s", store)
    nodes = await locate(tree, conn, "a:1Q;messageid=17")
    assert nodes[0].key == KEY
    assert store.read_calls == 1
    # the conversation's private states come along (a prefix listing, not a scan)
    assert [c.label for c in nodes[0].children] == ["private: 29:1XyZ"]
    assert "webchat/users/other" not in conn.by_key


async def test_locate_falls_back_to_ids_already_in_the_tree() -> None:
    store = NoScan()
    tree = StateTree()
    conn = tree.add_connection("s", store)
    tree.add_entries(conn, [Entry(key="slack/users/U123ABC")])
    nodes = await locate(tree, conn, "123ab")
    assert [n.key for n in nodes] == ["slack/users/U123ABC"]
    assert nodes[0].kind is NodeKind.USER
    assert await locate(tree, conn, "nothing-like-it") == []
    assert await locate(tree, conn, "   ") == []

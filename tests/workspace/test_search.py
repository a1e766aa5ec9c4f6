"""Search inside values: matches in any dialect, chunks, progress, cost estimate."""

from __future__ import annotations

from explorer.core.items import Entry, RawItem
from explorer.storage.base import Capability
from explorer.storage.memory import MemoryStorage
from explorer.workspace.search import estimate_cost, match_ids, plan_value_search, search_values
from explorer.workspace.tree import LoadState, StateTree


async def test_matches_values_and_tags_case_insensitively_in_chunks() -> None:
    store = MemoryStorage()
    await store.write_raw(RawItem(key="a", body=b'{"UserProfile": {"name": "Ada"}}'))
    await store.write_raw(
        RawItem(key="b", body=b'{"p": {"py/object": "bots.Profile", "city": "Z\\u00fcrich"}}')
    )
    await store.write_raw(RawItem(key="c", body=b"\xff\xfe not json, mentions ada"))
    await store.write_raw(RawItem(key="d", body=b'{"x": 1}'))
    matches: list[list[str]] = []
    progress: list[tuple[int, int]] = []
    count = await search_values(
        store,
        "ADA",
        ["a", "b", "c", "d", "missing"],
        on_match=matches.append,
        on_progress=lambda d, t: progress.append((d, t)),
        chunk=2,
    )
    assert count == 2
    assert matches == [["a"], ["c"]]  # one report per chunk that matched
    assert progress == [(2, 5), (4, 5), (5, 5)]
    found: list[str] = []
    await search_values(store, "zürich", ["b"], on_match=found.extend)
    assert found == ["b"]  # escaped unicode is searched as text
    await search_values(store, "bots.profile", ["b"], on_match=found.extend)
    assert found == ["b", "b"]  # type tags are plain text, never resolved
    assert await search_values(store, "", ["a"], on_match=found.extend) == 0


def test_cost_estimate_counts_request_units_only_where_charged() -> None:
    entries = [Entry(key="a", size=500), Entry(key="b", size=5000)]
    plain = estimate_cost(MemoryStorage(), entries)
    assert (plain.items, plain.bytes, plain.request_units) == (2, 5500, None)

    class Charged(MemoryStorage):
        capabilities = frozenset({Capability.REQUEST_CHARGE})

    charged = estimate_cost(Charged(), entries)
    assert charged.request_units == 1 + 5
    assert "about 6 RU" in charged.describe()
    unsized = estimate_cost(Charged(), [Entry(key="a"), Entry(key="b")])
    assert unsized.bytes is None
    assert unsized.request_units == 2


def test_match_ids_looks_at_listed_ids_and_keys_up_to_a_limit() -> None:
    tree = StateTree()
    conn = tree.add_connection("local", None)
    keys = [f"msteams/users/29:{i}ada" for i in range(5)] + ["webchat/users/bob"]
    tree.add_entries(conn, [Entry(key=k, size=10) for k in keys])
    found, more = match_ids(conn, "ADA", 3)
    assert [e.key for e in found] == keys[:3]
    assert found[0].size == 10  # the listed entry, as the tree holds it
    assert more == 2
    assert match_ids(conn, "webchat", 10) == ([Entry(key=keys[-1], size=10)], 0)
    assert match_ids(conn, "ada", 0) == ([], 5)


async def test_a_value_search_uses_the_tree_or_lists_the_store_first() -> None:
    store = MemoryStorage()
    for key, body in [("u/a", b'{"city": "Zurich"}'), ("u/b", b'{"city": "Bern"}')]:
        await store.write_raw(RawItem(key=key, body=body))
    tree = StateTree()
    conn = tree.add_connection("mem", store)
    tree.add_entries(conn, [Entry(key="u/a", size=18)])  # only one listed so far
    conn.load_state = LoadState.LOADED
    listed: list[str] = []
    search = await plan_value_search(store, conn, on_listing=lambda: listed.append("listing"))
    assert listed == []  # the tree holds the whole store: its entries are used
    assert [e.key for e in search.entries] == ["u/a"]
    assert not search.asks_first
    conn.load_state = LoadState.LOADING  # still listing: the store is listed again
    search = await plan_value_search(store, conn, on_listing=lambda: listed.append("listing"))
    assert listed == ["listing"]
    assert sorted(e.key for e in search.entries) == ["u/a", "u/b"]
    assert search.cost.items == 2
    matched: list[Entry] = []
    progress: list[tuple[int, int]] = []
    count = await search.run(
        "zurich", on_match=matched.extend, on_progress=lambda d, t: progress.append((d, t))
    )
    assert count == 1
    assert [e.key for e in matched] == ["u/a"]
    assert progress == [(2, 2)]

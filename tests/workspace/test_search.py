"""Search inside values: matches in any dialect, chunks, progress, cost estimate."""

from __future__ import annotations

from explorer.core.items import Entry, RawItem
from explorer.storage.base import Capability
from explorer.storage.memory import MemoryStorage
from explorer.workspace.search import estimate_cost, search_values


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

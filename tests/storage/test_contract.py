"""The storage conformance suite: written once against the protocol, run on every backend.

Backends and their traits come from ``conftest.STORE_FACTORIES``; no test here
names a backend.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import cast

import pytest

from explorer.storage import (
    ETagConflictError,
    RawItem,
    ReadOnlyError,
    Storage,
    StorageError,
)
from explorer.storage.base import Capability
from explorer.storage.paging import Counting, KeyPages, ListingPages, Positions, pages_of
from tests.storage.conftest import Opener, Traits

ETAG_MEMBERS = ["e_tag", "eTag"]

ODD_KEYS = [
    "?#*\\",
    "has spaces  and  more ",
    "unicode ünïcødé 日本語 Ελληνικά 🤖",
    "msteams/conversations/29:1AbC-x_y;messageid=1|foo",
    "msteams/users/29:1AbC-x_y;messageid=1|foo",
    "literal %2F and %25 and %",
    "a/b//c/",
    "under_score and 100% percent",
    "quotes ' \" and <angle> & amp",
]


async def keys_of(store: Storage, prefix: str = "") -> list[str]:
    return [key async for key in store.iter_keys(prefix)]


# -- read --------------------------------------------------------------------


async def test_read_leaves_missing_keys_out(store: Storage) -> None:
    await store.write({"present": {"a": 1}})
    assert await store.read(["absent", "also/absent"]) == {}
    assert set(await store.read(["present", "absent"])) == {"present"}
    assert await store.read([]) == {}


async def test_read_returns_a_fresh_copy_with_the_etag(store: Storage) -> None:
    await store.write({"k": {"list": [1, 2], "nested": {"x": "y"}}})
    first = (await store.read(["k"]))["k"]
    assert isinstance(first["e_tag"], str)
    assert first["e_tag"]
    first["list"].append(3)
    first["nested"]["x"] = "changed"
    first["new"] = True
    second = (await store.read(["k"]))["k"]
    assert second == {"list": [1, 2], "nested": {"x": "y"}, "e_tag": first["e_tag"]}
    assert second is not first


# -- write -------------------------------------------------------------------


async def test_write_stores_and_overwrites_without_etag(store: Storage) -> None:
    await store.write({"k": {"v": 1}, "other": {"v": "x"}})
    await store.write({"k": {"w": 2}})  # last write wins, whole document replaced
    read = await store.read(["k", "other"])
    assert {k: v for k, v in read["k"].items() if k != "e_tag"} == {"w": 2}
    assert read["other"]["v"] == "x"


async def test_etag_changes_on_every_write(store: Storage) -> None:
    etags = []
    for _ in range(3):
        await store.write({"k": {"same": "content"}})
        etags.append((await store.read(["k"]))["k"]["e_tag"])
    assert len(set(etags)) == 3


@pytest.mark.parametrize("member", ETAG_MEMBERS)
async def test_write_with_the_current_etag_succeeds(store: Storage, member: str) -> None:
    await store.write({"k": {"n": 1}})
    current = (await store.read(["k"]))["k"]["e_tag"]
    await store.write({"k": {"n": 2, member: current}})
    after = (await store.read(["k"]))["k"]
    assert after["n"] == 2
    assert after["e_tag"] != current


@pytest.mark.parametrize("member", ETAG_MEMBERS)
async def test_stale_etag_conflicts_and_leaves_the_item(store: Storage, member: str) -> None:
    await store.write({"k": {"n": 1}})
    stale = (await store.read(["k"]))["k"]["e_tag"]
    await store.write({"k": {"n": 2}})
    winner = (await store.read(["k"]))["k"]
    with pytest.raises(ETagConflictError) as caught:
        await store.write({"k": {"n": 3, member: stale}})
    assert caught.value.key == "k"
    assert "'k'" in str(caught.value)
    assert (await store.read(["k"]))["k"] == winner


async def test_a_conflict_in_a_batch_skips_only_that_key(store: Storage) -> None:
    await store.write({"stale": {"n": 1}})
    stale = (await store.read(["stale"]))["stale"]["e_tag"]
    await store.write({"stale": {"n": 2}})
    with pytest.raises(ETagConflictError) as caught:
        await store.write({"stale": {"n": 3, "e_tag": stale}, "fresh": {"n": 1}})
    assert caught.value.key == "stale"
    read = await store.read(["stale", "fresh"])
    assert read["stale"]["n"] == 2
    assert read["fresh"]["n"] == 1


@pytest.mark.parametrize("member", ETAG_MEMBERS)
async def test_etag_on_a_missing_item_conflicts(store: Storage, member: str) -> None:
    with pytest.raises(ETagConflictError) as caught:
        await store.write({"missing": {"n": 1, member: "some-etag"}})
    assert caught.value.key == "missing"
    assert await store.read(["missing"]) == {}


@pytest.mark.parametrize("member", ETAG_MEMBERS)
async def test_star_etag_writes_unconditionally(store: Storage, member: str) -> None:
    await store.write({"new": {"n": 1, member: "*"}})
    await store.write({"new": {"n": 2, member: "*"}})
    assert (await store.read(["new"]))["new"]["n"] == 2


async def test_empty_write_and_delete_do_nothing(store: Storage) -> None:
    await store.write({"k": {"n": 1}})
    await store.write({})
    await store.delete([])
    assert await keys_of(store) == ["k"]


async def test_etag_members_are_not_stored_in_the_document(store: Storage) -> None:
    await store.write({"k": {"n": 1, "e_tag": "*", "eTag": "*"}})
    raw = (await store.read_raw(["k"]))["k"]
    assert "e_tag" not in store.decode(raw)
    assert "eTag" not in store.decode(raw)
    assert (await store.read(["k"]))["k"] == {"n": 1, "e_tag": raw.etag}


async def test_objects_in_state_are_stored_as_their_attributes(store: Storage) -> None:
    class Profile:  # how a botbuilder-python bot keeps state
        def __init__(self) -> None:
            self.name = "Ada"
            self.visits = 3
            self.when = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)

    await store.write({"k": {"profile": Profile(), "tags": ("a", "b")}})
    document = (await store.read(["k"]))["k"]
    assert document["profile"] == {
        "name": "Ada",
        "visits": 3,
        "when": "2024-05-01T12:00:00+00:00",
    }
    assert document["tags"] == ["a", "b"]


async def test_objects_with_private_state_are_refused_not_truncated(store: Storage) -> None:
    class DialogState:  # botbuilder's keeps its whole stack in _dialog_stack
        def __init__(self) -> None:
            self._dialog_stack = [{"id": "main"}]

    await store.write({"k": {"v": 1}})
    with pytest.raises(StorageError, match=r"DialogState.*_dialog_stack") as caught:
        await store.write({"k": {"DialogState": DialogState()}})
    assert caught.value.key == "k"
    assert (await store.read(["k"]))["k"]["v"] == 1


# -- delete ------------------------------------------------------------------


async def test_delete_removes_and_ignores_missing_keys(store: Storage) -> None:
    await store.write({"a": {"n": 1}, "b": {"n": 2}})
    await store.delete(["a", "never-there"])
    await store.delete(["a"])
    assert set(await store.read(["a", "b"])) == {"b"}
    assert await keys_of(store) == ["b"]


# -- listing -----------------------------------------------------------------


async def test_iter_keys_lists_exactly_the_prefix(store: Storage) -> None:
    keys = ["a/1", "a/2", "a/sub/3", "ab", "b/1", "A/1"]
    await store.write({k: {"k": k} for k in keys})
    assert sorted(await keys_of(store, "a/")) == ["a/1", "a/2", "a/sub/3"]
    assert sorted(await keys_of(store, "a")) == ["a/1", "a/2", "a/sub/3", "ab"]
    assert sorted(await keys_of(store)) == sorted(keys)
    assert await keys_of(store, "zzz") == []


async def test_prefix_wildcard_characters_are_literal(store: Storage) -> None:
    keys = ["a%b", "a_b", "axb", "a%", "a\\b"]
    await store.write({k: {} for k in keys})
    assert sorted(await keys_of(store, "a%")) == ["a%", "a%b"]
    assert await keys_of(store, "a_") == ["a_b"]
    assert await keys_of(store, "a\\") == ["a\\b"]


async def test_listing_crosses_page_boundaries(store: Storage, traits: Traits) -> None:
    count = traits.page_size * 2 + 3
    inside = [f"conv/{i:05d}" for i in range(count)]
    await store.write({k: {"i": i} for i, k in enumerate(inside)})
    await store.write({"conw/after": {}, "conu/before": {}})
    listed = await keys_of(store, "conv/")
    assert len(listed) == len(set(listed)) == count
    assert set(listed) == set(inside)
    entries = [e async for e in store.iter_entries("conv/")]
    assert {e.key for e in entries} == set(inside)


async def test_listing_can_stop_early(store: Storage, traits: Traits) -> None:
    await store.write({f"p/{i:05d}": {} for i in range(traits.page_size + 10)})
    listing = store.iter_keys("p/")
    seen = [await anext(listing) for _ in range(5)]
    assert len(set(seen)) == 5
    await listing.aclose()
    async for _ in store.iter_keys("p/"):
        break  # abandoned without aclose: must not hold the store
    await store.write({"p/after": {"ok": True}})
    assert (await store.read(["p/after"]))["p/after"]["ok"] is True


async def test_entries_describe_the_stored_item(store: Storage) -> None:
    await store.write({"k": {"text": "ü" * 10}})
    raw = (await store.read_raw(["k"]))["k"]
    [entry] = [e async for e in store.iter_entries("k")]
    assert entry.key == "k"
    assert entry.size in (None, raw.size)
    assert entry.etag in (None, raw.etag)
    assert entry.error is None


# -- odd keys and big documents ---------------------------------------------


@pytest.mark.parametrize("key", ODD_KEYS)
async def test_odd_keys_round_trip(store: Storage, key: str) -> None:
    await _round_trip_key(store, key)


async def test_long_keys_round_trip(store: Storage, traits: Traits) -> None:
    await _round_trip_key(store, "users/" + "x" * traits.long_key_length)


async def _round_trip_key(store: Storage, key: str) -> None:
    await store.write({key: {"key": key}, "neighbour": {}})
    assert (await store.read([key]))[key]["key"] == key
    assert key in await keys_of(store)
    assert await keys_of(store, key) == [key]
    assert set(await store.read_raw([key])) == {key}
    await store.delete([key])
    assert await store.read([key]) == {}
    assert await keys_of(store) == ["neighbour"]


async def test_large_documents_round_trip(store: Storage, traits: Traits) -> None:
    chunk = "0123456789abcdef" * 64
    document = {f"part{i}": chunk for i in range(traits.large_document_bytes // 1040)}
    await store.write({"big": document})
    read = (await store.read(["big"]))["big"]
    del read["e_tag"]
    assert read == document
    assert (await store.read_raw(["big"]))["big"].size >= traits.large_document_bytes * 0.95


# -- raw access --------------------------------------------------------------

ODD_BODY = '{ "text" : "caf\\u00e9 ü",\n  "n": 1.50, "e_tag": "kept" }\n'.encode()


@pytest.mark.requires_trait("exact_body")
async def test_raw_write_keeps_the_body_bytes(store: Storage, traits: Traits) -> None:
    item = RawItem(key="raw", body=ODD_BODY, content_type="application/json; charset=utf-8")
    written = await store.write_raw(item)
    assert written.etag
    raw = (await store.read_raw(["raw"]))["raw"]
    assert raw.body == ODD_BODY
    assert raw.etag == written.etag
    assert raw.size == len(ODD_BODY)
    assert raw.last_modified is not None
    if traits.keeps_content_type:
        assert raw.content_type == item.content_type
    assert store.decode(raw) == {"text": "café ü", "n": 1.5}


async def test_raw_write_if_match(store: Storage) -> None:
    first = await store.write_raw(store.encode("k", {"n": 1}))
    second = await store.write_raw(store.encode("k", {"n": 2}), if_match=first.etag)
    assert second.etag
    assert second.etag != first.etag
    with pytest.raises(ETagConflictError) as caught:
        await store.write_raw(store.encode("k", {"n": 3}), if_match=first.etag)
    assert caught.value.key == "k"
    assert _decoded(await store.read_raw(["k"]), store) == {"k": {"n": 2}}
    await store.write_raw(store.encode("k", {"n": 4}), if_match="*")
    assert _decoded(await store.read_raw(["k"]), store) == {"k": {"n": 4}}
    with pytest.raises(ETagConflictError):
        await store.write_raw(store.encode("missing", {"n": 1}), if_match=first.etag)
    assert await store.read_raw(["missing"]) == {}


async def test_raw_write_create_only_when_absent(store: Storage) -> None:
    created = await store.write_raw(store.encode("k", {"n": 1}), create=True)
    with pytest.raises(ETagConflictError) as caught:
        await store.write_raw(store.encode("k", {"n": 2}), create=True)
    assert caught.value.key == "k"
    raw = (await store.read_raw(["k"]))["k"]
    assert store.decode(raw) == {"n": 1}
    assert raw.etag == created.etag


async def test_raw_delete_if_match(store: Storage) -> None:
    written = await store.write_raw(store.encode("k", {"n": 1}))
    await store.write_raw(store.encode("k", {"n": 2}))
    with pytest.raises(ETagConflictError):
        await store.delete_raw("k", if_match=written.etag)
    assert set(await store.read_raw(["k"])) == {"k"}
    current = (await store.read_raw(["k"]))["k"].etag
    await store.delete_raw("k", if_match=current)
    assert await store.read_raw(["k"]) == {}
    await store.delete_raw("k")  # missing, unconditional: no-op


def _decoded(raw: dict[str, RawItem], store: Storage) -> dict[str, dict[str, object]]:
    return {key: store.decode(item) for key, item in raw.items()}


# -- read-only and lifecycle -------------------------------------------------


async def test_read_only_store_refuses_every_change(store: Storage, reopen: Opener) -> None:
    await store.write({"k": {"n": 1}, "other": {"n": 2}})
    before = await store.read_raw(["k", "other"])
    async with reopen(True) as read_only:
        assert read_only.read_only
        attempts = [
            lambda: read_only.write({"k": {"n": 9}}),
            lambda: read_only.write({"new": {"n": 9}}),
            lambda: read_only.delete(["k"]),
            lambda: read_only.write_raw(read_only.encode("k", {"n": 9})),
            lambda: read_only.write_raw(read_only.encode("new", {"n": 9}), create=True),
            lambda: read_only.delete_raw("k"),
        ]
        for attempt in attempts:
            with pytest.raises(ReadOnlyError) as caught:
                await attempt()
            assert "read-only" in str(caught.value)
        assert (await read_only.read(["k"]))["k"]["n"] == 1
        assert sorted(await keys_of(read_only)) == ["k", "other"]
    assert await store.read_raw(["k", "other", "new"]) == before


async def test_async_with_returns_the_store_and_close_is_repeatable(reopen: Opener) -> None:
    store = reopen(False)
    async with store as opened:
        assert opened is store
        await store.write({"k": {"n": 1}})
    await store.__aexit__(None, None, None)  # closing twice is harmless


async def test_a_closed_store_reopens_over_the_same_data(reopen: Opener) -> None:
    async with reopen(False) as store:
        await store.write({"k": {"n": 1}})
    async with reopen(False) as store:
        assert (await store.read(["k"]))["k"]["n"] == 1
        await store.write({"k": {"n": 2}})
        assert (await store.read(["k"]))["k"]["n"] == 2


async def test_encode_decode_round_trip(store: Storage) -> None:
    document = {"text": "ünïcode", "n": [1, 2.5, None, True], "e_tag": "dropped"}
    item = store.encode("k", document)  # the body's layout is the backend's own
    assert item.key == "k"
    assert b"dropped" not in item.body
    assert store.decode(item) == {"text": "ünïcode", "n": [1, 2.5, None, True]}


async def test_concurrent_optimistic_increments_lose_nothing(store: Storage) -> None:
    await store.write({"counter": {"n": 0}})

    async def increment(times: int) -> int:
        conflicts = 0
        for _ in range(times):
            while True:
                document = (await store.read(["counter"]))["counter"]
                document["n"] += 1
                try:
                    await store.write({"counter": document})
                    break
                except ETagConflictError:
                    conflicts += 1
        return conflicts

    await asyncio.gather(*(increment(10) for _ in range(5)))
    assert (await store.read(["counter"]))["counter"]["n"] == 50


# -- pages, positions and counts (explorer.storage.paging) ------------------------

#: keys of every odd kind, in no order; none mixes a character above U+FFFF with
#: one in U+E000-U+FFFF at the same position (Cosmos DB orders those differently)
PAGED_KEYS = [
    *(f"g/{i:03d}" for i in range(23)),
    "g/?#*\\",
    "g/has spaces",
    "g/unicode ünïcødé 日本語 🤖",
    "g/msteams/conversations/19:abc@thread.tacv2;messageid=1|foo",
    "g/literal %2F and _ and %",
    "g/" + "x" * 900,
    "g/Z",
    "g/~",
    "g",
    "f/outside",
    "h/outside",
    "gz",
]
INSIDE = sorted(k for k in PAGED_KEYS if k.startswith("g/"))


async def _paged_store(store: Storage) -> None:
    await store.write({k: {"k": k} for k in PAGED_KEYS})


def test_capabilities_match_the_traits(store: Storage, traits: Traits) -> None:
    caps = store.capabilities
    assert Capability.LISTING_PAGES in caps
    assert Capability.COUNT in caps
    assert (Capability.KEY_PAGES in caps) == traits.key_pages
    assert (Capability.POSITIONS in caps) == traits.positions
    assert (Capability.RU_BUDGET in caps) == traits.ru_budget


@pytest.mark.parametrize("keys_only", [False, True])
async def test_next_page_lists_every_key_once_across_pages(store: Storage, keys_only: bool) -> None:
    await _paged_store(store)
    pager = cast(ListingPages, store)
    seen: list[str] = []
    cursor: str | None = None
    for _ in range(100):
        page = await pager.next_page("g/", cursor=cursor, limit=7, keys_only=keys_only)
        assert len(page) <= 7
        seen += page.keys
        assert page.more == (page.cursor is not None)
        cursor = page.cursor
        if cursor is None:
            break
    assert sorted(seen) == INSIDE  # each once, nothing outside the prefix
    listed = [key async for page in pages_of(store, "g/", limit=5) for key in page.keys]
    assert sorted(listed) == INSIDE


async def test_pages_can_stop_early(store: Storage, traits: Traits) -> None:
    await store.write({f"p/{i:04d}": {} for i in range(traits.page_size + 10)})
    pages = pages_of(store, "p/", limit=traits.page_size)
    first = await anext(pages)
    assert len(first) > 0
    await pages.aclose()  # the page requested meanwhile is cancelled
    await store.write({"p/after": {}})


@pytest.mark.requires_trait("key_pages")
@pytest.mark.parametrize("limit", [1, 4, 100])
async def test_key_pages_walk_forwards_and_backwards_in_key_order(
    store: Storage, limit: int
) -> None:
    await _paged_store(store)
    pager = cast(KeyPages, store)
    forward: list[str] = []
    after: str | None = None
    while True:
        page = await pager.list_page("g/", after=after, limit=limit)
        assert page.keys == sorted(page.keys)
        forward += page.keys
        if not page.more:
            break
        after = page.last
    assert forward == INSIDE
    backward: list[str] = []
    after = None
    while True:
        page = await pager.list_page("g/", after=after, limit=limit, reverse=True)
        assert page.keys == sorted(page.keys)  # ascending, whichever way it was read
        backward = page.keys + backward
        if not page.more:
            break
        after = page.first
    assert backward == INSIDE


@pytest.mark.requires_trait("key_pages")
async def test_key_pages_seek_to_any_key(store: Storage) -> None:
    await _paged_store(store)
    pager = cast(KeyPages, store)
    end = await pager.list_page("g/", limit=3, reverse=True)
    assert end.keys == INSIDE[-3:]
    assert end.more
    # a seek target that is not a key: the pages around where it would be
    page = await pager.list_page("g/", after="g/0105", limit=2)
    assert page.keys == ["g/011", "g/012"]
    page = await pager.list_page("g/", after="g/0105", limit=2, reverse=True)
    assert page.keys == ["g/009", "g/010"]
    # inclusive: the target itself when it exists
    page = await pager.list_page("g/", after="g/011", limit=2, inclusive=True)
    assert page.keys == ["g/011", "g/012"]
    page = await pager.list_page("g/", after="g/011", limit=2, reverse=True, inclusive=True)
    assert page.keys == ["g/010", "g/011"]
    # targets outside the prefix
    assert (await pager.list_page("g/", after="a", limit=2)).keys == INSIDE[:2]
    assert (await pager.list_page("g/", after="z", limit=2)).keys == []
    assert (await pager.list_page("g/", after="a", limit=2, reverse=True)).keys == []
    assert (await pager.list_page("g/", after="z", limit=2, reverse=True)).keys == INSIDE[-2:]
    last = await pager.list_page("g/", after=INSIDE[-2], limit=5)
    assert last.keys == INSIDE[-1:]
    assert not last.more
    whole = await pager.list_page("", limit=100)
    assert whole.keys == sorted(PAGED_KEYS)
    assert not whole.more


@pytest.mark.requires_trait("key_pages")
async def test_key_pages_stop_short_of_until(store: Storage) -> None:
    """A range between two keys read (a gap row) is read exactly, from either side:
    ``more`` is about that range only, ``until`` itself never comes back."""
    await _paged_store(store)
    pager = cast(KeyPages, store)
    low, high = INSIDE[3], INSIDE[9]  # g/003 .. g/009: five keys strictly between
    between = INSIDE[4:9]
    page = await pager.list_page("g/", after=low, limit=5, until=high)
    assert page.keys == between
    assert not page.more  # nothing left in the range, though keys follow it
    page = await pager.list_page("g/", after=high, limit=5, reverse=True, until=low)
    assert page.keys == between
    assert not page.more
    page = await pager.list_page("g/", after=low, limit=3, until=high)
    assert page.keys == between[:3]
    assert page.more
    page = await pager.list_page("g/", after=high, limit=3, reverse=True, until=low)
    assert page.keys == between[-3:]
    assert page.more
    # from a group's start or end, and a bound that is not a key
    assert (await pager.list_page("g/", until="g/0015", limit=50)).keys == INSIDE[:2]
    end = await pager.list_page("g/", reverse=True, until=INSIDE[-3], limit=50)
    assert end.keys == INSIDE[-2:]
    assert not end.more
    assert (await pager.list_page("g/", after=low, until=INSIDE[4])).keys == []


@pytest.mark.requires_trait("key_pages")
async def test_key_pages_carry_entries_and_literal_prefixes(store: Storage) -> None:
    await _paged_store(store)
    await store.write({"a%b": {}, "a_b": {}, "axb": {}, "a\\b": {}})
    pager = cast(KeyPages, store)
    assert (await pager.list_page("a%")).keys == ["a%b"]
    assert (await pager.list_page("a_")).keys == ["a_b"]
    assert (await pager.list_page("a\\")).keys == ["a\\b"]
    full = await pager.list_page("g/0", limit=3)
    keys = await pager.list_page("g/0", limit=3, keys_only=True)
    assert keys.keys == full.keys
    raw = await store.read_raw(full.keys)
    for entry in full.entries:
        assert entry.error is None
        assert entry.etag in (None, raw[entry.key].etag)


@pytest.mark.requires_trait("positions")
async def test_positions_reach_rows_by_number(store: Storage) -> None:
    await _paged_store(store)
    pager = cast(Positions, store)
    total = len(INSIDE)
    page = await pager.page_at("g/", 5, limit=4)
    assert page.keys == INSIDE[5:9]
    assert page.more
    for offset in (0, 7, total - 4, total - 2, total, total + 3):
        for hint in (None, total):
            page = await pager.page_at("g/", offset, limit=4, total=hint)
            assert page.keys == INSIDE[offset : offset + 4], (offset, hint)
            assert page.more == (offset + 4 < total)
    for index, key in enumerate(INSIDE):
        if index % 5 == 0:
            assert await pager.index_of("g/", key) == index
    assert await pager.index_of("g/", "g/0105") == INSIDE.index("g/011")
    assert await pager.index_of("g/", "a") == 0
    assert await pager.index_of("g/", "z") == total


async def test_count_is_exact_or_marked(store: Storage, traits: Traits) -> None:
    counter = cast(Counting, store)
    assert (await counter.count("g/")).value == 0
    await _paged_store(store)
    small = await counter.count("g/")
    assert (small.value, small.exact, small.at_least) == (len(INSIDE), True, False)
    assert small.describe() == str(len(INSIDE))
    assert (await counter.count()).value == len(PAGED_KEYS)
    assert (await counter.count("zzz")).value == 0
    many = traits.page_size * 2 + 5
    await store.write({f"m/{i:04d}": {} for i in range(many)})
    big = await counter.count("m/")
    if traits.exact_counts:
        assert (big.value, big.exact) == (many, True)
    else:  # a lower bound from what one page showed: "50+"
        assert not big.exact
        assert big.at_least
        assert traits.page_size <= big.value < many
        assert big.describe() == f"{big.value:,}+"
    if traits.ru_budget:
        assert big.request_charge is not None
        assert big.request_charge > 0

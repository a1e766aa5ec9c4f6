"""Comparing decoded state (``workspace.compare``): across backends, dialects and export files."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from explorer.cli.transfer import item_to_line
from explorer.storage import Storage
from explorer.storage.sqlite import SqliteStorage
from explorer.workspace.compare import (
    Difference,
    ExportSide,
    Side,
    StoreSide,
    changed_paths,
    compare,
    format_path,
    parse_path,
)
from tests.support.support_stores import ALL, USER, Place


async def _all(a: Side, b: Side, **kw: Any) -> list[Difference]:
    return [d async for d in compare(a, b, **kw)]


async def _sqlite_copy(store: Storage, path: Path) -> SqliteStorage:
    """The same documents, decoded and written fresh (compact JSON, no names, new etags)."""
    keys = [k async for k in store.iter_keys("")]
    items = await store.read_raw(keys)
    copy = SqliteStorage(path)
    await copy.open()
    for key, item in items.items():
        await copy.write_raw(copy.encode(key, store.decode(item)))
    return copy


async def test_a_store_and_its_sqlite_copy_compare_equal(place: Place, tmp_path: Path) -> None:
    async with place.opener(True) as store:
        copy = await _sqlite_copy(store, tmp_path / "copy.db")
        try:
            progress: list[tuple[int, int]] = []
            found = await _all(
                StoreSide(store, "a"),
                StoreSide(copy, "b"),
                on_progress=lambda d, t: progress.append((d, t)),
            )
            assert found == []
            assert progress[-1] == (len(ALL), len(ALL))
            key = place.stored(f"msteams/users/{USER}")
            doc = store.decode((await store.read_raw([key]))[key])
            doc["UserProfile"]["lang"] = "de"
            doc["UserProfile"]["city"] = "Bonn"
            await copy.write_raw(copy.encode(key, doc))
            gone = place.stored("msteams/users/29:1AbCD")
            await copy.delete_raw(gone)
            await copy.write_raw(copy.encode("slack/users/U1", {"a": 1}))
            found = await _all(StoreSide(store, "a"), StoreSide(copy, "b"))
            assert found == sorted(
                [
                    Difference(key, "changed", ("UserProfile.lang", "UserProfile.city")),
                    Difference(gone, "removed"),
                    Difference("slack/users/U1", "added"),
                ],
                key=lambda d: d.key,
            )
            only = await _all(StoreSide(store, "a"), StoreSide(copy, "b"), prefix="slack/")
            assert only == [Difference("slack/users/U1", "added")]
        finally:
            await copy.close()


async def test_an_export_file_compares_with_its_store(place: Place, tmp_path: Path) -> None:
    dump = tmp_path / "dump.jsonl"
    async with place.opener(True) as store:
        keys = [k async for k in store.iter_keys("")]
        items = await store.read_raw(keys)
        source = place.url.split(":")[0]
        dump.write_text("".join(item_to_line(i, source) + "\n" for i in items.values()))
        assert await _all(ExportSide(str(dump)), StoreSide(store, "s")) == []
    async with place.opener(False) as store:
        key = place.stored(f"msteams/users/{USER}")
        item = (await store.read_raw([key]))[key]
        doc = store.decode(item)
        doc["UserProfile"]["lang"] = "pt"
        await store.write_raw(store.encode(key, doc, like=item), if_match=item.etag)
        found = await _all(ExportSide(str(dump)), StoreSide(store, "s"))
        assert found == [Difference(key, "changed", ("UserProfile.lang",))]


def test_changed_paths() -> None:
    a = {"P": {"name": "Ada", "tags": [1, 2], "deep": [{"x": 1}]}, "Gone": 1, "t": True}
    b = {"P": {"name": "Bob", "tags": [1, 2, 3], "deep": [{"x": 2}]}, "New": 1, "t": 1}
    assert changed_paths(a, b) == ["P.name", "P.tags", "P.deep.0.x", "Gone", "t", "New"]
    assert changed_paths({"n": 1}, {"n": 1.0}) == []
    assert changed_paths({"a.b": {"c/d": 1}}, {"a.b": {"c/d": 2}}) == ["/a.b/c~1d"]
    assert changed_paths(a, a) == []


@pytest.mark.parametrize(
    "segments", [["UserProfile", "lang"], ["a.b", "c/d", "e~f"], ["DialogState", "stack", "0"]]
)
def test_paths_round_trip(segments: list[str]) -> None:
    assert parse_path(format_path(segments)) == segments


def test_bad_paths() -> None:
    with pytest.raises(ValueError, match="empty segment"):
        parse_path("a..b")
    with pytest.raises(ValueError, match="path is needed"):
        parse_path("")

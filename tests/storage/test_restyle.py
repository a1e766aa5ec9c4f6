"""Local stores keep an item's JSON style when it is edited (``encode(like=...)``)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from explorer.storage import MemoryStorage, RawItem, SqliteStorage, StorageBase

PYTHON_BODY = (
    b'{"UserProfile": {"py/object": "bbmodels.UserProfile", "name": "Zo\\u00eb", "age": 38}, '
    b'"prefs": {"lang": "en", "count": 2}}'
)


@pytest.fixture(params=["memory", "sqlite"])
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[StorageBase]:
    opened = MemoryStorage() if request.param == "memory" else SqliteStorage(tmp_path / "s.db")
    async with opened:
        yield opened


async def test_an_edit_changes_only_the_edited_value(store: StorageBase) -> None:
    stored = await store.write_raw(RawItem(key="msteams/users/u", body=PYTHON_BODY))
    document = store.decode(stored)
    document["UserProfile"]["age"] = 39
    edited = store.encode("msteams/users/u", document, like=stored)
    assert edited.body == PYTHON_BODY.replace(b'"age": 38', b'"age": 39')


async def test_a_body_that_is_not_json_is_replaced_by_compact_json(store: StorageBase) -> None:
    like = RawItem(key="k", body=b"\xff not json")
    assert store.encode("k", {"a": [1, 2]}, like=like).body == b'{"a":[1,2]}'

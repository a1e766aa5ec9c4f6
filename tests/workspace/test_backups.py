"""The backup store: previous stored forms, numbered per key, kept across processes."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

import pytest

from explorer.core.errors import StorageError
from explorer.core.items import RawItem
from explorer.storage.base import Storage
from explorer.storage.sqlite import SqliteStorage
from explorer.workspace.backups import BackupStore, canonical_store_url


async def test_record_history_and_exact_form(tmp_path: Path) -> None:
    store = BackupStore(tmp_path / "deep" / "backups.sqlite3")
    item = RawItem(
        key="msteams/users/29:1AbC",
        body=b'{"a": 1, "py/object": "x.Y"}\xff',
        content_type="application/octet-stream",
        etag='0x8DC"1',
        last_modified=datetime(2026, 1, 2, tzinfo=UTC),
        name="msteams%2Fusers%2F29%3A1AbC",
        dialect="js",
        meta={"PartitionKey": "p", "n": [1, 2]},
    )
    first = await store.record("sqlite:rel.db", item.key, "create", None)
    await store.mark_applied(first, "e1")
    second = await store.record("sqlite:./rel.db", item.key, "write", item)
    await store.mark_applied(second, "e2")
    history = await store.history(f"sqlite:{os.getcwd()}/rel.db", item.key)
    assert [(b.version, b.existed, b.state, b.new_etag) for b in history] == [
        (1, False, "applied", "e1"),
        (2, True, "applied", "e2"),
    ]
    restored = history[1].to_raw_item()
    assert restored.body == item.body
    assert (restored.content_type, restored.name, restored.dialect) == (
        item.content_type, item.name, item.dialect,
    )  # fmt: skip
    assert dict(restored.meta) == dict(item.meta)
    assert history[1].etag == item.etag
    with pytest.raises(StorageError, match="did not exist"):
        history[0].to_raw_item()
    store.close()


async def test_get_versions_and_errors(tmp_path: Path) -> None:
    store = BackupStore(tmp_path / "b.sqlite3")
    with pytest.raises(StorageError, match="no backups of 'k'"):
        await store.get("memory:", "k")
    for i in range(3):
        b = await store.record("memory:", "k", "write", RawItem(key="k", body=str(i).encode()))
        await store.mark_applied(b, str(i))
    assert (await store.get("memory:", "k")).body == b"2"
    assert (await store.get("memory:", "k", 1)).body == b"0"
    with pytest.raises(StorageError, match=r"versions are 1\.\.3"):
        await store.get("memory:", "k", 9)
    doomed = await store.record("memory:", "k", "write", RawItem(key="k", body=b"x"))
    await store.discard(doomed)
    again = await store.record("memory:", "k", "write", RawItem(key="k", body=b"y"))
    assert again.version == 4  # a discarded (never written, never listed) number is reused
    assert [b.version for b in await store.history("memory:", "k")] == [1, 2, 3, 4]
    store.close()


async def test_two_handles_on_one_file_number_without_clashes(tmp_path: Path) -> None:
    a, b = BackupStore(tmp_path / "b.sqlite3"), BackupStore(tmp_path / "b.sqlite3")
    for i in range(20):
        await (a if i % 2 else b).record("memory:", "k", "write", RawItem(key="k", body=b"v"))
    assert [x.version for x in await a.history("memory:", "k")] == list(range(1, 21))
    a.close()
    b.close()


def test_canonical_store_url() -> None:
    assert canonical_store_url("sqlite:x.db") == f"sqlite:{os.getcwd()}/x.db"
    assert canonical_store_url("blob://c?sig=TOPSECRET99") == "blob://c?sig=***"
    assert canonical_store_url("memory:") == "memory:"


def _cosmos(endpoint: str) -> Storage:
    from explorer.storage.cosmos import CosmosStorage

    return CosmosStorage("db", "state", endpoint=endpoint, key="a2V5")  # not opened: no I/O


def test_store_identity_tells_accounts_apart_without_secrets() -> None:
    from explorer.workspace.backups import same_store, store_identity

    prod = store_identity(_cosmos("https://prod.documents.azure.com:443/"))
    test = store_identity(_cosmos("https://test.documents.azure.com/"))
    assert prod == "cosmos://db/state@prod.documents.azure.com:443"
    assert test == "cosmos://db/state@test.documents.azure.com"
    assert same_store(prod, "cosmos://db/state")
    assert same_store(prod, prod)
    assert not same_store(prod, test)
    assert not same_store("cosmos://db/state2", "cosmos://db/state")
    plain = SqliteStorage("x.db")  # not opened: no file
    assert store_identity(plain) == canonical_store_url(plain.url)

"""SQLite across processes and at the edges of the file system."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import textwrap
from dataclasses import replace
from pathlib import Path

import pytest

from explorer.storage import (
    BackendUnavailableError,
    ETagConflictError,
    InvalidKeyError,
    RawItem,
    ReadOnlyError,
    open_store,
)
from explorer.storage.sqlite import SqliteStorage, from_url

ROOT = Path(__file__).resolve().parents[2]

#: One process: ``count`` optimistic read-modify-write increments of one counter,
#: retrying on ETagConflictError. Prints how many conflicts it met.
INCREMENTER = textwrap.dedent(
    """
    import asyncio, json, sys
    from explorer.storage import ETagConflictError
    from explorer.storage.sqlite import SqliteStorage

    async def main(path, count, start_flag):
        async with SqliteStorage(path) as store:
            while not __import__("os").path.exists(start_flag):
                await asyncio.sleep(0.01)
            conflicts = 0
            for _ in range(count):
                while True:
                    current = (await store.read(["counter"])).get("counter", {"n": 0})
                    current["n"] += 1
                    await asyncio.sleep(0)  # let the other process in between
                    try:
                        await store.write({"counter": current})
                        break
                    except ETagConflictError:
                        conflicts += 1
            print(json.dumps({"conflicts": conflicts}))

    asyncio.run(main(sys.argv[1], int(sys.argv[2]), sys.argv[3]))
    """
)


@pytest.mark.slow
def test_two_processes_incrementing_one_counter_lose_nothing(tmp_path: Path) -> None:
    path = tmp_path / "shared.db"
    start = tmp_path / "go"

    async def seed() -> None:
        async with SqliteStorage(path) as store:
            await store.write({"counter": {"n": 0}})

    asyncio.run(seed())
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", INCREMENTER, str(path), "200", str(start)],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    start.touch()  # both are connected and waiting: start together
    outputs = [w.communicate(timeout=300) for w in workers]
    for worker, (_, err) in zip(workers, outputs, strict=True):
        assert worker.returncode == 0, err
    conflicts = sum(json.loads(out)["conflicts"] for out, _ in outputs)

    async def final() -> int:
        async with SqliteStorage(path, read_only=True) as store:
            return int((await store.read(["counter"]))["counter"]["n"])

    assert asyncio.run(final()) == 400, f"{conflicts} conflicts were retried"
    print(f"{conflicts} etag conflicts retried")


async def test_a_stale_writer_in_another_connection_conflicts(tmp_path: Path) -> None:
    path = tmp_path / "two.db"
    async with SqliteStorage(path) as first, SqliteStorage(path) as second:
        await first.write({"k": {"n": 1}})
        seen_by_second = (await second.read(["k"]))["k"]
        await first.write({"k": {"n": 2}})
        seen_by_second["n"] = 99
        with pytest.raises(ETagConflictError):
            await second.write({"k": seen_by_second})
        assert (await second.read(["k"]))["k"]["n"] == 2


async def test_missing_directory_is_a_clear_error_and_never_created(tmp_path: Path) -> None:
    path = tmp_path / "no such folder" / "state.db"
    with pytest.raises(BackendUnavailableError) as caught:
        async with SqliteStorage(path):
            pass
    message = str(caught.value)
    assert str(path.parent) in message
    assert "does not exist" in message
    assert "create it" in message
    assert not path.parent.exists()


async def test_missing_file_is_created(tmp_path: Path) -> None:
    path = tmp_path / "new.db"
    async with open_store(f"sqlite:{path}") as store:
        assert [k async for k in store.iter_keys()] == []
        await store.write({"k": {"n": 1}})
    assert path.is_file()
    async with SqliteStorage(path, read_only=True) as store:
        assert (await store.read(["k"]))["k"]["n"] == 1


async def test_read_only_never_creates_a_file(tmp_path: Path) -> None:
    path = tmp_path / "absent.db"
    with pytest.raises(BackendUnavailableError) as caught:
        async with SqliteStorage(path, read_only=True):
            pass
    assert str(path) in str(caught.value)
    assert not path.exists()


async def test_read_only_leaves_the_database_file_untouched(tmp_path: Path) -> None:
    path = tmp_path / "ro.db"
    async with SqliteStorage(path) as store:
        await store.write({"k": {"n": 1}})
    before = await asyncio.to_thread(path.read_bytes)
    async with SqliteStorage(path, read_only=True) as store:
        assert (await store.read(["k"]))["k"]["n"] == 1
        assert [k async for k in store.iter_keys()] == ["k"]
    # SQLite may add its -wal/-shm companions, as any reader of a WAL file does
    assert await asyncio.to_thread(path.read_bytes) == before


async def test_read_only_store_on_a_read_only_file(tmp_path: Path) -> None:
    path = tmp_path / "locked.db"
    async with SqliteStorage(path) as store:
        await store.write({"k": {"n": 1}})
    path.chmod(0o444)
    try:
        async with SqliteStorage(path, read_only=True) as store:
            assert (await store.read(["k"]))["k"]["n"] == 1
    finally:
        path.chmod(0o644)


async def test_a_file_that_is_not_sqlite_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "notes.db"
    path.write_text("these are not the bytes of a database " * 100)
    with pytest.raises(BackendUnavailableError) as caught:
        async with SqliteStorage(path) as store:
            await store.read(["k"])
    assert "not a SQLite database" in str(caught.value)


async def test_store_works_without_async_with(tmp_path: Path) -> None:
    """How a botbuilder bot uses it: construct, then call read/write directly."""
    store = SqliteStorage(tmp_path / "bot.db")
    await store.write({"k": {"n": 1}})
    assert (await store.read(["k"]))["k"]["n"] == 1
    await store.close()


async def test_bulk_write_stores_many_items_in_one_transaction(tmp_path: Path) -> None:
    async with SqliteStorage(tmp_path / "bulk.db") as store:
        items = (store.encode(f"demo/users/{i:06d}", {"i": i}) for i in range(20_000))
        assert await store.write_raw_many(items) == 20_000
        assert len([k async for k in store.iter_keys("demo/users/")]) == 20_000
        read = await store.read(["demo/users/000042"])
        assert read["demo/users/000042"]["i"] == 42


async def test_bulk_write_is_all_or_nothing(tmp_path: Path) -> None:
    async with SqliteStorage(tmp_path / "bulk.db") as store:
        good = [store.encode(f"k{i}", {"i": i}) for i in range(10)]
        bad = store.encode("bad\ud800", {})
        with pytest.raises(InvalidKeyError):
            await store.write_raw_many([*good, bad])
        assert [k async for k in store.iter_keys()] == []


async def test_bulk_write_on_a_read_only_store_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "bulk.db"
    async with SqliteStorage(path) as store:
        await store.write({"k": {"n": 1}})
    async with SqliteStorage(path, read_only=True) as store:
        with pytest.raises(ReadOnlyError):
            await store.write_raw_many([store.encode("new", {})])
        assert [k async for k in store.iter_keys()] == ["k"]


@pytest.mark.parametrize(
    ("url", "expected"),
    [("sqlite:state.db", "state.db"), ("sqlite:///abs/state.db", "/abs/state.db")],
)
def test_url_forms(url: str, expected: str) -> None:
    assert from_url(url).path == Path(expected)


def test_url_without_a_path_is_an_error() -> None:
    with pytest.raises(ValueError, match="names no file"):
        from_url("sqlite:")


async def test_reading_more_keys_than_one_query_holds(tmp_path: Path) -> None:
    async with SqliteStorage(tmp_path / "many.db") as store:
        keys = [f"k{i:05d}" for i in range(1_234)]
        await store.write({k: {"k": k} for k in keys})
        read = await store.read([*keys, "missing"])
        assert sorted(read) == keys
        assert all(read[k]["k"] == k for k in keys)
        assert sorted(await store.read_raw(keys)) == keys
        await store.delete(keys[:1_100])
        assert [k async for k in store.iter_keys()] == keys[1_100:]


async def test_raw_items_keep_name_dialect_and_meta(tmp_path: Path) -> None:
    path = tmp_path / "meta.db"
    item = RawItem(
        key="msteams/users/29:1AbC",
        body=b'{"a":1}',
        content_type="application/json; charset=utf-8",
        name="msteams%2Fusers%2F29%3A1AbC",
        dialect="js",
        meta={"PartitionKey": "msteams/users/29:1AbC", "tags": ["x"]},
    )
    async with SqliteStorage(path) as store:
        written = await store.write_raw(item)
    async with SqliteStorage(path, read_only=True) as store:
        raw = (await store.read_raw([item.key]))[item.key]
        [entry] = [e async for e in store.iter_entries()]
    assert raw == replace(item, etag=written.etag, last_modified=written.last_modified)
    assert (entry.name, entry.dialect, entry.size, entry.etag) == (
        item.name,
        "js",
        len(item.body),
        written.etag,
    )

"""A process writing a SQLite store until it is killed (driven by ``test_sqlite_faults``).

``python -m tests.faults.sqlite_child PATH pause``: writes ``KEY`` version 2
through ``SqliteStorage.write_raw`` with the transaction held open after the
row is written and before ``COMMIT`` (a small page cache spills the new pages
into the WAL first); prints ``in-transaction`` and waits to be killed.

``python -m tests.faults.sqlite_child PATH loop COUNT``: forever, version after
version, writes all COUNT keys in one ``write_raw_many`` transaction and then
``KEY`` alone (1 MiB, etag-checked ``write_raw``), printing ``batch V`` and
``single V`` after each has returned (committed). Versions go on from the
highest one stored (``start V`` is printed first).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import sqlite3
import sys
import time
from collections.abc import Iterator

import explorer.storage.sqlite as sqlite_module
from explorer.core.items import RawItem
from explorer.storage.sqlite import SqliteStorage

KEY = "faults/users/big"
BIG = 1 << 20


def body(key: str, version: int, size: int = 200) -> bytes:
    text = json.dumps({"key": key, "v": version, "pad": ""})
    fill = bytes([ord("a") + version % 26])  # every byte of the padding changes per version
    return text[:-2].encode() + fill * max(0, size - len(text)) + b'"}'


def version_of(data: bytes) -> int:
    return int(json.loads(data)["v"])


def batch_keys(count: int) -> list[str]:
    return [f"faults/users/b{i:05d}" for i in range(count)]


async def pause(path: str) -> None:
    original = sqlite_module.transaction

    @contextlib.contextmanager
    def held(conn: sqlite3.Connection) -> Iterator[None]:
        # a tiny page cache makes SQLite spill the uncommitted pages into the WAL,
        # so the kill leaves uncommitted frames there for recovery to ignore
        conn.execute("PRAGMA cache_size = 4")
        with original(conn):
            yield
            print("in-transaction", flush=True)
            time.sleep(600)  # killed here: the row is written, COMMIT never runs

    async with SqliteStorage(path) as store:
        current = (await store.read_raw([KEY]))[KEY]
        sqlite_module.transaction = held  # type: ignore[assignment]
        await store.write_raw(RawItem(key=KEY, body=body(KEY, 2, BIG)), if_match=current.etag)


async def loop(path: str, count: int) -> None:
    keys = batch_keys(count)
    async with SqliteStorage(path) as store:
        found = await store.read_raw([KEY, keys[0]])
        etag = found[KEY].etag
        version = max(version_of(found[KEY].body), version_of(found[keys[0]].body))
        print(f"start {version}", flush=True)
        while True:
            version += 1
            await store.write_raw_many(RawItem(key=k, body=body(k, version)) for k in keys)
            print(f"batch {version}", flush=True)
            item = RawItem(key=KEY, body=body(KEY, version, BIG))
            etag = (await store.write_raw(item, if_match=etag)).etag
            print(f"single {version}", flush=True)


def main() -> None:
    path, mode = sys.argv[1], sys.argv[2]
    if mode == "pause":
        asyncio.run(pause(path))
    else:
        asyncio.run(loop(path, int(sys.argv[3])))


if __name__ == "__main__":
    main()

"""SQLite: a writer process SIGKILLed mid-transaction leaves a consistent file, old or new.

The writer is a real process (``tests/faults/sqlite_child.py``) using
``SqliteStorage``; it is killed by PID with SIGKILL, once deterministically
between its write and its ``COMMIT``, and several times at random moments of a
write loop (batches of many keys in one transaction, and a 1 MiB etag-checked
write). Afterwards the file must pass ``PRAGMA integrity_check`` once SQLite has
recovered the WAL, every batch must be all-old or all-new, and nothing the
writer reported committed may be missing.
"""

from __future__ import annotations

import asyncio
import os
import random
import signal
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from explorer.core.items import RawItem
from explorer.storage.sqlite import SqliteStorage
from tests.faults.conftest import Recorder
from tests.faults.sqlite_child import BIG, KEY, batch_keys, body, version_of

SUITE = "sqlite"
pytestmark = pytest.mark.timeout(120)
ROOT = Path(__file__).resolve().parents[2]
BATCH = 2000
RANDOM_KILLS = 8


class Child:
    """The writer process; its stdout lines are collected as they come."""

    def __init__(self, *args: str) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.faults.sqlite_child", *args],
            cwd=ROOT,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.lines: list[str] = []
        self._seen = threading.Condition()
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self) -> None:
        assert self.process.stdout is not None
        with self.process.stdout:  # closed at EOF: no pipe is left to the GC
            for line in self.process.stdout:
                with self._seen:
                    self.lines.append(line.strip())
                    self._seen.notify_all()

    def wait_for(self, prefix: str, timeout: float = 30) -> None:
        with self._seen:
            ok = self._seen.wait_for(
                lambda: (
                    any(line.startswith(prefix) for line in self.lines)
                    or self.process.poll() is not None
                ),
                timeout,
            )
        if not ok or not any(line.startswith(prefix) for line in self.lines):
            err = self.process.stderr.read() if self.process.stderr else ""
            pytest.fail(f"the writer never printed {prefix!r}: {err[-2000:]}")

    def kill(self) -> None:
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(10)
        if self.process.stderr is not None:
            self.process.stderr.close()

    def last(self, kind: str) -> int:
        """The last version reported for ``kind`` (``batch``/``single``), else the start."""
        with self._seen:
            found = [int(line.split()[1]) for line in self.lines if line.startswith(kind)]
            start = [int(line.split()[1]) for line in self.lines if line.startswith("start")]
        return max(found, default=start[0])


def wal_size(path: Path) -> int:
    wal = Path(f"{path}-wal")
    return wal.stat().st_size if wal.exists() else 0


def integrity(path: Path) -> str:
    """``PRAGMA integrity_check`` on a fresh connection (which recovers the WAL first)."""
    conn = sqlite3.connect(path)
    try:
        return str(conn.execute("PRAGMA integrity_check").fetchone()[0])
    finally:
        conn.close()


async def _prepare(path: Path) -> bytes:
    old = body(KEY, 1, BIG)
    async with SqliteStorage(path) as store:
        await store.write_raw(RawItem(key=KEY, body=old))
        await store.write_raw_many(RawItem(key=k, body=body(k, 1)) for k in batch_keys(BATCH))
    return old


async def test_killed_between_write_and_commit_keeps_the_old_item(
    tmp_path: Path, faults: Recorder
) -> None:
    path = tmp_path / "store.db"
    old = await _prepare(path)
    child = Child(str(path), "pause")
    child.wait_for("in-transaction")
    assert wal_size(path) > BIG  # the new row is in the WAL, uncommitted
    child.kill()
    assert integrity(path) == "ok"
    async with SqliteStorage(path) as store:
        item = (await store.read_raw([KEY]))[KEY]
        listed = [e.key async for e in store.iter_entries()]
    lost = int(item.body != old) + int(len(listed) != BATCH + 1)
    faults.record(tried=1, lost=lost)
    assert item.body == old
    assert len(listed) == BATCH + 1


async def test_killed_at_random_moments_of_a_write_loop(tmp_path: Path, faults: Recorder) -> None:
    path = tmp_path / "store.db"
    await _prepare(path)
    rng = random.Random(7)
    lost = 0
    outcomes: dict[str, int] = {}
    for _ in range(RANDOM_KILLS):
        child = Child(str(path), "loop", str(BATCH))
        child.wait_for("batch")
        await asyncio.sleep(rng.uniform(0.0, 0.6))
        child.kill()
        batch_done, single_done = child.last("batch"), child.last("single")
        assert integrity(path) == "ok"
        async with SqliteStorage(path) as store:
            found = await store.read_raw([KEY, *batch_keys(BATCH)])
        versions = {version_of(found[k].body) for k in batch_keys(BATCH) if k in found}
        missing = BATCH + 1 - len(found)
        single = found[KEY].body if KEY in found else b""
        single_version = version_of(single) if single else -1
        # a batch is one transaction: all items of one version, the last one
        # reported committed or the one in flight; the single item likewise
        batch_ok = len(versions) == 1 and versions <= {batch_done, batch_done + 1}
        single_ok = single_version in (single_done, single_done + 1) and single == body(
            KEY, single_version, BIG
        )
        lost += missing + int(not batch_ok) + int(not single_ok)
        # which side of its in-flight transaction each write was caught on
        for name, new in (("batch", versions == {batch_done + 1}),
                          ("single", single_version == single_done + 1)):  # fmt: skip
            state = f"{name}_{'new' if new else 'old'}"
            outcomes[state] = outcomes.get(state, 0) + 1
        assert batch_ok, f"versions {versions}, reported committed {batch_done}"
        assert single_ok, f"single v{single_version}, reported committed {single_done}"
        assert missing == 0
    faults.record(tried=RANDOM_KILLS, lost=lost, **outcomes)

"""What safety costs: every write backed up and audited, measured against a bare write.

- ``safe_write_overhead``: seconds per ``SafeWriter.write_raw`` (read, backup,
  etag-checked write, audit line) over seconds per plain ``write_raw`` of the
  same items on the same SQLite store. Lower is better.
  Each repeat writes 3,000 new items and then overwrites them, on both sides
  (who goes first alternates); the value is the ratio of the medians.
- ``safe_import_vs_raw``: the CLI's import path (``SafeWriter.write_many`` in
  batches of 200) over plain ``write_raw`` one by one, same items. Lower is better.
- ``cli_startup``: seconds for ``python -m explorer ls`` on a 628-item demo
  store in a fresh process, over ``python -c pass`` (the interpreter alone).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from explorer.core.items import RawItem
from explorer.storage import open_store
from explorer.workspace.audit import AuditLog
from explorer.workspace.backups import BackupStore
from explorer.workspace.demo import ensure_demo_store_async
from explorer.workspace.safe_write import SafeWriter
from tests.benchmarks.run import ROOT, Context, Result, benchmark, median, paired

# sizes and repeats, full run / --quick: a write's cost grows with the backups
# already kept (500 items gave 3.37 and 7.35 against 2.45 and 8.24 for 3,000), so
# --quick measures the same: about a minute. A repeat times new writes and then
# overwrites of the same items: when each repeat timed one or the other, the
# median of the six fell between two groups whose ratios differ, and two runs
# of the same import benchmark gave 3.44 and 2.15 (repeats from 1.42 to 4.79)
ITEMS, ITEMS_QUICK = 3000, 3000
ROUNDS, ROUNDS_QUICK = 5, 5
STARTS, STARTS_QUICK = 7, 7


def _items(n: int, tag: str) -> list[RawItem]:
    body = b'{"UserProfile": {"name": "Ada", "age": 38}, "prefs": {"lang": "en"}}'
    return [RawItem(key=f"msteams/users/29:1{tag}{i:06d}", body=body) for i in range(n)]


async def _plain(url: str, items: list[RawItem]) -> float:
    async with open_store(url) as store:
        started = time.perf_counter()
        for item in items:
            await store.write_raw(item)
        return time.perf_counter() - started


async def _safe(url: str, items: list[RawItem], folder: Path, *, batch: int = 0) -> float:
    backups = BackupStore(folder / "backups.db")
    writer = SafeWriter(backups, AuditLog(folder / "audit.jsonl"))
    try:
        async with open_store(url) as store:
            started = time.perf_counter()
            if batch:
                for i in range(0, len(items), batch):
                    await writer.write_many(store, items[i : i + batch])
            else:
                for item in items:
                    await writer.write_raw(store, item)
            return time.perf_counter() - started
    finally:
        backups.close()


async def _ratio(ctx: Context, batch: int) -> Result:
    n = ctx.pick(ITEMS_QUICK, ITEMS)
    plain: list[float] = []
    safe: list[float] = []
    for round_ in range(ctx.pick(ROUNDS_QUICK, ROUNDS)):
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp)
            times = {"plain": 0.0, "safe": 0.0}
            # each round writes new items, then overwrites them (the backup has a body):
            # one repeat times both, so every repeat holds the same mix
            for tag in ("a", "b"):
                items = _items(n, f"{round_}{tag}")
                # who goes first alternates, so a busy moment slows both alike
                for side in ("plain", "safe") if round_ % 2 == 0 else ("safe", "plain"):
                    if side == "plain":
                        times[side] += await _plain(f"sqlite:{folder / 'plain.db'}", items)
                    else:
                        db = f"sqlite:{folder / 'safe.db'}"
                        times[side] += await _safe(db, items, folder, batch=batch)
            plain.append(times["plain"])
            safe.append(times["safe"])
    p, s = median(plain) / 2, median(safe) / 2  # seconds per pass of n items
    detail = {"items": n, "plain_per_item_us": round(p / n * 1e6, 1),
              "safe_per_item_us": round(s / n * 1e6, 1)}  # fmt: skip
    return Result(round(s / p, 2), "x", detail, paired(safe, plain))


@benchmark("safe_write_overhead")
async def safe_write_overhead(ctx: Context) -> Result:
    return await _ratio(ctx, batch=0)


@benchmark("safe_import_vs_raw")
async def safe_import_vs_raw(ctx: Context) -> Result:
    return await _ratio(ctx, batch=200)


def _timed(argv: list[str]) -> float:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    started = time.perf_counter()
    subprocess.run(argv, check=True, capture_output=True, env=env)
    return time.perf_counter() - started


@benchmark("cli_startup")
async def cli_startup(ctx: Context) -> Result:
    with tempfile.TemporaryDirectory() as tmp:
        url = await ensure_demo_store_async(Path(tmp) / "demo.db")
        bare: list[float] = []
        cli: list[float] = []
        for _ in range(ctx.pick(STARTS_QUICK, STARTS)):  # interleaved: load hits both alike
            bare.append(_timed([sys.executable, "-c", "pass"]))
            cli.append(_timed([sys.executable, "-m", "explorer", "ls", url]))
    b, c = median(bare), median(cli)
    detail = {"cli_s": round(c, 3), "python_s": round(b, 3)}
    return Result(round(c / b, 2), "x", detail, paired(cli, bare))

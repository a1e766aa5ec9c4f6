"""Command line benchmarks, each against a peer measured in the same run.

``cli_ls_vs_raw``: ``botstate-explorer ls sqlite:STORE`` of a 1,000,000-key
store (``tests.support.bigstore``; ``--quick``: fewer rounds) over a raw
``sqlite3`` scan of the same file that prints every key (``SELECT key FROM
items ORDER BY key``, fetched and written 5,000 rows at a time), both as fresh
processes writing to a file, so interpreter start and imports count on both
sides. Target <= 3.0. Rounds alternate which side goes first; the value is
median(ours) / median(raw), with every round's seconds and the ratio of CPU
seconds (steadier on a busy machine) in the detail. Also the peak RSS of
``ls`` (``wait4``) on the big store and on a 10,000-key one: the listing
streams, so the two stay within a few MB of each other (``VmHWM``, Linux).
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from tests.benchmarks.run import ROOT, Context, Result, benchmark, median, paired
from tests.support import bigstore

#: runs ``python -m explorer ARGS`` and then writes its own peak RSS (kB) to the
#: file named by $PEAK_RSS_FILE: ``wait4``'s ``ru_maxrss`` would count the
#: benchmark process too (Linux keeps the pre-exec image's peak across exec)
OURS = (
    "import os, runpy, sys\n"
    "sys.argv = ['explorer', *sys.argv[1:]]\n"
    "try:\n"
    "    runpy.run_module('explorer', run_name='__main__', alter_sys=True)\n"
    "finally:\n"
    "    with open('/proc/self/status') as status:\n"
    "        peak = next(l.split()[1] for l in status if l.startswith('VmHWM'))\n"
    "    with open(os.environ['PEAK_RSS_FILE'], 'w') as out:\n"
    "        out.write(peak)\n"
)
#: the peer: stdlib ``sqlite3`` at its fastest (rows fetched and written 5,000 at
#: a time; one ``write`` per key costs it ~2x more CPU)
RAW_SCAN = (
    "import sqlite3, sys\n"
    "conn = sqlite3.connect(f'file:{sys.argv[1]}?mode=ro', uri=True)\n"
    "rows = conn.execute('SELECT key FROM items ORDER BY key')\n"
    "write = sys.stdout.write\n"
    "while page := rows.fetchmany(5000):\n"
    "    write(''.join([key + '\\n' for (key,) in page]))\n"
)


@dataclass
class Run:
    seconds: float
    cpu_seconds: float
    #: peak RSS in MB (0 when the side does not report it)
    rss_mb: float
    lines: int


def _run(args: list[str], out: Path) -> Run:
    """Run ``args`` with stdout to ``out`` and stderr to a file beside it."""
    peak_file, errors = out.with_suffix(".rss"), out.with_suffix(".err")
    peak_file.unlink(missing_ok=True)
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PEAK_RSS_FILE": str(peak_file)}
    with out.open("wb") as sink, errors.open("wb") as err:
        started = time.perf_counter()
        proc = subprocess.Popen(args, stdout=sink, stderr=err, cwd=ROOT, env=env)
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise RuntimeError(f"{args[:4]} failed: {errors.read_text()[-1500:]}")
    with out.open("rb") as written:
        lines = sum(chunk.count(b"\n") for chunk in iter(lambda: written.read(1 << 20), b""))
    peak = int(peak_file.read_text()) / 1024 if peak_file.exists() else 0.0
    return Run(seconds, usage.ru_utime + usage.ru_stime, peak, lines)


def _ours(store: Path) -> list[str]:
    return [sys.executable, "-c", OURS, "ls", f"sqlite:{store}"]


def _raw(store: Path) -> list[str]:
    return [sys.executable, "-c", RAW_SCAN, str(store)]


def _spread(values: list[float]) -> dict[str, float]:
    return {
        "median": round(median(values), 3),
        "min": round(min(values), 3),
        "max": round(max(values), 3),
    }


@benchmark("cli_ls_vs_raw")
async def cli_ls_vs_raw(ctx: Context) -> Result:
    # quick: the same store (cached), fewer rounds. With 100,000 keys the start-up
    # of both processes weighed more: 4.04 against 2.91 for 1,000,000
    count = 1_000_000
    repeats = 3 if ctx.quick else 5
    store = await asyncio.to_thread(bigstore.sqlite_store, count)
    small = await asyncio.to_thread(bigstore.sqlite_store, 10_000)
    runs: dict[str, list[Run]] = {"ours": [], "raw": []}
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "out.txt"
        await asyncio.to_thread(_run, _raw(store), out)  # warm the page cache
        for index in range(repeats):
            for side in ("ours", "raw") if index % 2 == 0 else ("raw", "ours"):
                args = _ours(store) if side == "ours" else _raw(store)
                run = await asyncio.to_thread(_run, args, out)
                assert run.lines == count, (side, run.lines, count)
                runs[side].append(run)
        small_run = await asyncio.to_thread(_run, _ours(small), out)
        assert small_run.lines == 10_000
    ours = [r.seconds for r in runs["ours"]]
    raw = [r.seconds for r in runs["raw"]]
    peak = max(r.rss_mb for r in runs["ours"])
    cpu = median([r.cpu_seconds for r in runs["ours"]]) / median(
        [r.cpu_seconds for r in runs["raw"]]
    )
    return Result(
        round(median(ours) / median(raw), 2),
        "x raw sqlite3 key scan (lower is better, target <= 3.0)",
        {
            "keys": count,
            "ours_s": _spread(ours),
            "raw_s": _spread(raw),
            "ours_runs_s": [round(s, 3) for s in ours],
            "raw_runs_s": [round(s, 3) for s in raw],
            "cpu_ratio": round(cpu, 2),
            "rss_mb": round(peak, 1),
            "rss_mb_10k_keys": round(small_run.rss_mb, 1),
            "rss_growth_mb": round(peak - small_run.rss_mb, 1),
            "repeats": repeats,
        },
        paired(ours, raw),
    )

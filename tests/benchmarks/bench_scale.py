"""The window over a big SQLite store (issue 13): first rows, Go to, memory growth.

Stores come from ``tests.support.bigstore`` (cached): 10M keys in a full run,
1M with ``--quick``; the memory baseline is the same browse of a 10k-key
store. Each figure comes from ``scale_probe`` runs in fresh processes.

- ``scale_sqlite_first_rows_s``: connect → first rows under the connection
  (median of repeats); target ≤ 0.3.
- ``scale_goto_s``: median of 100 Go to (random keys, picked by seeks before
  the clock runs) in the big store; target ≤ 0.2.
- ``scale_group_end_s``: End on the first row of the largest Users group
  (~3M rows in the full store) → its last row selected: one reverse seek,
  nothing in between read (median over every probe run); target ≤ 1.0.
- ``scale_filter_id_s``: median of 50 user ids (random, picked by seeks)
  pasted into the Filter box of the big store: paste → the state among the
  filter results (prefix pages of the store, never a scan); target ≤ 0.2.
- ``scale_sqlite_rss_growth_mb``: peak RSS browsing the big store (connect,
  expand the largest Users group, jump to its end, scroll, 100 Go to) minus
  the same on 10k keys; target ≤ 100.
"""

from __future__ import annotations

import asyncio
from typing import Any

from tests.benchmarks.run import Context, Result, benchmark, median, probe
from tests.support import bigstore


def _size(ctx: Context) -> int:
    return 1_000_000 if ctx.quick else 10_000_000


async def _runs(ctx: Context) -> dict[str, Any]:
    if "scale_sqlite" in ctx.resources:
        cached: dict[str, Any] = ctx.resources["scale_sqlite"]
        return cached
    count = _size(ctx)
    big = await asyncio.to_thread(bigstore.sqlite_store, count)
    small = await asyncio.to_thread(bigstore.sqlite_store, 10_000)
    repeats = 5 if ctx.quick else 3
    first = [await probe("scale_probe", f"sqlite:{big}") for _ in range(repeats)]
    browse = await probe("scale_probe", f"sqlite:{big}", "--gotos", "100", "--filters", "50")
    baseline = await probe("scale_probe", f"sqlite:{small}", "--gotos", "100")
    result = {"count": count, "first": first, "browse": browse, "baseline": baseline}
    ctx.resources["scale_sqlite"] = result
    return result


@benchmark("scale_sqlite_first_rows_s")
async def scale_first_rows(ctx: Context) -> Result:
    runs = await _runs(ctx)
    values = [r["first_rows_s"] for r in runs["first"]]
    return Result(
        round(median(values), 3),
        f"s (connect to first rows, {runs['count']:,}-key SQLite; target <= 0.3)",
        {"paged": runs["first"][0]["paged"]},
        runs=values,
    )


@benchmark("scale_goto_s")
async def scale_goto(ctx: Context) -> Result:
    runs = await _runs(ctx)
    values = runs["browse"]["goto_s"]
    return Result(
        round(median(values), 3),
        f"s (median of {len(values)} Go to in {runs['count']:,} keys; target <= 0.2)",
        runs=values,
    )


@benchmark("scale_group_end_s")
async def scale_group_end(ctx: Context) -> Result:
    runs = await _runs(ctx)
    probes = [*runs["first"], runs["browse"]]
    values = [r["end_s"] for r in probes]
    return Result(
        round(median(values), 3),
        f"s (End in a group of {probes[0]['group_rows']:,} rows to its last row selected, "
        f"{runs['count']:,}-key SQLite; target <= 1.0)",
        {"group_rows": probes[0]["group_rows"]},
        runs=values,
    )


@benchmark("scale_filter_id_s")
async def scale_filter_id(ctx: Context) -> Result:
    runs = await _runs(ctx)
    values = runs["browse"]["filter_id_s"]
    return Result(
        round(median(values), 3),
        f"s (median of {len(values)} ids pasted in the Filter box, {runs['count']:,} keys; "
        "target <= 0.2)",
        runs=values,
    )


@benchmark("scale_sqlite_rss_growth_mb")
async def scale_rss_growth(ctx: Context) -> Result:
    runs = await _runs(ctx)
    big, small = runs["browse"]["rss_mb"], runs["baseline"]["rss_mb"]
    return Result(
        round(big - small, 1),
        f"MB (peak RSS browsing {runs['count']:,} keys minus 10k keys; target <= 100)",
        {"big_mb": big, "small_mb": small, "rows": runs["browse"]["rows"]},
        runs=[round(big - small, 1)],
    )

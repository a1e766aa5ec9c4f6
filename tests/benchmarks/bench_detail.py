"""The detail pane on a large state: the event loop keeps running while it is opened and edited.

- ``detail_large_item_max_stall_ms``: one 4.5 MB state (60,000 list entries)
  in a SQLite file; the largest gap of a 5 ms QTimer heartbeat while the pane
  opens it, a property is edited in the JSON editor and undone, and the Raw
  JSON tab is shown (target < 50). Peer, in the same process: the naive view
  (the whole body formatted into a highlighted text box); ``ratio`` = pane
  stall / naive stall (lower is better).

Each run is a fresh process (``tests.benchmarks.detail_probe``, offscreen Qt
with qasync); the value is the median of the runs, the load average in detail.
"""

from __future__ import annotations

import os
from typing import Any

from tests.benchmarks.run import Context, Result, benchmark, median, probe

# sizes and repeats, full run / --quick: the stall grows with the state's size,
# and a run takes seconds, so --quick measures the same
ITEMS, ITEMS_QUICK = 60000, 60000
RUNS, RUNS_QUICK = 3, 3


async def _probe(items: int) -> dict[str, Any]:
    return await probe("detail_probe", str(items))


@benchmark("detail_large_item_max_stall_ms")
async def large_item_stall(ctx: Context) -> Result:
    items = ctx.pick(ITEMS_QUICK, ITEMS)
    runs = [await _probe(items) for _ in range(ctx.pick(RUNS_QUICK, RUNS))]
    stalls = [r["max_stall_ms"] for r in runs]
    stall = median(stalls)
    naive = median([r["naive_max_stall_ms"] for r in runs])
    return Result(
        stall,
        "ms",
        {
            "body_bytes": runs[0]["body_bytes"],
            "open_ms": median([r["open_ms"] for r in runs]),
            "naive_max_stall_ms": naive,
            "ratio": round(stall / naive, 3) if naive else None,
            "runs": runs,
            "load_average": os.getloadavg()[0],
        },
        stalls,
    )

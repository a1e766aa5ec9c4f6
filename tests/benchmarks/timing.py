"""Rounds of ours-against-a-peer timing for the backend benchmarks (blob, cosmos).

``await rounds(n, ours=..., theirs=..., check=...)`` runs ``theirs()`` and
``ours()`` once each per round, ``warmup + n`` rounds, timing each with
``time.perf_counter``, and calls ``check(ours_result, theirs_result)`` every round (its
assertions guard that both did the same work). The first ``warmup`` rounds
warm both up and are not kept. ``alternate``: who goes first swaps every
round (ours first in even rounds), so a busy machine slows both alike; without
it ``theirs`` always goes first. The caller turns the kept times into ratios of
medians (``median`` from the runner).
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from tests.benchmarks.run import Context

T = TypeVar("T")
U = TypeVar("U")


def repeats(ctx: Context) -> int:
    """Kept rounds of a peer comparison: 3 with ``--quick``, else 5."""
    return 3 if ctx.quick else 5


@dataclass
class Times:
    """Wall-clock seconds of each side, one per kept round."""

    ours: list[float] = field(default_factory=list)
    theirs: list[float] = field(default_factory=list)


async def rounds(
    count: int,
    *,
    ours: Callable[[], Awaitable[T]],
    theirs: Callable[[], Awaitable[U]],
    check: Callable[[T, U], Any],
    warmup: int = 1,
    alternate: bool = False,
) -> Times:
    times = Times()
    for index in range(warmup + count):
        got: dict[str, Any] = {}
        spent: dict[str, float] = {}
        order = ("ours", "theirs") if alternate and index % 2 == 0 else ("theirs", "ours")
        for side in order:
            started = time.perf_counter()
            got[side] = await (ours() if side == "ours" else theirs())
            spent[side] = time.perf_counter() - started
        check(got["ours"], got["theirs"])
        if index >= warmup:
            times.ours.append(spent["ours"])
            times.theirs.append(spent["theirs"])
    return times

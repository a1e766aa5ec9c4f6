"""Rounds of ours-against-a-peer timing for the backend benchmarks (blob, cosmos).

``await rounds(n, ours=..., theirs=..., check=...)`` runs ``theirs()`` and
``ours()`` once each per round, ``warmup + n`` rounds, timing each with
``time.perf_counter``, and calls ``check(ours_result, theirs_result)`` every round (its
assertions guard that both did the same work). The first ``warmup`` rounds
warm both up and are not kept. ``alternate``: who goes first swaps every
round (ours first in even rounds), so a busy machine slows both alike; without
it ``theirs`` always goes first. ``Times.ratio()`` is the ratio of the medians,
``Times.runs()`` the ratio of each round (the runner prints their spread).
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from tests.benchmarks.run import paired, ratio

T = TypeVar("T")
U = TypeVar("U")


@dataclass
class Times:
    """Wall-clock seconds of each side, one per kept round."""

    ours: list[float] = field(default_factory=list)
    theirs: list[float] = field(default_factory=list)

    def ratio(self, digits: int = 3) -> float:
        """median(ours) / median(theirs)."""
        return ratio(self.ours, self.theirs, digits)

    def runs(self) -> list[float]:
        """ours / theirs of each round (``Result.runs``)."""
        return paired(self.ours, self.theirs)


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

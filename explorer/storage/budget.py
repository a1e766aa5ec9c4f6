"""A request-unit budget: a token bucket that scans wait for (stdlib only).

Cosmos DB charges every request in request units (RU) and throttles (429) a
container that spends more than its provisioned RU/s, the bot's requests
included. ``RuBudget`` keeps the explorer's scans (listing everything, value
search, stats, export) under a cap, so a support engineer's scan never takes
the throughput the production bot needs.

- The bucket holds up to one second of budget (``rate`` RU) and refills at
  ``rate`` RU/s. A charge is only known after the request, so it is paid
  afterwards (``spend``) and may leave the bucket in debt; ``wait`` (called
  before each scan request) sleeps until the debt is repaid. Over any period a
  scan spends at most ``rate`` RU/s on average, plus one second of burst.
- Every request is paid for, interactive ones too (a Go to, a save), but only
  scans wait: what the user does by hand is never held back, it just slows the
  scan running beside it.
- ``throttled(seconds)``: the service answered 429 and asked to wait; the
  bucket is emptied and put ``seconds`` of budget into debt, so the scan backs
  off at least as long as the service asked (the SDK itself retries the
  request after that wait).
- ``rate=None``: no cap; charges are still summed.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

#: RU/s a scan may spend by default: a quarter of 400 RU/s, the smallest
#: throughput a Cosmos DB container (or a shared database) can be provisioned with
DEFAULT_RU_PER_SECOND = 100.0


class RuBudget:
    """A token bucket of request units; see the module docstring."""

    def __init__(
        self,
        rate: float | None,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
    ) -> None:
        if rate is not None and rate <= 0:
            raise ValueError(f"an RU/s budget must be positive, not {rate!r} (None: no budget)")
        self.rate = rate
        self._clock = clock
        self._sleep = sleep
        self._tokens = rate or 0.0
        self._stamp = clock()
        #: RU paid since the budget was made
        self.spent = 0.0
        #: seconds scans spent waiting for the budget
        self.waited = 0.0

    def _refill(self) -> None:
        now = self._clock()
        if self.rate is not None:
            self._tokens = min(self.rate, self._tokens + (now - self._stamp) * self.rate)
        self._stamp = now

    def spend(self, units: float) -> None:
        """Pay for a request that cost ``units`` RU (may leave the bucket in debt)."""
        self.spent += units
        if self.rate is not None:
            self._refill()
            self._tokens -= units

    def throttled(self, seconds: float) -> None:
        """The service throttled a request and asked to wait ``seconds``."""
        if self.rate is not None and seconds > 0:
            self._refill()
            self._tokens = min(self._tokens, 0.0) - seconds * self.rate

    async def wait(self) -> float:
        """Sleep until the bucket is out of debt; return the seconds slept."""
        if self.rate is None:
            return 0.0
        slept = 0.0
        self._refill()
        while self._tokens < 0:
            delay = -self._tokens / self.rate
            await self._sleep(delay)
            slept += delay
            self._refill()
        self.waited += slept
        return slept

"""Measure connect → first screen on an emulator store, as ``gui --screenshot`` gets there.

Run in its own process (a qasync loop, offscreen Qt)::

    python -m tests.benchmarks.screen_probe blob://CONTAINER --secret CONNECTION_STRING [--bytes]
    python -m tests.benchmarks.screen_probe cosmos://DB/CONTAINER --endpoint URL --secret KEY

The first screen: the store connected in a window and its first user state
selected and shown in the detail pane (``ui.screenshot.show_first_user_state``,
what ``gui STORE --screenshot`` does). Prints one JSON object:

- ``first_rows_s``: connect → the first rows under the connection shown in
  the tree (as ``scale_probe`` measures it on SQLite);
- ``first_screen_s``: connect → the first user state shown;
- ``selected``: its key;
- ``bytes``: with ``--bytes`` (Blob), bytes the emulator sent from connect to
  the first screen, counted by a TCP proxy in this process (a thread) that the
  connection string points at; the proxy adds a little time, so time a run
  without it (``SCREEN_PROBE_LOG=1``: each request on stderr, with the time and
  the bytes received before it);
- ``request_charge`` (Cosmos DB): RU the window's stores spent from connect to
  the first screen (the connection's store and its listing thread's store,
  whose opening is part of connecting).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import sys
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from tests.benchmarks.gui_probe import open_window, record_first_rows, run_in_window
from tests.support.latency_proxy import LatencyProxy


class CountingProxy(LatencyProxy):
    """The test proxy without delay (it counts the bytes the target sends back in
    ``received``); ``SCREEN_PROBE_LOG=1`` logs each request line on stderr with the
    time and the bytes received before it."""

    def _forwarding(self, data: bytes) -> None:
        if os.environ.get("SCREEN_PROBE_LOG") and data[:4] in (b"GET ", b"HEAD"):
            line = data.split(b"\r\n", 1)[0].decode(errors="replace")
            print(f"{time.perf_counter():.3f} {self.received:>10} {line[:140]}", file=sys.stderr)


def _log_cosmos_requests() -> None:
    """``SCREEN_PROBE_LOG``: each Cosmos DB request on stderr, with the time, its charge
    and the project functions that made it (innermost last)."""
    import traceback

    from explorer.storage.cosmos_layout import RequestMeter

    hook = RequestMeter.hook

    def logged(self: RequestMeter, headers: Any, body: Any) -> None:
        callers = [
            f.name
            for f in traceback.extract_stack()
            if "/explorer/" in f.filename and "cosmos_layout" not in f.filename
        ]
        charge = headers.get("x-ms-request-charge")
        print(f"{time.perf_counter():.3f} RU {charge} {' > '.join(callers[-4:])}", file=sys.stderr)
        hook(self, headers, body)

    RequestMeter.hook = logged  # type: ignore[method-assign]


def _charges(conn: Any) -> float:
    """RU spent by the connection's store and its listing thread's store."""
    from explorer.storage.abilities import Abilities

    total = 0.0
    stores = [conn.store]
    if conn.lister is not None:
        stores.append(conn.lister._store)  # the thread's own store (opened at connect)
    for store in stores:
        charges = Abilities.of(store).charges
        if charges is not None:
            total += charges.total_request_charge
    return total


async def measure(options: argparse.Namespace, data: Path) -> dict[str, Any]:
    from explorer.ui.screenshot import show_first_user_state
    from explorer.workspace.profiles import profile_for_url

    secret = options.secret
    proxy: CountingProxy | None = None
    if options.bytes:
        port = int(re.search(r"127\.0\.0\.1:(\d+)", secret).group(1))  # type: ignore[union-attr]
        proxy = CountingProxy(port).start()
        secret = secret.replace(f"127.0.0.1:{port}", f"127.0.0.1:{proxy.port}")
    window, _connector = await open_window(data)
    profile = profile_for_url(
        "bench", options.url, endpoint=options.endpoint, insecure=bool(options.endpoint)
    )

    def logged(when: float) -> None:
        if os.environ.get("SCREEN_PROBE_LOG"):
            print(f"{when:.3f} first rows", file=sys.stderr)

    first_rows = record_first_rows(window, logged)
    started = time.perf_counter()
    if os.environ.get("SCREEN_PROBE_LOG"):
        print(f"{started:.3f} connect", file=sys.stderr)
        if options.endpoint:
            _log_cosmos_requests()
    target = await show_first_user_state(window, profile, secret, True)
    first_screen_s = time.perf_counter() - started
    result: dict[str, Any] = {
        "first_rows_s": round(first_rows[0] - started, 4) if first_rows else None,
        "first_screen_s": round(first_screen_s, 4),
        "selected": target.key if target is not None else None,
        "rows": sum(1 for _ in window.manager.tree.root.walk()) - 1,
    }
    if proxy is not None:
        result["bytes"] = proxy.received
    conn = window.manager.connections[0]
    if conn.lister_ready is not None:
        await asyncio.gather(conn.lister_ready, return_exceptions=True)
    if options.endpoint:
        result["request_charge"] = round(_charges(conn), 2)
    window.runner.cancel_all()
    await window.runner.aclose()
    await window.manager.close_all()
    window.close()
    if proxy is not None:
        proxy.stop()
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("url")
    parser.add_argument("--secret", required=True)
    parser.add_argument("--endpoint", default="", help="Cosmos DB endpoint (TLS checks off)")
    parser.add_argument("--bytes", action="store_true", help="count bytes through a proxy")
    options = parser.parse_args(argv)

    return run_in_window(lambda data: measure(options, data))


if __name__ == "__main__":
    raise SystemExit(main())

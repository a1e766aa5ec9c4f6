"""Measure the real window on a store: first rows and event-loop stalls while listing.

Run in its own process (it needs a Qt event loop driven by qasync, which the
benchmark runner's ``asyncio.run`` loop is not)::

    python -m tests.benchmarks.gui_probe STORE_URL [--expand-users] [--connection-string CS]

Prints one JSON object: ``first_rows_s`` (connect clicked → first rows of the
store inserted under the connection and the event loop back to painting),
``listed_s`` (→ listing done), ``max_stall_ms`` (largest gap between two ticks
of a 5 ms QTimer heartbeat from connect to listing done, minus the interval),
``items`` (listed). On a backend that lists per node (Blob), "listing done"
is: the top level listed, then the first channel and its Users group
expanded through the view (``fetchMore``) and listed.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

HEARTBEAT_MS = 5


async def measure(url: str, options: argparse.Namespace, data: Path) -> dict[str, Any]:
    from PySide6.QtCore import QModelIndex, QTimer

    from explorer.workspace.connections import StoreFlags
    from explorer.workspace.tree import LoadState, NodeKind

    window, connector = await open_window(data)
    ticks: list[float] = []
    heartbeat = QTimer()
    heartbeat.setInterval(HEARTBEAT_MS)
    heartbeat.timeout.connect(lambda: ticks.append(time.perf_counter()))

    expanded: set[NodeKind] = set()
    can_hold = (NodeKind.CONNECTION, NodeKind.CHANNEL)

    def expand_users(parent: QModelIndex, first: int, last: int) -> None:
        # like a user who opens the first channel's Users while the rest streams in;
        # a user costs the window nothing per row: once both are open, or for rows
        # that cannot be a channel or a Users group, this returns at once
        if len(expanded) == 2:
            return
        if parent.isValid() and window.model.node(parent).kind not in can_hold:
            return
        for row in range(first, last + 1):
            index = window.model.index(row, 0, parent)
            node = window.model.node(index)
            if node.kind in (NodeKind.CHANNEL, NodeKind.USERS) and node.kind not in expanded:
                expanded.add(node.kind)
                window.view.expand(index)

    first_rows = record_first_rows(window)
    if options.expand_users:
        window.model.rowsInserted.connect(expand_users)
    target = connector.resolve(url, StoreFlags(connection_string=options.connection_string))
    profile, secret = target.profile, target.secret
    heartbeat.start()
    started = time.perf_counter()
    window.connect_profile(profile, secret)
    await poll(lambda: window.manager.connections)
    conn = window.manager.connections[0]
    done = (LoadState.LOADED, LoadState.FAILED)
    await poll(lambda: conn.node.load_state in done)
    if conn.node.prefix is not None:  # lists per node: open a channel's Users
        for kind in (NodeKind.CHANNEL, NodeKind.USERS):
            node = next((n for n in conn.node.walk() if n.kind is kind), None)
            if node is None:
                break
            window.view.expand(window.model.index_of(node))
            # a paged group (a window over a big store) is shown once its first page is
            await poll(lambda node=node: node.load_state in done or _first_page_in(node))
    finished = time.perf_counter()
    await asyncio.sleep(3 * HEARTBEAT_MS / 1000)
    heartbeat.stop()
    if conn.node.load_state is LoadState.FAILED:
        raise RuntimeError(f"listing failed: {conn.node.error}")
    shown = next((t for t in ticks if first_rows and t >= first_rows[0]), finished)
    window_ticks = [started] + [t for t in ticks if started <= t <= finished] + [finished]
    gaps = [b - a for a, b in itertools.pairwise(window_ticks)]
    if os.environ.get("GUI_PROBE_DEBUG"):
        top = sorted(((g, i) for i, g in enumerate(gaps)), reverse=True)[:6]
        print(
            [(round(g * 1000), round(window_ticks[i] - started, 3)) for g, i in top],
            file=sys.stderr,
        )
    result = {
        "first_rows_s": round(shown - started, 4),
        "listed_s": round(finished - started, 3),
        "max_stall_ms": round(max(0.0, max(gaps) * 1000 - HEARTBEAT_MS), 1),
        "items": conn.node.count,
    }
    await window.manager.close_all()
    window.close()
    return result


async def open_window(data: Path) -> tuple[Any, Any]:
    """The window (and its ``Connector``) as the app opens it on the data directory
    ``data``: shown, the backends warmed as at start-up while a person finds the
    Connect button, and settled before anything is timed."""
    from explorer.app import build_window
    from explorer.workspace.connections import Connector, warm_backends
    from explorer.workspace.environment import DataPaths, Environment

    connector = Connector(DataPaths(data), Environment.from_os())
    window = build_window(None, connector=connector)
    window.resize(1200, 760)
    window.show()
    await asyncio.to_thread(warm_backends)
    await asyncio.sleep(0.2)
    return window, connector


def record_first_rows(window: Any, on_first: Callable[[float], None] | None = None) -> list[float]:
    """A list that gets the time the window's model first inserts rows under a
    connection (``on_first`` is told it then)."""
    first_rows: list[float] = []

    def inserted(parent: Any, _first: int, _last: int) -> None:
        if parent.isValid() and not first_rows:
            first_rows.append(time.perf_counter())
            if on_first is not None:
                on_first(first_rows[0])

    window.model.rowsInserted.connect(inserted)
    return first_rows


def _first_page_in(node: Any) -> bool:
    from explorer.workspace.tree import LoadState

    if node.cursor is None or node.load_state is not LoadState.UNLOADED:
        return False
    rows = any(child.key is not None for child in node.children)  # not only its gap row
    reading = any(gap.load_state is LoadState.LOADING for gap in node.cursor.gaps)
    return rows and not reading  # the whole page is in (it is placed in runs)


async def poll(condition: Any, interval: float = 0.002, within: float = 600) -> None:
    for _ in range(int(within / interval)):
        if condition():
            return
        await asyncio.sleep(interval)
    raise TimeoutError("the window did not get there in time")


def run_in_window(measure: Callable[[Path], Awaitable[dict[str, Any]]]) -> int:
    """Run ``measure(DATA_DIR)`` on a qasync loop of a new QApplication (the
    window's own loop, as in the app) with a temporary data directory; print its
    JSON object. The probes' ``main``."""
    import qasync
    from PySide6.QtWidgets import QApplication

    app = QApplication([sys.argv[0]])
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    with tempfile.TemporaryDirectory() as data, loop:
        result = loop.run_until_complete(measure(Path(data)))
    print(json.dumps(result))
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("url")
    parser.add_argument("--expand-users", action="store_true")
    parser.add_argument("--connection-string")
    options = parser.parse_args(argv)
    return run_in_window(lambda data: measure(options.url, options, data))


if __name__ == "__main__":
    raise SystemExit(main())

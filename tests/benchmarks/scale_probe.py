"""Measure the window over a big store: first rows, Go to, peak memory while browsing.

Run in its own process (a qasync loop; the peak RSS is this process's)::

    python -m tests.benchmarks.scale_probe STORE_URL [--gotos N] [--seed S]

Browsing as issue 13 defines it: connect, expand the largest Users group
(the ``msteams`` channel's in a ``tests.support.bigstore`` store), jump to
its end (End pressed on its first row: one reverse seek, nothing in between
read), scroll a few screens, then Go to ``N`` keys picked at random by seeks
(picked before the clock runs), each typed into the Go to box as Ctrl+L does.

Prints one JSON object: ``first_rows_s`` (connect → the first rows under the
connection inserted), ``paged`` (the store opened as a window), ``end_s``
(End pressed → the group's last key selected), ``group_rows`` (the store's
count of that group), ``goto_s`` (each Go to: Enter → the key selected),
``rows`` (tree nodes at the end),
``rss_mb`` (peak resident memory of the process), and with ``--filters N``
``filter_id_s`` (each of ``N`` user ids picked at random by seeks, pasted into
the Filter box: paste → the id's state in the filter results).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import time
from functools import partial
from pathlib import Path
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from tests.benchmarks.gui_probe import open_window, poll, record_first_rows, run_in_window

#: a step of the browse gets 5 minutes
_poll = partial(poll, within=300)


async def _pick_keys(store: Any, groups: list[str], count: int, seed: int) -> list[str]:
    """``count`` keys at random places of ``groups`` (one seek each)."""
    from explorer.storage.abilities import Abilities

    pages = Abilities.of(store).key_pages
    assert pages is not None
    rng = random.Random(seed)
    keys: list[str] = []
    while len(keys) < count:
        prefix = rng.choice(groups)
        after = prefix + "".join(rng.choice("0123456789:_abcdef") for _ in range(6))
        page = await pages.list_page(prefix, after=after, limit=1, keys_only=True)
        if page.first is not None:
            keys.append(page.first)
    return keys


async def _jump_to_end(window: Any, conn: Any, users: Any) -> tuple[float | None, int | None]:
    """Press End on the group's first row; on a paged group, the time until its
    last key is selected and the group's size (``None`` on a store not paged)."""
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest

    from explorer.storage.abilities import Abilities

    pages, counting = Abilities.of(conn.store).key_pages, Abilities.of(conn.store).counting
    last = rows = None
    if users.cursor is not None and pages is not None and counting is not None:
        prefix = users.prefix
        last = (await pages.list_page(prefix, reverse=True, limit=1, keys_only=True)).last
        rows = (await counting.count(prefix)).value
    window.view.setCurrentIndex(window.model.index_of(users.children[0]))
    window.view.setFocus()
    await asyncio.sleep(0.1)
    began = time.perf_counter()
    QTest.keyClick(window.view, Qt.Key.Key_End)  # paged: the group's end, one reverse seek
    if last is None:
        await asyncio.sleep(0.1)
        return None, None

    def at_end() -> bool:
        current = window.current_node()
        return current is not None and current.key == last

    await _poll(at_end)
    return time.perf_counter() - began, rows


async def measure(url: str, options: argparse.Namespace, data: Path) -> dict[str, Any]:

    from explorer.app import peak_rss_mb
    from explorer.workspace.tree import LoadState, NodeKind

    window, connector = await open_window(data)
    first_rows = record_first_rows(window)
    profile = connector.resolve(url).profile
    started = time.perf_counter()
    window.connect_profile(profile, None, True)
    await _poll(lambda: window.manager.connections)
    conn = window.manager.connections[0]
    await _poll(lambda: bool(first_rows))
    first_rows_s = first_rows[0] - started
    await _poll(lambda: conn.node.load_state in (LoadState.LOADED, LoadState.FAILED))
    # the largest Users group: the msteams channel's in a bigstore store
    groups = [n for n in conn.node.walk() if n.kind is NodeKind.USERS]
    users = next((g for g in groups if g.parent and g.parent.label == "msteams"), groups[0])
    window.view.expand(window.model.index_of(users.parent))
    window.view.expand(window.model.index_of(users))
    await _poll(lambda: any(c.key is not None for c in users.children))
    end_s, group_rows = await _jump_to_end(window, conn, users)
    for _ in range(5):  # scroll up a few screens from the end, then down again
        window.view.verticalScrollBar().setValue(window.view.verticalScrollBar().value() - 30)
        await asyncio.sleep(0.05)
    window.view.scrollToBottom()
    await asyncio.sleep(0.05)
    prefixes = [g.prefix for g in conn.node.walk() if g.cursor is not None and g.prefix]
    picked = await _pick_keys(conn.store, prefixes or [""], options.gotos, options.seed)
    times: list[float] = []
    for key in picked:
        window.toolbar.goto_edit.setText(key)
        began = time.perf_counter()
        handle = window.go_to()
        if handle is not None and handle.task is not None:
            await handle.task
        current = window.current_node()
        if current is None or current.key != key:
            raise RuntimeError(f"Go to {key!r} selected {current and current.key!r}")
        times.append(time.perf_counter() - began)
    filter_times = await _filter_ids(window, conn, prefixes, options)
    result = {
        "first_rows_s": round(first_rows_s, 4),
        "paged": conn.node.paged,
        "end_s": None if end_s is None else round(end_s, 4),
        "group_rows": group_rows,
        "goto_s": [round(t, 4) for t in times],
        "filter_id_s": [round(t, 4) for t in filter_times],
        "rows": sum(1 for _ in window.manager.tree.root.walk()) - 1,
        "rss_mb": peak_rss_mb(),
    }
    window.runner.cancel_all()
    await window.runner.aclose()
    await window.manager.close_all()
    window.close()
    return result


async def _filter_ids(
    window: Any, conn: Any, prefixes: list[str], options: argparse.Namespace
) -> list[float]:
    """Paste user ids (picked by seeks) into the Filter box: seconds until each shows."""
    users = [p for p in prefixes if p.endswith("/users/")]
    if not options.filters or not users:
        return []
    picked = await _pick_keys(conn.store, users, options.filters, options.seed + 1)
    results = window.filter.results
    times: list[float] = []
    for key in picked:
        user_id = key.rstrip("/").rsplit("/users/", 1)[1]
        began = time.perf_counter()
        window.toolbar.filter_edit.setText(user_id)
        await _poll(lambda key=key: any(key in c.by_key for c in results.root.children))
        times.append(time.perf_counter() - began)
        window.filter.clear()
        await asyncio.sleep(0.01)
    return times


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("url")
    parser.add_argument("--gotos", type=int, default=0)
    parser.add_argument("--filters", type=int, default=0)
    parser.add_argument("--seed", type=int, default=13)
    options = parser.parse_args(argv)

    return run_in_window(lambda data: measure(options.url, options, data))


if __name__ == "__main__":
    raise SystemExit(main())

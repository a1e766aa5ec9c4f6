"""Measure the detail pane on a large item: event-loop stalls while opening and editing it.

Run in its own process (it needs qasync's Qt event loop)::

    python -m tests.benchmarks.detail_probe ITEMS

Writes one state of ``ITEMS`` list entries (about 75 bytes each) to a SQLite
file, then, with a 5 ms QTimer heartbeat running: opens it in a DetailPane,
edits a small property in the JSON editor, undoes it, opens the Raw JSON tab.
The peer, in the same process, is the naive view: the whole body formatted
into a highlighted QPlainTextEdit. Prints one JSON object: ``max_stall_ms``
and ``open_ms`` for the pane, ``naive_max_stall_ms`` and ``body_bytes``.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
HEARTBEAT_MS = 5


class Heartbeat:
    """Largest gap between ticks of a 5 ms timer (minus the interval), in ms."""

    def __init__(self) -> None:
        from PySide6.QtCore import QTimer

        self.ticks: list[float] = []
        self.timer = QTimer()
        self.timer.setInterval(HEARTBEAT_MS)
        self.timer.timeout.connect(lambda: self.ticks.append(time.perf_counter()))

    def __enter__(self) -> Heartbeat:
        self.ticks.clear()
        self.timer.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.timer.stop()

    @property
    def max_stall_ms(self) -> float:
        gaps = [
            (b - a) * 1000 - HEARTBEAT_MS for a, b in zip(self.ticks, self.ticks[1:], strict=False)
        ]
        return round(max(gaps, default=0.0), 1)


async def measure(items: int, folder: Path) -> dict[str, Any]:
    from PySide6.QtWidgets import QPlainTextEdit

    from explorer.core.items import RawItem
    from explorer.storage.sqlite import SqliteStorage
    from explorer.ui.detail.highlighter import JsonHighlighter
    from explorer.ui.detail.pane import TAB_RAW, DetailPane

    document = {
        "ConversationLog": [
            {"i": i, "text": f"message {i}", "tags": ["a", "b"]} for i in range(items)
        ],
        "visits": 1,
    }
    body = json.dumps(document).encode()
    async with SqliteStorage(folder / "state.db") as store:
        await store.write_raw(RawItem(key="msteams/users/big", body=body))
        pane = DetailPane()
        pane.resize(1000, 700)
        pane.show()
        await asyncio.sleep(0.2)
        with Heartbeat() as beat:
            started = time.perf_counter()
            await pane.open_item(store, "msteams/users/big")
            opened = time.perf_counter() - started
            await asyncio.sleep(0.05)
            pane.select_property("visits")
            pane.editor.set_text("2")
            pane.editor.apply()
            await asyncio.sleep(0.05)
            pane.pending.undo()
            await asyncio.sleep(0.05)
            pane.tabs.setCurrentIndex(TAB_RAW)
            await asyncio.sleep(0.1)
        pane_stall = beat.max_stall_ms
        pane.close()

        naive = QPlainTextEdit()
        JsonHighlighter(naive.document())
        naive.resize(1000, 700)
        naive.show()
        await asyncio.sleep(0.2)
        with Heartbeat() as beat:
            await asyncio.sleep(0.02)
            raw = (await store.read_raw(["msteams/users/big"]))["msteams/users/big"]
            naive.setPlainText(json.dumps(json.loads(raw.body), indent=2))
            await asyncio.sleep(0.1)
        naive_stall = beat.max_stall_ms
        naive.close()
    return {
        "max_stall_ms": pane_stall,
        "open_ms": round(opened * 1000, 1),
        "naive_max_stall_ms": naive_stall,
        "body_bytes": len(body),
    }


def main(argv: list[str]) -> int:
    import qasync
    from PySide6.QtWidgets import QApplication

    items = int(argv[0]) if argv else 60000
    app = QApplication.instance() or QApplication([])
    assert isinstance(app, QApplication)
    app.setQuitOnLastWindowClosed(False)  # the probe closes its windows while running
    loop = qasync.QEventLoop(app)
    try:
        with tempfile.TemporaryDirectory() as folder:
            result = loop.run_until_complete(measure(items, Path(folder)))
    finally:
        loop.close()  # joins qasync's executor threads before Qt goes away
    print(json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""The Insights page: a store (or a subtree) at a glance, and the way to its items.

``InsightsPage`` shows a ``StoreStats``: a summary line, four charts (items per
channel and kind, sizes with the Cosmos DB limit marked, ages, the most
common active dialogs) and the largest items. Every bar and row leads to the
items behind it: a channel's bar selects that channel's Users or
Conversations in the tree (``group_requested(channel, kind)``); a size, age
or dialog bar offers the keys found there (up to ``stats.SAMPLES``) and a
chosen one is opened (``key_requested(key)``), as is a row of the largest.
``InsightsDialog`` runs the scan through the ``TaskRunner`` (progress and
cancel in the status bar) and shows the page; it never blocks the loop.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QCursor
from PySide6.QtWidgets import (
    QDialog,
    QGridLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMenu,
    QVBoxLayout,
    QWidget,
)

from explorer.storage.base import Storage
from explorer.ui.insights.charts import (
    ChartBox,
    age_chart,
    channels_chart,
    dialogs_chart,
    size_chart,
)
from explorer.ui.tasks import TaskHandle, TaskRunner
from explorer.workspace.stats import StoreStats, collect_stats


def _size(n: int) -> str:
    for unit, scale in (("MB", 1024 * 1024), ("KB", 1024)):
        if n >= scale:
            return f"{n / scale:,.1f} {unit}"
    return f"{n:,} B"


class InsightsPage(QWidget):
    """Charts and lists of one ``StoreStats``; signals lead to the items."""

    key_requested = Signal(str)
    #: (channel, kind): show that channel's users / conversations / private states
    group_requested = Signal(str, str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("insightsPage")
        self.stats: StoreStats | None = None
        self.summary = QLabel("Scanning…")
        self.summary.setWordWrap(True)
        self.summary.setTextFormat(Qt.TextFormat.RichText)
        self.channels = ChartBox("Items per channel and kind")
        self.sizes = ChartBox("Size of the stored items")
        self.ages = ChartBox("Last written")
        self.dialogs = ChartBox("Most common active dialogs")
        self.charts = (self.channels, self.sizes, self.ages, self.dialogs)
        self.largest = QListWidget()
        self.largest.setObjectName("largestItems")
        self.largest.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        self.largest.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.largest.itemActivated.connect(self._largest_chosen)
        self.largest.itemClicked.connect(self._largest_chosen)
        grid = QGridLayout()
        grid.addWidget(self.channels, 0, 0)
        grid.addWidget(self.dialogs, 0, 1)
        grid.addWidget(self.sizes, 1, 0)
        grid.addWidget(self.ages, 1, 1)
        largest_box = QVBoxLayout()
        largest_box.addWidget(QLabel("<b>Largest items</b>"))
        largest_box.addWidget(self.largest, 1)
        grid.addLayout(largest_box, 0, 2, 2, 1)
        grid.setColumnStretch(0, 3)
        grid.setColumnStretch(1, 3)
        grid.setColumnStretch(2, 2)
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addLayout(grid, 1)
        self.menu: QMenu | None = None

    def show_progress(self, scanned: int, expected: int | None) -> None:
        of = f" of {expected:,}" if expected is not None else ""
        self.summary.setText(f"Scanning… {scanned:,}{of} items")

    def show_stats(self, stats: StoreStats, scope: str) -> None:
        self.stats = stats
        counts = stats.counts
        kinds = ", ".join(f"{n:,} {k}" for k, n in counts.kinds.items())
        where = "counted by the database" if stats.counts_from == "server" else "counted by a scan"
        parts = [
            f"<b>{scope}</b>: {counts.total:,} items ({kinds}; {where}), "
            f"{_size(stats.bytes)} stored",
        ]
        if stats.near_limit:
            parts.append(
                f"<span style='color:#d0463b'>{stats.near_limit:,} near or over the "
                "Cosmos DB 2 MB item limit</span>"
            )
        if stats.request_charge:
            charges = stats.request_charge.items()
            parts.append(
                "request units: " + ", ".join(f"{k.replace('_', ' ')} {v:,.1f}" for k, v in charges)
            )
        if not stats.complete:
            parts.append(f"<b>incomplete</b>: {stats.note}")
        parts.append(f"scanned in {stats.elapsed:.2f} s")
        self.summary.setText(" · ".join(parts))
        channels_chart(self.channels, stats, lambda kind, channel: self._group(channel, kind))
        size_chart(self.sizes, stats, lambda _set, label: self.offer(f"size:{label}"))
        age_chart(self.ages, stats, lambda _set, label: self.offer(f"age:{label}"))
        dialogs_chart(self.dialogs, stats, lambda _set, ident: self.offer(f"dialog:{ident}"))
        self.largest.clear()
        for entry in stats.largest_items():
            item = QListWidgetItem(f"{_size(entry['bytes']):>10}  {entry['key']}")
            item.setData(Qt.ItemDataRole.UserRole, entry["key"])
            item.setToolTip(entry["key"])
            self.largest.addItem(item)

    def _group(self, channel: str, kind: str) -> None:
        self.group_requested.emit(channel, kind)

    def keys_for(self, sample: str) -> list[str]:
        """The keys kept for a bar (``size:LABEL``, ``age:LABEL``, ``dialog:ID``)."""
        return list(self.stats.samples.get(sample, [])) if self.stats else []

    def offer(self, sample: str) -> QMenu | None:
        """A menu of the keys behind a bar, at the mouse; choosing one opens it."""
        keys = self.keys_for(sample)
        if not keys:
            return None
        menu = QMenu(self)
        name = sample.partition(":")[2]
        header = menu.addAction(f"{name} — first {len(keys)} items found")
        header.setEnabled(False)
        for key in keys:
            action = menu.addAction(key)
            action.triggered.connect(lambda _c=False, k=key: self.key_requested.emit(k))
        self.menu = menu
        menu.popup(QCursor.pos())
        return menu

    def _largest_chosen(self, item: QListWidgetItem) -> None:
        key = item.data(Qt.ItemDataRole.UserRole)
        if isinstance(key, str):
            self.key_requested.emit(key)

    def apply_theme(self) -> None:
        for box in self.charts:
            box.apply_theme()


class InsightsDialog(QDialog):
    """A non-modal window with the Insights page of one store or subtree."""

    def __init__(self, runner: TaskRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("insightsDialog")
        self.runner = runner
        self.page = InsightsPage(self)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(self.page)
        self.resize(1180, 720)
        self.handle: TaskHandle | None = None
        self.finished.connect(lambda _r: self.handle.cancel() if self.handle else None)

    def start(self, store: Storage, prefix: str, scope: str) -> TaskHandle:
        """Scan ``prefix`` of ``store`` (progress and cancel in the status bar)."""
        self.setWindowTitle(f"Insights — {scope}")
        if self.handle is not None:
            self.handle.cancel()

        async def work(handle: TaskHandle) -> StoreStats:
            def progress(scanned: int, expected: int | None) -> None:
                handle.report(scanned, expected, f"Insights of {scope}: scanned")
                self.page.show_progress(scanned, expected)

            return await collect_stats(store, prefix, on_progress=progress)

        def done(stats: Any) -> None:
            if isinstance(stats, StoreStats):
                self.page.show_stats(stats, scope)

        self.handle = self.runner.start(f"Insights of {scope}", work, on_result=done)
        return self.handle

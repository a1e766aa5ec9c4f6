"""``CompareDialog``: two connections, or a connection and an export file, compared.

A view over ``workspace.compare``: A is an open connection; B another open
connection or an export file. Compare lists the keys that differ (``+`` only in
B, ``-`` only in A, ``~`` changed, with the changed property paths); selecting
one shows both documents in the existing side-by-side ``DiffView`` (masked in
redaction mode). "Copy A → B" / "Copy B → A" copy the selected item to the
other side through ``workspace.copying`` (the target's own form, backed up and
audited; replacing an existing item asks first); a side that is an export file
or read-only cannot be written to. Work runs through the window's
``TaskRunner``; ``run`` and ``copy_selected`` can be awaited directly.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QFileDialog,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMessageBox,
    QPushButton,
    QSplitter,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from explorer.core.errors import StorageError
from explorer.storage.base import Storage
from explorer.ui.detail.redaction import Redaction
from explorer.ui.dialogs.diff import DiffView
from explorer.ui.tasks import TaskHandle, TaskRunner
from explorer.workspace.compare import Difference, ExportSide, Side, StoreSide, compare
from explorer.workspace.copying import copy_item, plan_copy
from explorer.workspace.safe_write import SafeWriter

_MARKS = {"added": "+", "removed": "-", "changed": "~"}


@dataclass(frozen=True)
class Target:
    """An open store the user can pick: its name and the store."""

    name: str
    store: Storage


def _pretty(side: Side, item: Any, redaction: Redaction | None, store: Storage | None) -> str:
    if item is None:
        return ""
    try:
        document = side.document(item)
    except StorageError:
        return item.body.decode("utf-8", "replace")  # type: ignore[no-any-return]
    if redaction is not None:
        document = redaction.view_document(store, item.key, document)
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


class CompareDialog(QDialog):
    """Pick A and B, compare, look at each difference, copy one across."""

    def __init__(
        self,
        targets: Sequence[Target],
        runner: TaskRunner,
        writer_for: Callable[[Storage], SafeWriter],
        *,
        redaction: Redaction | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.targets = list(targets)
        self.runner, self.writer_for, self.redaction = runner, writer_for, redaction
        self.side_a: Side | None = None
        self.side_b: Side | None = None
        self.differences: list[Difference] = []
        self.export_path: str | None = None
        self.setWindowTitle("Compare")
        self.resize(1200, 700)

        self.a_box = QComboBox()
        self.b_box = QComboBox()
        for target in self.targets:
            self.a_box.addItem(target.name)
            self.b_box.addItem(target.name)
        if len(self.targets) > 1:
            self.b_box.setCurrentIndex(1)
        self.file_button = QPushButton("Export &file…")
        self.file_button.setToolTip("Compare A with an export file instead of a connection")
        self.file_button.clicked.connect(self._pick_file)
        self.compare_button = QPushButton("&Compare")
        self.compare_button.setDefault(True)
        self.compare_button.clicked.connect(lambda: self.start())
        self.summary = QLabel("Pick two connections, or a connection and an export file.")
        self.summary.setWordWrap(True)
        self.list = QTreeWidget()
        self.list.setObjectName("differences")
        self.list.setHeaderLabels(["", "Key", "Changed properties"])
        self.list.setRootIsDecorated(False)
        self.list.setUniformRowHeights(True)
        header = self.list.header()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Interactive)
        header.resizeSection(2, 140)
        self.list.currentItemChanged.connect(lambda *_: self._show_current())
        self.diff = DiffView()
        self.copy_ab = QPushButton("Copy A → &B")
        self.copy_ba = QPushButton("Copy B → &A")
        for button, direction in ((self.copy_ab, "ab"), (self.copy_ba, "ba")):
            button.setToolTip("Copy the selected item to the other side (backed up, audited)")
            button.clicked.connect(lambda _=False, d=direction: self._copy_clicked(d))
        close = QPushButton("Close")
        close.clicked.connect(self.reject)

        pick = QGridLayout()
        label_a, label_b = QLabel("&A:"), QLabel("&B:")
        label_a.setBuddy(self.a_box)
        label_b.setBuddy(self.b_box)
        pick.addWidget(label_a, 0, 0)
        pick.addWidget(self.a_box, 0, 1)
        pick.addWidget(label_b, 1, 0)
        pick.addWidget(self.b_box, 1, 1)
        pick.addWidget(self.file_button, 1, 2)
        pick.addWidget(self.compare_button, 0, 2)
        pick.setColumnStretch(1, 1)
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(self.list)
        splitter.addWidget(self.diff)
        splitter.setSizes([420, 780])
        buttons = QHBoxLayout()
        buttons.addWidget(self.copy_ba)
        buttons.addWidget(self.copy_ab)
        buttons.addStretch()
        buttons.addWidget(close)
        layout = QVBoxLayout(self)
        layout.addLayout(pick)
        layout.addWidget(self.summary)
        layout.addWidget(splitter, 1)
        layout.addLayout(buttons)
        self._update_buttons()

    # -- choosing ----------------------------------------------------------------------

    def _pick_file(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, "Compare with an export file", "", "JSON lines (*.jsonl);;All files (*)"
        )
        if path:
            self.use_export_file(path)

    def use_export_file(self, path: str) -> None:
        """B becomes the export file at ``path``."""
        self.export_path = path
        label = f"export file: {path}"
        if self.b_box.findText(label) < 0:
            self.b_box.addItem(label)
        self.b_box.setCurrentIndex(self.b_box.findText(label))

    def _chosen(self, box: QComboBox) -> Target | str:
        index = box.currentIndex()
        if index < len(self.targets):
            return self.targets[index]
        return box.currentText().removeprefix("export file: ")

    # -- comparing -----------------------------------------------------------------------

    async def run(self, handle: TaskHandle | None = None) -> list[Difference]:
        """Compare the chosen A and B; returns (and lists) the differences."""
        a, b = self._chosen(self.a_box), self._chosen(self.b_box)
        if not isinstance(a, Target):
            raise StorageError("A is a connection; pick one (B may be an export file)")
        self.side_a = StoreSide(a.store, a.name)
        if isinstance(b, Target):
            self.side_b = StoreSide(b.store, b.name)
        else:
            self.side_b = await asyncio.to_thread(ExportSide, b)

        def progress(done: int, total: int) -> None:
            if handle is not None:
                handle.report(done, total, f"Comparing {a.name}")

        found = [d async for d in compare(self.side_a, self.side_b, on_progress=progress)]
        self.differences = found
        self._fill()
        b_name = b.name if isinstance(b, Target) else b
        self.summary.setText(
            f"{len(found)} key{'s' * (len(found) != 1)} differ{'s' * (len(found) == 1)} "
            f"between A ({a.name}) and B ({b_name})"
            if found
            else f"A ({a.name}) and B ({b_name}) hold the same state"
        )
        return found

    def start(self) -> TaskHandle:
        return self.runner.start("Comparing", self.run, cancellable=True)

    def _fill(self) -> None:
        self.list.clear()
        for difference in self.differences:
            row = QTreeWidgetItem(
                [_MARKS[difference.change], difference.key, ", ".join(difference.paths)]
            )
            row.setToolTip(1, difference.key)
            self.list.addTopLevelItem(row)
        first = self.list.topLevelItem(0)
        if first is not None:
            self.list.setCurrentItem(first)
        self._update_buttons()

    def current(self) -> Difference | None:
        row = self.list.currentItem()
        if row is None:
            return None
        index = self.list.indexOfTopLevelItem(row)
        return self.differences[index] if 0 <= index < len(self.differences) else None

    def _store_of(self, side: Side | None) -> Storage | None:
        return side.store if isinstance(side, StoreSide) else None

    def _show_current(self) -> None:
        self._update_buttons()
        difference = self.current()
        if difference is None or self.side_a is None or self.side_b is None:
            self.diff.set_texts("", "")
            return
        a, b = self.side_a, self.side_b

        async def work(_handle: Any) -> tuple[str, str]:
            (items_a, items_b) = await asyncio.gather(
                a.items([difference.key]), b.items([difference.key])
            )
            left = _pretty(a, items_a.get(difference.key), self.redaction, self._store_of(a))
            right = _pretty(b, items_b.get(difference.key), self.redaction, self._store_of(b))
            return left, right

        def done(texts: tuple[str, str]) -> None:
            if self.current() is difference:
                self.diff.set_texts(*texts, titles=(f"A: {a.label}", f"B: {b.label}"))

        self.runner.start(f"Showing {difference.key}", work, on_result=done)

    def _writable(self, side: Side | None) -> bool:
        store = self._store_of(side)
        return store is not None and not store.read_only

    def _update_buttons(self) -> None:
        difference = self.current()
        has_a = difference is not None and difference.change != "added"
        has_b = difference is not None and difference.change != "removed"
        self.copy_ab.setEnabled(has_a and self._writable(self.side_b))
        self.copy_ba.setEnabled(has_b and self._writable(self.side_a))

    # -- copying -------------------------------------------------------------------------

    async def copy_selected(self, direction: str) -> None:
        """Copy the selected item A → B (``"ab"``) or B → A (``"ba"``), replacing it there."""
        difference = self.current()
        source_side, target_side = (
            (self.side_a, self.side_b) if direction == "ab" else (self.side_b, self.side_a)
        )
        source, target = self._store_of(source_side), self._store_of(target_side)
        if difference is None or source is None or target is None:
            return
        plan = await plan_copy(
            source, difference.key, target, difference.key, same_store=False, restyle=False
        )
        await copy_item(self.writer_for(target), target, plan, overwrite=True)
        await self.run()

    def _copy_clicked(self, direction: str) -> None:
        difference = self.current()
        if difference is None:
            return
        replaces = difference.change == "changed"
        if replaces:
            side = "B" if direction == "ab" else "A"
            answer = QMessageBox.question(
                self,
                "Replace the other side",
                f"Replace {difference.key} in {side} with this side's version? The version "
                "replaced is backed up first.",
            )
            if answer != QMessageBox.StandardButton.Yes:
                return

        async def work(_handle: Any) -> None:
            await self.copy_selected(direction)

        self.runner.start(f"Copying {difference.key}", work)

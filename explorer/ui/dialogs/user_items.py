"""``UserItemsDialog``: everything a store holds about one user.

A view over ``workspace.user_lookup``: the items that hold the user's state
(user state in every channel and agent scope, private state in every
conversation). "Also search conversations for this user's private state" lists
every conversation key; its default comes from what the window knows of the
store's size (``workspace.private_scan``: on for a small store, off for a big
one), and when it is off the user keys are only read directly and the result
says that private state was not searched (the command line's
``--skip-private``); toggling it looks again. "Also search values" (a full
scan, cancellable from the status bar) adds the items whose values mention the
id, marked as value matches. Buttons: Show in tree (also a double-click or
Enter on a row), Export… (exactly the key matches, in the export format) and
Forget… (the key matches, reviewed in the Review & save dialog; disabled while
the store is read-only, e.g. production not unlocked). The dialog does its I/O
through the window's ``TaskRunner``; ``load``, ``search_values`` and
``export_to`` can also be awaited directly.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from explorer.storage.base import Storage
from explorer.ui.detail import style
from explorer.ui.tasks import TaskHandle, TaskRunner
from explorer.workspace.export_lines import write_export
from explorer.workspace.private_scan import PrivateScanChoice
from explorer.workspace.user_lookup import UserItem, UserLookup, find_in_values, find_user

_COLUMNS = ("Kind", "Key", "Match", "Channel", "Conversation")


class UserItemsDialog(QDialog):
    """The items of ``user_id`` in one store. ``on_show(key)`` selects a key in the tree;
    ``on_forget(items)`` starts the forget review for the key matches."""

    def __init__(
        self,
        user_id: str,
        store: Storage,
        store_name: str,
        runner: TaskRunner,
        *,
        source: str,
        on_show: Callable[[str], None],
        on_forget: Callable[[list[UserItem]], None],
        private: PrivateScanChoice | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.user_id, self.store, self.store_name = user_id, store, store_name
        self.runner, self.source = runner, source
        self.on_show, self.on_forget = on_show, on_forget
        self.items: list[UserItem] = []
        self.values: list[UserItem] = []
        #: the last lookup shown (what it found and what it cost)
        self.lookup: UserLookup | None = None
        self._values_task: TaskHandle | None = None
        self._load_task: TaskHandle | None = None
        self.setWindowTitle(f"Everything about {user_id}")
        self.resize(980, 520)

        self.heading = QLabel()
        font = self.heading.font()
        font.setBold(True)
        font.setPointSizeF(font.pointSizeF() * 1.1)
        self.heading.setFont(font)
        self.heading.setTextFormat(Qt.TextFormat.PlainText)
        self.cost = QLabel("Looking…")
        self.cost.setWordWrap(True)
        self.cost.setTextFormat(Qt.TextFormat.PlainText)
        self.table = QTreeWidget()
        self.table.setObjectName("userItems")
        self.table.setColumnCount(len(_COLUMNS))
        self.table.setHeaderLabels(list(_COLUMNS))
        self.table.setRootIsDecorated(False)
        self.table.setUniformRowHeights(True)
        self.table.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        header = self.table.header()
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        header.setStretchLastSection(False)
        self.table.itemActivated.connect(lambda *_: self._show_current())
        self.table.currentItemChanged.connect(lambda *_: self._update_buttons())
        self.private_box = QCheckBox(
            "Also search &conversations for this user's private state "
            "(lists every conversation key)"
        )
        self.private_box.setObjectName("searchPrivate")
        self.private_box.setChecked(private is None or private.default)
        if private is not None:
            self.private_box.setToolTip(
                f"{private.cost}\n\n{'On' if private.default else 'Off'} by default here: "
                f"{private.reason}."
            )
        self.private_box.toggled.connect(self._private_toggled)
        self.values_box = QCheckBox("Also search &values (reads every item: a full scan)")
        self.values_box.toggled.connect(self._values_toggled)
        self.show_button = QPushButton("&Show in tree")
        self.show_button.clicked.connect(self._show_current)
        self.export_button = QPushButton("&Export…")
        self.export_button.clicked.connect(self._export_clicked)
        self.forget_button = QPushButton("&Forget…")
        self.forget_button.clicked.connect(lambda: self.on_forget(list(self.items)))
        close = QPushButton("Close")
        close.clicked.connect(self.reject)

        buttons = QHBoxLayout()
        buttons.addWidget(self.values_box)
        buttons.addStretch()
        buttons.addWidget(self.show_button)
        buttons.addWidget(self.export_button)
        buttons.addWidget(self.forget_button)
        buttons.addWidget(close)
        layout = QVBoxLayout(self)
        layout.addWidget(self.heading)
        layout.addWidget(self.cost)
        layout.addWidget(self.private_box)
        layout.addWidget(self.table, 1)
        layout.addLayout(buttons)
        self.rejected.connect(self._cancel_values)
        self.rejected.connect(self._cancel_load)
        self._fill()

    # -- content ---------------------------------------------------------------------

    def _fill(self) -> None:
        self.table.clear()
        danger = style.danger()
        for item in [*self.items, *self.values]:
            row = QTreeWidgetItem(
                [
                    item.kind,
                    item.key,
                    "value" if item.match == "value" else "key",
                    item.channel or "",
                    item.conversation or "",
                ]
            )
            row.setData(0, Qt.ItemDataRole.UserRole, item.key)
            row.setToolTip(1, item.key)
            if item.match == "value":
                row.setToolTip(2, "mentions the id in its values; never forgotten with the user")
                row.setForeground(2, danger)
            self.table.addTopLevelItem(row)
        for column in (0, 2, 3):  # kind, match, channel: short, shown whole
            self.table.resizeColumnToContents(column)
        count = len(self.items)
        extra = f" and {len(self.values)} value matches" if self.values else ""
        if self.lookup is not None and not self.lookup.private:
            extra += " (private conversation state not searched)"
        self.heading.setText(
            f"{self.user_id} in {self.store_name}: {count} item{'s' * (count != 1)}{extra}"
        )
        first = self.table.topLevelItem(0)
        if first is not None and self.table.currentItem() is None:
            self.table.setCurrentItem(first)
        self._update_buttons()

    def _update_buttons(self) -> None:
        has = bool(self.items)
        self.export_button.setEnabled(has)
        self.show_button.setEnabled(self.table.currentItem() is not None)
        writable = not self.store.read_only
        self.forget_button.setEnabled(has and writable)
        tip = (
            "Delete these items (reviewed first; one operation you can revert)"
            if writable
            else "The store is read-only: allow writes (State menu) first"
        )
        if self.lookup is not None and not self.lookup.private:
            tip += "\nPrivate conversation state was not searched: it is not forgotten"
        self.forget_button.setToolTip(tip)

    @property
    def keys(self) -> list[str]:
        """The key matches shown."""
        return [item.key for item in self.items]

    def current_key(self) -> str | None:
        row = self.table.currentItem()
        return None if row is None else str(row.data(0, Qt.ItemDataRole.UserRole))

    def _show_current(self) -> None:
        key = self.current_key()
        if key is not None:
            self.on_show(key)

    # -- work --------------------------------------------------------------------------

    @property
    def search_private(self) -> bool:
        """Whether the lookup lists conversations for private state (the check box)."""
        return self.private_box.isChecked()

    async def load(self, handle: TaskHandle | None = None) -> None:
        """Find the user's items (key matches) and show them; conversations are
        searched for private state only when ``search_private``."""

        def progress(listed: int) -> None:
            if handle is not None:
                handle.report(listed, None, f"Finding {self.user_id}: listed {listed:,} keys")

        private = self.search_private
        lookup = await find_user(self.store, self.user_id, on_progress=progress, private=private)
        self.lookup = lookup
        self.items = list(lookup.items)
        found = set(self.keys)  # a value match that is now a key match shows once
        self.values = [item for item in self.values if item.key not in found]
        text = f"Found by key: {lookup.describe_cost()}."
        if not lookup.private:
            text += " Tick the box below to search every conversation for it."
        self.cost.setText(text)
        self._fill()

    def start_load(self) -> TaskHandle:
        self._cancel_load()
        self.cost.setText("Looking…")
        self._load_task = self.runner.start(f"Finding {self.user_id}", self.load, cancellable=True)
        return self._load_task

    def _cancel_load(self) -> None:
        if self._load_task is not None:
            self._load_task.cancel()
            self._load_task = None

    def _private_toggled(self, _checked: bool) -> None:
        """Look again, with or without the conversations (value matches stay)."""
        self.start_load()

    async def search_values(self, handle: TaskHandle | None = None) -> None:
        """Add the items whose values mention the id (a full scan)."""

        def progress(done: int, total: int) -> None:
            if handle is not None:
                handle.report(done, total, f"Searching values for {self.user_id}")

        skip = {item.key for item in self.items}
        self.values = await find_in_values(self.store, self.user_id, skip=skip,
                                           on_progress=progress)  # fmt: skip
        self._fill()
        found = len(self.values)
        self.cost.setText(
            f"{self.cost.text()} Values searched: {found} other item{'s' * (found != 1)} "
            "mention the id (shown as value matches; never forgotten)."
        )

    def _values_toggled(self, checked: bool) -> None:
        if checked:
            self._values_task = self.runner.start(
                f"Searching values for {self.user_id}", self.search_values, cancellable=True
            )
        else:
            self._cancel_values()
            self.values = []
            self._fill()

    def _cancel_values(self) -> None:
        if self._values_task is not None:
            self._values_task.cancel()
            self._values_task = None

    async def export_to(self, path: str) -> int:
        """Write the key matches (never value matches) to ``path`` in the export format."""
        return await write_export(self.store, [i.key for i in self.items], path, self.source)

    def _export_clicked(self) -> None:
        safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in self.user_id)
        path, _ = QFileDialog.getSaveFileName(
            self, "Export this user's items", f"{safe}.jsonl", "JSON lines (*.jsonl)"
        )
        if path:

            async def work(_handle: Any) -> int:
                return await self.export_to(path)

            self.runner.start(
                f"Exporting {self.user_id}",
                work,
                on_result=lambda n: self.cost.setText(f"Exported {n} items to {path}."),
            )

"""The tree's filter: ids as you type, or values on Enter (``TreeFilter``).

The proxy (``StateFilterModel``) is attached to the tree model only while a
filter is on, and the tree model then shows every row (no paging), so a
filter sees the whole listing. Clearing the filter puts the tree model back
in the view, connections expanded and the current row revealed. A value
search reads every state of the current connection through
``explorer.state.search`` as one cancellable task; on a store that charges
request units it first says what it will read and asks.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QModelIndex, QObject, QTimer
from PySide6.QtWidgets import QMessageBox

from explorer.state.tree import LoadState, Node
from explorer.ui.models import roles

if TYPE_CHECKING:
    from explorer.ui.connections import Connection
    from explorer.ui.main_window import MainWindow


class TreeFilter(QObject):
    """Owns the filter box's behaviour for one window."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.toolbar = window.toolbar
        self.proxy = window.filter_model
        self.running: Any = None
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.setInterval(200)
        self.timer.timeout.connect(self.apply)
        self.toolbar.filter_edit.textChanged.connect(self._text_changed)
        self.toolbar.filter_edit.returnPressed.connect(self._entered)
        self.toolbar.values_button.toggled.connect(lambda _on: self.timer.start())

    def clear(self) -> None:
        self.toolbar.filter_edit.clear()
        self.apply()

    def _text_changed(self, _text: str) -> None:
        if not self.toolbar.values_button.isChecked() or not _text.strip():
            self.timer.start()

    def _entered(self) -> None:
        if self.toolbar.values_button.isChecked():
            self.search_values(self.toolbar.filter_edit.text().strip())

    def show_filtered(self) -> None:
        if self.proxy.sourceModel() is not self.window.model:
            self.window.model.set_paging(False)  # the filter looks at every row
            self.proxy.setSourceModel(self.window.model)
        if self.window.view.model() is not self.proxy:
            self.window.set_view_model(self.proxy)

    def search_values(self, text: str) -> None:
        """Show the states of the current connection whose values contain ``text``."""
        conn = self.window.current_connection()
        if not text or conn is None:
            return
        if self.running is not None:
            self.running.cancel()
        self.proxy.set_keys(())
        self.show_filtered()
        self.running = self.window.runner.start(
            f"Searching values for {text!r}", lambda handle: self._search_values(conn, text, handle)
        )

    async def _search_values(self, conn: Connection, text: str, handle: Any) -> None:
        from explorer.state.search import estimate_cost, search_values
        from explorer.storage.base import Capability
        from explorer.ui.dialogs.modal import run_dialog

        entries = [n.entry for n in conn.node.by_key.values() if n.entry is not None]
        if conn.node.prefix is not None or conn.node.load_state is not LoadState.LOADED:
            handle.report(0, None, "Listing keys to search")
            entries = [e async for e in conn.store.iter_entries("")]
        cost = estimate_cost(conn.store, entries)
        if Capability.REQUEST_CHARGE in conn.store.capabilities:
            box = QMessageBox(
                QMessageBox.Icon.Question,
                "Search in values",
                f"Searching {conn.profile.name} {cost.describe()}. Continue?",
                QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
                self.window,
            )
            await run_dialog(box)
            if box.clickedButton() is not box.button(QMessageBox.StandardButton.Yes):
                return
        found: list[str] = []

        def matched(keys: list[str]) -> None:
            found.extend(keys)
            self.proxy.add_keys(keys)
            if self.proxy.rowCount() and len(found) < 500:
                self.window.view.expandAll()

        handle.report(0, cost.items, f"Searching values for {text!r}:")
        await search_values(
            conn.store,
            text,
            [e.key for e in entries if e.error is None],
            on_match=matched,
            on_progress=lambda done, total: handle.report(done, total),
        )
        self.window.status.showMessage(
            f"{len(found):,} of {cost.items:,} states contain {text!r} in their values", 15000
        )

    def apply(self) -> None:
        if self.toolbar.values_button.isChecked() and self.toolbar.filter_edit.text().strip():
            return  # value search starts on Enter
        if self.running is not None:
            self.running.cancel()
            self.running = None
        text = self.toolbar.filter_edit.text().strip()
        current = self.window.current_node()
        if not text:
            if self.window.view.model() is not self.window.model:
                self.proxy.setSourceModel(None)  # type: ignore[arg-type]
                self.window.model.set_paging(True)
                self.window.set_view_model(self.window.model)
                for row in range(self.window.model.rowCount()):
                    self.window.view.expand(self.window.model.index(row, 0))
            if current is not None:
                self.window.select_node(current)
            return
        self.proxy.set_needle(text)
        self.show_filtered()
        rows, states = _count_rows(self.proxy, 2000)
        if rows < 2000:
            self.window.view.expandAll()
        more = "+" if rows >= 2000 else ""
        noun = "state" if states == 1 and not more else "states"
        self.window.status.showMessage(f"Filter {text!r}: {states:,}{more} matching {noun}", 8000)


def _count_rows(model: Any, limit: int, parent: QModelIndex | None = None) -> tuple[int, int]:
    """(rows, state rows) below ``parent``, counting stops near ``limit`` rows."""
    parent = parent or QModelIndex()
    rows = states = 0
    for row in range(model.rowCount(parent)):
        index = model.index(row, 0, parent)
        node = index.data(roles.NODE_ROLE)
        below_rows, below_states = _count_rows(model, limit - rows, index)
        rows += 1 + below_rows
        states += below_states + (1 if isinstance(node, Node) and node.is_state else 0)
        if rows >= limit:
            break
    return rows, states

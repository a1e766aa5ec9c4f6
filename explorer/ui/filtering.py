"""The tree's filter: ids as you type, or values on Enter (``TreeFilter``).

Results go into a second, small ``StateTree`` shown through its own
``StateTreeModel`` (``results_model``), with one top-level node per open
connection. Matching is the workspace's (``explorer.workspace.search``): the
id filter looks over the listed keys in Python (a 100,000-key tree in tens
of milliseconds), so the view never filters the big model row by row; the
first ``MAX_RESULTS`` matches are shown and the status bar says when there
are more. Clearing the filter puts the main model back in the view,
connections expanded and the current row revealed.

On a connection opened as a window over a big store (``paged``) the listed
keys are a few pages of millions, so there the filter asks the store instead
(``explorer.workspace.id_prefix``): ids and keys that *start with* the text,
a few prefix pages per text (debounced, in the background, cancelled by the
next keystroke), whatever the store's size. What it finds is placed in the
main tree as Go to places keys, and shown in the results. A substring would
need a full scan: that is the value search, said in the tooltip and status.

A value search (``plan_value_search`` / ``ValueSearch.run``) reads every
state of the current connection as one cancellable task and adds matches to
the results as they are found; on a store that charges request units it
first says what it will read and asks. This module only shows it.

The window is reached through the narrow ``FilterHost`` protocol (this module
does not import the window).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from PySide6.QtCore import QObject, QTimer
from PySide6.QtWidgets import QMessageBox, QStatusBar, QTreeView, QWidget

from explorer.core.items import Entry
from explorer.ui.connections import Connection, ConnectionManager
from explorer.ui.dialogs.modal import run_dialog
from explorer.ui.models.state_tree_model import StateTreeModel
from explorer.ui.tasks import TaskHandle, TaskRunner
from explorer.ui.window_parts import Toolbar
from explorer.workspace.id_prefix import PrefixMatches, find_by_prefix
from explorer.workspace.search import match_ids, plan_value_search
from explorer.workspace.tree import ConnectionNode, LoadState, Node, StateTree
from explorer.workspace.tree_paged import discover_channels

#: matches shown at most (the status bar says when there are more)
MAX_RESULTS = 5000
#: results expanded automatically up to this many
EXPAND_RESULTS = 300


#: what the status adds on a big store, where the filter matches prefixes only
_STARTS_WITH = (
    " (a big store is asked for ids and keys that start with {text!r}, case-sensitive;"
    " to find it anywhere, tick 'in values' and press Enter: a full scan)"
)


def _summary(text: str, found: int, more: int) -> str:
    noun = "state" if found == 1 else "states"
    extra_text = f" (first {found:,} of {found + more:,} shown)" if more else ""
    return f"Filter {text!r}: {found:,} matching {noun}{extra_text}"


class FilterHost(Protocol):
    """What the filter needs of its window (``MainWindow`` is one)."""

    @property
    def view(self) -> QTreeView: ...

    @property
    def model(self) -> StateTreeModel: ...

    @property
    def manager(self) -> ConnectionManager: ...

    @property
    def runner(self) -> TaskRunner: ...

    @property
    def status(self) -> QStatusBar: ...

    def current_node(self) -> Node | None: ...

    def current_connection(self) -> Connection | None: ...

    def main_node(self, node: Node) -> Node | None: ...

    def select_node(self, node: Node) -> None: ...

    def set_view_model(self, model: StateTreeModel) -> None: ...


class TreeFilter(QObject):
    """Owns the filter box's behaviour and the results tree of one window.

    ``parent`` is also the parent of the value search's question box.
    """

    def __init__(
        self,
        window: FilterHost,
        toolbar: Toolbar,
        is_dirty: Callable[[str], bool],
        *,
        parent: QWidget,
    ) -> None:
        super().__init__(parent)
        self.window = window
        self.toolbar = toolbar
        self._dialog_parent = parent
        self.results = StateTree()
        self.results_model = StateTreeModel(self.results, is_dirty=is_dirty, parent=self)
        #: the value search running, if any
        self.running: TaskHandle | None = None
        #: the id filter asking big stores, if it runs
        self.filtering: TaskHandle | None = None
        self._last_text = ""
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.setInterval(200)
        self.timer.timeout.connect(self.apply)
        self.toolbar.filter_edit.textChanged.connect(self._text_changed)
        self.toolbar.filter_edit.returnPressed.connect(self._entered)
        self.toolbar.values_button.toggled.connect(lambda _on: self.timer.start())

    @property
    def active(self) -> bool:
        return self.window.view.model() is self.results_model

    def clear(self) -> None:
        self.toolbar.filter_edit.clear()
        self.apply()

    def _text_changed(self, text: str) -> None:
        last, self._last_text = self._last_text, text
        shorter, longer = sorted((last, text), key=len)
        typed = len(longer) == len(shorter) + 1 and longer.startswith(shorter)
        if self.toolbar.values_button.isChecked() and text.strip():
            return
        if not typed:  # a paste (not one key typed or erased): no wait for the next key
            self.timer.stop()
            self.apply()
        else:
            self.timer.start()

    def _entered(self) -> None:
        if self.toolbar.values_button.isChecked():
            self.search_values(self.toolbar.filter_edit.text().strip())

    def _reset_results(self) -> dict[int, ConnectionNode]:
        """Empty results with one node per open connection (by id of the main node)."""
        for old in list(self.results.root.children):
            assert isinstance(old, ConnectionNode)
            self.results.remove_connection(old)
        mapping: dict[int, ConnectionNode] = {}
        for conn in self.window.manager.connections:
            node = self.results.add_connection(
                conn.node.label, conn.store, environment=conn.node.environment
            )
            node.load_state = LoadState.LOADED
            mapping[id(conn.node)] = node
        if not self.active:
            self.window.set_view_model(self.results_model)
        return mapping

    def apply(self) -> None:
        if self.toolbar.values_button.isChecked() and self.toolbar.filter_edit.text().strip():
            return  # value search starts on Enter
        self._supersede()
        text = self.toolbar.filter_edit.text().strip()
        current = self.window.current_node()
        if not text:
            if self.active:
                self.window.set_view_model(self.window.model)
                for conn in self.window.manager.connections:
                    self.window.view.expand(self.window.model.index_of(conn.node))
                main = self.window.main_node(current) if current is not None else None
                if main is not None:
                    self.window.select_node(main)
            return
        mapping = self._reset_results()
        found = more = 0
        big: list[Connection] = []
        for conn in self.window.manager.connections:
            if conn.node.paged:
                big.append(conn)  # a window over a big store: asked of the store below
                continue
            matches, extra = match_ids(conn.node, text, MAX_RESULTS - found)
            more += extra
            found += len(matches)
            self.results.add_entries(mapping[id(conn.node)], matches)
        if found <= EXPAND_RESULTS:
            self.window.view.expandAll()
        if big:
            self.filtering = self.window.runner.start(
                f"Filtering ids starting with {text!r}",
                lambda _handle: self._filter_big(big, mapping, text, found, more),
            )
            return
        self.window.status.showMessage(_summary(text, found, more), 8000)

    def _supersede(self) -> None:
        """Stop the running filter or value search: a new text replaces it."""
        if self.filtering is not None:
            self.filtering.shown = False  # typing on is no cancel to report
            self.filtering.cancel()
            self.filtering = None
        if self.running is not None:
            self.running.cancel()
            self.running = None

    async def _filter_big(
        self,
        connections: list[Connection],
        mapping: dict[int, ConnectionNode],
        text: str,
        found: int,
        more: int,
    ) -> None:
        """The id filter on connections over big stores: prefix pages of each store."""
        capped: list[str] = []
        for conn in connections:
            # the groups of channels not opened yet (found on expanding on Cosmos DB)
            await discover_channels(self.window.manager.tree, conn.node)
            matches: PrefixMatches = await find_by_prefix(conn.node, text)
            if not conn.node.attached:
                continue  # closed meanwhile
            entries = matches.entries[: max(0, MAX_RESULTS - found)]
            more += len(matches.entries) - len(entries)
            found += len(entries)
            # placed in the main tree as Go to places keys (selecting a result goes there)
            self.window.manager.tree.add_entries(conn.node, entries)
            self.results.add_entries(mapping[id(conn.node)], entries)
            capped += matches.capped
            if found <= EXPAND_RESULTS:
                self.window.view.expandAll()
        message = _summary(text, found, more)
        if capped:  # what was cut short first: the status bar shows the start of a line
            others = len(capped) - 1
            message += f"; more ids start with {capped[0]!r}" + (
                f" and {others} other prefix{'es' if others > 1 else ''}" if others else ""
            )
            message += ": type more of the id"
        message += _STARTS_WITH.format(text=text)
        self.window.status.showMessage(message, 15000)

    def search_values(self, text: str) -> None:
        """Show the states of the current connection whose values contain ``text``."""
        conn = self.window.current_connection()
        if not text or conn is None:
            return
        self._supersede()
        target = self._reset_results()[id(conn.node)]
        self.running = self.window.runner.start(
            f"Searching values for {text!r}",
            lambda handle: self._search_values(conn, target, text, handle),
        )

    async def _search_values(
        self, conn: Connection, target: ConnectionNode, text: str, handle: TaskHandle
    ) -> None:
        def listing() -> None:
            handle.report(0, None, "Listing keys to search")

        search = await plan_value_search(conn.store, conn.node, on_listing=listing)
        cost = search.cost
        if search.asks_first:
            box = QMessageBox(
                QMessageBox.Icon.Question,
                "Search in values",
                f"Searching {conn.profile.name} {cost.describe()}. Continue?",
                QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
                self._dialog_parent,
            )
            await run_dialog(box)
            if box.clickedButton() is not box.button(QMessageBox.StandardButton.Yes):
                return
        found: list[Entry] = []

        def matched(entries: list[Entry]) -> None:
            found.extend(entries)
            self.results.add_entries(target, entries)
            if len(found) <= EXPAND_RESULTS:
                self.window.view.expandAll()

        handle.report(0, cost.items, f"Searching values for {text!r}:")
        await search.run(
            text, on_match=matched, on_progress=lambda done, total: handle.report(done, total)
        )
        self.window.status.showMessage(
            f"{len(found):,} of {cost.items:,} states contain {text!r} in their values", 15000
        )

"""Live watch and store insights in the window (views of ``workspace.watch`` / ``.stats``).

``WindowInsights(window)`` adds them to a ``MainWindow``:

- State → Watch this state (Ctrl+W, checkable): watches the shown state (a
  conversation with its private states) in the Watch dock (``WatchPanel``);
  the tree marks watched rows; watching stops when the state is closed or its
  store disconnected; a new version refreshes the row's size and time.
- View → Insights… (Ctrl+I): the Insights page (``InsightsDialog``) of the
  selected subtree (a channel, agent, Users or Conversations group) or of
  the whole connection; its bars and rows select the items in the tree.
  QtCharts is imported only then, so the window opens without it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMenu

from explorer.ui.insights.watch import WatchController, WatchPanel
from explorer.workspace.stats import subtree_prefix
from explorer.workspace.tree import ConnectionNode, Node
from explorer.workspace.watch import Version

if TYPE_CHECKING:
    from explorer.ui.insights.page import InsightsDialog
    from explorer.ui.main_window import MainWindow

__all__ = ["WatchController", "WatchPanel", "WindowInsights"]

WATCH_SHORTCUT = "Ctrl+W"
INSIGHTS_SHORTCUT = "Ctrl+I"


def _menu(window: MainWindow, name: str) -> QMenu | None:
    for action in window.menuBar().actions():
        if action.text().replace("&", "") == name and action.menu() is not None:
            menu = action.menu()
            return menu if isinstance(menu, QMenu) else None
    return None


class WindowInsights(QObject):
    """The watch controller, the Watch dock and the Insights window of one main window."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        pending = window.pending
        self.controller = WatchController(
            window.runner,
            lambda store, key: pending.edits.get(store, key) if pending is not None else None,
            parent=self,
        )
        self.panel = WatchPanel(self.controller, window)
        window.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, self.panel)
        self.panel.hide()
        self.watch_action = QAction("&Watch this state", window)
        self.watch_action.setCheckable(True)
        self.watch_action.setShortcut(QKeySequence(WATCH_SHORTCUT))
        self.watch_action.setToolTip(
            "Follow the shown state as the bot changes it (a conversation with its private "
            "states): a timeline of versions, pending edits kept"
        )
        self.watch_action.toggled.connect(self._toggled)
        self.insights_action = QAction("&Insights…", window)
        self.insights_action.setShortcut(QKeySequence(INSIGHTS_SHORTCUT))
        self.insights_action.setToolTip(
            "Counts, sizes, ages and active dialogs of the selected channel or group, "
            "or of the whole store (a full scan)"
        )
        self.insights_action.triggered.connect(self.open_insights)
        state_menu, view_menu = _menu(window, "State"), _menu(window, "View")
        if state_menu is not None:
            state_menu.addSeparator()
            state_menu.addAction(self.watch_action)
        if view_menu is not None:
            view_menu.addSeparator()
            view_menu.addAction(self.insights_action)
            view_menu.addAction(self.panel.toggleViewAction())
        self.dialog: InsightsDialog | None = None
        self.controller.changed.connect(self._sync)
        self.controller.version_seen.connect(self._version_seen)
        window.detail.item_changed.connect(self._item_changed)
        window.manager.changed.connect(self._connections_changed)

    # -- watch -------------------------------------------------------------------

    def _toggled(self, on: bool) -> None:
        if on == self.controller.watching:
            return
        if not on:
            self.controller.stop()
            return
        detail = self.window.detail
        store, key = detail.store, detail.key
        if store is None or key is None:
            self.window.status.show_error("Watch: select a state first")
            self.watch_action.setChecked(False)
            return
        self.controller.start(store, key)
        self.panel.show()

    def _sync(self) -> None:
        watching = self.controller.watching
        if self.watch_action.isChecked() != watching:
            self.watch_action.blockSignals(True)
            self.watch_action.setChecked(watching)
            self.watch_action.blockSignals(False)
        self.window.model.set_watched(self.controller.keys)

    def _item_changed(self, store: Any, key: Any) -> None:
        """Watching stops when the watched state is no longer the one shown."""
        controller = self.controller
        if controller.watching and (store is not controller.store or key != controller.key):
            controller.stop()

    def _connections_changed(self) -> None:
        stores = {c.store for c in self.window.manager.connections}
        if self.controller.watching and self.controller.store not in stores:
            self.controller.stop()

    def _version_seen(self, version: Version) -> None:
        """The tree row follows: its size and time (or its removal)."""
        conn = next(
            (c for c in self.window.manager.connections if c.store is self.controller.store),
            None,
        )
        if conn is None:
            return
        if version.item is not None:
            self.window.manager.tree.put_entry(conn.node, version.item.entry())

    # -- insights ----------------------------------------------------------------

    def open_insights(self) -> InsightsDialog | None:
        """The Insights window of the selected subtree (else the whole connection)."""
        window = self.window
        node = window.current_node()
        conn = window.current_connection()
        if conn is None:
            window.status.show_error("Insights: open a store first")
            return None
        scope = subtree_prefix(node) if node is not None and node.connection is conn.node else None
        prefix, below = scope or ("", "")
        name = f"{conn.profile.name} / {below}" if below else conn.profile.name
        if self.dialog is None:
            try:  # QtCharts (PySide6-Addons) is loaded only when Insights opens
                from explorer.ui.insights.page import InsightsDialog
            except ImportError as exc:
                window.status.show_error(
                    f"Insights needs QtCharts (the PySide6-Addons package): {exc}"
                )
                return None
            self.dialog = InsightsDialog(window.runner, window)
            self.dialog.page.key_requested.connect(self.go_to_key)
            self.dialog.page.group_requested.connect(self.go_to_group)
        self.dialog.start(conn.store, prefix, name)
        self.dialog.show()
        self.dialog.raise_()
        return self.dialog

    def _connection_node(self) -> ConnectionNode | None:
        conn = self.window.current_connection()
        return conn.node if conn is not None else None

    def go_to_key(self, key: str) -> None:
        conn = self._connection_node()
        node = conn.by_key.get(key) if conn is not None else None
        if node is not None:
            self.window.select_node(node)
            return
        self.window.toolbar.goto_edit.setText(key)
        self.window.go_to()

    def go_to_group(self, channel: str, kind: str) -> None:
        conn = self._connection_node()
        group: Node | None = conn.index.get(f"c:{channel}") if conn is not None else None
        if group is not None:
            group = group.index.get("\0users" if kind == "user" else "\0convs", group)
        if group is not None:
            self.window.select_node(group)
            self.window.view.expand(self.window.model.index_of(group))
            return
        self.window.toolbar.goto_edit.setText(channel)
        self.window.go_to()

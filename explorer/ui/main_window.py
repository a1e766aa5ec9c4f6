"""``MainWindow``: the state tree on the left, the selected state on the right.

Layout: menus (File, Edit, View, State, Help), a toolbar (Connect, Refresh,
Go to, Filter, Save (n), Discard), an environment band under the toolbar
(PROD red / TEST amber / DEV green, with read-only or "writes allowed"),
a splitter with the tree and the detail pane, and a status bar (errors,
task progress with cancel, pending edits, request charge, TLS, connection).

The window owns no I/O: it starts work through ``TaskRunner`` and the
``ConnectionManager``. The detail pane and the pending edits come from
outside (``app.py``), typed; the window only calls the pane's ``open_item`` /
``clear`` / ``delete_state`` and the pending edits' queries and actions.
The chrome (``window_parts``, ``menus``) and the filter (``filtering``) are
given what they need; none imports this module.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QByteArray, QModelIndex, QSettings, Qt, QTimer
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QMainWindow,
    QMessageBox,
    QSplitter,
    QStackedWidget,
    QTreeView,
    QVBoxLayout,
    QWidget,
)

from explorer.ui.connections import Connection, ConnectionManager
from explorer.ui.detail.pane import DetailPane
from explorer.ui.filtering import TreeFilter
from explorer.ui.insights import WindowInsights
from explorer.ui.menus import build_menus, show_about
from explorer.ui.models import roles
from explorer.ui.models.state_tree_model import StateTreeModel
from explorer.ui.paged_view import PagedView
from explorer.ui.pending import PendingEdits
from explorer.ui.tasks import TaskHandle, TaskRunner
from explorer.ui.window_parts import EmptyState, EnvironmentBand, StatusArea, Toolbar
from explorer.workspace.profiles import Profile
from explorer.workspace.session import EditSession
from explorer.workspace.tree import Node, NodeKind


class MainWindow(QMainWindow):
    """The explorer window; see the module docstring.

    ``pending``: the pending edits (default: the detail pane's);
    ``connect_dialog(window)`` opens the connection dialog; ``data_folder``:
    where backups and the audit log are kept (named in Help → About).
    """

    def __init__(
        self,
        manager: ConnectionManager,
        runner: TaskRunner,
        detail: DetailPane,
        *,
        pending: PendingEdits | None = None,
        settings: QSettings | None = None,
        connect_dialog: Callable[[MainWindow], None] | None = None,
        data_folder: str | None = None,
    ) -> None:
        super().__init__()
        self.manager, self.runner, self.detail = manager, runner, detail
        self.pending = pending if pending is not None else detail.pending
        self.settings = settings
        self.connect_dialog = connect_dialog
        self.data_folder = data_folder
        self.setObjectName("MainWindow")
        self.setWindowTitle("Bot State Explorer")
        self.model = StateTreeModel(
            manager.tree,
            is_dirty=self.pending.is_dirty,
            on_fetch=self._fetch,
            on_count=manager.count,
            on_fill=manager.fill,
            parent=self,
        )
        self._build()
        self.paged_view = PagedView(self.view, self.model, manager)
        manager.changed.connect(self._connections_changed)
        manager.tree.subscribe(_AutoExpand(self))
        runner.error.connect(self.status.show_error)
        runner.finished.connect(self._task_finished)
        self.pending.changed.connect(self._pending_changed)
        self.pending.saved.connect(self._saved)
        self._pending_changed()
        self._connections_changed()
        self.restore_layout()

    # -- construction ---------------------------------------------------------

    def _build(self) -> None:
        self.view = QTreeView()
        self.view.setObjectName("stateTree")
        self.view.setModel(self.model)
        self._selecting = False
        # the user scrolls (wheel, drag, arrows): paged groups held by a Go to read on
        self.view.verticalScrollBar().actionTriggered.connect(lambda _a: self.model.release_pages())
        self.view.setUniformRowHeights(True)
        self.view.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.view.setAlternatingRowColors(False)
        self.view.setContextMenuPolicy(Qt.ContextMenuPolicy.ActionsContextMenu)
        header = self.view.header()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Fixed)
        header.resizeSection(1, 72)
        for column, width in ((2, 64), (3, 92)):  # Size, Modified (from the listing)
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.Interactive)
            header.resizeSection(column, width)
        self.view.selectionModel().currentChanged.connect(self._current_changed)

        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.setObjectName("mainSplitter")
        self.left = QStackedWidget()
        self.left.addWidget(EmptyState(self.show_connect_dialog, self.open_demo, self))
        self.left.addWidget(self.view)
        self.splitter.addWidget(self.left)
        self.splitter.addWidget(self.detail)
        self.splitter.setStretchFactor(0, 0)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setSizes([520, 760])

        self.band = EnvironmentBand()
        central = QWidget()
        layout = QVBoxLayout(central)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.band)
        layout.addWidget(self.splitter, 1)
        self.setCentralWidget(central)

        self.toolbar = Toolbar(
            self,
            on_connect=self.show_connect_dialog,
            on_refresh=self.refresh,
            save_action=self.pending.save_action,
            discard_action=self.pending.discard_action,
        )
        self.addToolBar(self.toolbar)
        self.status = StatusArea(self.runner, self.save_all, self)
        self.setStatusBar(self.status)
        menus = build_menus(self, self)
        self.unlock_action = menus.unlock_action
        #: the opt-in update check (None without settings: nothing to remember the choice in)
        self.update_checker = menus.update_checker
        self.insights = WindowInsights(self)  # live watch (Ctrl+W) and Insights (Ctrl+I)
        self.filter = TreeFilter(self, self.toolbar, self.pending.is_dirty, parent=self)
        self.toolbar.goto_edit.returnPressed.connect(self.go_to)

    def main_node(self, node: Node) -> Node | None:
        """``node`` itself, or for a row of the filter results the main tree's row."""
        conn = self.manager.for_node(node)
        if conn is None:
            return None
        if node.connection is conn.node:
            return node
        if node.key is not None:
            return conn.node.by_key.get(node.key)
        return conn.node

    def _fetch(self, node: Node) -> None:
        self.manager.expand(node)

    # -- current connection -----------------------------------------------------

    def current_node(self) -> Node | None:
        index = self.view.currentIndex()
        node = index.data(roles.NODE_ROLE) if index.isValid() else None
        return node if isinstance(node, Node) else None

    def current_connection(self) -> Connection | None:
        conn = self.manager.for_node(self.current_node())
        if conn is None and self.manager.connections:
            return self.manager.connections[-1]
        return conn

    def _connections_changed(self) -> None:
        conn = self.current_connection()
        self.band.show_connection(conn)
        self.left.setCurrentIndex(1 if self.manager.connections else 0)
        if conn is None:
            self.setWindowTitle("Bot State Explorer")
        else:
            self.setWindowTitle(
                f"Bot State Explorer — {conn.profile.name} ({self.band.mode_text(conn)})"
            )
        self.unlock_action.setEnabled(conn is not None and conn.read_only)
        self._update_status()

    def _task_finished(self, handle: TaskHandle) -> None:
        self._update_status()
        listing = any(handle is c.listing for c in self.manager.connections)
        if listing:  # a listing can teach the store a warning (a Cosmos container's order)
            self.band.show_connection(self.current_connection())
        if listing and self.filter.active and not self.toolbar.values_button.isChecked():
            self.filter.timer.start()  # the id filter covers what was listed since

    def _update_status(self) -> None:
        self.status.show_connection(self.current_connection())

    # -- actions ----------------------------------------------------------------

    def show_connect_dialog(self) -> None:
        if self.connect_dialog is not None:
            self.connect_dialog(self)

    def connect_profile(
        self, profile: Profile, secret: str | None, read_only: bool | None = None
    ) -> None:
        async def work(_handle: TaskHandle) -> Connection:
            return await self.manager.open(profile, secret, read_only)

        self.runner.start(f"Connecting to {profile.name}", work, cancellable=True)

    def open_demo(self) -> None:
        """Open the built-in demo bot state (in memory: nothing to lose)."""
        self.connect_profile(Profile("Demo", "memory", "dev"), None)

    def refresh(self) -> None:
        conn = self.current_connection()
        if conn is not None:
            self.detail_clear()
            self.manager.refresh(conn)

    def go_to(self) -> TaskHandle | None:
        """Go to what the Go to box names (Ctrl+L, Enter); the lookup's task, if one started."""
        text = self.toolbar.goto_edit.text().strip()
        if not text or not self.manager.connections:
            return None
        from explorer.workspace.locate import locate

        current = self.current_connection()
        order = [current] + [c for c in self.manager.connections if c is not current]

        async def work(_handle: TaskHandle) -> list[Node]:
            for conn in order:
                if conn is None:
                    continue
                nodes = await locate(self.manager.tree, conn.node, text)
                if nodes:
                    return nodes
            return []

        def done(nodes: list[Node]) -> None:
            if not nodes:
                self.status.show_error(f"Go to: nothing named {text!r} in the open stores")
                return
            self.select_node(nodes[0])
            states = [n for n in dict.fromkeys(nodes) if n.is_state]
            if len(states) > 1:  # the same id as a user and a conversation, or in two channels
                others = ", ".join(n.key or n.label for n in states[1:4])
                more = " …" if len(states) > 4 else ""
                self.status.showMessage(
                    f"Go to {text!r}: {len(states)} states match; also {others}{more}", 15000
                )

        return self.runner.start(f"Going to {text}", work, on_result=done)

    def select_node(self, node: Node) -> None:
        """Make ``node`` current: clear the filter if it hides it, expand, scroll."""
        if self.filter.active:
            self.filter.clear()
        main = self.main_node(node)
        if main is None:
            return
        node = main
        self.model.hold_pages(node)  # going there is not scrolling to a group's end
        self.model.reveal(node)
        index = self.model.index_of(node)
        if not index.isValid():
            return
        self._selecting = True
        try:
            parent = index.parent()
            while parent.isValid():
                self.view.expand(parent)
                parent = parent.parent()
            self.view.setCurrentIndex(index)
            self.view.scrollTo(index, QAbstractItemView.ScrollHint.PositionAtCenter)
        finally:
            self._selecting = False
        self.view.setFocus()

    def set_view_model(self, model: StateTreeModel) -> None:
        self.view.setModel(model)
        self.view.selectionModel().currentChanged.connect(self._current_changed)

    def _current_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        if not self._selecting:  # the user moves: paged groups read on
            self.model.release_pages()
        node = current.data(roles.NODE_ROLE) if current.isValid() else None
        self.model.current = self.main_node(node) if isinstance(node, Node) else None
        self._connections_changed()
        if not isinstance(node, Node) or not node.is_state:
            self.detail_clear()
            return
        conn = self.manager.for_node(node)
        if conn is None or node.key is None:
            return
        key, store = node.key, conn.store
        self.runner.start(f"Opening {key}", lambda _h: self.detail.open_item(store, key))

    def detail_clear(self) -> None:
        self.detail.clear()

    def unlock_writes(self) -> None:
        conn = self.current_connection()
        if conn is None or not conn.read_only:
            return
        answer = QMessageBox.warning(
            self,
            "Allow writes for this session",
            f"<b>{conn.profile.name}</b> is a {conn.profile.environment.upper()} store and "
            "is open read-only.<br><br>Allow saving changes to it until you close this "
            "connection? Every write is backed up first and recorded in the audit log, "
            "and is checked against the version you loaded.",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
            QMessageBox.StandardButton.Cancel,
        )
        if answer == QMessageBox.StandardButton.Yes:
            self.runner.start(
                f"Allowing writes on {conn.profile.name}",
                lambda _h: self.manager.unlock_writes(conn),
                on_result=lambda _r: self._reopen_current(),
            )

    def _reopen_current(self) -> None:
        """Show the selected state again (after its store was reopened writable)."""
        index = self.view.currentIndex()
        self._current_changed(index, index)

    def disconnect_current(self) -> None:
        conn = self.current_connection()
        if conn is None:
            return
        unsaved = [s for s in self.pending.sessions() if s.store is conn.store]
        if unsaved:
            answer = QMessageBox.question(
                self,
                "Unsaved edits",
                f"{len(unsaved)} state(s) of {conn.profile.name} have edits that are not "
                "saved. Disconnect and lose them?",
                QMessageBox.StandardButton.Discard | QMessageBox.StandardButton.Cancel,
                QMessageBox.StandardButton.Cancel,
            )
            if answer != QMessageBox.StandardButton.Discard:
                return
            for session in unsaved:
                session.revert()
        self.detail_clear()
        self.runner.start(f"Closing {conn.profile.name}", lambda _h: self.manager.close(conn))

    def mark_for_deletion(self) -> None:
        """Delete pressed on a state: a pending deletion of what the detail pane shows."""
        node = self.current_node()
        if node is None or not node.is_state:
            return
        if self.detail.key == node.key:
            self.detail.delete_state()

    def copy_key(self) -> None:
        from PySide6.QtWidgets import QApplication

        node = self.current_node()
        if node is not None:
            QApplication.clipboard().setText(node.key or node.label)

    def save_all(self) -> None:
        """Review & save (the pending edits' own dialog)."""
        if self.pending.has_unsaved():
            self.pending.save_action.trigger()

    def show_about(self) -> None:
        """Help → About: the version and where backups and the audit log are kept."""
        show_about(self, self.data_folder)

    def _pending_changed(self) -> None:
        count = self.pending.count()
        self.status.show_pending(count, self.pending.summary())
        # only keys that are or were pending: a full pass would ask about every row
        pending_keys = {s.key for s in self.pending.sessions()}
        self.model.refresh_dirty(pending_keys | self.model.dirty_keys)
        results = self.filter.results_model
        results.refresh_dirty(pending_keys | results.dirty_keys)

    def _saved(self, session: EditSession) -> None:
        """A save landed: the tree drops a deleted state's row, else shows its new size/etag."""
        conn = next((c for c in self.manager.connections if c.store is session.store), None)
        if conn is None:
            return
        tree = self.manager.tree
        if session.gone:
            if self.model.dirty_keys & {session.key}:
                self.model.refresh_dirty([session.key])
            tree.remove_key(conn.node, session.key)
        else:
            tree.put_entry(conn.node, session.loaded.entry())
        self._pending_changed()
        self._update_status()

    # -- layout and closing -----------------------------------------------------

    def restore_layout(self) -> None:
        if self.settings is None:
            self.resize(1200, 760)
            return
        geometry = self.settings.value("window/geometry")
        if isinstance(geometry, QByteArray) and not geometry.isEmpty():
            self.restoreGeometry(geometry)
        else:
            self.resize(1200, 760)
        state = self.settings.value("window/state")
        if isinstance(state, QByteArray):
            self.restoreState(state)
        splitter = self.settings.value("window/splitter")
        if isinstance(splitter, QByteArray):
            self.splitter.restoreState(splitter)

    def save_layout(self) -> None:
        if self.settings is not None:
            self.settings.setValue("window/geometry", self.saveGeometry())
            self.settings.setValue("window/state", self.saveState())
            self.settings.setValue("window/splitter", self.splitter.saveState())
            self.settings.sync()

    def closeEvent(self, event: QCloseEvent) -> None:
        if self.pending.has_unsaved():
            answer = QMessageBox.question(
                self,
                "Unsaved edits",
                f"You have {self.pending.summary()} that are not saved.\n\n"
                "Review and save them, or close and lose them?",
                QMessageBox.StandardButton.Save
                | QMessageBox.StandardButton.Discard
                | QMessageBox.StandardButton.Cancel,
                QMessageBox.StandardButton.Save,
            )
            if answer == QMessageBox.StandardButton.Save:
                self.save_all()
            if answer != QMessageBox.StandardButton.Discard:
                event.ignore()
                return
        self.save_layout()
        self.runner.cancel_all()
        event.accept()


class _AutoExpand:
    """Expands a new connection, and its first channel, when they appear."""

    def __init__(self, window: MainWindow) -> None:
        self.window = window

    def before_insert(self, parent: Node, first: int, last: int) -> None:
        pass

    def after_insert(self, parent: Node, first: int, last: int) -> None:
        if parent.kind is NodeKind.ROOT:
            node = parent.children[last]
            QTimer.singleShot(0, lambda: self._expand(node))
        elif parent.kind is NodeKind.CONNECTION and first == 0:
            QTimer.singleShot(0, lambda: self._expand(parent))

    def _expand(self, node: Node) -> None:
        window = self.window
        if window.view.model() is window.model and node.attached:
            window.view.expand(window.model.index_of(node))
            if window.view.currentIndex().isValid() is False:
                window.view.setCurrentIndex(window.model.index_of(node))

    def before_remove(self, parent: Node, first: int, last: int) -> None:
        pass

    def after_remove(self, parent: Node, first: int, last: int) -> None:
        pass

    def changed(self, node: Node) -> None:
        pass

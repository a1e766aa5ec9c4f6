"""The window's support workflows (issue 14): a Support menu and the tree's context menu.

- **Everything about this user…** (Ctrl+Shift+U): the ``UserItemsDialog`` for the
  selected user (a user or private state row), else for the id typed in Go to,
  else for an id asked for. Whether it searches conversations for private state
  at first follows what the window knows of the store's size (``private_scan``).
  Its Forget… shows every item in the Review & save dialog and deletes them as
  one operation.
- **Selected states** (``MultiSelectActions``): Delete, Clear dialog stack, Set
  property…, Unset property… on every row selected with Ctrl/Shift, as pending
  edits reviewed in Review & save.
- **Revert last operation**: undoes the last forget made in this window, each
  item only if it is still what the forget left.
- **Compare…** (two connections, or one and an export file) and **Copy state
  to…** (the selected state to another id or connection; also in the tree's
  context menu): ``CompareDialog`` and ``CopyStateDialog``.

A controller, not a widget: it is created by the composition root with the
window and what it needs, adds its actions to the window's tree view and menu
bar, and keeps the dialogs it opened alive. All I/O goes through the window's
``TaskRunner`` and the workspace.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QDialog, QInputDialog, QMenu

from explorer.core.items import RawItem
from explorer.state.keys import parse_key
from explorer.storage.base import Storage
from explorer.ui.connections import Connection
from explorer.ui.detail.redaction import Redaction
from explorer.ui.dialogs.compare import CompareDialog, Target
from explorer.ui.dialogs.copy_state import CopyStateDialog
from explorer.ui.dialogs.forget_review import ForgetReview, review_and_forget
from explorer.ui.dialogs.user_items import UserItemsDialog
from explorer.ui.multi_select import MultiSelectActions
from explorer.workspace.locate import unescape_candidates
from explorer.workspace.operations import OperationResult, revert_operation
from explorer.workspace.private_scan import private_scan_choice
from explorer.workspace.safe_write import SafeWriter
from explorer.workspace.user_lookup import UserItem

if TYPE_CHECKING:
    from explorer.ui.main_window import MainWindow

USER_SHORTCUT = QKeySequence("Ctrl+Shift+U")


def user_id_in(text: str) -> str:
    """The user id that pasted text names: the user part of a key, else the text itself."""
    for reading in unescape_candidates(text):
        user = parse_key(reading).user
        if user:
            return user
    readings = unescape_candidates(text)
    return readings[0] if readings else ""


class SupportActions(QObject):
    """Adds the support actions to ``window``; ``writer_for(store)`` gives its SafeWriter."""

    def __init__(
        self,
        window: MainWindow,
        writer_for: Callable[[Storage], SafeWriter],
        redaction: Redaction | None = None,
    ) -> None:
        super().__init__(window)
        self.window = window
        self.writer_for = writer_for
        self.redaction = redaction
        self.dialogs: list[QDialog] = []
        self.last_operation: tuple[Connection, str] | None = None
        #: the last forget review opened (tests and screenshots)
        self.review: ForgetReview | None = None

        self.user_action = QAction("Everything about this &user…", self)
        self.user_action.setShortcut(USER_SHORTCUT)
        self.user_action.setToolTip(
            "Every item holding this user's state: user state in every channel, "
            "private state in every conversation; export or forget them"
        )
        self.user_action.triggered.connect(self.open_for_current)
        self.compare_action = QAction("&Compare…", self)
        self.compare_action.setToolTip(
            "Compare two connections, or a connection and an export file, key by key"
        )
        self.compare_action.triggered.connect(self.open_compare)
        self.copy_action = QAction("Copy state &to…", self)
        self.copy_action.setToolTip("Copy the selected state to another id or connection")
        self.copy_action.triggered.connect(self.open_copy)
        self.revert_action = QAction("&Revert last operation", self)
        self.revert_action.setEnabled(False)
        self.revert_action.triggered.connect(self.revert_last)
        window.view.addActions([self.user_action, self.copy_action])
        self.menu = QMenu("S&upport", window)
        self.menu.addActions([self.user_action, self.copy_action, self.compare_action])
        self.menu.addSeparator()
        self.menu.addAction(self.revert_action)
        self.multi = MultiSelectActions(window, self.menu)
        bar = window.menuBar()
        tops = bar.actions()
        help_top = next((a for a in tops if a.text().replace("&", "") == "Help"), None)
        if help_top is not None:
            bar.insertMenu(help_top, self.menu)
        else:
            bar.addMenu(self.menu)

    # -- Everything about this user --------------------------------------------------

    def _current_user(self) -> tuple[Connection | None, str]:
        window = self.window
        node = window.current_node()
        conn = window.current_connection()
        if node is not None and node.key:
            user = parse_key(node.key).user
            if user:
                return conn, user
        return conn, user_id_in(window.toolbar.goto_edit.text())

    def open_for_current(self) -> None:
        conn, user = self._current_user()
        if conn is None:
            self.window.status.show_error("Everything about a user: connect to a store first")
            return
        if not user:
            user, ok = QInputDialog.getText(
                self.window, "Everything about a user", "User id (as the channel gives it):"
            )
            user = user_id_in(user) if ok else ""
            if not user:
                return
        self.open_user_items(conn, user)

    def open_user_items(self, conn: Connection, user_id: str) -> UserItemsDialog:
        dialog = UserItemsDialog(
            user_id,
            conn.store,
            conn.profile.name,
            self.window.runner,
            source=conn.profile.kind,
            on_show=lambda key: self.show_key(conn, key),
            on_forget=lambda items: self.forget(conn, dialog, items),
            private=private_scan_choice(conn.node, self.window.manager.paged_threshold),
            parent=self.window,
        )
        self._keep(dialog)
        dialog.show()
        dialog.start_load()
        return dialog

    def _keep(self, dialog: QDialog) -> None:
        self.dialogs.append(dialog)
        dialog.finished.connect(lambda _code: self._drop(dialog))

    def _drop(self, dialog: QDialog) -> None:
        if dialog in self.dialogs:
            self.dialogs.remove(dialog)

    def show_key(self, conn: Connection, key: str) -> None:
        """Select ``key`` in the tree (listing it first if the tree has not got there)."""
        node = conn.node.by_key.get(key)
        if node is not None:
            self.window.select_node(node)
            return

        async def work(_handle: Any) -> None:
            found = await conn.store.read_raw([key])
            if key in found:
                nodes = self.window.manager.tree.add_entries(conn.node, [found[key].entry()])
                if nodes:
                    self.window.select_node(nodes[0])

        self.window.runner.start(f"Showing {key}", work)

    def forget(self, conn: Connection, dialog: UserItemsDialog, items: list[UserItem]) -> None:
        keys = [item.key for item in items if item.match == "key"]

        async def work(_handle: Any) -> OperationResult | None:
            return await review_and_forget(
                conn.store,
                dialog.user_id,
                keys,
                self.writer_for(conn.store),
                redaction=self.redaction,
                parent=dialog,
                on_open=self._reviewing,
            )

        def done(result: OperationResult | None) -> None:
            if result is None or not result.done:
                return
            for key in result.done:
                self.window.manager.tree.remove_key(conn.node, key)
            self._operation_done(conn, result, "Forgot")
            dialog.start_load()

        self.window.runner.start(f"Forgetting {dialog.user_id}", work, on_result=done)

    def _reviewing(self, review: ForgetReview) -> None:
        self.review = review

    def _operation_done(self, conn: Connection, result: OperationResult, verb: str) -> None:
        self.last_operation = (conn, result.operation)
        self.revert_action.setEnabled(True)
        left = len(result.conflicts) + len(result.failed)
        extra = f"; {left} left as they are" if left else ""
        self.window.status.showMessage(
            f"{verb} {len(result.done)} items (operation {result.operation}){extra}. "
            "Support → Revert last operation undoes it.",
            20000,
        )

    # -- Revert last operation ----------------------------------------------------------

    def revert_last(self) -> None:
        if self.last_operation is None:
            return
        conn, operation = self.last_operation

        async def work(_handle: Any) -> OperationResult:
            result = await revert_operation(self.writer_for(conn.store), conn.store, operation)
            found = await conn.store.read_raw(result.done)
            for item in found.values():
                self.window.manager.tree.put_entry(conn.node, item.entry())
            return result

        def done(result: OperationResult) -> None:
            self._operation_done(conn, result, "Restored")

        self.window.runner.start(f"Reverting {operation}", work, on_result=done)

    # -- Compare and Copy state to ------------------------------------------------------

    def _targets(self) -> list[Target]:
        return [Target(c.profile.name, c.store) for c in self.window.manager.connections]

    def open_compare(self) -> CompareDialog | None:
        if not self.window.manager.connections:
            self.window.status.show_error("Compare: connect to a store first")
            return None
        dialog = CompareDialog(
            self._targets(),
            self.window.runner,
            self.writer_for,
            redaction=self.redaction,
            parent=self.window,
        )
        self._keep(dialog)
        dialog.show()
        return dialog

    def open_copy(self) -> CopyStateDialog | None:
        node = self.window.current_node()
        conn = self.window.manager.for_node(node)
        if node is None or conn is None or not node.is_state or not node.key:
            self.window.status.show_error("Copy state to: select a state first")
            return None
        dialog = CopyStateDialog(
            node.key,
            Target(conn.profile.name, conn.store),
            self._targets(),
            self.window.runner,
            self.writer_for,
            rules=self.redaction.rules if self.redaction is not None else None,
            on_copied=self._copied,
            parent=self.window,
        )
        self._keep(dialog)
        dialog.show()
        return dialog

    def _copied(self, target: Target, item: RawItem) -> None:
        conn = next((c for c in self.window.manager.connections if c.store is target.store), None)
        if conn is not None:
            self.window.manager.tree.put_entry(conn.node, item.entry())
        self.window.status.showMessage(
            f"Copied to {item.key} in {target.name} (backed up; State → history reverts it)",
            15000,
        )

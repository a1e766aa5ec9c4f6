"""Actions on several selected states at once, as pending edits.

The tree (and the filter results shown in it) select several rows with
Ctrl/Shift. The tree's context menu (and Support → Selected states) offers
Delete, Clear dialog stack, Set property… and Unset property… for every
selected state. Each becomes pending edits in the item's edit session, exactly
as if made one by one in the detail pane: reviewed and saved in the existing
Review & save dialog (Ctrl+S), undone with Edit → Undo, item by item. The
change itself is ``workspace.bulk``'s (a dotted path or JSON pointer; nested
parents created by Set); a state that cannot take it (no such property, no
dialog stack) is left alone and named in the status bar.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QAbstractItemView, QInputDialog, QMenu

from explorer.ui.connections import Connection
from explorer.ui.models import roles
from explorer.workspace.bulk import (
    Action,
    ClearDialogs,
    Delete,
    UnchangedError,
    parse_set,
    parse_unset,
)
from explorer.workspace.session import EditSession
from explorer.workspace.tree import Node

if TYPE_CHECKING:
    from explorer.ui.main_window import MainWindow


def _edit(session: EditSession, action: Action) -> None:
    """Apply ``action`` to a session's draft as ordinary, undoable edits."""
    if isinstance(action, Delete):
        session.delete_state()
        return
    new = action.apply(dict(session.draft))  # UnchangedError: left alone
    if isinstance(action, ClearDialogs):
        session.clear_dialog_stack(action.property_name)
        return
    for name in [*session.draft, *new]:
        if name not in new:
            session.remove_property(name)
        elif name not in session.draft:
            session.add_property(name, new[name])
        elif new[name] != session.draft[name]:
            session.set_property(name, new[name])


class MultiSelectActions(QObject):
    """Extended selection in the window's tree and the four actions on it."""

    def __init__(self, window: MainWindow, menu: QMenu | None = None) -> None:
        super().__init__(window)
        self.window = window
        window.view.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.delete_action = QAction("Delete selected states", self)
        self.clear_action = QAction("Clear dialog stack of selected", self)
        self.set_action = QAction("Set property of selected…", self)
        self.unset_action = QAction("Unset property of selected…", self)
        self.delete_action.triggered.connect(lambda: self.start(Delete()))
        self.clear_action.triggered.connect(lambda: self.start(ClearDialogs()))
        self.set_action.triggered.connect(self._ask_set)
        self.unset_action.triggered.connect(self._ask_unset)
        self.actions = [self.delete_action, self.clear_action, self.set_action, self.unset_action]
        separator = QAction(self)
        separator.setSeparator(True)
        window.view.addActions([separator, *self.actions])
        if menu is not None:
            sub = menu.addMenu("Selected &states")
            sub.addActions(self.actions)

    def selected(self) -> list[tuple[Connection, str]]:
        """The selected state rows (main tree or filter results) as (connection, key)."""
        window = self.window
        found: dict[tuple[int, str], tuple[Connection, str]] = {}
        for index in window.view.selectionModel().selectedRows():
            node = index.data(roles.NODE_ROLE)
            main = window.main_node(node) if isinstance(node, Node) else None
            conn = window.manager.for_node(main)
            if main is not None and main.is_state and main.key and conn is not None:
                found.setdefault((id(conn), main.key), (conn, main.key))
        return list(found.values())

    async def apply(self, action: Action) -> tuple[int, list[tuple[str, str]]]:
        """Make ``action`` pending edits in every selected state: (edited, [(key, why)])."""
        pending = self.window.pending
        edited = 0
        left: list[tuple[str, str]] = []
        for conn, key in self.selected():
            session = await pending.open(conn.store, key)
            try:
                _edit(session, action)
            except UnchangedError as exc:
                left.append((key, str(exc)))
                continue
            edited += 1
        return edited, left

    def start(self, action: Action) -> None:
        async def work(_handle: Any) -> tuple[int, list[tuple[str, str]]]:
            return await self.apply(action)

        def done(result: tuple[int, list[tuple[str, str]]]) -> None:
            edited, left = result
            text = f"{action.describe().capitalize()}: {edited} states have pending edits"
            if left:
                text += f"; {len(left)} left as they are ({left[0][1]}…)"
            self.window.status.showMessage(text + ". Review and save with Ctrl+S.", 15000)

        self.window.runner.start(action.describe().capitalize(), work, on_result=done)

    def _ask(self, title: str, label: str) -> str | None:
        text, ok = QInputDialog.getText(self.window, title, label)
        return text if ok and text.strip() else None

    def _ask_set(self) -> None:
        text = self._ask(
            "Set property", 'Property = JSON value, e.g. prefs.lang="de" or /prefs/count=3'
        )
        if text is not None:
            try:
                action = parse_set(text)
            except ValueError as exc:
                self.window.status.show_error(f"Set property: {exc}")
                return
            self.start(action)

    def _ask_unset(self) -> None:
        text = self._ask("Unset property", "Property path, e.g. prefs.lang or /prefs/lang")
        if text is not None:
            try:
                action = parse_unset(text)
            except ValueError as exc:
                self.window.status.show_error(f"Unset property: {exc}")
                return
            self.start(action)

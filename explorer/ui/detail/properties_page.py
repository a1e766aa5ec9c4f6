"""``PropertiesPage``: the Properties tab: the table, the JSON editor and their actions.

The page edits the session it is given (``set_session``) and is told by the
detail pane whether editing is allowed (``editable``). Every change is a
pending edit of the session: set a property from the JSON editor or a table
cell, add one, remove / restore one, mark the whole state for deletion.

Editor rules: text typed and not applied survives other edits of the item
(it is reloaded only when the value under it changes, e.g. by undo); moving
to another property applies valid text as a pending edit (undoable) and
reports invalid text instead of applying it. A masked value (redaction mode)
is shown read-only, so a mask is never written back.
"""

from __future__ import annotations

import json
from typing import Any

from PySide6.QtCore import QEvent, QItemSelectionModel, QModelIndex, Qt, Signal
from PySide6.QtGui import QAction, QKeyEvent, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QSplitter,
    QTableView,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from explorer.ui.detail.editor import PropertyEditor
from explorer.ui.detail.properties import CHANGE_ROLE, PropertiesModel
from explorer.ui.detail.redaction import Redaction
from explorer.workspace.session import EditSession


def _is_delete(event: QKeyEvent) -> bool:
    return event.matches(QKeySequence.StandardKey.Delete) or event.key() == Qt.Key.Key_Backspace


class PropertiesTable(QTableView):
    """The properties table; Delete / Backspace here mean "remove this property".

    The key is taken before shortcuts are matched (``ShortcutOverride``), so the
    window's own Delete ("mark state for deletion") does not fire, and is not
    ambiguous, while the table has focus.
    """

    delete_pressed = Signal()

    def event(self, event: QEvent) -> bool:
        if (
            event.type() == QEvent.Type.ShortcutOverride
            and isinstance(event, QKeyEvent)
            and _is_delete(event)
            and self.state() != QAbstractItemView.State.EditingState
        ):
            event.accept()
            return True
        return super().event(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if _is_delete(event):
            self.delete_pressed.emit()
            return
        super().keyPressEvent(event)


class PropertiesPage(QWidget):
    """Table of properties above the JSON editor. Signal ``error(str)``: one line to show."""

    error = Signal(str)

    def __init__(
        self,
        redaction: Redaction,
        extra_actions: list[tuple[str, QAction]],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.redaction = redaction
        self.session: EditSession | None = None
        self.editable = False
        #: what the editor shows: (session, property, the value object it was loaded with,
        #: editable);
        #: values are never changed in place, so "same object" means "same value"
        self._editor_for: tuple[EditSession, str, Any, bool] | None = None
        self.model = PropertiesModel(redaction)
        self.table = PropertiesTable()
        self.table.setModel(self.model)
        self.table.setObjectName("properties")
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.verticalHeader().hide()
        self.table.setWordWrap(False)
        self.table.setShowGrid(False)
        self.table.setAlternatingRowColors(True)
        self.table.setEditTriggers(
            QAbstractItemView.EditTrigger.DoubleClicked
            | QAbstractItemView.EditTrigger.EditKeyPressed
            | QAbstractItemView.EditTrigger.AnyKeyPressed
        )
        header = self.table.horizontalHeader()
        header.setStretchLastSection(True)
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        self.table.selectionModel().currentRowChanged.connect(self._on_row_changed)
        self.editor = PropertyEditor()
        self.editor.applied.connect(self._apply_editor)

        self.add_action = QAction("Add property", self)
        self.add_action.setToolTip("Add a top-level property (pending until Save)")
        self.add_action.triggered.connect(self.start_add_property)
        self.remove_action = QAction("Remove property", self)
        self.remove_action.setToolTip("Remove the selected property (pending until Save)")
        self.remove_action.triggered.connect(self.remove_selected)
        self.delete_action = QAction("Delete state", self)
        self.delete_action.setToolTip("Mark the whole state for deletion (pending until Save)")
        self.delete_action.triggered.connect(self.delete_state)
        # Delete in the table removes the selected property (the tree's Delete deletes states)
        self.table.delete_pressed.connect(self.remove_selected)

        bar = QHBoxLayout()
        bar.setContentsMargins(0, 4, 0, 0)
        self.tool_buttons: dict[str, QToolButton] = {}
        for name, action in (
            ("add", self.add_action),
            ("remove", self.remove_action),
            ("delete", self.delete_action),
        ):
            button = QToolButton()
            button.setDefaultAction(action)
            button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
            self.tool_buttons[name] = button
            bar.addWidget(button)
        bar.addStretch()
        for name, action in extra_actions:
            button = QToolButton()
            button.setDefaultAction(action)
            self.tool_buttons[name] = button
            bar.addWidget(button)
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(self.table)
        splitter.addWidget(self.editor)
        splitter.setSizes([260, 240])
        splitter.setChildrenCollapsible(False)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(bar)
        layout.addWidget(splitter, 1)

    def set_session(self, session: EditSession | None) -> None:
        self.session = session
        self.model.set_session(session)

    def refresh(self, editable: bool) -> None:
        """Redraw from the session, keeping the selected property."""
        self.editable = editable
        selected = self.selected_property()
        self.model.editable = editable
        self.model.refresh()
        self.table.resizeColumnToContents(0)
        self.table.resizeColumnToContents(1)
        if self.table.columnWidth(1) > 260:
            self.table.setColumnWidth(1, 260)
        self.add_action.setEnabled(editable)
        self.remove_action.setEnabled(editable and selected is not None)
        self.delete_action.setEnabled(editable)
        if selected is not None and self.model.row_of(selected) >= 0:
            self.select_property(selected)
        else:
            self._show_selected()

    def selected_property(self) -> str | None:
        index = self.table.selectionModel().currentIndex()
        return self.model.name_at(index.row()) if index.isValid() else None

    def select_property(self, name: str) -> bool:
        row = self.model.row_of(name)
        if row < 0:
            return False
        self.table.selectionModel().setCurrentIndex(
            self.model.index(row, 0),
            QItemSelectionModel.SelectionFlag.ClearAndSelect
            | QItemSelectionModel.SelectionFlag.Rows,
        )
        self._show_selected()
        return True

    def _on_row_changed(self, current: QModelIndex, previous: QModelIndex) -> None:
        """Leaving a property keeps its unapplied text as a pending edit (undoable)."""
        left = self.model.name_at(previous.row()) if previous.isValid() else None
        editor = self.editor
        if (
            left is not None
            and self._editor_for is not None
            and self._editor_for[:2] == (self.session, left)
            and editor.is_modified
            and not editor.is_new
            and self.editable
        ):
            if editor.is_valid:
                self._apply_editor(left, editor.value(), reselect=False)
            else:
                self.error.emit(
                    f"Your unfinished edit of {left} is not valid JSON; it was not applied"
                )
        self._show_selected()

    def _show_selected(self) -> None:
        session = self.session
        name = self.selected_property()
        if self.editor.is_new and self.editor.is_modified:
            return  # keep a property being added
        if session is None or name is None:
            self._editor_for = None
            self.editor.clear()
            self.remove_action.setEnabled(False)
            return
        row = self.model.row_of(name)
        removed = self.model.index(row, 0).data(CHANGE_ROLE) == "removed"
        self.remove_action.setEnabled(self.editable)
        self.remove_action.setText("Restore property" if removed else "Remove property")
        if removed:
            self._editor_for = None
            self.editor.set_value(
                name, session.document[name], editable=False, note="Removed on save."
            )
            return
        value = session.draft[name]
        if self.redaction.is_masked(session.store, session.key):
            shown = self.redaction.view_value(session.store, session.key, name, value)
            if shown != value:
                self._editor_for = None
                self.editor.set_masked(
                    name,
                    _pretty(shown),
                    "Masked (redaction mode): Reveal values to see or edit it.",
                )
                return
        shown = self._editor_for
        if (
            shown is not None
            and shown[0] is session
            and shown[1] == name
            and shown[2] is value
            and (self.editor.is_modified or shown[3] == self.editable)
        ):
            return  # already shown, or the user's unapplied text over an unchanged value
        note = "Read-only store." if not self.editable else ""
        self.editor.set_value(name, value, editable=self.editable, note=note)
        self._editor_for = (session, name, value, self.editable)

    def _apply_editor(self, name: str, value: Any, *, reselect: bool = True) -> None:
        session = self.session
        if session is None or not self.editable:
            return
        try:
            if self.editor.is_new:
                session.add_property(name, value)
            else:
                session.set_property(name, value)
        except ValueError as exc:
            self.editor.status.setText(f"✗ {exc}")
            self.error.emit(str(exc))
            return
        if reselect:
            self.editor.set_value(name, value, editable=True)
            self._editor_for = (session, name, session.draft.get(name), True)
            self.select_property(name)

    def start_add_property(self) -> None:
        if self.editable:
            self.table.clearSelection()
            self._editor_for = None
            self.editor.start_new()

    def remove_selected(self) -> None:
        session, name = self.session, self.selected_property()
        if session is None or name is None or not self.editable:
            return
        if name not in session.draft:  # a pending removal: restore it
            session.set_property(name, session.document[name], label=f"Restore {name}")
        else:
            session.remove_property(name)

    def delete_state(self) -> None:
        if self.session is not None and self.editable:
            self.session.delete_state()


def _pretty(value: Any) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False)

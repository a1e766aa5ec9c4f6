"""The Dialog stack tab: the stack drawn top-down, active dialog first, whatever the dialect.

Frames come from ``EditSession.dialog_stack`` (``explorer.state.dialogs``),
so js stacks (active last as stored) are shown active-first too. Pop active /
Clear stack call the session and become pending edits like any other.
Frame states pass through ``Redaction`` before they are shown.
"""

from __future__ import annotations

import json

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSplitter,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from explorer.core.errors import DialogStackError
from explorer.state.dialogs import DIALOG_STATE, stack_form
from explorer.ui.detail import style
from explorer.ui.detail.jsonview import JsonView
from explorer.ui.detail.redaction import Redaction
from explorer.ui.detail.values import preview
from explorer.workspace.session import EditSession

FORM_NOTES = {
    "python": "botbuilder-python form (active first as stored)",
    "js": "JavaScript form (stored active last, shown active first)",
    "dotnet": ".NET form with $type (active first as stored)",
}


def stack_properties(session: EditSession) -> list[str]:
    """Properties of the draft that hold a dialog stack (``DialogState`` first)."""
    found: list[str] = []
    for name in session.property_names():
        try:
            if stack_form(session.draft, property_name=name) is not None:
                found.append(name)
        except DialogStackError:
            if name == DIALOG_STATE:
                found.append(name)
    found.sort(key=lambda n: n != DIALOG_STATE)
    return found


class DialogStackView(QWidget):
    """A vertical dialog stack with Pop active / Clear stack; ``error`` reports refusals."""

    error = Signal(str)

    def __init__(self, redaction: Redaction | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.redaction = redaction
        self.session: EditSession | None = None
        self.editable = True
        self.property_box = QComboBox()
        self.property_box.currentTextChanged.connect(lambda *_: self.refresh())
        self.form_label = QLabel()
        self.form_label.setStyleSheet(f"color: {style.muted().name()}")
        self.frames = QTreeWidget()
        self.frames.setColumnCount(3)
        self.frames.setHeaderLabels(["", "Dialog", "State"])
        self.frames.setRootIsDecorated(False)
        self.frames.setUniformRowHeights(True)
        self.frames.currentItemChanged.connect(lambda *_: self._show_frame())
        self.frame_text = JsonView()
        self.empty_label = QLabel()
        self.empty_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty_label.setWordWrap(True)
        self.pop_button = QPushButton("Pop active dialog")
        self.pop_button.setToolTip("Remove the active (top) dialog; pending until Save")
        self.pop_button.clicked.connect(self.pop_active)
        self.clear_button = QPushButton("Clear stack")
        self.clear_button.setToolTip("End every dialog of this conversation; pending until Save")
        self.clear_button.clicked.connect(self.clear_stack)

        bar = QHBoxLayout()
        self.property_label = QLabel("Property")
        bar.addWidget(self.property_label)
        bar.addWidget(self.property_box)
        bar.addWidget(self.form_label)
        bar.addStretch(1)  # the buttons stay on the right when the note is hidden
        bar.addWidget(self.pop_button)
        bar.addWidget(self.clear_button)
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(self.frames)
        splitter.addWidget(self.frame_text)
        splitter.setSizes([220, 160])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 4, 0, 0)
        layout.addLayout(bar)
        layout.addWidget(self.empty_label)
        layout.addWidget(splitter, 1)
        self._splitter = splitter

    def set_session(self, session: EditSession | None) -> None:
        self.session = session
        names = stack_properties(session) if session is not None else []
        current = self.property_box.currentText()
        self.property_box.blockSignals(True)
        self.property_box.clear()
        self.property_box.addItems(names)
        if current in names:
            self.property_box.setCurrentText(current)
        self.property_box.blockSignals(False)
        self.property_box.setVisible(len(names) > 1)
        self.property_label.setVisible(len(names) > 1)
        self.refresh()

    def set_editable(self, editable: bool) -> None:
        self.editable = editable
        self.refresh()

    @property
    def property_name(self) -> str:
        return self.property_box.currentText() or DIALOG_STATE

    def refresh(self) -> None:
        """Redraw from the session draft (after any edit or undo)."""
        self.frames.clear()
        self.frame_text.clear()
        session = self.session
        frames = []
        message = ""
        if session is None:
            message = "No state selected."
        else:
            try:
                frames = session.dialog_stack(self.property_name)
                form = stack_form(session.draft, property_name=self.property_name)
                self.form_label.setText(FORM_NOTES.get(form or "", ""))
            except DialogStackError as exc:
                message = str(exc)
            if not message and not frames:
                message = (
                    "The dialog stack is empty: no dialog is running."
                    if self.property_name in session.draft
                    else "This state has no dialog stack "
                    "(dialogs keep theirs in conversation state, under DialogState)."
                )
        for depth, frame in enumerate(frames):
            state = frame.state
            if self.redaction is not None and session is not None:
                state = self.redaction.view_value(session.store, session.key, "state", state)
            row = QTreeWidgetItem(
                ["▶ active" if depth == 0 else f"{depth}", frame.id or "(no id)", preview(state)]
            )
            row.setData(2, Qt.ItemDataRole.UserRole, state)
            row.setToolTip(1, frame.id or "")
            if depth == 0:
                font = row.font(1)
                font.setBold(True)
                row.setFont(0, font)
                row.setFont(1, font)
            self.frames.addTopLevelItem(row)
        for column in (0, 1):
            self.frames.resizeColumnToContents(column)
        self.empty_label.setText(message)
        self.empty_label.setVisible(bool(message))
        self._splitter.setVisible(bool(frames))
        self.form_label.setVisible(bool(frames))
        self.pop_button.setEnabled(self.editable and bool(frames))
        self.clear_button.setEnabled(self.editable and bool(frames))
        first = self.frames.topLevelItem(0)
        if first is not None:
            self.frames.setCurrentItem(first)

    def frame_ids(self) -> list[str]:
        """Dialog ids as shown, active first."""
        items = (self.frames.topLevelItem(i) for i in range(self.frames.topLevelItemCount()))
        return [item.text(1) for item in items if item is not None]

    def _show_frame(self) -> None:
        item = self.frames.currentItem()
        if item is None:
            self.frame_text.clear()
            return
        state = item.data(2, Qt.ItemDataRole.UserRole)
        self.frame_text.show_text(json.dumps(state, indent=2, ensure_ascii=False))

    def pop_active(self) -> None:
        if self.session is None or not self.editable:
            return
        try:
            self.session.pop_active_dialog(self.property_name)
        except DialogStackError as exc:
            self.error.emit(str(exc))

    def clear_stack(self) -> None:
        if self.session is None or not self.editable:
            return
        try:
            self.session.clear_dialog_stack(self.property_name)
        except DialogStackError as exc:
            self.error.emit(str(exc))

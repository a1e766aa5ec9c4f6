"""``PropertyEditor``: edit one property's JSON value, validated as you type.

The editor never writes anything: ``Apply`` emits ``applied(name, value)`` and
the owner turns it into a pending edit of the ``EditSession``. Invalid JSON
cannot be applied: the Apply button is disabled, the status line names the
line and column, and the offending line is marked. The text has its own
undo/redo (Ctrl+Z inside the editor undoes typing, not pending edits).

In "new property" mode the name is editable; an existing property's name is
fixed. A masked (redacted) value is shown read-only until revealed, so a mask
can never be applied back as a value.
"""

from __future__ import annotations

import json
from typing import Any

from PySide6.QtCore import QRect, QSize, Qt, Signal
from PySide6.QtGui import (
    QKeySequence,
    QPainter,
    QPaintEvent,
    QPalette,
    QResizeEvent,
    QShortcut,
    QTextCursor,
    QTextFormat,
)
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QTextEdit,
    QVBoxLayout,
    QWidget,
)

from explorer.ui.detail import style
from explorer.ui.detail.highlighter import JsonHighlighter
from explorer.ui.detail.values import TEXT_LIMIT, json_longer_than


def format_json(value: Any) -> str:
    """How a value is shown in the editor: pretty-printed, key order kept."""
    return json.dumps(value, indent=2, ensure_ascii=False)


class _LineNumbers(QWidget):
    """The gutter of a ``JsonTextEdit``: line numbers, the error line in red."""

    def __init__(self, editor: JsonTextEdit) -> None:
        super().__init__(editor)
        self.editor = editor

    def sizeHint(self) -> QSize:
        return QSize(self.editor.gutter_width(), 0)

    def paintEvent(self, event: QPaintEvent) -> None:
        editor = self.editor
        painter = QPainter(self)
        palette = self.palette()
        painter.fillRect(event.rect(), palette.color(QPalette.ColorRole.AlternateBase))
        block = editor.firstVisibleBlock()
        number = block.blockNumber()
        top = round(editor.blockBoundingGeometry(block).translated(editor.contentOffset()).top())
        height = editor.fontMetrics().height()
        error = editor.error_line
        while block.isValid() and top <= event.rect().bottom():
            bottom = top + round(editor.blockBoundingRect(block).height())
            if block.isVisible() and bottom >= event.rect().top():
                painter.setPen(style.danger() if number + 1 == error else style.muted())
                painter.drawText(
                    0, top, self.width() - 6, height, Qt.AlignmentFlag.AlignRight, str(number + 1)
                )
            block = block.next()
            top = bottom
            number += 1


class JsonTextEdit(QPlainTextEdit):
    """A monospace JSON text box with line numbers, highlighting and a 2-space Tab."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFont(style.mono_font())
        self.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.setTabStopDistance(self.fontMetrics().horizontalAdvance(" ") * 2)
        self.highlighter = JsonHighlighter(self.document())
        #: 1-based line marked as wrong in the gutter, 0 for none
        self.error_line = 0
        self.gutter = _LineNumbers(self)
        self.blockCountChanged.connect(lambda *_: self._fit_gutter())
        self.updateRequest.connect(self._scroll_gutter)
        self._fit_gutter()

    def gutter_width(self) -> int:
        digits = len(str(max(1, self.blockCount())))
        return 12 + self.fontMetrics().horizontalAdvance("9") * max(digits, 2)

    def _fit_gutter(self) -> None:
        self.setViewportMargins(self.gutter_width(), 0, 0, 0)

    def _scroll_gutter(self, rect: QRect, dy: int) -> None:
        if dy:
            self.gutter.scroll(0, dy)
        else:
            self.gutter.update(0, rect.y(), self.gutter.width(), rect.height())

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        area = self.contentsRect()
        self.gutter.setGeometry(QRect(area.left(), area.top(), self.gutter_width(), area.height()))

    def keyPressEvent(self, event: Any) -> None:
        if event.key() == Qt.Key.Key_Tab and not event.modifiers():
            self.insertPlainText("  ")
            return
        super().keyPressEvent(event)


class PropertyEditor(QWidget):
    """Edits one property value as JSON. Signals: ``applied(name, value)``, ``validity_changed``."""

    applied = Signal(str, object)
    validity_changed = Signal(bool)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._name = ""
        self._original = ""
        self._editable = True
        self._valid = True
        self._new = False

        self.title = QLabel()
        self.title.setTextFormat(Qt.TextFormat.PlainText)
        font = self.title.font()
        font.setBold(True)
        self.title.setFont(font)
        self.name_edit = QLineEdit()
        self.name_edit.setPlaceholderText("new property name")
        self.name_edit.textChanged.connect(self._validate)
        self.name_edit.hide()

        self.text = JsonTextEdit()
        self.text.setObjectName("json-editor")
        self.text.textChanged.connect(self._validate)

        self.status = QLabel()
        self.status.setTextFormat(Qt.TextFormat.PlainText)
        self.status.setWordWrap(True)

        self.format_button = QPushButton("Format")
        self.format_button.setToolTip("Pretty-print the JSON (Ctrl+Shift+I)")
        self.format_button.clicked.connect(self.pretty_print)
        self.undo_button = QPushButton("Undo typing")
        self.undo_button.clicked.connect(self.text.undo)
        self.undo_button.setEnabled(False)
        self.redo_button = QPushButton("Redo typing")
        self.redo_button.clicked.connect(self.text.redo)
        self.redo_button.setEnabled(False)
        self.text.undoAvailable.connect(self.undo_button.setEnabled)
        self.text.redoAvailable.connect(self.redo_button.setEnabled)
        self.reset_button = QPushButton("Reset")
        self.reset_button.setToolTip("Put back the value this editor started with")
        self.reset_button.clicked.connect(self.reset)
        self.apply_button = QPushButton("Apply as pending edit")
        self.apply_button.setToolTip(
            "Record this value as a pending edit (Ctrl+Enter); nothing is written until Save"
        )
        self.apply_button.setDefault(True)
        self.apply_button.clicked.connect(self.apply)
        # only while the editor has focus, so they never collide with the window's keys
        # (Ctrl+Shift+F is the window's "search in values")
        for keys, slot in (("Ctrl+Return", self.apply), ("Ctrl+Shift+I", self.pretty_print)):
            shortcut = QShortcut(QKeySequence(keys), self, slot)
            shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)

        head = QHBoxLayout()
        head.addWidget(self.title)
        head.addWidget(self.name_edit, 1)
        head.addStretch()
        buttons = QHBoxLayout()
        buttons.addWidget(self.format_button)
        buttons.addWidget(self.undo_button)
        buttons.addWidget(self.redo_button)
        buttons.addStretch()
        buttons.addWidget(self.reset_button)
        buttons.addWidget(self.apply_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 4, 0, 0)
        layout.addLayout(head)
        layout.addWidget(self.text, 1)
        layout.addWidget(self.status)
        layout.addLayout(buttons)
        self.clear()

    # -- content -----------------------------------------------------------------

    @property
    def name(self) -> str:
        return self.name_edit.text().strip() if self._new else self._name

    @property
    def is_new(self) -> bool:
        return self._new

    def set_value(self, name: str, value: Any, *, editable: bool = True, note: str = "") -> None:
        """Show ``value`` of property ``name``; ``editable=False`` shows it read-only.

        A value whose JSON is longer than ``TEXT_LIMIT`` is not loaded into the
        editor (it would freeze the window): the editor says so instead.
        """
        self._new = False
        self._name = name
        self.name_edit.hide()
        self.title.setText(name)
        if json_longer_than(value, TEXT_LIMIT):
            self._load(
                "",
                False,
                f"{name} is more than {TEXT_LIMIT // 1024} KB of JSON: too large to edit "
                "here. Export the item, edit the file and import it, or use the command line.",
            )
            return
        self._load(format_json(value), editable, note)

    def set_masked(self, name: str, masked_text: str, note: str) -> None:
        """Show a masked value read-only with ``note`` (how to reveal it)."""
        self._new = False
        self._name = name
        self.name_edit.hide()
        self.title.setText(name)
        self._load(masked_text, False, note)

    def start_new(self, value: Any = None) -> None:
        """Switch to adding a property: editable name, ``value`` (``{}`` by default)."""
        self._new = True
        self._name = ""
        self.title.setText("New property:")
        self.name_edit.clear()
        self.name_edit.show()
        self._load(format_json({} if value is None else value), True, "")
        self.name_edit.setFocus()

    def clear(self) -> None:
        """No property selected."""
        self._new = False
        self._name = ""
        self.name_edit.hide()
        self.title.setText("No property selected")
        self._load("", False, "Select a property to see or edit its value.")

    def _load(self, text: str, editable: bool, note: str) -> None:
        self._editable = editable
        self._original = text
        self._note = note
        self.text.highlighter.set_text(self.text, text)  # also clears the undo history
        self.text.setReadOnly(not editable)
        for button in (self.format_button, self.reset_button):
            button.setEnabled(editable)
        self._validate()

    def text_value(self) -> str:
        return self.text.toPlainText()

    def set_text(self, text: str) -> None:
        """Replace the text as an undoable edit (like typing it)."""
        cursor = self.text.textCursor()
        cursor.select(QTextCursor.SelectionType.Document)
        cursor.insertText(text)

    @property
    def is_modified(self) -> bool:
        return self._editable and (self._new or self.text_value() != self._original)

    @property
    def is_valid(self) -> bool:
        return self._valid

    def value(self) -> Any:
        """The parsed value; ``ValueError`` with line and column if the text is not JSON."""
        try:
            return json.loads(self.text_value())
        except json.JSONDecodeError as exc:
            raise ValueError(f"line {exc.lineno}, column {exc.colno}: {exc.msg}") from None
        except RecursionError:
            raise ValueError("nested too deeply") from None

    # -- actions -----------------------------------------------------------------

    def pretty_print(self) -> None:
        """Re-indent the text (undoable); does nothing while the text is invalid."""
        if not self._editable:
            return
        try:
            pretty = format_json(self.value())
        except ValueError:
            return
        if pretty != self.text_value():
            self.set_text(pretty)

    def reset(self) -> None:
        if self._editable and self.text_value() != self._original:
            self.set_text(self._original)

    def apply(self) -> bool:
        """Emit ``applied`` with the parsed value; ``False`` if blocked (invalid, no name)."""
        self._validate()
        if not self._editable or not self._valid:
            return False
        value = self.value()
        name = self.name
        self.applied.emit(name, value)
        return True

    # -- validation --------------------------------------------------------------

    def _validate(self) -> None:
        error = ""
        line = 0
        if self._editable:
            try:
                self.value()
            except ValueError as exc:
                error = f"Invalid JSON, {exc}"
                try:
                    json.loads(self.text_value())
                except json.JSONDecodeError as decode_error:
                    line = decode_error.lineno
                except RecursionError:
                    line = 0
            if not error and self._new and not self.name:
                error = "Give the new property a name"
        valid = not error
        self._show_error_line(line if error else 0)
        if error:
            self.status.setText("✗ " + error)
            self.status.setStyleSheet(f"color: {style.danger().name()}")
        elif self._editable:
            changed = " · changed, not applied yet" if self.is_modified else ""
            self.status.setText("✓ Valid JSON" + changed)
            self.status.setStyleSheet(f"color: {style.ok().name()}")
        else:
            self.status.setText(self._note)
            self.status.setStyleSheet(f"color: {style.muted().name()}")
        self.apply_button.setEnabled(valid and self._editable)
        if valid != self._valid:
            self._valid = valid
            self.validity_changed.emit(valid)

    def _show_error_line(self, line: int) -> None:
        self.text.error_line = max(line, 0)
        self.text.gutter.update()
        if line <= 0:
            self.text.setExtraSelections([])
            return
        block = self.text.document().findBlockByLineNumber(line - 1)
        selection = QTextEdit.ExtraSelection()
        selection.format.setBackground(style.json_colors()["error"])
        selection.format.setProperty(QTextFormat.Property.FullWidthSelection, True)
        cursor = QTextCursor(block)
        selection.cursor = cursor
        self.text.setExtraSelections([selection])

    @property
    def error_line(self) -> int:
        """The 1-based line marked as wrong, 0 if none."""
        selections = self.text.extraSelections()
        return selections[0].cursor.blockNumber() + 1 if selections else 0

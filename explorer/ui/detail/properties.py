"""``PropertiesModel``: the top-level properties of an ``EditSession`` draft as a table.

Columns: Property (with ● when it has a pending edit), Type (a badge; class
names from ``py/object`` / ``$type`` shown muted, never resolved), Value (a
one-line preview). Properties removed in the draft stay listed, struck
through, so a pending removal is visible and can be undone.

The model only adapts the session: ``data()`` does no I/O and never changes
anything; ``refresh()`` (called on every session change) resets the rows.
``setData`` on a scalar value (the Value column) makes a pending edit of the
session, never a write; objects and arrays are edited in the JSON editor.
Values pass through ``Redaction`` before they are shown.
"""

from __future__ import annotations

import json
from typing import Any

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QFont

from explorer.ui.detail import style
from explorer.ui.detail.redaction import Redaction
from explorer.ui.detail.values import preview, type_badge
from explorer.ui.models.columns import ColumnsTableModel
from explorer.workspace.session import EditSession

_BASE = int(Qt.ItemDataRole.UserRole) + 100
#: the property name of a row (str)
PROPERTY_NAME_ROLE = _BASE + 1
#: "added" | "removed" | "modified" | "" for a row
CHANGE_ROLE = _BASE + 2
#: the value as shown (masked when redacted); ``MISSING`` for a removed property
VALUE_ROLE = _BASE + 3

PENDING_MARK = "●"

Index = QModelIndex | QPersistentModelIndex


class PropertiesModel(ColumnsTableModel):
    """Rows: draft properties in stored order, then pending removals."""

    COLUMNS = ("Property", "Type", "Value")

    def __init__(self, redaction: Redaction | None = None) -> None:
        super().__init__()
        self.redaction = redaction
        self.session: EditSession | None = None
        #: cells may be edited (the pane turns it off on read-only stores)
        self.editable = True
        self._rows: list[tuple[str, Any, str]] = []

    def set_session(self, session: EditSession | None) -> None:
        self.session = session
        self.refresh()

    def refresh(self) -> None:
        """Re-read the session (after an edit, undo, save or a redaction change)."""
        self.beginResetModel()
        self._rows = []
        session = self.session
        if session is not None:
            changes = session.changes()
            for name in session.property_names():
                kind = changes[name].kind if name in changes else ""
                self._rows.append((name, self._shown(name, session.draft[name]), kind))
            for name, change in changes.items():
                if change.kind == "removed":
                    value = self._shown(name, session.document[name])
                    self._rows.append((name, value, "removed"))
        self.endResetModel()

    def _shown(self, name: str, value: Any) -> Any:
        session = self.session
        if self.redaction is None or session is None:
            return value
        return self.redaction.view_value(session.store, session.key, name, value)

    def row_of(self, name: str) -> int:
        """The row of property ``name``, -1 if it is not listed."""
        return next((i for i, row in enumerate(self._rows) if row[0] == name), -1)

    def name_at(self, row: int) -> str | None:
        return self._rows[row][0] if 0 <= row < len(self._rows) else None

    # -- Qt model ----------------------------------------------------------------

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def flags(self, index: Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        flags = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
        if index.column() == 2 and self._inline_editable(index.row()):
            flags |= Qt.ItemFlag.ItemIsEditable
        return flags

    def _inline_editable(self, row: int) -> bool:
        """Scalars (text, number, boolean, null) are edited in the cell; the rest in the editor."""
        if not self.editable or self.session is None or not 0 <= row < len(self._rows):
            return False
        name, value, change = self._rows[row]
        if change == "removed" or isinstance(value, dict | list):
            return False
        return value is self.session.draft.get(name)  # not a masked copy

    def setData(self, index: Index, value: Any, role: int = Qt.ItemDataRole.EditRole) -> bool:
        """A cell edit becomes a pending edit of the session (never a write).

        Text typed over a string stays a string; over anything else it must be
        JSON (``12``, ``true``, ``null``, ``"text"``), else nothing changes.
        """
        if role != Qt.ItemDataRole.EditRole or not index.isValid() or index.column() != 2:
            return False
        if not self._inline_editable(index.row()) or self.session is None:
            return False
        name, current, _ = self._rows[index.row()]
        text = str(value)
        if isinstance(current, str):
            new: Any = text
        else:
            try:
                new = json.loads(text)
            except (json.JSONDecodeError, RecursionError):
                return False
        try:
            self.session.set_property(name, new)  # refresh() follows through the listener
        except ValueError:
            return False
        return True

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        name, value, change = self._rows[index.row()]
        column = index.column()
        if role == PROPERTY_NAME_ROLE:
            return name
        if role == CHANGE_ROLE:
            return change
        if role == VALUE_ROLE:
            return value
        badge = type_badge(value)
        if role == Qt.ItemDataRole.DisplayRole:
            if column == 0:
                return f"{name}  {PENDING_MARK}" if change else name
            if column == 1:
                return badge.text
            if column == 2:
                return "(removed on save)" if change == "removed" else preview(value)
        if role == Qt.ItemDataRole.ToolTipRole:
            if column == 0:
                hint = {"added": "added", "removed": "removed", "modified": "edited"}.get(change)
                return f"{name}: {hint}, not saved yet" if hint else name
            if column == 1:
                return badge.full or badge.text
            if column == 2:
                return preview(value, 1000)
        if role == Qt.ItemDataRole.ForegroundRole:
            if column == 0 and change:
                return style.pending()
            if column == 1 and badge.tagged:
                return style.muted()
            if change == "removed":
                return style.muted()
        if role == Qt.ItemDataRole.FontRole:
            font = QFont()
            if change == "removed":
                font.setStrikeOut(column == 0)
                font.setItalic(column == 2)
                return font
            if column == 1 and badge.tagged:
                font.setItalic(True)
                return font
        if role == Qt.ItemDataRole.EditRole and column == 2:
            return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
        if role == Qt.ItemDataRole.AccessibleTextRole and column == 0:
            return f"{name}, pending edit" if change else name
        return None

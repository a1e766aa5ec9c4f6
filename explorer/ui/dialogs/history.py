"""History models and the audit log viewer.

``BackupsModel`` lists the local backups of one key (newest first) and
``AuditModel`` audit entries; both are plain table models over lists, filled
by their owner after an async read (``data()`` never does I/O).
``AuditDialog`` shows the whole audit log with a text filter; it reads the log
in a worker thread through ``AuditLog.entries``.

No values are shown here: backups are listed by version, time, action, etag
and size; the audit log holds no values unless the user opted in.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
)
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QLineEdit,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from explorer.ui.detail import style
from explorer.ui.models.columns import ColumnsTableModel
from explorer.workspace.audit import AuditEntry, AuditLog
from explorer.workspace.backups import Backup

Index = QModelIndex | QPersistentModelIndex
_BASE = int(Qt.ItemDataRole.UserRole) + 120
#: the ``Backup`` / ``AuditEntry`` behind a row
RECORD_ROLE = _BASE + 1


def local_time(iso: str | None) -> str:
    """An ISO 8601 UTC time as local ``YYYY-MM-DD HH:MM:SS`` (the text if unparsable)."""
    if not iso:
        return ""
    try:
        return datetime.fromisoformat(iso).astimezone().strftime("%Y-%m-%d %H:%M:%S")
    except ValueError:
        return iso


def _size(value: int | None) -> str:
    return "" if value is None else f"{value:,} B"


def _short(etag: str | None) -> str:
    if not etag:
        return "–"
    return etag if len(etag) <= 18 else etag[:8] + "…" + etag[-8:]


class _ListModel(ColumnsTableModel):
    COLUMNS: tuple[str, ...] = ()

    def __init__(self) -> None:
        super().__init__()
        self._records: list[Any] = []

    def set_records(self, records: Sequence[Any]) -> None:
        self.beginResetModel()
        self._records = list(records)
        self.endResetModel()

    def record(self, row: int) -> Any:
        return self._records[row] if 0 <= row < len(self._records) else None

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._records)

    def flags(self, index: Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable

    def cells(self, record: Any) -> tuple[str, ...]:
        raise NotImplementedError

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._records):
            return None
        record = self._records[index.row()]
        if role == RECORD_ROLE:
            return record
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            return self.cells(record)[index.column()]
        return None


class BackupsModel(_ListModel):
    """Backups of one key, newest first: what the item was before each change."""

    COLUMNS = ("Version", "Saved before", "Time", "Etag then", "Size", "Outcome")

    def set_records(self, records: Sequence[Any]) -> None:
        super().set_records(sorted(records, key=lambda b: b.version, reverse=True))

    def cells(self, record: Backup) -> tuple[str, ...]:
        outcome = {"applied": "written", "pending": "in flight", "unknown": "unknown"}.get(
            record.state, record.state
        )
        return (
            str(record.version),
            record.action if record.existed else f"{record.action} (item was absent)",
            local_time(record.time),
            _short(record.etag),
            _size(record.size),
            outcome,
        )

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role == Qt.ItemDataRole.ForegroundRole and index.isValid():
            record = self.record(index.row())
            if record is not None and record.state != "applied":
                return style.danger()
        return super().data(index, role)


class AuditModel(_ListModel):
    """Audit entries, newest first."""

    COLUMNS = ("Time", "User", "Profile", "Action", "Outcome", "Etag", "Size", "Key")
    KEY_COLUMN = 7

    def set_records(self, records: Sequence[Any]) -> None:
        super().set_records(sorted(records, key=lambda e: e.time, reverse=True))

    def cells(self, record: AuditEntry) -> tuple[str, ...]:
        return (
            local_time(record.time),
            record.user,
            record.profile or "",
            record.action,
            record.outcome,
            f"{_short(record.old_etag)} → {_short(record.new_etag)}",
            _size(record.size),
            record.key,
        )

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role == Qt.ItemDataRole.ForegroundRole and index.isValid():
            record = self.record(index.row())
            if record is not None and record.outcome != "ok":
                return style.danger()
        if role == Qt.ItemDataRole.ToolTipRole and index.isValid():
            record = self.record(index.row())
            if record is not None and record.detail:
                return record.detail
        return super().data(index, role)


def table_view(model: QAbstractTableModel | QSortFilterProxyModel) -> QTableView:
    view = QTableView()
    view.setModel(model)
    view.setSelectionBehavior(QTableView.SelectionBehavior.SelectRows)
    view.setSelectionMode(QTableView.SelectionMode.SingleSelection)
    view.verticalHeader().hide()
    view.setAlternatingRowColors(True)
    view.setWordWrap(False)
    # keys and etags differ at their ends: keep both ends (a channel and an id) visible
    view.setTextElideMode(Qt.TextElideMode.ElideMiddle)
    header = view.horizontalHeader()
    header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
    header.setStretchLastSection(True)
    return view


class AuditDialog(QDialog):
    """The audit log of this machine: every write and delete, filterable by any text."""

    def __init__(self, audit: AuditLog, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Audit log")
        self.resize(980, 520)
        self.audit = audit
        self.model = AuditModel()
        self.proxy = QSortFilterProxyModel(self)
        self.proxy.setSourceModel(self.model)
        self.proxy.setFilterCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.proxy.setFilterKeyColumn(-1)
        self.filter = QLineEdit()
        self.filter.setPlaceholderText("Filter by key, user, action, outcome…")
        self.filter.setClearButtonEnabled(True)
        self.filter.textChanged.connect(self.proxy.setFilterFixedString)
        self.view = table_view(self.proxy)
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.filter)
        layout.addWidget(self.view, 1)
        layout.addWidget(self.summary)
        layout.addWidget(buttons)

    async def load(self) -> None:
        """Read the log (in a worker thread) and show it, newest first."""
        entries = await self.audit.entries()
        self.model.set_records(entries)
        self.view.resizeColumnsToContents()
        skipped = f"; {self.audit.skipped} damaged lines skipped" if self.audit.skipped else ""
        count = len(entries)
        self.summary.setText(
            f"{count:,} entr{'y' if count == 1 else 'ies'} in {self.audit.path}{skipped}. "
            "Values are not recorded unless you opted in."
        )


async def show_audit_log(audit: AuditLog, parent: QWidget | None = None) -> None:
    """Open the audit log viewer (non-blocking for the event loop) and wait until closed."""
    from explorer.ui.dialogs.modal import run_dialog

    dialog = AuditDialog(audit, parent)
    await dialog.load()
    await run_dialog(dialog)
    dialog.deleteLater()

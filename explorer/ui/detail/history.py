"""The History tab: local backups of this key and its audit entries.

Backups are what the item was before each change this tool made. "Revert to
this version" and "Revert last save" emit ``revert_requested(backup)``; the
detail pane turns that into a pending edit (nothing is written until Save).
Both lists are read asynchronously in ``load``; without a backup store or
audit log (a demo store) the tab says so.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from explorer.storage.base import Storage
from explorer.ui.dialogs.history import AuditModel, BackupsModel, table_view
from explorer.workspace.audit import AuditLog
from explorer.workspace.backups import Backup, BackupStore, store_identity


class HistoryView(QWidget):
    """Backups (top) and audit entries (bottom) of one item."""

    revert_requested = Signal(object)  # Backup
    #: the lists were (re)read or cleared
    loaded = Signal()
    #: the user asked for the whole audit log
    audit_requested = Signal()

    def __init__(
        self,
        backups: BackupStore | None = None,
        audit: AuditLog | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.backups = backups
        self.audit = audit
        self.backups_model = BackupsModel()
        self.audit_model = AuditModel()
        self.backups_view = table_view(self.backups_model)
        self.audit_view = table_view(self.audit_model)
        self.audit_view.setColumnHidden(AuditModel.KEY_COLUMN, True)  # it is this key
        self.backups_view.selectionModel().selectionChanged.connect(self._update_buttons)
        self.backups_view.doubleClicked.connect(lambda *_: self.revert_selected())

        self.note = QLabel()
        self.note.setWordWrap(True)
        self.revert_button = QPushButton("Revert to this version")
        self.revert_button.setToolTip(
            "Make this version the draft (a pending edit; Save writes it)"
        )
        self.revert_button.clicked.connect(self.revert_selected)
        self.revert_last_button = QPushButton("Revert last save")
        self.revert_last_button.setToolTip(
            "Make the version before the last save made with this tool the draft"
        )
        self.revert_last_button.clicked.connect(self.revert_last)

        buttons = QHBoxLayout()
        buttons.addWidget(self.note, 1)
        buttons.addWidget(self.revert_last_button)
        buttons.addWidget(self.revert_button)
        top = QWidget()
        top_box = QVBoxLayout(top)
        top_box.setContentsMargins(0, 0, 0, 0)
        top_box.addWidget(QLabel("<b>Backups</b> — the stored form before each change"))
        top_box.addWidget(self.backups_view)
        top_box.addLayout(buttons)
        bottom = QWidget()
        bottom_box = QVBoxLayout(bottom)
        bottom_box.setContentsMargins(0, 0, 0, 0)
        audit_bar = QHBoxLayout()
        audit_bar.addWidget(QLabel("<b>Audit log</b> — every attempt, also refused ones"), 1)
        self.audit_button = QPushButton("Whole audit log…")
        self.audit_button.setToolTip("Every write and delete made with this tool on this machine")
        self.audit_button.clicked.connect(self.audit_requested)
        self.audit_button.setEnabled(audit is not None)
        audit_bar.addWidget(self.audit_button)
        bottom_box.addLayout(audit_bar)
        bottom_box.addWidget(self.audit_view)
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(top)
        splitter.addWidget(bottom)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 4, 0, 0)
        layout.addWidget(splitter)
        self.editable = True
        self.clear()

    def clear(self) -> None:
        self.backups_model.set_records([])
        self.audit_model.set_records([])
        self.note.setText("")
        self._update_buttons()
        self.loaded.emit()

    async def load(self, store: Storage, key: str) -> None:
        """Read the backups and audit entries of ``key`` in ``store``."""
        name = store_identity(store)
        backups = await self.backups.history(name, key) if self.backups else []
        entries = await self.audit.entries(store=name, key=key) if self.audit else []
        self.backups_model.set_records(backups)
        self.audit_model.set_records(entries)
        self.backups_view.resizeColumnsToContents()
        self.audit_view.resizeColumnsToContents()
        if self.backups is None:
            self.note.setText("No backup store in this session: changes are not backed up.")
        elif not backups:
            self.note.setText("No backups yet: only changes made with this tool are backed up.")
        else:
            self.note.setText(f"{len(backups)} backup{'s' * (len(backups) != 1)}")
        self._update_buttons()
        self.loaded.emit()

    def set_editable(self, editable: bool) -> None:
        self.editable = editable
        self._update_buttons()

    def selected_backup(self) -> Backup | None:
        rows = self.backups_view.selectionModel().selectedRows()
        return self.backups_model.record(rows[0].row()) if rows else None

    def last_saved_backup(self) -> Backup | None:
        """The backup made by the newest change that was written (what it replaced)."""
        for row in range(self.backups_model.rowCount()):
            backup: Backup = self.backups_model.record(row)
            if backup.state == "applied":
                return backup
        return None

    def revert_selected(self) -> None:
        backup = self.selected_backup()
        if backup is not None and self.editable:
            self.revert_requested.emit(backup)

    def revert_last(self) -> None:
        backup = self.last_saved_backup()
        if backup is not None and self.editable:
            self.revert_requested.emit(backup)

    def _update_buttons(self, *_: object) -> None:
        self.revert_button.setEnabled(self.editable and self.selected_backup() is not None)
        self.revert_last_button.setEnabled(self.editable and self.last_saved_backup() is not None)

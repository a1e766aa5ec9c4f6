"""``CopyStateDialog``: copy the selected state to another id, or to another connection.

A view over ``workspace.copying``: "To" picks this connection or another open
one; "Id or key" takes another user (or conversation) id, which keeps the
key's shape (channel, agent, trailing ``/``), or a whole key. The copy is
written in the target's own form (key suffix, blob name, Cosmos id of its
detected dialect), backed up and audited; "Redact values" masks them with the
window's redaction rules (production to a dev store); an existing item is only
replaced with "Replace it if it exists". ``copy`` can be awaited directly.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from explorer.core.items import RawItem
from explorer.storage.base import Storage
from explorer.ui.detail import style
from explorer.ui.dialogs.compare import Target
from explorer.ui.tasks import TaskRunner
from explorer.workspace.copying import copy_item, key_with_id, plan_copy
from explorer.workspace.redact import RedactionRules
from explorer.workspace.safe_write import SafeWriter


class CopyStateDialog(QDialog):
    """Copy ``key`` of ``source`` to another id or connection; ``on_copied(target, item)``."""

    def __init__(
        self,
        key: str,
        source: Target,
        targets: Sequence[Target],
        runner: TaskRunner,
        writer_for: Callable[[Storage], SafeWriter],
        *,
        rules: RedactionRules | None = None,
        on_copied: Callable[[Target, RawItem], None] | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.key, self.source = key, source
        self.targets = [source, *(t for t in targets if t.store is not source.store)]
        self.runner, self.writer_for = runner, writer_for
        self.rules = rules or RedactionRules()
        self.on_copied = on_copied
        self.setWindowTitle("Copy state to")
        self.resize(720, 260)

        heading = QLabel(f"Copy {key}\nfrom {source.name}")
        heading.setTextFormat(Qt.TextFormat.PlainText)
        heading.setWordWrap(True)
        self.to_box = QComboBox()
        for target in self.targets:
            self.to_box.addItem(target.name if target is not source else f"{target.name} (this)")
        self.id_edit = QLineEdit(key)
        self.id_edit.setPlaceholderText("another user id (e.g. 29:1NEW), or a whole key")
        self.redact_box = QCheckBox("&Redact values (names, emails, phones, tokens)")
        self.replace_box = QCheckBox("Re&place it if it exists (backed up first)")
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setTextFormat(Qt.TextFormat.PlainText)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        copy_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        copy_button.setText("&Copy")
        self.buttons.accepted.connect(self._copy_clicked)
        self.buttons.rejected.connect(self.reject)
        form = QFormLayout()
        form.addRow("&To:", self.to_box)
        form.addRow("&Id or key:", self.id_edit)
        form.addRow("", self.redact_box)
        form.addRow("", self.replace_box)
        layout = QVBoxLayout(self)
        layout.addWidget(heading)
        layout.addLayout(form)
        layout.addWidget(self.message)
        layout.addStretch()
        layout.addWidget(self.buttons)

    def target(self) -> Target:
        return self.targets[max(self.to_box.currentIndex(), 0)]

    def target_key(self) -> str:
        text = self.id_edit.text().strip()
        return text if text == self.key else key_with_id(self.key, text)

    async def copy(self) -> RawItem:
        """Copy as the fields say; returns the written item (its key and stored name)."""
        target = self.target()
        plan = await plan_copy(
            self.source.store,
            self.key,
            target.store,
            self.target_key(),
            same_store=target.store is self.source.store,
            redact=self.rules if self.redact_box.isChecked() else None,
        )
        written = await copy_item(
            self.writer_for(target.store), target.store, plan,
            overwrite=self.replace_box.isChecked(),
        )  # fmt: skip
        where = "" if written.stored_name == written.key else f" (stored as {written.stored_name})"
        self.message.setText(f"Copied to {written.key}{where} in {target.name}.")
        if self.on_copied is not None:
            self.on_copied(target, written)
        return written

    def _copy_clicked(self) -> None:
        try:
            self.target_key()
        except ValueError as exc:
            self.message.setText(str(exc))
            self.message.setStyleSheet(f"color: {style.danger().name()}")
            return

        async def work(_handle: Any) -> RawItem:
            return await self.copy()

        self.runner.start(f"Copying {self.key}", work, on_result=lambda _item: self.accept())

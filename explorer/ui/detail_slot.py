"""The right-hand side of the window: the detail pane and the pending edits.

``make_detail`` builds the real ``DetailPane`` and ``PendingEdits`` when they
are available and otherwise a read-only ``PlaceholderDetail`` that shows the
selected item's stored form, so the window is always usable.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import QLabel, QPlainTextEdit, QVBoxLayout, QWidget

from explorer.storage.base import Storage
from explorer.ui.tasks import TaskRunner


class PlaceholderDetail(QWidget):
    """Shows the selected item's key, stored name, etag, size and JSON, read-only."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.title = QLabel()
        self.title.setWordWrap(True)
        self.meta = QLabel()
        self.meta.setWordWrap(True)
        self.body = QPlainTextEdit()
        self.body.setReadOnly(True)
        self.body.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        layout = QVBoxLayout(self)
        layout.addWidget(self.title)
        layout.addWidget(self.meta)
        layout.addWidget(self.body, 1)
        self.clear()

    def clear(self) -> None:
        self.title.setText("<h3>Nothing selected</h3>")
        self.meta.setText("Select a user, conversation or other key in the tree.")
        self.body.clear()

    async def open_item(self, store: Storage, key: str) -> None:
        items = await store.read_raw([key])
        item = items.get(key)
        self.title.setText(f"<h3>{key}</h3>")
        if item is None:
            self.meta.setText("This key no longer exists in the store.")
            self.body.clear()
            return
        modified = f"{item.last_modified:%Y-%m-%d %H:%M}" if item.last_modified else "–"
        self.meta.setText(
            f"stored as {item.stored_name} · etag {item.etag or '–'} · "
            f"{item.size:,} bytes · modified {modified} · dialect {item.dialect}"
        )
        try:
            text = json.dumps(store.decode(item), indent=2, ensure_ascii=False)
        except Exception as exc:  # shown, not raised: the item is still listed
            text = f"(cannot show this body: {exc})"
        self.body.setPlainText(text)


def make_detail(data_dir: Path, runner: TaskRunner) -> tuple[QWidget, Any]:
    """``(detail widget, pending edits or None)``."""
    return PlaceholderDetail(), None

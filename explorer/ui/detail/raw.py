"""The Raw JSON tab: the stored body, read-only, pretty-printed or byte for byte.

Modes: "Stored, formatted" (the stored body parsed and indented, member order
kept), "Stored, exact" (the bytes as stored, decoded as UTF-8 with
replacement characters for invalid bytes), "Draft as it will be written" (the
body ``save`` would write, formatted). In redaction mode the formatted views
show masked values and the exact view is hidden until the item is revealed.
"""

from __future__ import annotations

import json
from typing import Any

from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from explorer.core.items import RawItem
from explorer.ui.detail import style
from explorer.ui.detail.header import human_size
from explorer.ui.detail.jsonview import JsonView
from explorer.ui.detail.redaction import Redaction
from explorer.ui.detail.values import RAW_LINE_LIMIT, TEXT_LIMIT, clip_note
from explorer.workspace.session import EditSession

MODES = ("Stored, formatted", "Stored, exact bytes", "Draft as it will be written")


def _pretty(document: Any) -> str:
    return json.dumps(document, indent=2, ensure_ascii=False)


class RawView(QWidget):
    """Read-only view of the stored body (or of the draft's encoded body)."""

    def __init__(self, redaction: Redaction | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.redaction = redaction
        self.session: EditSession | None = None
        self.item: RawItem | None = None
        self.mode = QComboBox()
        self.mode.addItems(MODES)
        self.mode.currentIndexChanged.connect(lambda *_: self.refresh())
        self.info = QLabel()
        self.info.setStyleSheet(f"color: {style.muted().name()}")
        self.text = JsonView()
        self.text.setObjectName("raw-json")
        bar = QHBoxLayout()
        bar.addWidget(self.mode)
        bar.addWidget(self.info, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 4, 0, 0)
        layout.addLayout(bar)
        layout.addWidget(self.text, 1)

    def set_item(self, item: RawItem | None, session: EditSession | None) -> None:
        """Show ``item``; ``session`` (if the body decoded) gives the draft."""
        self.item = item
        self.session = session
        self.refresh()

    def _masked(self) -> bool:
        item = self.item
        return (
            self.redaction is not None
            and item is not None
            and self.redaction.is_masked(self.session.store if self.session else None, item.key)
        )

    def refresh(self) -> None:
        item = self.item
        if item is None:
            self.text.show_text("")
            self.info.setText("")
            return
        mode = self.mode.currentIndex()
        masked = self._masked()
        if mode == 1:
            if masked:
                text = "Exact bytes are hidden in redaction mode: reveal this item to see them."
            else:
                text = item.body.decode("utf-8", errors="replace")
            info = f"{human_size(item.size)} as stored · {item.content_type}"
        elif mode == 2 and self.session is not None:
            encoded = self.session.encoded()
            if encoded is None:
                text, info = "", "The state will be deleted on save."
            else:
                document = self.session.store.decode(encoded)
                text = _pretty(self._view(document))
                info = f"{human_size(encoded.size)} will be written (formatted here)"
        elif item.size > TEXT_LIMIT and not masked:
            text = item.body.decode("utf-8", errors="replace")
            info = f"{human_size(item.size)} stored: too large to format here, shown as stored"
        else:
            try:
                document = json.loads(item.body.decode("utf-8-sig"))
                text = _pretty(self._view(document))
                info = f"{human_size(item.size)} stored (formatted here; member order kept)"
            except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
                text = item.body.decode("utf-8", errors="replace")
                info = "The body is not valid JSON: shown as text"
        # a body too large to format is one long line: show less of it
        limit = RAW_LINE_LIMIT if "\n" not in text[:RAW_LINE_LIMIT] else TEXT_LIMIT
        if self.text.show_text(text, limit):
            info = clip_note(len(text), limit)
        self.info.setText(info + (" · values masked" if masked else ""))

    def _view(self, document: Any) -> Any:
        if self.redaction is None or self.item is None:
            return document
        store = self.session.store if self.session else None
        return self.redaction.view_document(store, self.item.key, document)

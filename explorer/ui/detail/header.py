"""The header of the detail pane: which item, how it is stored, and a copy menu.

The key is elided in the middle (both ends of a Teams id matter), with the full
key in the tooltip and Copy actions for key, stored name/id and etag. The
second line lists stored name, dialect, etag, size and last modified; the
kind ("user state", ...) and a .NET top-level ``$type`` are shown on the right.
"""

from __future__ import annotations

import html
from typing import Any

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QAction, QGuiApplication, QPainter, QPaintEvent
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QMenu,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from explorer.core.items import RawItem
from explorer.state.keys import parse_key
from explorer.ui.detail import style

KIND_LABELS = {
    "user": "user state",
    "conversation": "conversation state",
    "private": "private conversation state",
    "other": "other key",
}


class ElidedLabel(QWidget):
    """One line of text elided in the middle to the available width; full text as tooltip."""

    def __init__(self, text: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._text = text
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setToolTip(text)

    def text(self) -> str:
        return self._text

    def setText(self, text: str) -> None:
        self._text = text
        self.setToolTip(text)
        self.updateGeometry()
        self.update()

    def displayed_text(self) -> str:
        return self.fontMetrics().elidedText(self._text, Qt.TextElideMode.ElideMiddle, self.width())

    def sizeHint(self) -> QSize:
        metrics = self.fontMetrics()
        return QSize(min(metrics.horizontalAdvance(self._text), 600), metrics.height() + 2)

    def minimumSizeHint(self) -> QSize:
        return QSize(80, self.fontMetrics().height() + 2)

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setPen(self.palette().color(self.foregroundRole()))
        painter.drawText(self.rect(), Qt.AlignmentFlag.AlignVCenter, self.displayed_text())


def human_size(size: int) -> str:
    if size < 1024:
        return f"{size} B"
    if size < 1024 * 1024:
        return f"{size / 1024:.1f} KB"
    return f"{size / 1024 / 1024:.1f} MB"


class ItemHeader(QWidget):
    """Key, kind and stored form of the item in the detail pane."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.item: RawItem | None = None
        self.key_label = ElidedLabel()
        font = self.key_label.font()
        font.setBold(True)
        font.setPointSizeF(font.pointSizeF() * 1.15)
        self.key_label.setFont(font)
        self.kind_label = QLabel()
        self.kind_label.setTextFormat(Qt.TextFormat.RichText)
        self.meta_label = QLabel()
        self.meta_label.setTextFormat(Qt.TextFormat.RichText)
        self.meta_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.meta_label.setWordWrap(True)

        self.copy_button = QToolButton()
        self.copy_button.setText("Copy")
        self.copy_button.setToolTip("Copy the key, the stored name/id or the etag")
        self.copy_button.setPopupMode(QToolButton.ToolButtonPopupMode.MenuButtonPopup)
        menu = QMenu(self.copy_button)
        self.copy_key_action = QAction("Copy key", self)
        self.copy_name_action = QAction("Copy stored name / id", self)
        self.copy_etag_action = QAction("Copy etag", self)
        self.copy_key_action.triggered.connect(lambda: self._copy("key"))
        self.copy_name_action.triggered.connect(lambda: self._copy("name"))
        self.copy_etag_action.triggered.connect(lambda: self._copy("etag"))
        for action in (self.copy_key_action, self.copy_name_action, self.copy_etag_action):
            menu.addAction(action)
        self.copy_button.setMenu(menu)
        self.copy_button.setDefaultAction(self.copy_key_action)
        self.copy_button.setText("Copy")

        top = QHBoxLayout()
        top.setSpacing(8)
        top.addWidget(self.key_label, 1)
        top.addWidget(self.copy_button)
        top.addWidget(self.kind_label)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 6, 8, 6)
        layout.setSpacing(2)
        layout.addLayout(top)
        layout.addWidget(self.meta_label)
        self.set_item(None)

    def _copy(self, what: str) -> None:
        item = self.item
        if item is None:
            return
        text = {"key": item.key, "name": item.stored_name, "etag": item.etag or ""}[what]
        QGuiApplication.clipboard().setText(text)

    def set_item(self, item: RawItem | None, document: Any = None) -> None:
        """Show ``item`` (``None``: nothing selected). ``document`` gives the ``$type``."""
        self.item = item
        self.copy_button.setEnabled(item is not None)
        if item is None:
            self.key_label.setText("No state selected")
            self.kind_label.setText("")
            self.meta_label.setText(
                _muted("Select a user or conversation in the tree to see its state.")
            )
            return
        self.key_label.setText(item.key)
        kind = KIND_LABELS[parse_key(item.key).kind]
        badge = f"<b>{html.escape(kind)}</b>"
        type_name = None
        if isinstance(document, dict):
            type_name = document.get("$type", document.get("py/object"))
        if isinstance(type_name, str):
            short = type_name.split(",", 1)[0]
            badge += f" &nbsp;<i>{_muted(short)}</i>"
        self.kind_label.setText(badge)
        self.kind_label.setToolTip(type_name if isinstance(type_name, str) else kind)
        parts = [
            ("stored as", "the key itself" if item.stored_name == item.key else item.stored_name),
            ("dialect", item.dialect),
            ("etag", item.etag or "none"),
            ("size", human_size(item.size)),
        ]
        if item.last_modified is not None:
            modified = item.last_modified.astimezone().strftime("%Y-%m-%d %H:%M:%S")
            parts.append(("modified", modified))
        self.meta_label.setText(
            " &nbsp;·&nbsp; ".join(
                f"{_muted(label)} {html.escape(value)}" for label, value in parts
            )
        )


def _muted(text: str) -> str:
    return f'<span style="color:{style.muted().name()}">{html.escape(text)}</span>'


def _middle(text: str, limit: int) -> str:
    """``text`` cut in the middle to ``limit`` characters (``…`` marks the cut)."""
    if len(text) <= limit:
        return text
    half = (limit - 1) // 2
    return text[:half] + "…" + text[-half:]

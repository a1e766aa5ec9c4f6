"""``Banner``: a one-line coloured message in the detail pane, with an optional button.

Kinds: ``info`` (muted), ``warn`` (amber: pending edits, a draft kept aside),
``error`` (red: deleted, cannot be read). Colours follow the palette.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QWidget

from explorer.ui.detail import style


class Banner(QFrame):
    """A one-line coloured message with an optional action button."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.label = QLabel()
        self.label.setWordWrap(True)
        self.label.setTextFormat(Qt.TextFormat.PlainText)
        self.button = QPushButton()
        self.button.hide()
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 4, 8, 4)
        layout.addWidget(self.label, 1)
        layout.addWidget(self.button)
        self.setObjectName("banner")
        self.hide()
        self._action: Any = None

    def show_message(
        self, text: str, kind: str = "info", action: tuple[str, Any] | None = None
    ) -> None:
        colors = {
            "info": style.muted(),
            "warn": style.pending(),
            "error": style.danger(),
        }
        color = colors.get(kind, style.muted())
        fill = QColor(color)
        fill.setAlpha(40)
        self.setStyleSheet(
            f"#banner {{ border: 1px solid {color.name()}; border-radius: 4px;"
            f" background: rgba({fill.red()},{fill.green()},{fill.blue()},{fill.alpha()}); }}"
        )
        self.label.setText(text)
        if self._action is not None:
            self.button.clicked.disconnect(self._action)
            self._action = None
        if action is not None:
            self.button.setText(action[0])
            self._action = action[1]
            self.button.clicked.connect(self._action)
        self.button.setVisible(action is not None)
        self.show()

    def hide_message(self) -> None:
        self.hide()

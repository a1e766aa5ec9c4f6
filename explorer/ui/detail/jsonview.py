"""``JsonView``: a read-only monospace text view of JSON that stays fast on large texts.

``show(text)`` clips the text to ``TEXT_LIMIT`` characters (Qt text widgets
take seconds to lay out megabytes) and highlights it only below
``HIGHLIGHT_LIMIT``; it returns whether the text was clipped so the owner can
say so.
"""

from __future__ import annotations

from PySide6.QtWidgets import QPlainTextEdit, QWidget

from explorer.ui.detail import style
from explorer.ui.detail.highlighter import JsonHighlighter
from explorer.ui.detail.values import TEXT_LIMIT, clip


class JsonView(QPlainTextEdit):
    """Read-only, no wrapping, highlighted when small."""

    def __init__(self, parent: QWidget | None = None, *, wrap: bool = False) -> None:
        super().__init__(parent)
        self.setReadOnly(True)
        self.setFont(style.mono_font())
        if not wrap:
            self.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.highlighter = JsonHighlighter(self.document())

    def show_text(self, text: str, limit: int = TEXT_LIMIT) -> bool:
        """Show ``text`` (clipped to ``limit`` characters); ``True`` if it was clipped."""
        shown, clipped = clip(text, limit)
        self.highlighter.set_text(self, shown)
        return clipped

"""Syntax highlighting for JSON text (keys, strings, numbers, literals, type tags).

JSON has no multi-line tokens, so each line (text block) is highlighted on its
own. Type-tag members (``py/object``, ``$type``...) are shown muted and
italic: they are metadata the bot's serializer needs, kept as stored.
"""

from __future__ import annotations

import re

from PySide6.QtGui import QFont, QSyntaxHighlighter, QTextCharFormat, QTextDocument
from PySide6.QtWidgets import QPlainTextEdit

from explorer.ui.detail import style
from explorer.ui.detail.values import HIGHLIGHT_LIMIT

_TOKEN = re.compile(
    r'(?P<string>"(?:\\.|[^"\\])*"?)(?P<colon>\s*:)?'
    r"|(?P<number>-?\b\d+(?:\.\d+)?(?:[eE][+-]?\d+)?\b)"
    r"|(?P<literal>\b(?:true|false|null)\b)"
)
#: lines longer than this switch highlighting off for the text
LONG_LINE = 4000
_TAG_KEYS = frozenset({'"py/object"', '"py/type"', '"py/reduce"', '"py/id"', '"$type"'})


class JsonHighlighter(QSyntaxHighlighter):
    """Colours JSON tokens in a ``QTextDocument``; colours follow light/dark mode."""

    def __init__(self, document: QTextDocument) -> None:
        super().__init__(document)
        self._target = document
        self._formats: dict[str, QTextCharFormat] = {}
        self.refresh_colors()

    def set_text(self, edit: QPlainTextEdit, text: str) -> None:
        """Put ``text`` into ``edit`` (whose document this highlights), highlighted if small.

        Highlighting runs over the whole text at once, so it is off above
        ``HIGHLIGHT_LIMIT`` characters; it is detached before the text changes
        so a large text is never highlighted, even once.
        """
        self.enabled = False
        edit.setPlainText(text)
        # a long single line (a compact body) is slow to paint with thousands of formats
        self.enabled = len(text) <= HIGHLIGHT_LIMIT and all(
            len(line) <= LONG_LINE for line in text.split("\n")
        )

    @property
    def enabled(self) -> bool:
        return self.document() is not None

    @enabled.setter
    def enabled(self, on: bool) -> None:
        if on and self.document() is None:
            self.setDocument(self._target)
        elif not on and self.document() is not None:
            self.setDocument(None)

    def refresh_colors(self) -> None:
        """Rebuild the formats from the palette (after a light/dark switch)."""
        colors = style.json_colors()
        for name in ("key", "string", "number", "literal"):
            fmt = QTextCharFormat()
            fmt.setForeground(colors[name])
            self._formats[name] = fmt
        tag = QTextCharFormat()
        tag.setForeground(colors["tag"])
        tag.setFontItalic(True)
        self._formats["tag"] = tag
        key = self._formats["key"]
        key.setFontWeight(QFont.Weight.DemiBold)
        self.rehighlight()

    def highlightBlock(self, text: str) -> None:
        tag_line = False
        for match in _TOKEN.finditer(text):
            kind = match.lastgroup or ""
            if match.group("string") is not None:
                token = match.group("string")
                if match.group("colon"):
                    tag_line = token in _TAG_KEYS
                    kind = "tag" if tag_line else "key"
                else:
                    kind = "tag" if tag_line else "string"
                self.setFormat(match.start("string"), len(token), self._formats[kind])
            else:
                self.setFormat(match.start(), match.end() - match.start(), self._formats[kind])

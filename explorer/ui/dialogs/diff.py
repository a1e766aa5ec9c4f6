"""Diff views: side-by-side or unified, of stored bodies (what save will write).

``DiffView`` shows two texts aligned row by row (removed lines red on the left,
added lines green on the right, changed lines amber on both), with a unified
mode and an "exact bytes" mode that shows the bodies as stored, unformatted.
``CompareView`` shows three versions (loaded, theirs, mine) with lines that
differ from the loaded one marked. Both only display text; they never decode
type tags.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import dataclass

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QTextCursor, QTextFormat
from PySide6.QtWidgets import (
    QButtonGroup,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QRadioButton,
    QSplitter,
    QTextEdit,
    QVBoxLayout,
    QWidget,
)

from explorer.ui.detail import style
from explorer.ui.detail.jsonview import JsonView
from explorer.ui.detail.values import DIFF_LINE_LIMIT


@dataclass(frozen=True, slots=True)
class DiffRow:
    """One aligned row: ``kind`` is equal, removed, added or changed."""

    left: str | None
    right: str | None
    kind: str


def align(old: str, new: str) -> list[DiffRow]:
    """Rows pairing the lines of ``old`` and ``new`` (``None`` where one side has none)."""
    a, b = old.splitlines()[:DIFF_LINE_LIMIT], new.splitlines()[:DIFF_LINE_LIMIT]
    rows: list[DiffRow] = []
    matcher = difflib.SequenceMatcher(a=a, b=b, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            rows.extend(DiffRow(x, y, "equal") for x, y in zip(a[i1:i2], b[j1:j2], strict=True))
        elif tag == "delete":
            rows.extend(DiffRow(x, None, "removed") for x in a[i1:i2])
        elif tag == "insert":
            rows.extend(DiffRow(None, y, "added") for y in b[j1:j2])
        else:
            left, right = a[i1:i2], b[j1:j2]
            for k in range(max(len(left), len(right))):
                x = left[k] if k < len(left) else None
                y = right[k] if k < len(right) else None
                kind = (
                    "changed"
                    if x is not None and y is not None
                    else "removed"
                    if y is None
                    else "added"
                )
                rows.append(DiffRow(x, y, kind))
    return rows


def _pane() -> JsonView:
    return JsonView()


def _mark(pane: QPlainTextEdit, lines: list[tuple[int, QColor]]) -> None:
    selections = []
    document = pane.document()
    for number, color in lines:
        if number >= document.blockCount():
            break  # the text was clipped
        selection = QTextEdit.ExtraSelection()
        selection.format.setBackground(color)
        selection.format.setProperty(QTextFormat.Property.FullWidthSelection, True)
        selection.cursor = QTextCursor(document.findBlockByNumber(number))
        selections.append(selection)
    pane.setExtraSelections(selections)


def _link_scrolling(panes: Sequence[QPlainTextEdit]) -> None:
    for pane in panes:
        for other in panes:
            if other is not pane:
                pane.verticalScrollBar().valueChanged.connect(other.verticalScrollBar().setValue)
                pane.horizontalScrollBar().valueChanged.connect(
                    other.horizontalScrollBar().setValue
                )


class DiffView(QWidget):
    """Two versions of a body, side by side (default), unified, or as exact bytes."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._old = self._new = ""
        self._note = ""
        self._old_raw = self._new_raw = ""
        self._titles = ("Stored", "Draft")
        self.left_title = QLabel()
        self.right_title = QLabel()
        self.left = _pane()
        self.right = _pane()
        self.unified_pane = _pane()
        _link_scrolling([self.left, self.right])
        self.summary = QLabel()
        self.summary.setTextFormat(Qt.TextFormat.PlainText)

        self.mode_side = QRadioButton("Side by side")
        self.mode_unified = QRadioButton("Unified")
        self.mode_bytes = QRadioButton("Exact bytes")
        self.mode_bytes.setToolTip("The bodies exactly as stored and as they will be written")
        self.mode_side.setChecked(True)
        group = QButtonGroup(self)
        for button in (self.mode_side, self.mode_unified, self.mode_bytes):
            group.addButton(button)
        group.buttonToggled.connect(lambda *_: self._render())

        bar = QHBoxLayout()
        bar.addWidget(self.summary, 1)
        bar.addWidget(self.mode_side)
        bar.addWidget(self.mode_unified)
        bar.addWidget(self.mode_bytes)
        left_box = QVBoxLayout()
        left_box.addWidget(self.left_title)
        left_box.addWidget(self.left)
        right_box = QVBoxLayout()
        right_box.addWidget(self.right_title)
        right_box.addWidget(self.right)
        self.sides = QSplitter(Qt.Orientation.Horizontal)
        for box in (left_box, right_box):
            holder = QWidget()
            box.setContentsMargins(0, 0, 0, 0)
            holder.setLayout(box)
            self.sides.addWidget(holder)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(bar)
        layout.addWidget(self.sides, 1)
        layout.addWidget(self.unified_pane, 1)

    def set_texts(
        self,
        old: str,
        new: str,
        *,
        titles: tuple[str, str] = ("Stored", "Draft"),
        old_raw: str | None = None,
        new_raw: str | None = None,
        note: str = "",
    ) -> None:
        """Show ``old`` against ``new``; ``*_raw`` are the exact bodies for "Exact bytes"."""
        self._note = note
        self._old, self._new = old, new
        self._old_raw = old if old_raw is None else old_raw
        self._new_raw = new if new_raw is None else new_raw
        self._titles = titles
        self.mode_bytes.setEnabled(old_raw is not None or new_raw is not None)
        self._render()

    @property
    def rows(self) -> list[DiffRow]:
        return align(self._old, self._new)

    def _render(self) -> None:
        exact = self.mode_bytes.isChecked()
        old, new = (self._old_raw, self._new_raw) if exact else (self._old, self._new)
        rows = align(old, new)
        changed = sum(1 for row in rows if row.kind != "equal")
        summary = (
            "No differences" if not changed else f"{changed} line{'s' * (changed != 1)} differ"
        )
        self.summary.setText(f"{summary} · {self._note}" if self._note else summary)
        left_title, right_title = self._titles
        self.left_title.setText(left_title)
        self.right_title.setText(right_title)
        unified = self.mode_unified.isChecked()
        self.sides.setVisible(not unified)
        self.unified_pane.setVisible(unified)
        if unified:
            text = "".join(
                difflib.unified_diff(
                    old.splitlines(keepends=True),
                    new.splitlines(keepends=True),
                    fromfile=left_title,
                    tofile=right_title,
                )
            )
            self.unified_pane.show_text(text or "No differences")
            lines = []
            for number, line in enumerate(text.splitlines()):
                if line.startswith("+") and not line.startswith("+++"):
                    lines.append((number, style.diff_added()))
                elif line.startswith("-") and not line.startswith("---"):
                    lines.append((number, style.diff_removed()))
            _mark(self.unified_pane, lines)
            return
        self.left.show_text("\n".join(row.left or "" for row in rows))
        self.right.show_text("\n".join(row.right or "" for row in rows))
        left_marks: list[tuple[int, QColor]] = []
        right_marks: list[tuple[int, QColor]] = []
        for number, row in enumerate(rows):
            if row.kind == "removed":
                left_marks.append((number, style.diff_removed()))
            elif row.kind == "added":
                right_marks.append((number, style.diff_added()))
            elif row.kind == "changed":
                left_marks.append((number, style.diff_removed()))
                right_marks.append((number, style.diff_added()))
        _mark(self.left, left_marks)
        _mark(self.right, right_marks)
        first = next((n for n, row in enumerate(rows) if row.kind != "equal"), 0)
        self.left.setTextCursor(QTextCursor(self.left.document().findBlockByNumber(first)))
        self.left.centerCursor()


class CompareView(QWidget):
    """Three versions side by side; lines differing from the first are marked."""

    def __init__(self, titles: tuple[str, str, str], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.panes = [_pane() for _ in titles]
        self.titles = [QLabel(title) for title in titles]
        splitter = QSplitter(Qt.Orientation.Horizontal)
        for title, pane in zip(self.titles, self.panes, strict=True):
            holder = QWidget()
            box = QVBoxLayout(holder)
            box.setContentsMargins(0, 0, 0, 0)
            box.addWidget(title)
            box.addWidget(pane)
            splitter.addWidget(holder)
        _link_scrolling(self.panes)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(splitter)

    def set_texts(self, texts: tuple[str, str, str]) -> None:
        base = texts[0].splitlines()[:DIFF_LINE_LIMIT]
        for index, (pane, text) in enumerate(zip(self.panes, texts, strict=True)):
            pane.show_text(text)
            if index == 0:
                continue
            lines = text.splitlines()[:DIFF_LINE_LIMIT]
            matcher = difflib.SequenceMatcher(a=base, b=lines, autojunk=False)
            marks: list[tuple[int, QColor]] = []
            for tag, _i1, _i2, j1, j2 in matcher.get_opcodes():
                if tag in ("replace", "insert"):
                    color = style.diff_changed() if tag == "replace" else style.diff_added()
                    marks.extend((n, color) for n in range(j1, j2))
            _mark(pane, marks)

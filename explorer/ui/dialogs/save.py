"""``SaveDialog``: review every state to be written, with its diff and etag, then save or discard.

The dialog does no I/O. Its buttons queue requests (``("save", sessions)``,
``("discard", sessions)``, ``("close", [])``) that ``PendingEdits.save_all``
awaits with ``next_request`` and carries out, then calls ``set_sessions``
with what is still pending and ``show_error`` for a failure. So a save that
fails (conflict, read-only) leaves the state listed, with its reason.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from explorer.ui.detail import style
from explorer.ui.detail.properties import PENDING_MARK
from explorer.ui.detail.redaction import Redaction
from explorer.ui.dialogs.diff import DiffView
from explorer.ui.dialogs.review import diff_texts, edits_summary
from explorer.workspace.session import EditSession

Request = tuple[str, list[EditSession]]


class SaveDialog(QDialog):
    """Review & save: one row per state, its diff (stored vs draft) and its etag check."""

    def __init__(
        self,
        sessions: Sequence[EditSession],
        redaction: Redaction | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Review & save")
        self.resize(1100, 640)
        self.redaction = redaction
        self.sessions: list[EditSession] = []
        self._requests: asyncio.Queue[Request] = asyncio.Queue()

        self.heading = QLabel()
        font = self.heading.font()
        font.setPointSizeF(font.pointSizeF() * 1.1)
        font.setBold(True)
        self.heading.setFont(font)
        self.states = QListWidget()
        self.states.setMinimumWidth(260)
        self.states.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.states.setSpacing(2)
        self.states.currentRowChanged.connect(lambda *_: self._show_current())
        self.key_label = QLabel()
        self.key_label.setTextFormat(Qt.TextFormat.PlainText)
        self.key_label.setWordWrap(True)
        bold = self.key_label.font()
        bold.setBold(True)
        self.key_label.setFont(bold)
        self.etag_label = QLabel()
        self.etag_label.setTextFormat(Qt.TextFormat.PlainText)
        self.etag_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.edits_label = QLabel()
        self.edits_label.setWordWrap(True)
        self.edits_label.setTextFormat(Qt.TextFormat.PlainText)
        self.diff = DiffView()
        self.error_label = QLabel()
        self.error_label.setWordWrap(True)
        self.error_label.setTextFormat(Qt.TextFormat.PlainText)
        self.error_label.setStyleSheet(f"color: {style.danger().name()}")
        self.error_label.hide()

        self.save_one = QPushButton("Save this state")
        self.discard_one = QPushButton("Discard this state")
        self.save_all = QPushButton("Save all")
        self.save_all.setDefault(True)
        self.discard_all = QPushButton("Discard all")
        self.close_button = QPushButton("Close")
        self.close_button.setToolTip("Keep the edits pending and go back")
        self.save_one.clicked.connect(lambda: self._request("save", self._current()))
        self.discard_one.clicked.connect(lambda: self._request("discard", self._current()))
        self.save_all.clicked.connect(lambda: self._request("save", list(self.sessions)))
        self.discard_all.clicked.connect(lambda: self._request("discard", list(self.sessions)))
        self.close_button.clicked.connect(self.reject)
        self.rejected.connect(lambda: self._requests.put_nowait(("close", [])))

        right = QWidget()
        right_box = QVBoxLayout(right)
        right_box.setContentsMargins(8, 0, 0, 0)
        right_box.addWidget(self.key_label)
        right_box.addWidget(self.etag_label)
        right_box.addWidget(self.edits_label)
        right_box.addWidget(self.diff, 1)
        per_state = QHBoxLayout()
        per_state.addStretch()
        per_state.addWidget(self.discard_one)
        per_state.addWidget(self.save_one)
        right_box.addLayout(per_state)
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(self.states)
        splitter.addWidget(right)
        splitter.setSizes([280, 820])
        buttons = QHBoxLayout()
        buttons.addWidget(self.discard_all)
        buttons.addStretch()
        buttons.addWidget(self.close_button)
        buttons.addWidget(self.save_all)
        layout = QVBoxLayout(self)
        layout.addWidget(self.heading)
        layout.addWidget(splitter, 1)
        layout.addWidget(self.error_label)
        layout.addLayout(buttons)
        self.set_sessions(sessions)

    # -- content -------------------------------------------------------------------

    def set_sessions(self, sessions: Sequence[EditSession]) -> None:
        """Show ``sessions`` (the states still pending), keeping the selection if possible."""
        current = self._current()
        self.sessions = list(sessions)
        self.states.blockSignals(True)
        self.states.clear()
        for session in self.sessions:
            edits = len(session.edits) or 1
            action = "delete state" if session.deleted else f"{edits} edit{'s' * (edits != 1)}"
            metrics = self.states.fontMetrics()
            key = metrics.elidedText(session.key, Qt.TextElideMode.ElideMiddle, 230)
            item = QListWidgetItem(f"{PENDING_MARK} {key}\n     {action}")
            item.setToolTip(session.key)
            if session.deleted:
                item.setForeground(style.danger())
            self.states.addItem(item)
        self.states.blockSignals(False)
        row = self.sessions.index(current[0]) if current and current[0] in self.sessions else 0
        self.states.setCurrentRow(row if self.sessions else -1)
        count = len(self.sessions)
        self.heading.setText(
            f"{count} state{'s' * (count != 1)} will be written"
            if count
            else "Nothing left to save"
        )
        self.save_all.setText(f"Save all ({count})")
        for button in (self.save_all, self.discard_all):
            button.setEnabled(bool(count))
        self._show_current()

    def _current(self) -> list[EditSession]:
        row = self.states.currentRow()
        return [self.sessions[row]] if 0 <= row < len(self.sessions) else []

    def _show_current(self) -> None:
        current = self._current()
        for button in (self.save_one, self.discard_one):
            button.setEnabled(bool(current))
        if not current:
            self.key_label.setText("")
            self.etag_label.setText("")
            self.edits_label.setText("")
            self.diff.set_texts("", "")
            return
        session = current[0]
        self.key_label.setText(session.key)
        self.etag_label.setText(
            f"Written only if the stored etag is still {session.etag} "
            "(the version you loaded); otherwise you will be asked what to do."
        )
        self.edits_label.setText(edits_summary(session))
        texts = diff_texts(session, self.redaction)
        self.diff.set_texts(
            texts.old,
            texts.new,
            titles=(f"Stored (etag {session.etag})", "Deleted" if session.deleted else "Draft"),
            old_raw=texts.old_raw,
            new_raw=texts.new_raw,
            note=texts.note,
        )

    def set_busy(self, busy: bool) -> None:
        """Disable the buttons while a save runs (a conflict dialog may open on top)."""
        for button in (self.save_one, self.discard_one, self.save_all, self.discard_all):
            button.setEnabled(not busy)
        self.close_button.setEnabled(not busy)
        self.states.setEnabled(not busy)
        if not busy:
            self.set_sessions(self.sessions)

    def show_error(self, message: str) -> None:
        self.error_label.setText(message)
        self.error_label.setVisible(bool(message))

    # -- requests ------------------------------------------------------------------

    def _request(self, action: str, sessions: list[EditSession]) -> None:
        if sessions:
            self.show_error("")
            self._requests.put_nowait((action, sessions))

    async def next_request(self) -> Request:
        """The next button the user pressed: save / discard some states, or close."""
        return await self._requests.get()

"""``ConflictDialog``: a save hit a changed item (etag mismatch, HTTP 412).

Shown with the session after ``fetch_theirs``. Choices (``choice`` after the
dialog closes):

- ``COMPARE`` (a page, not a choice): three panes, loaded / theirs / mine, and
  the exact diff Overwrite would write over theirs;
- ``RELOAD``: take their version as the new base, my draft kept aside;
- ``RECREATE`` (when someone deleted it): write my draft as a new item, after
  the compare page was shown; refused if the key exists again;
- ``OVERWRITE``: write my draft over theirs. Only enabled once the compare
  page has been shown, and carries ``seen_etag``, the etag of the version the
  user saw, so a change made after that is refused again, never lost;
- ``CANCEL``: keep everything pending.

A line below says plainly that the bot itself writes last-writer-wins.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QStackedWidget,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from explorer.core.items import RawItem
from explorer.ui.detail import style
from explorer.ui.detail.redaction import Redaction
from explorer.ui.dialogs.diff import CompareView, DiffView
from explorer.ui.dialogs.review import diff_texts, document_text, edits_summary
from explorer.workspace.saving import Resolution
from explorer.workspace.session import EditSession

#: the choices are the workspace's resolutions (``EditSessions.resolve`` carries them out)
RELOAD = Resolution.RELOAD
OVERWRITE = Resolution.OVERWRITE
RECREATE = Resolution.RECREATE
CANCEL = Resolution.CANCEL

LAST_WRITER_WINS = (
    "Note: the bot itself saves state last-writer-wins. A turn that is running now for "
    "this user or conversation can still overwrite your save, even after it succeeds."
)


def _kept(session: EditSession) -> str:
    """``"your 2 edits (Edit prefs, Add note) are still pending."`` and the like."""
    if session.deleted:
        return "the deletion of this state is still pending."
    summary = edits_summary(session)
    if summary[:1].isdigit():  # "2 pending edits (…)"
        count, _, rest = summary.partition(" pending ")
        return f"your {count} {rest} {'are' if count != '1' else 'is'} still pending."
    return "your changes are still pending."


def _when(item: RawItem | None) -> str:
    if item is None or item.last_modified is None:
        return ""
    return " at " + item.last_modified.astimezone().strftime("%Y-%m-%d %H:%M:%S")


class ConflictDialog(QDialog):
    """What to do when someone changed the item since it was loaded."""

    def __init__(
        self,
        session: EditSession,
        redaction: Redaction | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.session = session
        self.redaction = redaction
        self.theirs = session.theirs
        self.choice: Resolution = CANCEL
        self.seen_etag: str | None = None
        self.compared = False
        self.setWindowTitle("Save conflict")
        self.resize(1040, 620)

        deleted = self.theirs is None
        verb = "deleted" if deleted else "changed"
        self.headline = QLabel(f"Someone {verb} {session.key} since you loaded it.")
        self.headline.setTextFormat(Qt.TextFormat.PlainText)
        self.headline.setWordWrap(True)
        font = self.headline.font()
        font.setBold(True)
        font.setPointSizeF(font.pointSizeF() * 1.15)
        self.headline.setFont(font)
        loaded = session.loaded
        now = (
            "It no longer exists."
            if self.theirs is None
            else f"It is now etag {self.theirs.etag}{_when(self.theirs)}."
        )
        self.detail = QLabel(
            f"You loaded etag {loaded.etag}{_when(loaded)}. {now} Nothing was written: "
            f"{_kept(session)}"
        )
        self.detail.setWordWrap(True)
        self.detail.setTextFormat(Qt.TextFormat.PlainText)
        self.note = QLabel(LAST_WRITER_WINS)
        self.note.setWordWrap(True)
        self.note.setStyleSheet(f"color: {style.muted().name()}")

        self.pages = QStackedWidget()
        first = QWidget()
        first_box = QVBoxLayout(first)
        first_box.setContentsMargins(0, 0, 0, 0)
        intro = QLabel(
            "Below: what they changed since you loaded it. Compare shows the version you "
            "loaded, theirs and yours side by side, and the exact change Overwrite would "
            "write. Reload theirs makes their version your starting point and keeps your "
            "draft aside, so you can apply your change again."
        )
        intro.setWordWrap(True)
        self.their_changes = DiffView()
        first_box.addWidget(intro)
        first_box.addWidget(self.their_changes, 1)
        self.pages.addWidget(first)
        self.compare = CompareView(
            ("Loaded (yours was based on this)", "Theirs (stored now)", "Mine (draft)")
        )
        self.overwrite_diff = DiffView()
        self.compare_tabs = QTabWidget()
        self.compare_tabs.addTab(self.compare, "Loaded · theirs · mine")
        self.compare_tabs.addTab(self.overwrite_diff, "What Overwrite writes over theirs")
        self.pages.addWidget(self.compare_tabs)

        self.compare_button = QPushButton("Compare…")
        self.compare_button.clicked.connect(self.show_compare)
        self.reload_button = QPushButton("Reload theirs (keep my draft aside)")
        self.reload_button.clicked.connect(lambda: self._choose(RELOAD))
        self.reload_button.setEnabled(not deleted)
        self.overwrite_button = QPushButton(
            "Recreate with my draft" if deleted else "Overwrite anyway"
        )
        self.overwrite_button.setEnabled(False)
        self.overwrite_button.setToolTip(
            "Compare first: you can only overwrite a version you have seen"
            if not deleted
            else "Compare first: writes your draft as a new item (refused if it exists again)"
        )
        self.overwrite_button.clicked.connect(
            lambda: self._choose(RECREATE if deleted else OVERWRITE)
        )
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setToolTip("Keep my edits pending; decide later")
        self.cancel_button.clicked.connect(self.reject)
        self.cancel_button.setDefault(True)

        buttons = QHBoxLayout()
        buttons.addWidget(self.compare_button)
        buttons.addStretch()
        buttons.addWidget(self.cancel_button)
        buttons.addWidget(self.reload_button)
        buttons.addWidget(self.overwrite_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.headline)
        layout.addWidget(self.detail)
        layout.addWidget(self.pages, 1)
        layout.addWidget(self.note)
        layout.addLayout(buttons)
        self._show_their_changes()

    def _show_their_changes(self) -> None:
        session, theirs = self.session, self.theirs
        self.their_changes.set_texts(
            document_text(session.loaded.body, session, self.redaction, ""),
            document_text(
                None if theirs is None else theirs.body, session, self.redaction, "(deleted)"
            ),
            titles=(
                f"Loaded (etag {session.loaded.etag})",
                "Theirs (deleted)" if theirs is None else f"Theirs (etag {theirs.etag})",
            ),
        )

    def show_compare(self) -> None:
        """Show the three versions and the overwrite diff; enables Overwrite."""
        session, theirs = self.session, self.theirs
        mine = session.encoded()
        self.compare.set_texts(
            (
                document_text(session.loaded.body, session, self.redaction, ""),
                document_text(
                    None if theirs is None else theirs.body, session, self.redaction, "(deleted)"
                ),
                document_text(
                    None if mine is None else mine.body, session, self.redaction, "(deleted)"
                ),
            )
        )
        if theirs is not None:
            texts = diff_texts(session, self.redaction, against=theirs)
            self.overwrite_diff.set_texts(
                texts.old,
                texts.new,
                titles=(f"Theirs (etag {theirs.etag})", "Mine, as Overwrite writes it"),
                old_raw=texts.old_raw,
                new_raw=texts.new_raw,
                note=texts.note,
            )
            self.seen_etag = theirs.etag
        self.pages.setCurrentIndex(1)
        self.compared = True
        self.overwrite_button.setEnabled(theirs is not None or not session.deleted)
        if theirs is not None:
            self.overwrite_button.setToolTip(
                f"Write my draft over their version (etag {theirs.etag}); refused if it "
                "changes again before the write"
            )
        self.compare_button.setEnabled(False)

    def _choose(self, choice: Resolution) -> None:
        if choice == OVERWRITE and not (self.compared and self.seen_etag):
            return
        if choice == RECREATE and not self.compared:
            return
        self.choice = choice
        self.accept()

"""``PendingEdits``: the window's face of ``EditSessions`` (actions, signals, dialogs).

One per window. The pending edits themselves, undo across items and the save
orchestration live in ``explorer.workspace.edits.EditSessions`` (``edits``);
this object holds no logic of its own. It adds:

- ``undo_action`` / ``redo_action`` (labelled with the edit they change),
  ``save_action`` ("Save (n)") and ``discard_action``, kept in step with the
  sessions;
- the signals ``changed``, ``saved``, ``error`` (one status-bar line) and, for
  tests and automation, ``conflict_opened`` / ``review_opened``;
- the dialogs: ``save_all(parent)`` (Review & save), ``save_session`` (a
  ``ConflictDialog`` for each conflict the workspace returns: reload theirs,
  overwrite after compare, recreate, cancel), ``confirm_discard_all``.

The queries (``is_dirty``, ``count``, ``summary``...) are the workspace's,
passed through for the window; anything else is on ``edits``.
Save and Discard run as dialog flows of the ``TaskRunner`` given (else one of
its own, whose errors it reports as ``error``).
"""

from __future__ import annotations

from contextlib import aclosing

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMessageBox, QWidget

from explorer.core.errors import StorageError
from explorer.storage.base import Storage
from explorer.ui.detail.redaction import Redaction
from explorer.ui.dialogs.conflict import ConflictDialog
from explorer.ui.dialogs.modal import run_dialog
from explorer.ui.dialogs.save import SaveDialog
from explorer.ui.tasks import TaskRunner
from explorer.workspace.edits import EditSessions, LoadedItem, WriterFor
from explorer.workspace.saving import Resolution, SaveResult
from explorer.workspace.session import EditSession, RawWriter


class PendingEdits(QObject):
    """All edit sessions of a window; see the module docstring."""

    changed = Signal()
    #: a session was written (or deleted): EditSession
    saved = Signal(object)
    #: one line for the status bar
    error = Signal(str)
    #: a conflict dialog is about to open (tests and automation): ConflictDialog
    conflict_opened = Signal(object)
    #: the review dialog opened: SaveDialog
    review_opened = Signal(object)

    def __init__(
        self,
        writer: RawWriter | WriterFor | None = None,
        *,
        redaction: Redaction | None = None,
        runner: TaskRunner | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.edits = EditSessions(writer)
        self.redaction = redaction
        self.dialog_parent: QWidget | None = None
        if runner is None:  # nobody shows this runner's errors: say them as ours
            runner = TaskRunner(self)
            runner.error.connect(self.error)
        self.runner = runner
        self._review: SaveDialog | None = None
        self.undo_action = QAction("Undo", self)
        self.undo_action.setShortcut(QKeySequence.StandardKey.Undo)
        self.undo_action.triggered.connect(self.undo)
        self.redo_action = QAction("Redo", self)
        self.redo_action.setShortcut(QKeySequence.StandardKey.Redo)
        self.redo_action.triggered.connect(self.redo)
        self.save_action = QAction("Save", self)
        self.save_action.setShortcut(QKeySequence.StandardKey.Save)
        self.save_action.setToolTip("Review the pending edits and save them (Ctrl+S)")
        self.save_action.triggered.connect(self.start_review)
        self.discard_action = QAction("Discard", self)
        self.discard_action.setToolTip("Throw away every pending edit")
        self.discard_action.triggered.connect(self.start_discard)
        self.edits.add_listener(self._edits_changed)
        self.edits.add_saved_listener(self.saved.emit)
        self._update_actions()

    # -- the workspace's sessions and queries --------------------------------------

    async def open(self, store: Storage, key: str) -> EditSession:
        """The session of ``key``: the one with pending edits, else freshly loaded."""
        return await self.edits.open(store, key)

    async def load_item(self, store: Storage, key: str) -> LoadedItem:
        """``key`` as the detail pane shows it (``EditSessions.load_item``: errors as values)."""
        return await self.edits.load_item(store, key)

    def sessions(self) -> list[EditSession]:
        """Sessions with pending edits (``EditSessions.sessions``)."""
        return self.edits.sessions()

    def is_dirty(self, key: str, store: Storage | None = None) -> bool:
        return self.edits.is_dirty(key, store)

    def count(self) -> int:
        return self.edits.count()

    def edit_count(self) -> int:
        return self.edits.edit_count()

    def has_unsaved(self) -> bool:
        return self.edits.has_unsaved()

    def summary(self) -> str:
        return self.edits.summary()

    # -- actions -------------------------------------------------------------------

    def _edits_changed(self) -> None:
        self._update_actions()
        self.changed.emit()

    def _update_actions(self) -> None:
        target = self.edits.undo_target
        self.undo_action.setEnabled(target is not None)
        self.undo_action.setText(f"Undo {target.undo_label}" if target else "Undo")
        target = self.edits.redo_target
        self.redo_action.setEnabled(target is not None)
        self.redo_action.setText(f"Redo {target.redo_label}" if target else "Redo")
        count = self.count()
        self.save_action.setText(f"Save ({count})" if count else "Save")
        self.save_action.setEnabled(bool(count))
        self.discard_action.setEnabled(bool(count))

    def undo(self) -> bool:
        """Undo the newest pending edit of any item; ``False`` if there is none."""
        return self.edits.undo()

    def redo(self) -> bool:
        return self.edits.redo()

    def start_review(self) -> None:
        """Save (Ctrl+S): the Review & save dialog, as a dialog flow of the runner."""
        self.runner.start(
            "Review & save", lambda _h: self.save_all(self.dialog_parent), waits_for_user=True
        )

    def start_discard(self) -> None:
        """Discard: ask, then throw every pending edit away (a dialog flow of the runner)."""
        self.runner.start(
            "Discard pending edits",
            lambda _h: self.confirm_discard_all(self.dialog_parent),
            waits_for_user=True,
        )

    # -- discard -------------------------------------------------------------------

    def discard_all(self) -> None:
        self.edits.discard_all()

    async def confirm_discard_all(self, parent: QWidget | None) -> bool:
        """Ask, then discard every pending edit. ``True`` if discarded."""
        if not self.has_unsaved():
            return False
        box = QMessageBox(
            QMessageBox.Icon.Warning,
            "Discard pending edits",
            f"Discard {self.summary()}? They were never written; this cannot be undone.",
            QMessageBox.StandardButton.Discard | QMessageBox.StandardButton.Cancel,
            parent,
        )
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
        await run_dialog(box)
        if box.clickedButton() is not box.button(QMessageBox.StandardButton.Discard):
            return False
        self.discard_all()
        return True

    # -- save ----------------------------------------------------------------------

    async def save_session(self, session: EditSession, parent: QWidget | None = None) -> bool:
        """Save one session; on a conflict ask what to do. ``True`` if it was written.

        Other storage errors are raised (``ReadOnlyError``...) with the draft kept.
        """
        return await self._settle(await self.edits.save(session), parent)

    async def _settle(self, result: SaveResult, parent: QWidget | None) -> bool:
        """Ask about each conflict in ``result`` until it is written or left pending."""
        while result.conflict is not None:
            dialog = ConflictDialog(result.session, self.redaction, parent)
            self.conflict_opened.emit(dialog)
            await run_dialog(dialog)
            choice = Resolution(dialog.choice)
            if choice == Resolution.OVERWRITE and dialog.seen_etag is None:
                choice = Resolution.CANCEL  # only a version the user has seen is overwritten
            result = await self.edits.resolve(result.conflict, choice, seen_etag=dialog.seen_etag)
        if result.note:
            self.error.emit(result.note)
        return result.stored

    async def save_all(self, parent: QWidget | None = None) -> bool:
        """Review & save. ``True`` if nothing is pending when the dialog closes."""
        if not self.has_unsaved():
            return True
        if self._review is not None:  # already open (Ctrl+S twice): bring it forward
            self._review.raise_()
            self._review.activateWindow()
            return False
        dialog = SaveDialog(self.sessions(), self.redaction, parent)
        self._review = dialog
        self.review_opened.emit(dialog)
        dialog.open()
        try:
            while self.has_unsaved():
                action, chosen = await dialog.next_request()
                if action == "close":
                    break
                if action == "discard":
                    self.edits.discard(chosen)
                else:
                    await self._save_from_dialog(dialog, chosen)
                dialog.set_sessions(self.sessions())
        finally:
            self._review = None
            dialog.blockSignals(True)
            dialog.close()
            dialog.deleteLater()
        return not self.has_unsaved()

    async def _save_from_dialog(self, dialog: SaveDialog, chosen: list[EditSession]) -> None:
        dialog.set_busy(True)
        failures: list[str] = []
        try:
            async with aclosing(self.edits.save_each(chosen)) as results:
                async for result in results:
                    try:
                        stored = result.error is None and await self._settle(result, dialog)
                    except StorageError as exc:  # resolving failed (read-only, gone...)
                        result = SaveResult(result.session, False, error=exc)
                        stored = False
                    if not stored:
                        failures.append(result.describe())
                    if result.error is not None:
                        self.error.emit(str(result.error))
        finally:
            dialog.set_busy(False)
        dialog.show_error("\n".join(failures))

"""``PendingEdits``: every item with unsaved edits, across the window, and how they get saved.

One per window. It owns the ``EditSession`` of each opened item, relays their
changes as ``changed``, and offers:

- queries for the toolbar, tree and close prompt: ``is_dirty(key)``,
  ``count()`` (states with pending edits), ``edit_count()``, ``has_unsaved()``,
  ``summary()``;
- ``save_all(parent)``: the Review & save dialog; ``save_session`` with
  conflict handling (``ConflictDialog``: reload theirs / overwrite after
  compare / cancel); ``discard_all`` / ``discard``;
- ``undo_action`` / ``redo_action``: undo/redo of pending edits across items,
  most recent first; ``save_action`` ("Save (n)") and ``discard_action``.

Writes go through the ``RawWriter`` given for the store (``SafeWriter``: backup
and audit) or straight to the store when there is none. A session whose save
fails stays pending with its draft.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from typing import Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMessageBox, QWidget

from explorer.core.errors import ETagConflictError, StorageError
from explorer.storage.base import Storage
from explorer.ui.detail.redaction import Redaction
from explorer.ui.dialogs.conflict import OVERWRITE, RECREATE, RELOAD, ConflictDialog
from explorer.ui.dialogs.modal import run_dialog
from explorer.ui.dialogs.save import SaveDialog
from explorer.workspace.session import EditSession, RawWriter

log = logging.getLogger(__name__)

WriterFor = Callable[[Storage], RawWriter | None]


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
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._writer = writer
        self.redaction = redaction
        self.dialog_parent: QWidget | None = None
        self._sessions: dict[tuple[int, str], EditSession] = {}
        self._undo: list[EditSession] = []
        self._redo: list[EditSession] = []
        self._lengths: dict[int, int] = {}
        self._replaying = False
        self._tasks: set[asyncio.Task[bool]] = set()
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
        self.save_action.triggered.connect(lambda: self._spawn(self.save_all(self.dialog_parent)))
        self.discard_action = QAction("Discard", self)
        self.discard_action.setToolTip("Throw away every pending edit")
        self.discard_action.triggered.connect(
            lambda: self._spawn(self.confirm_discard_all(self.dialog_parent))
        )
        self._update_actions()

    # -- sessions ------------------------------------------------------------------

    def writer_for(self, store: Storage) -> RawWriter | None:
        writer = self._writer
        if writer is None or isinstance(writer, RawWriter):
            return writer
        return writer(store)

    def get(self, store: Storage, key: str) -> EditSession | None:
        return self._sessions.get((id(store), key))

    def track(self, session: EditSession) -> EditSession:
        """Adopt ``session`` and return the session to use for its item.

        If the item already has a session, that one is returned (refreshed with
        ``session``'s snapshot when it has no pending edits).
        """
        slot = (id(session.store), session.key)
        existing = self._sessions.get(slot)
        if existing is not None and existing is not session:
            # one session per item: a clean one takes the fresh snapshot, so
            # whoever holds it keeps editing the session that gets saved
            existing.refresh(session.loaded)
            self._prune(keep=slot)
            return existing
        self._prune(keep=slot)
        self._sessions[slot] = session
        self._lengths[id(session)] = len(session.edits)
        session.add_listener(self._on_session_change)
        return session

    async def open(self, store: Storage, key: str) -> EditSession:
        """The session of ``key``: the one with pending edits, else freshly loaded.

        Raises ``ItemNotFoundError`` / ``DecodeError`` / ``StorageError``.
        """
        existing = self.get(store, key)
        if existing is not None and existing.is_dirty:
            return existing
        return self.track(await EditSession.load(store, key))

    def _prune(self, keep: tuple[int, str]) -> None:
        """Set aside clean sessions other than ``keep`` (they are reloaded when opened).

        A set-aside session is still listened to: if someone holding it edits it
        later, it is tracked again (see ``_on_session_change``).
        """
        for slot, session in list(self._sessions.items()):
            if slot != keep and not session.is_dirty:
                self._sessions.pop(slot, None)

    def _forget(self, session: EditSession) -> None:
        session.remove_listener(self._on_session_change)
        self._sessions.pop((id(session.store), session.key), None)
        self._lengths.pop(id(session), None)
        self._undo = [s for s in self._undo if s is not session]
        self._redo = [s for s in self._redo if s is not session]

    def sessions(self) -> list[EditSession]:
        """Sessions with pending edits, in the order they were opened."""
        return [s for s in self._sessions.values() if s.is_dirty]

    def is_dirty(self, key: str, store: Storage | None = None) -> bool:
        """True if ``key`` (in ``store``, or in any store) has pending edits."""
        return any(
            s.is_dirty and s.key == key and (store is None or s.store is store)
            for s in self._sessions.values()
        )

    def count(self) -> int:
        """Number of states that Save would write (or delete)."""
        return len(self.sessions())

    def edit_count(self) -> int:
        return sum(max(len(s.edits), 1) for s in self.sessions())

    def has_unsaved(self) -> bool:
        return bool(self.sessions())

    def summary(self) -> str:
        """``"3 edits in 2 states"``, or ``""`` when nothing is pending."""
        states, edits = self.count(), self.edit_count()
        if not states:
            return ""
        return f"{edits} edit{'s' * (edits != 1)} in {states} state{'s' * (states != 1)}"

    # -- undo / redo across sessions -----------------------------------------------

    def _on_session_change(self, session: EditSession) -> None:
        slot = (id(session.store), session.key)
        if session.is_dirty and slot not in self._sessions:
            self._sessions[slot] = session  # set aside while clean, edited since
        length = len(session.edits)
        before = self._lengths.get(id(session), 0)
        self._lengths[id(session)] = length
        if not self._replaying:
            if length > before:  # a new edit: it is the newest to undo
                self._undo.append(session)
                self._redo.clear()
            elif length < before or not session.can_undo:  # saved, reverted, reloaded
                self._undo = [s for s in self._undo if s is not session or s.can_undo]
                self._redo = [s for s in self._redo if s is not session]
        self._update_actions()
        self.changed.emit()

    def _update_actions(self) -> None:
        target = self._target(self._undo, lambda s: s.can_undo)
        self.undo_action.setEnabled(target is not None)
        self.undo_action.setText(f"Undo {target.undo_label}" if target else "Undo")
        target = self._target(self._redo, lambda s: s.can_redo)
        self.redo_action.setEnabled(target is not None)
        self.redo_action.setText(f"Redo {target.redo_label}" if target else "Redo")
        count = self.count()
        self.save_action.setText(f"Save ({count})" if count else "Save")
        self.save_action.setEnabled(bool(count))
        self.discard_action.setEnabled(bool(count))

    @staticmethod
    def _target(
        stack: list[EditSession], usable: Callable[[EditSession], bool]
    ) -> EditSession | None:
        while stack and not usable(stack[-1]):
            stack.pop()
        return stack[-1] if stack else None

    def undo(self) -> bool:
        """Undo the newest pending edit of any item; ``False`` if there is none."""
        session = self._target(self._undo, lambda s: s.can_undo)
        if session is None:
            return False
        self._undo.pop()
        self._replaying = True
        try:
            session.undo()
        finally:
            self._replaying = False
        self._redo.append(session)
        self._update_actions()
        return True

    def redo(self) -> bool:
        session = self._target(self._redo, lambda s: s.can_redo)
        if session is None:
            return False
        self._redo.pop()
        self._replaying = True
        try:
            session.redo()
        finally:
            self._replaying = False
        self._undo.append(session)
        self._update_actions()
        return True

    # -- discard -------------------------------------------------------------------

    def discard(self, session: EditSession) -> None:
        session.revert()

    def discard_all(self) -> None:
        for session in self.sessions():
            session.revert()

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

    def _spawn(self, work: Coroutine[Any, Any, bool]) -> None:
        task: asyncio.Task[bool] = asyncio.ensure_future(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def save_session(self, session: EditSession, parent: QWidget | None = None) -> bool:
        """Save one session; on a conflict ask what to do. ``True`` if it was written.

        Other storage errors are raised (``ReadOnlyError``...) with the draft kept.
        """
        writer = self.writer_for(session.store)
        try:
            await session.save(writer)
        except ETagConflictError:
            return await self._resolve_conflict(session, writer, parent)
        self.saved.emit(session)
        return True

    async def _resolve_conflict(
        self, session: EditSession, writer: RawWriter | None, parent: QWidget | None
    ) -> bool:
        while True:
            await session.fetch_theirs()
            dialog = ConflictDialog(session, self.redaction, parent)
            self.conflict_opened.emit(dialog)
            await run_dialog(dialog)
            if dialog.choice == RELOAD:
                await session.reload_theirs()
                self.error.emit(
                    f"Reloaded {session.key}: their version is loaded and your draft is kept "
                    "aside (Use my draft again puts it back)"
                )
                return False
            try:
                if dialog.choice == RECREATE:
                    await session.recreate(writer)
                elif dialog.choice == OVERWRITE and dialog.seen_etag is not None:
                    await session.overwrite(dialog.seen_etag, writer)
                else:
                    return False
            except ETagConflictError:
                continue  # changed again after the user compared: show the new version
            self.saved.emit(session)
            return True

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
                    for session in chosen:
                        session.revert()
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
            for session in chosen:
                if not session.is_dirty:
                    continue
                try:
                    if not await self.save_session(session, dialog):
                        failures.append(f"{session.key}: not saved (conflict unresolved)")
                except StorageError as exc:
                    failures.append(str(exc))
                    self.error.emit(str(exc))
        finally:
            dialog.set_busy(False)
        dialog.show_error("\n".join(failures))

"""``EditSessions``: every item with unsaved edits, undo across items, and saving them.

One per window (or command run). It owns the ``EditSession`` of each opened
item (one per store and key, so whoever holds a session keeps editing the one
that gets saved) and offers:

- ``open`` / ``load_item`` / ``track`` / ``get``: the session of an item;
- queries: ``sessions()`` (those with pending edits), ``is_dirty``,
  ``count()``, ``edit_count()``, ``has_unsaved()``, ``summary()``;
- ``undo()`` / ``redo()``: the newest pending edit of any item first, with
  ``undo_target`` / ``redo_target`` naming the session they would change;
- ``save`` / ``resolve`` / ``save_each`` / ``save_all``: results as plain
  values (``explorer.workspace.saving``); a conflict is returned, the caller
  decides; ``discard`` / ``discard_all``.

Listeners (``add_listener``) hear every change of the pending edits or undo
targets; ``add_saved_listener`` hears each session written (or deleted).
Writes go through the ``RawWriter`` given for the store (``SafeWriter``:
backup and audit) or straight to the store when there is none. Qt-free: the
window's ``PendingEdits`` adapts it.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Callable, Iterable
from contextlib import aclosing

from explorer.core.errors import StorageError
from explorer.storage.base import Storage
from explorer.workspace.item_loading import LoadedItem, load_item
from explorer.workspace.saving import (
    Conflict,
    Resolution,
    SaveResult,
    resolve_conflict,
    save_session,
)
from explorer.workspace.session import EditSession, RawWriter

WriterFor = Callable[[Storage], RawWriter | None]

__all__ = ["Conflict", "EditSessions", "LoadedItem", "Resolution", "SaveResult", "WriterFor"]


class EditSessions:
    """All edit sessions of one workspace; see the module docstring."""

    def __init__(self, writer: RawWriter | WriterFor | None = None) -> None:
        self._writer = writer
        self._sessions: dict[tuple[int, str], EditSession] = {}
        self._undo: list[EditSession] = []
        self._redo: list[EditSession] = []
        self._lengths: dict[int, int] = {}
        self._replaying = False
        self._listeners: list[Callable[[], None]] = []
        self._saved_listeners: list[Callable[[EditSession], None]] = []

    # -- listeners -----------------------------------------------------------------

    def add_listener(self, callback: Callable[[], None]) -> None:
        """Call ``callback()`` after a change of pending edits, counts or undo targets."""
        self._listeners.append(callback)

    def add_saved_listener(self, callback: Callable[[EditSession], None]) -> None:
        """Call ``callback(session)`` after a session was written or its state deleted."""
        self._saved_listeners.append(callback)

    def _changed(self) -> None:
        for callback in list(self._listeners):
            callback()

    def _saved(self, result: SaveResult) -> SaveResult:
        if result.stored:
            for callback in list(self._saved_listeners):
                callback(result.session)
        return result

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

    async def load_item(self, store: Storage, key: str) -> LoadedItem:
        """``key`` as a view shows it: its session with pending edits, else read afresh.

        Never raises a ``StorageError``: a missing item, a body that is not a
        JSON object (the stored item is still returned) or a failed read come
        back in ``LoadedItem.error``.
        """
        existing = self.get(store, key)
        if existing is not None and existing.is_dirty:
            return LoadedItem(store, key, existing.loaded, existing)
        loaded = await load_item(store, key)
        if loaded.session is None:
            return loaded
        return LoadedItem(store, key, loaded.item, self.track(loaded.session))

    def _prune(self, keep: tuple[int, str]) -> None:
        """Set aside clean sessions other than ``keep`` (they are reloaded when opened).

        A set-aside session is still listened to: if someone holding it edits it
        later, it is tracked again (see ``_on_session_change``).
        """
        for slot, session in list(self._sessions.items()):
            if slot != keep and not session.is_dirty:
                self._sessions.pop(slot, None)

    def sessions(self) -> list[EditSession]:
        """Sessions with pending edits, in the order they were tracked.

        A clean session set aside (another item was opened) is tracked again
        at its next edit, so it comes after the items opened meanwhile.
        """
        return [s for s in self._sessions.values() if s.is_dirty]

    def is_dirty(self, key: str, store: Storage | None = None) -> bool:
        """True if ``key`` (in ``store``, or in any store) has pending edits."""
        return any(
            s.is_dirty and s.key == key and (store is None or s.store is store)
            for s in self._sessions.values()
        )

    def count(self) -> int:
        """Number of states that a save would write (or delete)."""
        return len(self.sessions())

    def edit_count(self) -> int:
        """Pending edits over all sessions (a change without undo history counts as one)."""
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
        self._changed()

    @staticmethod
    def _target(
        stack: list[EditSession], usable: Callable[[EditSession], bool]
    ) -> EditSession | None:
        while stack and not usable(stack[-1]):
            stack.pop()
        return stack[-1] if stack else None

    @property
    def undo_target(self) -> EditSession | None:
        """The session whose edit ``undo`` takes back (its ``undo_label`` names it)."""
        return self._target(self._undo, lambda s: s.can_undo)

    @property
    def redo_target(self) -> EditSession | None:
        return self._target(self._redo, lambda s: s.can_redo)

    def _replay(self, take: list[EditSession], give: list[EditSession], forward: bool) -> bool:
        session = self._target(take, lambda s: s.can_redo if forward else s.can_undo)
        if session is None:
            return False
        take.pop()
        self._replaying = True
        try:
            if forward:
                session.redo()
            else:
                session.undo()
        finally:
            self._replaying = False
        give.append(session)
        self._changed()
        return True

    def undo(self) -> bool:
        """Undo the newest pending edit of any item; ``False`` if there is none."""
        return self._replay(self._undo, self._redo, forward=False)

    def redo(self) -> bool:
        """Redo the newest undone edit of any item; ``False`` if there is none."""
        return self._replay(self._redo, self._undo, forward=True)

    # -- discard -------------------------------------------------------------------

    def discard(self, sessions: Iterable[EditSession]) -> None:
        """Throw away the pending edits of ``sessions`` (nothing was written)."""
        for session in list(sessions):
            session.revert()

    def discard_all(self) -> None:
        self.discard(self.sessions())

    # -- save ----------------------------------------------------------------------

    async def save(self, session: EditSession) -> SaveResult:
        """Save one session; a conflict comes back in the result, for the caller to resolve.

        Other storage errors are raised (``ReadOnlyError``...) with the draft kept.
        """
        return self._saved(await save_session(session, self.writer_for(session.store)))

    async def resolve(
        self, conflict: Conflict, choice: Resolution, *, seen_etag: str | None = None
    ) -> SaveResult:
        """Carry out the caller's decision on ``conflict`` (see ``resolve_conflict``)."""
        writer = self.writer_for(conflict.session.store)
        return self._saved(await resolve_conflict(conflict, choice, writer, seen_etag=seen_etag))

    async def save_each(self, sessions: Iterable[EditSession]) -> AsyncGenerator[SaveResult, None]:
        """Save ``sessions`` one by one (clean ones skipped), yielding each result.

        The next session is saved only when the caller asks for it, so a
        conflict can be resolved before the next write. Storage errors come
        back as results with ``error`` set; the other sessions are still saved.
        """
        for session in list(sessions):
            if not session.is_dirty:
                continue
            try:
                result = await self.save(session)
            except StorageError as exc:
                result = SaveResult(session, False, error=exc)
            yield result

    async def save_all(self) -> list[SaveResult]:
        """Save every session with pending edits; conflicts are returned, not resolved."""
        async with aclosing(self.save_each(self.sessions())) as each:
            return [result async for result in each]

"""Saving one edit session: the outcome as a plain value, conflicts included.

``save_session`` writes a session's draft with the etag it loaded. When the
item changed meanwhile the result carries a ``Conflict`` (with the version
stored now, already fetched) instead of raising: the caller shows it its own
way (a dialog, a line on the terminal) and answers with a ``Resolution``,
which ``resolve_conflict`` carries out. Both return a ``SaveResult``.

Invariants:
- Nothing is overwritten without a decision: ``OVERWRITE`` is checked against
  the etag of the version the caller saw (``seen_etag``, by default the one
  in the ``Conflict``), so a change made after that comes back as a new
  ``Conflict``, never lost. ``RECREATE`` (the item was deleted meanwhile) is
  a create, refused the same way if the key exists again.
- A failed or undecided save keeps the session's draft; other storage errors
  (``ReadOnlyError``, ``BackendUnavailableError``...) are raised as they are.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from explorer.core.errors import ETagConflictError, StorageError
from explorer.core.items import RawItem
from explorer.workspace.session import EditSession, RawWriter


class Resolution(StrEnum):
    """What to do about a conflict (the values are the window's dialog choices)."""

    #: take the stored version as the new base; the draft is kept aside
    RELOAD = "reload"
    #: write the draft over the stored version the caller saw
    OVERWRITE = "overwrite"
    #: the item was deleted meanwhile: write the draft as a new item
    RECREATE = "recreate"
    #: keep everything pending
    CANCEL = "cancel"


@dataclass(frozen=True)
class Conflict:
    """A save met a changed item; ``theirs`` is the version stored now (``None``: deleted)."""

    session: EditSession
    theirs: RawItem | None

    @property
    def deleted(self) -> bool:
        return self.theirs is None

    @property
    def choices(self) -> tuple[Resolution, ...]:
        """The resolutions that make sense here (``CANCEL`` always does)."""
        if self.theirs is None:
            if self.session.deleted:  # deleted on both sides: nothing to write
                return (Resolution.CANCEL,)
            return (Resolution.RECREATE, Resolution.CANCEL)
        return (Resolution.RELOAD, Resolution.OVERWRITE, Resolution.CANCEL)


@dataclass(frozen=True)
class SaveResult:
    """How a save (or a resolution) ended for one session.

    ``stored``: the draft was written (or the state deleted). Otherwise
    ``conflict`` says what the caller must decide, ``error`` why it failed
    (only from ``EditSessions.save_each``, which collects errors), and
    ``note`` what happened instead (after ``RELOAD``).
    """

    session: EditSession
    stored: bool
    conflict: Conflict | None = None
    error: StorageError | None = None
    note: str = ""

    @property
    def key(self) -> str:
        return self.session.key

    def describe(self) -> str:
        """One line for a failure list ("" when it was stored)."""
        if self.stored:
            return ""
        if self.error is not None:
            return str(self.error)
        return f"{self.key}: not saved (conflict unresolved)"


async def _conflict(session: EditSession) -> SaveResult:
    return SaveResult(session, False, Conflict(session, await session.fetch_theirs()))


async def save_session(session: EditSession, writer: RawWriter | None) -> SaveResult:
    """Write ``session``'s draft (a clean session writes nothing and counts as stored).

    A changed item gives a result with a ``Conflict`` (their version fetched);
    other ``StorageError`` are raised with the draft kept.
    """
    try:
        await session.save(writer)
    except ETagConflictError:
        return await _conflict(session)
    return SaveResult(session, True)


def reload_note(key: str) -> str:
    return (
        f"Reloaded {key}: their version is loaded and your draft is kept "
        "aside (Use my draft again puts it back)"
    )


async def resolve_conflict(
    conflict: Conflict,
    choice: Resolution,
    writer: RawWriter | None,
    *,
    seen_etag: str | None = None,
) -> SaveResult:
    """Carry out ``choice`` for ``conflict``.

    ``OVERWRITE`` writes over the version with ``seen_etag`` (default: the
    conflict's ``theirs``); if the item changed again, or was recreated
    before a ``RECREATE``, the result holds a new ``Conflict``. ``RELOAD``
    raises ``ItemNotFoundError`` if the item is gone by then. A choice that
    does not fit (``OVERWRITE`` of a deleted item) is taken as ``CANCEL``.
    """
    session = conflict.session
    try:
        if choice == Resolution.RELOAD and conflict.theirs is not None:
            await session.reload_theirs()
            return SaveResult(session, False, note=reload_note(session.key))
        if choice == Resolution.RECREATE and conflict.theirs is None:
            await session.recreate(writer)
        elif choice == Resolution.OVERWRITE and conflict.theirs is not None:
            etag = seen_etag if seen_etag is not None else conflict.theirs.etag
            if etag is None:
                return SaveResult(session, False)
            await session.overwrite(etag, writer)
        else:
            return SaveResult(session, False)
    except ETagConflictError:  # changed again after the caller looked: show the new version
        return await _conflict(session)
    return SaveResult(session, True)

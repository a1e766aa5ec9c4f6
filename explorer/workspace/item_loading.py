"""Reading one item for a view: its stored form and an edit session, or why there is none.

``load_item(store, key)`` reads ``key`` and starts an ``EditSession`` on it,
and returns both as a ``LoadedItem``; it never raises a ``StorageError``, so
a view can show what there is:

- the key no longer exists: no item, no session, ``ItemNotFoundError``;
- the body is not a JSON object (``DecodeError``): the stored item (its text
  can still be shown) and no session;
- the read failed: no session, the error (and the item, if it was read).

A body above ``THREAD_DECODE_BYTES`` is decoded in a worker thread, so the
event loop (and the window on it) keeps going while megabytes are parsed.

``revert_to_backup`` makes a backed-up version the draft of a session (a
pending edit, decoded with the store's own codec).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from explorer.core.errors import DecodeError, ItemNotFoundError, StorageError
from explorer.core.items import RawItem
from explorer.storage.base import Storage
from explorer.workspace.backups import Backup
from explorer.workspace.session import EditSession

#: bodies larger than this are decoded off the event loop
THREAD_DECODE_BYTES = 256 * 1024


@dataclass(frozen=True)
class LoadedItem:
    """What a view shows for ``key``: see the module docstring for the cases."""

    store: Storage
    key: str
    item: RawItem | None
    session: EditSession | None
    error: StorageError | None = None

    @property
    def missing(self) -> bool:
        """The key no longer exists in the store."""
        return isinstance(self.error, ItemNotFoundError)

    @property
    def undecodable(self) -> bool:
        """The item exists but its body is not a JSON object (shown as text, not edited)."""
        return isinstance(self.error, DecodeError)


async def start_session(store: Storage, item: RawItem) -> EditSession:
    """A session on ``item``; a large body is decoded in a worker thread.

    Raises ``DecodeError`` if the body is not a JSON object.
    """
    if item.size > THREAD_DECODE_BYTES:
        return await asyncio.to_thread(EditSession, store, item)
    return EditSession(store, item)


async def load_item(store: Storage, key: str) -> LoadedItem:
    """Read ``key`` and start a session on it; failures come back in ``error``."""
    item: RawItem | None = None
    try:
        found = await store.read_raw([key])
        item = found.get(key)
        if item is None:
            return LoadedItem(store, key, None, None, ItemNotFoundError(key))
        return LoadedItem(store, key, item, await start_session(store, item))
    except StorageError as exc:  # DecodeError: the stored item is kept, to show its text
        return LoadedItem(store, key, item, None, exc)


def revert_to_backup(session: EditSession, backup: Backup) -> None:
    """Make ``backup`` the draft of ``session`` (a pending edit, undoable).

    A backup recording that the item was absent marks the state for deletion.
    Raises ``DecodeError`` (a ``StorageError``) if the backed-up body is not a
    JSON object.
    """
    if not backup.existed:
        session.delete_state()
        return
    document = session.store.decode(backup.to_raw_item())
    session.replace_document(document, label=f"Revert to version {backup.version}")

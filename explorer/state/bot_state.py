"""State buckets: load a state document once per turn, cache it, save it if it changed.

A ``BotState`` owns one storage key per turn (``get_storage_key``). The first
``load`` (or accessor call) on a turn reads that key and caches the document,
its etag and a fingerprint in the turn's ``turn_state``; every later call on
the same turn shares that cache, and a new turn loads afresh.

Invariants:
- ``save_changes`` writes only this bucket's key, and only when the document's
  fingerprint differs from the one taken at load (or last save), or ``force``.
- ``last_write_wins`` writes without an etag (a change made by someone else
  since the load is overwritten). ``optimistic`` writes with the etag read at
  load, and an item that was missing at load is only created if it is still
  missing: a change made by someone else since the load raises
  ``ETagConflictError`` and nothing is written; the cache keeps this turn's
  change so the caller can reload and apply it again.
- The cached document never carries the storage members ``e_tag`` / ``eTag``.
- The cache is per ``BotState`` instance: two buckets (even of one class) over
  different storages never share a turn cache.

Differences from botbuilder-python, on purpose: a loaded empty document is
not read again on every access; a missing property with no default raises
``PropertyNotFoundError`` instead of returning ``None``; a falsy default
(``0``, ``{}``) is a default; ``save_changes`` after ``delete`` or before any
load writes nothing.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from typing import Any, Literal, Protocol, get_args

from explorer.state._json import fingerprint, json_copy
from explorer.state.accessor import StatePropertyAccessor
from explorer.state.keys import KEY_STYLES, KeyStyle, conversation_key, private_key, user_key
from explorer.state.turn import (
    TurnLike,
    channel_id_of,
    conversation_id_of,
    turn_state_of,
    user_id_of,
)
from explorer.storage.base import StorageBase

Concurrency = Literal["last_write_wins", "optimistic"]
CONCURRENCY_MODES: tuple[Concurrency, ...] = get_args(Concurrency)

#: numbers bucket instances, so each has its own turn_state entry for its whole life
_instances = itertools.count(1)

#: a fingerprint that no document has: the next save always writes
_ALWAYS_CHANGED = b""


class BotStorage(Protocol):
    """The storage a bucket needs: the bot-facing trio (``explorer.storage`` or botbuilder).

    With an ``explorer.storage`` store, buckets read and write through its plain
    document pair (``read_documents`` / ``write_documents``), so they see JSON
    documents even on a store in object mode (one a botbuilder-python bot
    opened with ``objects=True``); optimistic buckets also use ``write_raw`` /
    ``encode`` / ``delete_raw`` to create-if-missing and to learn the new etag
    after a save.
    """

    async def read(self, keys: Sequence[str]) -> Mapping[str, Any]: ...

    async def write(self, changes: Mapping[str, Mapping[str, Any]]) -> None: ...

    async def delete(self, keys: Sequence[str]) -> None: ...


class CachedState:
    """One bucket's state for one turn: the document, its key, etag and fingerprint."""

    __slots__ = ("document", "etag", "fingerprint", "key")

    def __init__(self, key: str, document: dict[str, Any], etag: str | None, mark: bytes) -> None:
        self.key = key
        self.document = document
        #: the stored etag when loaded or last saved; ``None``: missing (or unknown)
        self.etag = etag
        self.fingerprint = mark

    @property
    def is_changed(self) -> bool:
        return self.fingerprint != fingerprint(self.document)


class BotState:
    """A state bucket. Subclasses say where its document lives (``get_storage_key``).

    ``key_style``: ``"plain"`` (docs, .NET, default), ``"python"`` (private
    keys end with ``/``) or ``"js"`` (every key ends with ``/``): pick the style
    of the bots that share the store. ``concurrency``: see the module notes.
    """

    def __init__(
        self,
        storage: BotStorage,
        *,
        key_style: KeyStyle = "plain",
        concurrency: Concurrency = "last_write_wins",
    ) -> None:
        if key_style not in KEY_STYLES:
            raise ValueError(f"key_style must be one of {KEY_STYLES}, not {key_style!r}")
        if concurrency not in CONCURRENCY_MODES:
            raise ValueError(f"concurrency must be one of {CONCURRENCY_MODES}, not {concurrency!r}")
        self.storage = storage
        self.key_style: KeyStyle = key_style
        self.concurrency: Concurrency = concurrency
        self._optimistic = concurrency == "optimistic"
        # explorer stores hand out fresh documents; others (botbuilder's
        # MemoryStorage) may hand out their stored object, which we must not change
        self._fresh_reads = isinstance(storage, StorageBase)
        #: explorer stores: their plain pair (never objects, whatever their mode)
        self._documents = storage if isinstance(storage, StorageBase) else None
        self._raw_writes = all(
            hasattr(storage, name) for name in ("write_raw", "encode", "delete_raw")
        )
        #: where this bucket caches its state in ``turn_state``
        self.cache_key = f"explorer.state.{type(self).__name__}#{next(_instances)}"

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}({self.storage!r}, key_style={self.key_style!r}, "
            f"concurrency={self.concurrency!r})"
        )

    def get_storage_key(self, turn: TurnLike) -> str:
        """The storage key of this bucket's document for ``turn``. Override in custom buckets."""
        raise NotImplementedError(
            f"{type(self).__name__} must override get_storage_key(turn) "
            "to say where its state lives"
        )

    def create_property(self, name: str) -> StatePropertyAccessor:
        """An accessor for the top-level property ``name`` of this bucket's document."""
        return StatePropertyAccessor(self, name)

    # -- the per-turn cache ---------------------------------------------------

    def get_cached_state(self, turn: TurnLike) -> CachedState | None:
        """This bucket's cache on ``turn``, or ``None`` before the first load."""
        cached: CachedState | None = turn_state_of(turn).get(self.cache_key)
        return cached

    def get(self, turn: TurnLike) -> dict[str, Any] | None:
        """The cached document (live: changes to it are saved), or ``None`` if not loaded."""
        cached = self.get_cached_state(turn)
        return None if cached is None else cached.document

    async def load(self, turn: TurnLike, force: bool = False) -> None:
        """Read the document into the turn's cache, unless already cached.

        ``force`` reads again and drops unsaved changes. A missing item loads
        as an empty document.
        """
        await self.loaded(turn, force)

    async def loaded(self, turn: TurnLike, force: bool = False) -> CachedState:
        """The turn's cache, loading it first if needed (what accessors call)."""
        turn_state = turn_state_of(turn)
        cached: CachedState | None = turn_state.get(self.cache_key)
        if cached is not None and not force:
            return cached
        key = self.get_storage_key(turn)
        if self._documents is not None:
            items: Mapping[str, Any] = await self._documents.read_documents([key])
        else:
            items = await self.storage.read([key])
        found = items.get(key)
        etag: str | None = None
        if found is None:
            document: dict[str, Any] = {}
        else:
            document = found if self._fresh_reads and type(found) is dict else json_copy(found)
            etag = document.pop("e_tag", None)
            js_etag = document.pop("eTag", None)
            etag = str(etag or js_etag or "")
        cached = CachedState(key, document, etag, fingerprint(document))
        turn_state[self.cache_key] = cached
        return cached

    async def save_changes(self, turn: TurnLike, force: bool = False) -> None:
        """Write the cached document if it changed since load (or always with ``force``).

        Does nothing if the turn never loaded this bucket. Raises
        ``ETagConflictError`` (optimistic buckets) if the item changed since it
        was loaded; the cache is left as it was.
        """
        cached: CachedState | None = turn_state_of(turn).get(self.cache_key)
        if cached is None:
            return
        mark = fingerprint(cached.document)
        if mark == cached.fingerprint and not force:
            return
        if self._optimistic:
            await self._write_checked(cached)
        elif self._documents is not None:
            await self._documents.write_documents({cached.key: cached.document})
        else:
            await self.storage.write({cached.key: cached.document})
        cached.fingerprint = mark

    async def _write_checked(self, cached: CachedState) -> None:
        """Write ``cached`` only if the stored item is still the one loaded.

        ``etag`` ``None``: the item was missing, create it only if still
        missing; ``""``: it had no etag, nothing to check against.
        """
        key, etag = cached.key, cached.etag
        storage: Any = self.storage
        if self._raw_writes:
            # explorer.storage: create-only for a missing item, and the new etag back
            stored = await storage.write_raw(
                storage.encode(key, cached.document), if_match=etag or None, create=etag is None
            )
            cached.etag = stored.etag or ""
            return
        if not etag:
            # a storage without create-only writes: the best it can do is last write wins
            await storage.write({key: cached.document})
            return
        await storage.write({key: {**cached.document, "e_tag": etag}})
        # learn the new etag so a second save on this turn is checked too; if
        # someone wrote in between, keep the stale etag so that save conflicts
        latest = (await storage.read([key])).get(key)
        if latest is not None:
            latest = dict(latest)
            new_etag = latest.pop("e_tag", None)
            new_etag = latest.pop("eTag", None) or new_etag
            if new_etag and fingerprint(latest) == fingerprint(cached.document):
                cached.etag = str(new_etag)

    async def clear_state(self, turn: TurnLike) -> None:
        """Empty this bucket's document in the cache; the next ``save_changes`` writes it.

        An optimistic bucket loads first (if not loaded) so the save still
        checks the etag; a last-write-wins bucket does not read.
        """
        turn_state = turn_state_of(turn)
        cached: CachedState | None = turn_state.get(self.cache_key)
        if cached is None and self._optimistic:
            cached = await self.loaded(turn)
        if cached is None:
            cached = CachedState(self.get_storage_key(turn), {}, None, _ALWAYS_CHANGED)
            turn_state[self.cache_key] = cached
        cached.document = {}
        cached.fingerprint = _ALWAYS_CHANGED

    async def delete(self, turn: TurnLike) -> None:
        """Delete this bucket's stored document and drop the turn's cache.

        Deleting a missing item is a no-op. An optimistic bucket that loaded
        the item deletes it only if it did not change since
        (``ETagConflictError`` otherwise).
        """
        cached: CachedState | None = turn_state_of(turn).pop(self.cache_key, None)
        key = self.get_storage_key(turn) if cached is None else cached.key
        storage: Any = self.storage
        if self._optimistic and cached is not None and cached.etag and self._raw_writes:
            await storage.delete_raw(key, if_match=cached.etag)
            return
        await self.storage.delete([key])


class UserState(BotState):
    """State per user and channel: ``{channel}/users/{user}``."""

    def get_storage_key(self, turn: TurnLike) -> str:
        return user_key(
            channel_id_of(turn, "UserState"), user_id_of(turn, "UserState"), style=self.key_style
        )


class ConversationState(BotState):
    """State per conversation: ``{channel}/conversations/{conversation}``."""

    def get_storage_key(self, turn: TurnLike) -> str:
        return conversation_key(
            channel_id_of(turn, "ConversationState"),
            conversation_id_of(turn, "ConversationState"),
            style=self.key_style,
        )


class PrivateConversationState(BotState):
    """State per user within one conversation: ``{channel}/conversations/{conv}/users/{user}``."""

    def get_storage_key(self, turn: TurnLike) -> str:
        who = "PrivateConversationState"
        return private_key(
            channel_id_of(turn, who),
            conversation_id_of(turn, who),
            user_id_of(turn, who),
            style=self.key_style,
        )

"""Property accessors: read and write one top-level property of a bucket's document.

``state.create_property("UserProfile")`` returns a ``StatePropertyAccessor``.
Every call loads the bucket on first use in a turn and then works on the
turn's cache; nothing is written until ``state.save_changes(turn)``.

Edge cases:
- A property stored as ``null`` exists: ``get`` returns ``None``.
- A missing property with no default raises ``PropertyNotFoundError`` (a
  ``KeyError``) naming the property and the storage key. Unlike
  botbuilder-python, a falsy default (``0``, ``""``, ``{}``) is a default.
- A callable default is a factory: it is called and its result cached. Any
  other default is deep-copied before it is cached, so mutating the returned
  value never changes the default for later turns.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from explorer.core.errors import PropertyNotFoundError
from explorer.state._json import json_copy
from explorer.state.turn import TurnLike


class LoadedDocument(Protocol):
    """A bucket's document as loaded for one turn (``CachedState`` is one)."""

    @property
    def key(self) -> str: ...

    @property
    def document(self) -> dict[str, Any]: ...


class Bucket(Protocol):
    """What an accessor needs of its state bucket (``BotState`` is one).

    Defined here so that ``bot_state`` imports the accessor and never the
    other way round.
    """

    @property
    def cache_key(self) -> str: ...

    async def loaded(self, turn: TurnLike) -> LoadedDocument: ...


class StatePropertyAccessor:
    """Get, set and delete the property ``name`` of ``state``'s document for a turn."""

    __slots__ = ("_cache_key", "_state", "name")

    def __init__(self, state: Bucket, name: str) -> None:
        if not name or not isinstance(name, str):
            raise ValueError("a state property needs a non-empty name")
        self._state = state
        self._cache_key = state.cache_key
        self.name = name

    def _peek(self, turn: TurnLike) -> LoadedDocument | None:
        """The turn's cache if loaded: the hot path awaits nothing once a turn is loaded."""
        try:
            cached: LoadedDocument | None = turn.turn_state.get(self._cache_key)
        except AttributeError:  # not a turn: loaded() says so
            return None
        return cached

    @property
    def state(self) -> Bucket:
        return self._state

    def __repr__(self) -> str:
        return f"StatePropertyAccessor({type(self._state).__name__}, {self.name!r})"

    async def get(self, turn: TurnLike, default_or_factory: Callable[[], Any] | Any = None) -> Any:
        """The property's value (live: mutate it, then ``save_changes``).

        Missing: the factory's result or a copy of the default, cached in the
        turn; with neither, ``PropertyNotFoundError``.
        """
        cached = self._peek(turn) or await self._state.loaded(turn)
        document = cached.document
        try:
            return document[self.name]
        except KeyError:
            pass
        if default_or_factory is None:
            raise PropertyNotFoundError(self.name, cached.key) from None
        value = (
            default_or_factory() if callable(default_or_factory) else json_copy(default_or_factory)
        )
        document[self.name] = value
        return value

    async def set(self, turn: TurnLike, value: Any) -> None:
        """Set the property in the turn's cache (stored by the next ``save_changes``)."""
        cached = self._peek(turn) or await self._state.loaded(turn)
        cached.document[self.name] = value

    async def delete(self, turn: TurnLike) -> None:
        """Remove the property from the turn's cache; a missing property is a no-op."""
        cached = self._peek(turn) or await self._state.loaded(turn)
        cached.document.pop(self.name, None)

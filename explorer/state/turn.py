"""The turn a state API works on: our minimal ``Turn`` or a botbuilder ``TurnContext``.

Every state API takes a ``TurnLike``: anything with a mutable ``turn_state``
mapping plus the ids, either as attributes (``Turn``) or on an ``activity`` the
way botbuilder-python's ``TurnContext`` carries them
(``activity.channel_id``, ``activity.from_property.id``,
``activity.conversation.id``). Nothing here imports botbuilder: a
``TurnContext`` is used unchanged, by duck typing.

Invariants:
- The per-turn state cache lives in ``turn_state``, so it lasts exactly as
  long as the turn object: a new turn loads afresh.
- A missing id is only an error when a key needs it, and then a
  ``ValueError`` names the id and where it was looked for.
"""

from __future__ import annotations

from collections.abc import MutableMapping
from typing import Any, Protocol


class TurnLike(Protocol):
    """What the state layer needs from a turn: a place to cache state."""

    @property
    def turn_state(self) -> MutableMapping[Any, Any]: ...


class Turn:
    """A minimal turn: the three ids and a ``turn_state`` dict.

    Ids may be ``None`` (or empty) when no bucket used with the turn needs
    them; ``UserState`` needs channel and user, ``ConversationState`` channel
    and conversation, ``PrivateConversationState`` all three.
    """

    __slots__ = ("channel_id", "conversation_id", "turn_state", "user_id")

    def __init__(
        self,
        channel_id: str | None,
        user_id: str | None = None,
        conversation_id: str | None = None,
    ) -> None:
        self.channel_id = channel_id
        self.user_id = user_id
        self.conversation_id = conversation_id
        self.turn_state: dict[Any, Any] = {}

    def __repr__(self) -> str:
        return (
            f"Turn(channel_id={self.channel_id!r}, user_id={self.user_id!r}, "
            f"conversation_id={self.conversation_id!r})"
        )


def _missing(what: str, where: str, needed_by: str) -> ValueError:
    return ValueError(
        f"{needed_by} needs the {what} but the turn has none ({where} is missing or empty); "
        f"set it on the turn before using {needed_by}"
    )


def _member(value: object, *path: str) -> object:
    """``value.a.b.c`` of a botbuilder TurnContext (duck-typed), or None where one is missing."""
    for name in path:
        value = getattr(value, name, None)
    return value


def channel_id_of(turn: object, needed_by: str) -> str:
    """The turn's channel id, or ``ValueError`` naming what is missing."""
    if type(turn) is Turn or isinstance(turn, Turn):
        value: object = turn.channel_id
        where = "Turn.channel_id"
    else:
        value = _member(turn, "activity", "channel_id")
        where = "activity.channel_id"
    if not value:
        raise _missing("channel id", where, needed_by)
    return str(value)


def user_id_of(turn: object, needed_by: str) -> str:
    """The id of the user who sent the turn (``activity.from_property.id``)."""
    if type(turn) is Turn or isinstance(turn, Turn):
        value: object = turn.user_id
        where = "Turn.user_id"
    else:
        value = _member(turn, "activity", "from_property", "id")
        where = "activity.from_property.id"
    if not value:
        raise _missing("user id", where, needed_by)
    return str(value)


def conversation_id_of(turn: object, needed_by: str) -> str:
    """The turn's conversation id (``activity.conversation.id``)."""
    if type(turn) is Turn or isinstance(turn, Turn):
        value: object = turn.conversation_id
        where = "Turn.conversation_id"
    else:
        value = _member(turn, "activity", "conversation", "id")
        where = "activity.conversation.id"
    if not value:
        raise _missing("conversation id", where, needed_by)
    return str(value)


def turn_state_of(turn: object) -> MutableMapping[Any, Any]:
    """The turn's ``turn_state`` mapping, or ``TypeError`` if it has none."""
    try:
        state = turn.turn_state  # type: ignore[attr-defined]
    except AttributeError:
        state = None
    if state is None:
        raise TypeError(
            f"{type(turn).__name__} is not a turn: it has no turn_state; "
            "pass an explorer.state.Turn or a botbuilder TurnContext"
        )
    return state  # type: ignore[no-any-return]

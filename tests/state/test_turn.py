"""Turns: our minimal Turn and any botbuilder-shaped TurnContext, and missing ids."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from explorer.state import ConversationState, PrivateConversationState, Turn, UserState
from explorer.storage import MemoryStorage


def activity_turn(
    channel: str | None, user: str | None, conversation: str | None
) -> SimpleNamespace:
    """The shape of a botbuilder ``TurnContext`` (the peer test uses the real one)."""
    return SimpleNamespace(
        activity=SimpleNamespace(
            channel_id=channel,
            from_property=None if user is None else SimpleNamespace(id=user),
            conversation=None if conversation is None else SimpleNamespace(id=conversation),
        ),
        turn_state={},
    )


def test_turn_holds_ids_and_an_empty_turn_state() -> None:
    t = Turn("msteams", "u", "c")
    assert (t.channel_id, t.user_id, t.conversation_id, t.turn_state) == ("msteams", "u", "c", {})
    assert "msteams" in repr(t)


@pytest.mark.parametrize("make", [Turn, activity_turn])
def test_keys_come_from_either_kind_of_turn(make: Any) -> None:
    t = make("msteams", "29:1AbC", "19:x@thread.v2")
    store = MemoryStorage()
    assert UserState(store).get_storage_key(t) == "msteams/users/29:1AbC"
    assert ConversationState(store).get_storage_key(t) == "msteams/conversations/19:x@thread.v2"
    assert (
        PrivateConversationState(store).get_storage_key(t)
        == "msteams/conversations/19:x@thread.v2/users/29:1AbC"
    )


@pytest.mark.parametrize(
    ("bucket", "ids", "message"),
    [
        (UserState, (None, "u", "c"), "channel id"),
        (UserState, ("msteams", None, "c"), "user id"),
        (UserState, ("msteams", "", "c"), "user id"),
        (ConversationState, ("msteams", "u", None), "conversation id"),
        (PrivateConversationState, ("msteams", "u", None), "conversation id"),
        (PrivateConversationState, ("msteams", None, "c"), "user id"),
    ],
)
@pytest.mark.parametrize("make", [Turn, activity_turn])
async def test_a_missing_id_is_a_clear_value_error(
    bucket: Any, ids: tuple[str | None, ...], message: str, make: Any
) -> None:
    t = make(*ids)
    state = bucket(MemoryStorage())
    with pytest.raises(ValueError, match=f"{bucket.__name__} needs the {message}") as caught:
        await state.load(t)
    where = "Turn." if make is Turn else "activity."
    assert where in str(caught.value)


async def test_a_turn_without_the_ids_a_bucket_does_not_need_is_fine() -> None:
    state = UserState(MemoryStorage())
    t = Turn("msteams", "u")
    assert await state.create_property("p").get(t, 1) == 1


async def test_an_object_without_turn_state_is_refused() -> None:
    with pytest.raises(TypeError, match="turn_state"):
        await UserState(MemoryStorage()).load(object())  # type: ignore[arg-type]


async def test_a_turn_subclass_is_a_turn() -> None:
    class TeamsTurn(Turn):
        __slots__ = ("tenant",)

    t = TeamsTurn("msteams", "u", "c")
    assert UserState(MemoryStorage()).get_storage_key(t) == "msteams/users/u"

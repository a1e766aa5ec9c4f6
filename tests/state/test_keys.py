"""Key building and parsing: every style, every dialect, any ids (hypothesis)."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from explorer.state.keys import KEY_STYLES, conversation_key, parse_key, private_key, user_key

# Ids are opaque text. Limits that are inherent to the key shapes, not to the
# code (no parser could tell these apart): a channel holds no "/" and is not a
# reserved Agents SDK first segment; an id does not end with "/" (it would
# read as a trailing-slash style); a conversation id holds no "/users/" (the
# key would read as private state).
ids = st.text(min_size=1).filter(lambda s: not s.endswith("/"))
conversation_ids = ids.filter(lambda s: "/users/" not in s)
channels = st.text(min_size=1).filter(
    lambda s: "/" not in s and ":_" not in s and s not in {"auth", "proactive"}
)
styles = st.sampled_from(KEY_STYLES)


@given(channels, ids, styles)
def test_user_keys_round_trip(channel: str, user: str, style: Any) -> None:
    info = parse_key(user_key(channel, user, style=style))
    assert (info.kind, info.channel, info.user, info.conversation) == ("user", channel, user, None)
    assert info.trailing_slash is (style == "js")


@given(channels, conversation_ids, styles)
def test_conversation_keys_round_trip(channel: str, conversation: str, style: Any) -> None:
    info = parse_key(conversation_key(channel, conversation, style=style))
    assert (info.kind, info.channel, info.conversation, info.user) == (
        "conversation",
        channel,
        conversation,
        None,
    )
    assert info.trailing_slash is (style == "js")


@given(channels, conversation_ids, ids, styles)
def test_private_keys_round_trip(channel: str, conversation: str, user: str, style: Any) -> None:
    info = parse_key(private_key(channel, conversation, user, style=style))
    assert (info.kind, info.channel, info.conversation, info.user) == (
        "private",
        channel,
        conversation,
        user,
    )
    assert info.trailing_slash is (style != "plain")


@pytest.mark.parametrize(
    ("key", "kind", "channel", "agent", "user", "conversation"),
    [
        ("msteams/users/user-1", "user", "msteams", None, "user-1", None),
        ("msteams/users/user-1/", "user", "msteams", None, "user-1", None),
        ("msteams/conversations/conv-1", "conversation", "msteams", None, None, "conv-1"),
        (
            "msteams/conversations/conv-1/users/user-1/",
            "private",
            "msteams",
            None,
            "user-1",
            "conv-1",
        ),
        ("msteams:COPILOT/users/u", "user", "msteams:COPILOT", None, "u", None),
        ("msteams/28:bot-app-id/users/u/", "user", "msteams", "28:bot-app-id", "u", None),
        ("msteams/28:bot/conversations/c", "conversation", "msteams", "28:bot", None, "c"),
        ("auth/msteams/users/u", "other", None, None, None, None),
        ("auth:_SignInState:msteams:u", "other", None, None, None, None),
        ("proactive/conversations/c", "other", None, None, None, None),
        ("direct/dict-key", "other", None, None, None, None),
        ("weird key?#*\\with chars", "other", None, None, None, None),
        ("msteams/users/", "other", None, None, None, None),
    ],
)
def test_real_keys_parse(
    key: str,
    kind: str,
    channel: str | None,
    agent: str | None,
    user: str | None,
    conversation: str | None,
) -> None:
    info = parse_key(key)
    assert (info.kind, info.channel, info.agent, info.user, info.conversation) == (
        kind,
        channel,
        agent,
        user,
        conversation,
    )


@pytest.mark.parametrize("build", [user_key, conversation_key])
def test_builders_refuse_empty_ids(build: Any) -> None:
    with pytest.raises(ValueError, match="missing"):
        build("msteams", "")

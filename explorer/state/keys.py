"""Build and parse the storage keys of bot state, in every dialect.

Key shapes (``/`` is the only separator, and only around the fixed markers):

- user:         ``{channel}/users/{user}``
- conversation: ``{channel}/conversations/{conv}``
- private:      ``{channel}/conversations/{conv}/users/{user}``
- Agents SDK app turn state: ``{channel}/{agent}/users/{user}`` and
  ``{channel}/{agent}/conversations/{conv}``

``plain`` (docs, .NET) has no trailing slash; ``python`` adds one to private
keys only; ``js`` adds one to every key. Ids are opaque: they may contain ``:``,
``;``, ``@``, ``|``, ``?``, ``#``, ``*``, ``\\``, spaces and non-ASCII, and are
never split on anything but the markers. Everything else (sign-in and
proactive keys, direct writes) is ``other``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

KeyKind = Literal["user", "conversation", "private", "other"]
KeyStyle = Literal["plain", "python", "js"]
KEY_STYLES: tuple[KeyStyle, ...] = ("plain", "python", "js")

_USERS = "users/"
_CONVERSATIONS = "conversations/"
_PRIVATE_MARK = "/users/"
#: first segments that Agents SDK uses for non-state keys
_NOT_CHANNELS = frozenset({"auth", "proactive"})


@dataclass(frozen=True, slots=True)
class KeyInfo:
    """What a storage key says. Fields not part of the key are ``None``."""

    key: str
    kind: KeyKind
    channel: str | None = None
    agent: str | None = None
    user: str | None = None
    conversation: str | None = None
    trailing_slash: bool = False


_Parts = tuple[KeyKind, str, str | None, str | None, str | None, bool]


def _parse(key: str) -> _Parts | None:
    """(kind, channel, agent, user, conversation, trailing slash); ``None``: other."""
    channel, sep, rest = key.partition("/")
    if not sep or not channel or channel in _NOT_CHANNELS or ":_" in channel:
        return None
    agent: str | None = None
    if not rest.startswith((_USERS, _CONVERSATIONS)):
        agent, sep, rest = rest.partition("/")
        if not sep or not agent or not rest.startswith((_USERS, _CONVERSATIONS)):
            return None
    trailing = rest.endswith("/")
    if trailing:
        rest = rest[:-1]
    if rest.startswith(_USERS):
        user = rest[len(_USERS) :]
        if not user:
            return None
        return "user", channel, agent, user, None, trailing
    conv = rest[len(_CONVERSATIONS) :]
    conv, mark, user = conv.partition(_PRIVATE_MARK)
    if not conv:
        return None
    if mark:
        if not user or agent is not None:
            return None
        return "private", channel, None, user, conv, trailing
    return "conversation", channel, agent, None, conv, trailing


def parse_key(key: str) -> KeyInfo:
    """Parse any stored key (Bot Framework or Agents SDK, any dialect)."""
    parts = _parse(key)
    if parts is None:
        return KeyInfo(key=key, kind="other")
    kind, channel, agent, user, conversation, trailing = parts
    return KeyInfo(key, kind, channel, agent, user, conversation, trailing)


def key_kind(key: str) -> tuple[KeyKind, str | None]:
    """``(kind, channel)`` of a key, as ``parse_key`` says, without building a
    ``KeyInfo`` (for scans over many keys)."""
    parts = _parse(key)
    return ("other", None) if parts is None else (parts[0], parts[1])


def _require(name: str, value: str | None) -> str:
    if not value:
        raise ValueError(f"{name} is missing: a storage key for this state needs it")
    return value


def _suffix(style: KeyStyle, kind: KeyKind) -> str:
    if style == "js" or (style == "python" and kind == "private"):
        return "/"
    return ""


def user_key(channel: str, user: str, *, style: KeyStyle = "plain") -> str:
    channel, user = _require("channel id", channel), _require("user id", user)
    return f"{channel}/users/{user}{_suffix(style, 'user')}"


def conversation_key(channel: str, conversation: str, *, style: KeyStyle = "plain") -> str:
    channel = _require("channel id", channel)
    conversation = _require("conversation id", conversation)
    return f"{channel}/conversations/{conversation}{_suffix(style, 'conversation')}"


def private_key(channel: str, conversation: str, user: str, *, style: KeyStyle = "plain") -> str:
    channel = _require("channel id", channel)
    conversation = _require("conversation id", conversation)
    user = _require("user id", user)
    return f"{channel}/conversations/{conversation}/users/{user}{_suffix(style, 'private')}"

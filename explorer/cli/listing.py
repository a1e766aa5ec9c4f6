"""``ls`` output, fast: ``KIND<TAB>KEY`` lines for a page of keys at a time.

``ls`` prints millions of keys, so each costs well under a microsecond here:

- The kind is ``parse_key(key).kind`` computed without building a ``KeyInfo``.
  Keys of one page mostly share their head (``msteams/users/``, a channel and
  an agent...), and below a head the kind depends only on the rest of the key,
  so a head is parsed once per run of keys that share it. Tests check
  ``kinds`` against ``parse_key`` on every key shape and on random keys.
- Escaping (``escape_key``) is needed by almost no key: a page whose text is
  printable (``str.isprintable``: no control, format, separator or surrogate
  character) and holds no backslash is printed as it is; otherwise each key
  that holds a character ``escape_key`` changes is escaped.
"""

from __future__ import annotations

import re

from explorer.cli.context import escape_key

#: the characters ``escape_key`` changes (tests check it against every code point)
ESCAPED = re.compile(
    "[\\\\\x00-\x1f\x7f-\x9f\u2028\u2029\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\ud800-\udfff]"
)
_NOT_CHANNELS = frozenset({"auth", "proactive"})
_MARKERS = ("users/", "conversations/")
_USERS = len("users/")
_CONVERSATIONS = len("conversations/")

Head = tuple[str, bool, bool]  # (head, under users/, under an agent)


def _head(key: str) -> Head | None:
    """``channel/[agent/]users/`` or ``…conversations/`` of ``key``, or ``None`` (other)."""
    channel, sep, rest = key.partition("/")
    if not sep or not channel or channel in _NOT_CHANNELS or ":_" in channel:
        return None
    agent = False
    if not rest.startswith(_MARKERS):
        agent_id, sep, rest = rest.partition("/")
        if not sep or not agent_id or not rest.startswith(_MARKERS):
            return None
        agent = True
    users = rest.startswith("users/")
    marker = _USERS if users else _CONVERSATIONS
    return key[: len(key) - len(rest) + marker], users, agent


def _kind_below(rest: str, users: bool, agent: bool) -> str:
    """The kind of a key whose head is followed by ``rest`` (as ``parse_key``)."""
    if rest.endswith("/"):
        rest = rest[:-1]
    if users:
        return "user" if rest else "other"
    conversation, mark, user = rest.partition("/users/")
    if not conversation:
        return "other"
    if mark:
        return "other" if agent or not user else "private"
    return "conversation"


def kinds(keys: list[str]) -> list[str]:
    """``parse_key(key).kind`` of each key."""
    found: list[str] = []
    head: str | None = None
    users, agent, size = False, False, 0
    for key in keys:
        if head is None or not key.startswith(head):
            parsed = _head(key)
            if parsed is None:
                found.append("other")
                continue
            head, users, agent = parsed
            size = len(head)
        rest = key[size:]
        if users and rest and rest != "/":
            found.append("user")
        else:
            found.append(_kind_below(rest, users, agent))
    return found


def ls_lines(keys: list[str]) -> str:
    """The ``KIND<TAB>KEY`` lines of ``keys`` (escaped where needed), as one string."""
    text = "".join(keys)
    if text.isprintable() and "\\" not in text:
        return "".join([f"{kind}\t{key}\n" for kind, key in zip(kinds(keys), keys, strict=True)])
    return "".join(
        [
            f"{kind}\t{escape_key(key) if ESCAPED.search(key) else key}\n"
            for kind, key in zip(kinds(keys), keys, strict=True)
        ]
    )

""" "Go to": turn pasted text into storage keys and find them without a scan.

People paste a user id, a conversation id or a whole key, in whatever form
they found it: a blob name (``msteams%2Fusers%2F29%3A1abc``, .NET's
lowercase ``%2f`` and ``+``, the Agents SDK's leading ``%2F``), a Cosmos id
(``msteams*47users*471`` python, ``msteams*2fusers*2f1*2f`` js), a key with
or without its trailing ``/``, quoted or not.

``unescape_candidates`` lists every reading of the text (the text itself
first). ``candidate_keys`` turns each reading into keys: a reading with a
``/`` is a key (with and without trailing slash); one without is an id, tried
as a user and a conversation id on every known channel (and Agents SDK
agent). ``locate`` reads those keys directly (one ``read_raw``), places what
exists in the tree and, for a conversation, lists its private states by
prefix. Cosmos ids shortened with a hash cannot be turned back into keys;
paste the ``realId`` instead.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import unquote, unquote_plus

from explorer.state.keys import KEY_STYLES, conversation_key, parse_key, user_key
from explorer.storage.abilities import Abilities
from explorer.storage.base import Storage
from explorer.storage.paging import first_key
from explorer.workspace.tree import ConnectionNode, Node, NodeKind, StateTree, node_matches
from explorer.workspace.tree_paged import discover_channels

#: channels tried for a bare id when the tree knows none yet
COMMON_CHANNELS = ("msteams", "webchat", "emulator", "directline", "test", "slack")

_PY_ESCAPE = re.compile(r"\*(47|63|35|42|92|10|13|9)")
_JS_ESCAPE = re.compile(r"\*(2f|3f|23|2a|5c|09|0a|0d)", re.IGNORECASE)
_PERCENT = re.compile(r"%[0-9A-Fa-f]{2}")


def _dedupe(values: Iterable[str]) -> list[str]:
    seen: dict[str, None] = {}
    for value in values:
        if value and value not in seen:
            seen[value] = None
    return list(seen)


def unescape_candidates(text: str) -> list[str]:
    """Every plausible unescaped reading of ``text``, the text itself first."""
    text = text.strip().strip("'\"` ").strip()
    readings = [text]
    if _PERCENT.search(text):
        readings.append(unquote(text))
        if "+" in text:
            readings.append(unquote_plus(text))
    for reading in list(readings):
        if _JS_ESCAPE.search(reading):
            readings.append(_JS_ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), reading))
        if _PY_ESCAPE.search(reading):
            readings.append(_PY_ESCAPE.sub(lambda m: chr(int(m.group(1))), reading))
    # js Agents SDK blob names start with an encoded "/"
    readings += [r[1:] for r in readings if r.startswith("/") and len(r) > 1]
    return _dedupe(readings)


def known_channels(conn: ConnectionNode) -> list[str]:
    return [n.label for n in conn.children if n.kind is NodeKind.CHANNEL]


def known_agents(conn: ConnectionNode) -> list[tuple[str, str]]:
    """(channel, agent id) pairs seen so far."""
    return [
        (channel.label, ident[2:])
        for channel in conn.children
        if channel.kind is NodeKind.CHANNEL
        for ident, agent in channel.index.items()
        if agent.kind is NodeKind.AGENT
    ]


def candidate_keys(
    text: str, channels: Iterable[str] = (), agents: Iterable[tuple[str, str]] = ()
) -> list[str]:
    """Keys that ``text`` may name, most likely first."""
    channels = list(channels) or list(COMMON_CHANNELS)
    agents = list(agents)
    keys: list[str] = []
    for reading in unescape_candidates(text):
        if "/" in reading:
            bare = reading.rstrip("/")
            keys += [reading, bare, bare + "/"]
            continue
        for channel in channels:
            for style in KEY_STYLES:
                keys.append(user_key(channel, reading, style=style))
                keys.append(conversation_key(channel, reading, style=style))
        for channel, agent in agents:
            for suffix in ("", "/"):
                keys.append(f"{channel}/{agent}/users/{reading}{suffix}")
                keys.append(f"{channel}/{agent}/conversations/{reading}{suffix}")
    return _dedupe(keys)


async def locate(tree: StateTree, conn: ConnectionNode, text: str) -> list[Node]:
    """Nodes for what ``text`` names in ``conn``, reading candidate keys directly.

    Found items are added to the tree if the listing has not reached them yet.
    Falls back to ids already in the tree containing the text. Empty if nothing
    matches.
    """
    if not text.strip():
        return []
    if conn.paged and any("/" not in r for r in unescape_candidates(text)):
        # a bare id is tried under every channel and agent: find the groups of
        # channels not opened yet (Cosmos DB finds them on expanding)
        await discover_channels(tree, conn)
    keys = candidate_keys(text, known_channels(conn), known_agents(conn))
    found = await conn.store.read_raw(keys)
    entries = [item.entry() for key in keys if (item := found.get(key)) is not None]
    for entry in list(entries):
        info = parse_key(entry.key)
        if info.kind == "conversation" and info.agent is None:
            prefix = entry.key.rstrip("/") + "/users/"
            async for private in conn.store.iter_entries(prefix):
                entries.append(private)
    if entries:
        return tree.add_entries(conn, entries)
    readings = unescape_candidates(text)
    exact = [n for n in conn.walk() if n.label in readings or n.key in readings]
    if exact:
        return exact
    return [n for n in conn.walk() if n.is_state and any(node_matches(n, r) for r in readings)]


#: channels tried by ``first_user_key`` before it gives up (one seek each)
_MAX_CHANNELS = 64
#: first segments that are not channels (Agents SDK sign-in and proactive keys)
_NOT_CHANNELS = frozenset({"auth", "proactive"})


async def first_user_key(store: Storage) -> str | None:
    """The first user state's key in key order, by seeks (``Capability.KEY_PAGES``).

    One one-key page per channel: the first key above the previous channel
    names the next channel, then ``CHANNEL/users/`` is asked for its first
    key. Sign-in and proactive keys (``auth/…``) and private states are never
    taken for a user. ``None``: the store cannot seek, or no channel (of the
    first ``_MAX_CHANNELS``) holds a user.
    """
    pages = Abilities.of(store).key_pages
    if pages is None:
        return None
    channel: str | None = None
    for _ in range(_MAX_CHANNELS):
        key = await first_key(pages, "", past=channel)
        if key is None:
            return None
        channel = key.split("/", 1)[0]
        if channel in _NOT_CHANNELS:  # sign-in / proactive keys: no users there
            continue
        users = await pages.list_page(f"{channel}/users/", limit=1, keys_only=True)
        if users.first is not None and parse_key(users.first).kind == "user":
            return users.first
    return None

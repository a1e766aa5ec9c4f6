"""Everything about one user: the items that hold a user's state, found by decoded id.

A user's state lives under these keys (each with or without a trailing ``/``,
see ``explorer.state.keys``):

- ``{channel}/users/{id}``: user state, in every channel, sub-channels such as
  ``msteams:COPILOT`` included;
- ``{channel}/{agent}/users/{id}``: the Agents SDK's agent-scoped user state;
- ``{channel}/conversations/{conv}/users/{id}``: private conversation state,
  in every conversation.

Matching is exact on the *decoded* key: the backend has already turned a blob
name (``%3A``, ``%3a``, ``+``, the Agents SDK's leading ``%2F``) or a Cosmos id
(``*47``, ``*2f``, a hashed id through its ``realId``) back into the key, and
``parse_key`` splits it only at the fixed markers. The id is compared with the
parsed user id as a whole string: ``29:1AbC`` never matches ``29:1AbCD``,
``x29:1AbC``, or a conversation whose id happens to be ``29:1AbC``.

Cost (``UserLookup.scan`` / ``listed`` say what was paid):

- a store that lists one ``/`` level at a time (``Hierarchical``: Blob) is
  walked: its channels and each channel's agents come from folder listings,
  user keys are read directly (one ``read_raw`` for every channel, agent and
  key style), and only each channel's ``conversations/`` are listed, since a
  private state can sit in any conversation: a scan of conversations, never of
  users. Bodies are never read.
- a store that pages in key order from any key (``Capability.KEY_PAGES``:
  SQLite, memory, Cosmos DB) is found by seeks: one one-key page per name
  finds the channels, then each channel's agents, as the window's
  ``discover_groups`` does; user keys are read directly, and only the
  channels' (and agents') ``conversations/`` are listed, keys only: a scan of
  conversations, never of users. A store with more names than
  ``MAX_SEEKS`` per level is listed instead (said in the cost).
- any other store is listed once, keys only (no bodies).

``private=False`` skips the scan of conversations (private conversation state
is then not looked for): on a store that seeks or walks, the lookup then costs
a few requests per channel, whatever the store's size. On Cosmos DB every
listing goes through the store's request-unit cap (``RequestBudget``).

``find_in_values`` is the full scan behind ``--in-values``: every item's
decoded document is searched for the id as a whole token (see ``mentions``);
it reads in chunks, reports progress, stops between chunks when cancelled, and
on Cosmos DB its reads go through the store's own request-unit accounting.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from explorer.core.errors import StorageError
from explorer.core.items import RawItem
from explorer.state.keys import KeyInfo, KeyKind, parse_key
from explorer.storage.abilities import Abilities, Hierarchical
from explorer.storage.base import Storage
from explorer.storage.paging import KeyPages, first_key, pages_of

MatchKind = Literal["key", "value"]
#: (keys listed so far) during a lookup
ListProgress = Callable[[int], None]
#: (items read, items to read) during a value scan
ScanProgress = Callable[[int, int], None]

#: items read per request in a value scan
CHUNK = 100
#: keys per page when conversations are scanned for private state (keys only)
SCAN_PAGE = 5000
#: first segments that are not channels (Agents SDK sign-in and proactive keys)
_NOT_CHANNELS = frozenset({"auth", "proactive"})
#: names found by seeks per level (channels; a channel's agents) before the
#: lookup lists the store instead
MAX_SEEKS = 200


@dataclass(frozen=True, slots=True)
class UserItem:
    """One item that holds (``match="key"``) or mentions (``"value"``) the user."""

    key: str
    kind: KeyKind
    channel: str | None = None
    agent: str | None = None
    conversation: str | None = None
    match: MatchKind = "key"

    @classmethod
    def of(cls, info: KeyInfo, match: MatchKind = "key") -> UserItem:
        return cls(info.key, info.kind, info.channel, info.agent, info.conversation, match)

    def as_dict(self) -> dict[str, Any]:
        """``key``, ``kind``, ``channel``, ``conversation`` (``None`` when absent),
        ``agent`` when there is one, and ``match``."""
        data: dict[str, Any] = {
            "key": self.key,
            "kind": self.kind,
            "channel": self.channel,
            "conversation": self.conversation,
        }
        if self.agent is not None:
            data["agent"] = self.agent
        data["match"] = self.match
        return data


@dataclass(frozen=True)
class UserLookup:
    """What ``find_user`` found and what it cost."""

    user_id: str
    #: key matches, in key order
    items: tuple[UserItem, ...]
    #: keys (or folder names) listed to find them
    listed: int
    #: True when every key of the store was listed (the store has no folder index)
    scan: bool
    #: channels seen
    channels: tuple[str, ...] = ()
    #: items whose key could not be decoded (listed as errors by the store)
    undecodable: tuple[str, ...] = field(default_factory=tuple)
    #: one-key pages asked to find channels and agents (stores with key pages)
    seeks: int = 0
    #: conversations were scanned for private conversation state
    private: bool = True

    @property
    def keys(self) -> list[str]:
        return [item.key for item in self.items]

    def describe_cost(self) -> str:
        if self.scan:
            return f"listed all {self.listed:,} keys of the store (it has no folder index)"
        channels = len(self.channels)
        plural = "s" if channels != 1 else ""
        if self.seeks:
            found = f"found {channels} channel{plural} and their agents by {self.seeks:,} seeks"
            if not self.private:
                return (
                    f"{found} and read the user keys directly (listed {self.listed:,} keys; "
                    "private conversation state not looked for)"
                )
            return (
                f"{found}, read the user keys directly and listed {self.listed:,} keys under "
                "conversations (a scan of conversations for private state, not of users)"
            )
        if not self.private:
            return (
                f"read the user keys of {channels} channel{plural} directly and listed "
                f"{self.listed:,} folder names (private conversation state not looked for)"
            )
        return (
            f"read the user keys of {channels} channel{plural} directly "
            f"and listed {self.listed:,} names (folders and every conversation: a scan of "
            "conversations, not of users)"
        )


def holds_user(key: str, user_id: str) -> KeyInfo | None:
    """The parsed key if it is user or private state of exactly ``user_id``."""
    info = parse_key(key)
    if info.kind in ("user", "private") and info.user == user_id:
        return info
    return None


def _is_channel(name: str) -> bool:
    return bool(name) and name not in _NOT_CHANNELS and ":_" not in name and "/" not in name


def direct_user_keys(
    user_id: str, channels: Iterable[str], agents: Iterable[tuple[str, str]] = ()
) -> list[str]:
    """Every key a user state of ``user_id`` can have in these channels and agents."""
    keys: list[str] = []
    for channel in channels:
        keys += [f"{channel}/users/{user_id}", f"{channel}/users/{user_id}/"]
    for channel, agent in agents:
        keys += [f"{channel}/{agent}/users/{user_id}", f"{channel}/{agent}/users/{user_id}/"]
    return list(dict.fromkeys(keys))


async def find_user(
    store: Storage,
    user_id: str,
    *,
    on_progress: ListProgress | None = None,
    private: bool = True,
) -> UserLookup:
    """The items holding ``user_id``'s state (see the module docstring for the cost).

    ``private=False``: private conversation state is not looked for, so no
    conversation is scanned.
    """
    if not user_id:
        raise ValueError("a user id is needed (an empty id matches nothing)")
    abilities = Abilities.of(store)
    if abilities.hierarchy is not None:
        return await _by_walking(store, abilities.hierarchy, user_id, on_progress, private)
    if abilities.key_pages is not None:
        tally = _Tally(on_progress)
        places = await _seek_channels(abilities.key_pages, tally)
        if places is not None:
            channels, agents = places
            return await _read_and_scan(store, user_id, channels, agents, tally, private)
    return await _by_listing(store, user_id, on_progress, private)


class _Tally:
    """Keys (or names) listed and seeks made, with progress every 1,000 listed."""

    def __init__(self, on_progress: ListProgress | None) -> None:
        self.on_progress = on_progress
        self.listed = 0
        self.seeks = 0

    def add(self, count: int) -> None:
        """``count`` more listed (a page): progress when a 1,000 mark is passed."""
        before, self.listed = self.listed, self.listed + count
        if self.on_progress is not None and before // 1000 != self.listed // 1000:
            self.on_progress(self.listed)

    def finish(self) -> None:
        if self.on_progress is not None:
            self.on_progress(self.listed)

    def lookup(
        self,
        user_id: str,
        found: dict[str, UserItem],
        channels: Iterable[str],
        undecodable: list[str],
        *,
        scan: bool,
        private: bool,
    ) -> UserLookup:
        """The last progress report, and what was found, in key order, at this cost."""
        self.finish()
        return UserLookup(
            user_id,
            tuple(found[k] for k in sorted(found)),
            self.listed,
            scan=scan,
            channels=tuple(channels),
            undecodable=tuple(undecodable),
            seeks=self.seeks,
            private=private,
        )


async def _seek_names(pages: KeyPages, base: str, tally: _Tally) -> list[str] | None:
    """Names one level below ``base`` that hold keys below them (``base`` + name +
    ``/``…), by one-key seeks in key order; ``None`` past ``MAX_SEEKS`` seeks."""
    names: list[str] = []
    after: str | None = None
    past: str | None = None
    for _ in range(MAX_SEEKS):
        key = await first_key(pages, base, after=after, past=past)
        tally.seeks += 1
        if key is None:
            return names
        name, slash, _rest = key[len(base) :].partition("/")
        if slash:
            if name not in names:
                names.append(name)
            after, past = None, base + name
        else:
            after, past = key, None  # a lone key: the next seek starts past it
    return None


async def _seek_channels(
    pages: KeyPages, tally: _Tally
) -> tuple[list[str], list[tuple[str, str]]] | None:
    """Channels and (channel, agent) pairs by seeks; ``None``: too many names to seek."""
    top = await _seek_names(pages, "", tally)
    if top is None:
        return None
    channels = [name for name in top if _is_channel(name)]
    agents: list[tuple[str, str]] = []
    for channel in channels:
        below = await _seek_names(pages, f"{channel}/", tally)
        if below is None:
            return None
        agents += [(channel, n) for n in below if n and n not in ("users", "conversations")]
    return channels, agents


async def _read_and_scan(
    store: Storage,
    user_id: str,
    channels: list[str],
    agents: list[tuple[str, str]],
    tally: _Tally,
    private: bool,
) -> UserLookup:
    """User keys read directly; conversations (of channels and agents) listed for
    private state unless ``private`` is off."""
    found = await _read_user_keys(store, user_id, channels, agents)
    undecodable: list[str] = []
    if private:
        bases = [f"{c}/conversations/" for c in channels]
        bases += [f"{c}/{a}/conversations/" for c, a in agents]
        marker = f"/users/{user_id}"
        for base in bases:  # keys only, a page at a time: no body is read
            async for page in pages_of(store, base, limit=SCAN_PAGE, keys_only=True):
                undecodable += [e.name or e.key for e in page.errors]
                bad = {e.key for e in page.errors}
                for key in page.keys:
                    if marker in key and key not in bad:
                        info = holds_user(key, user_id)
                        if info is not None:
                            found[key] = UserItem.of(info)
                tally.add(len(page))
                await asyncio.sleep(0)
    return tally.lookup(user_id, found, channels, undecodable, scan=False, private=private)


async def _read_user_keys(
    store: Storage, user_id: str, channels: Iterable[str], agents: Iterable[tuple[str, str]]
) -> dict[str, UserItem]:
    """The user keys of ``user_id`` that exist, read directly (one ``read_raw``)."""
    found: dict[str, UserItem] = {}
    candidates = direct_user_keys(user_id, channels, agents)
    read = await store.read_raw(candidates)
    names: set[str] = set()
    for key in candidates:  # a key and key + "/" can name one item (js drops the "/")
        item = read.get(key)
        info = holds_user(key, user_id)
        if item is not None and info is not None and item.stored_name not in names:
            names.add(item.stored_name)
            found[key] = UserItem.of(info)
    return found


async def _by_listing(
    store: Storage, user_id: str, on_progress: ListProgress | None, private: bool = True
) -> UserLookup:
    found: dict[str, UserItem] = {}
    channels: dict[str, None] = {}
    undecodable: list[str] = []
    tally = _Tally(on_progress)
    async for entry in store.iter_entries(""):
        tally.add(1)
        if entry.error:
            undecodable.append(entry.name or entry.key)
        else:
            info = parse_key(entry.key)
            if info.channel is not None:
                channels.setdefault(info.channel)
            kinds = ("user", "private") if private else ("user",)
            if info.kind in kinds and info.user == user_id:
                found[entry.key] = UserItem.of(info)
        if tally.listed % 1000 == 0:
            await asyncio.sleep(0)
    return tally.lookup(user_id, found, channels, undecodable, scan=True, private=private)


async def _by_walking(
    store: Storage,
    hierarchy: Hierarchical,
    user_id: str,
    on_progress: ListProgress | None,
    private: bool,
) -> UserLookup:
    tally = _Tally(on_progress)
    channels: dict[str, None] = {}
    async for child in hierarchy.iter_children(""):
        tally.add(1)
        if isinstance(child, str) and _is_channel(child.rstrip("/")):
            channels.setdefault(child.rstrip("/"))
    agents: list[tuple[str, str]] = []
    for channel in channels:
        async for child in hierarchy.iter_children(f"{channel}/"):
            tally.add(1)
            if isinstance(child, str):
                name = child[len(channel) + 1 :].rstrip("/")
                if name and name not in ("users", "conversations"):
                    agents.append((channel, name))
    found = await _read_user_keys(store, user_id, channels, agents)
    undecodable: list[str] = []
    for channel in channels if private else ():
        async for entry in store.iter_entries(f"{channel}/conversations/"):
            tally.add(1)
            if entry.error:
                undecodable.append(entry.name or entry.key)
                continue
            info = holds_user(entry.key, user_id)
            if info is not None:
                found[entry.key] = UserItem.of(info)
    return tally.lookup(user_id, found, channels, undecodable, scan=False, private=private)


# -- mentions in values ----------------------------------------------------------

#: characters that continue an id: the id must not be glued to one of them
_ID_CHARS = r"\w:.@\-"


def _token(user_id: str) -> re.Pattern[str]:
    return re.compile(rf"(?<![{_ID_CHARS}]){re.escape(user_id)}(?![{_ID_CHARS}])")


def mentions(value: Any, user_id: str, *, _pattern: re.Pattern[str] | None = None) -> bool:
    """Whether a decoded document mentions ``user_id`` as a whole token.

    Strings (values and member names) are searched case-sensitively, and the id
    must not be glued to a letter, digit, ``_``, ``:``, ``.``, ``@`` or ``-``:
    ``{"from": "29:1AbC"}`` and ``"a:1|29:1AbC"`` mention ``29:1AbC``;
    ``"29:1AbCD"`` and ``"x29:1AbC"`` do not.
    """
    pattern = _pattern or _token(user_id)
    stack = [value]
    while stack:
        current = stack.pop()
        if isinstance(current, str):
            if user_id in current and pattern.search(current):
                return True
        elif isinstance(current, dict):
            for name, member in current.items():
                if isinstance(name, str) and user_id in name and pattern.search(name):
                    return True
                stack.append(member)
        elif isinstance(current, list):
            stack.extend(current)
    return False


def _item_mentions(store: Storage, item: RawItem, user_id: str, pattern: re.Pattern[str]) -> bool:
    try:
        document: Any = store.decode(item)
    except StorageError:  # an undecodable body is searched as text
        document = item.body.decode("utf-8", "replace")
    return mentions(document, user_id, _pattern=pattern)


async def find_in_values(
    store: Storage,
    user_id: str,
    *,
    keys: Sequence[str] | None = None,
    skip: Collection[str] = (),
    on_progress: ScanProgress | None = None,
    chunk: int = CHUNK,
) -> list[UserItem]:
    """Items whose values mention ``user_id`` (``match="value"``), in key order.

    A full scan: every key (``keys``, else the whole store's listing) except
    ``skip`` is read, ``chunk`` at a time. Cancelling the awaiting task stops it
    between chunks.
    """
    if not user_id:
        raise ValueError("a user id is needed (an empty id matches nothing)")
    if keys is None:
        keys = [key async for key in store.iter_keys("")]
    todo = [key for key in keys if key not in skip]
    pattern = _token(user_id)
    hits: list[UserItem] = []
    for start in range(0, len(todo), chunk):
        part = todo[start : start + chunk]
        items = await store.read_raw(part)

        def matching(items: dict[str, RawItem] = items) -> list[str]:
            return [k for k, item in items.items() if _item_mentions(store, item, user_id, pattern)]

        for key in await asyncio.to_thread(matching):
            hits.append(UserItem.of(parse_key(key), "value"))
        if on_progress is not None:
            on_progress(min(start + chunk, len(todo)), len(todo))
    if on_progress is not None and not todo:
        on_progress(0, 0)
    return sorted(hits, key=lambda item: item.key)

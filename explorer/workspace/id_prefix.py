"""Filter ids on a big store: prefix queries to the store, never a scan.

A paged connection (a window over a big store, see ``tree_load``) holds only
the pages scrolled through, so the quick filter's substring match over listed
keys (``search.match_ids``) would miss almost everything. On such a store the
filter asks the store instead, with key-ordered pages
(``KeyPages.list_page``): its cost depends on what matches and on the number
of groups, never on the store's size.

- A text with a ``/`` (a whole or partial key, in any of the escaped forms
  Go to reads: ``locate.unescape_candidates``) is a key prefix itself.
- A bare id fragment is an id prefix under each group the window discovered
  by seeks (``CHANNEL/users/``, ``CHANNEL/conversations/``, an agent's
  groups), under the sign-in and proactive names, and at the top (other keys).

So the filter matches keys and ids that *start with* the text, case
sensitively (the store's key order): finding it anywhere inside an id needs a
full scan, which is the explicit, cancellable value search. Each prefix
returns at most ``per_prefix`` keys and says when more start with it
("refine the text").
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from dataclasses import dataclass, field

from explorer.core.items import Entry
from explorer.storage.abilities import Abilities
from explorer.workspace.locate import COMMON_CHANNELS, unescape_candidates
from explorer.workspace.tree import ConnectionNode, Node, NodeKind

#: keys read at most per prefix (the status says when more start with it)
PER_PREFIX = 50
#: prefixes asked at most for one text (groups are few: found by seeks)
MAX_PREFIXES = 400
#: prefix queries in flight at once (Cosmos DB answers them concurrently)
CONCURRENCY = 8
#: first-level names that hold ids but are no channel (Agents SDK sign-in, proactive)
_OTHER_BASES = ("auth/", "proactive/", "proactive/conversations/")
_GROUP_KINDS = frozenset({NodeKind.USERS, NodeKind.CONVERSATIONS})


@dataclass
class PrefixMatches:
    """What ``find_by_prefix`` found: entries in key order, and what was cut short."""

    entries: list[Entry] = field(default_factory=list)
    #: prefixes that hold more keys than were read (``per_prefix`` each)
    capped: list[str] = field(default_factory=list)
    #: prefix pages asked of the store
    queries: int = 0
    #: more prefixes than ``MAX_PREFIXES``: some groups were not asked
    groups_left: int = 0

    @property
    def more(self) -> bool:
        return bool(self.capped) or self.groups_left > 0


def group_prefixes(conn: ConnectionNode) -> list[str]:
    """The key prefixes of the id groups ``conn`` shows (channels' and agents' Users
    and Conversations), walking only channels and agents, never the keys below."""
    found: list[str] = []
    stack: list[Node] = [c for c in conn.children if c.kind is NodeKind.CHANNEL]
    while stack:
        node = stack.pop(0)
        for child in node.children:
            if child.kind in _GROUP_KINDS and child.prefix:
                found.append(child.prefix)
            elif child.kind is NodeKind.AGENT:
                stack.append(child)
    if not found:  # nothing discovered yet: the usual channels' groups
        for channel in COMMON_CHANNELS:
            found += [f"{channel}/users/", f"{channel}/conversations/"]
    return found


def prefix_queries(text: str, groups: Iterable[str]) -> list[str]:
    """The key prefixes to ask for ``text``: itself if it reads as a key (has a
    ``/``), else the id under every group, the sign-in and proactive names and
    the top level."""
    groups = list(groups)
    prefixes: list[str] = []
    for reading in unescape_candidates(text):
        if "/" in reading:
            prefixes.append(reading)
            if reading.endswith("/") and reading.rstrip("/"):
                prefixes.append(reading.rstrip("/"))  # the key without its trailing "/"
            continue
        prefixes += [group + reading for group in groups]
        prefixes += [base + reading for base in _OTHER_BASES]
        prefixes.append(reading)
    return list(dict.fromkeys(prefixes))


async def find_by_prefix(
    conn: ConnectionNode, text: str, *, per_prefix: int = PER_PREFIX
) -> PrefixMatches:
    """Keys of ``conn``'s store that start with what ``text`` names (module docstring).

    One key-ordered page of at most ``per_prefix`` keys per prefix, a few in
    flight at once; cancel the awaiting task to stop. Empty when the store
    cannot seek (``Capability.KEY_PAGES``) or the text is blank.
    """
    pages = Abilities.of(conn.store).key_pages
    result = PrefixMatches()
    if pages is None or not text.strip():
        return result
    prefixes = prefix_queries(text, group_prefixes(conn))
    result.groups_left = max(0, len(prefixes) - MAX_PREFIXES)
    prefixes = prefixes[:MAX_PREFIXES]
    gate = asyncio.Semaphore(CONCURRENCY)

    exact = {p for p in prefixes if p + "/" in prefixes}  # a key without its trailing "/"

    async def ask(prefix: str) -> tuple[str, list[Entry], bool]:
        async with gate:  # the key itself sorts first among the keys it prefixes
            page = await pages.list_page(prefix, limit=1 if prefix in exact else per_prefix)
        entries = [e for e in page.entries if not e.error]
        if prefix in exact:
            return prefix, [e for e in entries if e.key == prefix], False
        return prefix, entries, page.more

    answers = await asyncio.gather(*(ask(p) for p in prefixes))
    result.queries = len(answers)
    found: dict[str, Entry] = {}
    for prefix, entries, more in answers:
        for entry in entries:
            found.setdefault(entry.key, entry)
        if more:
            result.capped.append(prefix)
    result.entries = [found[key] for key in sorted(found)]
    return result

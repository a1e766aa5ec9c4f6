"""Search inside stored values: which states contain a piece of text.

``search_values`` reads items in chunks (``read_raw``, so each backend uses its
bulk path), decodes each body as the store does and looks for the text in the
JSON of the document, ignoring case, so it matches values and property names
in any dialect (``py/object`` and ``$type`` tags are plain text here, never
resolved). Matches are reported per chunk through ``on_match``; progress
through ``on_progress(done, total)``. Cancelling the task stops between
chunks. Bodies that cannot be decoded are searched as raw text.

``estimate_cost`` says what a search will read before it starts: items, bytes
and, on a store that charges request units, about how many (Cosmos DB point
reads cost ~1 RU per KB, at least 1).

``plan_value_search`` prepares a search of one open store as a
``ValueSearch``: the entries it will read (the tree's when it holds the whole
store, else a fresh listing), their cost, whether to ask first (a store that
charges request units), and ``run`` reporting matches as entries.

``match_ids`` is the quick filter: listed states whose id or key contains a
text, at most ``limit`` of them (a lookup over the listed keys, no reads).
"""

from __future__ import annotations

import asyncio
import json
import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from explorer.core.errors import StorageError
from explorer.core.items import Entry, RawItem
from explorer.storage.base import Capability, Storage
from explorer.workspace.tree import ConnectionNode, LoadState, Node, node_matches

CHUNK = 100


@dataclass(frozen=True)
class SearchCost:
    items: int
    #: bytes listed (``None`` when the listing gave no sizes)
    bytes: int | None
    #: request units, on stores that charge them
    request_units: int | None

    def describe(self) -> str:
        size = f", about {self.bytes / 1e6:.1f} MB" if self.bytes else ""
        ru = f", about {self.request_units:,} RU" if self.request_units else ""
        return f"reads {self.items:,} items{size}{ru}"


def estimate_cost(store: Storage, entries: Iterable[Entry]) -> SearchCost:
    items = 0
    total = 0
    sized = True
    units = 0
    for entry in entries:
        items += 1
        if entry.size is None:
            sized = False
        else:
            total += entry.size
            units += max(1, math.ceil(entry.size / 1024))
    charged = Capability.REQUEST_CHARGE in store.capabilities
    return SearchCost(
        items,
        total if sized else None,
        (units if sized else items) if charged else None,
    )


def _text_of(store: Storage, item: RawItem) -> str:
    try:
        return json.dumps(store.decode(item), ensure_ascii=False)
    except StorageError:
        return item.body.decode("utf-8", "replace")


async def search_values(
    store: Storage,
    needle: str,
    keys: Sequence[str],
    *,
    on_match: Callable[[list[str]], None],
    on_progress: Callable[[int, int], None] | None = None,
    chunk: int = CHUNK,
) -> int:
    """Report the keys among ``keys`` whose stored value contains ``needle``.

    Returns how many matched. An empty needle matches nothing.
    """
    folded = needle.casefold()
    if not folded:
        return 0
    matched = 0
    for start in range(0, len(keys), chunk):
        part = list(keys[start : start + chunk])
        items = await store.read_raw(part)

        def texts_of(items: dict[str, RawItem] = items) -> dict[str, str]:
            return {k: _text_of(store, i).casefold() for k, i in items.items()}

        texts = await asyncio.to_thread(texts_of)
        hits = [key for key in part if folded in texts.get(key, "")]
        if hits:
            matched += len(hits)
            on_match(hits)
        if on_progress is not None:
            on_progress(min(start + chunk, len(keys)), len(keys))
    return matched


def _entry(node: Node) -> Entry:
    assert node.key is not None
    return node.entry or Entry(key=node.key)


def listed_entries(node: ConnectionNode) -> list[Entry]:
    """The entries of every state listed under ``node`` so far."""
    return [_entry(n) for n in node.by_key.values()]


def match_ids(node: ConnectionNode, text: str, limit: int) -> tuple[list[Entry], int]:
    """Listed states of ``node`` whose id or key contains ``text`` (any case).

    Returns the first ``limit`` matches, in listing order, and how many more matched.
    """
    matches = [n for n in node.by_key.values() if node_matches(n, text)]
    return [_entry(n) for n in matches[: max(limit, 0)]], max(0, len(matches) - max(limit, 0))


@dataclass
class ValueSearch:
    """A value search of one store, ready to run (see ``plan_value_search``)."""

    store: Storage
    entries: list[Entry]
    cost: SearchCost
    _by_key: dict[str, Entry] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._by_key = {e.key: e for e in self.entries}

    @property
    def asks_first(self) -> bool:
        """The store charges request units: say the cost and ask before running."""
        return Capability.REQUEST_CHARGE in self.store.capabilities

    async def run(
        self,
        text: str,
        *,
        on_match: Callable[[list[Entry]], None],
        on_progress: Callable[[int, int], None] | None = None,
    ) -> int:
        """Search the values of every entry (unlistable names skipped); returns the matches."""
        return await search_values(
            self.store,
            text,
            [e.key for e in self.entries if e.error is None],
            on_match=lambda keys: on_match([self._by_key[k] for k in keys]),
            on_progress=on_progress,
        )


async def plan_value_search(
    store: Storage, node: ConnectionNode, *, on_listing: Callable[[], None] | None = None
) -> ValueSearch:
    """What searching the values of ``store`` (shown as ``node``) reads, and its cost.

    The tree's entries are used when it has listed the whole store; a store
    listed per node (or not fully listed yet) is listed again first, after
    ``on_listing()`` (for a progress line).
    """
    entries = listed_entries(node)
    if node.prefix is not None or node.load_state is not LoadState.LOADED:
        if on_listing is not None:
            on_listing()
        entries = [e async for e in store.iter_entries("")]
    return ValueSearch(store, entries, estimate_cost(store, entries))

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
"""

from __future__ import annotations

import asyncio
import json
import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from explorer.core.errors import StorageError
from explorer.core.items import Entry, RawItem
from explorer.storage.base import Capability, Storage

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

"""Filling the state tree from a store: streamed listing, lazy expansion, counts.

- ``list_connection`` streams ``store.iter_entries()`` into the tree in
  batches: a batch closes after ``batch_seconds`` or ``batch_size`` entries,
  and the coroutine yields to the event loop after each batch, so a UI stays
  responsive and the first rows show after the first batch whatever the
  store size. Cancelling keeps what was listed and marks the node failed
  ("cancelled").
- ``expand_node`` lists one lazy node on a backend with
  ``Capability.HIERARCHY`` (``iter_children(prefix)`` yielding child
  prefixes ending in ``/`` and ``Entry`` items at that level), or, at the
  Users and conversation levels, every item under its prefix. Child prefixes
  the store already knows (``known_children(prefix)``, e.g. from the sample a
  Blob store takes on open) are shown before the listing answers. A node of a
  paged connection goes to ``tree_paged`` (a window over a big store: seeks,
  pages and gap rows), a group read in listing pages to ``tree_listing`` (Blob).
- ``count_node`` asks the store for the count under a node, in the background.

Nothing here imports Qt; progress goes to a plain callback.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

from explorer.core.items import Entry
from explorer.storage.abilities import Abilities
from explorer.storage.base import Storage
from explorer.storage.paging import Count
from explorer.workspace.tree import (
    ConnectionNode,
    ListingCursor,
    LoadState,
    Node,
    NodeKind,
    StateTree,
    count_prefix,
)
from explorer.workspace.tree_listing import expand_listing, listing_group, reads_listing_pages
from explorer.workspace.tree_paged import NOT_CHANNELS, expand_paged

#: (items listed so far, estimated total or None)
ProgressCallback = Callable[[int, int | None], None]

BATCH_SECONDS = 0.01
BATCH_SIZE = 1000


def is_lazy_store(store: Storage) -> bool:
    """Whether a store lists per node (``Capability.HIERARCHY``: ``Hierarchical``)."""
    return Abilities.of(store).hierarchy is not None


async def _stream(
    tree: StateTree,
    conn: ConnectionNode,
    entries: AsyncIterator[Entry],
    progress: ProgressCallback | None,
    *,
    batch_seconds: float = BATCH_SECONDS,
    batch_size: int = BATCH_SIZE,
) -> int:
    """Move ``entries`` into the tree batch by batch; returns how many."""
    batch: list[Entry] = []
    total = 0
    started = time.perf_counter()
    try:
        async for entry in entries:
            batch.append(entry)
            if len(batch) >= batch_size or time.perf_counter() - started >= batch_seconds:
                tree.add_entries(conn, batch)
                total += len(batch)
                batch = []
                if progress is not None:
                    progress(conn.listed, None)
                await asyncio.sleep(0)  # let the UI paint between batches
                started = time.perf_counter()
    finally:  # keep what was listed, also when failing or cancelled
        if batch:
            tree.add_entries(conn, batch)
            total += len(batch)
    if progress is not None:
        progress(conn.listed, conn.listed)
    return total


async def list_connection(
    tree: StateTree, conn: ConnectionNode, progress: ProgressCallback | None = None, **batching: Any
) -> int:
    """List a whole store into ``conn`` (non-lazy stores). Returns items listed."""
    tree.set_load_state(conn, LoadState.LOADING)
    try:
        source = conn.lister or conn.store
        count = await _stream(tree, conn, source.iter_entries(""), progress, **batching)
    except asyncio.CancelledError:
        tree.set_load_state(
            conn, LoadState.FAILED, f"listing cancelled after {conn.listed:,} items"
        )
        raise
    except Exception as exc:
        tree.set_load_state(conn, LoadState.FAILED, str(exc))
        raise
    tree.set_load_state(conn, LoadState.LOADED)
    return count


def _lazy_child(tree: StateTree, parent: Node, prefix: str) -> Node | None:
    """A placeholder node for the child ``prefix`` of ``parent`` (None: list it flat)."""
    name = prefix[len(parent.prefix or "") :].rstrip("/")
    if not name:
        return None
    if parent.kind is NodeKind.CONNECTION:
        if name in NOT_CHANNELS or ":_" in name:
            return None  # sign-in / proactive keys: few, listed into "Other keys" at once
        node = tree.ensure_group(parent, NodeKind.CHANNEL, "c:" + name, name)
    elif parent.kind in (NodeKind.CHANNEL, NodeKind.AGENT):
        if name == "users":
            node = tree.ensure_group(parent, NodeKind.USERS, "\0users", "Users")
        elif name == "conversations":
            node = tree.ensure_group(parent, NodeKind.CONVERSATIONS, "\0convs", "Conversations")
        elif parent.kind is NodeKind.CHANNEL:
            node = tree.ensure_group(parent, NodeKind.AGENT, "a:" + name, f"agent {name}")
        else:
            return None
    elif parent.kind is NodeKind.CONVERSATIONS:
        node = tree.ensure_group(parent, NodeKind.CONVERSATION, "v:" + name, name)
    else:
        return None
    if not node.children and node.prefix is None:
        node.prefix = prefix
        node.load_state = LoadState.UNLOADED
    return node


#: levels listed with ``iter_children``; below them everything is listed flat
_HIERARCHY_KINDS = frozenset(
    {NodeKind.CONNECTION, NodeKind.CHANNEL, NodeKind.AGENT, NodeKind.CONVERSATIONS}
)


async def expand_node(tree: StateTree, node: Node, progress: ProgressCallback | None = None) -> int:
    """List the children of a lazy node. Returns the number of items listed.

    The caller makes sure one node is expanded once at a time (the Qt model
    marks it loading before it starts this).
    """
    conn = node.connection
    if conn is None or node.prefix is None:
        return 0
    if conn.paged:
        return await expand_paged(tree, conn, node)
    if reads_listing_pages(node):
        return await expand_listing(tree, node)
    store = conn.lister or conn.store
    abilities = Abilities.of(conn.store)
    hierarchy = abilities.hierarchy
    listed = 0
    other = ListingCursor()
    paged_other = node is conn and abilities.listing_pages is not None
    with tree.loading(node):
        if node.kind in _HIERARCHY_KINDS and hierarchy is not None:
            # names the store already knows show at once; the listing adds the rest
            known = ListingCursor()
            for prefix in hierarchy.known_children(node.prefix):
                if _lazy_child(tree, node, prefix) is None and paged_other:
                    known.spans.append((prefix, None))  # sign-in / proactive: paged
            given = {prefix for prefix, _ in known.spans}
            if known.spans:
                listing_group(tree, conn, known)
            # the listing thread's copy of the store when there is one, else the store
            children = conn.lister.iter_children if conn.lister else hierarchy.iter_children
            batch: list[Entry] = []
            async for child in children(node.prefix):
                if isinstance(child, Entry):
                    batch.append(child)
                elif isinstance(child, str) and _lazy_child(tree, node, child) is None:
                    if paged_other:
                        if child not in given:  # (given already: maybe being read)
                            other.spans.append((child, None))
                        continue
                    listed += await _stream(tree, conn, store.iter_entries(child), None)
                if len(batch) >= BATCH_SIZE:
                    tree.add_entries(conn, batch)
                    listed, batch = listed + len(batch), []
                    await asyncio.sleep(0)
            tree.add_entries(conn, batch)
            listed += len(batch)
            if other.spans:
                listing_group(tree, conn, other)
        else:
            listed = await _stream(tree, conn, store.iter_entries(node.prefix), progress)
    tree.set_load_state(node, LoadState.LOADED)
    return listed


async def count_node(tree: StateTree, node: Node) -> Count | None:
    """Ask the store how many items lie under ``node`` (``Capability.COUNT``).

    One index or server-side count (SQLite: exact; Cosmos DB: a ``COUNT``
    query), never a listing. The result goes to
    ``node.store_count`` and listeners hear ``changed``; ``None`` when the
    store cannot count, ``node`` is not one prefix, or ``node`` is not the
    connection and the store charges request units (Cosmos DB), or the store
    lists per node (Blob: its count is a listing page). Cancel the task to stop it.
    """
    conn = node.connection
    prefix = count_prefix(node)
    node.count_asked = True
    if conn is None or prefix is None:
        return None
    abilities = Abilities.of(conn.store)
    counting = abilities.counting
    if counting is None:
        return None
    if abilities.charges is not None and node is not conn:
        return None  # a COUNT costs request units: the store's total only, not per group
    if abilities.hierarchy is not None:
        # Blob counts by listing a page of up to 1,000 names (~0.7 KB each) per name
        # form, for "1,000+": more than the whole first screen reads, and it holds
        # up the listing requests the first rows wait for
        return None
    count = await counting.count(prefix)
    if node.count_asked:  # not cleared by a refresh meanwhile
        node.store_count = count
        tree.notify_changed(node)
    return count

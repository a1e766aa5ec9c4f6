"""Filling the state tree from a store: streamed listing, lazy expansion.

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
  Blob store takes on open) are shown before the listing answers.

- A big store with ``Capability.KEY_PAGES`` opens *paged* (``should_page``):
  ``discover_groups`` finds channels, agents and their Users / Conversations
  groups by one-key seeks. A paged group is runs of rows read in key order and
  *gap rows* (``NodeKind.GAP``) for the key ranges not read yet; a new group
  is one gap. ``fill_gap`` reads ``PAGE_KEYS`` keys into a gap, forwards from
  the rows above it or backwards from the rows below (``read_end``: the
  group's last page, one reverse seek whatever its size); ``trim_group``
  drops rows far from where the user looks back into gaps, so memory is
  bounded by ``MAX_GROUP_ROWS`` per group, not by the store.
  On a store that charges per request (Cosmos DB: ``lazy_discovery``)
  connecting seeks only the channels; a channel's groups are sought when it
  is expanded (``discover_channel``).
- On a store listed per node that pages forward (Blob: ``Capability.LISTING_PAGES``),
  a Users or Conversations group, a conversation's private states and the
  sign-in / proactive keys are read one listing page at a time
  (``load_listing_page``: the first ``FIRST_LISTING_KEYS`` names, a screenful,
  then ``PAGE_KEYS``); the group keeps the store's continuation in a
  ``ListingCursor`` and stays ``UNLOADED`` while more exist, so the view reads
  the next page when it scrolls near the end (forwards only: no gap rows).
- ``count_node`` asks the store for the count under a node, in the background.

Nothing here imports Qt; progress goes to a plain callback.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import contextmanager
from typing import Any, cast

from explorer.core.items import Entry
from explorer.storage.abilities import Abilities
from explorer.storage.base import Capability, Storage
from explorer.storage.paging import Count, KeyPages, Positions
from explorer.workspace.tree import (
    ConnectionNode,
    KeyGap,
    ListingCursor,
    LoadState,
    Node,
    NodeKind,
    PageCursor,
    StateTree,
    count_prefix,
)

#: (items listed so far, estimated total or None)
ProgressCallback = Callable[[int, int | None], None]

BATCH_SECONDS = 0.01
BATCH_SIZE = 1000
#: first segments that are not channels (Agents SDK sign-in and proactive keys)
_NOT_CHANNELS = frozenset({"auth", "proactive"})


@contextmanager
def _loading(tree: StateTree, node: Node) -> Iterator[None]:
    """``node`` is ``LOADING`` inside; a cancel leaves it ``UNLOADED`` (asked again
    later), a failure ``FAILED`` with the error. The caller sets the end state."""
    tree.set_load_state(node, LoadState.LOADING)
    try:
        yield
    except asyncio.CancelledError:
        tree.set_load_state(node, LoadState.UNLOADED)
        raise
    except Exception as exc:
        tree.set_load_state(node, LoadState.FAILED, str(exc))
        raise


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
        if name in _NOT_CHANNELS or ":_" in name:
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
        return await _expand_paged(tree, conn, node)
    if reads_listing_pages(node):
        return await _expand_listing(tree, node)
    store = conn.lister or conn.store
    abilities = Abilities.of(conn.store)
    hierarchy = abilities.hierarchy
    listed = 0
    other = ListingCursor()
    paged_other = node is conn and abilities.listing_pages is not None
    with _loading(tree, node):
        if node.kind in _HIERARCHY_KINDS and hierarchy is not None:
            # names the store already knows show at once; the listing adds the rest
            known = ListingCursor()
            for prefix in hierarchy.known_children(node.prefix):
                if _lazy_child(tree, node, prefix) is None and paged_other:
                    known.spans.append((prefix, None))  # sign-in / proactive: paged
            given = {prefix for prefix, _ in known.spans}
            if known.spans:
                _listing_group(tree, conn, known)
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
                _listing_group(tree, conn, other)
        else:
            listed = await _stream(tree, conn, store.iter_entries(node.prefix), progress)
    tree.set_load_state(node, LoadState.LOADED)
    return listed


async def _expand_paged(tree: StateTree, conn: ConnectionNode, node: Node) -> int:
    with _loading(tree, node):
        if node is conn:
            listed = await discover_groups(tree, conn)
        elif node.cursor is not None:
            listed = await load_page(tree, node)
        elif node.kind is NodeKind.CHANNEL:
            listed = await discover_channel(tree, conn, node)
        else:
            listed = 0
    _settle(tree, node)
    return listed


def _settle(tree: StateTree, group: Node) -> None:
    """A paged group is ``UNLOADED`` while it has gaps, then ``LOADED``."""
    more = group.cursor is not None and not group.cursor.done
    tree.set_load_state(group, LoadState.UNLOADED if more else LoadState.LOADED)


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


# -- a window over a big store: groups load pages on demand -----------------------

#: stores holding more keys than this open as a window (groups paged on demand)
PAGED_THRESHOLD = 20_000
#: stores without row numbers (Cosmos DB) open paged past this many keys
PROBE_KEYS = 200
#: keys per page a group loads when the view scrolls near its end
PAGE_KEYS = 500
#: first-level and second-level names found by seeks before the rest is paged flat
MAX_SEGMENTS = 200
#: above every key under a name (``NAME`` + this sorts after ``NAME/…``)
_PAST = "/\U0010ffff"


async def should_page(store: Storage, threshold: int = PAGED_THRESHOLD) -> bool:
    """Whether ``store`` is big enough to open as a window (``Capability.KEY_PAGES``).

    One cheap probe: a row number (``Positions``: more than ``threshold``
    keys), else one page of ``PROBE_KEYS`` keys (more than that), never a
    count or a listing of the store.
    """
    pages = Abilities.of(store).key_pages
    if pages is None:
        return False
    if Capability.POSITIONS in store.capabilities:
        probe = await cast(Positions, store).page_at("", threshold, limit=1)
        return len(probe) > 0
    # no row numbers (Cosmos DB): one small page, so connecting never reads the
    # container's ids (request units); past it the store opens paged
    page = await pages.list_page("", limit=min(threshold, PROBE_KEYS), keys_only=True)
    return page.more


async def _first_below(pages: KeyPages, prefix: str, after: str | None) -> str | None:
    page = await pages.list_page(prefix, after=after, limit=1, keys_only=True)
    return page.first


def _paged_group(tree: StateTree, parent: Node, kind: NodeKind, prefix: str) -> Node:
    ident, label = ("\0users", "Users") if kind is NodeKind.USERS else ("\0convs", "Conversations")
    node = tree.ensure_group(parent, kind, ident, label)
    if node.cursor is None:
        node.prefix = prefix
        tree.make_paged(node, PageCursor([(prefix, None)], prefix=prefix))
    tree.set_load_state(node, LoadState.UNLOADED)
    return node


async def _discover_channel(
    tree: StateTree, pages: KeyPages, channel: Node, base: str, other: PageCursor
) -> None:
    """Users, Conversations and agents under ``base`` (``CHANNEL/``), by seeks."""
    after: str | None = None
    for _ in range(MAX_SEGMENTS):
        key = await _first_below(pages, base, after)
        if key is None:
            return
        segment = key[len(base) :].split("/", 1)[0]
        if segment == "users":
            _paged_group(tree, channel, NodeKind.USERS, base + "users/")
        elif segment == "conversations":
            _paged_group(tree, channel, NodeKind.CONVERSATIONS, base + "conversations/")
        elif "/" in key[len(base) :] and channel.kind is NodeKind.CHANNEL:
            agent_base = f"{base}{segment}/"
            found = False
            for name, kind in (
                ("users", NodeKind.USERS),
                ("conversations", NodeKind.CONVERSATIONS),
            ):
                if await _first_below(pages, agent_base + name + "/", None) is not None:
                    if not found:
                        ident = "a:" + segment
                        agent = tree.ensure_group(
                            channel, NodeKind.AGENT, ident, f"agent {segment}"
                        )
                        found = True
                    _paged_group(tree, agent, kind, f"{agent_base}{name}/")
            if not found:
                other.spans.append((agent_base, None))
        else:
            other.spans.append((key, None))  # a lone key: itself and keys it prefixes
            after = key
            continue
        after = base + segment + _PAST
    other.spans.append((base, after))  # more names than seeks: the rest, flat


async def _holds_groups(pages: KeyPages, base: str) -> bool:
    """Whether a name whose first key is a lone one (``weird/x``) is a channel all the
    same: it has Users or Conversations below it (one or two seeks, not one per key)."""
    for group in ("conversations/", "users/"):
        if await _first_below(pages, base + group, None) is not None:
            return True
    return False


def lazy_discovery(store: Storage) -> bool:
    """Whether a paged connection finds a channel's groups only when it is expanded:
    a store that charges request units (Cosmos DB), where every seek costs; on
    others (SQLite) a seek costs next to nothing and all groups show at once."""
    return Abilities.of(store).charges is not None


async def discover_groups(tree: StateTree, conn: ConnectionNode) -> int:
    """The top of a paged connection: channels, agents and their groups, by seeks.

    One one-key page per name (``MAX_SEGMENTS`` per level at most); no group's
    items are read. Sign-in, proactive and other keys go to a paged "Other keys"
    group, and so does a name whose first key is a lone key and that holds no
    Users or Conversations (``weird/x``: not a channel's shape), two seeks for
    all its keys. On a store that charges
    request units (``lazy_discovery``) only the top-level names are sought: a
    channel's groups are found when it is expanded (``discover_channel``), so
    connecting costs one seek per channel, not per group. Returns the number of
    channels made.
    """
    pages = Abilities.of(conn.store).key_pages
    assert pages is not None
    lazy = lazy_discovery(conn.store)
    other = PageCursor()
    after: str | None = None
    made = 0
    for _ in range(MAX_SEGMENTS):
        key = await _first_below(pages, "", after)
        if key is None:
            break
        name, slash, rest = key.partition("/")
        channel_like = bool(slash) and name not in _NOT_CHANNELS and ":_" not in name
        if channel_like and "/" not in rest:
            channel_like = await _holds_groups(pages, name + "/")
        if channel_like:
            channel = tree.ensure_group(conn, NodeKind.CHANNEL, "c:" + name, name)
            if not lazy:
                await _discover_channel(tree, pages, channel, name + "/", other)
            elif channel.prefix is None:  # its groups are sought when it is expanded
                channel.prefix = name + "/"
                tree.set_load_state(channel, LoadState.UNLOADED)
            made += 1
            after = name + _PAST
        elif slash:
            other.spans.append((name + "/", None))
            after = name + _PAST
        else:
            other.spans.append((key, None))
            after = key
        await asyncio.sleep(0)
    else:
        other.spans.append(("", after))  # more names than seeks: the rest, flat
    _other_keys(tree, conn, other.spans)
    return made


async def discover_channel(tree: StateTree, conn: ConnectionNode, channel: Node) -> int:
    """Users, Conversations and agents of one channel of a paged connection, by seeks
    (``lazy_discovery``: when the channel is expanded). Keys below the channel that
    are in no group join the "Other keys" group. Returns the number of groups made."""
    pages = Abilities.of(conn.store).key_pages
    assert pages is not None
    assert channel.prefix is not None
    before = sum(1 for _ in channel.walk())
    other = PageCursor()
    await _discover_channel(tree, pages, channel, channel.prefix, other)
    _other_keys(tree, conn, other.spans)
    return sum(1 for _ in channel.walk()) - before


async def discover_channels(tree: StateTree, conn: ConnectionNode) -> int:
    """Find the groups of every channel of ``conn`` not expanded yet (``lazy_discovery``):
    what the id filter asks under needs every group, not only the opened ones.
    A channel being expanded meanwhile is left to that expansion. Returns the
    number of groups made."""
    made = 0
    for channel in list(conn.children):
        if channel.kind is not NodeKind.CHANNEL or channel.prefix is None:
            continue
        if channel.cursor is not None or channel.load_state is not LoadState.UNLOADED:
            continue
        tree.set_load_state(channel, LoadState.LOADING)
        try:
            made += await discover_channel(tree, conn, channel)
        except BaseException:
            tree.set_load_state(channel, LoadState.UNLOADED)
            raise
        tree.set_load_state(channel, LoadState.LOADED)
    return made


def _other_keys(tree: StateTree, conn: ConnectionNode, spans: list[tuple[str, str | None]]) -> None:
    """Add ``spans`` to the paged "Other keys" group of ``conn`` (made when missing)."""
    if not spans:
        return
    group = tree.ensure_group(conn, NodeKind.OTHER_GROUP, "\0other", "Other keys")
    cursor = group.cursor
    if cursor is None:
        group.prefix = ""
        tree.make_paged(group, PageCursor(list(spans)))
    else:
        new = [span for span in spans if span not in cursor.spans]
        if not new:
            return
        read = not cursor.spans  # its gap row went with its last keys: a new one
        cursor.spans.extend(new)
        if read:
            tree.add_gap(group, KeyGap())
    if group.load_state is not LoadState.LOADING:  # a page being read: it reads on
        tree.set_load_state(group, LoadState.UNLOADED)


#: rows placed in one turn of the event loop when a page is read into a gap
PLACE_CHUNK = 100
#: rows a paged group holds before ``trim_group`` drops those far from the view
MAX_GROUP_ROWS = 20 * PAGE_KEYS
#: rows kept around where the user looks when a group is trimmed
KEEP_ROWS = 10 * PAGE_KEYS


def _trailing_gap(group: Node) -> Node | None:
    """The gap holding the rest of ``group`` after its last rows read, if any."""
    cursor = group.cursor
    if cursor is None or not cursor.gaps:
        return None
    last = cursor.gaps[-1]
    if cursor.seekable and (last.gap is None or last.gap.before is not None):
        return None
    return last


async def load_page(tree: StateTree, node: Node, limit: int = PAGE_KEYS) -> int:
    """The next page of a paged group after its last rows read, in key order.

    Keys already shown (a Go to reached them first) are not shown twice. The
    group stays ``UNLOADED`` while it has gaps, else ``LOADED``.
    """
    gap = _trailing_gap(node)
    return 0 if gap is None else await fill_gap(tree, gap, limit=limit)


async def read_end(tree: StateTree, group: Node, limit: int = PAGE_KEYS) -> int:
    """The last page of a seekable paged group (End): one reverse seek.

    The rows go after the group's trailing gap, which then stands for the keys
    between the rows read before and them. 0 when the end is already read or
    the group cannot seek (several prefixes).
    """
    gap = _trailing_gap(group)
    cursor = group.cursor
    if gap is None or cursor is None or not cursor.seekable:
        return 0
    return await fill_gap(tree, gap, reverse=True, limit=limit)


async def fill_gap(
    tree: StateTree, gap: Node, *, reverse: bool = False, limit: int = PAGE_KEYS
) -> int:
    """Read one page into ``gap``: forwards from its first unread key, or
    ``reverse`` backwards from its last (seekable groups only).

    The rows take their key order's place; the gap shrinks by what was read
    and goes when its range is read. Returns the number of keys placed; 0 when
    the gap went meanwhile (a refresh, a trim).
    """
    group = gap.parent
    if group is None or not gap.attached or gap.gap is None:
        return 0  # trimmed into another gap, or refreshed, before its turn came
    conn, cursor = group.connection, group.cursor
    assert conn is not None
    assert cursor is not None
    pages = Abilities.of(conn.store).key_pages
    assert pages is not None
    with _loading(tree, gap):
        if cursor.prefix is None:
            listed = await _fill_spans(tree, conn, gap, limit)
        else:
            listed = await _fill_range(tree, conn, pages, gap, reverse, limit)
    if gap.parent is not None:
        tree.set_load_state(gap, LoadState.UNLOADED)
    if group.attached:
        _settle(tree, group)
    return listed


def _in_group(group: Node, node: Node) -> Node:
    """The row of ``group`` that holds ``node`` (a private state: its conversation)."""
    while node.parent is not group and node.parent is not None:
        node = node.parent
    return node


async def _fill_range(
    tree: StateTree, conn: ConnectionNode, pages: KeyPages, gap: Node, reverse: bool, limit: int
) -> int:
    group, cursor, span = gap.parent, gap.parent.cursor if gap.parent else None, gap.gap
    assert group is not None
    assert cursor is not None
    assert cursor.prefix is not None
    assert span is not None
    start = span.before if reverse else span.after
    page = await pages.list_page(cursor.prefix, after=start, limit=limit, reverse=reverse)
    if gap.parent is not group or not gap.attached:  # refreshed or trimmed meanwhile
        return 0
    keep = [entry for entry in page.entries if span.holds(entry.key)]
    closed = not page.more or len(keep) < len(page)
    if not keep:
        if closed:
            tree.remove_gap(gap)
        return 0
    # a page goes in as a few smaller runs, the event loop turning between them
    # (a window stays responsive); the gap left over is busy until the last
    chunks = [keep[i : i + PLACE_CHUNK] for i in range(0, len(keep), PLACE_CHUNK)]
    if reverse:
        chunks.reverse()
    current, placed_count = gap, 0
    for number, chunk in enumerate(chunks):
        if number:
            await asyncio.sleep(0)
            if not current.attached:  # refreshed or trimmed meanwhile
                return placed_count
        placed = tree.add_entries(conn, chunk, contiguous=True)
        placed_count += len(chunk)
        first, last = _in_group(group, placed[0]), _in_group(group, placed[-1])
        rows = group.children
        above = rows[first.row - 1] if first.row > 0 else None
        below = rows[last.row + 1] if last.row + 1 < len(rows) else None
        # a run is contiguous from where it started: that side of it is read
        near, far = (below, above) if reverse else (above, below)
        if near is not None and near.gap is not None:
            tree.remove_gap(near)
        if far is not None and far.gap is not None:
            if number == len(chunks) - 1 and closed:
                tree.remove_gap(far)
            elif far is not current:
                far.load_state, current = LoadState.LOADING, far
    if current is not gap and current.attached:
        tree.set_load_state(current, LoadState.UNLOADED)
    return placed_count


async def _fill_spans(tree: StateTree, conn: ConnectionNode, gap: Node, limit: int) -> int:
    """A forward-only group (several prefixes): the next keys of its spans."""
    group = gap.parent
    assert group is not None
    assert group.cursor is not None
    cursor = group.cursor
    pages = Abilities.of(conn.store).key_pages
    assert pages is not None
    listed = 0
    while cursor.spans and listed < limit:
        prefix, after = cursor.spans[0]
        page = await pages.list_page(prefix, after=after, limit=limit - listed)
        if not group.attached:  # refreshed or closed meanwhile: the page is not wanted
            return listed
        if page.entries:
            tree.add_entries(conn, page.entries)
            listed += len(page)
        if page.more and page.last is not None:
            cursor.spans[0] = (prefix, page.last)
        else:
            cursor.spans.pop(0)
    if not cursor.spans:
        tree.remove_gap(gap)
    return listed


def rows_to_drop(
    group: Node, focus_row: int, pinned: Callable[[Node], bool], keep_rows: int = KEEP_ROWS
) -> list[tuple[int, int]]:
    """Row ranges of ``group`` to drop into gaps: all but ``keep_rows`` around
    ``focus_row`` and the rows ``pinned`` says to keep (or that hold one).

    Gaps count as droppable (they join the new gap); a range of gaps only is
    not returned. Ranges ascend.
    """
    low, high = focus_row - keep_rows // 2, focus_row + keep_rows // 2
    ranges: list[tuple[int, int]] = []
    start: int | None = None
    rows_in_range = False
    for row, child in enumerate(group.children):
        droppable = not low <= row <= high and (
            child.gap is not None or not any(pinned(n) for n in child.walk())
        )
        if droppable:
            if start is None:
                start, rows_in_range = row, False
            rows_in_range = rows_in_range or child.gap is None
        elif start is not None:
            if rows_in_range:
                ranges.append((start, row - 1))
            start = None
    if start is not None and rows_in_range:
        ranges.append((start, len(group.children) - 1))
    return ranges


def trim_group(
    tree: StateTree,
    group: Node,
    focus: Node | None,
    pinned: Callable[[Node], bool],
    *,
    max_rows: int = MAX_GROUP_ROWS,
    keep_rows: int = KEEP_ROWS,
) -> int:
    """Bound a seekable paged group: past ``max_rows`` rows, drop those far from
    ``focus`` (a row of the group, or below one; ``None``: its first row) back
    into gaps, keeping every row ``pinned`` says to (current, pending edits,
    watched). Returns the number of state items dropped.
    """
    cursor = group.cursor
    if cursor is None or not cursor.seekable or len(group.children) <= max_rows:
        return 0
    row = 0
    if focus is not None and focus.attached:
        held = _in_group(group, focus)
        row = held.row if held.parent is group else 0
    before = group.count
    for first, last in reversed(rows_to_drop(group, row, pinned, keep_rows)):
        tree.evict(group, first, last)
    return before - group.count


# -- groups of a store listed per node, read one listing page at a time ----------

#: groups (and a conversation's private states) read in listing pages on a lazy store
_LISTING_PAGE_KINDS = frozenset(
    {NodeKind.USERS, NodeKind.CONVERSATIONS, NodeKind.CONVERSATION, NodeKind.OTHER_GROUP}
)


def reads_listing_pages(node: Node) -> bool:
    """Whether expanding ``node`` reads one listing page (``load_listing_page``), not a
    listing of everything below it: a group of a store listed per node (Blob) that
    pages forward (``Capability.LISTING_PAGES``)."""
    conn = node.connection
    if conn is None or conn.paged or node.prefix is None:
        return False
    if isinstance(node.cursor, ListingCursor):
        return True
    abilities = Abilities.of(conn.store)
    return (
        node.kind in _LISTING_PAGE_KINDS
        and abilities.hierarchy is not None
        and abilities.listing_pages is not None
    )


def _listing_group(tree: StateTree, conn: ConnectionNode, cursor: ListingCursor) -> Node:
    """The "Other keys" group of ``conn``, its pages to read from ``cursor``'s spans."""
    group = tree.ensure_group(conn, NodeKind.OTHER_GROUP, "\0other", "Other keys")
    if isinstance(group.cursor, ListingCursor):
        group.cursor.spans.extend(s for s in cursor.spans if s not in group.cursor.spans)
    else:
        group.cursor = cursor
    group.prefix = ""
    tree.set_load_state(group, LoadState.UNLOADED)
    return group


#: names a group's first listing page reads: a screenful (a Blob page of 500 costs
#: ~0.35 MB and ~0.4 s on Azurite before the first row shows)
FIRST_LISTING_KEYS = 100


async def _expand_listing(tree: StateTree, node: Node) -> int:
    first = not isinstance(node.cursor, ListingCursor)
    if not isinstance(node.cursor, ListingCursor):
        assert node.prefix is not None
        node.cursor = ListingCursor([(node.prefix, None)])
    with _loading(tree, node):
        listed = await load_listing_page(tree, node, FIRST_LISTING_KEYS if first else PAGE_KEYS)
    more = node.cursor is not None and not node.cursor.done
    tree.set_load_state(node, LoadState.UNLOADED if more else LoadState.LOADED)
    return listed


async def load_listing_page(tree: StateTree, node: Node, limit: int = PAGE_KEYS) -> int:
    """The next listing page of ``node``'s ``ListingCursor``, placed in the tree: one
    request, or one per span while the spans end before ``limit`` names.

    Each page's rows are placed in key order. Pages come in the store's listing
    order, which is key order for names that are the key (Blob, python dialect);
    escaped names (js, .NET) list in the order of their escapes, so a later page
    can hold keys below the last one shown. The span keeps the highest key read,
    for the model's "rows ahead of the pages" test.
    """
    conn, cursor = node.connection, node.cursor
    assert conn is not None
    assert isinstance(cursor, ListingCursor)
    pages = Abilities.of(conn.store).listing_pages
    assert pages is not None
    listed = 0
    while cursor.spans and listed < limit:
        prefix, highest = cursor.spans[0]
        page = await pages.next_page(prefix, cursor=cursor.token, limit=limit - listed)
        if not node.attached:  # refreshed or closed meanwhile: the page is not wanted
            return listed
        entries = sorted(page.entries, key=lambda e: e.key)
        if entries:
            tree.add_entries(conn, entries)
            listed += len(entries)
            top = entries[-1].key
            highest = top if highest is None else max(highest, top)
        if page.cursor is not None:  # the rest of this span is the next page
            cursor.spans[0], cursor.token = (prefix, highest), page.cursor
            break
        cursor.spans.pop(0)
        cursor.token = None
    return listed

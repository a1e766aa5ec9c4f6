"""A window over a big store: groups found by seeks, read a page at a time, with gaps.

A store with ``Capability.KEY_PAGES`` that holds many keys opens *paged*
(``probe_size``): ``discover_groups`` finds channels, agents and their Users /
Conversations groups by one-key seeks. A paged group is runs of rows read in key
order and *gap rows* (``NodeKind.GAP``) for the key ranges not read yet; a new
group is one gap. ``fill_gap`` reads ``PAGE_KEYS`` keys into a gap, forwards from
the rows above it or backwards from the rows below (``read_end``: the group's last
page, one reverse seek whatever its size), never past the rows on its other side
(``list_page(until=…)``), so a gap of ``n`` keys costs ``ceil(n / PAGE_KEYS)``
pages; ``trim_group`` drops rows far from where the user looks back into gaps, so
memory is bounded by ``MAX_GROUP_ROWS`` per group, not by the store. On a store
that charges per request (Cosmos DB: ``lazy_discovery``) connecting seeks only
the channels; a channel's groups are sought when it is expanded
(``discover_channel``).

Nothing here imports Qt.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from typing import cast

from explorer.storage.abilities import Abilities
from explorer.storage.base import Capability, Storage
from explorer.storage.paging import PAST, Count, KeyPages, Positions, first_key
from explorer.workspace.tree import (
    ConnectionNode,
    KeyGap,
    LoadState,
    Node,
    NodeKind,
    PageCursor,
    StateTree,
)

#: first segments that are not channels (Agents SDK sign-in and proactive keys)
NOT_CHANNELS = frozenset({"auth", "proactive"})

#: stores holding more keys than this open as a window (groups paged on demand)
PAGED_THRESHOLD = 20_000
#: stores without row numbers (Cosmos DB) open paged past this many keys
PROBE_KEYS = 200
#: keys per page a group loads when the view scrolls near its end
PAGE_KEYS = 500
#: keys a group's first page reads where a page costs by what it holds: a screenful
#: (Cosmos DB charges a query by what it reads; a Blob page of 500 names costs
#: ~0.35 MB and ~0.4 s on Azurite before the first row shows: ``tree_listing``)
FIRST_PAGE_KEYS = 100
#: first-level and second-level names found by seeks before the rest is paged flat
MAX_SEGMENTS = 200


@dataclass(frozen=True)
class StoreSize:
    """What opening learnt of a store's size: whether it opens as a window
    (``paged``), and its total when that came with no extra request (``total``)."""

    paged: bool
    total: Count | None = None


async def probe_size(store: Storage, threshold: int = PAGED_THRESHOLD) -> StoreSize:
    """Whether ``store`` is big enough to open as a window (``Capability.KEY_PAGES``).

    One cheap probe: a row number (``Positions``: more than ``threshold``
    keys), else the total the store reports of itself (``REPORTED_TOTAL``:
    Cosmos DB's quota info, read on open; kept as ``total``), else one page of
    ``PROBE_KEYS`` keys (more than that); never a count of the store's keys or
    a listing.
    """
    abilities = Abilities.of(store)
    pages = abilities.key_pages
    if pages is None:
        return StoreSize(False)
    if Capability.POSITIONS in store.capabilities:
        probe = await cast(Positions, store).page_at("", threshold, limit=1)
        return StoreSize(len(probe) > 0)
    limit = min(threshold, PROBE_KEYS)
    if abilities.counting is not None and Capability.REPORTED_TOTAL in store.capabilities:
        total = await abilities.counting.count("")
        return StoreSize(total.value > limit, total)
    # no row numbers (Cosmos DB): one small page, so connecting never reads the
    # container's ids (request units); past it the store opens paged
    page = await pages.list_page("", limit=limit, keys_only=True)
    return StoreSize(page.more)


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
    past: str | None = None
    for _ in range(MAX_SEGMENTS):
        key = await first_key(pages, base, after=after, past=past)
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
                if await first_key(pages, agent_base + name + "/") is not None:
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
            after, past = key, None
            continue
        after, past = None, base + segment
    # more names than seeks: the rest, flat
    other.spans.append((base, after if past is None else past + PAST))


async def _holds_groups(pages: KeyPages, base: str) -> bool:
    """Whether a name whose first key is a lone one (``weird/x``) is a channel all the
    same: it has Users or Conversations below it (one or two seeks, not one per key)."""
    for group in ("conversations/", "users/"):
        if await first_key(pages, base + group) is not None:
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
    past: str | None = None
    made = 0
    for _ in range(MAX_SEGMENTS):
        key = await first_key(pages, "", after=after, past=past)
        if key is None:
            break
        name, slash, rest = key.partition("/")
        channel_like = bool(slash) and name not in NOT_CHANNELS and ":_" not in name
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
            after, past = None, name
        elif slash:
            other.spans.append((name + "/", None))
            after, past = None, name
        else:
            other.spans.append((key, None))
            after, past = key, None
        await asyncio.sleep(0)
    else:  # more names than seeks: the rest, flat
        other.spans.append(("", after if past is None else past + PAST))
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
    with tree.loading(gap):
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
    start, stop = (span.before, span.after) if reverse else (span.after, span.before)
    # the page stops at the rows on the gap's far side: it reads only what the
    # gap holds, and ``more`` says whether the gap holds more (no request to
    # find that a gap is empty, no key read twice: request units on Cosmos DB)
    page = await pages.list_page(
        cursor.prefix, after=start, limit=limit, reverse=reverse, until=stop
    )
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


async def expand_paged(tree: StateTree, conn: ConnectionNode, node: Node) -> int:
    """Expand a node of a paged connection: the connection (its channels and groups, by
    seeks), a channel found lazily (its groups) or a group (its next page)."""
    with tree.loading(node):
        if node is conn:
            listed = await discover_groups(tree, conn)
        elif node.cursor is not None:
            listed = await load_page(tree, node, _page_limit(conn, node))
        elif node.kind is NodeKind.CHANNEL:
            listed = await discover_channel(tree, conn, node)
        else:
            listed = 0
    _settle(tree, node)
    return listed


def _page_limit(conn: ConnectionNode, group: Node) -> int:
    """``FIRST_PAGE_KEYS`` for the first page of a group on a store that charges
    request units (nothing read yet but gaps), else ``PAGE_KEYS``."""
    first = all(child.gap is not None for child in group.children)
    charged = Abilities.of(conn.store).charges is not None
    return FIRST_PAGE_KEYS if first and charged else PAGE_KEYS


def _settle(tree: StateTree, group: Node) -> None:
    """A paged group is ``UNLOADED`` while it has gaps, then ``LOADED``."""
    more = group.cursor is not None and not group.cursor.done
    tree.set_load_state(group, LoadState.UNLOADED if more else LoadState.LOADED)

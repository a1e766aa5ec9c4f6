"""Groups of a store listed per node (Blob), read one listing page at a time.

On a store that pages forward (``Capability.LISTING_PAGES``) and lists per node
(``Capability.HIERARCHY``), a Users or Conversations group, a conversation's
private states and the sign-in / proactive keys are read one listing page at a
time (``load_listing_page``: the first ``FIRST_PAGE_KEYS`` names, a screenful,
then ``PAGE_KEYS``); the group keeps the store's continuation in a
``ListingCursor`` and stays ``UNLOADED`` while more exist, so the view reads the
next page when it scrolls near the end (forwards only: no gap rows).

Nothing here imports Qt.
"""

from __future__ import annotations

from explorer.storage.abilities import Abilities
from explorer.workspace.tree import (
    ConnectionNode,
    ListingCursor,
    LoadState,
    Node,
    NodeKind,
    StateTree,
)
from explorer.workspace.tree_paged import FIRST_PAGE_KEYS, PAGE_KEYS

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


def listing_group(tree: StateTree, conn: ConnectionNode, cursor: ListingCursor) -> Node:
    """The "Other keys" group of ``conn``, its pages to read from ``cursor``'s spans."""
    group = tree.ensure_group(conn, NodeKind.OTHER_GROUP, "\0other", "Other keys")
    if isinstance(group.cursor, ListingCursor):
        group.cursor.spans.extend(s for s in cursor.spans if s not in group.cursor.spans)
    else:
        group.cursor = cursor
    group.prefix = ""
    tree.set_load_state(group, LoadState.UNLOADED)
    return group


async def expand_listing(tree: StateTree, node: Node) -> int:
    first = not isinstance(node.cursor, ListingCursor)
    if first:
        assert node.prefix is not None
        node.cursor = ListingCursor([(node.prefix, None)])
    with tree.loading(node):
        listed = await load_listing_page(tree, node, FIRST_PAGE_KEYS if first else PAGE_KEYS)
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

"""The state tree: connection → channel → Users / Conversations → states.

Plain Python (no Qt); ``explorer.ui.models.state_tree_model`` only adapts it.

Shape of one connection::

    connection
      channel                      (count = states below)
        Users            → user state           (leaf, has ``key``)
        Conversations    → conversation state   (``key`` once its own item is seen)
                             → private: user    (leaf)
        agent <id>                              (Agents SDK app turn state)
          Users / Conversations as above
      Other keys         → other                (sign-in, proactive, direct writes)

Invariants:

- State rows are appended in arrival order; channels, agents and the Users /
  Conversations / Other keys groups go to their sorted place (Users first,
  Other keys last). ``node.row`` is always the node's index in
  ``parent.children``.
- Every structural change is announced to listeners: ``before_insert`` /
  ``after_insert`` with a contiguous row range of one parent (called before /
  after ``children`` changes), ``before_remove`` / ``after_remove`` likewise;
  ``changed(node)`` for label, count or load state. ``add_entries`` stages new
  rows and announces each visible parent once per batch; ``attached`` marks
  nodes listeners have been told about (a staged subtree becomes visible with
  its top node), and only attached nodes get ``changed``.
- A key is in the tree at most once per connection (``ConnectionNode.by_key``).
- Counts: ``Node.count`` is the number of state items below the node (a leaf
  counts itself), kept up to date as entries arrive. ``Node.store_count`` is
  the store's own count under the node's prefix (``count_prefix``), set by a
  background count; saves of new keys and deletes keep it up to date.
"""

from __future__ import annotations

import asyncio
from bisect import bisect_right
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any, Protocol

from explorer.core.items import Entry
from explorer.state.keys import KeyInfo, parse_key
from explorer.storage.paging import Count


class LoadState(StrEnum):
    UNLOADED = "unloaded"
    LOADING = "loading"
    LOADED = "loaded"
    FAILED = "failed"


class NodeKind(StrEnum):
    ROOT = "root"
    CONNECTION = "connection"
    CHANNEL = "channel"
    AGENT = "agent"
    USERS = "users"
    CONVERSATIONS = "conversations"
    OTHER_GROUP = "other_group"
    USER = "user"
    CONVERSATION = "conversation"
    PRIVATE = "private"
    OTHER = "other"
    #: a paged group's key range not read yet (``Node.gap``)
    GAP = "gap"


#: kinds whose node stands for one stored item (when ``key`` is set)
STATE_KINDS = frozenset({NodeKind.USER, NodeKind.CONVERSATION, NodeKind.PRIVATE, NodeKind.OTHER})


@dataclass(eq=False)
class Node:
    """One row. ``key`` is the storage key when the row is a stored item."""

    kind: NodeKind
    label: str
    parent: Node | None = None
    key: str | None = None
    entry: Entry | None = None
    #: listing prefix that loads this node's children (lazy backends only)
    prefix: str | None = None
    load_state: LoadState = LoadState.LOADED
    error: str | None = None
    count: int = 0
    #: the store's count of the items below (``Counting.count``), once known
    store_count: Count | None = None
    #: a count of the store was asked for (``store_count`` follows)
    count_asked: bool = False
    #: where the next page of this group starts (paged connections), ``None``: not paged
    cursor: PageCursor | None = None
    #: the unread key range a ``NodeKind.GAP`` row stands for
    gap: KeyGap | None = None
    children: list[Node] = field(default_factory=list)
    row: int = 0
    #: announced to listeners (its subtree is visible to them)
    attached: bool = False
    #: children by identity (user id, conversation id, channel name...)
    index: dict[str, Node] = field(default_factory=dict, repr=False)

    @property
    def connection(self) -> ConnectionNode | None:
        node: Node | None = self
        while node is not None and not isinstance(node, ConnectionNode):
            node = node.parent
        return node

    @property
    def is_state(self) -> bool:
        return self.kind in STATE_KINDS and self.key is not None

    @property
    def lazy(self) -> bool:
        """True while children exist in the store that have not been listed."""
        return self.load_state in (LoadState.UNLOADED, LoadState.FAILED)

    def path(self) -> list[Node]:
        """Ancestors from the first below the root down to this node."""
        nodes: list[Node] = []
        node: Node | None = self
        while node is not None and node.kind is not NodeKind.ROOT:
            nodes.append(node)
            node = node.parent
        return nodes[::-1]

    def walk(self) -> Iterable[Node]:
        """This node and every descendant, depth first."""
        stack = [self]
        while stack:
            node = stack.pop()
            yield node
            stack.extend(reversed(node.children))


@dataclass(eq=False)
class PageCursor:
    """A paged group: what of it is still in the store.

    ``prefix`` set: the group is one key prefix, read by key seeks in both
    directions (``KeyPages``); its unread ranges are its gap rows, wherever
    they are (``gaps``). ``None``: several prefixes read forwards in turn
    (``spans``: ``(prefix, after)`` pairs still to read, ``after`` the last key
    read, ``None``: from its start); its one gap row stays last.
    """

    spans: list[tuple[str, str | None]] = field(default_factory=list)
    prefix: str | None = None
    #: the group's ``NodeKind.GAP`` children, in row order
    gaps: list[Node] = field(default_factory=list)

    @property
    def done(self) -> bool:
        return not self.gaps if self.prefix is not None else not self.spans

    @property
    def seekable(self) -> bool:
        return self.prefix is not None


@dataclass(eq=False, slots=True)
class KeyGap:
    """Keys of a paged group not read yet: those strictly between ``after`` and
    ``before`` (``None``: the group's start / end)."""

    after: str | None = None
    before: str | None = None

    def holds(self, key: str) -> bool:
        return (self.after is None or key > self.after) and (
            self.before is None or key < self.before
        )


@dataclass(eq=False)
class ListingCursor(PageCursor):
    """A group of a store that pages only forward (Blob): ``spans`` as above, read
    in listing order; ``token`` resumes the first span where the last page ended
    (the store's opaque ``Page.cursor``, ``None``: from its start)."""

    token: str | None = None


@dataclass(eq=False)
class ConnectionNode(Node):
    """A top-level node: one open store. ``store`` is opaque to the tree."""

    store: Any = None
    #: lists instead of ``store`` when set (``ThreadedLister``: same listing API)
    lister: Any = None
    environment: str = "dev"
    #: total items listed so far / expected (``None`` while unknown)
    listed: int = 0
    by_key: dict[str, Node] = field(default_factory=dict, repr=False)
    #: a window over a big store: groups load pages on demand (``tree_paged.load_page``)
    paged: bool = False


#: group kinds kept in sorted order (users first, other keys last)
_SORTED_KINDS = {
    NodeKind.USERS: 0,
    NodeKind.CONVERSATIONS: 1,
    NodeKind.CHANNEL: 2,
    NodeKind.AGENT: 2,
    NodeKind.OTHER_GROUP: 9,
}


def _sort_key(node: Node) -> tuple[int, str]:
    return _SORTED_KINDS.get(node.kind, 5), node.label.casefold()


class TreeListener(Protocol):
    def before_insert(self, parent: Node, first: int, last: int) -> None: ...
    def after_insert(self, parent: Node, first: int, last: int) -> None: ...
    def before_remove(self, parent: Node, first: int, last: int) -> None: ...
    def after_remove(self, parent: Node, first: int, last: int) -> None: ...
    def changed(self, node: Node) -> None: ...


class StateTree:
    """The whole tree: an invisible root whose children are connections."""

    def __init__(self) -> None:
        self.root = Node(NodeKind.ROOT, "", attached=True)
        self._listeners: list[TreeListener] = []
        #: attached parents that got new children in the open batch, in order
        self._staged: dict[int, tuple[Node, list[Node]]] | None = None
        #: new rows of paged groups in the open batch (placed by key when it ends)
        self._staged_paged: dict[int, tuple[Node, list[Node]]] = {}
        self._touched: dict[int, Node] = {}

    # -- listeners ------------------------------------------------------------

    def subscribe(self, listener: TreeListener) -> None:
        self._listeners.append(listener)

    def unsubscribe(self, listener: TreeListener) -> None:
        self._listeners.remove(listener)

    def notify_changed(self, node: Node) -> None:
        if node.attached:
            for listener in self._listeners:
                listener.changed(node)

    def set_load_state(self, node: Node, state: LoadState, error: str | None = None) -> None:
        node.load_state = state
        node.error = error
        self.notify_changed(node)

    @contextmanager
    def loading(self, node: Node) -> Iterator[None]:
        """``node`` is ``LOADING`` inside; a cancel leaves it ``UNLOADED`` (asked again
        later), a failure ``FAILED`` with the error. The caller sets the end state."""
        self.set_load_state(node, LoadState.LOADING)
        try:
            yield
        except asyncio.CancelledError:
            self.set_load_state(node, LoadState.UNLOADED)
            raise
        except Exception as exc:
            self.set_load_state(node, LoadState.FAILED, str(exc))
            raise

    # -- structure -----------------------------------------------------------

    def add_connection(
        self, label: str, store: Any, *, environment: str = "dev", lazy: bool = False
    ) -> ConnectionNode:
        """A new top-level node. ``lazy``: children are listed per node on expand."""
        conn = ConnectionNode(
            NodeKind.CONNECTION,
            label,
            store=store,
            environment=environment,
            load_state=LoadState.UNLOADED if lazy else LoadState.LOADING,
            prefix="" if lazy else None,
        )
        self._append(self.root, conn)
        return conn

    def remove_connection(self, conn: ConnectionNode) -> None:
        self._remove_rows(self.root, conn.row, conn.row)

    def clear_children(self, node: Node) -> None:
        """Remove every child of ``node`` (before a refresh); counts follow."""
        removed = 0
        for child in node.children:
            for below in child.walk():
                if below.key is not None and isinstance(conn := node.connection, ConnectionNode):
                    conn.by_key.pop(below.key, None)
            removed += child.count
        if node.children:
            self._remove_rows(node, 0, len(node.children) - 1)
        node.index.clear()
        for below in node.walk():  # counted again when shown
            below.store_count, below.count_asked = None, False
        self._adjust_count(node, -removed)

    def add_entries(
        self, conn: ConnectionNode, entries: Iterable[Entry], *, contiguous: bool = False
    ) -> list[Node]:
        """Place listed items; returns the nodes of the items (new or existing).

        New rows are staged and announced when the batch ends: one insert pair
        per already-visible parent, counts and changes announced once.
        ``contiguous``: ``entries`` are one page in key order, every key between
        the first and the last (paged groups then need no gap inside them).
        """
        self._staged, self._touched = {}, {}
        placed: list[Node] = []
        try:
            for entry in entries:
                placed.append(self._place(conn, entry))
                conn.listed += 1
        finally:
            staged, self._staged = self._staged, None
            for parent, nodes in staged.values():
                self._insert(parent, nodes)
            paged, self._staged_paged = self._staged_paged, {}
            for parent, nodes in paged.values():
                self._insert_paged(parent, nodes, contiguous)
            touched, self._touched = self._touched, {}
            for node in touched.values():
                self.notify_changed(node)
        return placed

    def ensure_group(self, parent: Node, kind: NodeKind, ident: str, label: str) -> Node:
        """The child of ``parent`` named ``ident``, created (and announced) if missing."""
        node = parent.index.get(ident)
        if node is None:
            node = Node(kind, label)
            parent.index[ident] = node
            self._append(parent, node)
        return node

    def put_entry(self, conn: ConnectionNode, entry: Entry) -> Node:
        """Show ``entry`` after a save: refresh its row, or add it if it is new.

        Not a listing: ``conn.listed`` is left alone. Listeners get ``changed``
        for an existing row (new size / etag / modified time), or an insert.
        """
        existing = conn.by_key.get(entry.key)
        if existing is not None:
            existing.entry = entry
            self.notify_changed(existing)
            return existing
        node = self._place(conn, entry)
        self._adjust_store_count(node, 1)
        touched, self._touched = self._touched, {}
        for below in touched.values():
            self.notify_changed(below)
        return node

    def remove_key(self, conn: ConnectionNode, key: str) -> bool:
        """Take ``key``'s row out (the item was deleted); ``False`` if it was not shown.

        A conversation row that still holds private states stays, without its
        key. Groups left empty (Users, Conversations, an agent, a channel,
        Other keys) go too. Counts follow.
        """
        node = conn.by_key.pop(key, None)
        if node is None:
            return False
        self._adjust_store_count(node, -1)
        self._adjust_count(node, -1)
        if node.children:  # a conversation with private states: keep the row
            node.key, node.entry = None, None
            self.notify_changed(node)
            return True
        current: Node = node
        while True:
            parent = current.parent
            if parent is None:
                return True
            row = current.row
            self._remove_rows(parent, row, row)
            current.parent = None
            self._join_gaps(parent, row)
            empty_group = (
                not parent.children
                and parent.key is None
                and parent.kind not in (NodeKind.ROOT, NodeKind.CONNECTION)
            )
            if not empty_group:
                return True
            current = parent

    def find_key(self, key: str) -> Node | None:
        """The node of ``key`` in any connection (the first one holding it)."""
        for conn in self.root.children:
            assert isinstance(conn, ConnectionNode)
            node = conn.by_key.get(key)
            if node is not None:
                return node
        return None

    # -- paged groups: rows in key order, unread ranges as gap rows ------------

    def make_paged(self, group: Node, cursor: PageCursor) -> None:
        """Turn ``group`` into a paged group: one gap for all its keys, around the
        rows already shown (a Go to may have placed some before the group was
        found), which are put in key order."""
        shown, index = list(group.children), dict(group.index)
        group.cursor = cursor
        lows = [_low(group, node) for node in shown]
        if cursor.seekable and lows == sorted(lows):  # in order: gaps go around them
            bounds = [None, *lows]
            highs = [_high(node) for node in shown]
            for row in range(len(shown), -1, -1):  # from the bottom: rows above stay
                after = highs[row - 1] if row > 0 else None
                before = bounds[row + 1] if row < len(shown) else None
                self.add_gap(group, KeyGap(after, before), row)
            return
        if shown:
            self._remove_rows(group, 0, len(shown) - 1)
            group.index.update(index)  # the same rows come back
        self.add_gap(group, KeyGap())
        if shown:
            self._insert_paged(group, shown)

    def add_gap(self, group: Node, gap: KeyGap, row: int | None = None) -> Node:
        """A gap row standing for ``gap`` in ``group`` at ``row`` (default: last)."""
        node = Node(NodeKind.GAP, "", gap=gap, load_state=LoadState.UNLOADED)
        node.parent = group
        row = len(group.children) if row is None else row
        self._insert_rows(group, row, [node])
        return node

    def remove_gap(self, node: Node) -> None:
        """Take a gap row out: its range was read (or is known empty)."""
        parent = node.parent
        rows = parent.children if parent is not None else []
        if parent is not None and node.row < len(rows) and rows[node.row] is node:
            self._remove_rows(parent, node.row, node.row)
            node.parent = None

    def evict(self, group: Node, first: int, last: int) -> Node | None:
        """Drop rows ``first``..``last`` of a seekable paged group back into one gap.

        Gaps next to the range join it. The dropped items leave ``by_key`` and
        the counts; the gap row that replaces them is returned (``None``: the
        range held nothing to drop).
        """
        cursor, children = group.cursor, group.children
        assert cursor is not None
        assert cursor.seekable
        while first > 0 and children[first - 1].gap is not None:
            first -= 1
        while last + 1 < len(children) and children[last + 1].gap is not None:
            last += 1
        rows = children[first : last + 1]
        if all(n.gap is not None for n in rows):
            return None
        head, tail = rows[0].gap, rows[-1].gap
        if head is not None:
            after = head.after
        else:
            after = _high(children[first - 1]) if first > 0 else None
        if tail is not None:
            before = tail.before
        else:
            before = _low(group, children[last + 1]) if last + 1 < len(children) else None
        conn = group.connection
        dropped = 0
        for child in rows:
            if child.gap is None:
                dropped += child.count
                for below in child.walk():
                    if below.key is not None and conn is not None:
                        conn.by_key.pop(below.key, None)
        self._remove_rows(group, first, last)
        for child in rows:
            child.parent = None
        self._adjust_count(group, -dropped)
        return self.add_gap(group, KeyGap(after, before), first)

    def _join_gaps(self, group: Node, row: int) -> None:
        """Two gaps met at ``row`` (the row between them went): one gap now."""
        cursor, children = group.cursor, group.children
        if cursor is None or not cursor.seekable or not 0 < row < len(children):
            return
        upper, lower = children[row - 1], children[row]
        if upper.gap is not None and lower.gap is not None:
            upper.gap.before = lower.gap.before
            self.remove_gap(lower)
            self.notify_changed(upper)

    def _insert_paged(self, group: Node, nodes: list[Node], contiguous: bool = False) -> None:
        """Place new rows of a paged group at their key order.

        Rows landing in a gap split it: the gap keeps the keys below them, a new
        gap after them the keys above (a page read into a gap then drops the
        side it covered, ``tree_paged.fill_gap``). ``contiguous``: the rows are
        every key between their first and last (a page); else each new row in a
        gap gets a gap after it. A forward-only group's one gap stays last.
        """
        cursor = group.cursor
        assert cursor is not None

        def order(node: Node) -> tuple[str, int]:
            return _order(group, node)

        nodes.sort(key=order)
        runs: list[tuple[int, list[Node]]] = []
        for node in nodes:
            row = bisect_right(group.children, order(node), key=order)
            if runs and runs[-1][0] == row:
                runs[-1][1].append(node)
            else:
                runs.append((row, [node]))
        split: list[Node] = []
        for row, run in reversed(runs):  # from the bottom: rows above stay valid
            above = group.children[row - 1] if row > 0 else None
            gap = above.gap if above is not None else None
            rows = run
            if cursor.seekable and gap is not None and gap.holds(_low(group, run[0])):
                # a page is contiguous: one gap after it; other rows each get one
                ends = [run[-1]] if contiguous else run
                rows = []
                for node in run:
                    rows.append(node)
                    if node in ends:
                        upto = run[run.index(node) + 1] if node is not run[-1] else None
                        before = gap.before if upto is None else _low(group, upto)
                        rest = Node(
                            NodeKind.GAP,
                            "",
                            gap=KeyGap(_high(node), before),
                            load_state=LoadState.UNLOADED,
                        )
                        rest.parent = group
                        rows.append(rest)
                gap.before = _low(group, run[0])
                assert above is not None
                split.append(above)
            self._insert_rows(group, row, rows)
        for node in split:
            self.notify_changed(node)

    def _insert_rows(self, parent: Node, row: int, nodes: list[Node]) -> None:
        """Insert ``nodes`` at ``row`` of ``parent``, announced when it is attached."""
        last = row + len(nodes) - 1
        if parent.attached:
            self._emit(lambda listener: listener.before_insert(parent, row, last))
        parent.children[row:row] = nodes
        for index in range(row, len(parent.children)):
            parent.children[index].row = index
        for node in nodes:
            node.parent = parent
        if parent.attached:
            for node in nodes:
                for below in node.walk():
                    below.attached = True
        if parent.cursor is not None:
            parent.cursor.gaps = [n for n in parent.children if n.gap is not None]
        if parent.attached:
            self._emit(lambda listener: listener.after_insert(parent, row, last))

    # -- internals -----------------------------------------------------------

    def _place(self, conn: ConnectionNode, entry: Entry) -> Node:
        existing = conn.by_key.get(entry.key)
        if existing is not None:
            existing.entry = entry
            self._touched[id(existing)] = existing
            return existing
        info = parse_key(entry.key)
        if info.kind == "other":
            group = self.ensure_group(conn, NodeKind.OTHER_GROUP, "\0other", "Other keys")
            leaf = self._leaf(group, NodeKind.OTHER, "k:" + entry.key, entry.key, entry)
        else:
            leaf = self._place_state(conn, info, entry)
        conn.by_key[entry.key] = leaf
        self._adjust_count(leaf, 1)
        return leaf

    def _place_state(self, conn: ConnectionNode, info: KeyInfo, entry: Entry) -> Node:
        assert info.channel is not None
        base = self.ensure_group(conn, NodeKind.CHANNEL, "c:" + info.channel, info.channel)
        if info.agent is not None:
            base = self.ensure_group(base, NodeKind.AGENT, "a:" + info.agent, f"agent {info.agent}")
        if info.kind == "user":
            assert info.user is not None
            users = self.ensure_group(base, NodeKind.USERS, "\0users", "Users")
            return self._leaf(users, NodeKind.USER, "k:" + entry.key, info.user, entry)
        assert info.conversation is not None
        convs = self.ensure_group(base, NodeKind.CONVERSATIONS, "\0convs", "Conversations")
        conv = self.ensure_group(
            convs, NodeKind.CONVERSATION, "v:" + info.conversation, info.conversation
        )
        if info.kind == "conversation":
            if conv.key is None:
                conv.key, conv.entry = entry.key, entry
                if conv.attached:  # a new row shows its key when it is inserted
                    self._touched[id(conv)] = conv
                return conv
            # the same conversation stored under a second key form (other dialect)
            return self._leaf(convs, NodeKind.CONVERSATION, "k:" + entry.key, entry.key, entry)
        assert info.user is not None
        return self._leaf(conv, NodeKind.PRIVATE, "k:" + entry.key, f"private: {info.user}", entry)

    def _leaf(self, parent: Node, kind: NodeKind, ident: str, label: str, entry: Entry) -> Node:
        node = Node(kind, label, key=entry.key, entry=entry)
        parent.index[ident] = node
        self._append(parent, node)
        return node

    def _append(self, parent: Node, node: Node) -> None:
        node.parent = parent
        if node.kind in _SORTED_KINDS:
            self._insert_sorted(parent, node)
        elif parent.cursor is not None and not isinstance(parent.cursor, ListingCursor):
            # a paged group: rows in key order, around gaps
            if self._staged is None:
                self._insert_paged(parent, [node])
            else:
                self._staged_paged.setdefault(id(parent), (parent, []))[1].append(node)
        elif not parent.attached:
            # not yet visible: becomes visible with its (staged) ancestor
            node.row = len(parent.children)
            parent.children.append(node)
        elif self._staged is None:
            node.row = len(parent.children)
            self._insert(parent, [node])
        else:
            _, nodes = self._staged.setdefault(id(parent), (parent, []))
            node.row = len(parent.children) + len(nodes)
            nodes.append(node)

    def _insert_sorted(self, parent: Node, node: Node) -> None:
        """Channels, agents and groups go to their sorted place at once.

        Their parents (connection, channel, agent) hold only such groups, so
        nothing is staged there and an immediate insert keeps rows exact.
        """
        order = _sort_key(node)
        row = next((c.row for c in parent.children if _sort_key(c) > order), len(parent.children))
        if parent.attached:
            self._emit(lambda listener: listener.before_insert(parent, row, row))
        parent.children.insert(row, node)
        for index in range(row, len(parent.children)):
            parent.children[index].row = index
        if parent.attached:
            for below in node.walk():
                below.attached = True
            self._emit(lambda listener: listener.after_insert(parent, row, row))

    def _insert(self, parent: Node, nodes: list[Node]) -> None:
        first = len(parent.children)
        last = first + len(nodes) - 1
        self._emit(lambda listener: listener.before_insert(parent, first, last))
        parent.children.extend(nodes)
        for node in nodes:
            for below in node.walk():
                below.attached = True
        self._emit(lambda listener: listener.after_insert(parent, first, last))

    def _remove_rows(self, parent: Node, first: int, last: int) -> None:
        self._emit(lambda listener: listener.before_remove(parent, first, last))
        for child in parent.children[first : last + 1]:
            for below in child.walk():
                below.attached = False
        removed = {id(n) for n in parent.children[first : last + 1]}
        del parent.children[first : last + 1]
        for ident in [i for i, n in parent.index.items() if id(n) in removed]:
            del parent.index[ident]
        for row in range(first, len(parent.children)):
            parent.children[row].row = row
        if parent.cursor is not None:
            parent.cursor.gaps = [n for n in parent.children if n.gap is not None]
        self._emit(lambda listener: listener.after_remove(parent, first, last))

    def _adjust_store_count(self, node: Node, delta: int) -> None:
        """A key was saved (+1) or deleted (-1): the known store counts above follow."""
        current: Node | None = node.parent
        while current is not None and current.kind is not NodeKind.ROOT:
            known = current.store_count
            if known is not None:
                current.store_count = replace(known, value=max(known.value + delta, 0))
            current = current.parent

    def _adjust_count(self, node: Node, delta: int) -> None:
        current: Node | None = node
        while current is not None and current.kind is not NodeKind.ROOT:
            current.count += delta
            if self._staged is not None:
                # rows not visible yet are announced by their insert, not changed
                if current.attached:
                    self._touched[id(current)] = current
            else:
                self.notify_changed(current)
            current = current.parent

    def _emit(self, call: Callable[[TreeListener], None]) -> None:
        for listener in self._listeners:
            call(listener)


#: above every key: a forward-only group's gap sorts last
_TOP = "\U0010ffff\U0010ffff"


def _order(group: Node, node: Node) -> tuple[str, int]:
    """Where a row of a paged group sorts: by key; a gap right after its ``after``."""
    gap = node.gap
    if gap is None:
        return _low(group, node), 1
    cursor = group.cursor
    if cursor is None or not cursor.seekable:
        return _TOP, 3
    return (gap.after, 2) if gap.after is not None else ("", 0)


def _low(group: Node, node: Node) -> str:
    """The lowest key a row of ``group`` stands for (a conversation: its own key)."""
    if node.gap is not None:
        return node.gap.after or ""
    if node.key is not None:
        return node.key
    return (group.prefix or "") + node.label  # a conversation seen by its private states


def _high(node: Node) -> str:
    """The highest key a row stands for (a conversation: its last private state)."""
    if node.gap is not None:
        return node.gap.before or _TOP
    keys = [n.key for n in node.walk() if n.key is not None]
    return max(keys) if keys else node.label


def has_gaps(node: Node) -> bool:
    """A paged group read by key (``PageCursor``): its unread ranges are gap rows.
    (A ``ListingCursor`` group only reads forward and has none.)"""
    return node.cursor is not None and not isinstance(node.cursor, ListingCursor)


def count_prefix(node: Node) -> str | None:
    """The key prefix whose store count is ``node``'s (``None``: not one prefix).

    The connection (every key), a channel (``CHANNEL/``) and a channel's Users
    and Conversations groups; agents and Other keys have no single prefix.
    """
    if isinstance(node, ConnectionNode):
        return ""
    parent = node.parent
    if node.kind is NodeKind.CHANNEL:
        return node.label + "/"
    if parent is not None and parent.kind is NodeKind.CHANNEL:
        if node.kind is NodeKind.USERS:
            return parent.label + "/users/"
        if node.kind is NodeKind.CONVERSATIONS:
            return parent.label + "/conversations/"
    return None


def node_matches(node: Node, needle: str) -> bool:
    """Whether ``node``'s id (label) or key contains ``needle``, ignoring case."""
    needle = needle.casefold()
    if needle in node.label.casefold():
        return True
    return node.key is not None and needle in node.key.casefold()


__all__ = [
    "STATE_KINDS",
    "ConnectionNode",
    "KeyGap",
    "ListingCursor",
    "LoadState",
    "Node",
    "NodeKind",
    "PageCursor",
    "StateTree",
    "TreeListener",
    "count_prefix",
    "has_gaps",
    "node_matches",
]

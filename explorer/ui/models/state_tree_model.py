"""``StateTreeModel``: a Qt item model adapting ``explorer.workspace.tree.StateTree``.

Invariants (checked by ``qtmodeltester`` in the tests):

- Children only under column 0; every row has ``COLUMNS`` columns.
- The model never changes the tree itself; it listens. Each tree event maps
  to ``beginInsertRows``/``endInsertRows``, ``beginRemoveRows``/
  ``endRemoveRows`` or ``dataChanged`` (with roles).
- ``data()`` never does I/O. ``fetchMore`` marks a lazy node loading, hands it
  to ``on_fetch`` (which starts an async load) and returns at once.
- Pending edits come from ``is_dirty(key)``; call ``refresh_dirty`` when the
  pending set changes.
- Paging: a parent shows at most ``page_rows`` children until the view asks
  for more (``canFetchMore``/``fetchMore``, as QTreeView does when scrolled
  to the end of an expanded group). Rows beyond are in the tree but not in
  the model, so a 60,000-user group streaming in while expanded costs a
  relayout of one page, not of every row, per batch. ``reveal(node)``
  shows the pages down to a node (go to); ``set_paging(False)`` shows all
  (the filter needs every row).
- A paged group of a window over a big store shows all its rows: they are
  bounded by the store's pages and ``trim_group``. Its gap rows (key ranges
  not read yet) are read when the view draws near them: forwards when a row
  just above a gap is drawn, backwards when one just below it is
  (``on_fill(gap, reverse)``), not while a Go to holds the group or the
  scroll bar is dragged. Past ``MAX_GROUP_ROWS`` rows the rows far from the
  last drawn one are dropped back into gaps on the next loop turn (the one
  change the model makes to the tree), never the current, pending-edit or
  watched rows.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from PySide6.QtCore import (
    QAbstractItemModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    QTimer,
)
from PySide6.QtGui import QBrush, QFont, QPalette
from PySide6.QtWidgets import QApplication, QStyle

from explorer.storage.paging import Count
from explorer.ui.models import roles
from explorer.workspace.tree import (
    ConnectionNode,
    LoadState,
    Node,
    NodeKind,
    StateTree,
    count_prefix,
    has_gaps,
)
from explorer.workspace.tree_paged import KEEP_ROWS, MAX_GROUP_ROWS, trim_group

AnyIndex = QModelIndex | QPersistentModelIndex
COLUMNS = ("Name", "Items", "Size", "Modified")
#: columns drawn from what the listing carried (``Entry.size`` / ``last_modified``)
SIZE_COLUMN, MODIFIED_COLUMN = 2, 3
_NCOLUMNS = len(COLUMNS)
#: children of one parent shown before the view asks for more
PAGE_ROWS = 1000
#: a next page is offered once a row this close to the end has been drawn
NEAR_END_ROWS = 50
_NO_FLAGS = Qt.ItemFlag.NoItemFlags
_FLAGS = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
_LEAF_FLAGS = _FLAGS | Qt.ItemFlag.ItemNeverHasChildren
_LEAF_KINDS = frozenset({NodeKind.USER, NodeKind.PRIVATE, NodeKind.OTHER, NodeKind.GAP})
#: rows of a paged group shown whatever ``page_rows`` (its pages bound it)
_UNLIMITED = 1 << 62
DIRTY_MARK = "●"
WATCH_MARK = "◉ watching"

_ICONS = {
    NodeKind.CONNECTION: QStyle.StandardPixmap.SP_DriveNetIcon,
    NodeKind.CHANNEL: QStyle.StandardPixmap.SP_DirIcon,
    NodeKind.AGENT: QStyle.StandardPixmap.SP_ComputerIcon,
    NodeKind.USERS: QStyle.StandardPixmap.SP_DirIcon,
    NodeKind.CONVERSATIONS: QStyle.StandardPixmap.SP_DirIcon,
    NodeKind.OTHER_GROUP: QStyle.StandardPixmap.SP_DirIcon,
    NodeKind.USER: QStyle.StandardPixmap.SP_FileIcon,
    NodeKind.CONVERSATION: QStyle.StandardPixmap.SP_FileDialogDetailedView,
    NodeKind.PRIVATE: QStyle.StandardPixmap.SP_FileIcon,
    NodeKind.OTHER: QStyle.StandardPixmap.SP_FileIcon,
    NodeKind.GAP: QStyle.StandardPixmap.SP_ArrowDown,
}
_CHANGED_ROLES = [
    Qt.ItemDataRole.DisplayRole,
    Qt.ItemDataRole.ToolTipRole,
    Qt.ItemDataRole.ForegroundRole,
    roles.COUNT_ROLE,
    roles.LOAD_STATE_ROLE,
    roles.DIRTY_ROLE,
]


_THIS_YEAR = datetime.now().year


def _size_text(size: int) -> str:
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):.1f} MB"
    if size >= 1024:
        return f"{size / 1024:.1f} KB"
    return f"{size} B"


def _pages_more(node: Node) -> bool:
    """A group read forward in listing pages whose next page is still in the store."""
    return node.cursor is not None and not has_gaps(node) and node.load_state is LoadState.UNLOADED


def _ahead_of_pages(node: Node) -> bool:
    """A row a Go to placed in a listing-paged group beyond the pages read so far."""
    up = node.parent
    if up is None or up.cursor is None or has_gaps(up) or not up.cursor.spans:
        return False
    after = up.cursor.spans[0][1]
    return node.key is not None and (after is None or node.key > after)


def _paged_rows(node: Node) -> int:
    """Rows of a listing-paged group that came from its pages (the rest a Go to placed)."""
    rows = len(node.children)
    while rows > 0 and _ahead_of_pages(node.children[rows - 1]):
        rows -= 1
    return rows


def _gap_label(gap: Node) -> str:
    """``⋯ 2,998,500 more — scroll, End or Ctrl+L`` (the number where the store's
    count is exact and the group has this one gap)."""
    group = gap.parent
    cursor = group.cursor if group is not None else None
    if group is None or cursor is None:
        return "⋯"
    known = group.store_count
    if known is not None and known.exact and len(cursor.gaps) == 1:
        text = f"⋯ {max(known.value - group.count, 0):,} more"
    else:
        text = "⋯ more"
    trailing = gap.row == len(group.children) - 1
    text += " — scroll, End or Ctrl+L" if trailing and cursor.seekable else " — scroll or Ctrl+L"
    if gap.load_state is LoadState.LOADING:
        text += "  (reading…)"
    elif gap.load_state is LoadState.FAILED:
        text += "  (failed: scroll to try again)"
    return text


def compact_count(value: int) -> str:
    """``999``, ``12.4k``, ``1.0M``, ``2.5G``: fits the Items column; the tooltip is exact."""
    for size, unit in ((1_000_000_000, "G"), (1_000_000, "M"), (1_000, "k")):
        if value >= size:
            return f"{value / size:.1f}{unit}"
    return str(value)


def describe_count(count: Count) -> str:
    """A store count for the Items column: exact ``1.0M``, a lower bound ``5,000+``,
    an estimate ``≈ 1.2M``."""
    if count.exact:
        return compact_count(count.value)
    if count.at_least:
        return f"{count.value:,}+" if count.value < 100_000 else f"{compact_count(count.value)}+"
    return f"≈ {compact_count(count.value)}"


def _all_read(node: Node) -> bool:
    """Whether every item below ``node`` is listed: it is loaded, and so are the
    groups of a channel or an agent (a channel whose Users read a page is "100+")."""
    if node.load_state is not LoadState.LOADED:
        return False
    if node.kind in (NodeKind.CHANNEL, NodeKind.AGENT):
        return all(_all_read(child) for child in node.children if child.key is None)
    return True


def _kind_label(node: Node) -> str:
    return {
        NodeKind.USER: "user state",
        NodeKind.CONVERSATION: "conversation state",
        NodeKind.PRIVATE: "private conversation state",
        NodeKind.OTHER: "other key",
    }.get(node.kind, node.kind.value.replace("_", " "))


class StateTreeModel(QAbstractItemModel):
    """Rows are tree nodes; column 0 the id, column 1 the item count."""

    def __init__(
        self,
        tree: StateTree,
        *,
        is_dirty: Callable[[str], bool] | None = None,
        on_fetch: Callable[[Node], None] | None = None,
        on_count: Callable[[Node], object] | None = None,
        on_fill: Callable[[Node, bool], object] | None = None,
        page_rows: int = PAGE_ROWS,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.tree = tree
        self._is_dirty = is_dirty or (lambda _key: False)
        self._on_fetch = on_fetch
        self._on_count = on_count
        self._on_fill = on_fill
        self._dirty: set[str] = set()
        self._watched: frozenset[str] = frozenset()
        self.page_rows = page_rows
        self.paging = True
        #: rows shown per parent when it differs from ``page_rows``
        self._limit: dict[Node, int] = {}
        #: per open tree insert/remove: forwarded to Qt?, the parent's limit after it
        self._forwarded: list[tuple[bool, int | None]] = []
        self._paging_in: set[Node] = set()
        #: per parent, the lowest child row the view has drawn
        self._painted: dict[Node, int] = {}
        #: paged groups whose gaps wait for the user to scroll (after a Go to)
        self._held: set[Node] = set()
        #: gap reads the view asked for while held or dragging: gap -> reverse
        self._deferred: dict[Node, bool] = {}
        self._dragging = False
        #: per paged group, the row last drawn (where the user looks)
        self._seen: dict[Node, Node] = {}
        self._trimming: set[Node] = set()
        #: the view's current row: never trimmed
        self.current: Node | None = None
        #: the row in the middle of the view, if a view says (what a trim keeps around)
        self.focus: Callable[[], Node | None] | None = None
        #: a paged group past this many rows is trimmed to ``keep_rows`` around the view
        self.max_group_rows, self.keep_rows = MAX_GROUP_ROWS, KEEP_ROWS
        tree.subscribe(self)

    # -- paging -----------------------------------------------------------------

    def shown(self, node: Node) -> int:
        """How many children of ``node`` the model exposes."""
        count = len(node.children)
        if not self.paging or has_gaps(node):
            return count
        return min(count, self._limit.get(node, self.page_rows))

    def is_shown(self, node: Node) -> bool:
        """Whether ``node`` has a row in the model (it and its ancestors are paged in)."""
        if not node.attached:
            return False
        while node.parent is not None:
            if node.row >= self.shown(node.parent):
                return False
            node = node.parent
        return True

    def _show_more(self, parent: Node, upto: int) -> None:
        shown = self.shown(parent)
        upto = min(len(parent.children), upto)
        if upto > shown:
            self.beginInsertRows(self.index_of(parent), shown, upto - 1)
            self._limit[parent] = upto
            self.endInsertRows()

    def _next_page(self, node: Node) -> None:
        self._paging_in.discard(node)
        if not node.attached:
            return
        if self.shown(node) < len(node.children):
            self._show_more(node, self.shown(node) + self.page_rows)
        elif _pages_more(node) and self._on_fetch is not None:
            node.load_state = LoadState.LOADING  # the loader announces the change
            self._on_fetch(node)  # the store's next listing page

    def hold_pages(self, node: Node) -> None:
        """Read no gap of the paged groups above ``node`` until ``release_pages``.

        A Go to scrolls its row into view between gaps; that is not the user
        scrolling through the group.
        """
        self._held.update(n for n in node.path() if n.cursor is not None)

    def release_pages(self) -> None:
        """The user scrolls or moves: paged groups read on as the view asks."""
        held, self._held = self._held, set()
        for node in held:
            if node.attached and not has_gaps(node) and self._near_end(node):
                self._schedule_page(node)
        self._read_deferred()

    def set_dragging(self, dragging: bool) -> None:
        """The scroll bar's slider is held: read no gap until it is let go (the
        view then redraws and asks again for the gaps it shows)."""
        self._dragging = dragging
        if not dragging:
            self._deferred.clear()

    def _read_deferred(self) -> None:
        deferred, self._deferred = self._deferred, {}
        for gap, reverse in deferred.items():
            if gap.attached:
                self._schedule_fill(gap, reverse)

    def _near_gap(self, group: Node, node: Node) -> None:
        """``node`` (a row of paged ``group``) is drawn: read the gaps next to it.

        A row just above a gap reads it forwards, one just below backwards
        (seekable groups); a gap drawn itself reads on from the rows above it.
        """
        cursor = group.cursor
        assert cursor is not None
        near = min(NEAR_END_ROWS, max(self.page_rows // 4, 1))
        for gap in cursor.gaps:
            distance = gap.row - node.row
            if distance > near or distance < -near:
                continue
            if distance > 0 or not cursor.seekable:
                self._schedule_fill(gap, False)
            elif distance < 0:
                self._schedule_fill(gap, True)
            else:  # the gap itself: on from the rows above it, else back from those below
                children = group.children
                above = children[gap.row - 1] if gap.row > 0 else None
                below = children[gap.row + 1] if gap.row + 1 < len(children) else None
                rows_above = above is not None and above.gap is None
                rows_below = below is not None and below.gap is None
                self._schedule_fill(gap, rows_below and not rows_above)

    def _schedule_fill(self, gap: Node, reverse: bool) -> None:
        if gap in self._paging_in or gap.load_state is LoadState.LOADING:
            return
        if self._dragging or gap.parent in self._held:
            self._deferred.setdefault(gap, reverse)
            return
        # next loop turn: never change rows from inside data() or a view's handler
        self._paging_in.add(gap)
        QTimer.singleShot(0, self, lambda: self._fill(gap, reverse))

    def _fill(self, gap: Node, reverse: bool) -> None:
        self._paging_in.discard(gap)
        if not gap.attached or gap.load_state is LoadState.LOADING or self._on_fill is None:
            return
        gap.load_state = LoadState.LOADING  # the loader announces the change
        self._on_fill(gap, reverse)

    def _pinned(self, node: Node) -> bool:
        """Rows a trim keeps: the current one, pending edits, watched keys."""
        if node is self.current:
            return True
        key = node.key
        return key is not None and (key in self._dirty or key in self._watched)

    def _schedule_trim(self, group: Node) -> None:
        if group not in self._trimming:
            self._trimming.add(group)
            QTimer.singleShot(0, self, lambda: self._trim(group))

    def _trim(self, group: Node) -> None:
        self._trimming.discard(group)
        if group.attached:
            focus = self.focus() if self.focus is not None else self._seen.get(group)
            if focus is None or not focus.attached:
                focus = self.current
            trim_group(
                self.tree,
                group,
                focus,
                self._pinned,
                max_rows=self.max_group_rows,
                keep_rows=self.keep_rows,
            )

    def reveal(self, node: Node) -> None:
        """Page in every row down to ``node`` (before selecting it)."""
        for below in node.path():
            if below.parent is not None and below.row >= self.shown(below.parent):
                self._show_more(below.parent, below.row + self.page_rows)

    def set_paging(self, enabled: bool) -> None:
        """Page big groups (default) or expose every row (a reset either way)."""
        if enabled == self.paging:
            return
        self.beginResetModel()
        self.paging = enabled
        self._limit.clear()
        self._painted.clear()
        self.endResetModel()

    # -- helpers ----------------------------------------------------------------

    def node(self, index: AnyIndex) -> Node:
        """The node of ``index`` (the invisible root for an invalid index)."""
        if not index.isValid():
            return self.tree.root
        node = index.internalPointer()
        assert isinstance(node, Node)
        return node

    def index_of(self, node: Node, column: int = 0) -> QModelIndex:
        """The index of ``node``; invalid for the root and rows not paged in."""
        if node is self.tree.root or node.parent is None or not self.is_shown(node):
            return QModelIndex()
        return self.createIndex(node.row, column, node)

    def set_dirty_source(self, is_dirty: Callable[[str], bool]) -> None:
        self._is_dirty = is_dirty
        self.refresh_dirty()

    def refresh_dirty(self, keys: Iterable[str] | None = None) -> None:
        """Re-read pending marks: for ``keys`` if given, else for every state row."""
        candidates = set(keys) if keys is not None else None
        now: set[str] = set()
        for conn in self.tree.root.children:
            assert isinstance(conn, ConnectionNode)
            pool = conn.by_key if candidates is None else candidates
            now.update(k for k in pool if k in conn.by_key and self._is_dirty(k))
        if candidates is not None:
            now |= set(self._dirty - candidates)
        changed, self._dirty = now ^ self._dirty, now
        for conn in self.tree.root.children:
            assert isinstance(conn, ConnectionNode)
            for key in changed:
                node = conn.by_key.get(key)
                if node is not None:
                    self.changed(node)

    def set_watched(self, keys: frozenset[str]) -> None:
        """Mark the rows of ``keys`` as watched (live watch), unmark the others."""
        changed, self._watched = keys ^ self._watched, frozenset(keys)
        for conn in self.tree.root.children:
            assert isinstance(conn, ConnectionNode)
            for key in changed:
                node = conn.by_key.get(key)
                if node is not None:
                    self.changed(node)

    @property
    def dirty_keys(self) -> frozenset[str]:
        """Keys shown with the pending-edit mark."""
        return frozenset(self._dirty)

    # -- structure --------------------------------------------------------------

    def index(self, row: int, column: int, parent: AnyIndex = QModelIndex()) -> QModelIndex:  # noqa: B008
        # hot path: QTreeView calls this once per shown row on every relayout
        if parent.isValid():
            if parent.column() > 0:
                return QModelIndex()
            node = parent.internalPointer()
        else:
            node = self.tree.root
        children = node.children
        if not self.paging or has_gaps(node):
            limit = len(children)
        else:
            limit = self._limit.get(node, self.page_rows)
        if 0 <= row < len(children) and row < limit and 0 <= column < _NCOLUMNS:
            return self.createIndex(row, column, children[row])
        return QModelIndex()

    def parent(self, index: AnyIndex = QModelIndex()) -> QModelIndex:  # type: ignore[override]  # noqa: B008
        if not index.isValid():
            return QModelIndex()
        up = self.node(index).parent
        if up is None or up is self.tree.root:
            return QModelIndex()
        return self.createIndex(up.row, 0, up)

    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        if parent.column() > 0:
            return 0
        return self.shown(self.node(parent))

    def columnCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return len(COLUMNS)

    def hasChildren(self, parent: AnyIndex = QModelIndex()) -> bool:  # noqa: B008
        if parent.column() > 0:
            return False
        node = self.node(parent)
        return bool(node.children) or (node.prefix is not None and node.lazy)

    def canFetchMore(self, parent: AnyIndex) -> bool:
        if parent.column() > 0:
            return False
        node = self.node(parent)
        if has_gaps(node):
            return False  # a paged group reads its gaps as the view draws them
        shown = self.shown(node)
        if shown < len(node.children) or (node.children and _pages_more(node)):
            # QTreeView asks on every relayout of an expanded parent; a page is
            # only worth adding once the rows near the end have been shown
            return self._near_end(node)
        return node.prefix is not None and node.load_state is LoadState.UNLOADED

    def _near_end(self, node: Node) -> bool:
        """Rows are hidden below ``node``'s page (or its next listing page is in the
        store) and the view has drawn near its end."""
        shown = self.shown(node)
        near = min(NEAR_END_ROWS, self.page_rows // 4)
        if shown < len(node.children):
            return self._painted.get(node, -1) >= shown - 1 - near
        if not _pages_more(node) or node in self._held:
            return False
        # rows a Go to placed ahead of the pages do not count: only the paged end
        end = min(shown, _paged_rows(node))
        return self._painted.get(node, -1) >= end - 1 - near

    def _schedule_page(self, node: Node) -> None:
        # next loop turn: never change rows from inside data() or a view's handler
        if node not in self._paging_in:
            self._paging_in.add(node)
            QTimer.singleShot(0, self, lambda: self._next_page(node))

    def fetchMore(self, parent: AnyIndex) -> None:
        if not self.canFetchMore(parent):
            return
        node = self.node(parent)
        if self.shown(node) < len(node.children):
            self._schedule_page(node)
            return
        node.load_state = LoadState.LOADING  # the loader announces the change
        if self._on_fetch is not None:
            self._on_fetch(node)

    def flags(self, index: AnyIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return _NO_FLAGS
        node = index.internalPointer()
        # leaves say so, which spares the view a hasChildren call per row
        return _LEAF_FLAGS if node.kind in _LEAF_KINDS and node.prefix is None else _FLAGS

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation == Qt.Orientation.Horizontal and 0 <= section < len(COLUMNS):
            if role == Qt.ItemDataRole.DisplayRole:
                return COLUMNS[section]
            if role == Qt.ItemDataRole.TextAlignmentRole and section in (1, SIZE_COLUMN):
                return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    # -- data -------------------------------------------------------------------

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        node = self.node(index)
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            if column == 0:
                up = node.parent
                if up is not None and has_gaps(up):
                    self._seen[up] = node
                    if up.cursor is not None and up.cursor.gaps:
                        self._near_gap(up, node)
                elif (
                    up is not None
                    and node.row > self._painted.get(up, -1)
                    and not _ahead_of_pages(node)
                ):
                    self._painted[up] = node.row  # how far down the view has drawn
                    if self._near_end(up):
                        self._schedule_page(up)
                return self._label(node)
            if column == 1:
                self._want_count(node)
                return self._count_text(node)
            return self._entry_text(node, column)
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tooltip(node)
        if role == Qt.ItemDataRole.DecorationRole and column == 0:
            return QApplication.style().standardIcon(_ICONS[node.kind])
        if role == Qt.ItemDataRole.TextAlignmentRole and column in (1, SIZE_COLUMN):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.ForegroundRole:
            return self._foreground(node, column)
        if role == Qt.ItemDataRole.FontRole and node.kind is NodeKind.CONNECTION:
            font = QFont()
            font.setBold(True)
            return font
        return self._custom(node, role)

    def _custom(self, node: Node, role: int) -> Any:
        if role == roles.NODE_ROLE:
            return node
        if role == roles.KEY_ROLE:
            return node.key
        if role == roles.KIND_ROLE:
            return node.kind.value
        if role == roles.LOAD_STATE_ROLE:
            return node.load_state.value
        if role == roles.COUNT_ROLE:
            return node.count
        if role == roles.DIRTY_ROLE:
            return node.key is not None and node.key in self._dirty
        if role == roles.FULL_TEXT_ROLE:
            return node.key or node.label
        return None

    def _label(self, node: Node) -> str:
        if node.kind is NodeKind.GAP:
            return _gap_label(node)
        text = node.label
        if node.key is not None and node.key in self._dirty:
            text = f"{text}  {DIRTY_MARK}"
        if node.key is not None and node.key in self._watched:
            text = f"{text}  {WATCH_MARK}"
        if node.load_state is LoadState.LOADING and node.prefix is not None:
            text += "  (loading…)"
        elif node.load_state is LoadState.FAILED:
            stopped = node.error is not None and "cancelled" in node.error
            text += "  (listing stopped: Refresh lists again)" if stopped else "  (failed)"
        return text

    def _want_count(self, node: Node) -> None:
        """Ask (once, next loop turn) for the store's count of a row being drawn."""
        if self._on_count is None or node.count_asked or count_prefix(node) is None:
            return
        node.count_asked = True
        on_count = self._on_count
        QTimer.singleShot(0, self, lambda: on_count(node) if node.attached else None)

    def _count_text(self, node: Node) -> str:
        if node.store_count is not None:
            return describe_count(node.store_count)
        if node.kind is NodeKind.CONNECTION:
            return ""  # the store's count, or nothing: never the number listed so far
        if node.kind in (NodeKind.USER, NodeKind.PRIVATE, NodeKind.OTHER) or node.count == 0:
            return ""
        if node.kind is NodeKind.CONVERSATION:  # its private states, not itself
            return compact_count(len(node.children)) if node.children else ""
        text = compact_count(node.count)
        conn = node.connection
        if conn is not None and conn.prefix is None:  # listed by a full scan
            return text if conn.load_state is LoadState.LOADED else f"{text}…"
        return text if _all_read(node) else f"{text}+"

    @staticmethod
    def _entry_text(node: Node, column: int) -> str:
        """Size and time of a stored item, where the listing carried them (no I/O)."""
        entry = node.entry
        if entry is None or node.key is None:
            return ""
        if column == SIZE_COLUMN:
            return _size_text(entry.size) if entry.size is not None else ""
        if entry.last_modified is None:
            return ""
        when = entry.last_modified.astimezone()
        return f"{when:%b %d %H:%M}" if when.year == _THIS_YEAR else f"{when:%Y-%m-%d}"

    def _tooltip(self, node: Node) -> str:
        if node.gap is not None:
            low, high = node.gap.after, node.gap.before
            lines = [
                "keys not read yet"
                + (f" after {low}" if low is not None else "")
                + (f" before {high}" if high is not None else ""),
                "scroll to read them, End for the group's last keys, Ctrl+L to go to one",
            ]
            if node.error:
                lines.append(node.error)
            return "\n".join(lines)
        lines = [node.key or node.label]
        if node.key is not None:
            lines.append(_kind_label(node))
            entry = node.entry
            if entry is not None:
                if entry.name and entry.name != entry.key:
                    lines.append(f"stored as {entry.name}")
                if entry.size is not None:
                    lines.append(f"{entry.size:,} bytes")
                if entry.last_modified is not None:
                    lines.append(f"modified {entry.last_modified:%Y-%m-%d %H:%M:%S}")
        else:
            known = node.store_count
            if known is not None:
                if known.exact:
                    lines.append(f"{known.value:,} items in the store")
                elif known.at_least:
                    lines.append(f"at least {known.value:,} items in the store")
                else:
                    lines.append(f"about {known.value:,} items in the store (an estimate)")
            if node.kind is not NodeKind.CONNECTION or node.count:
                lines.append(f"{node.count:,} state items listed below")
        if node.key is not None and node.key in self._watched:
            lines.append("watched: its changes appear in the Watch panel")
        if node.error:
            lines.append(node.error)
        return "\n".join(lines)

    def _foreground(self, node: Node, column: int) -> QBrush | None:
        palette = QApplication.palette()
        if node.load_state is LoadState.FAILED and node.error:
            return QBrush(Qt.GlobalColor.red)
        if column == 1 or node.kind in (
            NodeKind.GAP,
            NodeKind.USERS,
            NodeKind.CONVERSATIONS,
            NodeKind.OTHER_GROUP,
        ):
            return palette.brush(QPalette.ColorGroup.Active, QPalette.ColorRole.PlaceholderText)
        return None

    # -- TreeListener -----------------------------------------------------------

    def before_insert(self, parent: Node, first: int, last: int) -> None:
        # called before the tree adds the rows: len(children) is the old count
        visible = parent is self.tree.root or self.is_shown(parent)
        shown, count = self.shown(parent), last - first + 1
        limit = _UNLIMITED if has_gaps(parent) else self._limit.get(parent, self.page_rows)
        forward = visible and (first < shown or (first == shown and shown < limit))
        new_limit: int | None = None
        if forward and self.paging:
            if first < shown:  # among shown rows: keep every shown row shown
                new_limit = max(limit, shown + count)
            else:
                last = min(last, limit - 1)
        if forward:
            self.beginInsertRows(self.index_of(parent), first, last)
        self._forwarded.append((forward, new_limit))

    def after_insert(self, parent: Node, first: int, last: int) -> None:
        forward, new_limit = self._forwarded.pop()
        if new_limit is not None:
            self._limit[parent] = new_limit
        if forward:
            self.endInsertRows()
        if has_gaps(parent):
            if len(parent.children) > self.max_group_rows:
                self._schedule_trim(parent)  # memory stays bounded: next loop turn
        elif parent.cursor is not None and self._near_end(parent):
            # a listing page arrived below rows already drawn: show it (next turn)
            self._schedule_page(parent)

    def before_remove(self, parent: Node, first: int, last: int) -> None:
        visible = parent is self.tree.root or self.is_shown(parent)
        shown = self.shown(parent)
        forward = visible and first < shown
        new_limit: int | None = None  # None: back to one page (nothing hidden)
        if forward:
            qlast = min(last, shown - 1)
            left_shown = shown - (qlast - first + 1)
            left = len(parent.children) - (last - first + 1)
            if left > left_shown:  # hidden rows stay hidden
                new_limit = left_shown
            self.beginRemoveRows(self.index_of(parent), first, qlast)
        self._forwarded.append((forward, new_limit))

    def after_remove(self, parent: Node, first: int, last: int) -> None:
        forward, new_limit = self._forwarded.pop()
        if not forward:
            return
        for node in [n for n in self._limit if not n.attached]:  # dropped rows
            del self._limit[node]
        for node in [n for n in self._painted if not n.attached]:
            del self._painted[node]
        for node in [n for n in self._seen if not n.attached]:
            del self._seen[node]
        self._held = {n for n in self._held if n.attached}
        if new_limit is None:
            self._limit.pop(parent, None)
        else:
            self._limit[parent] = new_limit
        self.endRemoveRows()

    def changed(self, node: Node) -> None:
        if node.parent is not None and self.is_shown(node):
            self.dataChanged.emit(
                self.index_of(node, 0), self.index_of(node, len(COLUMNS) - 1), _CHANGED_ROLES
            )
            if node.cursor is not None:  # a gap's label counts the group's unread keys
                for gap in node.cursor.gaps:
                    self.changed(gap)

"""``StateTreeModel``: a Qt item model adapting ``explorer.state.tree.StateTree``.

Invariants (checked by ``qtmodeltester`` in the tests):

- Children only under column 0; every row has ``COLUMNS`` columns.
- The model never changes the tree itself; it listens. Each tree event maps
  to ``beginInsertRows``/``endInsertRows``, ``beginRemoveRows``/
  ``endRemoveRows`` or ``dataChanged`` (with roles).
- ``data()`` never does I/O. ``fetchMore`` marks a lazy node loading, hands it
  to ``on_fetch`` (which starts an async load) and returns at once.
- Pending edits come from ``is_dirty(key)``; call ``refresh_dirty`` when the
  pending set changes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from PySide6.QtCore import (
    QAbstractItemModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
)
from PySide6.QtGui import QBrush, QFont, QPalette
from PySide6.QtWidgets import QApplication, QStyle

from explorer.state.tree import ConnectionNode, LoadState, Node, NodeKind, StateTree, node_matches
from explorer.ui.models import roles

AnyIndex = QModelIndex | QPersistentModelIndex
COLUMNS = ("Name", "Items")
DIRTY_MARK = "●"

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
}
_CHANGED_ROLES = [
    Qt.ItemDataRole.DisplayRole,
    Qt.ItemDataRole.ToolTipRole,
    Qt.ItemDataRole.ForegroundRole,
    roles.COUNT_ROLE,
    roles.LOAD_STATE_ROLE,
    roles.DIRTY_ROLE,
]


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
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.tree = tree
        self._is_dirty = is_dirty or (lambda _key: False)
        self._on_fetch = on_fetch
        self._dirty: set[str] = set()
        tree.subscribe(self)

    # -- helpers ----------------------------------------------------------------

    def node(self, index: AnyIndex) -> Node:
        """The node of ``index`` (the invisible root for an invalid index)."""
        if not index.isValid():
            return self.tree.root
        node = index.internalPointer()
        assert isinstance(node, Node)
        return node

    def index_of(self, node: Node, column: int = 0) -> QModelIndex:
        if node is self.tree.root or node.parent is None or not node.attached:
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
        for key in now ^ self._dirty:
            node = self.tree.find_key(key)
            if node is not None:
                self.changed(node)
        self._dirty = now

    # -- structure --------------------------------------------------------------

    def index(self, row: int, column: int, parent: AnyIndex = QModelIndex()) -> QModelIndex:  # noqa: B008
        if not self.hasIndex(row, column, parent):
            return QModelIndex()
        return self.createIndex(row, column, self.node(parent).children[row])

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
        return len(self.node(parent).children)

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
        return node.prefix is not None and node.load_state is LoadState.UNLOADED

    def fetchMore(self, parent: AnyIndex) -> None:
        if not self.canFetchMore(parent):
            return
        node = self.node(parent)
        node.load_state = LoadState.LOADING  # the loader announces the change
        if self._on_fetch is not None:
            self._on_fetch(node)

    def flags(self, index: AnyIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation == Qt.Orientation.Horizontal and 0 <= section < len(COLUMNS):
            if role == Qt.ItemDataRole.DisplayRole:
                return COLUMNS[section]
            if role == Qt.ItemDataRole.TextAlignmentRole and section == 1:
                return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    # -- data -------------------------------------------------------------------

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        node = self.node(index)
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return self._label(node) if column == 0 else self._count_text(node)
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tooltip(node)
        if role == Qt.ItemDataRole.DecorationRole and column == 0:
            return QApplication.style().standardIcon(_ICONS[node.kind])
        if role == Qt.ItemDataRole.TextAlignmentRole and column == 1:
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
        text = node.label
        if node.key is not None and node.key in self._dirty:
            text = f"{text}  {DIRTY_MARK}"
        if node.load_state is LoadState.LOADING and node.prefix is not None:
            text += "  (loading…)"
        elif node.load_state is LoadState.FAILED and node.prefix is not None:
            text += "  (failed)"
        return text

    def _count_text(self, node: Node) -> str:
        if node.kind in (NodeKind.USER, NodeKind.PRIVATE, NodeKind.OTHER) or node.count == 0:
            return ""
        conn = node.connection
        if conn is not None and conn.prefix is None:  # listed by a full scan
            done = conn.load_state is LoadState.LOADED
            return f"{node.count:,}" if done else f"{node.count:,}…"
        return f"{node.count:,}" if node.load_state is LoadState.LOADED else f"{node.count:,}+"

    def _tooltip(self, node: Node) -> str:
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
        elif node.kind is not NodeKind.CONNECTION:
            lines.append(f"{node.count:,} state items below")
        if node.error:
            lines.append(node.error)
        return "\n".join(lines)

    def _foreground(self, node: Node, column: int) -> QBrush | None:
        palette = QApplication.palette()
        if node.load_state is LoadState.FAILED and node.error:
            return QBrush(Qt.GlobalColor.red)
        if column == 1 or node.kind in (
            NodeKind.USERS,
            NodeKind.CONVERSATIONS,
            NodeKind.OTHER_GROUP,
        ):
            return palette.brush(QPalette.ColorGroup.Active, QPalette.ColorRole.PlaceholderText)
        return None

    # -- TreeListener -----------------------------------------------------------

    def before_insert(self, parent: Node, first: int, last: int) -> None:
        self.beginInsertRows(self.index_of(parent), first, last)

    def after_insert(self, parent: Node, first: int, last: int) -> None:
        self.endInsertRows()

    def before_remove(self, parent: Node, first: int, last: int) -> None:
        self.beginRemoveRows(self.index_of(parent), first, last)

    def after_remove(self, parent: Node, first: int, last: int) -> None:
        self.endRemoveRows()

    def changed(self, node: Node) -> None:
        if node.attached and node.parent is not None:
            self.dataChanged.emit(
                self.index_of(node, 0), self.index_of(node, len(COLUMNS) - 1), _CHANGED_ROLES
            )


class StateFilterModel(QSortFilterProxyModel):
    """Shows state rows whose id or key contains the filter text, with their parents."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.setRecursiveFilteringEnabled(True)
        self.setAutoAcceptChildRows(True)
        self._needle = ""

    def set_needle(self, text: str) -> None:
        self.beginFilterChange()
        self._needle = text.strip()
        self.endFilterChange(QSortFilterProxyModel.Direction.Rows)

    def filterAcceptsRow(self, source_row: int, source_parent: AnyIndex) -> bool:
        if not self._needle:
            return True
        model = self.sourceModel()
        index = model.index(source_row, 0, source_parent)
        node = model.data(index, roles.NODE_ROLE)
        return isinstance(node, Node) and node.is_state and node_matches(node, self._needle)

"""``StateFilterModel``: the tree filtered by id substring, or to a set of keys.

A recursive ``QSortFilterProxyModel`` over ``StateTreeModel``: state rows that
match are shown with their parents (and a matching conversation with its
private states). Counts are blanked: they are of the whole store.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from PySide6.QtCore import QModelIndex, QObject, QPersistentModelIndex, QSortFilterProxyModel, Qt

from explorer.state.tree import Node, node_matches
from explorer.ui.models import roles

AnyIndex = QModelIndex | QPersistentModelIndex


class StateFilterModel(QSortFilterProxyModel):
    """Shows state rows whose id or key contains the filter text, with their parents.

    Or, after ``set_keys``, the state rows of those keys (value search results).
    """

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.setRecursiveFilteringEnabled(True)
        self.setAutoAcceptChildRows(True)
        self._needle = ""
        self._keys: set[str] | None = None

    def set_needle(self, text: str) -> None:
        self.beginFilterChange()
        self._needle, self._keys = text.strip(), None
        self.endFilterChange(QSortFilterProxyModel.Direction.Rows)

    def set_keys(self, keys: Iterable[str]) -> None:
        """Show exactly these keys' rows (an empty set shows nothing)."""
        self.beginFilterChange()
        self._needle, self._keys = "", set(keys)
        self.endFilterChange(QSortFilterProxyModel.Direction.Rows)

    def add_keys(self, keys: Iterable[str]) -> None:
        self.beginFilterChange()
        self._keys = (self._keys or set()) | set(keys)
        self.endFilterChange(QSortFilterProxyModel.Direction.Rows)

    @property
    def key_count(self) -> int:
        return len(self._keys or ())

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        # counts are of the whole store; under a filter they would mislead
        if index.column() == 1 and role == Qt.ItemDataRole.DisplayRole:
            return ""
        return super().data(index, role)

    def filterAcceptsRow(self, source_row: int, source_parent: AnyIndex) -> bool:
        if not self._needle and self._keys is None:
            return True
        model = self.sourceModel()
        index = model.index(source_row, 0, source_parent)
        node = model.data(index, roles.NODE_ROLE)
        if not isinstance(node, Node) or not node.is_state:
            return False
        if self._keys is not None:
            return node.key in self._keys
        return node_matches(node, self._needle)

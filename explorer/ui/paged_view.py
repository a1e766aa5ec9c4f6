"""The tree view over paged groups: End, the scroll bar's bottom, a steady view.

A paged group (a window over a big store, ``explorer.workspace.tree_load``)
holds runs of rows and gap rows. This wires the view to it:

- End on a row of an expanded paged group (or the group itself) reads the
  group's last page with one reverse seek (``ConnectionManager.read_end``) and
  selects its last row; nothing in between is read.
- Dragging the scroll bar's slider to the bottom while the last expanded paged
  group still has keys after its rows does the same, instead of a forward
  page; while the slider is held no gap is read (``StateTreeModel.set_dragging``).
- Rows read or dropped above the top of the viewport (a backward page, a trim)
  keep the rows the user looks at in place.
"""

from __future__ import annotations

from collections.abc import Iterator

from PySide6.QtCore import QEvent, QModelIndex, QObject, QPersistentModelIndex, QPoint, Qt, QTimer
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QAbstractItemView, QTreeView

from explorer.ui.connections import ConnectionManager
from explorer.ui.models.state_tree_model import StateTreeModel
from explorer.ui.tasks import TaskHandle
from explorer.workspace.tree import LoadState, Node, NodeKind, has_gaps

_Hint = QAbstractItemView.ScrollHint
_PER_ITEM = QAbstractItemView.ScrollMode.ScrollPerItem
_STRUCTURE = frozenset({NodeKind.ROOT, NodeKind.CONNECTION, NodeKind.CHANNEL, NodeKind.AGENT})


def _trailing_gap(group: Node) -> Node | None:
    cursor = group.cursor
    if cursor is None or not cursor.seekable or not cursor.gaps:
        return None
    last = cursor.gaps[-1]
    return last if last.gap is not None and last.gap.before is None else None


class PagedView(QObject):
    """Connects a ``QTreeView`` showing ``model`` to the paged groups' reads."""

    def __init__(self, view: QTreeView, model: StateTreeModel, manager: ConnectionManager) -> None:
        super().__init__(view)
        self.view, self.model, self.manager = view, model, manager
        #: a row to keep in place across a change, and its distance from the top
        self._anchor: tuple[QPersistentModelIndex, int] | None = None
        self._restoring = False
        model.focus = self._middle_row
        view.installEventFilter(self)
        bar = view.verticalScrollBar()
        bar.sliderPressed.connect(lambda: model.set_dragging(True))
        bar.sliderReleased.connect(self._released)
        bar.valueChanged.connect(self._scrolled)
        model.rowsAboutToBeInserted.connect(self._before_insert)
        model.rowsInserted.connect(self._keep_top)
        model.rowsAboutToBeRemoved.connect(self._before_remove)
        model.rowsRemoved.connect(self._keep_top)

    def _middle_row(self) -> Node | None:
        """The row in the middle of the viewport (a trim keeps the rows around it)."""
        if self.view.model() is not self.model:
            return None
        index = self.view.indexAt(QPoint(1, self.view.viewport().height() // 2))
        if not index.isValid():  # fewer rows than the viewport holds: the last one
            index = self.view.indexAt(QPoint(1, 1))
        return self.model.node(index) if index.isValid() else None

    # -- End ----------------------------------------------------------------------

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if (
            watched is self.view
            and event.type() == QEvent.Type.KeyPress
            and isinstance(event, QKeyEvent)
            and event.key() == Qt.Key.Key_End
            and event.modifiers() == Qt.KeyboardModifier.NoModifier
            and self.view.model() is self.model
        ):
            current = self.view.currentIndex()
            group = self.group_of(self.model.node(current)) if current.isValid() else None
            if group is not None:
                self.end(group)
                return True
        return False

    def group_of(self, node: Node) -> Node | None:
        """The seekable paged group ``node`` is in, or is itself when expanded."""
        if node.cursor is not None:
            expanded = self.view.isExpanded(self.model.index_of(node))
            return node if expanded and node.cursor.seekable else None
        up = node.parent
        while up is not None and up.cursor is None:
            up = up.parent
        return up if up is not None and up.cursor is not None and up.cursor.seekable else None

    def end(self, group: Node) -> TaskHandle | None:
        """Show and select ``group``'s last row, reading its last page if needed."""
        gap = _trailing_gap(group)
        if gap is None:
            self._select_last(group)
            return None
        if gap.load_state is LoadState.LOADING:  # a page is being read into it: then
            QTimer.singleShot(50, self, lambda: self.end(group) if group.attached else None)
            return None
        gap.load_state = LoadState.LOADING  # no forward page into it meanwhile
        return self.manager.read_end(group, on_result=lambda _n: self._select_last(group))

    def _select_last(self, group: Node) -> None:
        self._anchor = None  # the user asked for the end: no earlier rows held in place
        if not group.attached or not group.children or self.view.model() is not self.model:
            return
        last = next((n for n in reversed(group.children) if n.gap is None), None)
        index = self.model.index_of(last) if last is not None else QModelIndex()
        if index.isValid():
            self.view.setCurrentIndex(index)
            self.view.scrollTo(index, _Hint.PositionAtBottom)

    # -- the scroll bar -------------------------------------------------------------

    def _released(self) -> None:
        self.model.set_dragging(False)
        self.view.viewport().update()  # the rows drawn now ask for their gaps

    def _scrolled(self, value: int) -> None:
        bar = self.view.verticalScrollBar()
        if not bar.isSliderDown() or value < bar.maximum() or self.view.model() is not self.model:
            return
        group = self._last_open_group()
        gap = _trailing_gap(group) if group is not None else None
        if group is None or gap is None or gap.load_state is LoadState.LOADING:
            return
        gap.load_state = LoadState.LOADING  # the reader announces the change
        self.manager.read_end(group, on_result=lambda _n: self._at_bottom(group))

    def _at_bottom(self, group: Node) -> None:
        self._anchor = None
        if group.attached and group.children and self.view.model() is self.model:
            self.view.scrollTo(self.model.index_of(group.children[-1]), _Hint.PositionAtBottom)

    def _last_open_group(self) -> Node | None:
        """The last paged group in view order that is expanded (with its ancestors)."""
        found: Node | None = None
        for group in self._open_groups(self.model.tree.root):
            found = group
        return found

    def _open_groups(self, node: Node) -> Iterator[Node]:
        for child in node.children:
            if has_gaps(child):
                if self.view.isExpanded(self.model.index_of(child)):
                    yield child
            elif child.kind in _STRUCTURE and self.view.isExpanded(self.model.index_of(child)):
                yield from self._open_groups(child)

    # -- a steady view ---------------------------------------------------------------

    def _top_row_in(self, parent: QModelIndex) -> tuple[QModelIndex, int] | None:
        """The view's top row and the row of ``parent``'s child holding it, if any."""
        if self.view.model() is not self.model or not parent.isValid():
            return None
        if not has_gaps(self.model.node(parent)):
            return None  # only paged groups change above the viewport
        top = self.view.indexAt(QPoint(1, 1))
        if top.isValid() and self.model.node(top).gap is not None:
            top = self.view.indexBelow(top)  # a gap at the top: the rows below it stay
        below = top
        while below.isValid() and below.parent() != parent:
            below = below.parent()
        return (top, below.row()) if below.isValid() else None

    def _before_insert(self, parent: QModelIndex, first: int, _last: int) -> None:
        if self._anchor is not None:
            return  # the first change of a burst says where the rows were
        group = self.model.node(parent) if parent.isValid() else None
        if group is not None and has_gaps(group) and self.view.model() is self.model:
            rows = group.children
            if 0 < first < len(rows) and rows[first - 1].gap is not None:
                # read backwards into a gap: the rows below it stay where they are
                index = self.model.index_of(rows[first])
                rect = self.view.visualRect(index)
                if rect.isValid() and rect.intersects(self.view.viewport().rect()):
                    self._anchor = (QPersistentModelIndex(index), rect.top())
                    return
        found = self._top_row_in(parent)
        if found is not None and first <= found[1]:
            self._anchor = (QPersistentModelIndex(found[0]), 0)

    def _before_remove(self, parent: QModelIndex, _first: int, last: int) -> None:
        if self._anchor is not None:
            return
        found = self._top_row_in(parent)
        if found is not None and last < found[1]:
            self._anchor = (QPersistentModelIndex(found[0]), 0)

    def _keep_top(self, _parent: QModelIndex, _first: int, _last: int) -> None:
        if self._anchor is not None and not self._restoring:
            self._restoring = True
            QTimer.singleShot(0, self, self._restore)

    def _restore(self) -> None:
        """Rows changed above the anchored row: show it where it was."""
        anchor, self._anchor, self._restoring = self._anchor, None, False
        if anchor is None or not anchor[0].isValid() or self.view.model() is not self.model:
            return
        index = self.model.index(anchor[0].row(), 0, anchor[0].parent())
        self.view.scrollTo(index, _Hint.PositionAtTop)
        offset = anchor[1]
        if offset > 0:
            bar = self.view.verticalScrollBar()
            per_item = self.view.verticalScrollMode() == _PER_ITEM
            height = max(self.view.visualRect(index).height(), 1)
            bar.setValue(bar.value() - (round(offset / height) if per_item else offset))

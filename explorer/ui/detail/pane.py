"""``DetailPane``: the selected state: header, properties, raw body, dialog stack, history.

``open_item(store, key)`` shows the item as the workspace loads it
(``PendingEdits.load_item``: its session with pending edits, else read
afresh); the pane reads no store itself. ``clear()`` shows nothing. Every
change made here (edit a property in the JSON editor, add, remove, delete the
state, pop/clear the dialog stack, revert to a backup) is a pending edit of
the item's ``EditSession``; nothing is written until Save (``PendingEdits``).

Edge cases: a key that no longer exists or whose body is not a JSON object is
shown with a banner (and, for a bad body, its raw text) instead of failing; a
read-only store shows the values but offers no edits; in redaction mode values
are masked until "Reveal values" and a masked value can never be edited. When
``open_item`` is called again before an earlier call finishes, only the latest
one is shown.

Its background work (History after a save, the audit log viewer) runs on the
``TaskRunner`` given, else on the pending edits' runner; ``aclose`` ends it.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QLabel,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from explorer.core.errors import StorageError
from explorer.core.items import RawItem
from explorer.storage.base import Storage
from explorer.ui.detail import style
from explorer.ui.detail.banner import Banner
from explorer.ui.detail.header import ItemHeader
from explorer.ui.detail.history import HistoryView
from explorer.ui.detail.properties_page import PropertiesPage
from explorer.ui.detail.raw import RawView
from explorer.ui.detail.redaction import Redaction
from explorer.ui.detail.stack import DialogStackView
from explorer.ui.dialogs.history import show_audit_log
from explorer.ui.pending import PendingEdits
from explorer.ui.tasks import TaskHandle, TaskRunner, Work
from explorer.workspace.audit import AuditLog
from explorer.workspace.backups import Backup, BackupStore
from explorer.workspace.item_loading import revert_to_backup
from explorer.workspace.session import EditSession

TAB_PROPERTIES, TAB_RAW, TAB_STACK, TAB_HISTORY = range(4)


class DetailPane(QWidget):
    """The right-hand side of the window. Signals: ``error(str)`` for the status bar."""

    error = Signal(str)
    #: the shown item changed or its draft did: (store, key) or (None, None)
    item_changed = Signal(object, object)

    def __init__(
        self,
        pending: PendingEdits | None = None,
        redaction: Redaction | None = None,
        backups: BackupStore | None = None,
        audit: AuditLog | None = None,
        parent: QWidget | None = None,
        *,
        runner: TaskRunner | None = None,
    ) -> None:
        super().__init__(parent)
        self.redaction = redaction or Redaction(parent=self)
        self.pending = pending or PendingEdits(redaction=self.redaction, parent=self)
        if self.pending.redaction is None:
            self.pending.redaction = self.redaction
        self.runner = runner or self.pending.runner
        #: the pane's own background work (``aclose`` ends it)
        self._work: set[TaskHandle] = set()
        self.runner.finished.connect(self._work.discard)
        self.store: Storage | None = None
        self.key: str | None = None
        self.item: RawItem | None = None
        self.session: EditSession | None = None
        self._request = 0

        self.header = ItemHeader()
        self.banner = Banner()
        self.aside_banner = Banner()
        self.revert_last_action = QAction("Revert last save", self)
        self.revert_last_action.setToolTip(
            "Make the version before the last save made with this tool the draft "
            "(a pending edit; Save writes it)"
        )
        self.revert_last_action.triggered.connect(self.revert_last_save)
        self.reveal_action = QAction("Reveal values", self)
        self.reveal_action.setCheckable(True)
        self.reveal_action.setToolTip("Show this item's masked values (redaction mode)")
        self.reveal_action.toggled.connect(self._toggle_reveal)
        self.redaction_action = self.redaction.make_action(self)
        self.page = PropertiesPage(
            self.redaction,
            [
                ("undo", self.pending.undo_action),
                ("redo", self.pending.redo_action),
                ("redact", self.redaction_action),
                ("reveal", self.reveal_action),
            ],
        )
        self.page.error.connect(self.error)
        page = self.page
        self.model, self.table, self.editor = page.model, page.table, page.editor
        self.add_action, self.remove_action = page.add_action, page.remove_action
        self.delete_action, self.tool_buttons = page.delete_action, page.tool_buttons

        self.raw_view = RawView(self.redaction)
        self.stack_view = DialogStackView(self.redaction)
        self.stack_view.error.connect(self.error)
        self.history_view = HistoryView(backups, audit)
        self.history_view.revert_requested.connect(self.revert_to_backup)
        self.history_view.loaded.connect(self._update_revert_last)
        self.history_view.audit_requested.connect(self.show_audit_log)
        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        self.tabs.addTab(self.page, "Properties")
        self.tabs.addTab(self.raw_view, "Raw JSON")
        self.tabs.addTab(self.stack_view, "Dialog stack")
        self.tabs.addTab(self.history_view, "History")
        self._raw_stale = False
        self.tabs.currentChanged.connect(lambda *_: self._refresh_raw())

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        layout.addWidget(self.header)
        banners = QVBoxLayout()
        banners.setContentsMargins(8, 0, 8, 0)
        banners.addWidget(self.banner)
        banners.addWidget(self.aside_banner)
        layout.addLayout(banners)
        layout.addWidget(self.tabs, 1)
        # nothing selected: a tip instead of empty tables and editors (the header says what to do)
        self.placeholder = QLabel(
            "Tip: paste a user id, conversation id or whole key into Go to (Ctrl+L) "
            "to jump straight to its state."
        )
        self.placeholder.setObjectName("detailPlaceholder")
        self.placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.placeholder.setWordWrap(True)
        self.placeholder.setStyleSheet(f"color: {style.muted().name()}")
        layout.addWidget(self.placeholder, 1)
        self.redaction.changed.connect(self._refresh)
        self.pending.saved.connect(self._saved)
        self.clear()

    # -- opening -------------------------------------------------------------------

    @property
    def editable(self) -> bool:
        store = self.store
        return (
            self.session is not None
            and store is not None
            and not store.read_only
            and not self.session.deleted
            and not self.session.gone
        )

    def refresh(self) -> None:
        """Redraw from the session, e.g. after writes were allowed on the store."""
        self._refresh()

    def clear(self) -> None:
        """Show no item."""
        self._request += 1
        self._set_session(None)
        self.store = self.key = self.item = None
        self.header.set_item(None)
        self.raw_view.set_item(None, None)
        self.history_view.clear()
        self._refresh()
        self.item_changed.emit(None, None)

    async def open_item(self, store: Storage, key: str) -> None:
        """Show ``key`` of ``store``; errors are shown in the pane and sent to ``error``."""
        self._request += 1
        request = self._request
        loaded = await self.pending.load_item(store, key)
        item, session = loaded.item, loaded.session
        error = ""
        if loaded.missing:
            error = f"{key!r} no longer exists in this store; refresh the tree."
        elif loaded.undecodable:
            shown = "The stored text is shown in Raw JSON; it cannot be edited here."
            error = f"{loaded.error}. {shown}"
        elif loaded.error is not None:
            error = str(loaded.error)
        if request != self._request:
            return  # a newer open_item is in charge
        same = self.key == key and self.store is store
        keep = self.selected_property() if same else None
        self.store, self.key, self.item = store, key, item
        if not same:
            self.reveal_action.blockSignals(True)
            self.reveal_action.setChecked(self.redaction.is_revealed(store, key))
            self.reveal_action.blockSignals(False)
        self._set_session(session)
        self._refresh()
        # the same property again, else the first: a value at once, not an empty editor
        if session is not None and (keep is None or not self.select_property(keep)):
            first = self.model.name_at(0)
            if first is not None:
                self.select_property(first)
        if error:
            self.banner.show_message(error, "error")
            self.error.emit(error)
            if item is None:
                self.header.set_item(None)
            self.raw_view.set_item(item, None)
            if item is not None:
                self.tabs.setCurrentIndex(TAB_RAW)
        self.item_changed.emit(store, key)
        try:
            await self.history_view.load(store, key)
        except StorageError as exc:
            if request == self._request:
                self.error.emit(f"History of {key} cannot be read: {exc}")

    def _set_session(self, session: EditSession | None) -> None:
        if self.session is not None:
            self.session.remove_listener(self._on_session_change)
        self.session = session
        if session is not None:
            session.add_listener(self._on_session_change)
        self.page.set_session(session)
        self.stack_view.set_session(session)

    def _on_session_change(self, session: EditSession) -> None:
        if session is self.session:
            self._refresh()
            self.item_changed.emit(self.store, self.key)

    # -- refreshing ----------------------------------------------------------------

    def _refresh(self) -> None:
        """Redraw every view from the session (after an edit, undo, save, reveal)."""
        session = self.session
        if session is not None:
            self.item = session.loaded
            self.header.set_item(session.loaded, session.draft)
            self._raw_stale = True
            if self.tabs.currentWidget() is self.raw_view:
                self._refresh_raw()
        self.stack_view.set_session(session)
        self.tabs.setVisible(self.key is not None)
        self.placeholder.setVisible(self.key is None)
        editable = self.editable
        self.stack_view.set_editable(editable)
        self.history_view.set_editable(self.store is not None and not self.store.read_only)
        self._update_revert_last()
        masked_anything = (
            session is not None
            and self.redaction.enabled
            and (
                self.redaction.is_revealed(session.store, session.key)
                or self.redaction.hides_anything(session.store, session.key, session.draft)
            )
        )
        self.tool_buttons["reveal"].setVisible(bool(masked_anything))
        self._update_banners()
        self.page.refresh(editable)

    def _refresh_raw(self) -> None:
        """The raw tab is redrawn only while shown (formatting a body can be costly)."""
        if self._raw_stale and self.session is not None:
            self._raw_stale = False
            self.raw_view.set_item(self.session.loaded, self.session)

    def show_audit_log(self) -> None:
        """Open the audit log viewer (the whole log of this machine, filterable)."""
        audit = self.history_view.audit
        if audit is None:
            self.error.emit("No audit log in this session")
            return
        self._start("Audit log", lambda _h: show_audit_log(audit, self.window()), user=True)

    def _saved(self, session: EditSession) -> None:
        """A save of the shown state landed: its History (and Revert last save) follow."""
        if session is not self.session or self.store is None or self.key is None:
            return
        store, key, request = self.store, self.key, self._request

        async def reload() -> None:
            try:
                await self.history_view.load(store, key)
            except StorageError as exc:
                if request == self._request:
                    self.error.emit(f"History of {key} cannot be read: {exc}")

        self._start(f"History of {key}", lambda _h: reload(), user=False)

    def _start(self, label: str, work: Work, *, user: bool) -> None:
        """Start the pane's own work: a dialog flow (``user``) or quiet follow-up work."""
        handle = self.runner.start(label, work, shown=False, waits_for_user=user)
        if handle.running:
            self._work.add(handle)

    @property
    def running(self) -> list[TaskHandle]:
        """The pane's own background work still running (History reloads, the audit log)."""
        return [h for h in self._work if h.running]

    async def aclose(self) -> None:
        """Cancel the pane's own background work (an open audit log viewer) and wait for it."""
        await self.runner.aclose(list(self._work))

    def revert_last_save(self) -> None:
        """Make the version before the last save the draft (a pending edit)."""
        self.history_view.revert_last()

    def _update_revert_last(self) -> None:
        self.revert_last_action.setEnabled(self.history_view.revert_last_button.isEnabled())

    def _update_banners(self) -> None:
        session, store = self.session, self.store
        if session is None:
            self.banner.hide_message()
            self.aside_banner.hide_message()
            return
        if session.gone:
            self.banner.show_message(
                "Deleted from the store. The version before is backed up: "
                "History → Revert to this version, then Save, brings it back.",
                "error",
            )
        elif session.deleted:
            self.banner.show_message(
                "This state will be deleted when you save.", "error", ("Undo delete", self._undo)
            )
        elif store is not None and store.read_only:
            self.banner.show_message(
                "Read-only: this store was opened without writes. "
                "Allow writes for this session (State menu) to edit."
            )
        elif session.is_dirty:
            self.banner.show_message(
                f"Pending: {_edits(session)}, not saved. "
                f"Save writes them only if the etag is still {session.etag}.",
                "warn",
            )
        else:
            self.banner.hide_message()
        if session.aside is not None:
            self.aside_banner.show_message(
                "Your draft from before their version was loaded is kept aside.",
                "warn",
                ("Use my draft again", self._restore_aside),
            )
        else:
            self.aside_banner.hide_message()

    def _undo(self) -> None:
        if self.session is not None:
            self.session.undo()

    def _restore_aside(self) -> None:
        if self.session is not None and self.session.aside is not None:
            self.session.restore_aside()

    # -- properties ----------------------------------------------------------------

    def selected_property(self) -> str | None:
        return self.page.selected_property()

    def select_property(self, name: str) -> bool:
        """Select property ``name`` and show it in the editor; ``False`` if it is not listed."""
        return self.page.select_property(name)

    def start_add_property(self) -> None:
        self.page.start_add_property()

    def remove_selected(self) -> None:
        self.page.remove_selected()

    def delete_state(self) -> None:
        """Mark the shown state for deletion (a pending edit; the tree's Delete calls this)."""
        self.page.delete_state()

    def revert_to_backup(self, backup: Backup) -> None:
        """Make ``backup`` the draft (a pending edit): an absent version means delete."""
        session = self.session
        if session is None or self.store is None or self.store.read_only:
            return
        try:
            revert_to_backup(session, backup)
        except StorageError as exc:
            self.error.emit(str(exc))
            return
        if backup.existed:
            self.tabs.setCurrentIndex(TAB_PROPERTIES)

    def _toggle_reveal(self, revealed: bool) -> None:
        if self.store is None or self.key is None:
            return
        if revealed:
            self.redaction.reveal(self.store, self.key)
        else:
            self.redaction.hide(self.store, self.key)


def _edits(session: EditSession) -> str:
    count = len(session.edits) or 1
    return f"{count} edit{'s' * (count != 1)}"

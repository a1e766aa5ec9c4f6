"""The window's live watch: ``WatchController`` (Qt adapter of ``workspace.watch``) and
``WatchPanel`` (a dock: banner, timeline, compare).

Invariants:
- At most one watch at a time: the shown state (a conversation together with
  its private states). It runs as one ``TaskRunner`` task ("Watching KEY", its
  cancel button stops it) and ends when the state is closed (another row is
  shown, the pane is cleared, the store is disconnected) or on ``stop``.
- A new version of a state with no pending edits becomes its snapshot (the
  views follow); a state with pending edits keeps them, based on the version
  they were made on, and Save meets the existing conflict flow. The banner
  says which, and how long ago the bot changed the state.
- The timeline keeps every version seen (the first is the one loaded), each
  with its stored form, so any two can be compared in the side-by-side diff.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QDockWidget,
    QHBoxLayout,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from explorer.storage.base import Storage
from explorer.ui.detail.banner import Banner
from explorer.ui.dialogs.diff import DiffView
from explorer.ui.tasks import TaskHandle, TaskRunner
from explorer.workspace.session import EditSession, pretty_body
from explorer.workspace.watch import (
    DEFAULT_INTERVAL,
    Outage,
    Recovered,
    Version,
    Watcher,
    private_prefix,
)

SessionLookup = Callable[[Storage, str], EditSession | None]


class WatchController(QObject):
    """Runs one ``Watcher`` for the window and keeps its timeline."""

    #: started, stopped, a new version or an outage: views redraw
    changed = Signal()
    #: a new version (not the baseline) of a watched key
    version_seen = Signal(object)

    def __init__(
        self,
        runner: TaskRunner,
        sessions: SessionLookup,
        *,
        interval: float = DEFAULT_INTERVAL,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.runner = runner
        self.sessions = sessions
        self.interval = interval
        self.store: Storage | None = None
        self.key: str | None = None
        self.versions: list[Version] = []
        self.outage: Outage | None = None
        self.watcher: Watcher | None = None
        self._handle: TaskHandle | None = None

    @property
    def watching(self) -> bool:
        return self._handle is not None and self._handle.running

    @property
    def keys(self) -> frozenset[str]:
        """The watched keys (a conversation's private states once found)."""
        if self.watcher is None or not self.watching:
            return frozenset()
        return frozenset(self.watcher.keys)

    @property
    def last_change(self) -> Version | None:
        return next((v for v in reversed(self.versions) if v.change is not None), None)

    def start(self, store: Storage, key: str) -> None:
        """Watch ``key`` of ``store`` (and its private states, for a conversation)."""
        self.stop()
        self.store, self.key = store, key
        self.versions, self.outage = [], None
        watcher = Watcher(store, [key], prefix=private_prefix(key), interval=self.interval)
        self.watcher = watcher

        async def work(_handle: TaskHandle) -> None:
            async for event in watcher.events():
                self._on_event(event)

        self._handle = self.runner.start(f"Watching {key}", work, cancellable=True)
        self._handle.task.add_done_callback(lambda _t: self.changed.emit())  # type: ignore[union-attr]
        self.changed.emit()

    def stop(self) -> None:
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None
            self.changed.emit()

    def _on_event(self, event: Version | Outage | Recovered) -> None:
        if isinstance(event, Outage):
            self.outage = event
        elif isinstance(event, Recovered):
            self.outage = None
        else:
            self.versions.append(event)
            if event.change is not None:
                self._follow(event)
                self.version_seen.emit(event)
        self.changed.emit()

    def _follow(self, version: Version) -> None:
        """A clean session takes the new version; pending edits stay as they are."""
        if self.store is None or version.item is None:
            return
        session = self.sessions(self.store, version.key)
        if session is not None and not session.is_dirty:
            session.refresh(version.item)

    def pending_edits(self) -> int:
        """Edits pending on the watched state (kept while the bot changes it)."""
        if self.store is None or self.key is None:
            return 0
        session = self.sessions(self.store, self.key)
        return len(session.edits) if session is not None and session.is_dirty else 0


def ago(when: datetime, now: datetime | None = None) -> str:
    seconds = max(0, int(((now or datetime.now(UTC)) - when).total_seconds()))
    if seconds < 60:
        return f"{seconds} s ago"
    if seconds < 3600:
        return f"{seconds // 60} min ago"
    return f"{seconds // 3600} h ago"


_TIMELINE = ("Time", "State", "Change", "Etag", "Changed properties")


class WatchPanel(QDockWidget):
    """The Watch dock: what the bot did to the watched state, newest first."""

    def __init__(self, controller: WatchController, parent: QWidget | None = None) -> None:
        super().__init__("Watch", parent)
        self.setObjectName("watchDock")
        self.controller = controller
        self.banner = Banner()
        self.timeline = QTreeWidget()
        self.timeline.setObjectName("watchTimeline")
        self.timeline.setHeaderLabels(list(_TIMELINE))
        self.timeline.setRootIsDecorated(False)
        self.timeline.setUniformRowHeights(True)
        self.timeline.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.timeline.itemSelectionChanged.connect(self._selection_changed)
        self.timeline.itemDoubleClicked.connect(lambda *_: self.compare_selected())
        for column, width in enumerate((80, 240, 80, 150)):
            self.timeline.setColumnWidth(column, width)
        self.compare_button = QPushButton("Compare selected")
        self.compare_button.setToolTip("Select two versions to see them side by side")
        self.compare_button.clicked.connect(self.compare_selected)
        self.stop_button = QPushButton("Stop watching")
        self.stop_button.clicked.connect(controller.stop)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.compare_button)
        buttons.addWidget(self.stop_button)
        body = QWidget()
        layout = QVBoxLayout(body)
        layout.setContentsMargins(6, 4, 6, 6)
        layout.addWidget(self.banner)
        layout.addWidget(self.timeline, 1)
        layout.addLayout(buttons)
        self.setWidget(body)
        self._shown = 0
        self.clock = QTimer(self)  # "3 s ago" stays true
        self.clock.setInterval(1000)
        self.clock.timeout.connect(self.update_banner)
        controller.changed.connect(self.refresh)
        self.visibilityChanged.connect(self._fit)
        self.refresh()

    def _fit(self, visible: bool) -> None:
        """A modest height when it opens: the state above stays the main view."""
        window = self.window()
        if visible and hasattr(window, "resizeDocks"):
            window.resizeDocks([self], [190], Qt.Orientation.Vertical)

    def refresh(self) -> None:
        """Add the versions not shown yet, update the banner and the buttons."""
        versions = self.controller.versions
        if len(versions) < self._shown:
            self.timeline.clear()
            self._shown = 0
        for version in versions[self._shown :]:
            self.timeline.insertTopLevelItem(0, self._row(version))
        self._shown = len(versions)
        watching = self.controller.watching
        self.stop_button.setEnabled(watching)
        if watching:
            self.clock.start()
        else:
            self.clock.stop()
        self._selection_changed()
        self.update_banner()

    def _row(self, version: Version) -> QTreeWidgetItem:
        key = version.key
        main = self.controller.key
        state = "this state" if key == main else key.rsplit("/users/", 1)[-1].rstrip("/")
        change = version.change or ("loaded" if version.item is not None else "missing")
        item = QTreeWidgetItem(
            [
                version.time.astimezone().strftime("%H:%M:%S"),
                state if key == main else f"private: {state}",
                change,
                version.etag or "—",
                ", ".join(version.paths),
            ]
        )
        item.setToolTip(1, key)
        item.setToolTip(4, "\n".join(version.paths))
        item.setData(0, Qt.ItemDataRole.UserRole, version)
        return item

    def update_banner(self) -> None:
        controller = self.controller
        if not controller.watching and controller.key is None:
            self.banner.hide_message()
            return
        if controller.outage is not None:
            outage = controller.outage
            self.banner.show_message(
                f"The store does not answer ({ago(outage.since)}); retrying every "
                f"{outage.retry_in:g} s. {outage.error}",
                "error",
            )
            return
        last = controller.last_change
        if last is None:
            state = "watching" if controller.watching else "stopped watching"
            self.banner.show_message(
                f"{state.capitalize()} {controller.key}: no change by the bot yet "
                f"(checked every {controller.interval:g} s)."
            )
            return
        what = {"changed": "changed", "deleted": "deleted", "created": "created"}[
            last.change or "changed"
        ]
        subject = "this state" if last.key == controller.key else "a private state"
        text = f"The bot {what} {subject} {ago(last.time)}."
        edits = controller.pending_edits()
        if edits:
            text += (
                " Your pending edit stays as it is"
                if edits == 1
                else f" Your {edits} pending edits stay as they are"
            ) + "; Save will show the bot's version and let you choose."
            self.banner.show_message(text, "warn")
        else:
            self.banner.show_message(text + " Shown as it is now.", "info")

    def selected_versions(self) -> list[Version]:
        rows = sorted(self.timeline.selectedItems(), key=self.timeline.indexOfTopLevelItem)
        found = [r.data(0, Qt.ItemDataRole.UserRole) for r in reversed(rows)]
        return [v for v in found if isinstance(v, Version)]

    def _selection_changed(self) -> None:
        chosen = self.selected_versions()
        self.compare_button.setEnabled(len(chosen) == 2 and chosen[0].key == chosen[1].key)

    def compare_selected(self) -> QDialog | None:
        """The side-by-side diff of the two selected versions (older left)."""
        chosen = self.selected_versions()
        if len(chosen) != 2:
            return None
        older, newer = chosen
        dialog = QDialog(self.window())
        dialog.setWindowTitle(f"Compare versions of {older.key}")
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        view = DiffView(dialog)

        def title(v: Version) -> str:
            return f"{v.time.astimezone():%H:%M:%S} · {v.change or 'loaded'} · {v.etag or '—'}"

        old_body = older.item.body if older.item else None
        new_body = newer.item.body if newer.item else None
        view.set_texts(
            pretty_body(old_body),
            pretty_body(new_body),
            titles=(title(older), title(newer)),
            old_raw=old_body.decode("utf-8", "replace") if old_body else "",
            new_raw=new_body.decode("utf-8", "replace") if new_body else "",
            note=", ".join(newer.paths),
        )
        box = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        box.rejected.connect(dialog.reject)
        layout = QVBoxLayout(dialog)
        layout.addWidget(view, 1)
        layout.addWidget(box)
        dialog.resize(1000, 640)
        dialog.open()
        self.diff_dialog = dialog
        return dialog

    diff_dialog: Any = None

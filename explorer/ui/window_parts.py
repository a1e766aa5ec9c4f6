"""The parts around the tree: toolbar, environment band, empty state, status bar.

Kept apart from ``main_window.py`` so the window holds behaviour, this
module holds chrome (the menus are in ``menus.py``). It never imports the
window: each part is given what it needs (callbacks, actions).
"""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QCheckBox,
    QLabel,
    QLineEdit,
    QPushButton,
    QSizePolicy,
    QStatusBar,
    QStyle,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from explorer.ui.tasks import TaskRunner, TaskStatus
from explorer.ui.theme import environment_colour, environment_text_colour

if TYPE_CHECKING:
    from explorer.ui.connections import Connection

Slot = Callable[[], object]


#: characters of a store warning shown in the band (all of it is in the tooltip)
WARNING_CHARS = 60


def short_warning(text: str) -> str:
    """A warning's first clause (up to ``:`` or ``;``), at most ``WARNING_CHARS`` long."""
    for mark in (":", ";"):
        text = text.split(mark, 1)[0]
    text = text.strip()
    return text if len(text) <= WARNING_CHARS else f"{text[: WARNING_CHARS - 1]}…"


def band_warnings(conn: Connection) -> list[str]:
    """The store's warnings the band shows: all but one repeating ``read_only_reason``;
    TLS ones last (the status bar already says "TLS checks off")."""
    reason = conn.store.read_only_reason
    shown = [w for w in conn.store.warnings if not (reason and reason in w)]
    return sorted(shown, key=lambda w: "TLS" in w)


class EnvironmentBand(QLabel):
    """A coloured strip naming the environment and whether writing is possible.

    It also carries the store's ``warnings`` (what the CLI prints on open: scan
    mode, a legacy container, TLS checks off...): the first one, shortened, and
    how many more; the tooltip lists them all. Call ``show_connection`` again
    when a listing ends: some warnings are only learnt by listing.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("environmentBand")
        self.setContentsMargins(10, 3, 10, 3)
        self.setVisible(False)

    @staticmethod
    def mode_text(conn: Connection) -> str:
        env = conn.profile.environment.upper()
        if conn.writes_unlocked:
            return f"{env} · writes allowed for this session"
        return f"{env} · read-only" if conn.read_only else env

    def show_connection(self, conn: Connection | None) -> None:
        if conn is None:
            self.setVisible(False)
            return
        env = conn.profile.environment
        background = environment_colour(env).name()
        foreground = environment_text_colour(env).name()
        text = f"<b>{self.mode_text(conn)}</b> — {conn.profile.name} · {conn.profile.kind_label}"
        if conn.writes_unlocked:
            text = f"⚠ {text} · changes you save are written to this store"
        elif conn.read_only and conn.store.read_only_reason:
            text = f"{text} · read-only because {html.escape(conn.store.read_only_reason)}"
        warnings = band_warnings(conn)
        if warnings:
            more = f" (+{len(warnings) - 1} more)" if len(warnings) > 1 else ""
            text = f"{text} · ⚠ {html.escape(short_warning(warnings[0]))}{more}"
        self.setToolTip(
            "Store warnings:\n" + "\n".join(f"• {w}" for w in warnings) if warnings else ""
        )
        self.setText(text)
        self.setStyleSheet(f"#environmentBand {{ background: {background}; color: {foreground}; }}")
        self.setVisible(True)


class EmptyState(QWidget):
    """What the left side shows before any store is open: what to do next."""

    def __init__(self, on_connect: Slot, on_demo: Slot, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("emptyState")
        title = QLabel("<h3>No store open</h3>")
        text = QLabel(
            "Connect to a SQLite file, an Azure Blob container or a Cosmos DB container "
            "that bots write their state to. Production stores open read-only."
        )
        text.setWordWrap(True)
        connect = QPushButton("Connect…")
        connect.setDefault(True)
        connect.clicked.connect(on_connect)
        demo = QPushButton("Open the demo state")
        demo.clicked.connect(on_demo)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 24, 24, 24)
        layout.addStretch(1)
        for widget in (title, text, connect, demo):
            layout.addWidget(widget)
        layout.addStretch(2)


class Toolbar(QToolBar):
    """Connect, Refresh, Go to, Filter, Save (n), Discard.

    Save and Discard are the pending edits' own actions (they keep their
    text and enabled state); the toolbar only gives them icons.
    """

    def __init__(
        self,
        window: QWidget,
        *,
        on_connect: Slot,
        on_refresh: Slot,
        save_action: QAction,
        discard_action: QAction,
    ) -> None:
        super().__init__("Main toolbar", window)
        self.setObjectName("mainToolbar")
        self.setMovable(False)
        self.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        style = window.style()
        self.connect_action = QAction(
            style.standardIcon(QStyle.StandardPixmap.SP_DriveNetIcon), "Connect…", window
        )
        self.connect_action.setShortcut(QKeySequence(QKeySequence.StandardKey.Open))
        self.connect_action.triggered.connect(on_connect)
        self.refresh_action = QAction(
            style.standardIcon(QStyle.StandardPixmap.SP_BrowserReload), "Refresh", window
        )
        self.refresh_action.setShortcut(QKeySequence(QKeySequence.StandardKey.Refresh))
        self.refresh_action.triggered.connect(on_refresh)
        self.addAction(self.connect_action)
        self.addAction(self.refresh_action)
        self.addSeparator()
        self.goto_edit = QLineEdit()
        self.goto_edit.setObjectName("gotoEdit")
        self.goto_edit.setPlaceholderText(
            "Go to: paste a user id, conversation id or key  (Ctrl+L)"
        )
        self.goto_edit.setClearButtonEnabled(True)
        self.goto_edit.setMinimumWidth(180)
        self.goto_edit.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.filter_edit = QLineEdit()
        self.filter_edit.setObjectName("filterEdit")
        self.filter_edit.setPlaceholderText("Filter ids  (Ctrl+F)")
        self.filter_edit.setClearButtonEnabled(True)
        self.filter_edit.setToolTip(
            "Show the states whose id or key contains the text, as you type.\n"
            "On a big store (opened as a window over it) the store is asked instead: "
            "ids and keys that START with the text (case-sensitive), the first ones of "
            "each group. Finding the text anywhere needs a full scan: tick 'in values' "
            "and press Enter (with progress and Cancel)."
        )
        self.filter_edit.setMaximumWidth(200)
        self.addWidget(self.goto_edit)
        self.addWidget(self.filter_edit)
        for edit in (self.goto_edit, self.filter_edit):  # Esc empties the box
            escape = QAction(edit)
            escape.setShortcut(QKeySequence(Qt.Key.Key_Escape))
            escape.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
            escape.triggered.connect(edit.clear)
            edit.addAction(escape)
        self.values_button = QCheckBox("in values")
        self.values_button.setObjectName("valuesButton")
        self.values_button.setToolTip(
            "Search inside the stored values instead of the ids (press Enter to start; "
            "it reads every state, with progress and Cancel)"
        )
        self.values_button.toggled.connect(self._values_toggled)
        self.addWidget(self.values_button)
        self.addSeparator()
        self.save_action = save_action
        self.discard_action = discard_action
        self.save_action.setIcon(style.standardIcon(QStyle.StandardPixmap.SP_DialogSaveButton))
        self.discard_action.setIcon(
            style.standardIcon(QStyle.StandardPixmap.SP_DialogDiscardButton)
        )
        self.addAction(self.save_action)
        self.addAction(self.discard_action)

    def _values_toggled(self, on: bool) -> None:
        self.filter_edit.setPlaceholderText(
            "Search in values, Enter  (Ctrl+Shift+F)" if on else "Filter ids  (Ctrl+F)"
        )


class StatusArea(QStatusBar):
    """Errors on the left; tasks, pending edits, RU, TLS and connection on the right."""

    def __init__(self, runner: TaskRunner, on_review: Slot, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("statusBar")
        self.error_label = QLabel()
        self.error_label.setObjectName("errorLabel")
        self.error_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.error_label.setStyleSheet("color: #c62828;")
        self.addWidget(self.error_label, 1)
        self.tasks = TaskStatus(runner)
        self.pending_button = QPushButton()
        self.pending_button.setFlat(True)
        self.pending_button.clicked.connect(on_review)
        self.charge_label = QLabel()
        self.tls_label = QLabel()
        self.connection_label = QLabel()
        for widget in (
            self.tasks,
            self.pending_button,
            self.charge_label,
            self.tls_label,
            self.connection_label,
        ):
            self.addPermanentWidget(widget)
        self._clear_timer = QTimer(self)
        self._clear_timer.setSingleShot(True)
        self._clear_timer.timeout.connect(self.error_label.clear)
        #: the connection whose request units are shown (Cosmos DB), read on a timer:
        #: a scan makes hundreds of requests a second, the label changes at most twice
        self._charged: Connection | None = None
        self.charge_timer = QTimer(self)
        self.charge_timer.setInterval(CHARGE_REFRESH_MS)
        self.charge_timer.timeout.connect(self.refresh_charge)
        self.show_pending(0)

    def show_error(self, message: str) -> None:
        first = message.splitlines()[0] if message else ""
        self.error_label.setText(first)
        self.error_label.setToolTip(message)
        self._clear_timer.start(30_000)

    def show_pending(self, count: int, summary: str = "") -> None:
        self.pending_button.setText(f"● Pending: {summary or count} — Review && save…")
        self.pending_button.setVisible(count > 0)

    def show_connection(self, conn: Connection | None) -> None:
        self._charged = conn if conn is not None and conn.charges_request_units else None
        if self._charged is None:
            self.charge_timer.stop()
        elif not self.charge_timer.isActive():
            self.charge_timer.start()
        self.refresh_charge()
        if conn is None:
            self.connection_label.setText("Not connected")
            self.tls_label.clear()
            return
        listed = conn.node.count
        keys = f" · {listed:,} keys" if listed else ""
        self.connection_label.setText(
            f"{conn.profile.name} · {conn.profile.environment.upper()}{keys}"
        )
        if conn.profile.kind in ("blob", "cosmos") and conn.plain_http:
            self.tls_label.setText("⚠ HTTP, no TLS")
            self.tls_label.setToolTip("Plain HTTP: fine for a local emulator, never for real data")
        elif conn.profile.kind in ("blob", "cosmos"):
            self.tls_label.setText("TLS ✓" if conn.tls_checked else "⚠ TLS checks off")
            self.tls_label.setToolTip(
                "Certificates are verified"
                if conn.tls_checked
                else "Local emulator profile: certificates are not verified"
            )
        else:
            self.tls_label.clear()

    def refresh_charge(self) -> None:
        """Show the request units the current connection spent (Cosmos DB), and its cap."""
        conn = self._charged
        spent = conn.session_request_units() if conn is not None else None
        if conn is None or spent is None:
            text, tip = "", ""
        else:
            text, tip = charge_text(spent, conn.ru_cap, conn.request_charge)
        if text != self.charge_label.text():
            self.charge_label.setText(text)
            self.charge_label.setToolTip(tip)


#: how often the status bar reads the request units spent (milliseconds)
CHARGE_REFRESH_MS = 500


def charge_text(spent: float, cap: float | None, last: float | None) -> tuple[str, str]:
    """The status bar's request-unit text and its tooltip."""
    limit = f"cap {cap:,.0f} RU/s" if cap is not None else "no RU/s cap"
    text = f"RU {spent:,.0f} this session ({limit})"
    tip = (
        f"Request units this connection spent since it opened: {spent:,.1f} RU"
        + (f" (last request {last:,.1f} RU)" if last is not None else "")
        + ".\n"
        + (
            f"Scans (listing, counts, value search, stats, export) wait to stay under "
            f"{cap:,.0f} RU/s; reads and saves you make by hand are never held back."
            if cap is not None
            else "No RU/s cap: scans run as fast as the service allows."
        )
        + "\nSet the cap in the connection's profile (Connect…)."
    )
    return text, tip

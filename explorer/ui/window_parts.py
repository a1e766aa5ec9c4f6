"""The parts around the tree: menus, toolbar, environment band, status bar.

Menus use ``QKeySequence`` standard keys (so each platform gets its own
shortcuts) and macOS menu roles (About, Quit land in the application menu).
Kept apart from ``main_window.py`` so the window holds behaviour, this
module holds chrome.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QApplication,
    QCheckBox,
    QLabel,
    QLineEdit,
    QMessageBox,
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
    from explorer.ui.main_window import MainWindow


class EnvironmentBand(QLabel):
    """A coloured strip naming the environment and whether writing is possible."""

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
        self.setText(text)
        self.setStyleSheet(f"#environmentBand {{ background: {background}; color: {foreground}; }}")
        self.setVisible(True)


class EmptyState(QWidget):
    """What the left side shows before any store is open: what to do next."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.setObjectName("emptyState")
        title = QLabel("<h3>No store open</h3>")
        text = QLabel(
            "Connect to a SQLite file, an Azure Blob container or a Cosmos DB container "
            "that bots write their state to. Production stores open read-only."
        )
        text.setWordWrap(True)
        connect = QPushButton("Connect…")
        connect.setDefault(True)
        connect.clicked.connect(window.show_connect_dialog)
        demo = QPushButton("Open the demo state")
        demo.clicked.connect(window.open_demo)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 24, 24, 24)
        layout.addStretch(1)
        for widget in (title, text, connect, demo):
            layout.addWidget(widget)
        layout.addStretch(2)


class Toolbar(QToolBar):
    """Connect, Refresh, Go to, Filter, Save (n), Discard."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__("Main toolbar", window)
        self.setObjectName("mainToolbar")
        self.setMovable(False)
        self.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        style = window.style()
        self.connect_action = QAction(
            style.standardIcon(QStyle.StandardPixmap.SP_DriveNetIcon), "Connect…", window
        )
        self.connect_action.setShortcut(QKeySequence(QKeySequence.StandardKey.Open))
        self.connect_action.triggered.connect(window.show_connect_dialog)
        self.refresh_action = QAction(
            style.standardIcon(QStyle.StandardPixmap.SP_BrowserReload), "Refresh", window
        )
        self.refresh_action.setShortcut(QKeySequence(QKeySequence.StandardKey.Refresh))
        self.refresh_action.triggered.connect(window.refresh)
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
        # the pending edits own Save (n) / Discard; without them both stay disabled
        pending = window.pending
        self.save_action: QAction = getattr(pending, "save_action", None) or QAction("Save", window)
        self.discard_action: QAction = getattr(pending, "discard_action", None) or QAction(
            "Discard", window
        )
        self.save_action.setIcon(style.standardIcon(QStyle.StandardPixmap.SP_DialogSaveButton))
        self.discard_action.setIcon(
            style.standardIcon(QStyle.StandardPixmap.SP_DialogDiscardButton)
        )
        self.addAction(self.save_action)
        self.addAction(self.discard_action)
        self._own_actions = pending is None
        self.set_pending(0)

    def _values_toggled(self, on: bool) -> None:
        self.filter_edit.setPlaceholderText(
            "Search in values, Enter  (Ctrl+Shift+F)" if on else "Filter ids  (Ctrl+F)"
        )

    def set_pending(self, count: int) -> None:
        if self._own_actions:
            self.save_action.setEnabled(count > 0)
            self.discard_action.setEnabled(count > 0)


class StatusArea(QStatusBar):
    """Errors on the left; tasks, pending edits, RU, TLS and connection on the right."""

    def __init__(self, runner: TaskRunner, window: MainWindow) -> None:
        super().__init__(window)
        self.setObjectName("statusBar")
        self.error_label = QLabel()
        self.error_label.setObjectName("errorLabel")
        self.error_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.error_label.setStyleSheet("color: #c62828;")
        self.addWidget(self.error_label, 1)
        self.tasks = TaskStatus(runner)
        self.pending_button = QPushButton()
        self.pending_button.setFlat(True)
        self.pending_button.clicked.connect(window.save_all)
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
        if conn is None:
            self.connection_label.setText("Not connected")
            self.tls_label.clear()
            self.charge_label.clear()
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
        charge = conn.request_charge
        self.charge_label.setText(f"RU {charge:.1f}" if charge is not None else "")


def _action(window: MainWindow, text: str, slot: Any, shortcut: Any = None) -> QAction:
    action = QAction(text, window)
    if shortcut is not None:
        action.setShortcut(QKeySequence(shortcut))
    action.triggered.connect(slot)
    return action


def build_menus(window: MainWindow) -> None:
    """File, Edit, View, State, Help with standard keys and macOS roles."""
    bar = window.menuBar()
    tb = window.toolbar
    keys = QKeySequence.StandardKey

    file_menu = bar.addMenu("&File")
    file_menu.addAction(tb.connect_action)
    # not keys.Close: that is Ctrl+W, which watches the shown state (explorer.ui.insights)
    file_menu.addAction(_action(window, "&Disconnect", window.disconnect_current, "Ctrl+Shift+W"))
    file_menu.addSeparator()
    quit_action = _action(window, "&Quit", window.close, keys.Quit)
    quit_action.setMenuRole(QAction.MenuRole.QuitRole)
    file_menu.addAction(quit_action)

    edit_menu = bar.addMenu("&Edit")
    for name in ("undo_action", "redo_action"):
        action = getattr(window.pending, name, None) if window.pending is not None else None
        if isinstance(action, QAction):
            edit_menu.addAction(action)
    edit_menu.addSeparator()
    copy = _action(window, "&Copy key", window.copy_key, "Ctrl+Shift+C")
    delete = _action(window, "&Mark state for deletion", window.mark_for_deletion, keys.Delete)
    delete.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)  # only from the tree
    window.view.addActions([copy, delete, tb.refresh_action])
    edit_menu.addActions([copy, delete])
    goto = _action(window, "&Go to…", _focus(tb.goto_edit), "Ctrl+L")
    find = _action(window, "&Filter…", _focus(tb.filter_edit), keys.Find)

    def search_values() -> None:
        tb.values_button.setChecked(True)
        _focus(tb.filter_edit)()

    search = _action(window, "&Search in values…", search_values, "Ctrl+Shift+F")
    edit_menu.addActions([goto, find, search])
    edit_menu.addSeparator()
    edit_menu.addActions([tb.save_action, tb.discard_action])

    view_menu = bar.addMenu("&View")
    view_menu.addAction(tb.refresh_action)
    view_menu.addAction(_action(window, "&Expand all", window.view.expandAll))
    view_menu.addAction(_action(window, "&Collapse all", window.view.collapseAll))
    view_menu.addSeparator()
    detail = window.detail
    # the pane's own toolbar button and this entry are one action: one checked state
    redaction_action = getattr(detail, "redaction_action", None)
    if isinstance(redaction_action, QAction):
        redaction_action.setText("&Redaction mode")
        redaction_action.setShortcut(QKeySequence(REDACTION_SHORTCUT))
        redaction_action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        view_menu.addAction(redaction_action)
        redaction = getattr(detail, "redaction", None)
        view_menu.addAction(
            _action(
                window,
                "Redaction &rules…",
                lambda: edit_redaction_rules(redaction, window.settings, window),
            )
        )
        view_menu.addSeparator()
    view_menu.addAction(tb.toggleViewAction())

    state_menu = bar.addMenu("&State")
    window.unlock_action = _action(window, "Allow &writes for this session…", window.unlock_writes)
    state_menu.addAction(window.unlock_action)
    state_menu.addAction(tb.refresh_action)
    revert_last = getattr(detail, "revert_last_action", None)
    show_audit = getattr(detail, "show_audit_log", None)
    if isinstance(revert_last, QAction) or show_audit is not None:
        state_menu.addSeparator()
    if isinstance(revert_last, QAction):
        revert_last.setText("Re&vert last save")
        state_menu.addAction(revert_last)
    if show_audit is not None:
        state_menu.addAction(_action(window, "&Audit log…", show_audit))

    help_menu = bar.addMenu("&Help")
    window.update_checker = None
    if window.settings is not None:  # the choice is remembered; no settings, no check
        from explorer import __version__
        from explorer.ui.update_check import (
            UpdateChecker,
            install_status_note,
            make_toggle_action,
        )

        checker = UpdateChecker(window.settings, __version__, parent=window)
        install_status_note(checker, window.statusBar())
        help_menu.addAction(make_toggle_action(checker, help_menu))
        help_menu.addSeparator()
        window.update_checker = checker
    about = _action(window, "&About Bot State Explorer", lambda: _about(window))
    about.setMenuRole(QAction.MenuRole.AboutRole)
    about_qt = _action(window, "About &Qt", QApplication.aboutQt)
    about_qt.setMenuRole(QAction.MenuRole.AboutQtRole)
    help_menu.addActions([about, about_qt])


#: View → Redaction mode (free: not a standard key, nor one of the window's or the editor's)
REDACTION_SHORTCUT = "Ctrl+Shift+M"


def edit_redaction_rules(redaction: Any, settings: Any, parent: QWidget) -> None:
    """Open the Redaction rules dialog (non-modal to the loop; applies on OK)."""
    from explorer.ui.dialogs.redaction_rules import RedactionRulesDialog

    if redaction is None:
        return
    dialog = RedactionRulesDialog(redaction, settings, parent)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.open()


def _focus(edit: QLineEdit) -> Any:
    def focus() -> None:
        edit.setFocus(Qt.FocusReason.ShortcutFocusReason)
        edit.selectAll()

    return focus


def about_box(window: QWidget) -> QMessageBox:
    """The About box: version, what the tool does, where its history is kept."""
    import platform

    from PySide6 import __version__ as pyside_version

    from explorer import __version__

    # set by the composition root (explorer.app.build_window): the ui layer does not ask
    folder = getattr(window, "data_folder", None) or "(not kept in this session)"
    box = QMessageBox(window)
    box.setWindowTitle("About Bot State Explorer")
    box.setIconPixmap(window.windowIcon().pixmap(64, 64))
    box.setTextFormat(Qt.TextFormat.RichText)
    box.setText(
        f"<h3>Bot State Explorer {__version__}</h3>"
        "<p>Browse and edit Bot Framework and Microsoft 365 Agents SDK bot state in "
        "SQLite, Azure Blob Storage and Azure Cosmos DB.</p>"
        "<p>Production stores open read-only; every save is etag-checked, backed up "
        "and written to the audit log.</p>"
    )
    box.setInformativeText(
        f"<small>Backups and audit log: {folder}<br>"
        f"Python {platform.python_version()} · Qt {pyside_version}</small>"
    )
    box.setStandardButtons(QMessageBox.StandardButton.Close)
    return box


def _about(window: QWidget) -> None:
    box = about_box(window)
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    box.open()  # not exec(): no nested event loop under qasync

"""The menu bar: File, Edit, View, State, Help, and the About box.

Menus use ``QKeySequence`` standard keys (so each platform gets its own
shortcuts) and macOS menu roles (About, Quit land in the application menu).
``build_menus`` reaches the window's commands through the narrow
``MenuCommands`` protocol (this module does not import the window) and
returns what the window keeps (``Menus``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QApplication, QLineEdit, QMainWindow, QMessageBox, QTreeView, QWidget

from explorer.ui.detail.pane import DetailPane
from explorer.ui.detail.redaction import Redaction
from explorer.ui.pending import PendingEdits
from explorer.ui.tasks import TaskRunner
from explorer.ui.window_parts import Slot, Toolbar

if TYPE_CHECKING:
    from explorer.ui.update_check import UpdateChecker


class MenuCommands(Protocol):
    """What the menus need of the window besides being one (``MainWindow`` is one)."""

    @property
    def toolbar(self) -> Toolbar: ...

    @property
    def view(self) -> QTreeView: ...

    @property
    def pending(self) -> PendingEdits: ...

    @property
    def detail(self) -> DetailPane: ...

    @property
    def settings(self) -> QSettings | None: ...

    @property
    def runner(self) -> TaskRunner: ...

    def disconnect_current(self) -> None: ...

    def copy_key(self) -> None: ...

    def mark_for_deletion(self) -> None: ...

    def unlock_writes(self) -> None: ...

    def show_about(self) -> None: ...


@dataclass(frozen=True)
class Menus:
    """What ``build_menus`` made that the window keeps."""

    #: State → Allow writes for this session… (enabled for a read-only connection)
    unlock_action: QAction
    #: the opt-in update check (None without settings: nothing to remember the choice in)
    update_checker: UpdateChecker | None


def _action(
    window: QWidget,
    text: str,
    slot: Slot,
    shortcut: QKeySequence | QKeySequence.StandardKey | str | None = None,
) -> QAction:
    action = QAction(text, window)
    if shortcut is not None:
        action.setShortcut(QKeySequence(shortcut))
    action.triggered.connect(slot)
    return action


def build_menus(window: QMainWindow, commands: MenuCommands) -> Menus:
    """File, Edit, View, State, Help with standard keys and macOS roles."""
    bar = window.menuBar()
    tb = commands.toolbar
    keys = QKeySequence.StandardKey

    file_menu = bar.addMenu("&File")
    file_menu.addAction(tb.connect_action)
    # not keys.Close: that is Ctrl+W, which watches the shown state (explorer.ui.insights)
    file_menu.addAction(_action(window, "&Disconnect", commands.disconnect_current, "Ctrl+Shift+W"))
    file_menu.addSeparator()
    quit_action = _action(window, "&Quit", window.close, keys.Quit)
    quit_action.setMenuRole(QAction.MenuRole.QuitRole)
    file_menu.addAction(quit_action)

    edit_menu = bar.addMenu("&Edit")
    edit_menu.addActions([commands.pending.undo_action, commands.pending.redo_action])
    edit_menu.addSeparator()
    copy = _action(window, "&Copy key", commands.copy_key, "Ctrl+Shift+C")
    delete = _action(window, "&Mark state for deletion", commands.mark_for_deletion, keys.Delete)
    delete.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)  # only from the tree
    commands.view.addActions([copy, delete, tb.refresh_action])
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
    view_menu.addAction(_action(window, "&Expand all", commands.view.expandAll))
    view_menu.addAction(_action(window, "&Collapse all", commands.view.collapseAll))
    view_menu.addSeparator()
    detail = commands.detail
    # the pane's own toolbar button and this entry are one action: one checked state
    redaction_action = detail.redaction_action
    redaction_action.setText("&Redaction mode")
    redaction_action.setShortcut(QKeySequence(REDACTION_SHORTCUT))
    redaction_action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
    view_menu.addAction(redaction_action)
    view_menu.addAction(
        _action(
            window,
            "Redaction &rules…",
            lambda: edit_redaction_rules(detail.redaction, commands.settings, window),
        )
    )
    view_menu.addSeparator()
    view_menu.addAction(tb.toggleViewAction())

    state_menu = bar.addMenu("&State")
    unlock_action = _action(window, "Allow &writes for this session…", commands.unlock_writes)
    state_menu.addAction(unlock_action)
    state_menu.addAction(tb.refresh_action)
    state_menu.addSeparator()
    detail.revert_last_action.setText("Re&vert last save")
    state_menu.addAction(detail.revert_last_action)
    state_menu.addAction(_action(window, "&Audit log…", detail.show_audit_log))

    help_menu = bar.addMenu("&Help")
    checker: UpdateChecker | None = None
    if commands.settings is not None:  # the choice is remembered; no settings, no check
        from explorer import __version__
        from explorer.ui.update_check import (
            UpdateChecker,
            install_status_note,
            make_toggle_action,
        )

        checker = UpdateChecker(
            commands.settings, __version__, runner=commands.runner, parent=window
        )
        install_status_note(checker, window.statusBar())
        help_menu.addAction(make_toggle_action(checker, help_menu))
        help_menu.addSeparator()
    about = _action(window, "&About Bot State Explorer", commands.show_about)
    about.setMenuRole(QAction.MenuRole.AboutRole)
    about_qt = _action(window, "About &Qt", QApplication.aboutQt)
    about_qt.setMenuRole(QAction.MenuRole.AboutQtRole)
    help_menu.addActions([about, about_qt])
    return Menus(unlock_action, checker)


#: View → Redaction mode (free: not a standard key, nor one of the window's or the editor's)
REDACTION_SHORTCUT = "Ctrl+Shift+M"


def edit_redaction_rules(redaction: Redaction, settings: QSettings | None, parent: QWidget) -> None:
    """Open the Redaction rules dialog (non-modal to the loop; applies on OK)."""
    from explorer.ui.dialogs.redaction_rules import RedactionRulesDialog

    dialog = RedactionRulesDialog(redaction, settings, parent)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.open()


def _focus(edit: QLineEdit) -> Slot:
    def focus() -> None:
        edit.setFocus(Qt.FocusReason.ShortcutFocusReason)
        edit.selectAll()

    return focus


def about_box(window: QWidget, data_folder: str | None) -> QMessageBox:
    """The About box: version, what the tool does, where its history is kept.

    ``data_folder``: the folder of the backups and audit log (``None``: none kept).
    """
    import platform

    from PySide6 import __version__ as pyside_version

    from explorer import __version__

    folder = data_folder or "(not kept in this session)"
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


def show_about(window: QWidget, data_folder: str | None) -> None:
    """Open the About box (``open()``, not ``exec()``: no nested event loop under qasync)."""
    box = about_box(window, data_folder)
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    box.open()

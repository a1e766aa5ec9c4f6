"""Colours and style: environment colours, light/dark following the system.

The app uses the Fusion style with the system's colour scheme (Qt 6.5+
``QStyleHints.colorScheme``), so it looks the same on every platform and
switches with the system between light and dark. Environment colours are
fixed: PROD red, TEST amber, DEV green; text on them is always readable.
``BOTSTATE_EXPLORER_THEME=dark`` (or ``light``) overrides the system choice
(platforms that report no scheme, screenshots of both looks).
"""

from __future__ import annotations

import os

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication

_ENV = {"prod": "#c62828", "test": "#ef8f00", "dev": "#2e7d32"}
_ENV_TEXT = {"prod": "#ffffff", "test": "#1f1300", "dev": "#ffffff"}


def environment_colour(environment: str) -> QColor:
    return QColor(_ENV.get(environment, "#546e7a"))


def environment_text_colour(environment: str) -> QColor:
    return QColor(_ENV_TEXT.get(environment, "#ffffff"))


THEME_ENV = "BOTSTATE_EXPLORER_THEME"


def is_dark() -> bool:
    forced = os.environ.get(THEME_ENV, "").strip().lower()
    if forced in ("dark", "light"):
        return forced == "dark"
    hints = QGuiApplication.styleHints()
    return bool(hints.colorScheme() == Qt.ColorScheme.Dark)


def dark_palette() -> QPalette:
    """A calm dark palette for Fusion (Fusion's own follows the scheme on some platforms only)."""
    p = QPalette()
    base, window, text = QColor("#1e1f22"), QColor("#2b2d30"), QColor("#dfe1e5")
    p.setColor(QPalette.ColorRole.Window, window)
    p.setColor(QPalette.ColorRole.WindowText, text)
    p.setColor(QPalette.ColorRole.Base, base)
    p.setColor(QPalette.ColorRole.AlternateBase, QColor("#26282b"))
    p.setColor(QPalette.ColorRole.Text, text)
    p.setColor(QPalette.ColorRole.Button, window)
    p.setColor(QPalette.ColorRole.ButtonText, text)
    p.setColor(QPalette.ColorRole.ToolTipBase, QColor("#3c3f41"))
    p.setColor(QPalette.ColorRole.ToolTipText, text)
    p.setColor(QPalette.ColorRole.Highlight, QColor("#2f65ca"))
    p.setColor(QPalette.ColorRole.HighlightedText, QColor("#ffffff"))
    p.setColor(QPalette.ColorRole.PlaceholderText, QColor("#8c8f94"))
    p.setColor(QPalette.ColorRole.Link, QColor("#6ea8ff"))
    p.setColor(QPalette.ColorRole.Mid, QColor("#3c3f41"))
    p.setColor(QPalette.ColorRole.Midlight, QColor("#393b40"))
    for role in (
        QPalette.ColorRole.Text,
        QPalette.ColorRole.WindowText,
        QPalette.ColorRole.ButtonText,
    ):
        p.setColor(QPalette.ColorGroup.Disabled, role, QColor("#6f737a"))
    return p


def apply_theme(app: QApplication) -> None:
    """Fusion with the system scheme; re-applied when the system switches."""
    app.setStyle("Fusion")

    def refresh() -> None:
        app.setPalette(dark_palette() if is_dark() else app.style().standardPalette())

    refresh()
    QGuiApplication.styleHints().colorSchemeChanged.connect(lambda _scheme: refresh())

"""Colours and fonts shared by the detail views, derived from the current palette.

Everything follows the system light/dark mode: colours are picked for the
window background's lightness, never hard-coded for one theme.
"""

from __future__ import annotations

from PySide6.QtGui import QColor, QFont, QFontDatabase, QGuiApplication, QPalette


def is_dark(palette: QPalette | None = None) -> bool:
    """Whether the palette's window background is dark."""
    palette = palette or QGuiApplication.palette()
    return palette.color(QPalette.ColorRole.Window).lightness() < 128


def muted(palette: QPalette | None = None) -> QColor:
    """Secondary text: type badges, labels in the header."""
    palette = palette or QGuiApplication.palette()
    text = palette.color(QPalette.ColorRole.WindowText)
    base = palette.color(QPalette.ColorRole.Window)
    return _mix(text, base, 0.45)


def pending() -> QColor:
    """The ● marker and names of properties with pending edits (amber)."""
    return QColor("#f0a030") if is_dark() else QColor("#b86e00")


def danger() -> QColor:
    return QColor("#ff7b72") if is_dark() else QColor("#c62828")


def ok() -> QColor:
    return QColor("#56d364") if is_dark() else QColor("#2e7d32")


def diff_removed() -> QColor:
    return QColor(120, 30, 30) if is_dark() else QColor(255, 220, 220)


def diff_added() -> QColor:
    return QColor(25, 90, 40) if is_dark() else QColor(215, 245, 215)


def diff_changed() -> QColor:
    return QColor(100, 80, 20) if is_dark() else QColor(255, 240, 200)


def json_colors() -> dict[str, QColor]:
    """Token colours of the JSON highlighter."""
    if is_dark():
        return {
            "key": QColor("#79c0ff"),
            "string": QColor("#a5d6ff"),
            "number": QColor("#f2cc60"),
            "literal": QColor("#ff7b72"),
            "tag": muted(),
            "error": QColor(110, 30, 30),
        }
    return {
        "key": QColor("#0550ae"),
        "string": QColor("#0a3069"),
        "number": QColor("#953800"),
        "literal": QColor("#cf222e"),
        "tag": muted(),
        "error": QColor(255, 215, 215),
    }


def mono_font() -> QFont:
    """The system fixed-width font, for JSON and etags."""
    font = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
    font.setStyleHint(QFont.StyleHint.Monospace)
    return font


def _mix(a: QColor, b: QColor, amount: float) -> QColor:
    """``a`` moved ``amount`` of the way towards ``b``."""
    return QColor(
        round(a.red() + (b.red() - a.red()) * amount),
        round(a.green() + (b.green() - a.green()) * amount),
        round(a.blue() + (b.blue() - a.blue()) * amount),
    )

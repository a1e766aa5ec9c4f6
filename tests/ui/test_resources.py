"""The app icon ships inside the package and loads as a multi-size QIcon."""

from __future__ import annotations

from PySide6.QtCore import QSize
from PySide6.QtGui import QImage
from pytestqt.qtbot import QtBot

from explorer.ui.resources import ICON_SIZES, app_icon, app_icon_path


def test_every_icon_size_is_a_png_of_that_size() -> None:
    for size in ICON_SIZES:
        image = QImage(str(app_icon_path(size)))
        assert not image.isNull(), size
        assert (image.width(), image.height()) == (size, size)
        assert image.hasAlphaChannel()


def test_icon_path_picks_the_nearest_size_not_smaller() -> None:
    assert app_icon_path(20).name == "app-24.png"
    assert app_icon_path(256).name == "app-256.png"
    assert app_icon_path(4096).name == "app-256.png"


def test_app_icon_has_all_sizes(qtbot: QtBot) -> None:
    icon = app_icon()
    assert not icon.isNull()
    sizes = {(s.width(), s.height()) for s in icon.availableSizes()}
    assert {(s, s) for s in ICON_SIZES} <= sizes
    pixmap = icon.pixmap(QSize(32, 32))
    assert pixmap.width() == 32

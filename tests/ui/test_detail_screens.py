"""The screenshot script works and every screen it grabs has real content.

A person looks at the PNGs (``python -m tests.ui.detail_demo DIR``); this test
keeps the script working and catches blank or collapsed screens.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtGui import QImage

from tests.ui.detail_demo import shoot


def distinct_colors(image: QImage, step: int = 7) -> int:
    seen = set()
    for y in range(0, image.height(), step):
        for x in range(0, image.width(), step):
            seen.add(image.pixel(x, y))
    return len(seen)


async def test_every_screen_is_grabbed_with_content(tmp_path: Path, qapp: Any) -> None:
    paths = await shoot(tmp_path)
    names = {p.name for p in paths}
    assert {
        "detail-properties.png",
        "detail-invalid-json.png",
        "detail-stack.png",
        "detail-history.png",
        "detail-redacted.png",
        "save-dialog.png",
        "conflict.png",
        "conflict-compare.png",
        "audit-log.png",
    } <= names
    for path in paths:
        image = QImage(str(path))
        assert not image.isNull(), path
        assert image.width() >= 600, path
        assert image.height() >= 400, path
        assert distinct_colors(image) > 20, f"{path.name} looks blank"

"""Draw the Bot State Explorer app icon and write every format the installers need.

Run from the repository root (needs the ``package`` extra for Pillow)::

    QT_QPA_PLATFORM=offscreen .venv/bin/python packaging/make_icons.py

The icon is drawn with QPainter as vectors at each target size (no scaling
blur): a rounded square in a deep indigo-to-teal gradient, a state tree
(root node, trunk, three child rows) and a magnifier that shows the JSON
braces of the state it is over. Sizes up to 48 px use a simpler drawing
(two rows and a heavier lens) so they stay legible.

Outputs (all committed; re-run the script after changing the drawing):

- ``resources/app.png`` (1024 px) and ``resources/app-<N>.png`` for
  N in 16, 24, 32, 48, 64, 128, 256, 512: the masters;
- ``resources/app.ico``: Windows icon with 16-256 px images;
- ``resources/app.icns``: macOS icon with 16-1024 px images (Pillow writes it
  on any OS, so no macOS tools are needed);
- ``explorer/resources/app-<N>.png``: the sizes the running app loads for its
  window icon (see ``explorer.ui.resources``).
"""

from __future__ import annotations

import io
import sys
from pathlib import Path

from PIL import Image
from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QPointF, QRectF, Qt
from PySide6.QtGui import (
    QBrush,
    QColor,
    QFont,
    QGuiApplication,
    QImage,
    QLinearGradient,
    QPainter,
    QPainterPath,
    QPen,
    QRadialGradient,
)

ROOT = Path(__file__).resolve().parent.parent
MASTER_SIZES = (16, 24, 32, 48, 64, 128, 256, 512, 1024)
ICO_SIZES = (16, 24, 32, 48, 64, 128, 256)
RUNTIME_SIZES = (16, 24, 32, 48, 64, 128, 256)

# palette
BG_TOP = QColor("#2B1B6B")  # deep indigo
BG_BOTTOM = QColor("#0E7C86")  # teal
TRUNK = QColor(255, 255, 255, 150)
ROOT_NODE = QColor("#FFB547")  # amber
ROW_COLOURS = (QColor("#FF7A6B"), QColor("#7CE8D5"), QColor("#FFD86B"))  # coral, mint, gold
LENS_RING = QColor("#FFFFFF")
LENS_GLASS = QColor(255, 255, 255, 46)
BRACES = QColor("#FFB547")
HANDLE = QColor("#FFB547")


def _pen(colour: QColor, width: float) -> QPen:
    pen = QPen(colour, width)
    pen.setCapStyle(Qt.PenCapStyle.RoundCap)
    pen.setJoinStyle(Qt.PenJoinStyle.RoundJoin)
    return pen


def _background(p: QPainter) -> None:
    """Rounded square on the 1024 grid (macOS-style 100 px margin, 185 px radius)."""
    tile = QRectF(100, 100, 824, 824)
    shadow = QPainterPath()
    shadow.addRoundedRect(tile.translated(0, 14), 185, 185)
    p.fillPath(shadow, QColor(0, 0, 0, 70))
    path = QPainterPath()
    path.addRoundedRect(tile, 185, 185)
    grad = QLinearGradient(QPointF(180, 100), QPointF(844, 924))
    grad.setColorAt(0.0, BG_TOP)
    grad.setColorAt(1.0, BG_BOTTOM)
    p.fillPath(path, QBrush(grad))
    # soft highlight in the upper left gives the tile some depth
    glow = QRadialGradient(QPointF(300, 260), 520)
    glow.setColorAt(0.0, QColor(255, 255, 255, 40))
    glow.setColorAt(1.0, QColor(255, 255, 255, 0))
    p.fillPath(path, QBrush(glow))


def _tree(p: QPainter, simple: bool) -> None:
    """Root node top left, a trunk, child rows as elbows ending in pills."""
    rows = (440, 600) if simple else (420, 560, 700)
    trunk_x = 285
    line_w = 46 if simple else 30
    p.setPen(_pen(TRUNK, line_w))
    p.drawLine(QPointF(trunk_x, 300), QPointF(trunk_x, rows[-1]))
    for y in rows:
        p.drawLine(QPointF(trunk_x, y), QPointF(trunk_x + 70, y))
    p.setPen(Qt.PenStyle.NoPen)
    # root: a rounded square "store" node
    p.setBrush(ROOT_NODE)
    root_r = 80 if simple else 64
    p.drawRoundedRect(QRectF(trunk_x - root_r, 270 - root_r, 2 * root_r, 2 * root_r), 28, 28)
    # child rows: a dot and a pill, like rows of the explorer's tree
    pill_h = 86 if simple else 64
    widths = (300, 240) if simple else (300, 210, 250)
    for y, w, colour in zip(rows, widths, ROW_COLOURS, strict=False):
        p.setBrush(colour)
        p.drawRoundedRect(QRectF(trunk_x + 70, y - pill_h / 2, w, pill_h), pill_h / 2, pill_h / 2)


def _lens(p: QPainter, simple: bool) -> None:
    """Magnifier over the lower right, showing the JSON braces of a state."""
    centre = QPointF(630, 600) if simple else QPointF(640, 580)
    radius = 190 if simple else 170
    ring = 56 if simple else 40
    # handle first, so the ring covers its end
    direction = QPointF(0.7071, 0.7071)
    start = centre + direction * (radius + ring * 0.2)
    end = centre + direction * (radius + (150 if simple else 175))
    p.setPen(_pen(QColor(0, 0, 0, 60), (84 if simple else 64) + 10))
    p.drawLine(start + QPointF(0, 8), end + QPointF(0, 8))
    p.setPen(_pen(HANDLE, 84 if simple else 64))
    p.drawLine(start, end)
    # glass
    p.setPen(Qt.PenStyle.NoPen)
    glass = QRadialGradient(centre - QPointF(60, 60), radius * 1.4)
    glass.setColorAt(0.0, QColor(255, 255, 255, 90))
    glass.setColorAt(1.0, LENS_GLASS)
    p.setBrush(QBrush(glass))
    p.drawEllipse(centre, radius, radius)
    # braces inside the lens: "{ }" drawn as text, large and bold
    if not simple:
        font = QFont("DejaVu Sans Mono")
        font.setStyleHint(QFont.StyleHint.Monospace)
        font.setBold(True)
        font.setPixelSize(170)
        p.setFont(font)
        p.setPen(BRACES)
        for text, dx in (("{", -58), ("}", 58)):
            box = QRectF(centre.x() + dx - 100, centre.y() - 112, 200, 200)
            p.drawText(box, Qt.AlignmentFlag.AlignCenter, text)
        p.setBrush(BRACES)
        p.setPen(Qt.PenStyle.NoPen)
        p.drawEllipse(centre + QPointF(0, 0), 14, 14)
    else:
        p.setPen(_pen(BRACES, 36))
        p.drawLine(centre - QPointF(70, 0), centre + QPointF(70, 0))
    # ring
    p.setBrush(Qt.BrushStyle.NoBrush)
    p.setPen(_pen(LENS_RING, ring))
    p.drawEllipse(centre, radius, radius)


def render(size: int) -> QImage:
    """The icon at ``size`` px, drawn on the 1024 grid and scaled as vectors."""
    image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(Qt.GlobalColor.transparent)
    p = QPainter(image)
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    p.setRenderHint(QPainter.RenderHint.TextAntialiasing)
    simple = size <= 48
    if simple:
        # small sizes: use the whole square, no margin, so the shape reads
        p.scale(size / 824, size / 824)
        p.translate(-100, -100)
    else:
        p.scale(size / 1024, size / 1024)
    _background(p)
    _tree(p, simple)
    _lens(p, simple)
    p.end()
    return image


def _to_pil(image: QImage) -> Image.Image:
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")
    buffer.close()
    return Image.open(io.BytesIO(bytes(data.data()))).convert("RGBA")


def main() -> int:
    app = QGuiApplication.instance() or QGuiApplication(sys.argv[:1])
    out = ROOT / "resources"
    runtime = ROOT / "explorer" / "resources"
    out.mkdir(exist_ok=True)
    runtime.mkdir(exist_ok=True)
    images = {size: _to_pil(render(size)) for size in MASTER_SIZES}
    for size, img in images.items():
        name = "app.png" if size == 1024 else f"app-{size}.png"
        img.save(out / name, optimize=True)
        if size in RUNTIME_SIZES:
            img.save(runtime / f"app-{size}.png", optimize=True)
    largest_ico = images[max(ICO_SIZES)]
    largest_ico.save(
        out / "app.ico",
        sizes=[(s, s) for s in ICO_SIZES],
        append_images=[images[s] for s in ICO_SIZES if s != max(ICO_SIZES)],
    )
    images[1024].save(
        out / "app.icns",
        append_images=[images[s] for s in (16, 32, 64, 128, 256, 512)],
    )
    del app
    for path in sorted(out.iterdir()):
        print(f"{path.relative_to(ROOT)}  {path.stat().st_size:,} bytes")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

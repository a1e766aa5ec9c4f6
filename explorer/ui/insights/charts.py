"""Charts of store insights on QtCharts: a titled box per chart, themed, clickable, savable.

``ChartBox`` holds one ``QChartView`` with its title and a "Save PNG…" button;
the ``*_chart`` functions fill it from ``StoreStats``. Every bar reports a
click as ``(series name, category)`` to a callback, which the Insights page
turns into "reach those items". Light and dark follow ``ui.theme.is_dark``
(QtCharts' own light and dark themes, the window's background behind them).
"""

from __future__ import annotations

import html
from collections.abc import Callable, Sequence

from PySide6.QtCharts import (
    QAbstractBarSeries,
    QBarCategoryAxis,
    QBarSet,
    QChart,
    QChartView,
    QHorizontalBarSeries,
    QHorizontalStackedBarSeries,
    QStackedBarSeries,
    QValueAxis,
)
from PySide6.QtCore import QMargins, Qt, Signal
from PySide6.QtGui import QColor, QPainter, QPalette
from PySide6.QtWidgets import (
    QApplication,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from explorer.ui.theme import is_dark
from explorer.workspace.stats import AGE_LABELS, SIZE_LABELS, UNKNOWN_AGE, StoreStats

BarClick = Callable[[str, str], object]

#: user, conversation, private; and the Cosmos DB limit
KIND_COLOURS = ("#3f7fd6", "#2e9d78", "#c7862b")
LIMIT_COLOUR = "#d0463b"
#: size buckets at or past 1.6 MB (near or over Cosmos DB's 2 MB item limit)
NEAR_BUCKETS = frozenset(SIZE_LABELS[-2:])


class ChartBox(QWidget):
    """A titled chart with "Save PNG…"; ``saved(path)`` after a save."""

    saved = Signal(str)

    def __init__(self, title: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("chartBox")
        self.title = QLabel(f"<b>{title}</b>")
        self.save_button = QToolButton()
        self.save_button.setText("Save PNG…")
        self.save_button.setAutoRaise(True)
        self.save_button.clicked.connect(self.ask_save)
        self.chart = QChart()
        self.chart.legend().setAlignment(Qt.AlignmentFlag.AlignBottom)
        self.chart.setMargins(QMargins(4, 4, 4, 4))
        self.view = QChartView(self.chart)
        self.view.setRenderHint(QPainter.RenderHint.Antialiasing)
        self.view.setMinimumHeight(220)
        head = QHBoxLayout()
        head.addWidget(self.title, 1)
        head.addWidget(self.save_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(head)
        layout.addWidget(self.view, 1)
        self.file_name = title.lower().replace(" ", "-")
        self.apply_theme()

    def apply_theme(self) -> None:
        dark = is_dark()
        self.chart.setTheme(
            QChart.ChartTheme.ChartThemeDark if dark else QChart.ChartTheme.ChartThemeLight
        )
        window = QApplication.palette().color(QPalette.ColorRole.Window)
        self.chart.setBackgroundBrush(window)
        self.chart.setBackgroundRoundness(0)
        self.view.setBackgroundBrush(window)
        text = QApplication.palette().color(QPalette.ColorRole.WindowText)
        self.chart.legend().setLabelColor(text)
        for axis in self.chart.axes():
            axis.setLabelsColor(text)
        self._recolour()

    def _recolour(self) -> None:
        for series in self.chart.series():
            if isinstance(series, QAbstractBarSeries):
                for bar_set in series.barSets():
                    colour = bar_set.property("fixedColour")
                    if colour:
                        bar_set.setColor(QColor(str(colour)))
                        bar_set.setBorderColor(QColor(str(colour)))

    def save_png(self, path: str) -> bool:
        """Write the chart as it is shown to ``path`` (PNG)."""
        ok = self.view.grab().save(path, "PNG")
        if ok:
            self.saved.emit(path)
        return ok

    def ask_save(self) -> None:
        dialog = QFileDialog(self.window(), "Save chart as PNG", f"{self.file_name}.png")
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dialog.setNameFilter("PNG images (*.png)")
        dialog.setDefaultSuffix("png")
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.fileSelected.connect(self.save_png)
        dialog.open()  # not exec(): no nested event loop under qasync

    def set_bars(
        self,
        series: QAbstractBarSeries,
        categories: Sequence[str],
        sets: Sequence[tuple[str, Sequence[int], str]],
        on_click: BarClick | None,
        *,
        full_categories: Sequence[str] | None = None,
    ) -> None:
        """Show ``sets`` (name, one value per category, colour) as ``series``.

        A click on a bar calls ``on_click(set name, category)`` with the full
        category name (``full_categories``) when the axis shows short ones.
        """
        self.chart.removeAllSeries()
        for axis in self.chart.axes():
            self.chart.removeAxis(axis)
        names = list(full_categories or categories)
        horizontal = isinstance(series, QHorizontalBarSeries | QHorizontalStackedBarSeries)
        if horizontal:  # drawn bottom up: reversed, the first category is on top
            categories, names = list(reversed(categories)), names[::-1]
            sets = [(name, list(reversed(values)), colour) for name, values, colour in sets]
        for name, values, colour in sets:
            bar_set = QBarSet(name)
            bar_set.append([float(v) for v in values])
            bar_set.setProperty("fixedColour", colour)
            if on_click is not None:
                bar_set.clicked.connect(
                    lambda index, n=name: on_click(n, names[index]) if index < len(names) else None
                )
            series.append(bar_set)
        self.chart.addSeries(series)
        category_axis = QBarCategoryAxis()
        # labels are rich text: "<1 KB" would read as a tag
        category_axis.append([html.escape(c) for c in categories])
        font = category_axis.labelsFont()
        font.setPointSizeF(max(7.0, font.pointSizeF() - 1))
        category_axis.setLabelsFont(font)
        value_axis = QValueAxis()
        value_axis.setLabelFormat("%d")
        top = max((sum(v) for v in zip(*(s[1] for s in sets), strict=True)), default=0)
        if not isinstance(series, QStackedBarSeries | QHorizontalStackedBarSeries):
            top = max((max(s[1], default=0) for s in sets), default=0)
        value_axis.setRange(0, max(1, top))
        value_axis.applyNiceNumbers()
        left, bottom = Qt.AlignmentFlag.AlignLeft, Qt.AlignmentFlag.AlignBottom
        self.chart.addAxis(category_axis, left if horizontal else bottom)
        self.chart.addAxis(value_axis, bottom if horizontal else left)
        series.attachAxis(category_axis)
        series.attachAxis(value_axis)
        self.chart.legend().setVisible(len(sets) > 1)
        self.apply_theme()


def channels_chart(box: ChartBox, stats: StoreStats, on_click: BarClick | None) -> list[str]:
    """Stacked bars per channel (most items first, on top; at most 12): users,
    conversations, private states. Returns the channels shown."""
    channels = sorted(stats.counts.channels.items(), key=lambda x: (-sum(x[1].values()), x[0]))
    channels = channels[:12]
    names = [c for c, _ in channels]
    sets = [
        (kind, [counts.get(kind, 0) for _, counts in channels], colour)
        for kind, colour in zip(("user", "conversation", "private"), KIND_COLOURS, strict=True)
    ]
    box.set_bars(QHorizontalStackedBarSeries(), names, sets, on_click)
    return names


def size_chart(box: ChartBox, stats: StoreStats, on_click: BarClick | None) -> None:
    """Items per size bucket; the buckets near or over Cosmos DB's 2 MB limit in red."""
    below = [0 if label in NEAR_BUCKETS else stats.sizes[label] for label in SIZE_LABELS]
    near = [stats.sizes[label] if label in NEAR_BUCKETS else 0 for label in SIZE_LABELS]
    sets = [
        ("items", below, KIND_COLOURS[0]),
        ("near or over the Cosmos DB 2 MB limit", near, LIMIT_COLOUR),
    ]
    # the last two say "near / over the limit" in their colour and the legend
    shown = [label.partition(" (")[0] for label in SIZE_LABELS]
    box.set_bars(QHorizontalStackedBarSeries(), shown, sets, on_click, full_categories=SIZE_LABELS)


def age_chart(box: ChartBox, stats: StoreStats, on_click: BarClick | None) -> None:
    """Items per age of their last write."""
    labels = [*AGE_LABELS, UNKNOWN_AGE]
    values = [stats.ages[label] for label in labels]
    box.set_bars(
        QHorizontalStackedBarSeries(), labels, [("items", values, KIND_COLOURS[1])], on_click
    )


def dialogs_chart(box: ChartBox, stats: StoreStats, on_click: BarClick | None) -> list[str]:
    """Conversations per active dialog id (the most common on top)."""
    top = sorted(stats.dialogs.items(), key=lambda x: (-x[1], x[0]))[:10]
    ids = [d for d, _ in top]
    values = [n for _, n in top]
    box.set_bars(
        QHorizontalBarSeries(), ids, [("conversations", values, KIND_COLOURS[2])], on_click
    )
    return ids

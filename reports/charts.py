"""Charts for the reports (matplotlib, Agg, no pyplot state) with a CJK font that really renders.

Each function takes a pandas object and returns PNG bytes; renderers embed them. A chart with no
data still renders, with a "无数据" note, so a quiet day gives a complete report.
"""

from __future__ import annotations

import functools
import io
from collections.abc import Callable
from typing import ParamSpec

import matplotlib
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from reports.fonts import chart_font

SENTIMENT_COLORS = {"负面": "#c0392b", "中性": "#95a5a6", "正面": "#27ae60", "未分析": "#dddddd"}
BAR_COLOR = "#b03a2e"


def _figure(width: float = 7.5, height: float = 3.4) -> Figure:
    fig = Figure(figsize=(width, height), dpi=110)
    FigureCanvasAgg(fig)
    return fig


P = ParamSpec("P")


def cjk(func: Callable[P, bytes]) -> Callable[P, bytes]:
    """Draw with the CJK font (an rc context, so no global matplotlib state changes)."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> bytes:
        with matplotlib.rc_context({"font.family": [chart_font()], "axes.unicode_minus": False}):
            return func(*args, **kwargs)

    return wrapper


def _png(fig: Figure) -> bytes:
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return buf.getvalue()


def _empty(ax: object) -> None:
    ax.text(0.5, 0.5, "无数据", ha="center", va="center", transform=ax.transAxes, fontsize=14,  # type: ignore[attr-defined]
            color="#888888")
    ax.set_xticks([])  # type: ignore[attr-defined]
    ax.set_yticks([])  # type: ignore[attr-defined]


@cjk
def trend_chart(frame: pd.DataFrame, title: str, *, x_label: str = "") -> bytes:
    """Lines per column of ``frame`` (index: time buckets or labels)."""
    fig = _figure()
    ax = fig.add_subplot()
    ax.set_title(title)
    if frame.empty or float(frame.to_numpy().sum()) == 0:
        _empty(ax)
        return _png(fig)
    labels = [str(i) for i in frame.index]
    colors = ["#b03a2e", "#c0392b", "#2e86c1", "#7d3c98"]
    for n, column in enumerate(frame.columns):
        ax.plot(labels, frame[column].to_numpy(), marker="o", markersize=3, label=str(column),
                color=colors[n % len(colors)], linestyle="-" if n == 0 else "--")
    ax.set_xlabel(x_label)
    ax.set_ylabel("条数")
    ax.grid(alpha=0.3)
    ax.legend(loc="upper left", fontsize=8)
    step = max(1, len(labels) // 12)
    ax.set_xticks(range(0, len(labels), step))
    ax.set_xticklabels(labels[::step], rotation=30, ha="right", fontsize=8)
    return _png(fig)


@cjk
def bar_chart(series: pd.Series, title: str, *, horizontal: bool = True, limit: int = 15) -> bytes:
    """Bars for a labelled count series, largest first (the place chart is a ranked bar, map-like)."""
    data = series[series > 0].sort_values(ascending=False).head(limit)
    fig = _figure(height=max(2.6, 0.32 * len(data) + 1.2) if horizontal else 3.4)
    ax = fig.add_subplot()
    ax.set_title(title)
    if data.empty:
        _empty(ax)
        return _png(fig)
    labels = [str(i) for i in data.index]
    if horizontal:
        ax.barh(labels[::-1], data.to_numpy()[::-1], color=BAR_COLOR)
        for y, value in enumerate(data.to_numpy()[::-1]):
            ax.text(value, y, f" {int(value)}", va="center", fontsize=8)
        ax.set_xlabel("条数")
    else:
        ax.bar(labels, data.to_numpy(), color=BAR_COLOR)
        ax.set_ylabel("条数")
        ax.tick_params(axis="x", labelrotation=20, labelsize=8)
    ax.grid(alpha=0.3, axis="x" if horizontal else "y")
    return _png(fig)


@cjk
def sentiment_pie(series: pd.Series, title: str) -> bytes:
    """A pie of sentiment labels (Chinese labels as index)."""
    data = series[series > 0]
    fig = _figure(width=5.0, height=3.4)
    ax = fig.add_subplot()
    ax.set_title(title)
    if data.empty:
        _empty(ax)
        return _png(fig)
    ax.pie(data.to_numpy(), labels=[str(i) for i in data.index], autopct="%1.1f%%", startangle=90,
           colors=[SENTIMENT_COLORS.get(str(i), "#cccccc") for i in data.index], textprops={"fontsize": 9})
    ax.axis("equal")
    return _png(fig)


@cjk
def stacked_sentiment(frame: pd.DataFrame, title: str) -> bytes:
    """Stacked bars of sentiment labels per time bucket (columns: Chinese sentiment labels)."""
    fig = _figure()
    ax = fig.add_subplot()
    ax.set_title(title)
    if frame.empty or float(frame.to_numpy().sum()) == 0:
        _empty(ax)
        return _png(fig)
    labels = [str(i) for i in frame.index]
    bottom = None
    for column in frame.columns:
        values = frame[column].to_numpy()
        ax.bar(labels, values, bottom=bottom, label=str(column), color=SENTIMENT_COLORS.get(str(column), "#cccccc"))
        bottom = values if bottom is None else bottom + values
    step = max(1, len(labels) // 12)
    ax.set_xticks(range(0, len(labels), step))
    ax.set_xticklabels(labels[::step], rotation=30, ha="right", fontsize=8)
    ax.set_ylabel("条数")
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3, axis="y")
    return _png(fig)

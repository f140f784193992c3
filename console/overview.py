"""The overview page's figures (舆情概览), every one an Elasticsearch aggregation, all in this module.

- trend: mentions and negative share per hour (today) or per day (the last N days). A mention's time
  is ``published_at``, else ``crawled_at`` (as in the reports: :func:`reports.data.mention_window`),
  so two ``date_histogram`` aggregations (dated mentions, undated ones by crawl time) are added up;
  the negative share is negative ÷ mentions with a sentiment, as in the daily report.
- hot words: a ``terms`` aggregation over the stored ``keywords`` of the period's mentions.
- incidents by place, by collection priority and by level: ``terms`` over the incidents active in the
  period (first seen before its end, last seen after its start, not dismissed).
- hot lists: each hot-list source's latest crawl (``max`` of ``at``), its entries by rank, and each
  entry's rank history (best rank per hour, ``date_histogram`` + ``min``) over ``hotlist_history``.

Charts are drawn server-side as inline SVG from the coordinates :func:`bar_rows`, :func:`trend_chart`
and :func:`rank_line` compute (numbers only; labels go through the template's autoescape).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from reports import spread
from reports.data import NEGATIVE, Names, mention_window
from yuqing.clock import TZ, iso
from yuqing.config import Config
from yuqing.models import TIER_ZH, UNCOUNTED_STATES, Incident
from yuqing.storage import Store

ANALYZED = {"exists": {"field": "sentiment.label"}}


@dataclasses.dataclass(frozen=True)
class Period:
    """``days == 0``: today per hour (midnight to the current hour); else the last ``days`` days per day."""

    days: int
    start: dt.datetime
    end: dt.datetime  # exclusive

    @property
    def hourly(self) -> bool:
        return self.days == 0

    @property
    def label_zh(self) -> str:
        return "今日（按小时）" if self.hourly else f"近{self.days}天（按天）"


def period(days: int, *, now: dt.datetime) -> Period:
    local = now.astimezone(TZ)
    midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
    if days <= 0:
        return Period(0, midnight, local.replace(minute=0, second=0, microsecond=0) + dt.timedelta(hours=1))
    return Period(days, midnight - dt.timedelta(days=days - 1), midnight + dt.timedelta(days=1))


@dataclasses.dataclass(frozen=True)
class TrendBucket:
    start: dt.datetime
    mentions: int
    negative: int
    analyzed: int

    @property
    def negative_share(self) -> float:
        return round(self.negative / self.analyzed, 4) if self.analyzed else 0.0


def _millis(t: dt.datetime) -> int:
    return int(t.timestamp() * 1000)


def _histogram(field: str, p: Period) -> dict[str, Any]:
    interval = {"fixed_interval": "1h"} if p.hourly else {"calendar_interval": "1d"}
    return {"date_histogram": {"field": field, **interval, "time_zone": "Asia/Shanghai", "min_doc_count": 0,
                               "extended_bounds": {"min": _millis(p.start), "max": _millis(p.end) - 1}},
            "aggs": {"negative": {"filter": NEGATIVE}, "analyzed": {"filter": ANALYZED}}}


def mention_figures(store: Store, p: Period, *, hot_words: int) -> tuple[list[TrendBucket], list[tuple[str, int]]]:
    """The trend buckets and the hot words of the period, in one search."""
    bounds = {"gte": iso(p.start), "lt": iso(p.end)}
    aggs = {
        "dated": {"filter": {"range": {"published_at": bounds}}, "aggs": {"t": _histogram("published_at", p)}},
        "undated": {"filter": {"bool": {"must_not": {"exists": {"field": "published_at"}},
                                        "filter": {"range": {"crawled_at": bounds}}}},
                    "aggs": {"t": _histogram("crawled_at", p)}},
        "words": {"filter": mention_window(p.start, p.end),
                  "aggs": {"w": {"terms": {"field": "keywords", "size": hot_words}}}},
    }
    a = store.search("mentions", size=0, aggs=aggs, track_total_hits=False)["aggregations"]
    counts: dict[int, list[int]] = {}
    for part in ("dated", "undated"):
        for b in a[part]["t"]["buckets"]:
            row = counts.setdefault(int(b["key"]), [0, 0, 0])
            row[0] += int(b["doc_count"])
            row[1] += int(b["negative"]["doc_count"])
            row[2] += int(b["analyzed"]["doc_count"])
    lo, hi = _millis(p.start), _millis(p.end)
    trend = [TrendBucket(dt.datetime.fromtimestamp(k / 1000, TZ), *v) for k, v in sorted(counts.items())
             if lo <= k < hi]
    words = [(str(b["key"]), int(b["doc_count"])) for b in a["words"]["w"]["buckets"]]
    return trend, words


@dataclasses.dataclass(frozen=True)
class IncidentFigures:
    total: int
    by_place: list[tuple[str, int]]  # place code, incidents
    by_priority: list[tuple[str, int]]  # priority id, incidents
    by_level: list[tuple[str, int]]  # severity level, incidents


def incident_figures(store: Store, p: Period, *, places: int) -> IncidentFigures:
    """Incidents active in the period (first seen before its end, last seen after its start, not dismissed)."""
    query = {"bool": {"filter": [{"range": {"first_seen_at": {"lt": iso(p.end)}}},
                                 {"range": {"last_seen_at": {"gte": iso(p.start)}}}],
                      "must_not": [{"terms": {"state": list(UNCOUNTED_STATES)}}]}}
    aggs = {"place": {"terms": {"field": "place_codes", "size": places}},
            "priority": {"terms": {"field": "priorities", "size": 100}},
            "level": {"terms": {"field": "severity.level", "size": 10, "order": {"_key": "asc"}}}}
    resp = store.search("incidents", query=query, size=0, aggs=aggs)
    a = resp["aggregations"]

    def pairs(name: str) -> list[tuple[str, int]]:
        return [(str(b["key"]), int(b["doc_count"])) for b in a[name]["buckets"]]

    return IncidentFigures(total=int(resp["hits"]["total"]["value"]), by_place=pairs("place"),
                           by_priority=pairs("priority"), by_level=pairs("level"))


@dataclasses.dataclass(frozen=True)
class HotEntry:
    source_id: str
    key: str
    title: str
    url: str | None
    rank: int
    heat: int | None
    relevant: bool
    terms: list[str]
    history: list[tuple[dt.datetime, int]]  # (hour, best rank in it), oldest first


@dataclasses.dataclass(frozen=True)
class HotList:
    source_id: str
    at: dt.datetime  # the latest crawl
    entries: list[HotEntry]


def hotlists(store: Store, *, now: dt.datetime, history: dt.timedelta, entries: int) -> list[HotList]:
    """Each hot-list source's latest crawl within ``history`` (up to ``now``): its entries by rank, each
    with its rank history (best rank per hour over ``history``)."""
    window = {"range": {"at": {"gte": iso(now - history), "lte": iso(now)}}}
    latest = store.search("hotlist", query=window, size=0, track_total_hits=False,
                          aggs={"s": {"terms": {"field": "source_id", "size": 50},
                                      "aggs": {"at": {"max": {"field": "at"}}}}})["aggregations"]["s"]["buckets"]
    millis = {str(b["key"]): int(b["at"]["value"]) for b in latest if b["at"]["value"] is not None}
    crawls = {s: dt.datetime.fromtimestamp(ms / 1000, TZ) for s, ms in millis.items()}
    if not crawls:
        return []
    current = {"bool": {"should": [
        {"bool": {"filter": [{"term": {"source_id": s}},
                             {"range": {"at": {"gte": ms, "lte": ms, "format": "epoch_millis"}}}]}}
        for s, ms in millis.items()], "minimum_should_match": 1}}
    hits = store.search("hotlist", query=current, size=len(crawls) * entries * 2, track_total_hits=False,
                        sort=[{"source_id": "asc"}, {"rank": "asc"}])["hits"]["hits"]
    docs: dict[str, list[dict[str, Any]]] = {}
    for h in hits:
        doc = h["_source"]
        rows = docs.setdefault(doc["source_id"], [])
        if len(rows) < entries:
            rows.append(doc)
    keys = sorted({d["key"] for rows in docs.values() for d in rows})
    hist_aggs = {"s": {"terms": {"field": "source_id", "size": 50}, "aggs": {
        "k": {"terms": {"field": "key", "size": max(1, len(keys))}, "aggs": {
            "h": {"date_histogram": {"field": "at", "fixed_interval": "1h", "time_zone": "Asia/Shanghai",
                                     "min_doc_count": 1}, "aggs": {"best": {"min": {"field": "rank"}}}}}}}}}
    hist_query = {"bool": {"filter": [window, {"terms": {"key": keys}}, {"terms": {"source_id": list(crawls)}}]}}
    agg = store.search("hotlist", query=hist_query, size=0, aggs=hist_aggs, track_total_hits=False)["aggregations"]
    history_of: dict[tuple[str, str], list[tuple[dt.datetime, int]]] = {}
    for s in agg["s"]["buckets"]:
        for k in s["k"]["buckets"]:
            history_of[(str(s["key"]), str(k["key"]))] = [
                (dt.datetime.fromtimestamp(b["key"] / 1000, TZ), int(b["best"]["value"])) for b in k["h"]["buckets"]]
    return [HotList(source_id=s, at=crawls[s], entries=[
        HotEntry(source_id=s, key=d["key"], title=d.get("title", ""), url=d.get("url"), rank=int(d["rank"]),
                 heat=d.get("heat"), relevant=bool(d.get("relevant")), terms=list(d.get("terms") or []),
                 history=history_of.get((s, d["key"]), []))
        for d in docs.get(s, [])]) for s in sorted(crawls)]


@dataclasses.dataclass(frozen=True)
class Overview:
    period: Period
    trend: list[TrendBucket]
    words: list[tuple[str, int]]
    incidents: IncidentFigures
    hotlists: list[HotList]

    @property
    def mentions(self) -> int:
        return sum(b.mentions for b in self.trend)

    @property
    def negative_share(self) -> float:
        analyzed = sum(b.analyzed for b in self.trend)
        return round(sum(b.negative for b in self.trend) / analyzed, 4) if analyzed else 0.0


def overview(store: Store, config: Config, *, days: int, now: dt.datetime, pool: Any = None) -> Overview:
    """Every figure of the overview page; the three independent searches run side by side on ``pool``."""
    settings = config.console.overview
    p = period(days, now=now)

    def run(fn: Any, *args: Any, **kwargs: Any) -> Any:
        return pool.submit(fn, *args, **kwargs) if pool is not None else _Done(fn(*args, **kwargs))

    mentions = run(mention_figures, store, p, hot_words=settings.hot_words)
    incidents = run(incident_figures, store, p, places=settings.places)
    hot = run(hotlists, store, now=now, history=settings.hotlist_history.as_timedelta(),
              entries=settings.hotlist_entries)
    trend, words = mentions.result()
    return Overview(period=p, trend=trend, words=words, incidents=incidents.result(), hotlists=hot.result())


class _Done:
    def __init__(self, value: Any) -> None:
        self.value = value

    def result(self) -> Any:
        return self.value


# -- chart coordinates (inline SVG) ----------------------------------------------------------------------


def bar_rows(pairs: list[tuple[str, int]], *, width: int = 360, label_width: int = 110,
             row: int = 24) -> dict[str, Any]:
    """Horizontal bars: one row per (label, value), the longest bar filling the width after the labels."""
    top = max((v for _, v in pairs), default=0) or 1
    room = width - label_width - 40
    rows = [{"y": i * row, "label": label, "value": value, "w": round(room * value / top, 1),
             "x": label_width, "text_y": i * row + row * 0.68}
            for i, (label, value) in enumerate(pairs)]
    return {"rows": rows, "width": width, "height": max(row, len(rows) * row), "label_width": label_width,
            "row": row, "bar": row - 8}


def trend_chart(trend: list[TrendBucket], *, hourly: bool, width: int = 360, height: int = 200) -> dict[str, Any]:
    """Mention bars (left scale) and the negative-share line (0–100 %) over the buckets."""
    left, right, top_pad, bottom = 34, 34, 10, 34
    plot_w, plot_h = width - left - right, height - top_pad - bottom
    top = max((b.mentions for b in trend), default=0) or 1
    n = max(1, len(trend))
    step = plot_w / n
    fmt = "%H时" if hourly else "%m-%d"
    bars, coords = [], []
    for i, b in enumerate(trend):
        h = plot_h * b.mentions / top
        x = left + i * step
        bars.append({"x": round(x + step * 0.15, 1), "y": round(top_pad + plot_h - h, 1),
                     "w": round(max(step * 0.7, 1), 1), "h": round(h, 1),
                     "title": f"{b.start:%m-%d %H时}" if hourly else f"{b.start:%m-%d}",
                     "mentions": b.mentions, "share": b.negative_share})
        if b.analyzed:
            coords.append(f"{round(x + step / 2, 1)},{round(top_pad + plot_h * (1 - b.negative_share), 1)}")
    every = max(1, -(-n // 6))
    labels = [{"x": round(left + i * step + step / 2, 1), "text": b.start.strftime(fmt)}
              for i, b in enumerate(trend) if i % every == 0]
    return {"bars": bars, "line": " ".join(coords), "points": [c.split(",") for c in coords], "labels": labels,
            "width": width, "height": height, "left": left, "right": width - right, "top": top_pad,
            "base": top_pad + plot_h, "max": top, "label_y": height - bottom + 16}


def rank_line(history: list[tuple[dt.datetime, int]], *, start: dt.datetime, end: dt.datetime,
              width: int = 120, height: int = 28, worst: int = 20) -> dict[str, Any]:
    """A sparkline of an entry's rank from ``start`` to ``end`` (rank 1 at the top)."""
    seconds = (end - start).total_seconds() or 1
    bottom = max([worst, *(r for _, r in history)])
    points = []
    for at, rank in history:
        x = 3 + (width - 6) * max(0.0, min(1.0, (at - start).total_seconds() / seconds))
        y = 3 + (height - 6) * (rank - 1) / max(1, bottom - 1)
        points.append(f"{round(x, 1)},{round(y, 1)}")
    best = min((r for _, r in history), default=None)
    return {"points": " ".join(points), "dots": [p.split(",") for p in points], "width": width, "height": height,
            "best": best, "count": len(history), "ranks": " → ".join(str(r) for _, r in history[-6:])}


def history_start(lists: list[HotList], *, now: dt.datetime, span: dt.timedelta) -> dt.datetime:
    """Where the rank sparklines begin: the earliest hour any shown entry was seen (within ``span``)."""
    seen = [h[0][0] for hl in lists for e in hl.entries for h in [e.history] if h]
    return min([*seen, now]) if seen else now - span


def heat_zh(heat: int | None) -> str:
    if heat is None:
        return ""
    return f"{heat / 10000:.1f}万" if heat >= 10000 else str(heat)


# -- the spread path of an incident (computed by reports/spread.py) -------------------------------------------


def spread_view(context: Any, incident: Incident) -> dict[str, Any]:
    """The incident's spread path (computed once by :mod:`reports.spread`) and its graph's coordinates."""
    path = spread.spread(context.store, incident.id, names=Names.from_config(context.config))
    return {"path": path, "graph": spread.layout(path), "TIER_ZH": TIER_ZH}

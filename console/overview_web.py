"""Pages: 舆情概览 (overview: trends, hot words, incidents by place / priority / level, hot lists) and
单位统计 (office statistics, computed by :mod:`reports.stats`). The spread path on the incident page
is drawn from :mod:`reports.spread` through :func:`console.overview.spread_view`.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import HTMLResponse

from console import overview as ov
from console.auth import User
from console.context import ctx, page_user
from console.web import render
from reports import stats
from reports.data import Names, day_bounds
from reports.text import hours
from yuqing.clock import TZ
from yuqing.models import SEVERITY_ZH

router = APIRouter(include_in_schema=False)
PageUser = Annotated[User, Depends(page_user)]


@router.get("/overview", response_class=HTMLResponse)
def overview_page(request: Request, user: PageUser, days: int | None = None) -> HTMLResponse:
    context = ctx(request)
    settings = context.config.console.overview
    chosen = settings.days if days is None else days
    if not 0 <= chosen <= settings.max_days:
        raise HTTPException(status_code=422, detail=f"统计天数须在0至{settings.max_days}之间")
    now = context.clock()
    data = ov.overview(context.store, context.config, days=chosen, now=now, pool=context.pool)
    names = Names.from_config(context.config)
    span = settings.hotlist_history.as_timedelta()
    incidents = data.incidents
    return render(
        request, "overview.html", data=data, days=chosen, choices=sorted({*settings.day_choices, chosen}),
        trend=ov.trend_chart(data.trend, hourly=data.period.hourly),
        words=ov.bar_rows(data.words[:15]), all_words=data.words,
        places=ov.bar_rows([(context.place_name(c), n) for c, n in incidents.by_place]),
        priorities=ov.bar_rows([(context.priority_name(p), n) for p, n in incidents.by_priority]),
        levels=ov.bar_rows([(f"{level}级 {SEVERITY_ZH.get(level, '')}", n) for level, n in incidents.by_level]),
        source_name=names.source, hotlists=data.hotlists, heat_zh=ov.heat_zh,
        rank_line=lambda h: ov.rank_line(h, start=ov.history_start(data.hotlists, now=now, span=span), end=now),
        history_hours=int(span.total_seconds() // 3600),
    )


# -- office statistics --------------------------------------------------------------------------------


def _date(value: str, default: dt.date, field: str) -> dt.date:
    if not value.strip():
        return default
    try:
        return dt.date.fromisoformat(value.strip())
    except ValueError as exc:
        raise HTTPException(status_code=422, detail=f"{field}日期格式无效：{value[:20]}") from exc


@router.get("/stats", response_class=HTMLResponse)
def office_stats_page(request: Request, user: PageUser, start: str = "", end: str = "") -> HTMLResponse:
    """Per office: clocks met / late / missed, time to first response (median, p90), acknowledgement,
    assessments. Office staff see their own office's row only."""
    context = ctx(request)
    now = context.clock()
    today = now.astimezone(TZ).date()
    last = _date(end, today, "截止")
    first = _date(start, last - dt.timedelta(days=29), "起始")
    if (last - first).days > 366:
        raise HTTPException(status_code=422, detail="统计期不能超过一年")
    if last < first:
        raise HTTPException(status_code=422, detail="截止日期早于起始日期")
    # The figures of `yuqing report stats` (reports/stats.py), without drawing the report's charts.
    rows = stats.office_rows(stats.office_frame(context.store, day_bounds(first)[0], day_bounds(last)[1], now))
    if not user.sees_everything:
        rows = [r for r in rows if r["office"] == user.office]
    return render(request, "office_stats.html", rows=rows, first=first, last=last,
                  rates=ov.bar_rows([(context.office_name(r["office"]) if r["office"] else "未指定", round(
                      r["on_time_rate"] * 100)) for r in rows if r["clocks"] - r["open"]], label_width=150),
                  hours=hours)




"""Mentions in the console: search and stream, a mention's page, fixing the grouping (open an
incident from a mention, attach it to one, merge and split incidents), and Excel exports — pages
and the JSON API.

Who may do what (enforced here, on the server, for pages and API alike):

- search, stream, a mention's page and the exports: every signed-in user; office staff only over
  the mentions and incidents their office may see (``console.auth.office_query``);
- open / attach / merge / split (``regroup``): duty officers and administrators only — grouping
  decides which incident, and so which office and deadlines, a report belongs to, which is the duty
  desk's call, never the office that would answer it. Leaders read.

Every POST checks the CSRF token; every change is audited by :mod:`console.grouping`.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, Field

from console import export, grouping, mentions, queries
from console.auth import User, can_view
from console.context import api_user, check_csrf, ctx, flash, incident_for, page_user
from console.web import render
from yuqing.errors import InputError, TransitionError
from yuqing.models import EMOTION_ZH, TIER_ZH, Incident, Mention

log = logging.getLogger(__name__)
router = APIRouter(include_in_schema=False)
api_router = APIRouter(prefix="/api", tags=["mentions"])
PageUser = Annotated[User, Depends(page_user)]
ApiUser = Annotated[User, Depends(api_user)]
Filter = Annotated[mentions.MentionFilter, Depends(mentions.mention_filter)]
STREAM_REFRESH_SECONDS = 60


def _queue_filter(severity: str = "", priority: str = "", place: str = "", office: str = "", state: str = "open",
                  q: str = "", sort: str = "urgent") -> queries.QueueFilter:
    return queries.QueueFilter(severity=severity, priority=priority, place=place, office=office,
                               state=state or "open", q=q.strip()[:100], sort=sort)


QueueFilter = Annotated[queries.QueueFilter, Depends(_queue_filter)]


def require_regroup(user: User) -> None:
    if not user.may("regroup"):
        raise HTTPException(status_code=403, detail="仅值班员和管理员可调整事件归并")


def _status(exc: Exception) -> int:
    if isinstance(exc, grouping.NotFound):
        return 404
    if isinstance(exc, TransitionError):
        return 409
    return 422


def _mention_for(request: Request, user: User, mention_id: str) -> dict[str, Any]:
    store = ctx(request).store
    doc = store.get("mentions", mention_id)
    if doc is None:
        raise HTTPException(status_code=404, detail="未找到该信息")
    if not mentions.may_see_mention(store, user, doc):
        raise HTTPException(status_code=403, detail="无权查看该信息（不属于本单位的事件）")
    return doc


def _names(request: Request) -> dict[str, Any]:
    context = ctx(request)
    sources = {s.id: s.name for s in context.config.sources.sources}
    return {"source_name": lambda sid: sources.get(sid, sid), "place_name": context.place_name,
            "priority_name": context.priority_name, "office_name": context.office_name}


# -- pages -----------------------------------------------------------------------------------------


@router.get("/mentions", response_class=HTMLResponse)
def mentions_page(request: Request, user: PageUser, f: Filter) -> HTMLResponse:
    context = ctx(request)
    error = ""
    try:
        result = mentions.search_mentions(context.store, user, f)
    except InputError as exc:
        error, result = str(exc), mentions.MentionPage([], 0, 1, 1)
    stream = not f.words and f.page == 1 and f.sort_key in ("newest", "collected")

    def page_url(**override: Any) -> str:
        return "/mentions?" + urlencode(f.params(**override))

    extra = {"refresh_seconds": STREAM_REFRESH_SECONDS} if stream and not error else {}
    return render(request, "mentions.html", status_code=422 if error else 200, f=f, result=result, error=error,
                  page_url=page_url, stream=stream, sources=context.config.sources.sources,
                  export_url="/export/mentions.xlsx?" + urlencode(f.params(page=1)),
                  SENTIMENT_ZH=export.SENTIMENT_ZH, **_names(request), **extra)


@router.get("/mentions/{mention_id}", response_class=HTMLResponse)
def mention_page(request: Request, user: PageUser, mention_id: str) -> HTMLResponse:
    context = ctx(request)
    doc = _mention_for(request, user, mention_id)
    mention = Mention.from_doc(doc)
    incident = queries.get_incident(context.store, mention.incident_id) if mention.incident_id else None
    related = [Mention.from_doc(d) for d in context.store.find(
        "mentions", {"bool": {"should": [{"term": {"reprint_of": mention.id}},
                                         *([{"ids": {"values": [mention.reprint_of]}}] if mention.reprint_of else [])],
                              "minimum_should_match": 1}}, size=50, sort=[{"crawled_at": "asc"}])]
    related = [m for m in related if m.id != mention.id]
    candidates = grouping.attach_candidates(context.store, doc) if user.may("regroup") else []
    return render(request, "mention.html", m=mention, inc=incident, related=related, candidates=candidates,
                  may_regroup=user.may("regroup") and (incident is None or incident.state in queries.OPEN_STATES),
                  may_view_incident=incident is not None and can_view(user, incident),
                  SENTIMENT_ZH=export.SENTIMENT_ZH, **_names(request))


def _back(target: str) -> RedirectResponse:
    return RedirectResponse(target, status_code=303)


@router.post("/mentions/{mention_id}/open-incident")
def open_incident_form(request: Request, user: PageUser, mention_id: str, csrf_token: str = Form(""),
                       reason: str = Form("")) -> Response:
    check_csrf(request, csrf_token)
    require_regroup(user)
    context = ctx(request)
    try:
        result = grouping.open_incident(context.store, context.config, mention_id, actor=user.name,
                                        now=context.clock(), reason=reason.strip()[:500])
    except (grouping.NotFound, TransitionError, InputError) as exc:
        flash(request, "error", f"新建事件未完成：{exc}")
        return _back(f"/mentions/{mention_id}")
    flash(request, "ok", result.message)
    return _back(f"/incidents/{result.incident_id}")


@router.post("/mentions/{mention_id}/attach")
def attach_form(request: Request, user: PageUser, mention_id: str, csrf_token: str = Form(""),
                incident_id: str = Form(""), reason: str = Form("")) -> Response:
    check_csrf(request, csrf_token)
    require_regroup(user)
    context = ctx(request)
    try:
        if not incident_id.strip():
            raise InputError("请选择要归入的事件")
        result = grouping.attach_mention(context.store, context.config, mention_id, incident_id.strip(),
                                         actor=user.name, now=context.clock(), reason=reason.strip()[:500])
    except (grouping.NotFound, TransitionError, InputError) as exc:
        flash(request, "error", f"归入事件未完成：{exc}")
        return _back(f"/mentions/{mention_id}")
    flash(request, "ok", result.message)
    return _back(f"/incidents/{result.incident_id}")


@router.get("/incidents/{incident_id}/grouping", response_class=HTMLResponse)
def grouping_page(request: Request, user: PageUser, incident_id: str) -> HTMLResponse:
    incident = incident_for(request, user, incident_id)
    require_regroup(user)
    context = ctx(request)
    detail = queries.incident_detail(context.store, incident, mention_limit=500)
    candidates = grouping.merge_candidates(context.store, incident)
    return render(request, "grouping.html", inc=incident, d=detail, candidates=candidates,
                  is_open=incident.state in queries.OPEN_STATES, **_names(request))


@router.post("/incidents/{incident_id}/split")
async def split_form(request: Request, user: PageUser, incident_id: str) -> Response:
    form = await request.form()
    check_csrf(request, str(form.get("csrf_token", "")))
    require_regroup(user)
    context = ctx(request)
    chosen = [str(v) for v in form.getlist("mention_id")]
    try:
        result = grouping.split_incident(context.store, context.config, incident_id, chosen, actor=user.name,
                                         now=context.clock(), reason=str(form.get("reason", "")).strip()[:500])
    except (grouping.NotFound, TransitionError, InputError) as exc:
        flash(request, "error", f"拆分未完成：{exc}")
        return _back(f"/incidents/{incident_id}/grouping")
    flash(request, "ok", result.message)
    return _back(f"/incidents/{result.incident_id}")


@router.post("/incidents/{incident_id}/merge")
def merge_form(request: Request, user: PageUser, incident_id: str, csrf_token: str = Form(""),
               other: str = Form(""), reason: str = Form("")) -> Response:
    check_csrf(request, csrf_token)
    require_regroup(user)
    context = ctx(request)
    try:
        if not other.strip():
            raise InputError("请选择要合并的事件")
        result = grouping.merge_incidents(context.store, context.config, incident_id, other.strip(),
                                          actor=user.name, now=context.clock(), reason=reason.strip()[:500])
    except (grouping.NotFound, TransitionError, InputError) as exc:
        flash(request, "error", f"合并未完成：{exc}")
        return _back(f"/incidents/{incident_id}/grouping")
    flash(request, "ok", result.message)
    return _back(f"/incidents/{result.incident_id}")


# -- exports ---------------------------------------------------------------------------------------


def _stamp(now: dt.datetime) -> str:
    return now.strftime("%Y%m%d-%H%M")


def _xlsx(content: bytes, name: str) -> Response:
    return Response(content, media_type=export.XLSX_MEDIA_TYPE,
                    headers={"content-disposition": f'attachment; filename="{name}"'})


def mentions_xlsx(request: Request, user: User, f: mentions.MentionFilter) -> Response:
    context = ctx(request)
    try:
        found, total = mentions.export_mentions(context.store, user, f)
    except InputError as exc:
        raise HTTPException(status_code=422, detail=str(exc)) from exc
    titles = queries.incident_titles(context.store, [m.incident_id for m in found if m.incident_id])
    names = _names(request)
    rows = export.mention_rows(found, source_name=names["source_name"], place_name=names["place_name"],
                               priority_name=names["priority_name"],
                               incident_title=lambda iid: titles.get(iid or "", ""))
    note = f"共 {total} 条，仅导出前 {len(found)} 条" if total > len(found) else ""
    content = export.workbook("舆情信息", export.MENTION_HEADERS, rows,
                              widths=(40, 14, 14, 10, 17, 17, 8, 8, 20, 12, 30, 40, 80), note=note)
    log.info("console: %s exported %d mentions", user.name, len(found))
    return _xlsx(content, f"mentions-{_stamp(context.clock())}.xlsx")


def incidents_xlsx(request: Request, user: User, f: queries.QueueFilter) -> Response:
    context = ctx(request)
    resp = context.store.search("incidents", query=queries.incident_query(user, f), size=mentions.EXPORT_LIMIT,
                                sort=queries.SORTS.get(f.sort, queries.SORTS["urgent"]),
                                source={"excludes": ["trend", "casualties", "severity.history", "severity.figures"]})
    found = [Incident.from_doc(h["_source"]) for h in resp["hits"]["hits"]]
    total = int(resp["hits"]["total"]["value"])
    due: dict[str, dt.datetime] = {}
    ids = [i.id for i in found]
    for start in range(0, len(ids), 1000):
        for iid, clocks in queries.owed_clocks_for(context.store, ids[start:start + 1000]).items():
            if clocks:
                due[iid] = clocks[0].due_at
    names = _names(request)
    rows = export.incident_rows(found, office_name=names["office_name"], place_name=names["place_name"],
                                priority_name=names["priority_name"], next_due=due.get)
    note = f"共 {total} 件，仅导出前 {len(found)} 件" if total > len(found) else ""
    content = export.workbook("舆情事件", export.INCIDENT_HEADERS, rows,
                              widths=(42, 40, 12, 8, 20, 14, 18, 17, 17, 8, 8, 8, 17, 14), note=note)
    log.info("console: %s exported %d incidents", user.name, len(found))
    return _xlsx(content, f"incidents-{_stamp(context.clock())}.xlsx")


@router.get("/export/mentions.xlsx")
def export_mentions_page(request: Request, user: PageUser, f: Filter) -> Response:
    return mentions_xlsx(request, user, f)


@router.get("/export/incidents.xlsx")
def export_incidents_page(request: Request, user: PageUser, f: QueueFilter) -> Response:
    return incidents_xlsx(request, user, f)


# -- JSON API --------------------------------------------------------------------------------------


class MentionHitOut(BaseModel):
    mention: Mention
    title_html: str = Field(description="the title, HTML-escaped, with <mark> around the query's words")
    fragments_html: list[str] = Field(description="passages of the text, HTML-escaped, with <mark>")
    incident_title: str | None = None
    incident_state: str | None = None


class MentionPageOut(BaseModel):
    total: int
    page: int
    pages: int
    items: list[MentionHitOut]


class MentionOut(BaseModel):
    mention: Mention
    incident: Incident | None


class ReasonIn(BaseModel):
    reason: str = Field("", max_length=500)


class AttachIn(ReasonIn):
    incident_id: str = Field(..., min_length=1, max_length=100)


class MergeIn(ReasonIn):
    other: str = Field(..., min_length=1, max_length=100, description="the other incident's id")


class SplitIn(ReasonIn):
    mention_ids: list[str] = Field(..., min_length=1, max_length=grouping.MAX_MOVE)


class GroupingOut(BaseModel):
    incident_id: str = Field(description="where the mentions are now: the new incident, the target or the survivor")
    moved: list[str]
    changed: bool = Field(description="false when the request had already been carried out")
    message: str
    absorbed: str | None = None


@api_router.get("/mentions", response_model=MentionPageOut,
                summary="Search mentions (words, time, source, tier, priority, place, sentiment, emotion); "
                        "without words: the stream, newest first")
def api_mentions(request: Request, user: ApiUser, f: Filter,
                 size: int = Query(mentions.PAGE_SIZE, ge=1, le=100)) -> MentionPageOut:
    try:
        result = mentions.search_mentions(ctx(request).store, user, f, page_size=size)
    except InputError as exc:
        raise HTTPException(status_code=422, detail=str(exc)) from exc
    return MentionPageOut(total=result.total, page=result.page, pages=result.pages, items=[
        MentionHitOut(mention=h.mention, title_html=str(h.title_html), fragments_html=[str(x) for x in h.fragments],
                      incident_title=h.incident_title, incident_state=h.incident_state) for h in result.hits])


@api_router.get("/mentions/{mention_id}", response_model=MentionOut)
def api_mention(request: Request, user: ApiUser, mention_id: str) -> MentionOut:
    mention = Mention.from_doc(_mention_for(request, user, mention_id))
    incident = queries.get_incident(ctx(request).store, mention.incident_id) if mention.incident_id else None
    return MentionOut(mention=mention, incident=incident)


def _run(request: Request, user: User, call: Any) -> GroupingOut:
    check_csrf(request, None)
    require_regroup(user)
    context = ctx(request)
    try:
        result = call(context, user)
    except (grouping.NotFound, TransitionError, InputError) as exc:
        raise HTTPException(status_code=_status(exc), detail=str(exc)) from exc
    return GroupingOut(incident_id=result.incident_id, moved=result.moved, changed=result.changed,
                       message=result.message, absorbed=result.absorbed)


@api_router.post("/mentions/{mention_id}/open-incident", response_model=GroupingOut,
                 summary="Open a new incident from a mention (duty desk; send X-CSRF-Token)")
def api_open_incident(request: Request, user: ApiUser, mention_id: str, body: ReasonIn | None = None) -> GroupingOut:
    reason = (body.reason if body else "").strip()
    return _run(request, user, lambda c, u: grouping.open_incident(c.store, c.config, mention_id, actor=u.name,
                                                                   now=c.clock(), reason=reason))


@api_router.post("/mentions/{mention_id}/attach", response_model=GroupingOut,
                 summary="Attach a mention to an open incident (duty desk; send X-CSRF-Token)")
def api_attach(request: Request, user: ApiUser, mention_id: str, body: AttachIn) -> GroupingOut:
    return _run(request, user, lambda c, u: grouping.attach_mention(
        c.store, c.config, mention_id, body.incident_id, actor=u.name, now=c.clock(), reason=body.reason.strip()))


@api_router.post("/incidents/{incident_id}/merge", response_model=GroupingOut,
                 summary="Merge two open incidents; the earlier one survives (duty desk; send X-CSRF-Token)")
def api_merge(request: Request, user: ApiUser, incident_id: str, body: MergeIn) -> GroupingOut:
    return _run(request, user, lambda c, u: grouping.merge_incidents(
        c.store, c.config, incident_id, body.other, actor=u.name, now=c.clock(), reason=body.reason.strip()))


@api_router.post("/incidents/{incident_id}/split", response_model=GroupingOut,
                 summary="Split mentions out of an open incident into a new one (duty desk; send X-CSRF-Token)")
def api_split(request: Request, user: ApiUser, incident_id: str, body: SplitIn) -> GroupingOut:
    return _run(request, user, lambda c, u: grouping.split_incident(
        c.store, c.config, incident_id, body.mention_ids, actor=u.name, now=c.clock(), reason=body.reason.strip()))


@api_router.get("/export/mentions.xlsx", summary="A mention search as an Excel file (same filters as /api/mentions)")
def api_export_mentions(request: Request, user: ApiUser, f: Filter) -> Response:
    return mentions_xlsx(request, user, f)


@api_router.get("/export/incidents.xlsx", summary="The incident list as an Excel file (same filters as /api/incidents)")
def api_export_incidents(request: Request, user: ApiUser, f: QueueFilter) -> Response:
    return incidents_xlsx(request, user, f)


def register(app: Any) -> None:
    """Add these routes to the console app (one line in ``console.app``)."""
    app.include_router(api_router)
    app.include_router(router)


__all__ = ["EMOTION_ZH", "TIER_ZH", "register", "router"]

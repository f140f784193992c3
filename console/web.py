"""The HTML pages: queue, incident detail, office view, reports, sign-in; and the form actions.

Pages are rendered server-side with Jinja2 (autoescape on; crawled text is never marked safe).
Every POST checks the CSRF token; every incident page and action checks the user's office.
"""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response

from console import actions, queries
from console.auth import ROLE_ZH, User, can_act, owner_office
from console.context import (
    Context,
    SignInRefused,
    check_csrf,
    csrf_token,
    ctx,
    delivery_for,
    flash,
    incident_for,
    page_user,
    pop_flash,
    recent_acks,
    remember_acks,
    report_file_for,
    session_user_or_none,
    sign_in,
    sign_out,
)
from console.overview import spread_view
from response.releases import missing_parts
from yuqing import labels
from yuqing.clock import TZ, iso, parse_ts
from yuqing.config.releases import CONTENT_PART_ZH
from yuqing.errors import InputError, StorageUnavailable, TransitionError
from yuqing.handling import handling_kind
from yuqing.models import (
    CLOCK_STATE_ZH,
    EMOTION_ZH,
    HANDLING_ZH,
    RELEASE_STATUS_ZH,
    REVIEW_NOT_RECORDED_ZH,
    SEVERITY_ZH,
    STATE_ZH,
    TIER_ZH,
    Incident,
    ReviewStep,
)

log = logging.getLogger(__name__)
router = APIRouter(include_in_schema=False)
PageUser = Annotated[User, Depends(page_user)]
QUEUE_REFRESH_SECONDS = 60  # the live queue reloads itself this often


def render(request: Request, template: str, status_code: int = 200, **values: Any) -> HTMLResponse:
    context = ctx(request)
    env = request.app.state.templates
    now = context.clock()
    html = env.get_template(template).render(
        request=request, ctx=context, user=session_user_or_none(request), now=now, now_iso=iso(now),
        csrf=csrf_token(request), flashes=pop_flash(request), SEVERITY_ZH=SEVERITY_ZH, STATE_ZH=STATE_ZH,
        CLOCK_STATE_ZH=CLOCK_STATE_ZH, HANDLING_ZH=HANDLING_ZH, EMOTION_ZH=EMOTION_ZH, TIER_ZH=TIER_ZH, ROLE_ZH=ROLE_ZH,
        ACTIONS_ZH=actions.ACTIONS_ZH, AUDIT_ACTIONS_ZH=actions.AUDIT_ACTIONS_ZH, CHANNELS_ZH=actions.CHANNELS_ZH,
        REVIEW_STEPS_ZH=actions.REVIEW_STEPS_ZH,
        remaining=queries.remaining, urgency=queries.urgency, **values,
    )
    return HTMLResponse(html, status_code=status_code)


def _safe_next(target: str | None) -> str:
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


# -- sign-in ---------------------------------------------------------------------------------------


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, next: str = "/") -> HTMLResponse:
    return render(request, "login.html", next_url=_safe_next(next), error="")


@router.post("/login")
def login(request: Request, name: str = Form(""), password: str = Form(""), csrf_token: str = Form(""),
          next: str = Form("/")) -> Response:
    check_csrf(request, csrf_token)
    try:
        sign_in(request, name, password)
    except SignInRefused as refused:
        page = render(request, "login.html", status_code=refused.status, next_url=_safe_next(next),
                      error=refused.message)
        if refused.retry_after:
            page.headers["Retry-After"] = str(refused.retry_after)
        return page
    return RedirectResponse(_safe_next(next), status_code=303)


@router.post("/logout")
def logout(request: Request, csrf_token: str = Form("")) -> Response:
    check_csrf(request, csrf_token)
    sign_out(request)
    return RedirectResponse("/login", status_code=303)


# -- queue -----------------------------------------------------------------------------------------


def _filter(severity: str = "", priority: str = "", place: str = "", office: str = "", state: str = "open",
            q: str = "", sort: str = "urgent", page: int = 1) -> queries.QueueFilter:
    return queries.QueueFilter(severity=severity, priority=priority, place=place, office=office,
                               state=state or "open", q=q.strip()[:100], sort=sort, page=page)


@router.get("/", response_class=HTMLResponse)
def queue_page(request: Request, user: PageUser,
               f: Annotated[queries.QueueFilter, Depends(_filter)]) -> HTMLResponse:
    context = ctx(request)
    # The side panels do not depend on the queue: fetch them while the queue query runs.
    clocks_job = context.pool.submit(queries.due_clocks_with_titles, context.store, user, size=10)
    deliveries_job = context.pool.submit(queries.delivery_groups, context.store, user, size=10,
                                         acked=recent_acks(request, now=context.clock()))
    result = queries.incident_queue(context.store, user, f)
    (clocks, titles), deliveries = clocks_job.result(), deliveries_job.result()

    def page_url(**override: Any) -> str:
        return "/?" + urlencode(f.params(**override))

    return render(request, "queue.html", f=f, result=result, clocks=clocks, titles=titles, deliveries=deliveries,
                  page_url=page_url, states=["open", "all", *STATE_ZH], refresh_seconds=QUEUE_REFRESH_SECONDS)


# -- incident detail -------------------------------------------------------------------------------



def timeline(detail: queries.IncidentDetail, context: Context | None = None) -> list[tuple[dt.datetime, str, str]]:
    """One chronological list of what happened: first seen, mentions, routing, actions, releases, clocks
    (people and sources by their Chinese names when ``context`` is given)."""
    inc = detail.incident
    person = context.person if context is not None else labels.actor

    def source(source_id: str) -> str:
        return labels.name("source", source_id, context.config) if context is not None else source_id

    items: list[tuple[dt.datetime, str, str]] = [(inc.first_seen_at, "发现", f"首次发现：{inc.title}")]
    for group in detail.groups:
        m = group.mention
        when = m.published_at or m.crawled_at
        extra = f"（转载 {len(group.reprints)} 次）" if group.reprints else ""
        items.append((when, "信息", f"{m.publisher or source(m.source_id)}：{m.title}{extra}"))
    if inc.routing:
        items.append((inc.routing.routed_at, "交办", inc.routing.reason_zh))
    for event in detail.audit:
        label = actions.AUDIT_ACTIONS_ZH.get(event.action, event.action)
        # a delivery's audit reason is its alert key (an internal id): not for reading
        reason = f"（{event.reason}）" if event.reason and event.entity != "delivery" else ""
        items.append((event.at, "操作", f"{person(event.actor)}：{label}{reason}"))
    for rel in detail.releases:
        status = "" if rel.status == "matched" else f"（{RELEASE_STATUS_ZH.get(rel.status, rel.status)}）"
        items.append((rel.published_at, "发布",
                      f"{actions.CHANNELS_ZH.get(rel.channel, rel.channel)}：{rel.title}{status}"))
    for clock in detail.clocks:
        if clock.met_at:
            items.append((clock.met_at, "时限", f"{clock.name_zh}：已按时完成"))
        if clock.missed_at:
            items.append((clock.missed_at, "时限", f"{clock.name_zh}：已超时"))
    items.sort(key=lambda item: item[0])
    return items


def trend_chart(incident: Incident, width: int = 640, height: int = 160) -> dict[str, Any]:
    """Coordinates for an inline SVG: mention bars and the negative-share line (numbers only)."""
    points = incident.trend[-48:]
    if not points:
        return {"bars": [], "line": "", "labels": [], "width": width, "height": height}
    top = max(p.mentions for p in points) or 1
    step = width / len(points)
    bars, coords = [], []
    for i, p in enumerate(points):
        h = (height - 20) * p.mentions / top
        bars.append({"x": round(i * step + 1, 1), "y": round(height - 20 - h, 1), "w": round(max(step - 2, 1), 1),
                     "h": round(h, 1), "title": f"{p.bucket.astimezone(TZ):%m-%d %H:%M} 信息 {p.mentions} 条，"
                                                f"负面占比 {p.negative_share:.0%}"})
        coords.append(f"{round(i * step + step / 2, 1)},{round((height - 20) * (1 - p.negative_share), 1)}")
    labels = [{"x": round(i * step, 1), "text": f"{p.bucket.astimezone(TZ):%m-%d %H时}"}
              for i, p in enumerate(points) if i % max(1, len(points) // 6) == 0]
    return {"bars": bars, "line": " ".join(coords), "labels": labels, "width": width, "height": height}


@router.get("/incidents/{incident_id}", response_class=HTMLResponse)
def incident_page(request: Request, user: PageUser, incident_id: str) -> HTMLResponse:
    incident = incident_for(request, user, incident_id)
    context = ctx(request)
    explain_job = context.pool.submit(queries.route_explanation, context.store, context.config, incident_id)
    spread_job = context.pool.submit(spread_view, context, incident)  # the spread path (reports/spread.py)
    detail = queries.incident_detail(context.store, incident, acked=recent_acks(request, now=context.clock()))
    explanation = explain_job.result()
    allowed = [a for a in actions.ACTIONS_ZH if can_act(user, incident, a) and actions.lifecycle_allows(incident, a)]
    now = context.clock()
    is_open = incident.state in queries.OPEN_STATES
    overdue = [c for c in detail.clocks if c.is_overdue(now)] if is_open else []
    handling, _ = handling_kind(incident)
    return render(request, "incident.html", d=detail, inc=incident, timeline=timeline(detail, context),
                  route_inputs=labels.route_inputs(incident.routing.inputs, context.config) if incident.routing else [],
                  may_decide=can_act(user, incident, "record_release"), release_kinds=context.config.releases.kinds,
                  kind_zh=context.config.releases.kind_zh, RELEASE_STATUS_ZH=RELEASE_STATUS_ZH,
                  PART_ZH=CONTENT_PART_ZH, REVIEW_NOT_RECORDED_ZH=REVIEW_NOT_RECORDED_ZH,
                  reviewers=lambda office: context.config.offices.office(office).reviewers
                  if office in {o.id for o in context.config.offices.offices} else {},
                  missing=missing_parts(context.config, handling, detail.releases),
                  requirement=context.config.releases.handling.get(handling) if handling else None,
                  handling_zh=HANDLING_ZH.get(handling or "", ""),
                  chart=trend_chart(incident), allowed=allowed, explanation=explanation, owner=owner_office(incident),
                  may_release=can_act(user, incident, "record_release")
                  and actions.lifecycle_allows(incident, "record_release"),
                  overdue=overdue, may_waive=is_open and can_act(user, incident, "waive_clock"),
                  spread=spread_job.result(),
                  open_deliveries=sum(1 for dl in detail.deliveries if dl.acknowledged_at is None
                                      and dl.state != "suppressed"
                                      and (user.sees_everything or dl.office == user.office)))


@router.post("/incidents/{incident_id}/clocks/{clock_id}/waive")
def clock_waive(request: Request, user: PageUser, incident_id: str, clock_id: str, csrf_token: str = Form(""),
                reason: str = Form("")) -> Response:
    check_csrf(request, csrf_token)
    incident = incident_for(request, user, incident_id)
    if not can_act(user, incident, "waive_clock"):
        raise HTTPException(status_code=403, detail="无权豁免时限")
    context = ctx(request)
    try:
        actions.waive_clock(context.store, incident_id, clock_id, actor=user.name, now=context.clock(),
                            reason=reason.strip()[:500])
    except (TransitionError, InputError) as exc:
        flash(request, "error", f"豁免未完成：{exc}")
    else:
        flash(request, "ok", "已豁免时限")
    return RedirectResponse(f"/incidents/{incident_id}", status_code=303)


@router.post("/incidents/{incident_id}/actions/{action}")
def incident_action(request: Request, user: PageUser, incident_id: str, action: str, csrf_token: str = Form(""),
                    reason: str = Form(""), office: str = Form("")) -> Response:
    check_csrf(request, csrf_token)
    if action not in actions.ACTIONS_ZH:
        raise HTTPException(status_code=404, detail="未知操作")
    incident = incident_for(request, user, incident_id)
    if not can_act(user, incident, action):
        raise HTTPException(status_code=403, detail="无权执行该操作")
    context = ctx(request)
    try:
        actions.apply_action(context.store, context.config, incident_id, action, actor=user.name,
                             now=context.clock(), reason=reason.strip()[:500], office=office or None)
    except (TransitionError, InputError) as exc:
        flash(request, "error", f"{actions.ACTIONS_ZH[action]}未完成：{exc}")
    else:
        flash(request, "ok", f"已{actions.ACTIONS_ZH[action]}")
    return RedirectResponse(f"/incidents/{incident_id}", status_code=303)


def parse_local_time(value: str, default: dt.datetime) -> dt.datetime:
    """A datetime-local form value (Shanghai wall time) or ISO-8601 with an offset."""
    if not value.strip():
        return default
    try:
        parsed = parse_ts(value.strip())
    except ValueError as exc:
        raise InputError(f"时间格式无效：{value}") from exc
    assert parsed is not None
    return parsed


def review_steps(form: dict[str, str], default: dt.datetime) -> list[ReviewStep]:
    """The review steps of a form: ``<step>`` (the reviewer) and ``<step>_at`` (their own time)."""
    steps = []
    for step in ("drafter", "office_head", "unit_head", "confidentiality"):
        name = (form.get(step) or "").strip()[:50]
        if not name:
            continue
        at_text = (form.get(f"{step}_at") or "").strip()
        if not at_text:
            raise InputError(f"请填写{actions.REVIEW_STEPS_ZH[step]}的审核时间")
        at = parse_local_time(at_text, default)
        steps.append(ReviewStep.model_validate({"step": step, "reviewer": name, "at": at}))
    return steps


@router.post("/incidents/{incident_id}/releases")
async def release_form(request: Request, user: PageUser, incident_id: str) -> Response:
    form = {k: str(v) for k, v in (await request.form()).items()}
    check_csrf(request, form.get("csrf_token", ""))
    incident = incident_for(request, user, incident_id)
    if not can_act(user, incident, "record_release"):
        raise HTTPException(status_code=403, detail="无权登记发布")
    context = ctx(request)
    now = context.clock()
    try:
        when = parse_local_time(form.get("published_at", ""), now)
        channel = form.get("channel", "")
        if channel not in actions.CHANNELS_ZH:
            raise InputError("请选择发布渠道")
        actions.record_release(context.store, context.config, incident_id, actor=user.name, now=now,
                               office=owner_office(incident) or user.office or "", channel=channel,
                               url=form.get("url", "").strip() or None, title=form.get("title", "").strip()[:200],
                               published_at=when, reviews=review_steps(form, when),
                               text=form.get("text", "").strip()[:10000], kind=form.get("kind") or None)
    except (TransitionError, InputError) as exc:
        flash(request, "error", f"登记发布未完成：{exc}")
    else:
        flash(request, "ok", "已登记发布")
    return RedirectResponse(f"/incidents/{incident_id}", status_code=303)


@router.post("/incidents/{incident_id}/releases/{release_id}/review")
async def review_form(request: Request, user: PageUser, incident_id: str, release_id: str) -> Response:
    form = {k: str(v) for k, v in (await request.form()).items()}
    check_csrf(request, form.get("csrf_token", ""))
    incident = incident_for(request, user, incident_id)
    if not can_act(user, incident, "record_release"):
        raise HTTPException(status_code=403, detail="无权登记审核")
    context = ctx(request)
    release = actions.release_of(context.store, incident, release_id)
    if release is None:
        raise HTTPException(status_code=404, detail="未找到该发布记录")
    now = context.clock()
    try:
        actions.record_review(context.store, context.config, release_id, actor=user.name, now=now,
                              reviews=review_steps(form, release.published_at))
    except InputError as exc:
        flash(request, "error", f"登记审核未完成：{exc}")
    else:
        flash(request, "ok", "已登记审核")
    return RedirectResponse(f"/incidents/{incident_id}", status_code=303)


@router.post("/incidents/{incident_id}/releases/{release_id}/{decision}")
def decision_form(request: Request, user: PageUser, incident_id: str, release_id: str, decision: str,
                  csrf_token: str = Form(""), reason: str = Form("")) -> Response:
    check_csrf(request, csrf_token)
    if decision not in ("confirm", "reject"):
        raise HTTPException(status_code=404, detail="未知操作")
    incident = incident_for(request, user, incident_id)
    if not can_act(user, incident, "record_release"):
        raise HTTPException(status_code=403, detail="无权处理该事件的发布")
    context = ctx(request)
    if actions.release_of(context.store, incident, release_id) is None:
        raise HTTPException(status_code=404, detail="未找到该发布记录")
    word = "确认" if decision == "confirm" else "否认"
    try:
        actions.decide_release(context.store, context.config, release_id, decision, actor=user.name,
                               now=context.clock(), reason=reason.strip()[:500])
    except (TransitionError, InputError) as exc:
        flash(request, "error", f"{word}未完成：{exc}")
    else:
        flash(request, "ok", f"已{word}该发布" + ("，相应时限已按发布时间完成" if decision == "confirm" else ""))
    return RedirectResponse(f"/incidents/{incident_id}", status_code=303)


@router.post("/deliveries/{delivery_id}/acknowledge")
def delivery_ack(request: Request, user: PageUser, delivery_id: str, csrf_token: str = Form(""),
                 next: str = Form("/")) -> Response:
    check_csrf(request, csrf_token)
    context = ctx(request)
    delivery_for(request, user, delivery_id)
    now = context.clock()
    try:
        actions.acknowledge_delivery(context.store, delivery_id, actor=user.name, now=now)
    except (TransitionError, InputError) as exc:
        flash(request, "error", f"确认未完成：{exc}")
    else:
        remember_acks(request, [delivery_id], now=now)  # the next page shows it done (no refresh waited for)
        flash(request, "ok", "已确认提醒")
    return RedirectResponse(_safe_next(next), status_code=303)


# -- office view -----------------------------------------------------------------------------------


@router.get("/office", response_class=HTMLResponse)
def office_page(request: Request, user: PageUser, office: str = "") -> HTMLResponse:
    context = ctx(request)
    if not user.sees_everything:
        if office and office != user.office:
            raise HTTPException(status_code=403, detail="无权查看其他单位")
        office = user.office or ""
    incidents = queries.office_incidents(context.store, office) if office else []
    clocks, titles = (queries.due_clocks_with_titles(context.store, user, office=office, size=100) if office
                      else ([], {}))
    owed = queries.owed_clocks_for(context.store, [i.id for i in incidents])
    return render(request, "office.html", office=office, incidents=incidents, clocks=clocks, owed=owed,
                  titles=titles)


# -- reports ---------------------------------------------------------------------------------------


@router.get("/reports", response_class=HTMLResponse)
def reports_page(request: Request, user: PageUser) -> HTMLResponse:
    reports, assessments = queries.reports_and_assessments(ctx(request).store, user)
    return render(request, "reports.html", reports=reports, assessments=assessments,
                  file_url=lambda path: report_file_url(ctx(request), path))


def report_file_url(context: Context, path: str) -> str | None:
    """The console URL of a file under the reports directory, or None when it lies elsewhere."""
    try:
        rel = Path(path).resolve().relative_to(context.reports_dir.resolve())
    except (ValueError, OSError):
        try:
            rel = (context.reports_dir / path).resolve().relative_to(context.reports_dir.resolve())
        except (ValueError, OSError):
            return None
    return "/reports/files/" + rel.as_posix()


@router.get("/reports/files/{path:path}")
def report_file(request: Request, user: PageUser, path: str) -> Response:
    target = report_file_for(request, user, path)  # 404 outside the reports directory, 403 another office's
    if target.suffix in (".md", ".txt", ".csv", ".json"):
        return FileResponse(target, media_type="text/plain; charset=utf-8")
    # Anything else (PDF, Word, HTML) is downloaded, never rendered as a page of this origin.
    return FileResponse(target, filename=target.name, content_disposition_type="attachment")


# -- mentions set aside after failing analysis (duty desk) ---------------------------------------------


@router.get("/mentions/failed", response_class=HTMLResponse)
def failed_mentions_page(request: Request, user: PageUser) -> HTMLResponse:
    from analysis.api import failed_mentions

    if not user.sees_everything:
        raise HTTPException(status_code=403, detail="仅值班员可查看分析失败的信息")
    context = ctx(request)
    return render(request, "failed_mentions.html", mentions=failed_mentions(context.store),
                  max_attempts=context.config.analysis.failures.max_attempts)


# -- sources ---------------------------------------------------------------------------------------


@router.get("/sources/{source_id}", response_class=HTMLResponse)
def source_page(request: Request, user: PageUser, source_id: str) -> HTMLResponse:
    """A source's configuration and its recent runs (the page 信息源 alerts link to)."""
    context = ctx(request)
    source = next((s for s in context.config.sources.sources if s.id == source_id), None)
    runs = queries.source_runs(context.store, source_id)
    if source is None and not runs:
        raise HTTPException(status_code=404, detail="未找到该信息源")
    return render(request, "source.html", source_id=source_id, source=source, runs=runs)


def storage_unavailable_page(request: Request, exc: StorageUnavailable) -> HTMLResponse:
    log.error("console: storage unavailable: %s", exc)
    return render(request, "error.html", status_code=503, title="服务暂不可用",
                  message="数据存储暂时无法访问，请稍后重试。")

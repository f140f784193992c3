"""The JSON API (described at ``/openapi.json``), behind the same sign-in, office and CSRF rules as the pages.

Sign in with ``POST /api/session`` (JSON name and password): the answer sets the session cookie and
returns the CSRF token, which every later POST sends in the ``X-CSRF-Token`` header. Responses are
data (``application/json``); clients must escape crawled text when they render it.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Query, Request, Response
from pydantic import BaseModel, Field

from console import actions, queries
from console.auth import User, can_act
from console.context import SignInRefused, api_user, check_csrf, csrf_token, ctx, delivery_for, incident_for
from console.context import sign_in as context_sign_in
from console.context import sign_out as context_sign_out
from yuqing import labels
from yuqing.errors import InputError, TransitionError
from yuqing.models import AuditEvent, Clock, Delivery, Incident, Mention, Release, ReviewStep

log = logging.getLogger(__name__)
router = APIRouter(prefix="/api", tags=["console"])
ApiUser = Annotated[User, Depends(api_user)]

Action = Literal["acknowledge", "assign", "reassign", "start_response", "escalate", "dismiss", "close"]


class Credentials(BaseModel):
    name: str
    password: str


class Me(BaseModel):
    name: str
    role: str
    office: str | None = None
    display_name: str = ""
    csrf_token: str


class QueueItem(BaseModel):
    incident: Incident
    running_clocks: list[Clock]
    overdue_clocks: list[Clock]  # missed (or running past due) and not answered, longest overdue first


class IncidentPage(BaseModel):
    total: int
    page: int
    pages: int
    items: list[QueueItem]


class MentionGroupOut(BaseModel):
    mention: Mention
    reprints: list[Mention]


class IncidentDetailOut(BaseModel):
    incident: Incident
    owner_office: str | None
    allowed_actions: list[str]
    clocks: list[Clock]
    mentions: list[MentionGroupOut]
    mention_total: int
    releases: list[Release]
    deliveries: list[Delivery]
    audit: list[AuditEvent]


class ActionIn(BaseModel):
    reason: str = Field("", max_length=500)
    office: str | None = None


class ReleaseIn(BaseModel):
    channel: str
    url: str | None = None
    title: str = Field("", max_length=200)
    text: str = Field("", max_length=10000)  # what it states (facts, measures, result) is judged from it
    kind: str | None = None  # a release kind of releases.yaml; default from the channel, title and text
    published_at: dt.datetime | None = None
    reviews: list[ReviewStep]  # each step with its own reviewer and time


class ReviewIn(BaseModel):
    reviews: list[ReviewStep]


class DecisionIn(BaseModel):
    reason: str = Field("", max_length=500)


class WaiveIn(BaseModel):
    reason: str = Field(..., min_length=1, max_length=500)


class ReportsOut(BaseModel):
    reports: list[dict[str, Any]]
    assessments: list[dict[str, Any]]


def _me(request: Request, user: User) -> Me:
    return Me(name=user.name, role=user.role, office=user.office, display_name=user.display_name,
              csrf_token=csrf_token(request))


@router.post("/session", response_model=Me, summary="Sign in (sets the session cookie)")
def sign_in(request: Request, body: Credentials) -> Me:
    try:
        user = context_sign_in(request, body.name, body.password)
    except SignInRefused as refused:
        headers = {"Retry-After": str(refused.retry_after)} if refused.retry_after else None
        raise HTTPException(status_code=refused.status, detail=refused.message, headers=headers) from None
    return _me(request, user)


@router.delete("/session", status_code=204, summary="Sign out (ends the session on the server)")
def sign_out(request: Request, user: ApiUser) -> Response:
    check_csrf(request, None)
    context_sign_out(request)
    return Response(status_code=204)


@router.get("/me", response_model=Me)
def me(request: Request, user: ApiUser) -> Me:
    return _me(request, user)


@router.get("/incidents", response_model=IncidentPage, summary="The incident queue, most urgent first")
def list_incidents(request: Request, user: ApiUser, severity: str = "", priority: str = "", place: str = "",
                   office: str = "", state: str = "open", q: str = "", sort: Literal["urgent", "newest"] = "urgent",
                   page: int = Query(1, ge=1, le=queries.MAX_PAGE)) -> IncidentPage:
    f = queries.QueueFilter(severity=severity, priority=priority, place=place, office=office, state=state, q=q,
                            sort=sort, page=page)
    context = ctx(request)
    result = queries.incident_queue(context.store, user, f)
    now = context.clock()
    return IncidentPage(total=result.total, page=result.page, pages=result.pages, items=[
        QueueItem(incident=r.incident, running_clocks=[c for c in r.clocks if c.state == "running"],
                  overdue_clocks=[c for c in r.clocks if c.is_overdue(now)]) for r in result.rows])



@router.get("/incidents/{incident_id}", response_model=IncidentDetailOut)
def get_incident(request: Request, user: ApiUser, incident_id: str) -> IncidentDetailOut:
    incident = incident_for(request, user, incident_id)
    d = queries.incident_detail(ctx(request).store, incident)
    from console.auth import owner_office

    return IncidentDetailOut(
        incident=incident, owner_office=owner_office(incident),
        allowed_actions=[a for a in [*actions.ACTIONS_ZH, "record_release"]
                         if can_act(user, incident, a) and actions.lifecycle_allows(incident, a)],
        clocks=d.clocks, mentions=[MentionGroupOut(mention=g.mention, reprints=g.reprints) for g in d.groups],
        mention_total=d.mention_total, releases=d.releases, deliveries=d.deliveries, audit=d.audit,
    )


@router.post("/incidents/{incident_id}/actions/{action}", response_model=Incident,
             summary="Apply a lifecycle action (send X-CSRF-Token)")
def post_action(request: Request, user: ApiUser, incident_id: str, action: Action,
                body: ActionIn | None = None) -> Incident:
    check_csrf(request, None)
    body = body or ActionIn(reason="")
    incident = incident_for(request, user, incident_id)
    if not can_act(user, incident, action):
        raise HTTPException(status_code=403, detail="无权执行该操作")
    context = ctx(request)
    try:
        return actions.apply_action(context.store, context.config, incident_id, action, actor=user.name,
                                    now=context.clock(), reason=body.reason.strip(), office=body.office)
    except InputError as exc:
        raise HTTPException(status_code=422, detail=str(exc)) from exc
    except TransitionError as exc:
        raise HTTPException(status_code=409, detail=str(exc)) from exc


@router.post("/incidents/{incident_id}/releases", response_model=Release, status_code=201,
             summary="Record a release with its review steps (send X-CSRF-Token)")
def post_release(request: Request, user: ApiUser, incident_id: str, body: ReleaseIn) -> Release:
    check_csrf(request, None)
    incident = incident_for(request, user, incident_id)
    if not can_act(user, incident, "record_release"):
        raise HTTPException(status_code=403, detail="无权登记发布")
    from console.auth import owner_office

    context = ctx(request)
    now = context.clock()
    if body.channel not in actions.CHANNELS_ZH:
        raise HTTPException(status_code=422, detail=f"未知发布渠道：{body.channel}")
    try:
        return actions.record_release(
            context.store, context.config, incident_id, actor=user.name, now=now,
            office=owner_office(incident) or user.office or "", channel=body.channel, url=body.url,
            title=body.title, published_at=body.published_at or now, reviews=body.reviews, text=body.text,
            kind=body.kind,
        )
    except InputError as exc:
        raise HTTPException(status_code=422, detail=str(exc)) from exc
    except TransitionError as exc:
        raise HTTPException(status_code=409, detail=str(exc)) from exc


def _release_for(request: Request, user: User, incident_id: str, release_id: str) -> Release:
    incident = incident_for(request, user, incident_id)
    if not can_act(user, incident, "record_release"):
        raise HTTPException(status_code=403, detail="无权处理该事件的发布")
    release = actions.release_of(ctx(request).store, incident, release_id)
    if release is None:
        raise HTTPException(status_code=404, detail="未找到该发布记录")
    return release


@router.post("/incidents/{incident_id}/releases/{release_id}/review", response_model=Release,
             summary="Record the three-step review of a detected release (send X-CSRF-Token)")
def post_review(request: Request, user: ApiUser, incident_id: str, release_id: str, body: ReviewIn) -> Release:
    check_csrf(request, None)
    _release_for(request, user, incident_id, release_id)
    context = ctx(request)
    try:
        return actions.record_review(context.store, context.config, release_id, actor=user.name,
                                     now=context.clock(), reviews=body.reviews)
    except InputError as exc:
        raise HTTPException(status_code=422, detail=str(exc)) from exc


@router.post("/incidents/{incident_id}/releases/{release_id}/{decision}", response_model=Release,
             summary="Confirm or reject a pending (待确认) release (send X-CSRF-Token)")
def post_decision(request: Request, user: ApiUser, incident_id: str, release_id: str,
                  decision: Literal["confirm", "reject"], body: DecisionIn | None = None) -> Release:
    check_csrf(request, None)
    _release_for(request, user, incident_id, release_id)
    context = ctx(request)
    try:
        return actions.decide_release(context.store, context.config, release_id, decision, actor=user.name,
                                      now=context.clock(), reason=(body.reason if body else ""))
    except InputError as exc:
        raise HTTPException(status_code=409 if "待确认" in str(exc) else 422, detail=str(exc)) from exc
    except TransitionError as exc:
        raise HTTPException(status_code=409, detail=str(exc)) from exc


@router.get("/clocks", response_model=list[Clock],
            summary="Clocks still owed on open incidents: missed first (longest overdue), then nearest due")
def list_clocks(request: Request, user: ApiUser, office: str = "", size: int = Query(50, ge=1, le=500)) -> list[Clock]:
    if not user.sees_everything and office and office != user.office:
        raise HTTPException(status_code=403, detail="无权查看其他单位")
    return queries.due_clocks(ctx(request).store, user, office=office, size=size)


@router.post("/clocks/{clock_id}/waive", response_model=Clock,
             summary="Waive a missed or running clock with a reason (duty officers; send X-CSRF-Token)")
def waive_clock(request: Request, user: ApiUser, clock_id: str, body: WaiveIn) -> Clock:
    check_csrf(request, None)
    context = ctx(request)
    doc = context.store.get("clocks", clock_id)
    if doc is None:
        raise HTTPException(status_code=404, detail="未找到该时限")
    incident = incident_for(request, user, str(doc["incident_id"]))
    if not can_act(user, incident, "waive_clock"):
        raise HTTPException(status_code=403, detail="无权豁免时限")
    try:
        return actions.waive_clock(context.store, incident.id, clock_id, actor=user.name, now=context.clock(),
                                   reason=body.reason)
    except InputError as exc:
        raise HTTPException(status_code=422, detail=str(exc)) from exc
    except TransitionError as exc:
        raise HTTPException(status_code=409, detail=str(exc)) from exc


@router.get("/deliveries", response_model=list[Delivery], summary="Alert deliveries not yet acknowledged")
def list_deliveries(request: Request, user: ApiUser, size: int = Query(50, ge=1, le=500)) -> list[Delivery]:
    return queries.recent_deliveries(ctx(request).store, user, size=size)


@router.post("/deliveries/{delivery_id}/acknowledge", status_code=204, summary="Acknowledge an alert delivery")
def ack_delivery(request: Request, user: ApiUser, delivery_id: str) -> Response:
    check_csrf(request, None)
    context = ctx(request)
    delivery_for(request, user, delivery_id)
    try:
        actions.acknowledge_delivery(context.store, delivery_id, actor=user.name, now=context.clock())
    except (InputError, TransitionError) as exc:
        raise HTTPException(status_code=409, detail=str(exc)) from exc
    return Response(status_code=204)


class DeliveryGroupOut(BaseModel):
    incident_id: str | None
    alert_key: str | None
    title: str
    count: int
    latest: Delivery
    channels: list[str]
    channels_zh: list[str]
    kinds: list[str]
    level: str | None


class GroupAckIn(BaseModel):
    incident_id: str | None = None
    alert_key: str | None = None


class GroupAckOut(BaseModel):
    acknowledged: int
    delivery_ids: list[str]


@router.get("/delivery-groups", response_model=list[DeliveryGroupOut],
            summary="Deliveries not yet acknowledged, grouped by incident (else alert key), latest first")
def list_delivery_groups(request: Request, user: ApiUser,
                         size: int = Query(15, ge=1, le=200)) -> list[DeliveryGroupOut]:
    context = ctx(request)
    return [DeliveryGroupOut(incident_id=g.incident_id, alert_key=g.alert_key, title=g.title, count=g.count,
                             latest=g.latest, channels=g.channels,
                             channels_zh=[labels.name("channel", c, context.config) for c in g.channels],
                             kinds=g.kinds, level=g.level)
            for g in queries.delivery_groups(context.store, user, size=size)]


@router.post("/delivery-groups/acknowledge", response_model=GroupAckOut,
             summary="Acknowledge every open delivery of one incident (or alert key) at once (send X-CSRF-Token)")
def ack_delivery_group(request: Request, user: ApiUser, body: GroupAckIn) -> GroupAckOut:
    check_csrf(request, None)
    context = ctx(request)
    try:
        done = actions.acknowledge_group(context.store, actor=user.name, now=context.clock(),
                                         incident_id=body.incident_id, alert_key=body.alert_key,
                                         office=None if user.sees_everything else (user.office or ""))
    except InputError as exc:
        raise HTTPException(status_code=422, detail=str(exc)) from exc
    return GroupAckOut(acknowledged=len(done), delivery_ids=sorted(d.id for d in done))


@router.get("/reports", response_model=ReportsOut, summary="Reports and assessments, newest first")
def list_reports(request: Request, user: ApiUser) -> ReportsOut:
    reports, assessments = queries.reports_and_assessments(ctx(request).store, user)
    return ReportsOut(reports=reports, assessments=assessments)


@router.get("/mentions/failed", response_model=list[dict[str, Any]],
            summary="Mentions set aside after failing analysis too often (duty desk)")
def list_failed_mentions(request: Request, user: ApiUser,
                         size: int = Query(100, ge=1, le=1000)) -> list[dict[str, Any]]:
    from analysis.api import failed_mentions

    if not user.sees_everything:
        raise HTTPException(status_code=403, detail="仅值班员可查看分析失败的信息")
    return failed_mentions(ctx(request).store, size=size)

"""Reminders grouped by incident: the 待确认提醒 page and the one 确认 that acknowledges a whole group.

One incident's reminders, escalations and repeats (on every channel) are one item with the count,
the latest time and the channels; acknowledging it acknowledges all of them (``alerts.api``,
audited per delivery and once for the group; a second press changes nothing). Office staff see and
acknowledge only their own office's reminders.
"""

from __future__ import annotations

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from console import actions, queries
from console.auth import User
from console.context import check_csrf, ctx, flash, recent_acks
from console.web import PageUser, _safe_next, render
from yuqing.errors import InputError

router = APIRouter(include_in_schema=False)


def group_office(user: User) -> str | None:
    """Whose reminders a user may acknowledge: everyone's for the duty desk, else their office's."""
    return None if user.sees_everything else (user.office or "")


@router.get("/alerts", response_class=HTMLResponse)
def alerts_page(request: Request, user: PageUser) -> HTMLResponse:
    context = ctx(request)
    groups = queries.delivery_groups(context.store, user, size=100, acked=recent_acks(request, now=context.clock()))
    return render(request, "alerts.html", groups=groups)


@router.post("/delivery-groups/acknowledge")
def acknowledge_group_form(request: Request, user: PageUser, csrf_token: str = Form(""), incident_id: str = Form(""),
                           alert_key: str = Form(""), next: str = Form("/alerts")) -> Response:
    check_csrf(request, csrf_token)
    context = ctx(request)
    try:
        done = actions.acknowledge_group(context.store, actor=user.name, now=context.clock(),
                                         incident_id=incident_id or None, alert_key=alert_key or None,
                                         office=group_office(user))
    except InputError as exc:
        flash(request, "error", f"确认未完成：{exc}")
    else:
        flash(request, "ok", f"已确认 {len(done)} 条提醒" if done else "这些提醒已确认过")
    return RedirectResponse(_safe_next(next), status_code=303)

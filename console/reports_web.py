"""The 专报 (special report) on demand: a button on the incident page posts here.

Allowed to the duty desk, administrators and leaders who may see the incident; CSRF-checked and
audited (``special_report`` on the incident, with who asked). The report is written into the
console's reports directory and stored like the automatic one (same id: the newest version wins).
"""

from __future__ import annotations

import logging

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import RedirectResponse, Response

from console.auth import User
from console.context import check_csrf, ctx, flash, incident_for
from console.web import PageUser
from yuqing import audit
from yuqing.errors import InputError

log = logging.getLogger(__name__)
router = APIRouter(include_in_schema=False)

SPECIAL_REPORT_ROLES = frozenset({"duty_officer", "administrator", "leader"})


def may_write_special_report(user: User | None) -> bool:
    return user is not None and user.role in SPECIAL_REPORT_ROLES


@router.post("/incidents/{incident_id}/special-report")
def special_report(request: Request, user: PageUser, incident_id: str, csrf_token: str = Form("")) -> Response:
    from reports.api import write_incident_report

    check_csrf(request, csrf_token)
    incident_for(request, user, incident_id)  # 404 unknown, 403 another office's
    if not may_write_special_report(user):
        raise HTTPException(status_code=403, detail="无权生成专报")
    context = ctx(request)
    now = context.clock()
    try:
        paths = write_incident_report(context.store, context.config, incident_id, context.reports_dir, now=now)
    except InputError as exc:
        flash(request, "error", f"专报未生成：{exc}")
        return RedirectResponse(f"/incidents/{incident_id}", status_code=303)
    audit.record(context.store, entity="incident", entity_id=incident_id, action="special_report", actor=user.name,
                 at=now, reason="按需生成舆情专报", after={"files": sorted(p.name for p in paths.values())},
                 refresh=True)
    log.info("console: %s wrote the special report on %s", user.name, incident_id)
    flash(request, "ok", "已生成舆情专报，可在“报告”页下载")
    return RedirectResponse(f"/incidents/{incident_id}", status_code=303)

"""The one place where the console changes state: a thin adapter over the response and alerts packages.

Incident actions go through ``response.lifecycle.apply`` (which enforces the lifecycle, writes the
incident conditionally and writes the audit log); releases through
``response.releases.record_release`` (which requires the three review steps and meets the clocks);
alert acknowledgements through ``alerts.api.acknowledge``. Role and office checks happen before this
layer (see :mod:`console.auth`); the state rules are the response package's alone.
"""

from __future__ import annotations

import datetime as dt

from alerts import api as alerts_api
from console.grouping import GROUPING_ACTIONS_ZH
from response import clocks, lifecycle, releases
from yuqing.config import Config
from yuqing.errors import InputError
from yuqing.models import Clock, Delivery, Incident, Release, ReviewStep
from yuqing.storage import Store

# The incident actions the console offers as buttons, in display order (releases have their own form).
ACTIONS_ZH = {a: lifecycle.ACTION_ZH[a] for a in
              ("assign", "reassign", "acknowledge", "start_response", "escalate", "dismiss", "close")}
CHANNELS_ZH = releases.CHANNELS_ZH
REVIEW_STEPS_ZH = releases.REVIEW_STEPS_ZH
AUDIT_ACTIONS_ZH = {**lifecycle.ACTION_ZH, "record": "登记发布", "detect": "监测发现发布", "met": "按时完成",
                    "detect_pending": "监测发现发布（待确认）", "confirm": "确认发布", "reject": "否认发布",
                    "match": "发布匹配确认", "record_review": "登记审核",
                    "met_late": "超时完成", "waive": "豁免", "change_owner": "变更责任单位",
                    "route": "交办", "missed": "超时", "remind": "提醒", "open": "开始计时", "reroute": "重新交办",
                    "open_consultation": "启动会商", "special_report": "生成专报", **GROUPING_ACTIONS_ZH}


def lifecycle_allows(incident: Incident, action: str) -> bool:
    """Whether the incident's state allows ``action`` (to offer only buttons that can work)."""
    return action in lifecycle.allowed_actions(incident.state)


def apply_action(store: Store, config: Config, incident_id: str, action: str, *, actor: str, now: dt.datetime,
                 reason: str = "", office: str | None = None) -> Incident:
    """Apply one lifecycle action; raises TransitionError (state forbids it) or InputError (bad request)."""
    return lifecycle.apply(store, config, incident_id, action, actor=actor, now=now, reason=reason, office=office)


def record_release(store: Store, config: Config, incident_id: str, *, actor: str, now: dt.datetime,
                   office: str, channel: str, url: str | None, title: str, published_at: dt.datetime,
                   reviews: list[ReviewStep], text: str = "", kind: str | None = None) -> Release:
    """Record a release made by hand (URL, channel, time, kind, text and its three review steps)."""
    return releases.record_release(
        store, config, incident_id, actor=actor, now=now, office=office, channel=channel, url=url or None,
        title=title, published_at=published_at, reviews=reviews, text=text, kind=kind or None,
    )


def waive_clock(store: Store, incident_id: str, clock_id: str, *, actor: str, now: dt.datetime,
                reason: str) -> Clock:
    """Waive a clock of this incident that is still owed, with a reason (audited by ``response``)."""
    doc = store.get("clocks", clock_id)
    if doc is None or doc.get("incident_id") != incident_id:
        raise InputError("该事件没有这项时限")
    return clocks.waive(store, clock_id, actor=actor, now=now, reason=reason)


def record_review(store: Store, config: Config, release_id: str, *, actor: str, now: dt.datetime,
                  reviews: list[ReviewStep]) -> Release:
    """Record the three-step review of a detected release (published, review not recorded)."""
    return releases.record_review(store, config, release_id, reviews=reviews, actor=actor, now=now)


def decide_release(store: Store, config: Config, release_id: str, decision: str, *, actor: str, now: dt.datetime,
                   reason: str = "") -> Release:
    """Confirm or reject a pending (待确认) release; only a confirmation meets clocks."""
    return releases.decide_release(store, config, release_id, decision, actor=actor, now=now, reason=reason)


def release_of(store: Store, incident: Incident, release_id: str) -> Release | None:
    """The release ``release_id`` of ``incident`` (None when it belongs to another incident)."""
    doc = store.get("releases", release_id)
    if doc is None or doc.get("incident_id") != incident.id:
        return None
    return Release.from_doc(doc)


def acknowledge_delivery(store: Store, delivery_id: str, *, actor: str, now: dt.datetime) -> Delivery:
    return alerts_api.acknowledge(store, delivery_id, actor, now)

"""Suppression: decide which of the alerts that hold at ``now`` become notifications.

State per alert key lives in the ``alert_state`` index (so a restart forgets nothing):

- the first time a key holds (or holds again after it was resolved) it notifies: a new *episode*;
- while it keeps holding it stays quiet, except
  - on escalation (the incident's severity rose above the level last alerted),
  - on the escalation ladder's schedule (incident alerts; see :mod:`alerts.ladder`),
  - after a growing interval (``realert_after`` × ``backoff_factor``ⁿ, capped at ``max_interval``);
- an acknowledged key (incident ``acknowledged_at`` set, or a delivery acknowledged) never notifies
  again; a key that stops holding is marked resolved.

Quiet hours are applied per recipient later, when deliveries are created (:func:`quiet_until`).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from alerts.ladder import due_step, interval, ladder_for
from alerts.recipients import ROLE_ZH, ContactRef
from alerts.rules import Alert
from yuqing.clock import iso, parse_ts, to_local
from yuqing.config import Config
from yuqing.config.alerts import QuietHours
from yuqing.models import SEVERITY_RANK, SEVERITY_ZH, stable_id
from yuqing.storage import Store

# Each reminder threshold is its own key already; an upgrade is news once.
NO_REPEAT_KINDS = frozenset({"clock_due_soon", "level_upgrade"})


@dataclasses.dataclass
class Notification:
    alert: Alert
    episode: int
    tag: str  # first | step:<k> | repeat:<n> | level:<level>
    roles: list[str]
    step: int = 0
    note_zh: str | None = None


@dataclasses.dataclass
class Plan:
    notifications: list[Notification] = dataclasses.field(default_factory=list)
    states: dict[str, dict[str, Any]] = dataclasses.field(default_factory=dict)  # alert_state id → partial
    # the resolutions are conditional on the state read: an acknowledgement in between wins
    versions: dict[str, tuple[int, int]] = dataclasses.field(default_factory=dict)  # id → (seq_no, term)
    suppressed: int = 0
    resolved: int = 0


def state_id(alert_key: str) -> str:
    return stable_id("alert_state", alert_key)


def _rank(level: str | None) -> int:
    return SEVERITY_RANK.get(level or "", 0)


def plan(store: Store, config: Config, alerts: list[Alert], now: dt.datetime) -> Plan:
    cfg = config.alerts
    result = Plan()
    existing = store.mget("alert_state", [state_id(a.key) for a in alerts])
    for alert in alerts:
        sid = state_id(alert.key)
        st = existing.get(sid)
        ladder = ladder_for(cfg, alert.level) if alert.laddered else None

        def notify(tag: str, roles: list[str], step: int, note: str | None, episode: int,
                   alert: Alert = alert) -> None:
            result.notifications.append(Notification(alert, episode, tag, list(dict.fromkeys(roles)), step, note))

        if st is None or st.get("state") == "resolved":
            if alert.acknowledged:
                continue
            episode = int(st.get("episode", 0)) + 1 if st else 1
            roles = alert.roles + ([ladder.steps[0].role] if ladder else [])
            notify("first", roles, 0, None, episode)
            result.states[sid] = {
                "id": sid, "alert_key": alert.key, "kind": alert.kind, "rule_id": alert.rule_ids[0],
                "incident_id": alert.incident_id, "clock_id": alert.clock_id, "source_id": alert.source_id,
                "state": "active", "episode": episode, "first_at": iso(now), "last_sent_at": iso(now),
                "count": 0, "ladder_step": 0, "level": alert.level,
                "next_allowed_at": iso(now + interval(cfg, 1)), "acknowledged_at": None, "acknowledged_by": None,
            }
            continue

        episode = int(st.get("episode", 1))
        if st.get("state") == "acknowledged" or st.get("acknowledged_at") or alert.acknowledged:
            if st.get("state") != "acknowledged":
                result.states[sid] = {"state": "acknowledged", "acknowledged_at": st.get("acknowledged_at") or iso(now)}
            result.suppressed += 1
            continue

        first_at = parse_ts(st.get("first_at")) or now
        count = int(st.get("count", 0))
        step = int(st.get("ladder_step", 0))
        next_allowed = parse_ts(st.get("next_allowed_at")) or now
        if _rank(alert.level) > _rank(st.get("level")):
            level_zh = SEVERITY_ZH[alert.level or "IV"]
            notify(f"level:{alert.level}", alert.roles + ([ladder.steps[step].role] if ladder else []), step,
                   f"事件级别上调为{level_zh}（{alert.level}级）", episode)
            result.states[sid] = {"level": alert.level, "last_sent_at": iso(now)}
            continue
        if ladder is not None:
            k = due_step(ladder, first_at, step, now)
            if k is not None:
                waited = int((now - first_at).total_seconds() // 60)
                role = ladder.steps[k].role
                notify(f"step:{k}", [role], k, f"已{waited}分钟未签收，升级提醒{ROLE_ZH.get(role, role)}", episode)
                result.states[sid] = {"ladder_step": k, "last_sent_at": iso(now),
                                      "next_allowed_at": iso(now + interval(cfg, 1))}
                continue
            top = len(ladder.steps) - 1
            if step >= top and count < ladder.max_repeats and now >= next_allowed:
                notify(f"repeat:{count + 1}", [ladder.steps[top].role], top,
                       f"仍未签收，第{count + 1}次重复提醒", episode)
                result.states[sid] = {"count": count + 1, "last_sent_at": iso(now),
                                      "next_allowed_at": iso(now + interval(cfg, count + 2))}
                continue
            result.suppressed += 1
            continue
        if alert.kind not in NO_REPEAT_KINDS and now >= next_allowed:
            notify(f"repeat:{count + 1}", alert.roles, 0, f"持续未解除，第{count + 1}次重复提醒", episode)
            result.states[sid] = {"count": count + 1, "last_sent_at": iso(now),
                                  "next_allowed_at": iso(now + interval(cfg, count + 2))}
            continue
        result.suppressed += 1

    holding = {state_id(a.key) for a in alerts}
    gone = [doc["id"] for doc in store.find("alert_state", {"term": {"state": "active"}}) if doc["id"] not in holding]
    # The search may predate an acknowledgement not yet refreshed: re-read those by id (realtime),
    # so an acknowledged alert stays acknowledged (a resolved one would notify anew if it recurred).
    for sid, (doc, seq_no, term) in store.mget_versioned("alert_state", gone).items():
        if doc.get("state") == "active":
            result.states[sid] = {"state": "resolved"}
            result.versions[sid] = (seq_no, term)
            result.resolved += 1
    return result


# --- quiet hours --------------------------------------------------------------------------------


def _quiet_end(rule: QuietHours, now: dt.datetime) -> dt.datetime | None:
    local = to_local(now)
    t, day = local.time(), local.date()
    if rule.start <= rule.end:
        inside = rule.start <= t < rule.end
        end_day = day
    else:  # the quiet time crosses midnight
        inside = t >= rule.start or t < rule.end
        end_day = day if t < rule.end else day + dt.timedelta(days=1)
    if not inside:
        return None
    return dt.datetime.combine(end_day, rule.end, tzinfo=local.tzinfo)


def quiet_until(config: Config, contacts: list[ContactRef], level: str | None,
                now: dt.datetime) -> dt.datetime | None:
    """When every contact of a target is in quiet hours for this level: the time the last one ends.

    Quiet hours are configured per contact name or per role; levels in ``except_levels`` (I–II by
    default) always go through. A target with one contact awake is sent to now.
    """
    ends: list[dt.datetime] = []
    for person in contacts:
        rule = config.alerts.quiet_hours.get(person.name) or config.alerts.quiet_hours.get(person.role)
        if rule is None or (level is not None and level in rule.except_levels):
            return None
        end = _quiet_end(rule, now)
        if end is None:
            return None
        ends.append(end)
    return max(ends) if ends else None

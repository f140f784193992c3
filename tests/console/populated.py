"""A populated duty day for the console's page-wide browser tests, made by the real pipeline parts.

Incidents and mentions are written unrouted; then the real ``response`` routing (rules, clocks,
consultation, audit by ``system:router``), a release with its three review steps, the clock sweep
(a missed clock escalates its incident), the real ``alerts`` dispatch to local receivers every half
hour of the day (reminders and the escalation ladder repeat for the same incident), the daily
report, a special report and an assessment. What the console then shows is what a duty officer
would see on such a day, codes and all.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import pytest

from alerts import api as alerts_api
from console import sample
from demo.receivers import Receivers
from reports import api as reports_api
from response import api as response_api
from response import releases
from yuqing.config import Config
from yuqing.models import Incident, ReviewStep, SourceHealth, stable_id
from yuqing.storage import Store


@dataclasses.dataclass(frozen=True)
class Day:
    blast: str  # level II emergency in Kunming: consultation, missed 5 h clock, escalated, many reminders
    rumour: str  # false information: police and cyberspace office notified
    health: str  # level III in Qujing, answered by a release
    spread: str  # two cities (multi-place)
    source_id: str
    mention: str  # the blast's first mention


def _unrouted(inc: Incident) -> Incident:
    return inc.model_copy(update={"routing": None, "state": "new"})


def populate(store: Store, config: Config, *, now: dt.datetime, reports_dir: Path, console_url: str) -> Day:
    start = now - dt.timedelta(hours=7)
    day = Day(blast=stable_id("day", "blast"), rumour=stable_id("day", "rumour"), health=stable_id("day", "health"),
              spread=stable_id("day", "spread"), source_id=config.sources.sources[0].id,
              mention=stable_id(stable_id("day", "blast"), "m", 0))
    age = now - start + dt.timedelta(minutes=30)
    incidents = [
        sample.incident(day.blast, now=now, title="昆明某化工厂爆炸致多人伤亡", level="II", place="530100",
                        priorities=["emergency"], age=age, mention_count=12),
        sample.incident(day.rumour, now=now, title="网传昆明自来水受污染", level="IV", place="530100",
                        priorities=["false_info"], age=age, mention_count=4),
        sample.incident(day.health, now=now, title="曲靖某医院挂号难引发关注", level="III", place="530300",
                        priorities=["public_interest"], age=age, mention_count=3),
        sample.incident(day.spread, now=now, title="多地景区宰客投诉", level="III", place="530100",
                        priorities=["public_interest"], age=age, mention_count=5),
    ]
    incidents[1] = incidents[1].model_copy(update={"handling_kind": "false_info"})
    incidents[3] = incidents[3].model_copy(update={"place_codes": ["530100", "530300"]})
    mentions = []
    for inc in incidents:
        first = sample.mention(inc.id, 0, now=now, title=inc.title, text=f"{inc.title}，网民关注。",
                               source_id=config.sources.sources[-1].id)
        mentions += [first, sample.mention(inc.id, 1, now=now, title=inc.title + "（转载）", text=first.text,
                                           reprint_of=first.id, source_id=day.source_id, publisher="云南日报")]
    runs = [SourceHealth(id=stable_id("day", "run", i), source_id=day.source_id, run_id=f"r{i}",
                         started_at=now - dt.timedelta(hours=i, minutes=2), finished_at=now - dt.timedelta(hours=i),
                         items_found=10, items_new=3, items_failed=1 if i else 6,
                         failure_reasons={"http_503": 1 if i else 6}, error_rate=0.1 if i else 0.6,
                         status="ok" if i else "degraded", last_success_at=now - dt.timedelta(hours=1))
            for i in range(3)]
    sample.put(store, *(_unrouted(i) for i in incidents), *mentions, *runs)

    linked = dataclasses.replace(config, alerts=config.alerts.model_copy(update={"console_url": console_url}))
    receivers = Receivers().start()
    receivers.start_smtp()
    mp = pytest.MonkeyPatch()
    try:
        for name, value in receivers.env_for(linked.alerts).items():
            mp.setenv(name, value)
        t = start
        response_api.route_pending(store, config, now=t)
        while t <= now:
            if t >= now - dt.timedelta(hours=2) and not store.count("releases", {"term": {"incident_id": day.health}}):
                _release(store, config, day.health, now=t)
            response_api.sweep_clocks(store, config, now=t)
            alerts_api.dispatch(store, linked, now=t)
            t += dt.timedelta(minutes=30)
    finally:
        mp.undo()
        receivers.stop()
    store.refresh()
    reports_api.write_daily(store, config, now.date(), reports_dir, now=now)
    reports_api.write_incident_report(store, config, day.blast, reports_dir, now=now)
    reports_api.assess_incident(store, config, day.health, reports_dir, now=now)
    store.refresh()
    return day


def _release(store: Store, config: Config, incident_id: str, *, now: dt.datetime) -> None:
    doc = store.get("incidents", incident_id)
    assert doc is not None
    inc = Incident.from_doc(doc)
    office = inc.assigned_office or (inc.routing.lead_office if inc.routing else "")
    people = config.offices.office(office).reviewers
    at = now - dt.timedelta(minutes=30)
    reviews = [ReviewStep(step=step, reviewer=people[step][0], at=at + dt.timedelta(minutes=5 * n))  # type: ignore[arg-type]
               for n, step in enumerate(("drafter", "office_head", "unit_head"))]
    releases.record_release(store, config, incident_id, actor="duty", now=now, office=office, channel="website",
                            url="https://www.qj.gov.cn/notice/1.html", title="关于医院挂号情况的说明",
                            published_at=now, reviews=reviews,
                            text="经核实，挂号难系号源紧张所致。已增加号源。目前挂号已恢复正常。")

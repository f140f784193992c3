"""Severity by the national thresholds on the real node: analysis reads the toll from the stored
mentions, routing opens the clocks the level warrants, and a later, higher toll upgrades the incident
once — its new clocks open from the upgrade, it is audited and alerted, and a re-run changes nothing."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from alerts.rules import evaluate
from analysis.api import analyze_pending
from response.api import route_pending
from yuqing.audit import history
from yuqing.clock import TZ, iso
from yuqing.config import Config
from yuqing.models import Clock, Incident, Mention
from yuqing.storage import Store

pytestmark = pytest.mark.integration

DAY = dt.datetime(2026, 11, 23, tzinfo=TZ)
TIERS = {"news": ("provincial", False), "weibo": ("self_media", False), "portal": ("official", True)}


def mention(mid: str, title: str, text: str, *, at: dt.datetime, source: str = "news") -> Mention:
    tier, official = TIERS[source]
    return Mention(
        id=mid, source_id=f"test-{source}", source_type="html", media_tier=tier, jurisdiction="530000",
        official=official, office="prov_gov_office" if official else None, url=f"http://example.test/{mid}",
        canonical_url=f"http://example.test/{mid}", title=title, text=text, published_at=at,
        crawled_at=at + dt.timedelta(minutes=2),
    )


def put(store: Store, *mentions: Mention) -> None:
    result = store.bulk("mentions", [(m.id, m.to_doc()) for m in mentions], refresh=True)
    assert not result.failed


def incident_of(store: Store, mention_id: str) -> Incident:
    doc = store.get("mentions", mention_id)
    assert doc is not None and doc.get("incident_id")
    found = store.get("incidents", doc["incident_id"])
    assert found is not None
    return Incident.from_doc(found)


def clocks(store: Store, incident_id: str) -> dict[str, Clock]:
    store.refresh("clocks")
    return {d["rule_id"]: Clock.from_doc(d) for d in store.find("clocks", {"term": {"incident_id": incident_id}})}


def snapshot(store: Store) -> dict[str, list[dict[str, Any]]]:
    store.refresh()
    return {kind: sorted(store.find(kind, None, size=500), key=lambda d: d["id"])
            for kind in ("incidents", "clocks", "audit", "mentions")}


@pytest.mark.parametrize(("deaths", "level"), [(2, "IV"), (3, "III"), (9, "III"), (10, "II"), (29, "II"), (30, "I")])
def test_death_toll_boundaries_set_the_level_and_the_major_clocks(store: Store, config: Config, deaths: int,
                                                                  level: str) -> None:
    t = DAY + dt.timedelta(hours=9)
    put(store, mention("m1", f"昆明市官渡区一商场发生火灾 已造成{deaths}人死亡",
                       f"11月23日8时许，昆明市官渡区关上片区一商场发生火灾，火灾已造成{deaths}人死亡，起火原因正在调查。",
                       at=t))
    analyze_pending(store, config, now=t + dt.timedelta(minutes=10))
    incident = incident_of(store, "m1")
    assert incident.severity is not None
    assert (incident.severity.level, incident.severity.casualty_level) == (level, level)
    assert incident.severity.basis == "figures"
    # the reason cites the figure and the mention it came from
    assert any(f"死亡{deaths}人" in r and "m1" in r for r in incident.severity.reasons)
    route_pending(store, config, now=t + dt.timedelta(minutes=20))
    opened = clocks(store, incident.id)
    if level in ("I", "II"):
        assert {"authoritative_info", "press_conference"} <= set(opened)
        assert opened["authoritative_info"].due_at == t + dt.timedelta(hours=5)
    else:
        assert set(opened) == {"response_48h"}  # 较大、一般: no 5 h / 24 h clock


def test_serious_injuries_and_economic_loss_reach_levels_on_their_own(store: Store, config: Config) -> None:
    t = DAY + dt.timedelta(hours=9)
    put(store,
        mention("inj", "楚雄市一化工企业发生爆炸", "楚雄市一化工企业发生爆炸，事故造成50人重伤，无人员死亡。", at=t),
        mention("loss", "五华区一仓库发生火灾", "昆明市五华区一仓库发生火灾，未造成人员伤亡，直接经济损失约1.2亿元。",
                at=t + dt.timedelta(hours=30)))
    analyze_pending(store, config, now=t + dt.timedelta(hours=31))
    injured = incident_of(store, "inj").severity
    assert injured is not None and injured.level == "II"
    assert injured.figures["deaths"].value == 0 and injured.figures["serious_injuries"].value == 50
    loss = incident_of(store, "loss").severity
    assert loss is not None and loss.level == "I" and loss.figures["economic_loss"].value == 1.2e8


def test_the_official_figure_counts_over_later_media_and_wording_alone_grades_no_higher_than_iii(
        store: Store, config: Config) -> None:
    t = DAY + dt.timedelta(hours=9)
    put(store,
        mention("off", "关于官渡区商场火灾的情况通报", "11月23日8时许，官渡区一商场发生火灾，造成3人死亡、5人受伤。",
                at=t, source="portal"),
        mention("rumour", "官渡区商场大火", "官渡区商场大火，听说死了20人，太惨了，特别重大的灾难！",
                at=t + dt.timedelta(hours=1), source="weibo"),
        mention("media", "官渡区商场火灾已造成12人死亡", "官渡区一商场发生火灾，已造成12人死亡。",
                at=t + dt.timedelta(hours=2)))
    analyze_pending(store, config, now=t + dt.timedelta(hours=3))
    incident = incident_of(store, "off")
    assert incident_of(store, "media").id == incident.id
    sev = incident.severity
    assert sev is not None and sev.level == "III"  # the official 3 deaths, not the media's 12
    assert sev.figures["deaths"].mention_id == "off" and sev.figures["deaths"].authority == "official"
    assert [f.value for f in incident.casualties if f.kind == "deaths"] == [3, 12]  # the timeline keeps both


def test_a_later_higher_toll_upgrades_once_opening_the_new_clocks_from_the_upgrade(store: Store,
                                                                                   config: Config) -> None:
    first, later = DAY + dt.timedelta(hours=6, minutes=40), DAY + dt.timedelta(hours=7, minutes=10)
    put(store, mention("n1", "楚雄市一化工企业发生爆炸 已造成3人死亡12人受伤",
                       "11月23日5时40分许，楚雄市经济技术开发区一化工企业发生爆炸，事故已造成3人死亡、12人受伤。",
                       at=first))
    analyze_pending(store, config, now=first + dt.timedelta(minutes=5))
    route_pending(store, config, now=first + dt.timedelta(minutes=6))
    incident = incident_of(store, "n1")
    assert incident.severity is not None and incident.severity.level == "III"
    assert set(clocks(store, incident.id)) == {"response_48h"}

    put(store, mention("n2", "楚雄化工厂爆炸事故死亡人数升至11人",
                       "楚雄市经济技术开发区一化工企业发生爆炸，截至7时，事故死亡人数已上升至11人，另有12人受伤。",
                       at=later))
    now = DAY + dt.timedelta(hours=9)
    analyze_pending(store, config, now=now)
    route_pending(store, config, now=now + dt.timedelta(minutes=1))
    upgraded = incident_of(store, "n2")
    assert upgraded.id == incident.id
    sev = upgraded.severity
    assert sev is not None and sev.level == "II" and sev.figures["deaths"].value == 11
    assert [(h.level, h.previous, h.mention_id) for h in sev.history][-1] == ("II", "III", "n2")
    opened = clocks(store, incident.id)
    assert {"authoritative_info", "press_conference", "response_48h"} == set(opened)
    # the new level's clocks run from the report that raised it, not from the first report
    assert opened["authoritative_info"].opened_at == later
    assert opened["authoritative_info"].due_at == later + dt.timedelta(hours=5)
    assert opened["press_conference"].due_at == later + dt.timedelta(hours=24)
    assert opened["response_48h"].opened_at == first
    upgrades = [e for e in history(store, incident.id) if e.action == "upgrade"]
    assert len(upgrades) == 1 and upgrades[0].at == later and "死亡11人" in upgrades[0].reason
    assert upgrades[0].before == {"level": "III"} and upgrades[0].after["level"] == "II"
    alerts = [a for a in evaluate(store, config, now + dt.timedelta(minutes=2)) if a.kind == "level_upgrade"]
    assert [a.key for a in alerts] == [f"incident:{incident.id}:upgrade:II"]
    assert {"duty_officer", "office_head", "leader"} <= set(alerts[0].roles)
    assert any("死亡11人" in r and "n2" in r for r in alerts[0].facts["reasons"])

    before = snapshot(store)
    analyze_pending(store, config, now=now + dt.timedelta(hours=1))
    route_pending(store, config, now=now + dt.timedelta(hours=1))
    assert snapshot(store) == before  # re-runs open nothing and audit nothing again
    assert iso(clocks(store, incident.id)["authoritative_info"].opened_at) == iso(later)

"""Release detection: an official post of the responsible government meets the matching clocks."""

from __future__ import annotations

import datetime as dt

import pytest

from response.api import route_pending
from yuqing.clock import TZ
from yuqing.models import Clock, Incident, Release, stable_id
from yuqing.storage import Store

pytestmark = pytest.mark.integration

T0 = dt.datetime(2026, 11, 20, 8, 0, tzinfo=TZ)


def _clock(store: Store, incident_id: str, rule_id: str) -> Clock:
    return Clock.from_doc(store.get("clocks", stable_id(incident_id, rule_id)) or {})


def test_clock_met_by_an_official_post_detected_in_the_crawl(store, config, make_incident, make_mention):
    inc = make_incident("fire", place_codes=["530102"], level="II", priorities=["emergency"],
                        keywords=["化工厂", "爆炸", "五华区"])
    route_pending(store, config, now=T0 + dt.timedelta(minutes=30))
    # Not the responsible government: another city's official account.
    make_mention("qujing", published_at=T0 + dt.timedelta(hours=1), official=True, office="qujing_gov",
                 incident_id=inc.id, title="曲靖市转发化工厂爆炸通报", jurisdiction="530300")
    # Not official: a media report.
    make_mention("media", published_at=T0 + dt.timedelta(hours=1), incident_id=inc.id, title="化工厂爆炸追踪")
    post = make_mention("notice", published_at=T0 + dt.timedelta(hours=3), official=True, office="kunming_gov",
                        incident_id=inc.id, source_id="kunming-weibo", source_type="json", jurisdiction="530100",
                        title="关于五华区化工厂爆炸事故的情况通报",
                        text="经核实，11月20日7时许五华区某化工厂发生爆炸。市政府已启动应急预案，伤员已全部送医救治。网传死亡人数系谣言。")

    stats = route_pending(store, config, now=T0 + dt.timedelta(hours=3, minutes=20))

    assert stats.releases_detected == 1 and stats.clocks_met == 1
    five_h = _clock(store, inc.id, "authoritative_info")
    assert five_h.state == "met" and five_h.met_at == T0 + dt.timedelta(hours=3)
    assert five_h.evidence["mention_id"] == post.id and five_h.evidence["office"] == "kunming_gov"
    # The 24 h clock needs a press conference, which this post is not.
    assert _clock(store, inc.id, "press_conference").state == "running"
    release = Release.from_doc(store.get("releases", stable_id("release", inc.id, post.id)) or {})
    assert release.detected and release.channel == "weibo"
    assert release.states_facts and release.states_measures and release.rebuts_rumour
    assert (store.get("incidents", inc.id) or {})["state"] == "released"

    # The analysis did not tie this one to the incident; it shares keywords within the window.
    conference = make_mention("conference", published_at=T0 + dt.timedelta(hours=20), official=True,
                              office="prov_gov_office", title="省政府召开五华区化工厂爆炸事故新闻发布会",
                              text="发布会通报了爆炸事故处置进展和调查结果。")
    later = route_pending(store, config, now=T0 + dt.timedelta(hours=21))

    assert later.releases_detected == 1
    pc = _clock(store, inc.id, "press_conference")
    assert pc.state == "met" and pc.evidence["mention_id"] == conference.id
    store.refresh("releases")
    assert store.count("releases", {"term": {"incident_id": inc.id}}) == 2


def test_board_message_reply_meets_the_reply_clock(store, config, make_incident, make_mention):
    msg = make_mention("board", published_at=T0, doc_type="board_message", source_id="demo-board",
                       source_type="board", title="小区门口道路积水多日无人处理", text="……",
                       extra={"reply_text": "经核实，已安排市政部门疏通排水管网，积水已排除。",
                              "reply_office": "五华区人民政府办公室", "reply_at": "2026-11-23T10:00:00+08:00"})
    inc = make_incident("board", level="IV", priorities=["public_interest"], board_message=True,
                        first_mention_id=msg.id)
    route_pending(store, config, now=T0 + dt.timedelta(minutes=5))  # routes and opens the reply clock
    store.refresh()
    # The analysis ties the message to its incident after the fact.
    store.update("mentions", msg.id, {"incident_id": inc.id})
    store.refresh("mentions")

    route_pending(store, config, now=T0 + dt.timedelta(days=4))

    clock = _clock(store, inc.id, "board_reply")
    assert clock.due_at == dt.datetime(2026, 11, 27, 23, 59, 59, tzinfo=TZ)  # 5 working days
    assert clock.state == "met" and clock.evidence["channel"] == "message_board"
    assert clock.evidence["office"] == "wuhua_gov"
    assert Incident.from_doc(store.get("incidents", inc.id) or {}).state == "released"


def test_sweep_counts_a_release_crawled_since_the_last_route_before_judging_the_deadline(
        store, config, make_incident, make_mention):
    from response.api import sweep_clocks

    inc = make_incident("sweep-finds", level="IV", priorities=["credibility"])
    route_pending(store, config, now=T0)
    make_mention("answer", published_at=T0 + dt.timedelta(hours=30), official=True, office="wuhua_gov",
                 incident_id=inc.id, title="关于群众反映问题的回应", text="经核实，已责成相关部门整改。",
                 jurisdiction="530102")

    stats = sweep_clocks(store, config, now=T0 + dt.timedelta(hours=49))

    assert (stats.met_by_release, stats.missed, stats.escalated) == (1, 0, 0)
    assert _clock(store, inc.id, "response_48h").state == "met"
    assert Incident.from_doc(store.get("incidents", inc.id) or {}).state == "released"

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

    inc = make_incident("sweep-finds", level="IV", priorities=["credibility"], keywords=["群众反映", "整改"])
    route_pending(store, config, now=T0)
    make_mention("answer", published_at=T0 + dt.timedelta(hours=30), official=True, office="wuhua_gov",
                 incident_id=inc.id, title="关于群众反映问题的回应", text="经核实，已责成相关部门整改。",
                 jurisdiction="530102")

    stats = sweep_clocks(store, config, now=T0 + dt.timedelta(hours=49))

    assert (stats.met_by_release, stats.missed, stats.escalated) == (1, 0, 0)
    assert _clock(store, inc.id, "response_48h").state == "met"
    assert Incident.from_doc(store.get("incidents", inc.id) or {}).state == "released"


# --- releases matched by kind ---------------------------------------------------------------------

POLICY_TITLE = "云南省人民政府关于印发云南省进一步优化营商环境若干措施的通知"
DOC_NO = "云政发〔2026〕31号"


def test_policy_interpretation_clock_is_met_by_the_later_interpretation_not_by_the_document(
        store, config, make_incident, make_mention):
    document = make_mention("policy", published_at=T0, official=True, office="prov_gov_office", doc_type="policy",
                            title=POLICY_TITLE,
                            text="现将《云南省进一步优化营商环境若干措施》印发给你们。企业开办压缩至1个工作日。",
                            extra={"doc_no": DOC_NO})
    inc = make_incident("policy", place_codes=["530000"], level=None, priorities=["decisions"],
                        policy_document=True, first_mention_id=document.id, keywords=["营商环境", "企业开办"])
    store.update("mentions", document.id, {"incident_id": inc.id})
    store.refresh("mentions")
    route_pending(store, config, now=T0 + dt.timedelta(minutes=30))

    clock = _clock(store, inc.id, "policy_interpretation")
    assert clock.state == "running" and clock.opened_at == T0  # the 通知 that opened it does not meet it
    store.refresh("releases")
    assert store.count("releases", {"term": {"incident_id": inc.id}}) == 0

    # A 解读 of the same document by an unrelated jurisdiction (曲靖市) does not meet it.
    make_mention("qujing-reading", published_at=T0 + dt.timedelta(hours=2), official=True, office="qujing_gov",
                 jurisdiction="530300", incident_id=inc.id, title="《云南省进一步优化营商环境若干措施》政策解读",
                 text=f"《云南省进一步优化营商环境若干措施》（{DOC_NO}）出台背景。")
    route_pending(store, config, now=T0 + dt.timedelta(hours=3))
    assert _clock(store, inc.id, "policy_interpretation").state == "running"

    # The issuing government's own 解读, published later; the analysis did not tie it, but it cites the 文号.
    reading = make_mention("reading", published_at=T0 + dt.timedelta(hours=7), official=True,
                           office="prov_gov_office", title="《云南省进一步优化营商环境若干措施》政策解读",
                           text=f"省政府制定印发了《云南省进一步优化营商环境若干措施》（{DOC_NO}）。"
                                "企业开办全流程压缩至1个工作日内办结。")
    stats = route_pending(store, config, now=T0 + dt.timedelta(hours=8))

    assert stats.releases_detected == 1 and stats.clocks_met == 1
    met = _clock(store, inc.id, "policy_interpretation")
    assert met.state == "met" and met.met_at == T0 + dt.timedelta(hours=7)
    assert met.evidence["mention_id"] == reading.id and met.evidence["kind"] == "interpretation"
    assert met.evidence["score"] == 1.0
    assert any(DOC_NO in r for r in met.evidence["reasons"])  # why it matched is on record
    store.refresh("releases")
    assert store.count("releases", {"term": {"incident_id": inc.id}}) == 1


def test_press_conference_meets_the_24h_clock_and_a_situation_report_the_5h_clock(
        store, config, make_incident, make_mention):
    inc = make_incident("blast", place_codes=["532301"], level="II", priorities=["emergency"],
                        keywords=["化工厂", "爆炸", "楚雄市"])
    route_pending(store, config, now=T0 + dt.timedelta(minutes=10))
    report = make_mention("report", published_at=T0 + dt.timedelta(hours=1), official=True, office="chuxiong_pref_gov",
                          jurisdiction="532300", incident_id=inc.id, title="关于楚雄市化工厂爆炸事故的情况通报",
                          text="经核实，楚雄市某化工厂发生爆炸，造成3人受伤。已启动应急预案。将于今日召开新闻发布会。")
    route_pending(store, config, now=T0 + dt.timedelta(hours=1, minutes=10))
    assert _clock(store, inc.id, "authoritative_info").state == "met"
    assert _clock(store, inc.id, "press_conference").state == "running"  # a 情况通报 is not a press conference

    presser = make_mention("presser", published_at=T0 + dt.timedelta(hours=6), official=True,
                           office="chuxiong_pref_gov", jurisdiction="532300", incident_id=inc.id,
                           title="楚雄市化工厂爆炸事故新闻发布会召开",
                           text="发布会通报了楚雄市化工厂爆炸事故救援进展。")
    route_pending(store, config, now=T0 + dt.timedelta(hours=6, minutes=10))

    five_h, day = _clock(store, inc.id, "authoritative_info"), _clock(store, inc.id, "press_conference")
    assert day.state == "met" and day.evidence["mention_id"] == presser.id
    assert day.evidence["kind"] == "press_conference"
    assert five_h.evidence["mention_id"] == report.id and five_h.evidence["kind"] == "situation_report"


def test_press_conference_alone_leaves_the_5h_clock_to_be_missed(store, config, make_incident, make_mention):
    from response.api import sweep_clocks

    inc = make_incident("presser-only", place_codes=["532301"], level="II", priorities=["emergency"],
                        keywords=["化工厂", "爆炸", "楚雄市"])
    route_pending(store, config, now=T0)
    make_mention("presser2", published_at=T0 + dt.timedelta(hours=2), official=True, office="chuxiong_pref_gov",
                 jurisdiction="532300", incident_id=inc.id, title="楚雄市化工厂爆炸事故新闻发布会",
                 text="发布会通报了爆炸事故救援进展。")
    route_pending(store, config, now=T0 + dt.timedelta(hours=3))
    sweep_clocks(store, config, now=T0 + dt.timedelta(hours=6))
    assert _clock(store, inc.id, "press_conference").state == "met"
    five_h = _clock(store, inc.id, "authoritative_info")
    assert five_h.state == "missed" and five_h.met_at is None


def test_doubtful_match_waits_as_pending_and_only_the_office_confirmation_meets_the_clock(
        store, config, make_incident, make_mention):
    from response.api import sweep_clocks
    from response.releases import decide_release
    from yuqing.errors import InputError

    inc = make_incident("fund", place_codes=["530111"], level="IV", priorities=["public_interest"],
                        keywords=["维修基金", "物业", "业委会", "官渡区某小区"])
    route_pending(store, config, now=T0)
    # Not tied by the analysis and sharing only two keywords: doubtful (score 0.4 < meet_at 0.6).
    post = make_mention("fund-answer", published_at=T0 + dt.timedelta(hours=30), official=True, office="guandu_gov",
                        jurisdiction="530111", title="关于维修基金使用问题的情况说明",
                        text="近日有群众反映物业挪用维修基金。经核查，相关资金未被挪用。")
    route_pending(store, config, now=T0 + dt.timedelta(hours=31))

    release = Release.from_doc(store.get("releases", stable_id("release", inc.id, post.id)) or {})
    assert release.status == "pending" and release.match_score == 0.4
    assert any("共有关键词2个" in r for r in release.match_reasons)
    assert _clock(store, inc.id, "response_48h").state == "running"  # 待确认 does not meet it
    assert (store.get("incidents", inc.id) or {})["state"] == "assigned"

    sweep_clocks(store, config, now=T0 + dt.timedelta(hours=49))
    assert _clock(store, inc.id, "response_48h").state == "missed"

    decided_at = T0 + dt.timedelta(hours=50)
    decide_release(store, config, release.id, "confirm", actor="官渡区联络员", now=decided_at)

    clock = _clock(store, inc.id, "response_48h")
    # Met at the release's own publication time (before the deadline), not at the confirmation.
    assert clock.state == "met" and clock.met_at == T0 + dt.timedelta(hours=30)
    assert clock.evidence["status"] == "confirmed" and clock.evidence["confirmed_by"] == "官渡区联络员"
    assert (store.get("incidents", inc.id) or {})["state"] == "released"
    store.refresh("audit")
    assert store.count("audit", {"bool": {"filter": [{"term": {"entity_id": release.id}},
                                                     {"term": {"action": "confirm"}}]}}) == 1
    with pytest.raises(InputError, match="不是待确认"):
        decide_release(store, config, release.id, "reject", actor="官渡区联络员", now=decided_at)


def test_a_rejected_doubtful_match_meets_nothing(store, config, make_incident, make_mention):
    from response.releases import decide_release

    inc = make_incident("fund2", place_codes=["530111"], level="IV", priorities=["public_interest"],
                        keywords=["维修基金", "物业", "业委会", "官渡区某小区"])
    route_pending(store, config, now=T0)
    post = make_mention("other-fund", published_at=T0 + dt.timedelta(hours=3), official=True, office="guandu_gov",
                        jurisdiction="530111", title="关于规范物业服务收费的情况说明",
                        text="为规范物业服务，区住建局部署开展维修基金专项检查。")
    route_pending(store, config, now=T0 + dt.timedelta(hours=4))
    rid = stable_id("release", inc.id, post.id)
    decide_release(store, config, rid, "reject", actor="官渡区联络员", now=T0 + dt.timedelta(hours=5),
                   reason="系常规工作部署，与该事件无关")
    route_pending(store, config, now=T0 + dt.timedelta(hours=6))  # detection runs again: the decision stands
    assert Release.from_doc(store.get("releases", rid) or {}).status == "rejected"
    assert _clock(store, inc.id, "response_48h").state == "running"


# --- the three-step review ------------------------------------------------------------------------


def _steps(*people_at: tuple[str, str, dt.datetime]):
    from yuqing.models import ReviewStep

    return [ReviewStep.model_validate({"step": s, "reviewer": p, "at": a}) for s, p, a in people_at]


def test_review_needs_three_different_people_each_holding_the_role_in_order_before_publication(
        store, config, make_incident, make_mention):
    from response.releases import record_review
    from yuqing.errors import InputError

    inc = make_incident("reviewed", place_codes=["530102"], level="IV", priorities=["credibility"],
                        keywords=["积水", "五华区"])
    route_pending(store, config, now=T0)
    post = make_mention("wh-answer", published_at=T0 + dt.timedelta(hours=5), official=True, office="wuhua_gov",
                        jurisdiction="530102", incident_id=inc.id, title="关于五华区道路积水的情况通报",
                        text="经核实，五华区某路段积水系管网堵塞。已组织疏通。积水已全部排除。")
    route_pending(store, config, now=T0 + dt.timedelta(hours=6))
    rid = stable_id("release", inc.id, post.id)
    release = Release.from_doc(store.get("releases", rid) or {})
    assert release.status == "matched" and not release.review_recorded  # 已发布，未记录审核

    t = T0 + dt.timedelta(hours=2)
    drafter, head, unit = "五华区政府办承办人", "五华区政府办信息科科长", "五华区政府办副主任"
    now = T0 + dt.timedelta(hours=7)
    cases = [
        # two reviewers: one person signs two steps
        (_steps(("drafter", drafter, t), ("office_head", head, t + dt.timedelta(minutes=10)),
                ("unit_head", head, t + dt.timedelta(minutes=20))), "三名不同人员"),
        # a person without the role for the step
        (_steps(("drafter", drafter, t), ("office_head", head, t + dt.timedelta(minutes=10)),
                ("unit_head", "五华区政府办保密员", t + dt.timedelta(minutes=20))),
         "不具有五华区人民政府办公室「单位负责人审发」"),
        # out of order
        (_steps(("drafter", drafter, t + dt.timedelta(minutes=30)), ("office_head", head, t),
                ("unit_head", unit, t + dt.timedelta(minutes=40))), "审核顺序"),
        # signed after publication
        (_steps(("drafter", drafter, t), ("office_head", head, t + dt.timedelta(minutes=10)),
                ("unit_head", unit, T0 + dt.timedelta(hours=5, minutes=30))), "审核须在发布之前完成"),
    ]
    for steps, message in cases:
        with pytest.raises(InputError, match=message):
            record_review(store, config, rid, reviews=steps, actor="五华区联络员", now=now)
    assert not Release.from_doc(store.get("releases", rid) or {}).review_recorded

    good = _steps(("drafter", drafter, t), ("office_head", head, t + dt.timedelta(minutes=10)),
                  ("unit_head", unit, t + dt.timedelta(minutes=25)))
    record_review(store, config, rid, reviews=good, actor="五华区联络员", now=now)
    stored = Release.from_doc(store.get("releases", rid) or {})
    assert [(r.step, r.reviewer, r.at) for r in stored.reviews] == [(r.step, r.reviewer, r.at) for r in good]
    assert stored.review_recorded_by == "五华区联络员"
    # What it states is judged from its text, sentence by sentence.
    assert stored.content["facts"] == ["经核实，五华区某路段积水系管网堵塞。"]
    assert stored.content["result"] == ["积水已全部排除。"]


@pytest.mark.parametrize(("title", "text", "doc_no", "account", "kind"), [
    ("关于楚雄市化工厂爆炸事故的情况通报", "经核实……将于今日15时召开新闻发布会。", None, False, "situation_report"),
    ("楚雄市化工厂爆炸事故新闻发布会召开", "发布会通报了救援进展。", None, False, "press_conference"),
    ("《云南省进一步优化营商环境若干措施》政策解读", "一、出台背景……", None, False, "interpretation"),
    ("云南省人民政府关于印发云南省进一步优化营商环境若干措施的通知", "现将……印发给你们。", "云政发〔2026〕31号", False,
     "policy_document"),
    ("昆明市公安局警情通报", "11月20日，……", None, False, "police_report"),
    ("【辟谣】网传“昆明自来水被污染”系不实信息。经核实……", "【辟谣】网传“昆明自来水被污染”系不实信息。经核实……", None,
     True, "rebuttal"),
    ("【一图读懂】营商环境若干措施", "【一图读懂】营商环境若干措施", None, True, "interpretation"),
    ("今天我们连夜排查了全市供水管网。", "今天我们连夜排查了全市供水管网。", None, True, "statement"),
    ("省领导调研营商环境工作", "省领导调研……", None, False, "other"),
])
def test_release_kind_comes_from_the_headline_then_the_document_number_then_the_text(
        config, title, text, doc_no, account, kind):
    from response.releases import classify

    assert classify(config, title=title, text=text, doc_no=doc_no, account=account)[0] == kind

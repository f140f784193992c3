"""Incident lifecycle: legal paths audited with who/when/why, illegal ones rejected, no lost updates."""

from __future__ import annotations

import datetime as dt
from concurrent.futures import ThreadPoolExecutor

import pytest

from response import lifecycle
from response.api import route_pending
from response.releases import record_release
from yuqing.audit import history
from yuqing.clock import TZ
from yuqing.errors import InputError, TransitionError
from yuqing.models import Clock, ReviewStep, stable_id

pytestmark = pytest.mark.integration

T0 = dt.datetime(2026, 11, 20, 8, 0, tzinfo=TZ)


def _reviews(config, office: str, at: dt.datetime, *steps: str) -> list[ReviewStep]:
    """Each step signed by the office's configured reviewer for it, ten minutes apart."""
    people = config.offices.office(office).reviewers
    return [ReviewStep.model_validate({"step": s, "reviewer": people[s][0], "at": at + dt.timedelta(minutes=10 * i)})
            for i, s in enumerate(steps)]


def test_full_lifecycle_is_audited_with_who_when_and_why(store, config, make_incident):
    inc = make_incident("path", level="III", priorities=["public_interest"], subtopics=["housing"])
    route_pending(store, config, now=T0)
    t = T0 + dt.timedelta(hours=1)

    lifecycle.apply(store, config, inc.id, "acknowledge", actor="张三", now=t)
    lifecycle.apply(store, config, inc.id, "start_response", actor="张三", now=t + dt.timedelta(minutes=10),
                    reason="已联系开发商核实交房情况")
    record_release(store, config, inc.id, actor="张三", now=t + dt.timedelta(hours=3), office="prov_housing",
                   channel="website", url="https://zjt.example/notice/1", title="关于某小区交房问题的回应",
                   published_at=t + dt.timedelta(hours=2),
                   reviews=_reviews(config, "prov_housing", t, "drafter", "office_head", "unit_head",
                                    "confidentiality"),
                   text="经核实，该小区因配套工程未验收延期交房。已责成开发商整改。已完成验收，定于下月交房。")
    closed = lifecycle.apply(store, config, inc.id, "close", actor="李四", now=t + dt.timedelta(hours=5))

    assert closed.state == "closed" and closed.closed_at == t + dt.timedelta(hours=5)
    assert closed.acknowledged_by == "张三"
    events = [(e.action, e.actor, e.before.get("state"), e.after.get("state")) for e in history(store, inc.id)
              if e.entity == "incident" and e.action != "route"]
    assert events == [
        ("assign", "system:router", "new", "assigned"),
        ("acknowledge", "张三", "assigned", "acknowledged"),
        ("start_response", "张三", "acknowledged", "responding"),
        ("record_release", "张三", "responding", "released"),
        ("close", "李四", "released", "closed"),
    ]
    reasons = {e.action: e.reason for e in history(store, inc.id)}
    assert reasons["start_response"] == "已联系开发商核实交房情况"
    clock = Clock.from_doc(store.get("clocks", stable_id(inc.id, "response_48h")) or {})
    assert clock.state == "met" and clock.evidence["url"] == "https://zjt.example/notice/1"


def test_illegal_transition_is_rejected_with_a_clear_message(store, config, make_incident):
    inc = make_incident("illegal", level="IV", priorities=["credibility"])
    route_pending(store, config, now=T0)

    with pytest.raises(TransitionError) as err:
        lifecycle.apply(store, config, inc.id, "close", actor="张三", now=T0)
    assert "已交办" in str(err.value) and "不能「办结」" in str(err.value)
    assert "cannot close" in str(err.value)

    lifecycle.apply(store, config, inc.id, "acknowledge", actor="张三", now=T0)
    with pytest.raises(TransitionError):
        lifecycle.apply(store, config, inc.id, "acknowledge", actor="李四", now=T0 + dt.timedelta(minutes=1))
    with pytest.raises(InputError):
        lifecycle.apply(store, config, inc.id, "dismiss", actor="张三", now=T0)  # no reason
    with pytest.raises(InputError):
        lifecycle.apply(store, config, inc.id, "reassign", actor="张三", now=T0, office="no_such_office")
    doc = store.get("incidents", inc.id) or {}
    assert doc["state"] == "acknowledged" and doc["acknowledged_by"] == "张三"


def test_release_without_the_three_review_steps_is_rejected(store, config, make_incident):
    inc = make_incident("unreviewed", level="IV", priorities=["credibility"])
    route_pending(store, config, now=T0)
    with pytest.raises(InputError) as err:
        record_release(store, config, inc.id, actor="张三", now=T0 + dt.timedelta(hours=2), office="wuhua_gov",
                       channel="weibo", url="https://weibo.example/1", title="回应",
                       published_at=T0 + dt.timedelta(hours=1),
                       reviews=_reviews(config, "wuhua_gov", T0, "drafter", "office_head"))
    assert "单位负责人审发" in str(err.value)
    store.refresh("releases")
    assert store.count("releases") == 0
    assert (store.get("incidents", inc.id) or {})["state"] == "assigned"


def test_reassign_moves_clocks_and_dismiss_waives_them(store, config, make_incident):
    inc = make_incident("move", level="IV", priorities=["credibility"])
    route_pending(store, config, now=T0)
    clock_id = stable_id(inc.id, "response_48h")

    moved = lifecycle.apply(store, config, inc.id, "reassign", actor="值班员", now=T0 + dt.timedelta(minutes=5),
                            office="panlong_gov", reason="事发地实为盘龙区")
    assert moved.assigned_office == "panlong_gov"
    assert Clock.from_doc(store.get("clocks", clock_id) or {}).owner_office == "panlong_gov"

    dismissed = lifecycle.apply(store, config, inc.id, "dismiss", actor="值班员", now=T0 + dt.timedelta(minutes=9),
                                reason="重复信息")
    assert dismissed.state == "dismissed" and dismissed.dismiss_reason == "重复信息"
    clock = Clock.from_doc(store.get("clocks", clock_id) or {})
    assert clock.state == "waived" and "重复信息" in (clock.waived_reason or "")


def test_concurrent_acknowledgements_do_not_both_succeed(store, config, make_incident):
    inc = make_incident("race", level="IV", priorities=["credibility"])
    route_pending(store, config, now=T0)

    def ack(actor: str) -> str:
        try:
            lifecycle.apply(store, config, inc.id, "acknowledge", actor=actor, now=T0 + dt.timedelta(minutes=1))
            return "ok"
        except TransitionError:
            return "rejected"

    with ThreadPoolExecutor(max_workers=2) as pool:
        outcomes = sorted(pool.map(ack, ["甲", "乙"]))
    assert outcomes == ["ok", "rejected"]
    store.refresh("audit")
    acks = [e for e in history(store, inc.id) if e.action == "acknowledge"]
    assert len(acks) == 1
    assert (store.get("incidents", inc.id) or {})["acknowledged_by"] == acks[0].actor

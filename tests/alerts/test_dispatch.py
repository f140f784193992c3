"""Alerts end to end: rules over real Elasticsearch documents, delivered to real local receivers."""

from __future__ import annotations

import datetime as dt
import itertools
import json
import os
import types

import pytest

from alerts import api
from demo.receivers import Receivers
from yuqing.clock import TZ, Duration
from yuqing.config import Config
from yuqing.config.alerts import AlertRule
from yuqing.models import Delivery
from yuqing.storage import Store

pytestmark = [pytest.mark.integration,
              pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")]

MIN = dt.timedelta(minutes=1)
T0 = dt.datetime(2026, 11, 23, 10, 0, tzinfo=TZ)  # a Monday, office hours (same as conftest.T0)


def deliveries(store: Store, **terms: str) -> list[Delivery]:
    store.refresh("deliveries")
    query = {"bool": {"filter": [{"term": {k: v}} for k, v in terms.items()]}} if terms else None
    return [Delivery.from_doc(d) for d in store.find("deliveries", query, sort=[{"created_at": "asc"}])]


def test_level_ii_incident_reaches_its_office_and_the_duty_desk_on_every_channel(
        store: Store, config: Config, receivers: Receivers, h: types.SimpleNamespace) -> None:
    h.put_incident(store, "inc-a", level="II", office="prov_emergency")
    stats = api.dispatch(store, config, now=T0)
    assert stats.failed == 0 and stats.delivered >= 6

    wecom = receivers.received("duty_wecom")
    assert len(wecom) == 1
    content = wecom[0].body["markdown"]["content"]  # type: ignore[index]
    assert "某县化工厂爆炸致多人受伤" in content and "省应急管理厅" in content and "重大（II级）" in content
    assert "http://127.0.0.1:8600/incidents/inc-a" in content
    assert len(content.encode("utf-8")) <= 4096
    # three matching rules (new major incident, new incident, emergency priority hit): one alert
    assert "命中收集重点：重大突发事件" in content and content.count("**事件**") == 1

    # Signed DingTalk request: the receiver recomputed the signature before accepting it.
    ding = receivers.received("duty_dingtalk")
    assert len(ding) == 1 and "舆情" in ding[0].text and "应急厅办公室主任" not in receivers.rejected
    assert not [r for r in receivers.rejected if r[0] == "dingtalk"]
    feishu = receivers.received("leader_feishu")
    assert len(feishu) == 1 and feishu[0].body["msg_type"] == "interactive"  # type: ignore[index]
    assert feishu[0].body["sign"] and "省应急管理厅" in feishu[0].text  # type: ignore[index]

    mail = receivers.received("duty_email")
    assert len(mail) == 1 and mail[0].rcpt_tos == ["duty@yuqing.example"]
    raw_subject = next(line for line in mail[0].raw.split(b"\r\n") if line.startswith(b"Subject:"))
    assert b"=?utf-8?" in raw_subject.lower()
    assert "某县化工厂爆炸致多人受伤" in str(mail[0].email()["Subject"])

    sms = receivers.received("leader_sms")
    assert len(sms) == 1 and sms[0].body["PhoneNumbers"] == "13800000002"  # type: ignore[index]

    hook = receivers.received("ops_webhook")
    assert len(hook) == 1
    data = hook[0].body["data"]  # type: ignore[index]
    assert {r["office"] for r in data["recipients"]} == {"prov_emergency"}
    assert hook[0].headers["webhook-id"] == data["id"]

    # The city robot belongs to other offices: nothing went there.
    assert receivers.received("city_wecom") == []
    assert {d.state for d in deliveries(store)} == {"sent"}


def test_place_spike_goes_to_the_place_government(
        store: Store, config: Config, receivers: Receivers, h: types.SimpleNamespace) -> None:
    docs = []
    for i in range(6):
        docs.append((f"m{i}", {
            "id": f"m{i}", "source_id": "demo-news", "source_type": "news", "media_tier": "local",
            "jurisdiction": "530100", "url": f"http://x/{i}", "canonical_url": f"http://x/{i}",
            "title": "昆明某小区停水三天", "crawled_at": (T0 - i * 5 * MIN).isoformat(),
            "place": {"code": "530100", "city": "昆明市"}, "sentiment": {"label": "negative", "score": -0.8},
        }))
    store.bulk("mentions", docs, refresh=True)
    api.dispatch(store, config, now=T0)
    city = receivers.received("city_wecom")
    assert len(city) == 1 and "昆明市" in city[0].text and "信息量激增" in city[0].text
    assert "负面占比上升" in city[0].text  # both spikes aggregated into one message


def test_dispatch_twice_sends_once_per_state_change(
        store: Store, config: Config, receivers: Receivers, h: types.SimpleNamespace) -> None:
    h.put_incident(store, "inc-b", level="III", state="new")
    api.dispatch(store, config, now=T0)
    first = deliveries(store)
    sent_before = len(receivers.messages)
    again = api.dispatch(store, config, now=T0 + 2 * MIN)
    assert again.created == 0 and again.messages == 0
    assert len(deliveries(store)) == len(first) and len(receivers.messages) == sent_before

    h.put_incident(store, "inc-b", level="III", state="assigned", at=T0 + 3 * MIN)  # a state change
    changed = api.dispatch(store, config, now=T0 + 10 * MIN)
    assert changed.created > 0
    keys = {d.alert_key for d in deliveries(store)}
    assert keys == {"incident:inc-b:new", "incident:inc-b:assigned"}
    assert len(receivers.received("duty_wecom")) == 2


def test_unacknowledged_level_ii_incident_climbs_the_ladder_on_time(
        store: Store, config: Config, receivers: Receivers, h: types.SimpleNamespace) -> None:
    h.put_incident(store, "inc-c", level="II", office="prov_health")  # no head, no leader of its own
    api.dispatch(store, config, now=T0)
    assert receivers.received("duty_dingtalk")  # new_major_incident already reaches the heads
    receivers.reset()

    assert api.dispatch(store, config, now=T0 + 10 * MIN).created == 0  # before the 15-minute step
    api.dispatch(store, config, now=T0 + 16 * MIN)
    step1 = deliveries(store, ladder_step="1")
    assert [d.role for d in step1] == ["office_head"] and step1[0].channel_id == "duty_dingtalk"
    ding = receivers.received("duty_dingtalk")
    assert len(ding) == 1 and "16分钟未签收" in ding[0].text and receivers.received("leader_feishu") == []

    api.dispatch(store, config, now=T0 + 31 * MIN)
    step2 = deliveries(store, ladder_step="2")
    assert {d.channel_id for d in step2} == {"leader_feishu", "leader_sms"}
    assert len(receivers.received("leader_feishu")) == 1

    # Acknowledged: no more steps or repeats, even hours later.
    api.acknowledge(store, step2[0].id, "张值班", T0 + 32 * MIN)
    before = len(deliveries(store))
    for minutes in (95, 200, 600):
        api.dispatch(store, config, now=T0 + minutes * MIN)
    assert len(deliveries(store)) == before
    acked = Delivery.from_doc(store.get("deliveries", step2[0].id))  # type: ignore[arg-type]
    assert acked.acknowledged_by == "张值班"


def test_ladder_repeats_at_the_top_up_to_the_limit(
        store: Store, config: Config, receivers: Receivers, h: types.SimpleNamespace) -> None:
    h.put_incident(store, "inc-r", level="I", office="prov_emergency")
    times = [0, 16, 31, 60, 92, 120, 150, 212, 240, 300, 332, 400, 500, 572, 700, 900, 1200, 1500, 1800]
    for minutes in times:  # 30 hours, nobody acknowledges
        api.dispatch(store, config, now=T0 + minutes * MIN)
    steps = deliveries(store, channel_id="leader_feishu")
    # the first alert (the rule names the leader for level I) + ladder step 2 + max_repeats (3) repeats
    assert len(steps) == 1 + 1 + 3, [d.created_at for d in steps]
    assert [d.ladder_step for d in steps] == [0, 2, 2, 2, 2]
    gaps = [(b.created_at - a.created_at) for a, b in itertools.pairwise(steps[1:])]
    assert gaps == sorted(gaps) and gaps[0] >= dt.timedelta(hours=1)  # growing intervals


def test_acknowledged_incident_does_not_escalate(
        store: Store, config: Config, receivers: Receivers, h: types.SimpleNamespace) -> None:
    h.put_incident(store, "inc-k", level="II")
    api.dispatch(store, config, now=T0)
    h.put_incident(store, "inc-k", level="II", acknowledged_at=T0 + 5 * MIN)  # the office signed for it
    before = len(deliveries(store))
    api.dispatch(store, config, now=T0 + 40 * MIN)
    assert len(deliveries(store)) == before


def test_receiver_500_then_recovering_gets_exactly_one_message(
        store: Store, config: Config, receivers: Receivers, h: types.SimpleNamespace) -> None:
    receivers.script("ops_webhook", ("status", 500), ("status", 500))
    h.put_incident(store, "inc-d", level="III", office="prov_health")
    api.dispatch(store, config, now=T0)
    [hook] = deliveries(store, channel_id="ops_webhook")
    assert hook.state == "pending" and hook.attempts == 1 and hook.last_error == "HTTP 500"
    assert hook.next_attempt_at == T0 + MIN

    api.dispatch(store, config, now=T0 + 30 * dt.timedelta(seconds=1))  # not due yet
    assert receivers.robot("ops_webhook").script  # the second 500 is still queued
    api.dispatch(store, config, now=T0 + MIN)  # second attempt: 500 again, backoff doubles
    [hook] = deliveries(store, channel_id="ops_webhook")
    assert hook.attempts == 2 and hook.next_attempt_at == T0 + 3 * MIN
    api.dispatch(store, config, now=T0 + 3 * MIN)
    [hook] = deliveries(store, channel_id="ops_webhook")
    assert hook.state == "sent" and hook.attempts == 3
    assert len(receivers.received("ops_webhook")) == 1
    api.dispatch(store, config, now=T0 + 10 * MIN)
    assert len(receivers.received("ops_webhook")) == 1


@pytest.mark.parametrize(("channel_id", "code", "wait"), [("duty_wecom", 45009, 60), ("duty_dingtalk", 130101, 600)])
def test_rate_limited_robot_is_retried_after_the_window(
        store: Store, config: Config, receivers: Receivers, h: types.SimpleNamespace,
                                                        channel_id: str, code: int, wait: int) -> None:
    receivers.script(channel_id, ("code", code))
    h.put_incident(store, "inc-e", level="II")
    api.dispatch(store, config, now=T0)
    [d] = deliveries(store, channel_id=channel_id, ladder_step="0")
    assert d.state == "pending" and d.response["errcode"] == code
    assert d.next_attempt_at == T0 + dt.timedelta(seconds=wait)
    api.dispatch(store, config, now=T0 + dt.timedelta(seconds=wait - 5))
    assert receivers.received(channel_id) == []
    api.dispatch(store, config, now=T0 + dt.timedelta(seconds=wait))
    assert len(receivers.received(channel_id)) == 1
    assert Delivery.from_doc(store.get("deliveries", d.id)).state == "sent"  # type: ignore[arg-type]


def test_real_sliding_window_limit_answers_45009_and_is_retried(
        store: Store, config: Config, receivers: Receivers, h: types.SimpleNamespace) -> None:
    robot = receivers.robot("duty_wecom")
    robot.limits = ((1, 60.0),)  # the receiver allows one message a minute for this test
    try:
        h.put_incident(store, "inc-f", level="II", state="new")
        api.dispatch(store, config, now=T0)
        h.put_incident(store, "inc-f", level="II", state="escalated", at=T0 + MIN)
        api.dispatch(store, config, now=T0 + MIN)  # a second message within the real minute
        esc = deliveries(store, channel_id="duty_wecom", alert_key="incident:inc-f:escalated")
        assert esc[0].state == "pending" and esc[0].response["errcode"] == 45009
    finally:
        robot.limits = ((20, 60.0),)
    robot.hits.clear()
    api.dispatch(store, config, now=T0 + 3 * MIN)
    assert len(receivers.received("duty_wecom")) == 2


def test_quiet_hours_hold_level_iii_for_the_leader_but_not_level_ii(
        store: Store, config: Config, receivers: Receivers, h: types.SimpleNamespace) -> None:
    rules = [*config.alerts.rules, AlertRule(id="leader_all", kind="new_incident", min_level="IV",
                                             recipients=["leader"])]
    cfg = h.with_alerts(config, rules=rules)
    night = T0.replace(hour=23)
    h.put_incident(store, "inc-g3", level="III", title="三级事件标题", at=night)
    api.dispatch(store, cfg, now=night)
    assert receivers.received("leader_feishu") == []
    held = deliveries(store, channel_id="leader_feishu")
    assert held[0].state == "pending" and held[0].next_attempt_at == (night + dt.timedelta(days=1)).replace(hour=7)
    assert receivers.received("duty_wecom")  # the duty desk has no quiet hours

    h.put_incident(store, "inc-g2", level="II", title="二级事件标题", at=night)
    api.dispatch(store, cfg, now=night + MIN)
    leader = receivers.received("leader_feishu")
    assert len(leader) == 1 and "二级事件标题" in leader[0].text and "三级事件标题" not in leader[0].text

    api.dispatch(store, cfg, now=(night + dt.timedelta(days=1)).replace(hour=7, minute=1))
    assert any("三级事件标题" in m.text for m in receivers.received("leader_feishu"))


def test_burst_is_aggregated_into_one_message_per_recipient(
        store: Store, config: Config, receivers: Receivers, h: types.SimpleNamespace) -> None:
    for i in range(3):
        h.put_incident(store, f"inc-h{i}", level="IV", title=f"一般事件{i}号", office="prov_market")
    api.dispatch(store, config, now=T0)
    [msg] = receivers.received("duty_wecom")
    assert all(f"一般事件{i}号" in msg.text for i in range(3)) and "3条预警汇总" in msg.text
    assert len({d.batch_id for d in deliveries(store, channel_id="duty_wecom")}) == 1

    h.put_incident(store, "inc-h9", level="IV", title="随后事件", office="prov_market", at=T0 + 2 * MIN)
    api.dispatch(store, config, now=T0 + 2 * MIN)  # inside the 5-minute window: held
    assert len(receivers.received("duty_wecom")) == 1
    api.dispatch(store, config, now=T0 + 6 * MIN)
    assert len(receivers.received("duty_wecom")) == 2


def test_crash_between_sending_and_recording_never_sends_twice(
        store: Store, config: Config, receivers: Receivers, h: types.SimpleNamespace) -> None:
    h.put_incident(store, "inc-i", level="III", office="prov_health")
    api.dispatch(store, config, now=T0)
    hook = deliveries(store, channel_id="ops_webhook")[0]
    robot = deliveries(store, channel_id="duty_wecom")[0]
    # Pretend the run died after the receivers got the messages but before it recorded them.
    for d in (hook, robot):
        store.update("deliveries", d.id, {"state": "sending", "sending_at": T0.isoformat()}, refresh=True)
    stats = api.dispatch(store, config, now=T0 + 10 * MIN)
    assert stats.recovered == 2 and stats.resent == 1
    assert receivers.duplicates == 1  # the webhook was resent with the same webhook-id and deduplicated
    assert len(receivers.received("ops_webhook")) == 1 and len(receivers.received("duty_wecom")) == 1
    after_hook = Delivery.from_doc(store.get("deliveries", hook.id))  # type: ignore[arg-type]
    after_robot = Delivery.from_doc(store.get("deliveries", robot.id))  # type: ignore[arg-type]
    assert after_hook.state == "sent"
    assert after_robot.state == "failed" and "unknown outcome" in (after_robot.last_error or "")


def test_crawled_script_is_escaped_in_markdown_and_email_html(
        store: Store, config: Config, receivers: Receivers, h: types.SimpleNamespace) -> None:
    h.put_incident(store, "inc-x", level="II", title="<script>alert('x')</script>[点我](http://evil) @all")
    api.dispatch(store, config, now=T0)
    md = receivers.received("duty_wecom")[0].body["markdown"]["content"]  # type: ignore[index]
    assert "<script>" not in md and "&lt;script&gt;" in md and "](http://evil)" not in md
    ding = receivers.received("duty_dingtalk")[0]
    assert "<script>" not in ding.text and "@all" not in ding.text
    msg = receivers.received("duty_email")[0].email()
    html_part = msg.get_body(preferencelist=("html",)).get_content()
    assert "<script>" not in html_part and "&lt;script&gt;" in html_part
    feishu = json.dumps(receivers.received("leader_feishu")[0].body, ensure_ascii=False)
    assert "<script>" not in feishu


def test_clock_due_soon_and_missed_reach_the_owning_office(
        store: Store, config: Config, receivers: Receivers, h: types.SimpleNamespace) -> None:
    h.put_incident(store, "inc-j", level="III", office="prov_emergency", state="responding",
                 acknowledged_at=T0 - 3 * 60 * MIN)
    h.put_clock(store, "inc-j", due_at=T0 + 100 * MIN, opened_at=T0 - 200 * MIN)
    api.dispatch(store, config, now=T0)
    [hook] = receivers.received("ops_webhook")  # the office's liaison (office_staff)
    alert = hook.body["data"]["alerts"][0]  # type: ignore[index]
    assert alert["headline_zh"] == "时限即将到期" and alert["clock"]["remaining_zh"] == "剩余1小时40分钟"
    api.dispatch(store, config, now=T0 + 90 * MIN)  # past 30m-before: a second reminder
    assert len(receivers.received("ops_webhook")) == 2
    api.dispatch(store, config, now=T0 + 101 * MIN)  # missed: the office head hears it
    missed = deliveries(store, alert_key="clock:c-inc-j-authoritative_info:missed")
    assert {d.role for d in missed} >= {"office_head", "duty_officer"}
    assert any("时限已超期" in m.text for m in receivers.received("duty_dingtalk"))


def test_failing_source_alerts_the_duty_desk(
        store: Store, config: Config, receivers: Receivers, h: types.SimpleNamespace) -> None:
    h.put_health(store, "demo-news", status="failing", error_rate=0.8)
    api.dispatch(store, config, now=T0 + MIN)
    [msg] = receivers.received("duty_wecom")
    assert "信息源采集失败" in msg.text and "80%" in msg.text
    h.put_health(store, "demo-news", status="ok", at=T0 + 10 * MIN)  # recovered: resolved, no repeats
    api.dispatch(store, config, now=T0 + 3 * 60 * MIN)
    assert len(receivers.received("duty_wecom")) == 1


def test_missing_connection_is_retried_not_lost(
        store: Store, config: Config, receivers: Receivers, h: types.SimpleNamespace,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AIRFLOW_CONN_YUQING_OPS_WEBHOOK")
    h.put_incident(store, "inc-m", level="III", office="prov_health")
    api.dispatch(store, config, now=T0)
    [hook] = deliveries(store, channel_id="ops_webhook")
    assert hook.state == "pending" and "not configured" in (hook.last_error or "")


def test_cli_dispatches_lists_and_acknowledges(
        store: Store, config: Config, receivers: Receivers, h: types.SimpleNamespace, es_url: str,
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    from yuqing.cli import main

    monkeypatch.setenv("ES_URL", es_url)
    monkeypatch.setenv("YUQING_INDEX_PREFIX", store.prefix)
    h.put_incident(store, "inc-cli", level="III", office="prov_health")
    assert main(["alerts", "dispatch", "--now", T0.isoformat()]) == 0
    assert '"delivered"' in capsys.readouterr().out
    assert main(["alerts", "dispatch", "--now", (T0 + MIN).isoformat()]) == 0
    assert '"created"' not in capsys.readouterr().out  # re-running sends nothing new
    assert main(["alerts", "list", "--state", "sent"]) == 0
    first = capsys.readouterr().out.splitlines()[0]
    assert "已发送" in first and " sent " not in first and "attempts=" not in first  # state in Chinese
    short = first.split()[0]
    assert main(["alerts", "ack", short, "--actor", "李值班", "--now", (T0 + 2 * MIN).isoformat()]) == 0
    [acked] = [d for d in deliveries(store) if d.id.startswith(short)]
    assert acked.acknowledged_by == "李值班" and acked.acknowledged_at == T0 + 2 * MIN
    assert main(["alerts", "ack", "nope", "--actor", "x"]) == 2


@pytest.mark.parametrize(("channel_id", "env", "code"), [
    ("duty_dingtalk", "AIRFLOW_CONN_YUQING_DUTY_DINGTALK", 310000),
    ("leader_feishu", "AIRFLOW_CONN_YUQING_LEADER_FEISHU", 19021),
])
def test_wrong_signing_secret_is_a_permanent_failure_despite_http_200(
        store: Store, config: Config, receivers: Receivers, h: types.SimpleNamespace,
        monkeypatch: pytest.MonkeyPatch, channel_id: str, env: str, code: int) -> None:
    conn = json.loads(os.environ[env])
    conn["extra"]["secret"] = "SECwrong"
    monkeypatch.setenv(env, json.dumps(conn))
    h.put_incident(store, "inc-s", level="II")
    api.dispatch(store, config, now=T0)
    [d] = deliveries(store, channel_id=channel_id, ladder_step="0")
    assert d.state == "failed" and d.attempts == 1
    assert code in (d.response.get("errcode"), d.response.get("code"))
    assert receivers.received(channel_id) == []
    api.dispatch(store, config, now=T0 + 5 * MIN)
    assert Delivery.from_doc(store.get("deliveries", d.id)).attempts == 1  # type: ignore[arg-type]


def test_sms_timeout_is_never_blindly_retried(store: Store, config: Config, receivers: Receivers,
                                              h: types.SimpleNamespace) -> None:
    channels = [c.model_copy(update={"timeout": Duration.parse("1s")}) if c.id == "leader_sms" else c
                for c in config.alerts.channels]
    cfg = h.with_alerts(config, channels=channels)
    receivers.script("leader_sms", ("sleep", 2.5))  # the gateway answers after the client gave up
    h.put_incident(store, "inc-t", level="II")
    api.dispatch(store, cfg, now=T0)
    [d] = deliveries(store, channel_id="leader_sms", ladder_step="0")
    assert d.state == "failed" and d.response.get("outcome") == "unknown" and "timeout" in (d.last_error or "")
    api.dispatch(store, cfg, now=T0 + 10 * MIN)
    assert Delivery.from_doc(store.get("deliveries", d.id)).attempts == 1  # type: ignore[arg-type]


@pytest.mark.parametrize(("channel_id", "step", "error"), [
    ("duty_wecom", ("accept_slowly", 2.0), "timeout"), ("duty_dingtalk", ("accept_slowly", 2.0), "timeout"),
    ("leader_feishu", ("accept_slowly", 2.0), "timeout"), ("duty_wecom", ("accept_then_reset", None), "transport")])
def test_slow_robot_that_accepted_the_message_gets_it_once(
        store: Store, config: Config, receivers: Receivers, h: types.SimpleNamespace, channel_id: str,
        step: tuple[str, object], error: str) -> None:
    """The robot takes the message, then answers after the client gave up (or drops the connection):
    the outcome is unknown, so it is recorded and audited for the duty desk, and never sent again
    (4 dispatches → 1 message)."""
    channels = [c.model_copy(update={"timeout": Duration.parse("1s")}) if c.id == channel_id else c
                for c in config.alerts.channels]
    cfg = h.with_alerts(config, channels=channels)
    receivers.script(channel_id, *[step] * 4)  # every request: taken, then no answer in time
    h.put_incident(store, "inc-slow", level="II")
    for minutes in range(4):  # within the first ladder step: only retries could send again
        api.dispatch(store, cfg, now=T0 + minutes * MIN)
    assert len(receivers.received(channel_id)) == 1
    [d] = deliveries(store, channel_id=channel_id)
    assert d.state == "failed" and d.attempts == 1
    assert d.response.get("outcome") == "unknown" and "unknown outcome" in (d.last_error or "")
    store.refresh("audit")
    events = store.find("audit", {"bool": {"filter": [{"term": {"entity_id": d.id}},
                                                      {"term": {"action": "unknown_outcome"}}]}})
    assert len(events) == 1 and error in events[0]["reason"]


def test_robot_error_answers_are_still_retried(
        store: Store, config: Config, receivers: Receivers, h: types.SimpleNamespace) -> None:
    """A clear failure (HTTP 502, robot busy code -1) is not an unknown outcome: it is retried and arrives once."""
    receivers.script("duty_wecom", ("status", 502), ("code", -1))
    h.put_incident(store, "inc-502", level="II")
    api.dispatch(store, config, now=T0)
    [d] = deliveries(store, channel_id="duty_wecom", ladder_step="0")
    assert d.state == "pending" and d.last_error == "HTTP 502"
    api.dispatch(store, config, now=T0 + MIN)
    [d] = deliveries(store, channel_id="duty_wecom", ladder_step="0")
    assert d.state == "pending" and d.response.get("errcode") == -1
    api.dispatch(store, config, now=T0 + 3 * MIN)
    [d] = deliveries(store, channel_id="duty_wecom", ladder_step="0")
    assert d.state == "sent" and d.attempts == 3
    assert len(receivers.received("duty_wecom")) == 1


def test_missing_next_year_holidays_alert_the_duty_desk_from_1_november(store: Store, receivers: Receivers) -> None:
    from yuqing.clock import package_years
    from yuqing.config import load_config
    from yuqing.paths import PROJECT_ROOT

    config = load_config(PROJECT_ROOT / "config")  # as shipped, with the calendar_missing rule
    last = max(package_years())
    october = dt.datetime(last, 10, 31, 10, 0, tzinfo=TZ)
    api.dispatch(store, config, now=october)
    assert not [m for m in receivers.received("duty_wecom") if "节假日安排" in m.text]

    november = dt.datetime(last, 11, 1, 10, 0, tzinfo=TZ)
    api.dispatch(store, config, now=november)
    [wecom] = [m for m in receivers.received("duty_wecom") if "节假日安排" in m.text]
    assert f"{last + 1}年节假日安排未配置，请录入 config/calendar.yaml" in wecom.text
    assert "covered" in wecom.text
    assert receivers.received("city_wecom") == []  # the duty desk's business, not an office's
    sent = [d for d in deliveries(store) if d.alert_key == f"calendar:{last + 1}:missing"]
    assert sent and {d.state for d in sent} == {"sent"}

    api.dispatch(store, config, now=november + 10 * MIN)  # suppressed: not sent again at once
    assert len([m for m in receivers.received("duty_wecom") if "节假日安排" in m.text]) == 1

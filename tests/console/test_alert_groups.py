"""Reminders grouped by incident: one incident's reminders, escalations and repeats on every channel are
one item (count, latest, channels) with one 确认 that acknowledges them all — server-side, audited,
idempotent, and for office staff only their own office's."""

from __future__ import annotations

import datetime as dt
import re
import uuid

import pytest
from fastapi.testclient import TestClient

from console import sample
from yuqing.models import Delivery, stable_id
from yuqing.storage import Store

pytestmark = pytest.mark.integration

CHANNELS = [("duty_wecom", "wecom"), ("duty_dingtalk", "dingtalk"), ("leader_feishu", "feishu")]


def api_sign_in(client: TestClient, name: str, password: str) -> str:
    resp = client.post("/api/session", json={"name": name, "password": password})
    assert resp.status_code == 200, resp.text
    return str(resp.json()["csrf_token"])


def page_sign_in(client: TestClient, name: str, password: str) -> str:
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text)
    assert token
    resp = client.post("/login", data={"name": name, "password": password, "csrf_token": token[1], "next": "/"},
                       follow_redirects=False)
    assert resp.status_code == 303
    fresh = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/alerts").text)  # a new session, a new token
    assert fresh
    return fresh[1]


def reminders(cstore: Store, now: dt.datetime) -> dict[str, object]:
    """An incident with 15 reminders over 3 channels and 2 offices (one acknowledged already, one
    suppressed), a quieter incident with 2, and a source's 2 alerts (no incident)."""
    tag = uuid.uuid4().hex[:8]
    loud, quiet = stable_id("groups", tag, "loud"), stable_id("groups", tag, "quiet")
    title = f"化工厂爆炸持续发酵{tag}"
    incidents = [sample.incident(loud, now=now, title=title, office="prov_emergency", level="II", state="escalated",
                                 supporting=["news_center"]),
                 sample.incident(quiet, now=now, title=f"景区排队过长{tag}", office="prov_emergency", level="IV",
                                 state="assigned")]
    docs: list[Delivery] = []
    for n in range(15):
        channel, ctype = CHANNELS[n % 3]
        docs.append(Delivery(
            id=f"{tag}-loud-{n}", alert_key=f"clock:{loud}:{'missed' if n % 2 else 'due_soon'}", rule_id="clock_missed",
            incident_id=loud, channel_id=channel, channel_type=ctype, recipient=f"联系人{n}",
            office="news_center" if n in (3, 4) else "prov_emergency", level="II", ladder_step=n % 3,
            title=f"【提醒】{title}（第{n + 1}次）", body="…",
            alert_kind="clock_missed" if n % 2 else "clock_due_soon", state="suppressed" if n == 5 else "sent",
            created_at=now - dt.timedelta(minutes=60 - n * 4), acknowledged_by="earlier" if n == 0 else None,
            acknowledged_at=now - dt.timedelta(hours=2) if n == 0 else None))
    for n in range(2):
        docs.append(Delivery(id=f"{tag}-quiet-{n}", alert_key=f"incident:{quiet}:state:assigned",
                             rule_id="new_incident", incident_id=quiet, channel_id="duty_wecom", channel_type="wecom",
                             recipient="值班员",
                             office="prov_emergency", level="IV", title=f"【新舆情】景区排队过长{tag}", body="…",
                             alert_kind="new_incident", state="sent", created_at=now - dt.timedelta(minutes=90 + n)))
        docs.append(Delivery(id=f"{tag}-source-{n}", alert_key=f"source:demo-rss-{tag}:silent",
                             rule_id="source_silent", channel_id="duty_email", channel_type="email", recipient="值班员",
                             office="prov_gov_office",
                             title=f"信息源长时间无更新{tag}", body="…", alert_kind="source_silent", state="sent",
                             created_at=now - dt.timedelta(minutes=1 + n)))
    sample.put(cstore, *incidents, *docs)
    return {"loud": loud, "quiet": quiet, "title": title, "tag": tag, "ids": [d.id for d in docs]}


def open_ids(cstore: Store, incident_id: str) -> set[str]:
    cstore.refresh("deliveries")
    return {d["id"] for d in cstore.find("deliveries", {"bool": {
        "filter": [{"term": {"incident_id": incident_id}}, {"term": {"state": "sent"}}],
        "must_not": [{"exists": {"field": "acknowledged_at"}}]}})}


def test_one_incident_s_reminders_are_one_group_with_count_latest_and_channels(app, password, cstore, now):
    day = reminders(cstore, now)
    client = TestClient(app)
    api_sign_in(client, "duty", password)
    groups = client.get("/api/delivery-groups", params={"size": 50}).json()
    loud = [g for g in groups if g["incident_id"] == day["loud"]]
    assert len(loud) == 1, "one incident, one group"
    g = loud[0]
    assert g["count"] == 13  # 15, less the one acknowledged earlier and the suppressed one
    assert g["title"] == day["title"]  # the incident's title, not one reminder's
    assert g["latest"]["id"] == f"{day['tag']}-loud-14"
    assert set(g["channels"]) == {"duty_wecom", "duty_dingtalk", "leader_feishu"}
    assert set(g["channels_zh"]) == {"值班室企业微信群", "值班室钉钉群", "领导飞书"}
    assert set(g["kinds"]) == {"clock_missed", "clock_due_soon"} and g["level"] == "II"
    source = [x for x in groups if x["alert_key"] == f"source:demo-rss-{day['tag']}:silent"]
    assert len(source) == 1 and source[0]["count"] == 2 and source[0]["incident_id"] is None
    order = [x["incident_id"] or x["alert_key"] for x in groups]
    assert order.index(source[0]["alert_key"]) < order.index(day["loud"]) < order.index(day["quiet"])  # latest first

    # The queue's panel shows the incident once, with its count and one button.
    page = client.get("/").text
    panel = page[page.index('id="alerts"'):]
    panel = panel[:panel.index("</ul>")]
    assert panel.count(f'data-incident="{day["loud"]}"') == 1
    assert "13 条提醒" in panel and "确认全部 13 条" in panel
    assert "领导飞书" in panel and "leader_feishu" not in panel


def test_one_acknowledgement_covers_the_group_audited_idempotent_and_office_scoped(app, password, cstore, now):
    day = reminders(cstore, now)
    loud = str(day["loud"])
    before = open_ids(cstore, loud)
    assert len(before) == 13

    staff = TestClient(app)
    token = api_sign_in(staff, "emerg", password)
    assert staff.post("/api/delivery-groups/acknowledge", json={"incident_id": loud}).status_code == 403  # no CSRF
    resp = staff.post("/api/delivery-groups/acknowledge", json={"incident_id": loud}, headers={"X-CSRF-Token": token})
    assert resp.status_code == 200, resp.text
    acked = set(resp.json()["delivery_ids"])
    news = {f"{day['tag']}-loud-3", f"{day['tag']}-loud-4"}
    assert acked == before - news and resp.json()["acknowledged"] == 11  # only the office's own
    assert open_ids(cstore, loud) == news
    for did in acked:
        doc = cstore.get("deliveries", did)
        assert doc["acknowledged_by"] == "emerg" and doc["acknowledged_at"].startswith("2026-11-23T10:00")
    assert cstore.get("deliveries", f"{day['tag']}-loud-0")["acknowledged_by"] == "earlier"  # the first one kept
    assert "acknowledged_at" not in cstore.get("deliveries", f"{day['tag']}-loud-5")  # suppressed: never sent

    cstore.refresh("audit")
    group_events = cstore.find("audit", {"bool": {"filter": [{"term": {"entity_id": loud}},
                                                             {"term": {"action": "acknowledge_alerts"}}]}})
    assert len(group_events) == 1 and sorted(group_events[0]["after"]["deliveries"]) == sorted(acked)
    assert group_events[0]["actor"] == "emerg"
    per_delivery = cstore.count("audit", {"bool": {"filter": [{"terms": {"entity_id": sorted(acked)}},
                                                              {"term": {"action": "acknowledge"}}]}})
    assert per_delivery == 11

    # Pressing again changes nothing and writes nothing.
    again = staff.post("/api/delivery-groups/acknowledge", json={"incident_id": loud}, headers={"X-CSRF-Token": token})
    assert again.json() == {"acknowledged": 0, "delivery_ids": []}
    cstore.refresh("audit")
    assert cstore.count("audit", {"bool": {"filter": [{"term": {"entity_id": loud}},
                                                      {"term": {"action": "acknowledge_alerts"}}]}}) == 1

    # The duty desk acknowledges the rest on the page, in one press; the quiet incident is untouched.
    duty = TestClient(app)
    csrf = page_sign_in(duty, "duty", password)
    resp = duty.post("/delivery-groups/acknowledge", data={"csrf_token": csrf, "incident_id": loud, "next": "/alerts"},
                     follow_redirects=True)
    assert resp.status_code == 200 and "已确认 2 条提醒" in resp.text
    assert open_ids(cstore, loud) == set()
    assert f'data-incident="{loud}"' not in resp.text
    assert len(open_ids(cstore, str(day["quiet"]))) == 2
    assert duty.post("/delivery-groups/acknowledge", data={"csrf_token": "wrong", "incident_id": loud},
                     follow_redirects=False).status_code == 403


def test_a_source_s_alerts_are_acknowledged_by_their_alert_key(app, password, cstore, now):
    day = reminders(cstore, now)
    key = f"source:demo-rss-{day['tag']}:silent"
    client = TestClient(app)
    token = api_sign_in(client, "duty", password)
    resp = client.post("/api/delivery-groups/acknowledge", json={"alert_key": key}, headers={"X-CSRF-Token": token})
    assert resp.json()["acknowledged"] == 2
    assert client.post("/api/delivery-groups/acknowledge", json={}, headers={"X-CSRF-Token": token}).status_code == 422
    assert not [g for g in client.get("/api/delivery-groups", params={"size": 50}).json() if g["alert_key"] == key]

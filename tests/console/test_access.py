"""Sign-in, office isolation, CSRF and escaping, through the HTTP interface (no browser)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi.testclient import TestClient

pytestmark = pytest.mark.integration


def sign_in(client: TestClient, name: str, password: str) -> str:
    page = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token, "the sign-in form carries a CSRF token"
    resp = client.post("/login", data={"name": name, "password": password, "csrf_token": token[1], "next": "/"},
                       follow_redirects=False)
    assert resp.status_code == 303, resp.text
    return token[1]


def api_sign_in(client: TestClient, name: str, password: str) -> str:
    resp = client.post("/api/session", json={"name": name, "password": password})
    assert resp.status_code == 200, resp.text
    return str(resp.json()["csrf_token"])


def test_pages_redirect_to_sign_in_and_api_answers_401(app):
    client = TestClient(app)
    resp = client.get("/", follow_redirects=False)
    assert resp.status_code == 303 and resp.headers["location"].startswith("/login?next=")
    assert client.get("/api/incidents").status_code == 401


def test_wrong_password_is_refused(app, password):
    client = TestClient(app)
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text)[1]
    resp = client.post("/login", data={"name": "duty", "password": password + "x", "csrf_token": token})
    assert resp.status_code == 401 and "用户名或密码错误" in resp.text
    assert client.post("/api/session", json={"name": "nobody", "password": password}).status_code == 401


def test_duty_officer_queue_lists_most_urgent_first_with_countdowns(app, password, seeded):
    client = TestClient(app)
    sign_in(client, "duty", password)
    page = client.get("/")
    assert page.status_code == 200
    ids = re.findall(r'class="incident-row" data-id="([0-9a-f]+)"', page.text)
    # the missed 5 h clock (1 h overdue), then the clock due in 40 min, then the one due in 30 h —
    # urgency before severity (the level-I incident is second)
    assert ids == [seeded.emergency, seeded.xss, seeded.health]
    assert "已超时 1小时00分" in page.text and 'countdown overdue' in page.text
    assert "剩余 0小时40分" in page.text  # the level-I incident's clock, < 1 h: red as well
    filtered = client.get("/", params={"office": "prov_health"})
    assert re.findall(r'class="incident-row" data-id="([0-9a-f]+)"', filtered.text) == [seeded.health]
    by_place = client.get("/", params={"place": "530300"})
    assert re.findall(r'class="incident-row" data-id="([0-9a-f]+)"', by_place.text) == [seeded.health]


def test_office_staff_see_only_their_office_and_get_403_elsewhere(app, password, seeded):
    client = TestClient(app)
    sign_in(client, "health", password)
    page = client.get("/")
    assert re.findall(r'class="incident-row" data-id="([0-9a-f]+)"', page.text) == [seeded.health]
    assert client.get(f"/incidents/{seeded.health}").status_code == 200
    denied = client.get(f"/incidents/{seeded.emergency}")
    assert denied.status_code == 403 and "无权查看" in denied.text
    assert client.get(f"/api/incidents/{seeded.emergency}").status_code == 403
    assert client.get("/office", params={"office": "prov_emergency"}).status_code == 403
    api = client.get("/api/incidents").json()
    assert [i["incident"]["id"] for i in api["items"]] == [seeded.health]


def test_supporting_office_reads_but_cannot_act(app, password, seeded):
    client = TestClient(app)
    token = api_sign_in(client, "news", password)
    detail = client.get(f"/api/incidents/{seeded.emergency}")
    assert detail.status_code == 200 and detail.json()["allowed_actions"] == []
    resp = client.post(f"/api/incidents/{seeded.emergency}/actions/acknowledge", headers={"X-CSRF-Token": token})
    assert resp.status_code == 403


def test_post_without_csrf_token_is_rejected(app, password, seeded, cstore):
    client = TestClient(app)
    sign_in(client, "duty", password)
    resp = client.post(f"/incidents/{seeded.emergency}/actions/acknowledge", data={}, follow_redirects=False)
    assert resp.status_code == 403 and "CSRF" in resp.text
    bad = client.post(f"/incidents/{seeded.emergency}/actions/acknowledge", data={"csrf_token": "forged"},
                      follow_redirects=False)
    assert bad.status_code == 403
    api_token = api_sign_in(client, "duty", password)
    assert client.post(f"/api/incidents/{seeded.emergency}/actions/acknowledge").status_code == 403
    assert client.post(f"/api/incidents/{seeded.emergency}/actions/acknowledge",
                       headers={"X-CSRF-Token": api_token + "x"}).status_code == 403
    assert cstore.get("incidents", seeded.emergency)["state"] == "assigned"
    # A login form posted from elsewhere (no session token) is refused too.
    assert TestClient(app).post("/login", data={"name": "duty", "password": password}).status_code == 403


def test_crawled_markup_is_escaped_in_pages_and_links_are_inert(app, password, seeded, xss):
    client = TestClient(app)
    sign_in(client, "duty", password)
    for path in ("/", f"/incidents/{seeded.xss}", "/office?office=prov_emergency", "/reports"):
        html = client.get(path).text
        assert "<script>alert" not in html and "<img src=x" not in html and "<b onmouseover" not in html, path
        assert "&lt;script&gt;alert(&#34;xss-title&#34;)&lt;/script&gt;塌方" in html, path
    detail = client.get(f"/incidents/{seeded.xss}").text
    assert "&lt;img src=x onerror=" in detail
    assert "javascript:" not in detail  # the crawled javascript: URL is not rendered as a link
    headers = client.get("/").headers
    assert "script-src 'self'" in headers["content-security-policy"]


def test_api_describes_itself_and_returns_data(app, password, seeded):
    client = TestClient(app)
    spec = client.get("/openapi.json").json()
    assert "/api/incidents/{incident_id}/actions/{action}" in spec["paths"]
    api_sign_in(client, "boss", password)
    detail = client.get(f"/api/incidents/{seeded.emergency}").json()
    assert detail["incident"]["title"] == "昆明暴雨致道路塌方"
    assert detail["allowed_actions"] == ["escalate"]
    groups = detail["mentions"]
    assert len(groups) == 1 and len(groups[0]["reprints"]) == 1
    assert [c["rule_id"] for c in detail["clocks"]] == ["authoritative_info", "response_48h"]


def test_api_actions_follow_the_lifecycle_and_land_in_the_audit_log(app, password, fresh_incident, cstore):
    iid = fresh_incident("prov_health", title="API 办理的事件")
    client = TestClient(app)
    token = api_sign_in(client, "health", password)
    headers = {"X-CSRF-Token": token}
    early = client.post(f"/api/incidents/{iid}/actions/close", headers=headers)
    assert early.status_code == 409 and "不能" in early.json()["detail"]  # only a released incident closes
    ack = client.post(f"/api/incidents/{iid}/actions/acknowledge", headers=headers)
    assert ack.status_code == 200 and ack.json()["state"] == "acknowledged"
    assert ack.json()["acknowledged_by"] == "health"
    denied = client.post(f"/api/incidents/{iid}/actions/dismiss", json={"reason": "重复"}, headers=headers)
    assert denied.status_code == 403  # dismissing is the duty officer's call

    duty = TestClient(app)
    duty_headers = {"X-CSRF-Token": api_sign_in(duty, "duty", password)}
    no_reason = duty.post(f"/api/incidents/{iid}/actions/dismiss", json={"reason": " "}, headers=duty_headers)
    assert no_reason.status_code == 422
    release: dict[str, Any] = {
        "channel": "weibo", "url": "https://weibo.com/yn/1", "title": "情况通报", "text": "经核实，情况属实。",
        "published_at": "2026-11-23T09:30:00+08:00",
        "reviews": [{"step": "drafter", "reviewer": "卫健委承办人", "at": "2026-11-23T09:00:00+08:00"},
                    {"step": "office_head", "reviewer": "卫健委宣传处处长", "at": "2026-11-23T09:10:00+08:00"}]}
    incomplete = client.post(f"/api/incidents/{iid}/releases", json=release, headers=headers)
    assert incomplete.status_code == 422 and "单位负责人审发" in incomplete.json()["detail"]
    # Two reviewers for three steps: refused with the reason in Chinese.
    twice = {**release, "reviews": [*release["reviews"], {"step": "unit_head", "reviewer": "卫健委宣传处处长",
                                                          "at": "2026-11-23T09:20:00+08:00"}]}
    refused = client.post(f"/api/incidents/{iid}/releases", json=twice, headers=headers)
    assert refused.status_code == 422
    assert "三级审核须由三名不同人员分别完成：「卫健委宣传处处长」同时登记为承办部门负责人审核和单位负责人审发" in (
        refused.json()["detail"])
    # A person without the role for the step.
    no_role = {**release, "reviews": [*release["reviews"], {"step": "unit_head", "reviewer": "卫健委保密员",
                                                            "at": "2026-11-23T09:20:00+08:00"}]}
    refused = client.post(f"/api/incidents/{iid}/releases", json=no_role, headers=headers)
    assert refused.status_code == 422 and "不具有省卫生健康委「单位负责人审发」的审核权限" in refused.json()["detail"]
    release["reviews"].append({"step": "unit_head", "reviewer": "卫健委副主任", "at": "2026-11-23T09:20:00+08:00"})
    created = client.post(f"/api/incidents/{iid}/releases", json=release, headers=headers)
    assert created.status_code == 201, created.text
    detail = client.get(f"/api/incidents/{iid}").json()
    assert detail["incident"]["state"] == "released"
    assert [(r["step"], r["at"]) for r in detail["releases"][0]["reviews"]] == [
        ("drafter", "2026-11-23T09:00:00+08:00"), ("office_head", "2026-11-23T09:10:00+08:00"),
        ("unit_head", "2026-11-23T09:20:00+08:00")]  # each step keeps its own time
    closed = client.post(f"/api/incidents/{iid}/actions/close", headers=headers)
    assert closed.status_code == 200 and closed.json()["state"] == "closed"
    actions = {e["action"] for e in client.get(f"/api/incidents/{iid}").json()["audit"]}
    assert {"acknowledge", "record", "record_release", "close"} <= actions


def test_reports_page_links_files_under_the_reports_directory_only(app, password, cstore, reports_dir, tmp_path):
    from yuqing.models import Report

    daily = reports_dir / "daily" / "2026-11-23.md"
    daily.parent.mkdir(parents=True, exist_ok=True)
    daily.write_text("# 每日舆情报告\n<script>alert(1)</script>", encoding="utf-8")
    outside = tmp_path / "secret.md"
    outside.write_text("secret", encoding="utf-8")
    report = Report(id="r1", report_type="daily", subject="2026-11-23", title="每日舆情报告（11月23日）",
                    generated_at="2026-11-23T08:00:00+08:00", files={"md": str(daily), "pdf": str(outside)})
    cstore.put("reports", report.id, report.to_doc(), refresh=True)
    client = TestClient(app)
    sign_in(client, "health", password)
    page = client.get("/reports").text
    assert "每日舆情报告（11月23日）" in page
    assert 'href="/reports/files/daily/2026-11-23.md"' in page and "secret.md" not in page
    served = client.get("/reports/files/daily/2026-11-23.md")
    assert served.status_code == 200 and served.headers["content-type"].startswith("text/plain")
    assert client.get("/reports/files/../secret.md").status_code == 404
    assert client.get("/reports/files/%2e%2e/secret.md").status_code == 404


def test_office_view_lists_my_incidents_and_clocks(app, password, seeded):
    client = TestClient(app)
    sign_in(client, "health", password)
    page = client.get("/office").text
    assert "医院挂号难引发关注" in page and "昆明暴雨致道路塌方" not in page
    assert "回应社会关切（48小时内）" in page and "剩余 1天6小时00分" in page


def test_alert_deliveries_are_acknowledged_by_their_office_only(app, password, seeded, cstore, now):
    from yuqing.models import Delivery

    delivery = Delivery(id="d-health-1", alert_key=f"incident:{seeded.health}:state:assigned", rule_id="new_incident",
                        incident_id=seeded.health, channel_id="duty_wecom", channel_type="wecom",
                        recipient="卫健委舆情联络员", office="prov_health", level="III",
                        title="新舆情：医院挂号难引发关注", body="…", state="sent", created_at=now, sent_at=now)
    cstore.put("deliveries", delivery.id, delivery.to_doc(), refresh=True)
    other = TestClient(app)
    other_token = api_sign_in(other, "emerg", password)
    assert "d-health-1" not in [d["id"] for d in other.get("/api/deliveries").json()]
    assert other.post("/api/deliveries/d-health-1/acknowledge",
                      headers={"X-CSRF-Token": other_token}).status_code == 403
    client = TestClient(app)
    sign_in(client, "health", password)
    page = client.get("/").text
    assert "新舆情：医院挂号难引发关注" in page
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)[1]
    resp = client.post("/deliveries/d-health-1/acknowledge", data={"csrf_token": token, "next": "/"},
                       follow_redirects=False)
    assert resp.status_code == 303
    stored = cstore.get("deliveries", "d-health-1")
    assert stored["acknowledged_by"] == "health"
    assert "新舆情：医院挂号难引发关注" not in client.get("/").text  # gone from the unacknowledged panel
    cstore.refresh("audit")  # alerts writes the audit event without waiting for a refresh
    detail = client.get(f"/api/incidents/{seeded.health}").json()
    assert any(e["action"] == "acknowledge" and e["entity"] == "delivery" for e in detail["audit"])


def test_office_confirms_a_pending_release_and_records_its_review_on_the_page(app, password, fresh_incident, cstore,
                                                                             now):
    import datetime as dt

    from console import sample
    from yuqing.models import Clock, Release, stable_id

    iid = fresh_incident("prov_health", title="待确认发布的事件")
    published = now - dt.timedelta(minutes=50)
    pending = Release(id=stable_id("release", iid, "pending"), incident_id=iid, office="prov_health",
                      channel="website", title="关于挂号问题的情况说明", published_at=published, detected=True,
                      recorded_by="system:release-detection", recorded_at=now, release_kind="statement",
                      status="pending", match_score=0.4, match_reasons=["共有关键词2个：挂号、医院（+0.4）"],
                      content={"facts": ["经核实，挂号系统曾短时故障。"]})
    sample.put(cstore, pending)

    client = TestClient(app)
    sign_in(client, "health", password)
    page = client.get(f"/incidents/{iid}").text
    assert 'data-status="pending"' in page and "待确认" in page and "匹配度 0.40" in page
    assert "已发布，未记录审核" in page
    # A major problem needs the facts and the result; the pending release does not count yet.
    assert re.search(r'id="missing-parts">尚缺：事实真相、处置结果', page)
    clock = Clock.from_doc(cstore.get("clocks", stable_id(iid, "authoritative_info")) or {})
    assert clock.state == "running"

    token = re.search(r'name="csrf_token" value="([^"]+)"', page)[1]
    # Recording the review with one person on two steps: refused, and the page says why.
    form = {"csrf_token": token, "drafter": "卫健委承办人", "drafter_at": "2026-11-23T08:40",
            "office_head": "卫健委承办人", "office_head_at": "2026-11-23T08:50",
            "unit_head": "卫健委副主任", "unit_head_at": "2026-11-23T09:00"}
    resp = client.post(f"/incidents/{iid}/releases/{pending.id}/review", data=form)
    assert resp.status_code == 200 and "登记审核未完成：三级审核须由三名不同人员分别完成" in resp.text
    resp = client.post(f"/incidents/{iid}/releases/{pending.id}/review",
                       data={**form, "office_head": "卫健委宣传处处长"})
    assert "已登记审核" in resp.text and "承办部门负责人审核：卫健委宣传处处长" in resp.text

    headers = {"X-CSRF-Token": api_sign_in(client, "health", password)}
    confirmed = client.post(f"/api/incidents/{iid}/releases/{pending.id}/confirm", headers=headers)
    assert confirmed.status_code == 200 and confirmed.json()["status"] == "confirmed"
    clock = Clock.from_doc(cstore.get("clocks", stable_id(iid, "authoritative_info")) or {})
    assert clock.state == "met" and clock.met_at == published  # the release's time, not the confirmation's
    page = client.get(f"/incidents/{iid}").text
    assert re.search(r'id="missing-parts">尚缺：处置结果', page) and "经核实，挂号系统曾短时故障。" in page
    again = client.post(f"/api/incidents/{iid}/releases/{pending.id}/confirm", headers=headers)
    assert again.status_code == 409 and "不是待确认" in again.json()["detail"]
    audit = {e["action"] for e in client.get(f"/api/incidents/{iid}").json()["audit"]}
    assert {"confirm", "record_review", "met"} <= audit

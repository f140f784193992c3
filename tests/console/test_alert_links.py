"""Every link in every alert resolves: a day's worth of alerts of every kind is dispatched to the real
local receivers with ``console_url`` pointing at the live console, then headless Chromium follows each
link found in what the receivers got, signed in as the user who received it, and gets the page.

Why a constructed day rather than the demo's: the demo day does not produce every alert kind (no
source fails, no place spikes), and its Airflow run takes minutes; this day goes through the same
rules, suppression, dispatch and channel code, and covers new incident, priority hit, the routed
offices' own alerts (配合/通报/会商), incident and place spikes, negative spikes, clock reminders,
missed clocks, silent and failing sources.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections import defaultdict
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from alerts import api as alerts_api
from console.auth import User, UserDirectory, hash_password
from demo.receivers import Receivers
from yuqing.clock import TZ
from yuqing.config import Config
from yuqing.models import Clock, Delivery, Incident, Mention, Place, Routing, Sentiment, Severity, SourceHealth
from yuqing.storage import Store

pytestmark = [pytest.mark.browser, pytest.mark.integration,
              pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")]

NOW = dt.datetime(2026, 11, 23, 10, 0, tzinfo=TZ)  # the console's clock (conftest.NOW)
PASSWORD = "correct horse 9"
URL = re.compile(r"https?://127\.0\.0\.1:\d+[^\s)\"'<>\]\\]*")


def user_name(office: str | None, role: str | None, config: Config) -> str:
    """The console user who reads what a contact received: the duty desk's people (and any leader)
    sign in as duty officers or leaders; every other office's contact as that office's staff."""
    if role == "leader":
        return "boss"
    if office == config.alerts.duty_office or office is None:
        return "duty"
    return f"staff-{office}"


@pytest.fixture(scope="module")
def users(config: Config) -> UserDirectory:
    pw = hash_password(PASSWORD)
    people = [User(name="duty", role="duty_officer", password_hash=pw),
              User(name="boss", role="leader", password_hash=pw)]
    people += [User(name=f"staff-{o.id}", role="office_staff", office=o.id, password_hash=pw)
               for o in config.offices.offices]
    return UserDirectory(people)


def seed_day(store: Store) -> None:
    """Incidents, clocks, mentions and source runs that make every alert kind hold at NOW."""
    at = NOW - dt.timedelta(hours=3)
    blast = Incident(
        id="links-blast", title="昆明某化工厂爆炸致10人死亡", summary="现场浓烟，伤亡情况正在核实。", first_seen_at=at,
        last_seen_at=NOW, first_mention_id="links-m0", mention_count=20, place_codes=["530100"],
        priorities=["emergency"], severity=Severity(level="II", score=0.9), state="assigned",
        routing=Routing(lead_office="prov_emergency", supporting_offices=["news_center"], notify=["press_office"],
                        rule_id="major_emergency", reason_zh="测试", routed_at=at, consultation=True,
                        consultation_offices=["prov_emergency", "news_center", "press_office"]),
        created_at=at, updated_at=NOW)
    rumour = Incident(
        id="links-rumour", title="网传昆明自来水受污染", summary="经核实为不实信息。", first_seen_at=at,
        last_seen_at=NOW,
        first_mention_id="links-r0", mention_count=5, place_codes=["530100"], priorities=["false_info"],
        handling_kind="false_info", severity=Severity(level="IV", score=0.3), state="assigned",
        routing=Routing(lead_office="kunming_gov", supporting_offices=["info_division"],
                        notify=["police", "cyberspace_office"], rule_id="false_info_illegal", reason_zh="测试",
                        routed_at=at),
        created_at=at, updated_at=NOW)
    clocks = [
        Clock(id="links-missed", incident_id=blast.id, rule_id="authoritative_info", name_zh="发布权威信息（5小时内）",
              opened_at=at - dt.timedelta(hours=3), due_at=NOW - dt.timedelta(hours=1), state="missed",
              missed_at=NOW - dt.timedelta(hours=1), owner_office="prov_emergency"),
        Clock(id="links-soon", incident_id=rumour.id, rule_id="response_48h", name_zh="回应社会关切（48小时内）",
              opened_at=at, due_at=NOW + dt.timedelta(hours=1), owner_office="kunming_gov"),
    ]
    # A burst of negative posts in the last hour: incident and place spikes, negative share.
    mentions = [Mention(id=f"links-m{n}", source_id="demo-weibo", source_type="weibo", media_tier="self_media",
                        jurisdiction="530100", url=f"https://weibo.example/{n}",
                        canonical_url=f"https://weibo.example/{n}", title="爆炸现场视频", text="现场浓烟滚滚",
                        crawled_at=NOW - dt.timedelta(minutes=5 + n), incident_id=blast.id,
                        sentiment=Sentiment(label="negative", score=-0.8),
                        place=Place(code="530100", city="昆明市"))
                for n in range(8)]
    runs = [SourceHealth(id=f"links-h-{sid}", source_id=sid, run_id="r1", started_at=NOW - dt.timedelta(minutes=2),
                         finished_at=NOW - dt.timedelta(minutes=1), items_found=10, items_failed=9,
                         failure_reasons={"http_503": 9}, error_rate=0.9, status=status,
                         last_success_at=NOW - dt.timedelta(days=2))  # type: ignore[arg-type]
            for sid, status in (("demo-rss", "failing"), ("demo-gov", "silent"))]
    for doc in [blast, rumour, *clocks, *mentions, *runs]:
        store.put(doc.kind, doc.id, doc.to_doc())
    store.refresh()


@pytest.fixture(scope="module")
def received(cstore: Store, config: Config, live) -> Iterator[tuple[Config, Receivers]]:  # type: ignore[no-untyped-def]
    """The day dispatched to real receivers, with links pointing at the live console."""
    linked = dataclasses.replace(config, alerts=config.alerts.model_copy(update={"console_url": live.url}))
    seed_day(cstore)
    receivers = Receivers().start()
    receivers.start_smtp()
    mp = pytest.MonkeyPatch()
    try:
        for name, value in receivers.env_for(linked.alerts).items():
            mp.setenv(name, value)
        stats = alerts_api.dispatch(cstore, linked, now=NOW)
        assert stats.delivered > 0 and stats.failed == 0, stats
        yield linked, receivers
    finally:
        mp.undo()
        receivers.stop()


def test_every_link_of_every_alert_opens_for_the_user_who_received_it(  # type: ignore[no-untyped-def]
        received, cstore, browser, live):
    config, receivers = received
    cstore.refresh("deliveries")
    deliveries = [Delivery.from_doc(d) for d in cstore.find("deliveries", {"term": {"state": "sent"}})]
    kinds = {d.alert_kind for d in deliveries}
    assert kinds >= {"new_incident", "routed_office", "mention_spike", "negative_spike", "clock_due_soon",
                     "clock_missed", "source_silent", "source_failing"}, kinds

    # Which user follows which link: each delivery's link, as the user of the contact it reached.
    visits: dict[str, set[str]] = defaultdict(set)
    for d in deliveries:
        url = (d.facts or {}).get("url")
        assert url, f"{d.alert_kind} delivery without a link"
        for name in d.recipients or [d.recipient]:
            office, role = d.office, d.role
            for o in config.offices.offices:
                for c in o.contacts:
                    if c.name == name:
                        office, role = o.id, c.role
            visits[url].add(user_name(office, role, config))

    # Every link in what the receivers got is one of those (nothing unvisited, nothing invented).
    found: set[str] = set()
    for message in receivers.received():
        found.update(u.rstrip(".。，") for u in URL.findall(message.text))
    assert found, "no links in the received messages"
    assert found <= set(visits), found - set(visits)
    assert any("/sources/" in u for u in found) and any("/?place=" in u for u in found)

    by_user: dict[str, set[str]] = defaultdict(set)
    for url in found:
        for name in visits[url]:
            by_user[name].add(url)
    for name, urls in sorted(by_user.items()):
        context = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai")
        page = context.new_page()
        page.set_default_timeout(10_000)
        page.goto(f"{live.url}/login")
        page.fill("input[name=name]", name)
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(re.compile(r"/$"))
        for url in sorted(urls):
            resp = page.goto(url)
            assert resp is not None and resp.status == 200, f"{name} → {url}: {resp and resp.status}"
            assert "/login" not in page.url
            assert page.locator("main").count() == 1 and "未找到" not in page.title(), (name, url)
        context.close()


def test_a_notified_office_acknowledges_its_own_alert_and_not_another_office_s(  # type: ignore[no-untyped-def]
        received, cstore, app):
    def ours(office: str) -> list[Delivery]:
        cstore.refresh("deliveries")
        return [Delivery.from_doc(d) for d in cstore.find("deliveries", {"bool": {"filter": [
            {"term": {"office": office}}, {"term": {"alert_kind": "routed_office"}}]}})]

    police, cyber = ours("police"), ours("cyberspace_office")
    assert police and cyber
    client = TestClient(app)
    token = client.post("/api/session", json={"name": "staff-police", "password": PASSWORD}).json()["csrf_token"]
    listed = {d["id"] for d in client.get("/api/deliveries").json()}
    assert {d.id for d in police} <= listed and not {d.id for d in cyber} & listed
    page = client.get(f"/incidents/{police[0].incident_id}")
    assert page.status_code == 200 and "省公安厅" in page.text  # it reads the incident it was told about
    headers = {"X-CSRF-Token": token}
    assert client.post(f"/api/deliveries/{cyber[0].id}/acknowledge", headers=headers).status_code == 403
    assert client.post(f"/api/deliveries/{police[0].id}/acknowledge", headers=headers).status_code == 204
    assert cstore.get("deliveries", police[0].id)["acknowledged_by"] == "staff-police"
    assert "acknowledged_at" not in cstore.get("deliveries", cyber[0].id)

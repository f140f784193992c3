"""Misses in plain sight: a missed 5 h clock shows as a red 已超时 badge with how long overdue — on
the queue (first), the incident page, the office view and the office's own view — for the users who
may see it and not for other offices, until it is answered or waived with a reason."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from fastapi.testclient import TestClient

from console import sample
from yuqing.clock import TZ
from yuqing.models import Clock, stable_id

pytestmark = pytest.mark.integration

TITLE = "楚雄某化工园区爆炸事故"


def sign_in(client: TestClient, name: str, password: str) -> None:
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text)
    assert token
    resp = client.post("/login", data={"name": name, "password": password, "csrf_token": token[1], "next": "/"},
                       follow_redirects=False)
    assert resp.status_code == 303


def csrf(page: str) -> str:
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert token
    return token[1]


NOW = dt.datetime(2026, 11, 23, 10, 0, tzinfo=TZ)  # the console's clock in these tests (conftest.NOW)


@pytest.fixture(scope="module")
def missed(cstore, seeded):  # type: ignore[no-untyped-def]
    """A level-II incident of 省卫生健康委 whose 5 h clock was missed 2 h 15 min ago (swept), with the
    24 h clock still running 15 h ahead — the case that used to show a green 剩余15小时."""
    iid = stable_id("test", "missed")
    opened = NOW - dt.timedelta(hours=7, minutes=15)
    inc = sample.incident(iid, now=NOW, title=TITLE, office="prov_health", level="II", state="escalated",
                          age=dt.timedelta(hours=7, minutes=15))
    five = Clock(id=stable_id(iid, "authoritative_info"), incident_id=iid, rule_id="authoritative_info",
                 name_zh="发布权威信息（5小时内）", opened_at=opened, due_at=opened + dt.timedelta(hours=5),
                 state="missed", missed_at=opened + dt.timedelta(hours=5), owner_office="prov_health")
    day = Clock(id=stable_id(iid, "press_conference"), incident_id=iid, rule_id="press_conference",
                name_zh="举行新闻发布会（24小时内）", opened_at=NOW - dt.timedelta(hours=9),
                due_at=NOW + dt.timedelta(hours=15), owner_office="prov_health")
    sample.put(cstore, inc, five, day)
    return iid, five.id


BADGE = "已超时 2小时15分"


def badge_in_row(page: str, incident_id: str) -> bool:
    row = re.search(rf'<tr class="incident-row" data-id="{incident_id}"[^>]*>(.*?)</tr>', page, re.S)
    return bool(row) and "overdue-badge" in row[1] and BADGE in row[1]  # type: ignore[index]


def test_missed_clock_shows_on_every_page_for_its_office_and_the_duty_desk(app, password, missed):
    iid, clock_id = missed
    duty = TestClient(app)
    sign_in(duty, "duty", password)
    queue = duty.get("/").text
    ids = re.findall(r'class="incident-row" data-id="([0-9a-f]+)"', queue)
    assert ids[0] == iid  # the longest miss leads the queue
    assert badge_in_row(queue, iid) and "剩余 15小时" not in queue.split(iid)[1].split("</tr>")[0]

    page = duty.get(f"/incidents/{iid}").text
    assert page.count(BADGE) >= 2  # beside the title and in the clocks table
    assert re.search(r'data-overdue="1" data-rule="authoritative_info"', page)

    office = duty.get("/office", params={"office": "prov_health"}).text
    assert BADGE in office.split('id="office-incidents"')[1].split("</table>")[0]
    clocks = office.split('id="office-clocks"')[1].split("</table>")[0]
    assert BADGE in clocks and "已超时" in clocks and TITLE in clocks  # missed clocks are listed too

    own = TestClient(app)
    sign_in(own, "health", password)
    assert badge_in_row(own.get("/").text, iid)
    assert BADGE in own.get("/office").text
    assert BADGE in own.get(f"/incidents/{iid}").text

    other = TestClient(app)
    sign_in(other, "emerg", password)
    assert iid not in other.get("/").text and TITLE not in other.get("/").text
    assert TITLE not in other.get("/office").text
    assert other.get(f"/incidents/{iid}").status_code == 403
    assert other.get("/office", params={"office": "prov_health"}).status_code == 403
    api = other.get("/api/clocks").json()
    assert clock_id not in {c["id"] for c in api}


def test_only_the_duty_desk_waives_a_miss_and_only_with_a_reason(app, password, missed, cstore):
    iid, clock_id = missed
    own = TestClient(app)
    sign_in(own, "health", password)
    page = own.get(f"/incidents/{iid}").text
    assert "data-action=\"waive_clock\"" not in page
    resp = own.post(f"/incidents/{iid}/clocks/{clock_id}/waive", data={"csrf_token": csrf(page), "reason": "x"})
    assert resp.status_code == 403

    duty = TestClient(app)
    sign_in(duty, "duty", password)
    page = duty.get(f"/incidents/{iid}").text
    resp = duty.post(f"/incidents/{iid}/clocks/{clock_id}/waive", data={"csrf_token": csrf(page), "reason": "  "})
    assert "豁免未完成" in resp.text and "理由" in resp.text
    assert cstore.get("clocks", clock_id)["state"] == "missed"

    resp = duty.post(f"/incidents/{iid}/clocks/{clock_id}/waive",
                     data={"csrf_token": csrf(page), "reason": "省政府新闻办已统一发布，经领导同意豁免"})
    assert "已豁免时限" in resp.text
    doc = cstore.get("clocks", clock_id)
    assert doc["state"] == "waived" and doc["waived_by"] == "duty"
    assert doc["waived_reason"] == "省政府新闻办已统一发布，经领导同意豁免"
    audit = cstore.find("audit", {"bool": {"filter": [{"term": {"entity_id": clock_id}},
                                                      {"term": {"action": "waive"}}]}})
    assert audit and audit[0]["actor"] == "duty" and "经领导同意豁免" in audit[0]["reason"]

    # The miss has left every page; the next clock shows again.
    assert not badge_in_row(duty.get("/").text, iid)
    assert BADGE not in duty.get(f"/incidents/{iid}").text
    assert BADGE not in own.get("/office").text
    assert "剩余 15小时00分" in duty.get("/office", params={"office": "prov_health"}).text

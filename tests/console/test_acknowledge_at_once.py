"""Acknowledging a reminder on the page waits for no index refresh, yet the page that follows shows
it done: the user's own acknowledgements are left out of the open-reminder lists and re-read by id
on the incident page. Refreshing is switched off around the click so a search alone could not tell."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from tests.support import no_scheduled_refresh
from yuqing.models import Delivery

pytestmark = pytest.mark.integration


def sign_in(client: TestClient, name: str, password: str) -> None:
    page = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token
    resp = client.post("/login", data={"name": name, "password": password, "csrf_token": token[1], "next": "/"},
                       follow_redirects=False)
    assert resp.status_code == 303, resp.text


def test_the_page_after_acknowledging_shows_it_done_before_any_refresh(app, password, cstore, fresh_incident, now):
    iid = fresh_incident("prov_health", title="某县卫生院停电手术延误")
    title = "新舆情：某县卫生院停电手术延误"
    delivery = Delivery(id=f"d-{iid}", alert_key=f"incident:{iid}:assigned", rule_id="new_incident",
                        incident_id=iid, channel_id="duty_wecom", channel_type="wecom", recipient="卫健委舆情联络员",
                        office="prov_health", level="II", title=title, body="…", state="sent", created_at=now,
                        sent_at=now)
    cstore.put("deliveries", delivery.id, delivery.to_doc(), refresh=True)
    client = TestClient(app)
    sign_in(client, "health", password)
    queue = client.get("/").text
    assert title in queue
    token = re.search(r'name="csrf_token" value="([^"]+)"', queue)[1]
    ack_form = f'action="/deliveries/{delivery.id}/acknowledge"'
    assert ack_form in client.get(f"/incidents/{iid}").text

    with no_scheduled_refresh(cstore, "deliveries", "alert_state"):
        resp = client.post(f"/deliveries/{delivery.id}/acknowledge",
                           data={"csrf_token": token, "next": f"/incidents/{iid}"}, follow_redirects=False)
        assert resp.status_code == 303
        # stored, but not yet visible to a search
        assert cstore.get("deliveries", delivery.id)["acknowledged_by"] == "health"
        assert cstore.count("deliveries", {"bool": {"filter": [{"ids": {"values": [delivery.id]}},
                                                               {"exists": {"field": "acknowledged_at"}}]}}) == 0
        page = client.get(f"/incidents/{iid}").text
        assert ack_form not in page and "条待确认" not in page and "已确认提醒" in page
        assert title not in client.get("/").text  # gone from the open reminders beside the queue
        assert title not in client.get("/alerts").text

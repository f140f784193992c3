"""The 专报 on demand: a button on the incident page, for the duty desk and leaders, CSRF-checked and audited."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from yuqing.models import stable_id

pytestmark = pytest.mark.integration


def sign_in(client: TestClient, name: str, password: str) -> None:
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text)[1]  # type: ignore[index]
    resp = client.post("/login", data={"name": name, "password": password, "csrf_token": token, "next": "/"},
                       follow_redirects=False)
    assert resp.status_code == 303, resp.text


def page_token(client: TestClient, path: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', client.get(path).text)[1]  # type: ignore[index]


def test_duty_officer_writes_the_special_report_from_the_incident_page(app, password, seeded, cstore,
                                                                       reports_dir: Path):
    client = TestClient(app)
    sign_in(client, "duty", password)
    page = client.get(f"/incidents/{seeded.emergency}")
    assert f'action="/incidents/{seeded.emergency}/special-report"' in page.text and "生成专报" in page.text
    token = page_token(client, f"/incidents/{seeded.emergency}")
    resp = client.post(f"/incidents/{seeded.emergency}/special-report", data={"csrf_token": token},
                       follow_redirects=False)
    assert resp.status_code == 303 and resp.headers["location"] == f"/incidents/{seeded.emergency}"
    assert "已生成舆情专报" in client.get(resp.headers["location"]).text
    for suffix in ("html", "pdf", "docx"):
        assert (reports_dir / f"incident-{seeded.emergency}.{suffix}").stat().st_size > 1000
    report = cstore.get("reports", stable_id("report", "incident", seeded.emergency))
    assert report is not None and report["title"].startswith("舆情专报：昆明暴雨致道路塌方")
    assert re.fullmatch(r"20\d\d年第\d+期", report["figures"]["issue"])
    cstore.refresh("audit")
    audit = cstore.find("audit", {"bool": {"filter": [{"term": {"entity_id": seeded.emergency}},
                                                      {"term": {"action": "special_report"}}]}})
    assert [a["actor"] for a in audit] == ["duty"]
    # the reports page lists it and its files download
    listing = client.get("/reports").text
    assert "舆情专报：昆明暴雨致道路塌方" in listing


def test_special_report_is_refused_without_csrf_and_to_office_staff(app, password, seeded, cstore):
    client = TestClient(app)
    sign_in(client, "duty", password)
    forged = client.post(f"/incidents/{seeded.health}/special-report", data={"csrf_token": "forged"},
                         follow_redirects=False)
    assert forged.status_code == 403
    staff = TestClient(app)
    sign_in(staff, "emerg", password)  # the owning office's staff may see the incident, not issue a 专报
    page = staff.get(f"/incidents/{seeded.emergency}")
    assert page.status_code == 200 and "/special-report" not in page.text  # no button
    token = page_token(staff, f"/incidents/{seeded.emergency}")
    refused = staff.post(f"/incidents/{seeded.emergency}/special-report", data={"csrf_token": token},
                         follow_redirects=False)
    assert refused.status_code == 403
    other = TestClient(app)
    sign_in(other, "health", password)  # another office cannot even see it
    token = page_token(other, f"/incidents/{seeded.health}")
    assert other.post(f"/incidents/{seeded.emergency}/special-report", data={"csrf_token": token},
                      follow_redirects=False).status_code == 403
    assert cstore.get("reports", stable_id("report", "incident", seeded.health)) is None

"""Hostile use of the console: another office's report files, copied cookies after sign-out, revoked
users, password guessing, cookies over TLS, odd paths, and a console started without its secret."""

from __future__ import annotations

import datetime as dt
import logging
import re

import pytest
from fastapi.testclient import TestClient

from console.app import create_app
from console.auth import User, UserDirectory, hash_password, is_local_run, require_secret
from reports.api import report_id
from tests.console.conftest import NOW, PASSWORD
from yuqing.errors import InputError
from yuqing.models import Report

pytestmark = pytest.mark.integration

SECRET = "test-secret-0123456789"


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> dt.datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def sapp(console_store, config, users, seeded, reports_dir, clock):  # type: ignore[no-untyped-def]
    return create_app(console_store, config, clock=clock, users=users, secret=SECRET, reports_dir=reports_dir)


def form_sign_in(client: TestClient, name: str, password: str):  # type: ignore[no-untyped-def]
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text)[1]
    return client.post("/login", data={"name": name, "password": password, "csrf_token": token, "next": "/"},
                       follow_redirects=False)


# -- #2 report files obey their incident's visibility ---------------------------------------------


def test_office_staff_cannot_download_another_offices_special_report(sapp, cstore, reports_dir, seeded):
    files = {}
    for ext in ("html", "pdf"):
        path = reports_dir / f"incident-{seeded.health}.{ext}"
        path.write_bytes(b"%PDF-1.4 health special report" if ext == "pdf" else "<p>卫健专报</p>".encode())
        files[ext] = str(path)
    report = Report(id=report_id("incident", seeded.health), report_type="incident", subject=seeded.health,
                    title="专报：医院挂号难", generated_at=NOW, files=files)
    cstore.put("reports", report.id, report.to_doc(), refresh=True)
    assessment = reports_dir / f"assessment-{seeded.emergency}.pdf"
    assessment.write_bytes(b"%PDF-1.4 emergency assessment")
    cstore.put("reports", report_id("assessment", seeded.emergency), Report(
        id=report_id("assessment", seeded.emergency), report_type="assessment", subject=seeded.emergency,
        title="评估", generated_at=NOW, files={"pdf": str(assessment)}).to_doc(), refresh=True)
    stray = reports_dir / "notes-internal.pdf"  # no stored report claims it
    stray.write_bytes(b"%PDF-1.4 internal")

    other = TestClient(sapp)
    assert form_sign_in(other, "emerg", PASSWORD).status_code == 303
    for ext in ("html", "pdf"):
        denied = other.get(f"/reports/files/incident-{seeded.health}.{ext}")
        assert denied.status_code == 403 and "无权查看" in denied.text, ext
    assert other.get(f"/reports/files/assessment-{seeded.emergency}.pdf").status_code == 200  # its own incident
    assert other.get("/reports/files/notes-internal.pdf").status_code == 403

    assert f"incident-{seeded.health}" not in other.get("/reports").text  # not listed either

    owner = TestClient(sapp)
    form_sign_in(owner, "health", PASSWORD)
    assert f'href="/reports/files/incident-{seeded.health}.pdf"' in owner.get("/reports").text
    served = owner.get(f"/reports/files/incident-{seeded.health}.pdf")
    assert served.status_code == 200 and served.content == b"%PDF-1.4 health special report"
    assert owner.get(f"/reports/files/assessment-{seeded.emergency}.pdf").status_code == 403

    duty = TestClient(sapp)
    form_sign_in(duty, "duty", PASSWORD)
    assert duty.get(f"/reports/files/incident-{seeded.health}.pdf").status_code == 200
    assert duty.get("/reports/files/notes-internal.pdf").status_code == 200


def test_a_null_byte_in_a_report_path_is_not_found_not_a_server_error(sapp):
    client = TestClient(sapp)
    form_sign_in(client, "duty", PASSWORD)
    for path in ("/reports/files/daily%00.pdf", "/reports/files/%00", "/reports/files/a/%00/../b.md",
                 "/incidents/abc%00def", "/api/incidents/%00"):
        resp = client.get(path)
        assert resp.status_code == 404, (path, resp.status_code)
        assert "未找到" in resp.text


# -- #5 sessions end on the server -----------------------------------------------------------------


def test_sign_out_ends_the_session_even_for_a_copied_cookie(sapp):
    client = TestClient(sapp)
    resp = client.post("/api/session", json={"name": "duty", "password": PASSWORD})
    assert resp.status_code == 200
    token = resp.json()["csrf_token"]
    copied = TestClient(sapp, cookies={"yuqing_console": client.cookies["yuqing_console"]})
    assert copied.get("/api/me").status_code == 200
    assert client.delete("/api/session", headers={"X-CSRF-Token": token}).status_code == 204
    assert copied.get("/api/me").status_code == 401
    assert copied.get("/", follow_redirects=False).status_code == 303  # to the sign-in page

    page = TestClient(sapp)
    assert form_sign_in(page, "health", PASSWORD).status_code == 303
    stolen = page.cookies["yuqing_console"]
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.get("/").text)[1]
    assert page.post("/logout", data={"csrf_token": token}, follow_redirects=False).status_code == 303
    again = TestClient(sapp, cookies={"yuqing_console": stolen})
    assert again.get("/api/me").status_code == 401


def test_a_session_expires_after_its_configured_age(sapp, clock, config):
    client = TestClient(sapp)
    client.post("/api/session", json={"name": "boss", "password": PASSWORD})
    assert client.get("/api/me").status_code == 200
    clock.now = NOW + config.console.sessions.max_age.as_timedelta() + dt.timedelta(seconds=1)
    assert client.get("/api/me").status_code == 401


def test_password_change_and_user_removal_end_sessions(cstore, console_store, config, seeded, reports_dir, es_url,
                                                       tmp_path, monkeypatch):
    from yuqing.cli import main

    path = tmp_path / "users.json"
    UserDirectory([User(name="li", role="office_staff", office="prov_health", password_hash=hash_password(PASSWORD)),
                   User(name="wu", role="duty_officer", password_hash=hash_password(PASSWORD))]).save(path)
    app = create_app(console_store, config, clock=lambda: NOW, users=UserDirectory.from_file(path), secret=SECRET,
                     reports_dir=reports_dir)
    li, wu = TestClient(app), TestClient(app)
    assert li.post("/api/session", json={"name": "li", "password": PASSWORD}).status_code == 200
    assert wu.post("/api/session", json={"name": "wu", "password": PASSWORD}).status_code == 200
    assert li.get("/api/me").status_code == 200 and wu.get("/api/me").status_code == 200

    monkeypatch.setenv("YUQING_CONSOLE_USERS", str(path))
    monkeypatch.setenv("ES_URL", es_url)
    monkeypatch.setenv("YUQING_INDEX_PREFIX", cstore.prefix)
    monkeypatch.setenv("NEWPW", "a new password 7")
    assert main(["console", "user", "add", "li", "--role", "office_staff", "--office", "prov_health",
                 "--password-env", "NEWPW"]) == 0
    assert li.get("/api/me").status_code == 401  # the old session ended with the old password
    assert li.post("/api/session", json={"name": "li", "password": PASSWORD}).status_code == 401
    assert li.post("/api/session", json={"name": "li", "password": "a new password 7"}).status_code == 200
    assert li.get("/api/me").status_code == 200

    assert main(["console", "user", "remove", "wu"]) == 0
    assert wu.get("/api/me").status_code == 401
    cstore.refresh("console_sessions")
    revoked = cstore.find("console_sessions", {"term": {"user": "wu"}})
    assert revoked and all(d.get("revoked_reason") == "user_removed" for d in revoked)


# -- #4 sign-in limits -----------------------------------------------------------------------------


def test_password_guessing_locks_the_account_with_a_growing_delay(sapp, cstore, console_store, config, users,
                                                                  reports_dir, clock, caplog):
    rules = config.console.sign_in
    caplog.set_level(logging.WARNING, logger="console")
    guesser = TestClient(sapp, client=("198.51.100.7", 40000))
    for n in range(rules.account_free_attempts - 1):
        resp = form_sign_in(guesser, "admin", f"guess-{n}")
        assert resp.status_code == 401 and "用户名或密码错误" in resp.text
    locked = form_sign_in(guesser, "admin", "guess-last")
    assert locked.status_code == 429 and "登录失败次数过多" in locked.text
    assert int(locked.headers["Retry-After"]) == int(rules.lockout.as_timedelta().total_seconds())
    # the right password does not get through while locked, neither by the form nor by the API
    assert form_sign_in(guesser, "admin", PASSWORD).status_code == 429
    api = TestClient(sapp, client=("203.0.113.9", 40001)).post("/api/session",
                                                                json={"name": "admin", "password": PASSWORD})
    assert api.status_code == 429 and "请" in api.json()["detail"] and "分钟后再试" in api.json()["detail"]
    # a restarted console (or another console process) sees the same lock: the state is in Elasticsearch
    restarted = create_app(console_store, config, clock=clock, users=users, secret=SECRET, reports_dir=reports_dir)
    assert TestClient(restarted).post("/api/session", json={"name": "admin", "password": PASSWORD}).status_code == 429

    clock.now += rules.lockout.as_timedelta() + dt.timedelta(seconds=1)
    again = form_sign_in(guesser, "admin", "guess-after-lock")
    assert again.status_code == 429
    assert int(again.headers["Retry-After"]) == 2 * int(rules.lockout.as_timedelta().total_seconds())  # doubled
    clock.now += 2 * rules.lockout.as_timedelta() + dt.timedelta(seconds=1)
    assert form_sign_in(guesser, "admin", PASSWORD).status_code == 303  # the owner gets in afterwards
    failures = [r.getMessage() for r in caplog.records if "sign-in failed" in r.getMessage()]
    assert len(failures) == rules.account_free_attempts + 1
    assert all("account='admin'" in m and "198.51.100.7" in m for m in failures)
    assert not any("guess-" in r.getMessage() for r in caplog.records)  # never the password tried
    assert cstore.get("sign_in_attempts", "account:admin")["failures"] == 0  # cleared by the success


def test_many_accounts_tried_from_one_address_lock_that_address(sapp, config):
    rules = config.console.sign_in
    spray = TestClient(sapp, client=("192.0.2.44", 40002))
    codes = [form_sign_in(spray, f"nobody{n}", "spray").status_code for n in range(rules.address_free_attempts)]
    assert codes[:-1] == [401] * (rules.address_free_attempts - 1) and codes[-1] == 429
    refused = form_sign_in(spray, "news", PASSWORD)
    assert refused.status_code == 429 and "本机地址登录失败次数过多" in refused.text
    assert form_sign_in(TestClient(sapp, client=("192.0.2.45", 40003)), "news", PASSWORD).status_code == 303


# -- #8 Secure cookies, #16 the session secret --------------------------------------------------------


def _cookie_header(resp) -> str:  # type: ignore[no-untyped-def]
    return "; ".join(v for k, v in resp.headers.multi_items() if k.lower() == "set-cookie")


def test_session_cookie_is_secure_over_https_or_behind_tls(console_store, config, users, seeded, reports_dir):
    def login(app, **client_args):  # type: ignore[no-untyped-def]
        return TestClient(app, **client_args).post("/api/session", json={"name": "duty", "password": PASSWORD})

    plain = create_app(console_store, config, clock=lambda: NOW, users=users, secret=SECRET, reports_dir=reports_dir,
                       behind_tls=False, trusted_proxies=[])
    cookie = _cookie_header(login(plain))
    assert "yuqing_console=" in cookie and "secure" not in cookie.lower() and "httponly" in cookie.lower()
    assert "secure" in _cookie_header(login(plain, base_url="https://console.example")).lower()

    told = create_app(console_store, config, clock=lambda: NOW, users=users, secret=SECRET, reports_dir=reports_dir,
                      behind_tls=True, trusted_proxies=[])
    assert "secure" in _cookie_header(login(told)).lower()

    proxied = create_app(console_store, config, clock=lambda: NOW, users=users, secret=SECRET, reports_dir=reports_dir,
                         behind_tls=False, trusted_proxies=["127.0.0.1"])
    via_proxy = TestClient(proxied, client=("127.0.0.1", 50000), headers={"X-Forwarded-Proto": "https"})
    assert "secure" in _cookie_header(via_proxy.post("/api/session", json={"name": "duty",
                                                                            "password": PASSWORD})).lower()
    spoofed = TestClient(proxied, client=("198.51.100.8", 50000), headers={"X-Forwarded-Proto": "https"})
    assert "secure" not in _cookie_header(spoofed.post("/api/session", json={"name": "duty",
                                                                              "password": PASSWORD})).lower()


def test_console_refuses_to_start_without_a_secret_outside_a_local_run(monkeypatch, capsys):
    from yuqing.cli import main

    monkeypatch.delenv("YUQING_CONSOLE_SECRET", raising=False)
    monkeypatch.delenv("ES_URL", raising=False)
    assert is_local_run("127.0.0.1") and is_local_run("localhost")
    assert len(require_secret("127.0.0.1")) >= 32  # local: a random key, no hand setup
    assert not is_local_run("0.0.0.0")
    with pytest.raises(InputError, match="YUQING_CONSOLE_SECRET"):
        require_secret("0.0.0.0")
    monkeypatch.setenv("ES_URL", "http://es.internal:9200")
    assert not is_local_run("127.0.0.1")  # a remote cluster is production, even on loopback
    assert main(["console", "--host", "127.0.0.1", "--port", "1"]) == 2
    assert "YUQING_CONSOLE_SECRET is not set" in capsys.readouterr().err
    monkeypatch.setenv("YUQING_CONSOLE_SECRET", "short")
    with pytest.raises(InputError, match="too short"):
        require_secret("0.0.0.0")
    monkeypatch.setenv("YUQING_CONSOLE_SECRET", "x" * 40)
    assert require_secret("0.0.0.0") == "x" * 40


# -- #11 mentions set aside after failing analysis are shown to the duty desk -----------------------


def test_duty_desk_sees_mentions_set_aside_after_failed_analysis(sapp, cstore, xss):
    from console import sample

    bad = sample.mention("failed-incident", 7, now=NOW, title=xss["title"], text="正文")
    doc = bad.to_doc()
    doc.update(analysis_attempts=3, analysis_error="AttributeError: 'list' object has no attribute 'strip'",
               analysis_failed_at=NOW.isoformat(), analysis_failed=True)
    cstore.put("mentions", bad.id, doc, refresh=True)
    duty = TestClient(sapp)
    form_sign_in(duty, "duty", PASSWORD)
    page = duty.get("/mentions/failed")
    assert page.status_code == 200 and f'data-id="{bad.id}"' in page.text
    assert "AttributeError" in page.text and "<script>alert" not in page.text
    assert 'href="/mentions/failed"' in duty.get("/").text
    listed = duty.get("/api/mentions/failed").json()
    assert [m["id"] for m in listed] == [bad.id] and listed[0]["analysis_attempts"] == 3
    office = TestClient(sapp)
    form_sign_in(office, "health", PASSWORD)
    assert office.get("/mentions/failed").status_code == 403
    assert office.get("/api/mentions/failed").status_code == 403
    assert 'href="/mentions/failed"' not in office.get("/").text

"""Users file, password hashing and role rules (no Elasticsearch)."""

from __future__ import annotations

import json

import pytest

from console.auth import User, UserDirectory, can_act, can_view, hash_password, verify_password
from yuqing.cli import main
from yuqing.errors import InputError
from yuqing.models import Incident, Routing


def test_passwords_are_stored_as_salted_scrypt_hashes():
    a, b = hash_password("s3cret-pass"), hash_password("s3cret-pass")
    assert a.startswith("scrypt$") and a != b and "s3cret-pass" not in a
    assert verify_password("s3cret-pass", a) and not verify_password("s3cret-pasS", a)
    assert not verify_password("x", "not-a-hash")


def test_office_staff_must_name_an_office():
    with pytest.raises(InputError):
        User(name="x", role="office_staff", password_hash="h")


def test_roles_decide_actions_and_offices_decide_reach():
    inc = Incident(id="i", title="t", first_seen_at="2026-11-23T08:00:00+08:00",
                   last_seen_at="2026-11-23T08:00:00+08:00", first_mention_id="m",
                   created_at="2026-11-23T08:00:00+08:00", updated_at="2026-11-23T08:00:00+08:00",
                   routing=Routing(lead_office="prov_health", supporting_offices=["news_center"], rule_id="r",
                                   reason_zh="理由", routed_at="2026-11-23T08:00:00+08:00"))
    health = User(name="h", role="office_staff", office="prov_health", password_hash="h")
    news = User(name="n", role="office_staff", office="news_center", password_hash="h")
    other = User(name="o", role="office_staff", office="prov_market", password_hash="h")
    leader = User(name="l", role="leader", password_hash="h")
    assert can_act(health, inc, "acknowledge") and not can_act(health, inc, "dismiss")
    assert can_view(news, inc) and not can_act(news, inc, "acknowledge")
    assert not can_view(other, inc)
    assert can_view(leader, inc) and can_act(leader, inc, "escalate") and not can_act(leader, inc, "close")
    moved = inc.model_copy(update={"assigned_office": "prov_market"})
    assert can_act(other, moved, "acknowledge") and not can_view(health, moved.model_copy(
        update={"routing": moved.routing.model_copy(update={"supporting_offices": []})}))


def test_cli_adds_users_to_the_users_file_without_the_password(tmp_path, monkeypatch):
    path = tmp_path / "users.json"
    monkeypatch.setenv("YUQING_CONSOLE_USERS", str(path))
    monkeypatch.setenv("PW", "long-enough-pw")
    assert main(["console", "user", "add", "li", "--role", "office_staff", "--office", "prov_health",
                 "--password-env", "PW"]) == 0
    assert main(["console", "user", "add", "zz", "--role", "office_staff", "--office", "no_such",
                 "--password-env", "PW"]) == 2
    text = path.read_text(encoding="utf-8")
    assert "long-enough-pw" not in text
    users = UserDirectory.from_file(path)
    assert users.authenticate("li", "long-enough-pw").office == "prov_health"
    assert users.authenticate("li", "wrong") is None
    assert [u["name"] for u in json.loads(text)["users"]] == ["li"]

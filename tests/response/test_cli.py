"""The response commands: route, sweep, explain, incident actions and recording a release."""

from __future__ import annotations

import datetime as dt

import pytest

from yuqing.cli import main
from yuqing.clock import TZ
from yuqing.models import Clock, Incident, stable_id

pytestmark = pytest.mark.integration

T0 = dt.datetime(2026, 11, 20, 8, 0, tzinfo=TZ)


def test_route_explain_act_and_record_a_release_from_the_command_line(store, es_url, make_incident, monkeypatch,
                                                                     capsys):
    monkeypatch.setenv("ES_URL", es_url)
    monkeypatch.setenv("YUQING_INDEX_PREFIX", store.prefix)
    inc = make_incident("cli", place_codes=["532301"], level="II", priorities=["emergency"])

    assert main(["route", "--now", "2026-11-20T08:30:00+08:00"]) == 0
    assert "routed=1" in capsys.readouterr().out

    assert main(["explain", inc.id]) == 0
    text = capsys.readouterr().out
    assert "交办规则：major_emergency" in text and "楚雄州人民政府办公室" in text and "楚雄市" in text

    assert main(["incident", "close", inc.id, "--actor", "张三", "--now", "2026-11-20T09:00:00+08:00"]) == 2
    assert "不能「办结」" in capsys.readouterr().err
    assert main(["incident", "acknowledge", inc.id, "--actor", "张三", "--now", "2026-11-20T09:00:00+08:00"]) == 0

    # Without the unit head's review the release is refused.
    base = ["release", "record", inc.id, "--url", "https://cx.example/1", "--channel", "press_conference",
            "--at", "2026-11-20T15:00:00+08:00", "--drafter", "王五", "--office-head", "赵六",
            "--now", "2026-11-20T15:30:00+08:00"]
    assert main(base) == 2
    assert "单位负责人审发" in capsys.readouterr().err
    assert main([*base, "--unit-head", "钱七", "--title", "新闻发布会", "--facts"]) == 0

    assert main(["sweep", "--now", "2026-11-21T09:00:00+08:00"]) == 0
    assert "escalated=0" in capsys.readouterr().out
    # The press conference at 15:00 meets the 24 h clock; for the 5 h clock it came 2 h late:
    # recorded as missed with the late release as evidence, and not escalated (it was answered).
    five_h = Clock.from_doc(store.get("clocks", stable_id(inc.id, "authoritative_info")) or {})
    assert five_h.state == "missed" and five_h.evidence["late_by_minutes"] == 120
    assert Clock.from_doc(store.get("clocks", stable_id(inc.id, "press_conference")) or {}).state == "met"
    doc = store.get("incidents", inc.id) or {}
    assert Incident.from_doc(doc).state == "released"

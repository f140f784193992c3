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
    assert "交办 1 起" in capsys.readouterr().out

    assert main(["explain", inc.id]) == 0
    text = capsys.readouterr().out
    assert "交办规则：major_emergency" in text and "楚雄州人民政府办公室" in text and "楚雄市" in text

    assert main(["incident", "close", inc.id, "--actor", "张三", "--now", "2026-11-20T09:00:00+08:00"]) == 2
    assert "不能「办结」" in capsys.readouterr().err
    assert main(["incident", "acknowledge", inc.id, "--actor", "张三", "--now", "2026-11-20T09:00:00+08:00"]) == 0

    # Without the unit head's review the release is refused; one person signing twice is refused.
    base = ["release", "record", inc.id, "--url", "https://cx.example/1", "--channel", "press_conference",
            "--at", "2026-11-20T15:00:00+08:00", "--drafter", "楚雄州政府办承办人",
            "--drafter-at", "2026-11-20T13:00:00+08:00", "--office-head", "楚雄州政府办信息科科长",
            "--office-head-at", "2026-11-20T13:30:00+08:00", "--now", "2026-11-20T15:30:00+08:00"]
    assert main(base) == 2
    assert "单位负责人审发" in capsys.readouterr().err
    assert main([*base, "--unit-head", "楚雄州政府办信息科科长", "--unit-head-at", "2026-11-20T14:00:00+08:00"]) == 2
    assert "三名不同人员" in capsys.readouterr().err
    assert main([*base, "--unit-head", "楚雄州政府办副主任", "--unit-head-at", "2026-11-20T14:00:00+08:00",
                 "--title", "新闻发布会", "--text", "经核实，事故造成3人受伤。已启动应急预案。"]) == 0
    assert "新闻发布会" in capsys.readouterr().out

    assert main(["sweep", "--now", "2026-11-21T09:00:00+08:00"]) == 0
    assert "升级 1 起" in capsys.readouterr().out
    # The press conference at 15:00 meets the 24 h clock, not the 5 h one (it needs a 情况通报 or the
    # like), which is missed and escalates the incident.
    five_h = Clock.from_doc(store.get("clocks", stable_id(inc.id, "authoritative_info")) or {})
    assert five_h.state == "missed" and five_h.met_at is None
    assert Clock.from_doc(store.get("clocks", stable_id(inc.id, "press_conference")) or {}).state == "met"
    doc = store.get("incidents", inc.id) or {}
    assert Incident.from_doc(doc).state == "escalated"

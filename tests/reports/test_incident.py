"""The special report on one incident: spread, clocks and releases agree with stored documents."""

from __future__ import annotations

import datetime as dt
from typing import Any

import docx
import pymupdf
import pytest

from reports.api import write_incident_report
from yuqing.config import Config
from yuqing.errors import InputError
from yuqing.models import stable_id
from yuqing.storage import Store

pytestmark = pytest.mark.integration

NOW = dt.datetime(2026, 11, 20, 23, 30, tzinfo=dt.timezone(dt.timedelta(hours=8)))


@pytest.fixture(scope="module")
def special(seeded_day: dict[str, Any], config: Config, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    store: Store = seeded_day["store"]
    incident = seeded_day["blast"]
    paths = write_incident_report(store, config, incident.id, tmp_path_factory.mktemp("special"), now=NOW)
    report = store.get("reports", stable_id("report", "incident", incident.id))
    assert report is not None
    return {**seeded_day, "paths": paths, "figures": report["figures"]}


def test_special_report_spread_matches_the_incident_mentions(special: dict[str, Any]) -> None:
    store: Store = special["store"]
    incident_id = special["blast"].id
    resp = store.search("mentions", query={"term": {"incident_id": incident_id}}, size=0,
                        aggs={"tier": {"terms": {"field": "media_tier"}}})
    tiers = {b["key"]: b["doc_count"] for b in resp["aggregations"]["tier"]["buckets"]}
    m = special["figures"]["mentions"]
    assert m["total"] == resp["hits"]["total"]["value"] == 12
    assert m["by_tier"] == tiers == {"self_media": 6, "central": 3, "provincial": 3}
    assert m["negative"] == 9


def test_special_report_covers_timeline_clocks_and_releases(special: dict[str, Any]) -> None:
    figures = special["figures"]
    assert figures["clocks"] == {"total": 2, "met": 1, "late": 1,
                                 "ids": [stable_id(special["blast"].id, "authoritative_info"),
                                         stable_id(special["blast"].id, "press_conference")]}
    assert figures["releases"] == 1
    html = special["paths"]["html"].read_text(encoding="utf-8")
    assert "首发：新华网" in html
    assert "按时完成（提前1小时30分）" in html
    assert "省应急管理厅通过政务微博发布" in html
    for heading in ["二、事件时间线", "三、传播情况", "四、主要信源与转载", "五、交办与回应时限", "六、信息发布与回应"]:
        assert heading in html


def test_special_report_pdf_and_docx_carry_the_incident_title(special: dict[str, Any]) -> None:
    text = "".join(page.get_text() for page in pymupdf.open(special["paths"]["pdf"]))
    assert "舆情专报" in text and "昆明市五华区一小区发生燃气爆炸" in text
    document = docx.Document(str(special["paths"]["docx"]))
    assert document.paragraphs[0].text == "舆情专报"


def test_special_report_on_an_unknown_incident_is_a_user_error(reports_store: Store, config: Config,
                                                                tmp_path: Any) -> None:
    with pytest.raises(InputError, match="事件不存在"):
        write_incident_report(reports_store, config, "nope", tmp_path, now=NOW)

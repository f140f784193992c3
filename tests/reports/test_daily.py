"""The daily report: figures agree with Elasticsearch aggregates; PDF/DOCX/HTML carry Chinese and escape text."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

import docx
import pymupdf
import pytest
from reportlab.pdfbase import pdfmetrics

from reports.api import write_daily
from reports.data import day_bounds, mention_window
from reports.fonts import pdf_font
from yuqing.clock import iso
from yuqing.config import Config
from yuqing.models import stable_id
from yuqing.storage import Store

pytestmark = pytest.mark.integration

NOW = dt.datetime(2026, 11, 20, 23, 30, tzinfo=dt.timezone(dt.timedelta(hours=8)))
CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture(scope="module")
def daily(seeded_day: dict[str, Any], config: Config, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    store: Store = seeded_day["store"]
    out = tmp_path_factory.mktemp("daily")
    paths = write_daily(store, config, seeded_day["day"], out, now=NOW)
    report = store.get("reports", stable_id("report", "daily", seeded_day["day"].isoformat()))
    assert report is not None
    return {**seeded_day, "paths": paths, "figures": report["figures"], "report": report}


def test_daily_writes_html_pdf_and_docx_and_records_them(daily: dict[str, Any]) -> None:
    assert set(daily["paths"]) == {"html", "pdf", "docx"}
    for path in daily["paths"].values():
        assert path.stat().st_size > 1000
    assert daily["report"]["title"] == "每日舆情简报（2026年11月20日）"
    assert daily["report"]["files"]["pdf"] == str(daily["paths"]["pdf"])


def test_daily_totals_and_change_match_elasticsearch_counts(daily: dict[str, Any]) -> None:
    store: Store = daily["store"]
    start, end = day_bounds(daily["day"])
    prev_start, _ = day_bounds(daily["day"] - dt.timedelta(days=1))
    m = daily["figures"]["mentions"]
    assert m["total"] == store.count("mentions", mention_window(start, end)) == 28
    assert m["previous"] == store.count("mentions", mention_window(prev_start, start)) == 8
    assert m["change"] == 20
    # the mention without a publication date counts on the day it was crawled
    undated = {"bool": {"must_not": {"exists": {"field": "published_at"}}}}
    assert store.count("mentions", undated) == 1


def test_daily_priority_counts_match_a_terms_aggregation(daily: dict[str, Any]) -> None:
    store: Store = daily["store"]
    start, end = day_bounds(daily["day"])
    resp = store.search("mentions", query=mention_window(start, end), size=0,
                        aggs={"p": {"terms": {"field": "priorities.id", "size": 50}}})
    expected = {b["key"]: b["doc_count"] for b in resp["aggregations"]["p"]["buckets"]}
    assert daily["figures"]["mentions"]["by_priority"] == expected
    assert expected == {"emergency": 12, "false_info": 6, "public_interest": 4, "decisions": 5}
    incidents = daily["figures"]["incidents"]
    assert incidents["active"] == 3
    assert incidents["by_priority"] == {"emergency": 1, "false_info": 1, "public_interest": 1}
    assert sorted(incidents["by_severity"].items()) == [("II", 1), ("III", 1), ("IV", 1)]


def test_daily_negative_share_is_negative_over_analysed_mentions(daily: dict[str, Any]) -> None:
    store: Store = daily["store"]
    window = mention_window(*day_bounds(daily["day"]))
    negative = store.count("mentions", {"bool": {"filter": [window, {"term": {"sentiment.label": "negative"}}]}})
    analysed = store.count("mentions", {"bool": {"filter": [window, {"exists": {"field": "sentiment.label"}}]}})
    m = daily["figures"]["mentions"]
    assert (m["negative"], m["analyzed"]) == (negative, analysed) == (15, 27)
    assert m["negative_share"] == pytest.approx(15 / 27, abs=1e-4)
    assert "负面占比55.6%" in daily["paths"]["html"].read_text(encoding="utf-8")


def test_daily_lists_clocks_due_today_and_missed_yesterday(daily: dict[str, Any]) -> None:
    store: Store = daily["store"]
    start, end = day_bounds(daily["day"])
    prev_start, _ = day_bounds(daily["day"] - dt.timedelta(days=1))
    missed = store.count("clocks", {"bool": {"filter": [
        {"term": {"state": "missed"}}, {"range": {"due_at": {"gte": iso(prev_start), "lt": iso(start)}}}]}})
    due = store.count("clocks", {"range": {"due_at": {"gte": iso(start), "lt": iso(end)}}})
    clocks = daily["figures"]["clocks"]
    assert clocks["missed_yesterday"] == missed == 1
    assert clocks["due_today"] == due == 2
    assert clocks["missed_yesterday_ids"] == [stable_id(daily["rumour"].id, "response_48h")]


def test_daily_ranks_the_most_severe_incident_first_with_owner_and_links(daily: dict[str, Any],
                                                                         config: Config) -> None:
    top = daily["figures"]["top_incidents"]
    assert [t["id"] for t in top] == [daily["blast"].id, daily["rumour"].id, daily["canteen"].id]
    assert top[0]["mentions_today"] == 12 and top[0]["negative_today"] == 9
    html = daily["paths"]["html"].read_text(encoding="utf-8")
    assert f'href="{config.alerts.console_url}/incidents/{daily["blast"].id}"' in html
    assert "责任单位：省应急管理厅" in html
    assert 'href="http://127.0.0.1:8765/news/' in html  # mention links
    # the summary quotes the first report's first sentence, nothing invented
    assert "“11月20日7时许，昆明市五华区某小区发生燃气爆炸，已致3人受伤送医。”" in html
    assert set(daily["figures"]["new_incidents"]) == {daily["blast"].id, daily["canteen"].id}


def test_daily_reports_source_health(daily: dict[str, Any]) -> None:
    sources = daily["figures"]["sources"]
    assert sources["by_status"] == {"ok": 2, "failing": 1}
    assert sources["runs"] == 6
    assert "采集失败" in daily["paths"]["html"].read_text(encoding="utf-8")


def test_html_shows_script_in_a_mention_title_as_text(daily: dict[str, Any]) -> None:
    html = daily["paths"]["html"].read_text(encoding="utf-8")
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;家长质疑食堂管理" in html
    assert "<script" not in html.lower()


def test_pdf_renders_chinese_with_an_embedded_cjk_font(daily: dict[str, Any]) -> None:
    pdf = pymupdf.open(daily["paths"]["pdf"])
    text = "".join(page.get_text() for page in pdf)
    assert "每日舆情简报（2026年11月20日）" in text
    assert "昆明市五华区一小区发生燃气爆炸" in text
    assert "<script>alert('x')</script>家长质疑食堂管理" in text.replace("\n", "")  # escaped markup prints as text
    fonts = {f[3] for page in pdf for f in page.get_fonts() if f[1] == "ttf"}
    face = pdfmetrics.getFont(pdf_font()).face
    assert any(face.name.decode() in name for name in fonts), fonts  # the CJK font is embedded
    # every Chinese character printed has a glyph in that font: no .notdef boxes
    missing = {c for c in set(CJK.findall(text)) if ord(c) not in face.charToGlyph}
    assert not missing


def test_docx_contains_the_chinese_headings_and_escaped_text(daily: dict[str, Any]) -> None:
    document = docx.Document(str(daily["paths"]["docx"]))
    headings = [p.text for p in document.paragraphs if p.style.name.startswith(("Heading", "Title"))]
    assert headings[0] == "每日舆情简报（2026年11月20日）"
    expected = ["一、总体情况", "二、研判建议", "三、信息分布", "四、重点舆情事件", "五、处置情况", "六、当日新增事件",
                "七、回应时限", "八、信息源运行情况"]
    assert set(expected) <= set(headings)
    body = "\n".join(p.text for p in document.paragraphs)
    assert "<script>alert('x')</script>家长质疑食堂管理" in body
    cells = {c.text for t in document.tables for row in t.rows for c in row.cells}
    assert "省应急管理厅" in cells


def test_rewriting_the_daily_report_overwrites_the_same_report_document(daily: dict[str, Any], config: Config,
                                                                        tmp_path: Path) -> None:
    store: Store = daily["store"]
    write_daily(store, config, daily["day"], tmp_path, now=NOW)
    assert store.count("reports", {"bool": {"filter": [
        {"term": {"report_type": "daily"}}, {"term": {"subject": daily["day"].isoformat()}}]}}) == 1


def test_a_quiet_day_still_gives_a_complete_report(reports_store: Store, config: Config, tmp_path: Path) -> None:
    store = reports_store
    paths = write_daily(store, config, dt.date(2026, 1, 5), tmp_path, now=NOW)
    figures = store.get("reports", stable_id("report", "daily", "2026-01-05"))["figures"]  # type: ignore[index]
    assert figures["mentions"]["total"] == 0 and figures["incidents"]["active"] == 0
    assert "当日无活跃舆情事件。" in paths["html"].read_text(encoding="utf-8")


def test_daily_overview_counts_and_names_the_missed_clocks(daily: dict[str, Any]) -> None:
    """The lead paragraph names each miss — today's 24 h press conference, still not held at 23:30,
    and yesterday's 48 h response to the rumour, still unanswered — with how late and whose."""
    clocks = daily["figures"]["clocks"]
    assert clocks["missed"] == 2
    assert set(clocks["missed_ids"]) == {stable_id(daily["blast"].id, "press_conference"),
                                         stable_id(daily["rumour"].id, "response_48h")}
    html = daily["paths"]["html"].read_text(encoding="utf-8")
    overview = html.split("一、总体情况")[1].split("<table")[0]
    assert "超时的回应时限2项" in overview
    assert ("召开新闻发布会（特别重大、重大突发事件后24小时内）（已超时30分钟，仍未完成，责任单位：省应急管理厅）"
            in overview)
    assert "网传曲靖市自来水被污染" in overview and "回应社会关切（48小时内）（已超时38小时00分，仍未完成" in overview


def test_pdf_and_docx_are_a4_numbered_and_carry_the_issue_issuer_and_signer(daily: dict[str, Any],
                                                                            config: Config) -> None:
    pdf = pymupdf.open(daily["paths"]["pdf"])
    assert all(round(page.rect.width) == 595 and round(page.rect.height) == 842 for page in pdf)  # A4 in points
    assert len(pdf) > 1
    for n, page in enumerate(pdf, start=1):
        assert f"— {n} —" in page.get_text()
    first = pdf[0].get_text().replace("\n", "")
    assert "2026年第324期" in first  # 20 November is the 324th day of 2026
    assert f"{config.reports.issuing_unit}编" in first and "2026年11月20日" in first
    last = pdf[len(pdf) - 1].get_text().replace("\n", "")
    assert f"签发：{config.reports.signer}" in last and f"报送：{config.reports.distribution}" in last

    document = docx.Document(str(daily["paths"]["docx"]))
    section = document.sections[0]
    assert (round(section.page_width.cm, 1), round(section.page_height.cm, 1)) == (21.0, 29.7)
    assert 'instrText' in section.footer.paragraphs[0]._p.xml and "PAGE" in section.footer.paragraphs[0]._p.xml
    fonts = document.styles["Normal"].element.rPr.rFonts
    assert fonts.get("{http://schemas.openxmlformats.org/wordprocessingml/2006/main}eastAsia") == "仿宋"
    texts = [p.text for p in document.paragraphs]
    assert "2026年第324期" in texts and f"签发：{config.reports.signer}" in texts


def test_new_incidents_are_among_those_covered_and_the_definitions_are_printed(daily: dict[str, Any]) -> None:
    incidents = daily["figures"]["incidents"]
    assert (incidents["active"], incidents["new"], incidents["continuing"]) == (3, 2, 1)
    html = daily["paths"]["html"].read_text(encoding="utf-8")
    assert "涉及舆情事件3起（前一日1起），其中当日新增2起、此前延续1起" in html
    assert "两者之和等于涉及事件数" in html  # the 说明 defines each count
    # 处置情况: the blast has its 5 h clock met and the 24 h one overdue; the rumour was rebutted
    rows = {r["id"]: r for r in daily["figures"]["handling"]["rows"]}
    blast = rows[daily["blast"].id]
    assert (blast["releases"], blast["met"], blast["missed"]) == (1, 1, 1)
    assert rows[daily["rumour"].id]["releases"] == 1 and rows[daily["canteen"].id]["releases"] == 0
    assert "五、处置情况" in html and "尚未发布" in html
    # 研判建议 names the overdue press conference and whose it is
    advice = daily["figures"]["advice_zh"]
    assert any("督促省应急管理厅完成超时回应" in a and "召开新闻发布会" in a for a in advice)

"""Mentions in a real browser, at desktop and phone (390×844) sizes: search with highlights, the
stream, a mention's page, opening and attaching, splitting and merging incidents, and the Excel
downloads. Screenshots of every step go to ``$YUQING_SCREENSHOTS`` (else the test's tmp output)."""

from __future__ import annotations

import datetime as dt
import io
import os
import re
import uuid
from pathlib import Path

import pytest
from openpyxl import load_workbook

from console import sample
from tests.console.conftest import NOW
from yuqing.models import Mention, Place, PriorityHit, Sentiment, stable_id
from yuqing.segment import segmenter
from yuqing.storage import Store

pytestmark = [pytest.mark.browser, pytest.mark.integration]

SIZES = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 390, "height": 844}}


@pytest.fixture(scope="module")
def shots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    env = os.environ.get("YUQING_SCREENSHOTS")
    path = Path(env) / "mentions" if env else tmp_path_factory.mktemp("screenshots")
    path.mkdir(parents=True, exist_ok=True)
    return path


def _mention(tag: str, title: str, text: str, *, incident: str | None, minutes_ago: int) -> Mention:
    seg = segmenter()
    return Mention(
        id=stable_id("bmention", tag), source_id="demo-news", source_type="news", media_tier="provincial",
        jurisdiction="530000", url=f"https://news.example.cn/b/{tag}.html",
        canonical_url=f"https://news.example.cn/b/{tag}.html", title=title, text=text,
        title_seg=seg.cut_for_index(title), text_seg=seg.cut_for_index(text),
        published_at=NOW - dt.timedelta(minutes=minutes_ago), crawled_at=NOW - dt.timedelta(minutes=minutes_ago - 1),
        incident_id=incident, sentiment=Sentiment(label="negative", score=-0.5),
        priorities=[PriorityHit(id="emergency", confidence=0.8)], place=Place(code="530111", source="text"),
    )


@pytest.fixture
def world(cstore: Store) -> dict[str, str]:
    """Two incidents about one flood (the first older), each with mentions, and two loose mentions;
    a word unique to this test (``word``) so searches find only these."""
    tag = uuid.uuid4().hex[:6]
    word = f"泥石流{tag}"  # jieba keeps the hex tail as its own token
    first, second = stable_id("bworld", tag, 1), stable_id("bworld", tag, 2)
    sample.put(
        cstore,
        sample.incident(first, now=NOW, title="山区泥石流冲毁道路", state="assigned", age=dt.timedelta(hours=5)),
        sample.incident(second, now=NOW, title="泥石流致村民被困", state="assigned", age=dt.timedelta(hours=2)),
        _mention(f"{tag}-a", f"山区突发泥石流 {word}", "暴雨引发泥石流，冲毁乡村道路，交通中断。", incident=first,
                 minutes_ago=290),
        _mention(f"{tag}-a2", "泥石流现场航拍", "航拍画面显示泥石流冲毁道路约两百米。",
                 incident=first, minutes_ago=280),
        _mention(f"{tag}-x", "景区门票涨价引不满", "游客反映景区门票大幅涨价，与泥石流无关。",
                 incident=first, minutes_ago=270),
        _mention(f"{tag}-b", f"泥石流致三名村民被困 {word}", "救援队正在搜救被困村民。",
                 incident=second, minutes_ago=110),
        _mention(f"{tag}-b2", "被困村民已获救", "三名被困村民已全部获救。", incident=second, minutes_ago=100),
        _mention(f"{tag}-l1", f"网友：泥石流后村里断水 {word}", "泥石流后村里断水两天，盼尽快恢复供水。", incident=None,
                 minutes_ago=3),
        _mention(f"{tag}-l2", f"乡村学校因灾停课 {word}", "受泥石流影响，村小停课，学生暂时转到镇上上课。",
                 incident=None, minutes_ago=2),
    )
    return {"word": word, "first": first, "second": second, "a": stable_id("bmention", f"{tag}-a"),
            "x": stable_id("bmention", f"{tag}-x"), "l1": stable_id("bmention", f"{tag}-l1"),
            "l2": stable_id("bmention", f"{tag}-l2")}


@pytest.fixture(params=list(SIZES))
def page(request, browser, live):  # type: ignore[no-untyped-def]
    context = browser.new_context(base_url=live.url, locale="zh-CN", timezone_id="Asia/Shanghai",
                                  viewport=SIZES[request.param], accept_downloads=True,
                                  is_mobile=request.param == "phone", has_touch=request.param == "phone")
    pg = context.new_page()
    pg.set_default_timeout(20_000)
    pg.size_name = request.param
    yield pg
    context.close()


def sign_in(page, password: str) -> None:  # type: ignore[no-untyped-def]
    page.goto("/login")
    page.fill("input[name=name]", "duty")
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r"/$"))


def shot(page, shots: Path, name: str) -> None:  # type: ignore[no-untyped-def]
    page.screenshot(path=str(shots / f"{name}-{page.size_name}.png"), full_page=True)


def test_search_stream_and_export_in_the_browser(page, password, world, shots):
    sign_in(page, password)
    page.click("header nav a[href='/mentions']")
    page.wait_for_url(re.compile(r"/mentions$"))
    assert "自动刷新" in page.locator("#stream-note").inner_text()
    ids = page.locator("#mention-results .mention-hit").evaluate_all("els => els.map(e => e.dataset.id)")
    # newest first (another size's run left mentions of the same times: ties go by id)
    assert [i for i in ids if i in (world["l1"], world["l2"])] == [world["l2"], world["l1"]]
    assert ids.index(world["l2"]) <= 1 and ids.index(world["l1"]) <= 3
    shot(page, shots, "mentions-stream")

    page.fill("#mention-filters input[name=q]", f"断水 {world['word']}")
    page.click("#mention-filters button[type=submit]")
    page.wait_for_load_state()
    hits = page.locator("#mention-results .mention-hit")
    assert hits.count() == 1
    marks = hits.first.locator("mark").all_inner_texts()
    assert "断水" in marks and world["word"] in "".join(marks)
    assert hits.first.locator(".ungrouped").inner_text() == "未归入事件"
    shot(page, shots, "mentions-search")

    page.fill("#mention-filters input[name=q]", world["word"])
    page.click("#mention-filters button[type=submit]")
    page.wait_for_load_state()
    assert page.locator("#mention-results .mention-hit").count() == 4
    with page.expect_download() as info:
        page.click("#export-mentions")
    download = info.value
    assert download.suggested_filename.endswith(".xlsx")
    rows = list(load_workbook(io.BytesIO(Path(download.path()).read_bytes())).active.iter_rows(values_only=True))
    assert len(rows) == 5 and rows[0][0] == "标题"
    assert {r[0] for r in rows[1:]} >= {f"乡村学校因灾停课 {world['word']}", f"网友：泥石流后村里断水 {world['word']}"}

    page.goto("/")
    with page.expect_download() as info:
        page.click("#export-incidents")
    rows = list(load_workbook(io.BytesIO(Path(info.value.path()).read_bytes())).active.iter_rows(values_only=True))
    assert rows[0][1] == "事件标题" and "山区泥石流冲毁道路" in {r[1] for r in rows[1:]}


def test_open_attach_split_and_merge_in_the_browser(page, password, world, shots):
    sign_in(page, password)
    # a loose mention becomes a new incident
    page.goto(f"/mentions/{world['l1']}")
    assert page.locator("#mention-incident").inner_text().startswith("未归入事件")
    shot(page, shots, "mention-page")
    page.click("#open-incident-button")
    page.wait_for_url(re.compile(r"/incidents/[0-9a-f]+$"))
    assert page.locator(".flash.ok").inner_text().startswith("已由该信息新建事件")
    assert page.locator("#incident-title").inner_text() == f"网友：泥石流后村里断水 {world['word']}"
    shot(page, shots, "incident-opened")

    # the other loose mention is attached to the older flood incident
    page.goto(f"/mentions/{world['l2']}")
    page.select_option("#attach-form select[name=incident_id]", world["first"])
    page.click("#attach-button")
    page.wait_for_url(re.compile(rf"/incidents/{world['first']}$"))
    assert page.locator(".flash.ok").inner_text().startswith("已归入事件「山区泥石流冲毁道路」")
    shot(page, shots, "mention-attached")

    # the unrelated mention is split out of it
    page.click("#grouping-link")
    page.wait_for_url(re.compile(r"/grouping$"))
    shot(page, shots, "grouping-page")
    page.check(f"#split-form input[value='{world['x']}']")
    page.click("#split-button")
    page.wait_for_url(re.compile(r"/incidents/[0-9a-f]+$"))
    assert page.locator(".flash.ok").inner_text().startswith("已拆出 1 条信息")
    assert page.locator("#incident-title").inner_text() == "景区门票涨价引不满"
    assert page.locator("#split-from").count() == 1
    shot(page, shots, "incident-split")

    # the two flood incidents are merged, asked from the later one: the earlier survives
    page.goto(f"/incidents/{world['second']}/grouping")
    page.select_option("#merge-form select[name=other]", world["first"])
    page.click("#merge-button")
    page.wait_for_url(re.compile(rf"/incidents/{world['first']}$"))
    assert page.locator(".flash.ok").inner_text().startswith("已合并")
    assert page.locator("#merged-from").count() == 1
    shot(page, shots, "incident-merged")
    page.goto(f"/incidents/{world['second']}")
    assert page.locator(".badges .state").inner_text() == "已合并"
    assert "本事件已合并至" in page.locator("#merged-into").inner_text()
    assert page.locator("#grouping-link").count() == 0
    shot(page, shots, "incident-absorbed")

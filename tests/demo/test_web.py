"""The demo web serves the scenario day over real loopback HTTP, gated by its clock."""

from __future__ import annotations

import datetime as dt
import json
import urllib.error
import urllib.parse
import urllib.request
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import pytest

from demo.scenario import (
    INCIDENTS_BY_KEY,
    ITEMS_BY_ID,
    SCENARIO_INCIDENTS,
    SCENARIO_ITEMS,
    SITE_SOURCE,
    at,
    day_start,
)
from demo.web import DemoWeb, chinese_time, weibo_time, write_demo_config
from yuqing.clock import TZ
from yuqing.config import load_config

DAY = dt.date(2026, 11, 23)


def _at(hhmm: str) -> dt.datetime:
    return day_start(DAY) + at(hhmm)


@pytest.fixture
def web() -> Iterator[DemoWeb]:
    with DemoWeb(DAY, port=0, now=_at("12:00")) as server:
        yield server


def fetch(url: str) -> tuple[int, dict[str, str], bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read()


def text(url: str) -> str:
    status, _, body = fetch(url)
    assert status == 200, url
    return body.decode("utf-8")


# --- time gating -------------------------------------------------------------------------------------

def test_item_is_invisible_before_its_appear_at_and_visible_after_set_now(web: DemoWeb) -> None:
    fire = ITEMS_BY_ID["n-gd-01"]  # 13:50
    article = web.item_url(fire)
    assert fire.title not in text(web.base_url + "/news/index.html")
    assert fetch(article)[0] == 404

    web.set_now(_at("13:50"))
    assert fire.title in text(web.base_url + "/news/index.html")
    assert fire.title in text(article)


def test_news_pagination_follows_a_next_to_every_visible_article(web: DemoWeb) -> None:
    web.set_now(_at("23:59"))
    url: str | None = web.base_url + "/news/index.html"
    seen: list[str] = []
    while url:
        page = text(url)
        seen += [item.title for item in web.visible("news") if item.title in page and item.title not in seen]
        marker = 'class="next" href="'
        url = web.base_url + "/news/" + page.split(marker, 1)[1].split('"', 1)[0] if marker in page else None
    assert sorted(seen) == sorted(item.title for item in web.visible("news"))
    assert len(seen) > 6  # more than one page


def test_board_reply_appears_only_after_its_reply_time(web: DemoWeb) -> None:
    message = web.item_url(ITEMS_BY_ID["b-qj-01"])
    before = text(message)
    assert "div class=\"reply-pending\"" in before and "曲靖市人力资源和社会保障局" not in before
    web.set_now(_at("17:30"))
    after = text(message)
    assert '<span class="reply-office">曲靖市人力资源和社会保障局</span>' in after
    assert '<span class="reply-time">2026-11-23 17:30:00</span>' in after
    assert "reply-content" in after


# --- encodings and formats ---------------------------------------------------------------------------

def test_gbk_site_is_served_in_gbk_with_chinese_dates(web: DemoWeb) -> None:
    status, headers, body = fetch(web.base_url + "/gbk/list.html")
    assert status == 200 and headers["Content-Type"] == "text/html; charset=gbk"
    with pytest.raises(UnicodeDecodeError):
        body.decode("utf-8")
    page = body.decode("gbk")
    assert '<meta charset="gbk">' in page
    assert "楚雄市一化工企业发生爆炸 已造成3人死亡12人受伤" in page
    assert "昨天 14:05" in page and "2026年11月23日 09:15" in page and "1小时前" in page

    reprint = ITEMS_BY_ID["g-chx-01"]
    _, _, article = fetch(web.item_url(reprint))
    decoded = article.decode("gbk")
    assert "<h1>楚雄市一化工企业发生爆炸 已造成3人死亡12人受伤</h1>" in decoded
    assert "来源：云南日报网" in decoded
    assert ITEMS_BY_ID["n-chx-01"].body[0] in decoded  # the reprint repeats the original


def test_relative_and_weibo_time_formats() -> None:
    now = _at("12:00")
    assert chinese_time(_at("11:35"), now, relative=True) == "25分钟前"
    assert chinese_time(_at("08:50"), now, relative=True) == "3小时前"
    assert chinese_time(_at("-1d 14:05"), now, relative=True) == "昨天 14:05"
    assert chinese_time(_at("09:15"), now, relative=False) == "2026年11月23日 09:15"
    assert weibo_time(_at("11:59") + dt.timedelta(seconds=30), now) == "刚刚"
    assert weibo_time(_at("11:55"), now) == "5分钟前"
    assert weibo_time(_at("08:10"), now) == "Mon Nov 23 08:10:00 +0800 2026"


def test_rss_parses_with_guids_and_pubdates(web: DemoWeb) -> None:
    status, headers, body = fetch(web.base_url + "/rss.xml")
    assert status == 200 and headers["Content-Type"].startswith("application/rss+xml")
    channel = ET.fromstring(body).find("channel")
    assert channel is not None
    items = channel.findall("item")
    expected = {f"yunnan-rss-{item.id}" for item in web.visible("rss")}
    assert {item.findtext("guid") for item in items} == expected
    first = {item.findtext("guid"): item for item in items}["yunnan-rss-r-chx-01"]
    assert first.findtext("pubDate") == "Mon, 23 Nov 2026 07:10:00 +0800"
    link = first.findtext("link") or ""
    assert fetch(link)[0] == 200


def test_json_timeline_cursor_pagination_reaches_every_status(web: DemoWeb) -> None:
    web.set_now(_at("23:59"))
    ids: list[str] = []
    cursor = ""
    for _ in range(20):
        status, headers, body = fetch(f"{web.base_url}/api/timeline?cursor={cursor}")
        assert status == 200 and headers["Content-Type"].startswith("application/json")
        data = json.loads(body)["data"]
        ids += [status["id"] for status in data["statuses"]]
        for entry in data["statuses"]:
            assert set(entry) >= {"id", "url", "text", "created_at", "user"} and entry["user"]["screen_name"]
        if not data["next_cursor"]:
            break
        cursor = data["next_cursor"]
    expected = web.visible("weibo")
    assert len(ids) == len(set(ids)) == len(expected) > 8


def test_gov_timeline_serves_the_official_release_after_its_time(web: DemoWeb) -> None:
    web.set_now(_at("08:54"))
    data = json.loads(fetch(web.base_url + "/api/gov_timeline")[2])["data"]
    assert data["statuses"] == [] and data["next_cursor"] is None
    web.set_now(_at("09:00"))
    data = json.loads(fetch(web.base_url + "/api/gov_timeline")[2])["data"]
    assert [s["user"]["screen_name"] for s in data["statuses"]] == ["云南发布"]
    assert "11人死亡、12人受伤" in data["statuses"][0]["text"]
    assert data["statuses"][0]["created_at"] == "5分钟前"


def test_portal_lists_documents_with_index_numbers(web: DemoWeb) -> None:
    page = text(web.base_url + "/gov/xxgk/index.html")
    assert '<td class="doc-no">云政发〔2026〕31号</td>' in page
    assert '<td class="issued">2026-11-20</td>' in page
    document = text(web.item_url(ITEMS_BY_ID["p-chx-release"]))
    assert '<span class="pubdate">2026-11-23 08:50</span>' in document
    assert '<div class="TRS_Editor">' in document and "11人死亡、12人受伤" in document


# --- runtime changes and faults ------------------------------------------------------------------------

def test_publish_makes_a_new_post_appear(web: DemoWeb) -> None:
    new = web.publish("weibo", {"title": "昆明滇池边新发现一群候鸟", "author": "观鸟人"})
    data = json.loads(fetch(web.base_url + "/api/timeline")[2])["data"]
    assert data["statuses"][0]["text"] == "昆明滇池边新发现一群候鸟"
    assert data["statuses"][0]["created_at"] == "刚刚"
    assert fetch(web.item_url(new))[0] == 200

    later = web.publish("news", {"title": "稍后发布的新闻", "appear_at": _at("12:30")})
    assert later.title not in text(web.base_url + "/news/index.html")
    web.set_now(_at("12:30"))
    assert later.title in text(web.base_url + "/news/index.html")


def test_set_down_answers_503_until_brought_back(web: DemoWeb) -> None:
    web.set_down("/rss.xml")
    status, headers, _ = fetch(web.base_url + "/rss.xml")
    assert status == 503 and headers.get("Retry-After")
    assert fetch(web.base_url + "/news/index.html")[0] == 200
    web.set_down("/rss.xml", False)
    assert fetch(web.base_url + "/rss.xml")[0] == 200


def test_fault_endpoints_and_robots(web: DemoWeb) -> None:
    assert fetch(web.base_url + "/_fault/500")[0] == 500
    assert "Disallow: /private/" in text(web.base_url + "/robots.txt")
    with pytest.raises(urllib.error.HTTPError) as loop:
        urllib.request.urlopen(web.base_url + "/_fault/redirect-loop", timeout=10)
    assert loop.value.code == 302
    status, _, body = fetch(web.base_url + "/_fault/malformed")
    assert status == 200 and b"\xff" in body
    request = urllib.request.Request(web.base_url + "/_fault/huge", method="HEAD")
    with urllib.request.urlopen(request, timeout=10) as response:
        assert int(response.headers["Content-Length"]) == 20 * 1024 * 1024
    status, _, body = fetch(web.base_url + "/_fault/huge?mb=0.5")
    assert status == 200 and len(body) == 512 * 1024


def test_control_endpoints_drive_a_web_in_another_process(web: DemoWeb) -> None:
    def post(path: str, payload: dict[str, object] | None = None) -> dict[str, object]:
        data = json.dumps(payload).encode() if payload is not None else b""
        request = urllib.request.Request(web.base_url + path, data=data, method="POST")
        with urllib.request.urlopen(request, timeout=10) as response:
            return dict(json.loads(response.read()))

    post("/_control/now?at=2026-11-23T20:00:00%2B08:00")
    assert web.now == _at("20:00")
    post("/_control/down?prefix=/board/&down=1")
    assert fetch(web.base_url + "/board/list.html")[0] == 503
    result = post("/_control/publish", {"site": "board", "item": {"title": "远程发布的留言", "author": "测试"}})
    assert fetch(str(result["url"]))[0] == 503  # still down
    post("/_control/down?prefix=/board/&down=0")
    assert "远程发布的留言" in text(web.base_url + "/board/list.html")


# --- escaping -------------------------------------------------------------------------------------------

def test_markup_in_item_text_is_escaped_in_html_and_raw_in_json(web: DemoWeb) -> None:
    board = text(web.base_url + "/board/list.html")
    message = text(web.item_url(ITEMS_BY_ID["b-xss-01"]))
    for page in (board, message):
        assert "<script>alert(1)</script>" not in page
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<img src=x onerror" not in message and "&lt;img src=x onerror=alert(1)&gt;" in message

    statuses = json.loads(fetch(web.base_url + "/api/timeline?count=50")[2])["data"]["statuses"]
    probe = next(s for s in statuses if "alert(1)" in s["text"])
    assert "<script>alert(1)</script>" in probe["text"] and "<img src=x onerror=alert(1)>" in probe["text"]


# --- configuration and scenario data -----------------------------------------------------------------------

def test_write_demo_config_loads_and_points_at_the_web(web: DemoWeb, tmp_path: Path) -> None:
    dest = write_demo_config(tmp_path / "config", web.base_url)
    config = load_config(dest)
    urls = {source.id: source.url for source in config.sources.sources}
    assert set(SITE_SOURCE.values()) <= set(urls)
    assert all(url.startswith(web.base_url + "/") for url in urls.values() if "127.0.0.1" in url)
    assert urls["demo-news"] == web.base_url + "/news/index.html"
    gov = config.sources.get("demo-gov-weibo")
    assert gov.official and gov.office == "prov_gov_office" and gov.media_tier == "official"
    assert fetch(urls["demo-gov-weibo"])[0] == 200


def test_every_configured_demo_url_answers(web: DemoWeb, tmp_path: Path) -> None:
    config = load_config(write_demo_config(tmp_path / "config", web.base_url))
    for source in config.sources.sources:
        assert fetch(source.url)[0] == 200, source.id


def test_scenario_incidents_are_consistent_with_items() -> None:
    places = {j.code for j in load_config().offices.jurisdictions}
    for spec in SCENARIO_INCIDENTS:
        items = [item for item in SCENARIO_ITEMS if item.incident == spec.key]
        assert items, spec.key
        assert min(item.appear_at for item in items) == spec.first_at, spec.key
        assert spec.place_code in places
        if spec.release_item:
            release = ITEMS_BY_ID[spec.release_item]
            assert release.incident == spec.key
            assert release.official or release.reply is not None
            when = release.reply.at if release.site == "board" and release.reply else release.appear_at
            assert when == spec.release_at
    # the missed-clock incident has nothing on an official site
    assert not [i for i in SCENARIO_ITEMS if i.incident == "guandu_mall_fire" and i.official]
    chuxiong = INCIDENTS_BY_KEY["chuxiong_explosion"]
    assert chuxiong.release_at is not None and chuxiong.release_at - chuxiong.first_at < dt.timedelta(hours=5)
    assert all(item.place is None or item.place in places for item in SCENARIO_ITEMS)
    assert all(item.published_at(DAY).tzinfo == TZ for item in SCENARIO_ITEMS)


def test_filler_items_are_distinct_and_served_through_pagination(web: DemoWeb) -> None:
    from demo.scenario import filler_items

    bulk = filler_items("news", 40, appear_at=at("11:00"))
    assert len({item.title for item in bulk}) == len({item.text for item in bulk}) == 40
    web.add_items(bulk)
    pages = -(-len(web.visible("news")) // 6)
    last = text(f"{web.base_url}/news/index_{pages}.html")
    assert 'class="next"' not in last and fetch(f"{web.base_url}/news/index_{pages + 1}.html")[0] == 404
    assert fetch(web.item_url(bulk[-1]))[0] == 200


@pytest.mark.parametrize("source_id", ["demo-news", "demo-local-news", "demo-portal", "demo-board"])
def test_pages_match_the_shipped_selectors(web: DemoWeb, tmp_path: Path, source_id: str) -> None:
    from parsel import Selector

    web.set_now(_at("23:59"))
    source = load_config(write_demo_config(tmp_path / "config", web.base_url)).sources.get(source_id)
    s = source.selectors
    status, headers, body = fetch(source.url)
    assert status == 200
    charset = headers["Content-Type"].split("charset=")[1]
    rows = Selector(text=body.decode(charset)).css(s.list_item or "")
    links = [row.css(s.link or "").get() for row in rows]
    assert rows and all(links), source_id
    found: dict[str, bool] = {}
    for link in links:
        page_bytes = fetch(urllib.parse.urljoin(source.url, link))[2]
        page = Selector(text=page_bytes.decode(charset))
        for field in ("title", "body", "published_at", "author", "publisher", "index_no", "doc_no", "issued_at",
                      "reply_text", "reply_office", "reply_at"):
            expr = getattr(s, field)
            if expr:
                value = page.css(expr).get()
                found[field] = found.get(field, False) or bool(value and value.strip())
    assert found and all(found.values()), (source_id, found)


def test_module_serves_standalone_with_a_frozen_clock() -> None:
    import subprocess
    import sys

    process = subprocess.Popen(
        [sys.executable, "-m", "demo.web", "--port", "0", "--day", "2026-11-23", "--now", "2026-11-23T07:00:00+08:00"],
        stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        base_url = line.split(" at ", 1)[1].split(" ", 1)[0]
        assert json.loads(fetch(base_url + "/_control/now")[2])["now"] == "2026-11-23T07:00:00+08:00"
        page = text(base_url + "/news/index.html")
        assert ITEMS_BY_ID["n-chx-01"].title in page and ITEMS_BY_ID["n-chx-02"].title not in page
    finally:
        process.terminate()
        process.wait(timeout=10)

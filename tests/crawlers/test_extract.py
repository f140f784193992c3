"""Encoding detection, canonical URLs, selector extraction, SimHash and `yuqing extract`."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from crawlers import dedup
from crawlers.extract import canonical_url, decode_html, extract_page
from yuqing.clock import TZ
from yuqing.config.sources import Selectors
from yuqing.segment import segmenter

NOW = dt.datetime(2026, 11, 23, 12, 0, tzinfo=TZ)
PAGES = Path(__file__).with_name("pages")
TEXT = "<html><head><meta charset='{cs}'><title>测试</title></head><body><h1>昆明市盘龙区停水通知</h1></body></html>"


@pytest.mark.parametrize("label", ["gbk", "gb2312", "gb18030"])
def test_gb_family_pages_decode(label: str) -> None:
    text, encoding = decode_html(TEXT.format(cs=label).encode("gb18030"))
    assert "昆明市盘龙区停水通知" in text and encoding == label


def test_header_charset_wins_when_the_bytes_agree() -> None:
    body = TEXT.format(cs="utf-8").encode("gbk")
    text, encoding = decode_html(body, "text/html; charset=GBK")
    assert "停水通知" in text and encoding == "gbk"


def test_lying_declaration_falls_back_to_what_the_bytes_are() -> None:
    text, encoding = decode_html(TEXT.format(cs="utf-8").encode("gbk"))  # says UTF-8, is GBK
    assert "停水通知" in text and encoding == "gb18030"
    text, encoding = decode_html(TEXT.format(cs="gb2312").encode("utf-8"))  # says GB2312, is UTF-8
    assert "停水通知" in text and encoding == "utf-8"


def test_undeclared_gbk_and_bom_utf8() -> None:
    assert "停水通知" in decode_html("<p>昆明市盘龙区停水通知，请居民提前储水。</p>".encode("gbk"))[0]
    assert decode_html(b"\xef\xbb\xbf<p>\xe4\xbd\xa0</p>") == ("<p>你</p>", "utf-8")


@pytest.mark.parametrize(("url", "expected"), [
    ("HTTP://News.Example.COM:80/a/b.html?utm_source=rss&id=3&spm=1.2#comments",
     "http://news.example.com/a/b.html?id=3"),
    ("https://example.com/list?page=2&cat=1&from=timeline", "https://example.com/list?cat=1&page=2"),
    ("https://example.com:8443/x", "https://example.com:8443/x"),
    ("https://example.com", "https://example.com/"),
])
def test_canonical_urls(url: str, expected: str) -> None:
    assert canonical_url(url) == expected


def test_relative_link_is_made_absolute() -> None:
    assert canonical_url("../c/1.html#top", "http://a.cn/news/list/index.html") == "http://a.cn/news/c/1.html"


def test_selectors_pick_fields_and_fall_back_to_the_list_item() -> None:
    from parsel import Selector

    page = ("<html><body><h1 class='t'>标题</h1><div class='body'><p>第一段。</p><script>x()</script>"
            "<p>第二段。</p></div></body></html>")
    item = Selector(text="<li><a href='/a'>标题</a><span class='time'>3小时前</span></li>")
    found = extract_page(page, url="http://a.cn/a", now=NOW, context=item,
                         selectors=Selectors(title="h1.t::text", body="div.body", published_at="span.time::text"))
    assert found.title == "标题"
    assert found.text == "第一段。\n第二段。"
    assert found.published_at == dt.datetime(2026, 11, 23, 9, 0, tzinfo=TZ)


@pytest.mark.parametrize("entries", [
    "<ul><li><a href='/a'>甲</a><span class='time'>3小时前</span></li><li><a href='/b'>乙</a>"
    "<span class='time'>昨天 08:00</span></li></ul>",
    "<table><tr><td><a href='/a'>甲</a></td><td class='time'>3小时前</td></tr><tr><td><a href='/b'>乙</a></td>"
    "<td class='time'>昨天 08:00</td></tr></table>",
])
def test_a_list_entry_sent_with_its_article_selects_as_it_did_on_the_list(entries: str) -> None:
    """An article's list entry travels to the write process as HTML: parsed back, relative CSS and XPath
    selectors find in it what they found in the list page (a table row stays a row)."""
    from parsel import Selector

    from crawlers.extract import ListEntry, detach, select_text

    rows = Selector(text=f"<html><body>{entries}</body></html>").css("li, tr")
    for row in rows:
        back = ListEntry(detach(row))
        for expr in ("a::attr(href)", ".time::text", ".//a/text()"):
            assert select_text(back, expr) == select_text(row, expr) is not None


def test_simhash_is_close_for_a_reprint_and_far_for_other_text() -> None:
    cut = segmenter().cut
    original = ("楚雄市经济技术开发区一化工企业发生爆炸，事故已造成3人死亡、12人受伤。"
                "当地已启动应急预案，周边群众已疏散，事故原因正在调查。事故发生后，省委、省政府高度重视，立即派出工作组赶赴现场指导救援处置工作。"
                "目前，受伤人员已全部送往医院救治，其中2人伤势较重。应急管理部门已对园区内其他化工企业开展安全隐患排查。")
    reprint = "本文转自云南日报网。" + original
    other = "第二届云南民族服饰文化展在昆明开幕，来自全省各地的民族服饰精品集中展出，吸引大量市民前往参观。"
    a, b, c = (dedup.simhash(cut(t)) for t in (original, reprint, other))
    assert dedup.distance(a, b) <= 5 < dedup.distance(a, c)
    assert set(dedup.probes(b, 5)) & set(dedup.bands(a))  # the reprint finds the original's bands
    assert dedup.simhash(cut(original)) == a  # deterministic across runs


def test_yuqing_extract_prints_one_json_object(capsys: pytest.CaptureFixture[str]) -> None:
    from yuqing.cli import main

    code = main(["extract", str(PAGES / "gbk_local_news.html"), "--url", "http://www.ccwb.example/a/1.html",
                 "--now", NOW.isoformat()])
    assert code == 0
    found = json.loads(capsys.readouterr().out)
    assert found["encoding"] == "gbk"
    assert found["title"] == "呈贡区多所学校周边交通拥堵 家长呼吁增设接送车位"
    assert "接送" in found["text"] and "热门排行" not in found["text"]
    assert found["published_at"] == "2026-11-23T09:00:00+08:00"  # 3小时前
    assert set(found) >= {"title", "text", "published_at", "author", "source", "encoding"}


def test_yuqing_extract_rejects_a_missing_file(capsys: pytest.CaptureFixture[str]) -> None:
    from yuqing.cli import main

    assert main(["extract", str(PAGES / "no-such-page.html")]) == 2
    assert "无法读取" in capsys.readouterr().err

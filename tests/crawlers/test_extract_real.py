"""Failure modes of main-text, title and date extraction found on real pages, each on a small page
written here (no page is special-cased): deep nesting, table-layout furniture, a body on one line
after a breadcrumb, a precision pass that hides the body, dates by context, broken bytes."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from crawlers.dates import find_date, parse_date
from crawlers.evaluate import date_matches
from crawlers.extract import decode_html, element_text, extract_bytes, extract_page
from yuqing.clock import TZ

NOW = dt.datetime(2026, 11, 30, 12, 0, tzinfo=TZ)
SENTENCE = "这是一段正文内容，用来检查深层嵌套的页面能否被完整提取。"
PROSE = "盘龙区金星立交附近的工地连续一个多月夜间施工，附近居民反映噪音扰民，区住建局表示将核查处理。"


def deep_page(levels: int, opening: str = "<div>", closing: str = "</div>") -> str:
    return ("<html><head><title>深层页面</title></head><body>" + opening * levels
            + "<p>" + SENTENCE * 6 + "</p>" + closing * levels + "</body></html>")


@pytest.mark.parametrize("levels", [300, 1000, 3000])
@pytest.mark.parametrize("wrap", [("<div>", "</div>"), ("<table><tr><td>", "</td></tr></table>"),
                                  ("<span>", "</span>")])
def test_deeply_nested_page_gives_its_text_without_recursion_error(levels: int, wrap: tuple[str, str]) -> None:
    found = extract_page(deep_page(levels, *wrap), url=None, now=NOW)
    assert found.text.count(SENTENCE) == 6
    assert found.title == "深层页面"


def test_yuqing_extract_reads_a_page_nested_a_thousand_levels(tmp_path: Path,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    from yuqing.cli import main

    page = tmp_path / "deep.html"
    page.write_text(deep_page(1200), encoding="utf-8")
    assert main(["extract", str(page)]) == 0
    assert json.loads(capsys.readouterr().out)["text"].count(SENTENCE) == 6


def test_element_text_walks_any_depth() -> None:
    from parsel import Selector

    root = Selector(text=deep_page(1500)).root
    assert element_text(root).count(SENTENCE) in (0, 6)  # the parser may cut the tree; the walk never fails


TABLE_PORTAL = f"""<html><head><meta charset="gbk"><title>某某网</title></head><body>
<table><tr><td><a href="/">首页</a> | <a href="/a">新闻</a> | <a href="/b">政务</a> |
<a href="/c">论坛</a> | <a href="/d">专题</a></td></tr></table>
<table><tr><td>当前位置：首页 &gt; 新闻 &gt; 正文</td></tr>
<tr><td><b>盘龙区夜间施工噪音扰民 住建部门介入核查</b></td></tr>
<tr><td>发布时间：11月20日 09:30　来源：某某网</td></tr>
<tr><td><p>{PROSE}</p><p>{PROSE}</p><p>{PROSE}</p></td></tr>
<tr><td>【<a href="javascript:print()">打印</a>】【<a href="javascript:close()">关闭</a>】</td></tr>
<tr><td><b>相关链接</b><ul><li><a href="/1">昆明市住建局开展夜间施工专项检查</a></li>
<li><a href="/2">官渡区通报一起违规施工案件</a></li><li><a href="/3">五华区噪音投诉处理情况</a></li></ul></td></tr>
<tr><td>版权所有 某某网 Copyright &copy; 2005 滇ICP备00000000号</td></tr></table>
</body></html>"""


def test_table_layout_portal_drops_navigation_print_close_related_links_and_copyright() -> None:
    found = extract_bytes(TABLE_PORTAL.encode("gbk"), url="http://www.example.cn/news/2005/11/20/1.html", now=NOW)
    assert found.text.count(PROSE) == 3
    for furniture in ("首页", "打印", "关闭", "相关链接", "专项检查", "版权所有", "ICP", "当前位置"):
        assert furniture not in found.text, furniture
    assert found.title == "盘龙区夜间施工噪音扰民 住建部门介入核查"  # not the site name in <title>
    # a date without a year takes the page's own year (its URL), not the crawl's
    assert found.published_at == dt.datetime(2005, 11, 20, 9, 30, tzinfo=TZ)


def test_year_less_date_without_context_uses_the_crawl_time_not_the_machine_clock() -> None:
    crawl_time = dt.datetime(2019, 3, 1, 12, 0, tzinfo=TZ)
    assert parse_date("11月20日 09:30", crawl_time) == dt.datetime(2018, 11, 20, 9, 30, tzinfo=TZ)
    assert parse_date("11月20日 09:30", crawl_time, year=2005) == dt.datetime(2005, 11, 20, 9, 30, tzinfo=TZ)


def test_body_in_one_cell_after_a_breadcrumb_is_kept() -> None:
    page = (f"<html><body><table><tr><td>当前位置：首页->军事技术 飞行物理学常识 {PROSE * 4}</td></tr>"
            "</table></body></html>")
    found = extract_page(page, url=None, now=NOW)
    assert found.text.count(PROSE) == 4


def test_metadata_table_rows_go_but_a_long_row_that_is_the_body_stays() -> None:
    page = ("<html><body><h1>关于开展安全检查的通知</h1><table>"
            "<tr><td>索引号：</td><td>11530000/2026-01</td><td>发布机构：</td><td>省应急厅</td></tr>"
            "<tr><td>标 题：</td><td>关于开展安全检查的通知</td></tr></table>"
            f"<table><tr><td>标 题：关于开展安全检查的通知 {PROSE * 3}</td></tr></table></body></html>")
    found = extract_page(page, url=None, now=NOW)
    assert "索引号" not in found.text and "11530000" not in found.text
    assert found.text.count(PROSE) == 3


def test_several_dated_entries_give_the_first_one_and_its_date() -> None:
    entries = "".join(
        f"<tr><td>{title}</td><td>2005-0{m}-14 03:25:55</td></tr><tr><td>{body * 3}</td></tr>"
        f"<tr><td>[打印]</td></tr><tr><td>由某人张贴 @ 2005-0{m}-14 03:25:55 (370) 共 11 篇评论</td></tr>"
        for title, m, body in (("第一篇日志", 6, PROSE), ("第二篇日志", 5, SENTENCE), ("第三篇日志", 4, SENTENCE)))
    page = f"<html><head><title>某人 | blog.example.com</title></head><body><table>{entries}</table></body></html>"
    found = extract_page(page, url=None, now=NOW)
    assert found.text.count(PROSE) == 3 and SENTENCE not in found.text and "打印" not in found.text
    assert found.published_at == dt.datetime(2005, 6, 14, 3, 25, 55, tzinfo=TZ)
    assert found.author == "某人"


def test_precision_pass_that_keeps_only_the_headline_does_not_hide_the_body() -> None:
    # a blog page whose <title> repeats as the only "precise" block while the post sits in a layout table
    rows = "".join(f"<tr><td>{PROSE}</td></tr>" for _ in range(4))
    page = ("<html><head><title>某某博客 » 夜间施工何时休</title></head><body><h2>某某博客 » 夜间施工何时休</h2>"
            f"<div>2026年11月20日</div><table width='970'><tr><td>夜间施工何时休</td></tr>{rows}</table></body></html>")
    found = extract_page(page, url=None, now=NOW)
    assert found.text.count(PROSE) == 4


def test_us_order_and_issue_month_dates() -> None:
    assert parse_date("发布日期： 9/17/2004 5:54:13 PM", NOW) == dt.datetime(2004, 9, 17, 17, 54, 13, tzinfo=TZ)
    page = f"<html><body><p>{PROSE * 3}</p><p>——《某某杂志》1998年3月号</p></body></html>"
    found = extract_page(page, url=None, now=NOW)
    assert found.published_at is not None and (found.published_at.year, found.published_at.month) == (1998, 3)


def test_headline_and_byline_folded_into_the_first_line_are_peeled_and_read() -> None:
    # the page writes title, byline and date as lines; the extractor joins them with the text's first line
    page = ("<html><head><title>Some Site - 给计算机系学生的建议</title></head><body>"
            "<table><tr><td><a href='/'>Some Site</a></td></tr><tr><td>"
            "<p><strong>给计算机系学生的建议</strong></p>"
            "<font>作者： 周某某 (Joel Someone)<br/>译： Chen Bin<br/>2005年1月2日<br/></font>"
            f"<p>{PROSE}</p><p>{PROSE}</p><p>{PROSE}</p>"
            "<p>出生日期：1976年4月25日。</p></td></tr></table></body></html>")
    found = extract_page(page, url=None, now=NOW)
    assert found.title == "给计算机系学生的建议"  # not the site's (Latin) name, the longer <title> part
    assert found.published_at == dt.datetime(2005, 1, 2, tzinfo=TZ)
    assert found.author == "周某某 (Joel Someone)"
    assert found.text.startswith(PROSE[:10])


def test_a_field_named_date_is_not_the_publication_date() -> None:
    # 出道日期/出生日期/报名日期 name other facts: only a bare 日期/时间 label or a publishing one counts
    infobox = "出生日期：1976年4月25日\n出道日期 1995年9月1日\n本页更新时间：2020年4月17日 08:16"
    assert find_date(infobox, NOW) == dt.datetime(2020, 4, 17, 8, 16, tzinfo=TZ)
    page = (f"<html><body><h1>某某歌手</h1><p>{PROSE}</p><p>出生日期 1976年4月25日</p><p>{PROSE}</p>"
            f"<p>{PROSE}</p></body></html>")
    assert extract_page(page, url=None, now=NOW).published_at is None  # a fact in the text is no byline


def test_a_book_edition_month_in_a_note_is_not_an_issue_date() -> None:
    page = f"<html><body><p>{PROSE * 3}</p><p>参见：《某某传》，北京大学出版社2002年1月第1版。</p></body></html>"
    assert extract_page(page, url=None, now=NOW).published_at is None


def test_blog_title_folded_with_its_date_and_a_name_posted_line() -> None:
    page = ("<html><head><title>某人 | blog.example.com</title></head><body>"
            "<div>[查看我的博客目录] [加入个人书签]</div><div>昨天去金矿玩 (图)</div><div>2005-03-21 01:20:44</div>"
            f"<div>{PROSE} {PROSE}</div><div>{PROSE}</div></body></html>")
    found = extract_page(page, url=None, now=NOW)
    assert found.title == "昨天去金矿玩 (图)"  # not the blog's domain nor its menu
    assert found.published_at == dt.datetime(2005, 3, 21, 1, 20, 44, tzinfo=TZ)
    forum = ("<html><body><div>Blog名:某某小站</div><div>someone88 发表于 2005-9-15 11:46:00</div>"
             f"<div>陈天华《警世钟》</div><p>{PROSE}</p><p>{PROSE}</p></body></html>")
    assert extract_page(forum, url=None, now=NOW).author == "someone88"


def test_a_bare_name_under_the_headline_is_the_author_and_leaves_the_text() -> None:
    page = (f"<html><head><title>犬儒病</title></head><body><p>显示</p><p>犬儒病</p><p>胡某</p>"
            f"<p>{PROSE}</p><p>{PROSE}</p><p>与作者联系</p></body></html>")
    found = extract_page(page, url=None, now=NOW)
    assert found.author == "胡某" and not found.text.startswith("胡某")
    scholar = ("<html><head><meta name='citation_authors' content='赵  培'><meta name='Author' "
               f"content='某某出版社,Publishers'></head><body><h1>物流配送</h1><p>{PROSE}</p></body></html>")
    assert extract_page(scholar, url=None, now=NOW).author == "赵培"


def test_declared_charset_is_kept_when_a_few_bytes_are_broken() -> None:
    body = ("<html><head><meta charset='gbk'><title>测试</title></head><body><p>"
            + PROSE * 20 + "</p></body></html>").encode("gbk")
    broken = body[:300] + b"\xff" + body[301:700] + b"\xff" + body[701:]  # two stray bytes
    text, encoding = decode_html(broken)
    assert encoding == "gbk" and text.count(PROSE) >= 18


@pytest.mark.parametrize(("raw", "found", "ok"), [
    ("2018", dt.datetime(2018, 8, 23, tzinfo=TZ), True),
    ("1998-3", dt.datetime(1998, 3, 1, tzinfo=TZ), True),
    ("1998-3", dt.datetime(1998, 4, 1, tzinfo=TZ), False),
    ("2005-5-7 21:23:57", dt.datetime(2005, 5, 7, 21, 23, 57, tzinfo=TZ), True),
    ("2005-07-31 12:30", dt.datetime(2005, 7, 31, 12, 31, tzinfo=TZ), False),
    ("2005-07-31", None, False),
])
def test_manifest_dates_compare_at_the_granularity_of_the_label(raw: str, found: dt.datetime | None,
                                                                 ok: bool) -> None:
    assert date_matches(found, raw) is ok

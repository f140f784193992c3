"""Per-source request options (headers, cookies from a connection, user agent, robots policy, rate
limit) reach the site; an expired cookie (a login page instead of content) is a health state of its
own; bad options are refused naming file, field and value."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from crawlers.api import crawl_sources
from tests.support import open_test_store
from yuqing.errors import ConfigError
from yuqing.storage import Store

from .conftest import FAST, NOON
from .loopsite import config_with_sources, loop_site

pytestmark = pytest.mark.integration

LIST = '<html><body><ul><li><a href="/a/1.html">停水通知</a></li></ul></body></html>'
ARTICLE = ('<html><body><h1>盘龙区停水通知</h1><div class="t">2026-11-23 09:00</div>'
           '<div class="b"><p>因管网检修，盘龙区部分小区明日停水十二小时，请居民提前储水。</p></div></body></html>')
LOGIN = ('<html><head><title>用户登录</title></head><body><form><p>请登录后查看</p>'
         '<input name="u"><input type="password" name="p"></form></body></html>')


@pytest.fixture(scope="module")
def store(es_url: str) -> Iterator[Store]:
    with open_test_store(es_url) as s:
        yield s


def _sources(base: str) -> str:
    return f"""sources:
  - id: r-members
    name: 会员论坛
    type: html
    url: {base}/list.html
    media_tier: self_media
    jurisdiction: "530100"
    request:
      headers: {{X-Requested-With: yuqing, Accept-Language: zh-CN}}
      cookies_connection: forum_session
      user_agent: "Mozilla/5.0 (YuqingWatch test)"
      robots: ignore
      rate_limit: 20
    selectors: {{list_item: li, link: "a::attr(href)", title: "h1::text", body: "div.b", published_at: "div.t::text"}}
  - id: r-api
    name: 会员接口
    type: json
    url: {base}/api/list
    media_tier: self_media
    jurisdiction: "530100"
    request: {{cookies_connection: forum_session, robots: ignore}}
    selectors: {{list_item: data.items, id_field: id, body: text}}
  - id: r-polite
    name: 遵守 robots 的同一站点
    type: html
    url: {base}/list.html
    media_tier: self_media
    jurisdiction: "530100"
    request: {{cookies_connection: forum_session}}
"""


def test_options_reach_the_site_and_an_expired_cookie_is_reported_as_such(
        store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    valid = {"sid": "good"}

    def gate(page: tuple[int, str, bytes]) -> Any:
        def answer(headers: dict[str, str]) -> tuple[int, str, bytes]:
            if f"sid={valid['sid']}" in headers.get("cookie", ""):
                return page
            return 200, "text/html; charset=utf-8", LOGIN.encode()
        return answer

    def api(headers: dict[str, str]) -> tuple[int, str, bytes]:
        if f"sid={valid['sid']}" in headers.get("cookie", ""):
            body = {"data": {"items": [{"id": 7, "text": "会员专区：五华区某路段夜间施工扰民"}]}}
        else:
            body = {"ok": 0, "msg": "请登录后再试", "data": None}
        return 200, "application/json", json.dumps(body, ensure_ascii=False).encode()

    monkeypatch.setenv("YUQING_CONN_FORUM_SESSION", json.dumps({"conn_type": "http", "extra": {
        "cookies": "sid=good; lang=zh", "headers": {"X-Token": "secret-token"}}}))
    with loop_site() as site:
        site.routes["/list.html"] = gate((200, "text/html; charset=utf-8", LIST.encode()))
        site.routes["/a/1.html"] = gate((200, "text/html; charset=utf-8", ARTICLE.encode()))
        site.routes["/api/list"] = api
        site.routes["/robots.txt"] = (200, "text/plain", b"User-agent: *\nDisallow: /\n")
        config = config_with_sources(tmp_path / "config", _sources(site.base))
        ok = crawl_sources(store, config, ["r-members", "r-api", "r-polite"], now=NOON, settings=FAST)
        seen = [h for p, h in site.requests if p == "/a/1.html"]
        valid["sid"] = "rotated"  # the site logs the session out: our cookie has expired
        expired = crawl_sources(store, config, ["r-members", "r-api"], now=NOON.replace(hour=13), settings=FAST)
    # robots.txt disallows everything: ignored where the source says so, obeyed by default
    assert [(s.new, s.status) for s in ok] == [(1, "ok"), (1, "ok"), (0, "failing")]
    assert ok[2].reasons == {"robots_forbidden": 1}
    [headers] = seen
    assert headers["user-agent"] == "Mozilla/5.0 (YuqingWatch test)" and headers["x-requested-with"] == "yuqing"
    assert "sid=good" in headers["cookie"] and headers["x-token"] == "secret-token"
    assert [s.status for s in expired] == ["login_required", "login_required"]
    assert all(s.reasons == {"login_required": 1} for s in expired)
    store.refresh()
    health = store.find("source_health", {"term": {"status": "login_required"}})
    assert {h["source_id"] for h in health} == {"r-members", "r-api"}


@pytest.mark.parametrize("writers", [2, 0], ids=["write-process", "inline"])
def test_a_login_page_in_place_of_an_article_is_reported_when_the_list_is_public(
        store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, writers: int) -> None:
    """Article pages are decoded where the items are written (the write process when there is one):
    a login page found there still marks the run login_required, as one found on the list does."""
    monkeypatch.setenv("YUQING_CONN_FORUM_SESSION", json.dumps({"conn_type": "http", "extra": {"cookies": "sid=old"}}))
    with loop_site() as site:
        site.routes["/list.html"] = (200, "text/html; charset=utf-8", LIST.encode())
        site.routes["/a/1.html"] = (200, "text/html; charset=utf-8", LOGIN.encode())
        config = config_with_sources(tmp_path / "config", _sources(site.base))
        [run] = crawl_sources(store, config, ["r-members"], now=NOON.replace(hour=14 + writers),
                              settings={**FAST, "YUQING_WRITER_PROCESSES": writers})
    assert (run.status, run.new, run.reasons) == ("login_required", 0, {"login_required": 1})


@pytest.mark.parametrize(("request_yaml", "field", "value"), [
    ("{headers: {Cookie: 'sid=1'}}", "sources[0](x).request.headers", {"Cookie": "sid=1"}),
    ("{proxy: 'http://user:pw@127.0.0.1:8080'}", "sources[0](x).request.proxy", "http://user:pw@127.0.0.1:8080"),
    ("{proxy: 'ftp://127.0.0.1'}", "sources[0](x).request.proxy", "ftp://127.0.0.1"),
    ("{rate_limit: 0}", "sources[0](x).request.rate_limit", 0),
    ("{robots: sometimes}", "sources[0](x).request.robots", "sometimes"),
    ("{cookies_connection: 'Bad Name'}", "sources[0](x).request.cookies_connection", "Bad Name"),
    ("{cookie: 'sid=1'}", "sources[0](x).request.cookie", "sid=1"),
])
def test_bad_request_options_name_file_field_and_value(tmp_path: Path, request_yaml: str, field: str,
                                                       value: Any) -> None:
    with pytest.raises(ConfigError) as caught:
        config_with_sources(tmp_path / "config", f"""sources:
  - id: x
    name: 测试
    type: html
    url: http://127.0.0.1:1/list.html
    media_tier: local
    jurisdiction: "530100"
    request: {request_yaml}
""")
    err = caught.value
    assert err.file.endswith("sources.yaml") and err.field == field and err.value == value, str(err)


def test_a_missing_cookie_connection_names_the_source_field(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from crawlers.spiders.base import request_options

    monkeypatch.delenv("YUQING_CONN_NO_SUCH_SESSION", raising=False)
    monkeypatch.delenv("AIRFLOW_CONN_NO_SUCH_SESSION", raising=False)
    config = config_with_sources(tmp_path / "config", """sources:
  - id: x
    name: 测试
    type: html
    url: http://127.0.0.1:1/list.html
    media_tier: local
    jurisdiction: "530100"
    request: {cookies_connection: no_such_session}
""")
    with pytest.raises(ConfigError, match=r"sources\(x\)\.request\.cookies_connection = 'no_such_session'"):
        request_options(config.sources.get("x"), config.sources.crawl, "sources.yaml")

"""The overview page (figures checked against the indexed documents), the spread path on the incident
page and the office statistics page, over HTTP and in the browser at desktop and phone sizes."""

from __future__ import annotations

import datetime as dt
import os
import re
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from console import overview as ov
from console import sample
from reports.stats import build_office_stats
from tests.console.conftest import NOW
from tests.console.test_access import sign_in
from tests.spread_case import SpreadCase, seed_spread_case
from yuqing.clock import TZ, parse_ts
from yuqing.config import Config
from yuqing.models import Assessment, Clock, HotlistEntry, Incident, Mention, Release, Sentiment, stable_id
from yuqing.storage import Store

pytestmark = pytest.mark.integration

XSS_WORD = "<script>alert('word')</script>"
HOT = "demo-hot"


def _mention(n: int, when: dt.datetime | None, *, crawled: dt.datetime | None = None, label: str | None = "negative",
             keywords: list[str] | None = None) -> Mention:
    url = f"https://overview.example.cn/{n}.html"
    return Mention(id=stable_id("overview", n), source_id="demo-news", source_type="html", media_tier="provincial",
                   jurisdiction="530000", url=url, canonical_url=url, title=f"信息{n}", text="正文",
                   published_at=when, crawled_at=crawled or (when or NOW) + dt.timedelta(minutes=3),
                   sentiment=Sentiment(label=label, score=0.0) if label else None,  # type: ignore[arg-type]
                   keywords=keywords or [])


def _at(days_ago: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(NOW.date() - dt.timedelta(days=days_ago), dt.time(hour, minute), tzinfo=TZ)


def _hot(key: str, title: str, rank: int, at: dt.datetime, *, relevant: bool = False) -> HotlistEntry:
    return HotlistEntry(id=stable_id(HOT, key, at), source_id=HOT, key=key, title=title, rank=rank, at=at,
                        heat=10000 * (20 - rank), relevant=relevant, terms=["昆明"] if relevant else [],
                        url=f"https://hot.example.cn/{key}")


def _office_incident(key: str, office: str, created: dt.datetime) -> Incident:
    inc = sample.incident(stable_id("stats", key), now=NOW, title=f"统计用事件{key}", office=office, level="IV",
                          state="released", age=NOW - created)
    return inc.model_copy(update={"assigned_office": office, "created_at": created, "first_seen_at": created,
                                  "last_seen_at": created + dt.timedelta(minutes=1)})


@pytest.fixture(scope="module")
def extra(cstore: Store, seeded: Any) -> dict[str, Any]:
    """Mentions over the last days, hot-list crawls, an incident with a spread path, office statistics data."""
    mentions = [
        _mention(1, _at(0, 8, 10), keywords=["化工厂", "泄漏", XSS_WORD]),
        _mention(2, _at(0, 9, 20), label="neutral", keywords=["化工厂", "饮水"]),
        _mention(3, None, crawled=_at(0, 9, 45), keywords=["化工厂"]),  # undated: counted at its crawl time
        _mention(4, _at(1, 14), label="positive", keywords=["饮水"]),
        _mention(5, _at(1, 15), label=None, keywords=["泄漏"]),  # not analysed: not in the share's denominator
        _mention(6, _at(2, 23, 30), keywords=["停水"]),
        _mention(7, _at(9, 12), keywords=["化工厂"]),  # outside the last 7 days
    ]
    hot = [
        _hot("化工厂泄漏", "某地化工厂泄漏", 5, _at(0, 8), relevant=True),
        _hot("明星八卦", "明星八卦", 1, _at(0, 8)),
        _hot("旧闻", "已跌出榜单的旧闻", 9, _at(0, 8)),
        _hot("化工厂泄漏", "某地化工厂泄漏", 2, _at(0, 9, 30), relevant=True),
        _hot("明星八卦", "明星八卦", 3, _at(0, 9, 30)),
    ]
    # Office statistics: 省市场监管局 answered three incidents after 1 h, 2 h and 10 h; one clock met on
    # time, one missed; an assessment of 80.
    created = [_at(3, 9), _at(3, 10), _at(3, 11)]
    incidents = [_office_incident(str(i), "prov_market", c) for i, c in enumerate(created)]
    releases = [Release(id=stable_id("stats-release", i), incident_id=inc.id, office="prov_market", channel="website",
                        title="情况通报", published_at=inc.created_at + dt.timedelta(hours=h), recorded_at=NOW)
                for i, (inc, h) in enumerate(zip(incidents, (1, 2, 10), strict=True))]
    clocks = [Clock(id=stable_id("stats-clock", 0), incident_id=incidents[0].id, rule_id="authoritative_info",
                    name_zh="发布权威信息（5小时内）", opened_at=created[0], due_at=created[0] + dt.timedelta(hours=5),
                    state="met", owner_office="prov_market", met_at=created[0] + dt.timedelta(hours=1)),
              Clock(id=stable_id("stats-clock", 1), incident_id=incidents[2].id, rule_id="authoritative_info",
                    name_zh="发布权威信息（5小时内）", opened_at=created[2], due_at=created[2] + dt.timedelta(hours=5),
                    state="missed", owner_office="prov_market", missed_at=created[2] + dt.timedelta(hours=5))]
    assessment = Assessment(id=stable_id("stats-assessment"), incident_id=incidents[0].id, office="prov_market",
                            score=80.0, generated_at=NOW, closed_at=_at(2, 9))
    sample.put(cstore, *mentions, *hot, *incidents, *releases, *clocks, assessment)
    return {"spread": seed_spread_case(cstore), "mentions": mentions}


def _expected_trend(store: Store, p: ov.Period) -> dict[dt.datetime, tuple[int, int, int]]:
    """Mentions, negative and analysed per bucket, counted in Python from every stored mention."""
    counts: Counter[tuple[dt.datetime, str]] = Counter()
    for doc in store.scan("mentions"):
        t = parse_ts(doc.get("published_at")) or parse_ts(doc["crawled_at"])
        assert t is not None
        local = t.astimezone(TZ)
        if not p.start <= local < p.end:
            continue
        bucket = local.replace(minute=0, second=0, microsecond=0)
        if not p.hourly:
            bucket = bucket.replace(hour=0)
        label = (doc.get("sentiment") or {}).get("label")
        counts[(bucket, "all")] += 1
        counts[(bucket, "negative")] += label == "negative"
        counts[(bucket, "analyzed")] += label is not None
    return {b: (counts[(b, "all")], counts[(b, "negative")], counts[(b, "analyzed")])
            for b in sorted({b for b, _ in counts})}


@pytest.mark.parametrize("days", [0, 7])
def test_trend_figures_agree_with_the_indexed_mentions(cstore: Store, config: Config, extra: dict[str, Any],
                                                       days: int) -> None:
    data = ov.overview(cstore, config, days=days, now=NOW)
    expected = _expected_trend(cstore, data.period)
    got = {b.start: (b.mentions, b.negative, b.analyzed) for b in data.trend if b.mentions}
    assert got == expected
    assert len(data.trend) == (11 if days == 0 else 7)  # every bucket, empty ones included: 00–10时 / 7 days
    assert data.mentions == sum(v[0] for v in expected.values())
    analyzed = sum(v[2] for v in expected.values())
    assert data.negative_share == round(sum(v[1] for v in expected.values()) / analyzed, 4)
    if days == 0:
        assert got[_at(0, 9)][0] >= 2  # the dated 09:20 and the undated one crawled at 09:45
    else:
        assert _at(9, 0) not in got and got[_at(1, 0)] == (2, 0, 1)


def test_hot_words_and_incident_breakdowns_agree_with_the_documents(cstore: Store, config: Config,
                                                                    extra: dict[str, Any]) -> None:
    data = ov.overview(cstore, config, days=7, now=NOW)
    start, end = data.period.start, data.period.end
    words: Counter[str] = Counter()
    for m in extra["mentions"]:
        t = m.published_at or m.crawled_at
        if start <= t < end:
            words.update(m.keywords)
    assert dict(data.words) == dict(words) and data.words[0] == ("化工厂", 3)

    active = [Incident.from_doc(d) for d in cstore.scan("incidents")]
    active = [i for i in active if i.first_seen_at < end and i.last_seen_at >= start and i.state != "dismissed"]
    assert data.incidents.total == len(active)
    assert dict(data.incidents.by_place) == dict(Counter(c for i in active for c in i.place_codes))
    assert dict(data.incidents.by_priority) == dict(Counter(p for i in active for p in i.priorities))
    assert dict(data.incidents.by_level) == dict(Counter(i.severity.level for i in active if i.severity))


def test_hot_lists_show_the_latest_crawl_with_rank_history(cstore: Store, config: Config,
                                                           extra: dict[str, Any]) -> None:
    lists = ov.overview(cstore, config, days=0, now=NOW).hotlists
    assert [(h.source_id, h.at) for h in lists] == [(HOT, _at(0, 9, 30))]
    entries = lists[0].entries
    assert [(e.rank, e.title) for e in entries] == [(2, "某地化工厂泄漏"), (3, "明星八卦")]  # the old one is gone
    assert entries[0].history == [(_at(0, 8), 5), (_at(0, 9), 2)] and entries[0].relevant


def test_overview_page_shows_the_figures_escaped(app: Any, password: str, cstore: Store, config: Config,
                                                 extra: dict[str, Any]) -> None:
    client = TestClient(app)
    sign_in(client, "emerg", password)  # every signed-in user sees the overview
    page = client.get("/overview?days=7")
    assert page.status_code == 200
    data = ov.overview(cstore, config, days=7, now=NOW)
    assert re.search(rf'id="total-mentions">{data.mentions}<', page.text)
    assert f'id="negative-share">{data.negative_share * 100:.1f}%<' in page.text
    for text in ("昆明市", "曲靖市", "重大突发事件", "公众切身利益", "化工厂", "某地化工厂泄漏", "最高第2名",
                 "热搜榜（演示）", "近7天（按天）"):
        assert text in page.text, text
    assert XSS_WORD not in page.text and "&lt;script&gt;alert(&#39;word&#39;)" in page.text
    assert "place_codes" not in page.text and "None" not in page.text
    today = client.get("/overview?days=0")
    assert "今日（按小时）" in today.text and today.text.count('class="mentions-bar"') == 11
    assert client.get("/overview?days=999").status_code == 422


def test_incident_page_draws_the_spread_path(app: Any, password: str, extra: dict[str, Any]) -> None:
    case: SpreadCase = extra["spread"]
    client = TestClient(app)
    sign_in(client, "duty", password)
    page = client.get(f"/incidents/{case.incident.id}")
    assert page.status_code == 200
    first = re.search(r'id="spread-first">(.*?)</p>', page.text, re.S)
    assert first and "云南日报网（演示）" in first[1] and "2026-11-23 08:00" in first[1]
    svg = re.search(r'<svg id="spread-graph".*?</svg>', page.text, re.S)
    assert svg and svg[0].count('class="edge"') == 4 and svg[0].count('data-mention=') == 6
    assert f'class="node first" data-mention="{case.m[0].id}"' in svg[0]
    carriers = re.search(r'id="spread-carriers">(.*?)</table>', page.text, re.S)
    rows = carriers[1] if carriers else ""
    assert rows.index("昆明身边事") < rows.index("春城热点") < rows.index("云南日报网")
    assert "春城热点（微博时间线（演示）） 转自 昆明身边事（微博时间线（演示））" in page.text


def test_office_statistics_reuse_the_report_figures_and_respect_the_office(app: Any, password: str, cstore: Store,
                                                                           config: Config,
                                                                           extra: dict[str, Any]) -> None:
    first, last = NOW.date() - dt.timedelta(days=29), NOW.date()
    figures = {r["office"]: r for r in build_office_stats(cstore, config, first, last, now=NOW).figures["offices"]}
    market = figures["prov_market"]
    assert (market["clocks"], market["met"], market["missed"], market["responded"]) == (2, 1, 1, 3)
    assert market["response_median"] == pytest.approx(2.0) and market["response_p90"] == pytest.approx(8.4)

    client = TestClient(app)
    sign_in(client, "duty", password)
    page = client.get("/stats")
    assert page.status_code == 200
    cards = dict(re.findall(r'<li class="office-stat" data-office="([^"]*)">(.*?)</li>', page.text, re.S))
    assert set(cards) == set(figures)
    card = cards["prov_market"]
    assert "省市场监管局" in card and re.search(r'class="response-median">2小时00分<', card)
    for cls, value in (("met", "1 项"), ("missed", "1 项"), ("clocks", "2 项"), ("rate", "50.0%")):
        assert re.search(rf'class="{cls}">{re.escape(value)}<', card), cls
    assert re.search(r'class="response-p90">8小时24分<', card)  # 2 h + 0.8 × (10 h − 2 h)
    assert "平均 80.0 分" in card

    office = TestClient(app)
    sign_in(office, "health", password)
    mine = office.get("/stats")
    assert re.findall(r'data-office="([^"]*)"', mine.text) == ["prov_health"]
    assert "省市场监管局" not in mine.text.split('id="office-stats"')[1]
    assert client.get("/stats?start=2026-11-30&end=2026-11-01").status_code == 422


# -- the browser, at desktop and phone sizes --------------------------------------------------------------

SIZES = {"desktop": {"width": 1366, "height": 900}, "phone": {"width": 390, "height": 844}}


@pytest.fixture(scope="module")
def shots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = os.environ.get("YUQING_SCREENSHOTS")
    path = Path(base) if base else tmp_path_factory.mktemp("screenshots")
    path.mkdir(parents=True, exist_ok=True)
    return path


def _browse(browser: Any, live: Any, size: str, user: str, password: str) -> Any:
    context = browser.new_context(base_url=live.url, locale="zh-CN", timezone_id="Asia/Shanghai",
                                  viewport=SIZES[size], device_scale_factor=1, is_mobile=size == "phone",
                                  has_touch=size == "phone")
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto("/login")
    page.fill("input[name=name]", user)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r"/$"))
    return page


def _no_page_scroll(page: Any) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    viewport = page.evaluate("window.innerWidth")
    assert width <= viewport + 1, f"the page is {width}px wide in a {viewport}px window"


def _fits(page: Any, selector: str) -> None:
    box = page.locator(selector).first.bounding_box()
    assert box is not None and box["width"] > 0
    assert box["x"] >= 0 and box["x"] + box["width"] <= page.evaluate("window.innerWidth") + 1, selector


@pytest.mark.browser
@pytest.mark.parametrize("size", list(SIZES))
def test_overview_in_the_browser(browser: Any, live: Any, password: str, extra: dict[str, Any], shots: Path,
                                 size: str) -> None:
    page = _browse(browser, live, size, "duty", password)
    assert page.locator("header a[href='/overview']").count() == 1  # in the navigation
    page.goto("/overview")
    assert page.locator("h1").inner_text().startswith("舆情概览")
    for chart in ("#trend-chart", "#hot-words-chart", "#place-chart", "#priority-chart"):
        _fits(page, chart)
    assert page.locator("#trend-chart rect.mentions-bar").count() == 7
    assert page.locator("#hotlists .hot-entry").count() == 2
    page.click("a[href='/overview?days=0']")
    page.wait_for_load_state()
    assert page.locator("#trend-chart rect.mentions-bar").count() == 11
    _no_page_scroll(page)
    page.screenshot(path=str(shots / f"overview-{size}.png"), full_page=True)
    page.context.close()


@pytest.mark.browser
@pytest.mark.parametrize("size", list(SIZES))
def test_spread_path_in_the_browser(browser: Any, live: Any, password: str, extra: dict[str, Any], shots: Path,
                                    size: str) -> None:
    case: SpreadCase = extra["spread"]
    page = _browse(browser, live, size, "duty", password)
    page.goto(f"/incidents/{case.incident.id}")
    graph = page.locator("#spread-graph")
    graph.scroll_into_view_if_needed()
    assert graph.locator("g.node").count() == 6 and graph.locator("line.edge").count() == 4
    assert "云南日报网（演示）" in page.locator("#spread-first").inner_text()
    _fits(page, "#spread")
    _no_page_scroll(page)
    page.locator("#spread").screenshot(path=str(shots / f"spread-{size}.png"))
    page.screenshot(path=str(shots / f"incident-spread-{size}.png"), full_page=True)
    page.context.close()


@pytest.mark.browser
@pytest.mark.parametrize("size", list(SIZES))
def test_office_statistics_in_the_browser(browser: Any, live: Any, password: str, extra: dict[str, Any],
                                          shots: Path, size: str) -> None:
    page = _browse(browser, live, size, "duty", password)
    assert page.locator("header a[href='/stats']").count() == 1
    page.goto("/stats")
    card = page.locator(".office-stat[data-office=prov_market]")
    assert "8小时24分" in card.locator(".response-p90").inner_text()
    _fits(page, "#office-stats")
    _no_page_scroll(page)
    page.screenshot(path=str(shots / f"office-stats-{size}.png"), full_page=True)
    page.context.close()

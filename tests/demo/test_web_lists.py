"""The demo web's hot list, site search and engagement figures, which change during the day; and a
crawl of the hot list at three times keeps each entry's rank history."""

from __future__ import annotations

import datetime as dt
import json
import urllib.parse
import urllib.request
from collections.abc import Iterator

import pytest

from demo.scenario import ITEMS_BY_ID, at, day_start, items_of
from demo.web import DemoWeb

DAY = dt.date(2026, 11, 23)


def _at(hhmm: str) -> dt.datetime:
    return day_start(DAY) + at(hhmm)


@pytest.fixture
def web() -> Iterator[DemoWeb]:
    with DemoWeb(DAY, port=0, now=_at("12:00")) as server:
        yield server


def get(url: str) -> dict:  # type: ignore[type-arg]
    with urllib.request.urlopen(url, timeout=10) as response:
        return json.loads(response.read())  # type: ignore[no-any-return]


def test_the_mall_fire_is_on_the_hot_list_before_any_post_about_it(web: DemoWeb) -> None:
    words = [e["word"] for e in get(f"{web.base_url}/hot/realtime.json")["data"]["realtime"]]
    assert "昆明官渡一商场突发火灾" not in words and words  # not yet at noon
    web.set_now(_at("13:10"))
    hot = get(f"{web.base_url}/hot/realtime.json")["data"]["realtime"]
    fire = next(e for e in hot if "商场" in e["word"])
    first_post = min(i.appear_at for i in items_of("guandu_mall_fire"))
    assert at("13:10") < first_post  # the list has it before any site does
    assert fire["onboard_time"] == int(_at("13:05").timestamp())  # its own time on the list (上榜时间)
    web.set_now(_at("15:30"))
    later = next(e for e in get(f"{web.base_url}/hot/realtime.json")["data"]["realtime"] if "商场" in e["word"])
    assert later["rank"] < fire["rank"] and later["num"] > fire["num"]  # it climbs as it heats up
    assert [e["rank"] for e in hot] == list(range(1, len(hot) + 1))


def test_search_pages_through_visible_items_containing_the_words(web: DemoWeb) -> None:
    web.set_now(_at("23:00"))
    q = urllib.parse.quote("昆明")
    first = get(f"{web.base_url}/search?q={q}&page=1")
    assert first["total"] > 5 and len(first["list"]) == 5
    pages = [get(f"{web.base_url}/search?q={q}&page={n}")["list"] for n in range(1, first["total"] // 5 + 3)]
    titles = [r["title"] for page in pages for r in page]
    assert len(titles) == first["total"] == len(set(r["url"] for page in pages for r in page))
    assert pages[-1] == []
    assert get(f"{web.base_url}/search?q=")["list"] == []


def test_repost_figures_grow_after_a_post_appears(web: DemoWeb) -> None:
    post = max((i for i in ITEMS_BY_ID.values() if i.site == "weibo"), key=lambda i: i.reposts)
    published = post.published_at(DAY)
    figures = []
    for hours in (0.5, 2, 6):
        web.set_now(published + dt.timedelta(hours=hours))
        statuses = get(f"{web.base_url}/api/timeline?count=50")["data"]["statuses"]
        [status] = [s for s in statuses if s["text"] == post.text]
        figures.append(status["reposts_count"])
    assert figures[0] < figures[1] < figures[2] == post.reposts

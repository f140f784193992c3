"""Source health status from one run's counts and the previous run (no network)."""

from __future__ import annotations

import datetime as dt

from crawlers.health import RunCounts, build_health
from yuqing.clock import TZ, iso
from yuqing.config.sources import CrawlSettings, Source

SOURCE = Source(id="s", name="测试源", type="rss", url="http://a.cn/rss.xml", media_tier="local",
                jurisdiction="530000", silent_after="6h")
NOW = dt.datetime(2026, 11, 23, 12, 0, tzinfo=TZ)


def health(counts: RunCounts, previous: dict[str, object] | None = None) -> str:
    return build_health(SOURCE, CrawlSettings(), counts, started_at=NOW, finished_at=NOW + dt.timedelta(seconds=5),
                        previous=previous).status


def test_new_items_without_failures_are_ok() -> None:
    assert health(RunCounts(found=5, new=2, fetched=3)) == "ok"


def test_some_failed_pages_degrade_and_many_fail() -> None:
    counts = RunCounts(found=5, fetched=9)
    counts.fail("http_500")
    assert health(counts) == "degraded"
    for _ in range(9):
        counts.fail("timeout")
    assert health(counts) == "failing"


def test_unreadable_start_page_is_failing_and_keeps_last_success() -> None:
    counts = RunCounts()
    counts.fail("http_503", start=True)
    earlier = iso(NOW - dt.timedelta(hours=1))
    doc = build_health(SOURCE, CrawlSettings(), counts, started_at=NOW, finished_at=NOW,
                       previous={"last_success_at": earlier, "last_new_at": earlier})
    assert doc.status == "failing" and doc.error_rate == 1.0
    assert iso(doc.last_success_at) == earlier


def test_a_source_that_answers_but_produces_nothing_new_goes_silent() -> None:
    quiet = RunCounts(found=5, fetched=1)
    assert health(quiet, {"last_new_at": iso(NOW - dt.timedelta(hours=2))}) == "ok"
    assert health(quiet, {"last_new_at": iso(NOW - dt.timedelta(hours=7))}) == "silent"


def test_rerun_of_the_same_interval_changes_nothing() -> None:
    first = build_health(SOURCE, CrawlSettings(), RunCounts(found=6, new=4, fetched=6), started_at=NOW,
                         finished_at=NOW + dt.timedelta(seconds=5), previous=None)
    # the retry sees the same items, all stored already, and takes longer
    again = build_health(SOURCE, CrawlSettings(), RunCounts(found=6, new=0, fetched=2), started_at=NOW,
                         finished_at=NOW + dt.timedelta(seconds=9), previous=first.to_doc())
    assert again.to_doc() == first.to_doc()


def test_rerun_that_finds_more_adds_to_the_first_attempt() -> None:
    first = build_health(SOURCE, CrawlSettings(), RunCounts(found=6, new=4, fetched=4, failed=2,
                                                             reasons={"http_500": 2}),
                         started_at=NOW, finished_at=NOW + dt.timedelta(seconds=5), previous=None)
    again = build_health(SOURCE, CrawlSettings(), RunCounts(found=6, new=2, fetched=4), started_at=NOW,
                         finished_at=NOW + dt.timedelta(seconds=9), previous=first.to_doc())
    assert first.status in ("failing", "degraded")
    assert (again.items_new, again.items_failed, again.status) == (6, 0, "ok")
    assert again.id == first.id and again.finished_at == first.finished_at

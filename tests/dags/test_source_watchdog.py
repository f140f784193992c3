"""The source-health watchdog flags sources whose crawl stopped running, once, and nothing else."""

from __future__ import annotations

import datetime as dt

import pytest

from pipeline.health import check_sources
from yuqing.clock import TZ
from yuqing.config import Config
from yuqing.models import SourceHealth, stable_id
from yuqing.storage import Store

pytestmark = pytest.mark.integration

NOW = dt.datetime(2026, 11, 23, 10, 0, tzinfo=TZ)


def crawl_run(source_id: str, finished: dt.datetime) -> SourceHealth:
    return SourceHealth(id=stable_id(source_id, finished.isoformat()), source_id=source_id,
                        run_id=finished.isoformat(), started_at=finished, finished_at=finished,
                        items_found=5, items_new=1, last_success_at=finished, last_new_at=finished, status="ok")


def test_overdue_and_never_crawled_sources_are_marked_silent_once(store: Store, config: Config) -> None:
    enabled = [s for s in config.sources.sources if s.enabled]
    fresh, stale = enabled[0], enabled[1]
    store.put("source_health", "fresh", crawl_run(fresh.id, NOW - fresh.schedule.as_timedelta()).to_doc())
    store.put("source_health", "stale", crawl_run(stale.id, NOW - dt.timedelta(days=2)).to_doc(), refresh=True)

    result = check_sources(store, config, now=NOW)

    assert result["checked"] == len(enabled)
    assert fresh.id not in result["silent"]
    assert set(result["silent"]) == {s.id for s in enabled} - {fresh.id}
    store.refresh("source_health")
    flagged = SourceHealth.from_doc(store.find("source_health", {"bool": {"filter": [
        {"term": {"source_id": stale.id}}, {"term": {"status": "silent"}}]}})[0])
    assert flagged.last_success_at == NOW - dt.timedelta(days=2)  # carried forward for the alert text
    count = store.count("source_health")

    again = check_sources(store, config, now=NOW)  # the same interval re-run
    later = check_sources(store, config, now=NOW + dt.timedelta(minutes=15))  # the next check
    store.refresh("source_health")

    assert again["silent"] == result["silent"]
    assert later["silent"] == []  # already flagged: not flagged again on every check
    assert store.count("source_health") == count

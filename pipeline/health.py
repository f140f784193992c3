"""The source-health watchdog: sources whose crawl stopped running at all.

Each crawl run records its own health (found / new / failed, error rate, ``silent`` when nothing
new for too long), and the alert rules ``source_silent`` / ``source_failing`` read the latest
record. What a crawl cannot record is its own absence: a collection DAG that is paused, a crawl
process that dies before writing, a source dropped from every schedule by mistake. This check runs
on its own schedule and, for every enabled source whose latest run finished longer ago than
``OVERDUE_RUNS`` of its schedules (or that has never run), writes a ``silent`` health record so the
alert layer sees it. The record's id is derived from the source and the check's interval end, so
re-running the same interval writes the same document.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from yuqing.clock import iso, parse_ts
from yuqing.config import Config
from yuqing.models import SourceHealth, stable_id
from yuqing.storage import Store

log = logging.getLogger(__name__)

OVERDUE_RUNS = 3  # a source is overdue after missing this many scheduled runs
MIN_OVERDUE = dt.timedelta(hours=1)


WATCHDOG = "watchdog:"


def latest_runs(store: Store, *, watchdog: bool) -> dict[str, dict[str, Any]]:
    """The latest health record per source: of real crawl runs, or of this watchdog's checks."""
    prefix = {"prefix": {"run_id": WATCHDOG}}
    query = {"bool": {"filter": [prefix]}} if watchdog else {"bool": {"must_not": [prefix]}}
    resp = store.search("source_health", query=query, size=0, aggs={"by_source": {
        "terms": {"field": "source_id", "size": 1000},
        "aggs": {"latest": {"top_hits": {"size": 1, "sort": [{"finished_at": "desc"}]}}},
    }})
    return {b["key"]: b["latest"]["hits"]["hits"][0]["_source"] for b in resp["aggregations"]["by_source"]["buckets"]}


def check_sources(store: Store, config: Config, *, now: dt.datetime) -> dict[str, Any]:
    """Flag overdue or never-crawled sources as silent; return what was checked and flagged."""
    runs, checks = latest_runs(store, watchdog=False), latest_runs(store, watchdog=True)
    run_id = f"{WATCHDOG}{iso(now)}"
    flagged: list[str] = []
    checked = 0
    for source in config.sources.sources:
        if not source.enabled:
            continue
        checked += 1
        previous = runs.get(source.id)
        overdue_after = max(source.schedule.as_timedelta() * OVERDUE_RUNS, MIN_OVERDUE)
        finished = parse_ts(previous.get("finished_at")) if previous else None
        if finished is not None and now - finished <= overdue_after:
            continue
        earlier = checks.get(source.id)
        if earlier is not None and earlier.get("run_id") != run_id and (
                finished is None or (parse_ts(earlier.get("finished_at")) or now) > finished):
            continue  # flagged by an earlier check; a real run clears it
        record = SourceHealth(
            id=stable_id(source.id, run_id), source_id=source.id, run_id=run_id, started_at=now, finished_at=now,
            last_success_at=parse_ts(previous.get("last_success_at")) if previous else None,
            last_new_at=parse_ts(previous.get("last_new_at")) if previous else None,
            error_rate=float(previous.get("error_rate", 0.0)) if previous else 0.0,
            failure_reasons={"no_recent_run": 1}, status="silent",
        )
        store.put("source_health", record.id, record.to_doc())
        flagged.append(source.id)
        log.warning("source %s has not been crawled since %s: marked silent", source.id, iso(finished) or "ever")
    return {"checked": checked, "silent": flagged}

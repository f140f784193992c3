"""Source health: one ``SourceHealth`` document per source and run, so the alert layer can see a
source that fails, degrades or goes silent.

Status rules (in order):
- ``login_required``: a login page (or a redirect to one) came back instead of content: the source's
  cookie (from its connection) expired or was never valid;
- ``failing``: the run could not read the source at all (start page failed, nothing found), or
  its error rate is at or above ``crawl.failing_error_rate``;
- ``degraded``: some pages failed;
- ``silent``: the source answers, but has produced nothing new for longer than its ``silent_after``;
- ``ok`` otherwise.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from typing import Any, Literal

from yuqing.clock import iso, parse_ts
from yuqing.config.sources import CrawlSettings, Source
from yuqing.models import SourceHealth, stable_id
from yuqing.storage import Store

log = logging.getLogger(__name__)


@dataclasses.dataclass
class RunCounts:
    """What one run of a source saw (filled by the spider and the pipeline)."""

    found: int = 0  # items listed by the source (seen or not)
    new: int = 0  # items stored for the first time
    updated: int = 0  # items stored before whose content changed
    failed: int = 0  # pages or items skipped, by reason below
    fetched: int = 0  # pages fetched successfully
    start_failed: bool = False  # the list/feed page itself could not be read
    reasons: dict[str, int] = dataclasses.field(default_factory=dict)
    spooled: int = 0
    login_required: bool = False  # a login page came back instead of content (an expired cookie)

    def fail(self, reason: str, *, start: bool = False) -> None:
        self.failed += 1
        self.reasons[reason] = self.reasons.get(reason, 0) + 1
        if start:
            self.start_failed = True


def previous_health(store: Store, source_id: str, run_id: str | None = None) -> dict[str, Any] | None:
    """This run's own document if the interval was crawled before (a re-run), else the latest stored
    health document of the source, or None."""
    if run_id is not None and (own := store.get("source_health", stable_id(source_id, run_id))) is not None:
        return own
    hits = store.find("source_health", {"term": {"source_id": source_id}}, size=1,
                      sort=[{"finished_at": "desc"}])
    return hits[0] if hits else None


def build_health(source: Source, settings: CrawlSettings, counts: RunCounts, *, started_at: dt.datetime,
                 finished_at: dt.datetime, previous: dict[str, Any] | None) -> SourceHealth:
    """The health document of this run. A re-run of the same interval (same ``run_id``: an Airflow
    retry or a cleared task) folds into the first attempt's document instead of replacing it: items
    new in either attempt count once, the first completion time stays, and the failures are the
    latest attempt's (what is wrong now). So a re-run that finds nothing new changes nothing."""
    run_id = iso(started_at) or ""
    doc_id = stable_id(source.id, run_id)
    if previous is not None and previous.get("id") == doc_id:
        counts = dataclasses.replace(
            counts, new=int(previous.get("items_new", 0)) + counts.new,
            updated=int(previous.get("items_updated", 0)) + counts.updated,
            found=max(int(previous.get("items_found", 0)), counts.found))
        finished_at = parse_ts(previous.get("finished_at")) or finished_at
    attempts = counts.fetched + counts.failed
    error_rate = 1.0 if counts.start_failed else (counts.failed / attempts if attempts else 0.0)
    last_success = parse_ts(previous.get("last_success_at")) if previous else None
    last_new = parse_ts(previous.get("last_new_at")) if previous else None
    if not counts.start_failed:
        last_success = finished_at
    if counts.new:
        last_new = finished_at
    status: Literal["ok", "degraded", "failing", "silent", "login_required"]
    if counts.login_required:
        status = "login_required"
    elif counts.start_failed or error_rate >= settings.failing_error_rate:
        status = "failing"
    elif counts.failed:
        status = "degraded"
    else:
        silent_after = source.silent_after.as_timedelta()
        since = last_new or started_at
        status = "silent" if finished_at - since > silent_after else "ok"
    return SourceHealth(
        id=doc_id, source_id=source.id, run_id=run_id, started_at=started_at,
        finished_at=finished_at, items_found=counts.found, items_new=counts.new, items_failed=counts.failed,
        items_updated=counts.updated, failure_reasons=dict(counts.reasons), last_success_at=last_success,
        last_new_at=last_new, error_rate=round(error_rate, 4), status=status,
    )

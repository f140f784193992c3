"""The stages of the cycle as plain functions: what each Airflow task (and the demo) calls.

Every function takes the end of its data interval (``interval_end``) as the clock: nothing here
reads the wall clock, so re-running a stage over the same interval repeats the same decisions and,
because the domain packages write with deterministic ids, duplicates nothing. Each builds its
Store and Config from the environment:

- Elasticsearch: ``ES_URL``, else the connection ``yuqing_es`` (an Airflow connection when the
  caller passes Airflow's resolver, else ``AIRFLOW_CONN_YUQING_ES`` / ``YUQING_CONN_YUQING_ES``),
  else the local node started by ``yuqing es start``;
- index prefix: ``YUQING_INDEX_PREFIX`` (default ``yuqing``);
- configuration: ``YUQING_CONFIG`` (default ``config/``).

A task that could not do its work fails, so Airflow retries it: a stage whose domain function is
missing raises :class:`StageMissing` (never a green "skipped" task), infrastructure errors
(``StorageUnavailable``) propagate, and a crawl that had to spool its writes because Elasticsearch
went away raises :class:`CrawlSpooled` after crawling (the retry replays the spool first).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import importlib
import logging
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from yuqing.clock import TZ, parse_ts

if TYPE_CHECKING:
    from yuqing.config import Config
    from yuqing.connections import Resolver
    from yuqing.storage import Store

log = logging.getLogger(__name__)

Instant = dt.datetime | str


def as_instant(value: Instant | None) -> dt.datetime:
    """An interval end (datetime, pendulum DateTime or ISO string) as a plain Shanghai datetime."""
    if value is None or value == "":
        from yuqing.errors import InputError

        raise InputError("a stage needs the end of its data interval (got none)")
    parsed = parse_ts(value) if isinstance(value, str) else value
    assert parsed is not None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=TZ)
    # Through the timestamp: pendulum's DateTime subclass would otherwise leak into the stored models.
    return dt.datetime.fromtimestamp(parsed.timestamp(), TZ)


def es_url(resolver: Resolver | None = None) -> str | None:
    """``ES_URL``, else the ``yuqing_es`` connection's URL (with credentials), else None (the
    local node): see :func:`yuqing.esnode.configured_url`."""
    from yuqing.esnode import configured_url

    return configured_url(resolver)


_READY: set[tuple[str | None, str]] = set()


def open_store(resolver: Resolver | None = None) -> Store:
    """The Store for this deployment; indices are ensured once per process."""
    from yuqing.storage import Store

    url = es_url(resolver)
    store = Store.connect(url)
    key = (url, store.prefix)
    if key not in _READY:
        store.ensure_indices()
        _READY.add(key)
    return store


def load() -> Config:
    from yuqing.config import load_config

    return load_config()


def reports_dir() -> Path:
    """Where reports and assessments are written (``YUQING_REPORTS_DIR``, default ``var/reports``)."""
    from yuqing.paths import var_dir

    path = Path(os.environ.get("YUQING_REPORTS_DIR") or var_dir() / "reports")
    path.mkdir(parents=True, exist_ok=True)
    return path


class StageMissing(RuntimeError):
    """The domain function a stage calls is not available in this installation: the task fails."""


class CrawlSpooled(RuntimeError):
    """The crawl collected, but some writes wait in the spool (Elasticsearch unreachable): the task
    fails so Airflow retries it, and the retry stores them."""


def stage_function(module: str, name: str) -> Callable[..., Any]:
    """``module.name``, or StageMissing when that module (not one of its dependencies) is absent."""
    try:
        mod = importlib.import_module(module)
    except ModuleNotFoundError as exc:
        if exc.name and (module == exc.name or module.startswith(exc.name + ".")):
            raise StageMissing(f"{module} is not installed") from exc
        raise
    func = getattr(mod, name, None)
    if func is None:
        raise StageMissing(f"{module}.{name} does not exist")
    return func


def as_dict(result: Any) -> dict[str, Any]:
    """A stage result as a JSON-friendly dict (for XCom, logs and the demo)."""
    data = _jsonable(result)
    if data is None:
        return {}
    if isinstance(data, dict):
        return data
    if isinstance(data, list):
        return {"items": data}
    return {"result": data}


def _jsonable(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        value = {f.name: getattr(value, f.name) for f in dataclasses.fields(value)}
    elif hasattr(value, "model_dump") and not isinstance(value, type):
        value = value.model_dump(mode="json")
    elif hasattr(value, "_asdict"):
        value = value._asdict()
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_jsonable(v) for v in value]
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, Path):
        return str(value)
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


def _run(stage: str, module: str, name: str, call: Callable[[Callable[..., Any]], Any]) -> dict[str, Any]:
    try:
        func = stage_function(module, name)
    except StageMissing as exc:
        log.error("stage %s cannot run: %s", stage, exc)
        raise
    result = as_dict(call(func))
    log.info("stage %s done: %s", stage, result)
    return {"stage": stage, **result}


# -- the stages ----------------------------------------------------------------------------------


def run_crawl(source_ids: Sequence[str] | None, interval_end: Instant, *,
              resolver: Resolver | None = None) -> dict[str, Any]:
    """Crawl the given sources (None: every enabled source) as of ``interval_end``."""
    now = as_instant(interval_end)
    store, config = open_store(resolver), load()
    ids = list(source_ids) if source_ids is not None else None
    result = _run("crawl", "crawlers.api", "crawl_sources", lambda f: f(store, config, ids, now=now))
    spooled = {row["source_id"]: row["spooled"] for row in result.get("items", []) if row.get("spooled")}
    if spooled:
        raise CrawlSpooled(f"Elasticsearch unreachable during the crawl: {sum(spooled.values())} writes spooled "
                           f"({', '.join(f'{k}={v}' for k, v in sorted(spooled.items()))}); "
                           "a retry stores them")
    return result


def run_analysis(interval_end: Instant, *, resolver: Resolver | None = None) -> dict[str, Any]:
    """Score every unanalysed mention and update or create incidents."""
    now = as_instant(interval_end)
    store, config = open_store(resolver), load()
    return _run("analysis", "analysis.api", "analyze_pending", lambda f: f(store, config, now=now))


def run_routing(interval_end: Instant, *, resolver: Resolver | None = None) -> dict[str, Any]:
    """Route every unrouted incident to its offices and open its clocks."""
    now = as_instant(interval_end)
    store, config = open_store(resolver), load()
    return _run("routing", "response.api", "route_pending", lambda f: f(store, config, now=now))


def run_sweep(interval_end: Instant, *, resolver: Resolver | None = None) -> dict[str, Any]:
    """Sweep open clocks: reminders, met by releases, missed and escalated."""
    now = as_instant(interval_end)
    store, config = open_store(resolver), load()
    return _run("sweep", "response.api", "sweep_clocks", lambda f: f(store, config, now=now))


def run_dispatch(interval_end: Instant, *, resolver: Resolver | None = None) -> dict[str, Any]:
    """Send the alerts that are due (rules, suppression, ladder, retries)."""
    now = as_instant(interval_end)
    store, config = open_store(resolver), load()
    return _run("dispatch", "alerts.api", "dispatch",
                lambda f: f(store, config, now=now, resolver=resolver))


def run_source_health(interval_end: Instant, *, resolver: Resolver | None = None) -> dict[str, Any]:
    """Flag sources whose crawl stopped running as silent, so the alert rules see them."""
    now = as_instant(interval_end)
    store, config = open_store(resolver), load()
    return _run("source_health", "pipeline.health", "check_sources", lambda f: f(store, config, now=now))


def run_retention(interval_end: Instant, *, resolver: Resolver | None = None) -> dict[str, Any]:
    """Delete mentions, deliveries, source health and audit older than ``config/storage.yaml``
    keeps them (cutoffs computed from ``interval_end``). A kind whose deletes partly failed
    fails the task, so the scheduler retries it."""
    from yuqing.errors import StorageError
    from yuqing.retention import apply_retention

    now = as_instant(interval_end)
    store, config = open_store(resolver), load()
    result = apply_retention(store, config.storage.retention, now=now)
    failed = {kind: r["failed"] for kind, r in result.items() if r["failed"]}
    if failed:
        raise StorageError(f"retention could not delete every old document: {failed}")
    log.info("stage retention done: %s", result)
    return {"stage": "retention", **result}


def report_day(interval_end: Instant) -> dt.date:
    """The day a morning report covers: the day before the run's local date."""
    return as_instant(interval_end).date() - dt.timedelta(days=1)


def run_daily_report(interval_end: Instant, *, day: dt.date | str | None = None,
                     resolver: Resolver | None = None) -> dict[str, Any]:
    """Write the daily report for ``day`` (default: the day before ``interval_end``)."""
    now = as_instant(interval_end)
    the_day = dt.date.fromisoformat(day) if isinstance(day, str) else (day or report_day(now))
    store, config = open_store(resolver), load()
    out = reports_dir()
    result = _run("daily_report", "reports.api", "write_daily",
                  lambda f: {"files": f(store, config, the_day, out, now=now)})
    return {**result, "day": the_day.isoformat(), "subject": the_day.isoformat()}


def period_day(kind: str, interval_end: Instant) -> dt.date:
    """A day inside the period a morning run covers: the week or month before the run's local date."""
    today = as_instant(interval_end).date()
    if kind == "weekly":
        return today - dt.timedelta(days=today.weekday() + 7)
    if kind == "monthly":
        return today.replace(day=1) - dt.timedelta(days=1)
    return today - dt.timedelta(days=1)


def run_period_report(kind: str, interval_end: Instant, *, resolver: Resolver | None = None) -> dict[str, Any]:
    """Write the weekly report (the last full week) or the monthly report (the last full month)."""
    now = as_instant(interval_end)
    day = period_day(kind, now)
    store, config = open_store(resolver), load()
    out = reports_dir()
    result = _run(f"{kind}_report", "reports.api", "write_period",
                  lambda f: {"files": f(store, config, kind, day, out, now=now)})
    from reports.daily import Period

    return {**result, "kind": kind, "day": day.isoformat(), "subject": Period.of(kind, day).subject}


def run_report_delivery(report_type: str, subject: str, interval_end: Instant, *, edition: str = "",
                        resolver: Resolver | None = None) -> dict[str, Any]:
    """Send a written report to the recipients ``config/reports.yaml`` names (sent once: a re-run
    finds the deliveries already made and sends nothing)."""
    from reports.api import report_id

    now = as_instant(interval_end)
    store, config = open_store(resolver), load()
    rid = report_id(report_type, subject)
    return _run("report_delivery", "alerts.api", "send_report",
                lambda f: f(store, config, rid, now=now, edition=edition, resolver=resolver))


def run_special_reports(interval_end: Instant, *, resolver: Resolver | None = None) -> dict[str, Any]:
    """Write the 专报 of every incident that reached level II or above (``config/reports.yaml``) and has
    none for that level yet, and send each to its recipients (once per incident and level)."""
    now = as_instant(interval_end)
    store, config = open_store(resolver), load()
    out = reports_dir()
    result = _run("special_reports", "reports.api", "write_due_special_reports",
                  lambda f: {"written": f(store, config, out, now=now)})
    send = stage_function("alerts.api", "send_report")
    result["sent"] = [send(store, config, w["report_id"], now=now, edition=w["edition"], resolver=resolver)
                      for w in result.get("written", [])]
    return result


def run_assessments(interval_end: Instant, *, resolver: Resolver | None = None) -> dict[str, Any]:
    """Assess every closed incident that has no assessment yet."""
    now = as_instant(interval_end)
    store, config = open_store(resolver), load()
    out = reports_dir()
    return _run("assessments", "reports.api", "assess_closed",
                lambda f: {"assessed": f(store, config, out, now=now)})

"""The pipeline API of the reports package (used by the CLI, the DAGs and the console).

Each function reads from Elasticsearch, writes HTML, PDF and DOCX into ``out_dir`` (default
``var/reports``) and stores what it computed (a ``Report`` document, and for assessments an
``Assessment`` document) under a deterministic id, so re-running overwrites instead of adding.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
from pathlib import Path
from typing import Any

import pandas as pd

from reports.render import write_all
from yuqing.config import Config
from yuqing.errors import InputError
from yuqing.models import UNCOUNTED_STATES, Report, stable_id
from yuqing.paths import var_dir
from yuqing.storage import Store

log = logging.getLogger(__name__)


# The file name stem of each kind of report (``<stem><subject>.html|pdf|docx``): one place, so the
# console can find the report (and so the incident) a file belongs to by its deterministic id.
FILE_STEMS = {"office_stats": "office-stats-", "daily": "daily-", "weekly": "weekly-", "monthly": "monthly-",
              "incident": "incident-", "assessment": "assessment-"}


def report_id(report_type: str, subject: str) -> str:
    return stable_id("report", report_type, subject)


def report_id_for_file(name: str) -> str | None:
    """The id of the report a written file belongs to, from its name; None for other names."""
    stem = Path(name).stem
    for report_type, prefix in FILE_STEMS.items():  # office-stats- before the shorter prefixes
        if stem.startswith(prefix) and len(stem) > len(prefix):
            return report_id(report_type, stem[len(prefix):])
    return None


def default_out_dir() -> Path:
    return var_dir() / "reports"


def plain_json(value: Any) -> Any:
    """Figures as plain JSON: numpy scalars to Python, NaN/NaT to None (ES rejects NaN)."""
    if isinstance(value, dict):
        return {str(k): plain_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain_json(v) for v in value]
    if hasattr(value, "item") and not isinstance(value, str | bytes):
        value = value.item()  # numpy scalar
    if isinstance(value, float) and math.isnan(value):
        return None
    if value is pd.NaT:
        return None
    return value


def _store_report(store: Store, *, report_type: str, subject: str, title: str, now: dt.datetime,
                  figures: dict[str, Any], files: dict[str, Path]) -> str:
    report = Report(id=report_id(report_type, subject), report_type=report_type,  # type: ignore[arg-type]
                    subject=subject, title=title, generated_at=now, figures=plain_json(figures),
                    files={k: str(v) for k, v in files.items()})
    store.put("reports", report.id, report.to_doc(), refresh=True)
    return report.id


def write_daily(store: Store, config: Config, day: dt.date, out_dir: Path | None = None, *,
                now: dt.datetime) -> dict[str, Path]:
    """The daily report for ``day`` (Asia/Shanghai) as html/pdf/docx; also stores a ``Report`` doc."""
    return write_period(store, config, "daily", day, out_dir, now=now)


def write_period(store: Store, config: Config, kind: str, day: dt.date, out_dir: Path | None = None, *,
                 now: dt.datetime) -> dict[str, Path]:
    """The daily, weekly (the ISO week holding ``day``) or monthly (its month) report; stores a
    ``Report`` with subject ``2026-11-20`` / ``2026-W47`` / ``2026-11``."""
    from reports.daily import Period, build_period

    if kind not in ("daily", "weekly", "monthly"):
        raise InputError(f"未知的报告周期：{kind!r}（应为 daily、weekly 或 monthly）")
    period = Period.of(kind, day)
    report = build_period(store, config, period, now=now)
    paths = write_all(report.document, out_dir or default_out_dir(), FILE_STEMS[kind] + period.subject)
    _store_report(store, report_type=kind, subject=period.subject, title=report.title, now=now,
                  figures=report.figures, files=paths)
    log.info("%s report %s written to %s", kind, period.subject, paths["html"].parent)
    return paths


def write_incident_report(store: Store, config: Config, incident_id: str, out_dir: Path | None = None, *,
                          now: dt.datetime) -> dict[str, Path]:
    """The special report (专报) on one incident; also stores a ``Report`` doc."""
    from reports.incident import build_incident_report

    report = build_incident_report(store, config, incident_id, now=now,
                                   issue=special_report_issue(store, incident_id, now=now))
    paths = write_all(report.document, out_dir or default_out_dir(), FILE_STEMS["incident"] + incident_id)
    _store_report(store, report_type="incident", subject=incident_id, title=report.title, now=now,
                  figures=report.figures, files=paths)
    log.info("special report on incident %s written", incident_id)
    return paths


def special_report_issue(store: Store, incident_id: str, *, now: dt.datetime) -> str:
    """期号 of a 专报: numbered in order within the year of its first writing, and kept by every later
    version (the same incident keeps its number)."""
    existing = store.get("reports", report_id("incident", incident_id))
    if existing and (existing.get("figures") or {}).get("issue"):
        return str(existing["figures"]["issue"])
    year = now.year
    earlier = store.count("reports", {"bool": {"filter": [
        {"term": {"report_type": "incident"}},
        {"range": {"generated_at": {"gte": f"{year}-01-01T00:00:00+08:00", "lt": f"{year + 1}-01-01T00:00:00+08:00"}}},
    ]}})
    return f"{year}年第{earlier + 1}期"


def assess_incident(store: Store, config: Config, incident_id: str, out_dir: Path | None = None, *,
                    now: dt.datetime) -> dict[str, Path]:
    """Assess the response to one incident: stores the ``Assessment`` (and a ``Report``), writes files."""
    from reports.assessment import build_assessment

    result = build_assessment(store, config, incident_id, now=now)
    paths = write_all(result.document, out_dir or default_out_dir(), FILE_STEMS["assessment"] + incident_id)
    store.put("assessments", result.assessment.id, plain_json(result.assessment.to_doc()), refresh=True)
    _store_report(store, report_type="assessment", subject=incident_id, title=result.title, now=now,
                  figures=result.figures, files=paths)
    log.info("assessment of incident %s: score %.1f", incident_id, result.assessment.score)
    return paths


def assess_closed(store: Store, config: Config, out_dir: Path | None = None, *, now: dt.datetime) -> list[str]:
    """Assess every closed incident that has no assessment yet; return the incident ids assessed."""
    closed = [d["id"] for d in store.scan("incidents", {"bool": {"should": [
        {"term": {"state": "closed"}}, {"exists": {"field": "closed_at"}}], "minimum_should_match": 1,
        "must_not": [{"terms": {"state": list(UNCOUNTED_STATES)}}]}}, source=["id"])]
    have = store.mget("assessments", [stable_id("assessment", i) for i in closed])
    todo = [i for i in sorted(closed) if stable_id("assessment", i) not in have]
    for incident_id in todo:
        assess_incident(store, config, incident_id, out_dir, now=now)
    log.info("assessed %d closed incidents (%d already assessed)", len(todo), len(closed) - len(todo))
    return todo


def write_office_stats(store: Store, config: Config, start: dt.date, end: dt.date, out_dir: Path | None = None, *,
                       now: dt.datetime) -> dict[str, Path]:
    """Per-office response statistics for ``[start, end]`` (dates inclusive); also stores a ``Report``."""
    from reports.stats import build_office_stats

    report = build_office_stats(store, config, start, end, now=now)
    subject = f"{start.isoformat()}_{end.isoformat()}"
    paths = write_all(report.document, out_dir or default_out_dir(), FILE_STEMS["office_stats"] + subject)
    _store_report(store, report_type="office_stats", subject=subject, title=report.title, now=now,
                  figures=report.figures, files=paths)
    return paths


SPECIAL_REPORT_ACTOR = "system:reports"


def due_special_reports(store: Store, config: Config) -> list[tuple[str, str, dt.datetime]]:
    """The incidents at ``special_report_min_level`` or above (not dismissed) whose current level has
    no 专报 yet: ``(incident id, level, when the level was reached)``. A level's 专报 is recorded as
    an audit event with a deterministic id (incident, level, when reached), so each is written once."""
    from yuqing.clock import parse_ts
    from yuqing.models import SEVERITY_RANK, Severity

    floor = SEVERITY_RANK[config.reports.special_report_min_level]
    levels = [lv for lv, rank in SEVERITY_RANK.items() if rank >= floor]
    docs = list(store.scan("incidents", {"bool": {"filter": [{"terms": {"severity.level": levels}}],
                                                  "must_not": [{"terms": {"state": list(UNCOUNTED_STATES)}}]}},
                           source=["id", "severity", "created_at"]))
    candidates = []
    for d in docs:
        severity = Severity.model_validate(d["severity"])
        reached = severity.level_since([severity.level]) or parse_ts(d.get("created_at"))
        if reached is None:
            continue
        candidates.append((d["id"], severity.level, reached))
    marks = {special_report_mark(i, lv, at): (i, lv, at) for i, lv, at in candidates}
    done = store.mget("audit", list(marks))
    return sorted((v for k, v in marks.items() if k not in done), key=lambda c: (c[2], c[0]))


def special_report_mark(incident_id: str, level: str, reached: dt.datetime) -> str:
    from yuqing.clock import iso

    return stable_id("incident", incident_id, "special_report", SPECIAL_REPORT_ACTOR, f"{level}@{iso(reached)}")


def write_due_special_reports(store: Store, config: Config, out_dir: Path | None = None, *,
                              now: dt.datetime) -> list[dict[str, str]]:
    """Write the 专报 of every incident that reached level II (configurable) or above and has none for
    that level yet; returns ``{incident_id, level, report_id, edition}`` for each written. A re-run
    writes nothing new; a later rise (II → I) writes the next one."""
    from yuqing.models import SEVERITY_ZH, AuditEvent

    written = []
    for incident_id, level, reached in due_special_reports(store, config):
        write_incident_report(store, config, incident_id, out_dir, now=now)
        # Written like yuqing.audit.record, but keyed by the level and when it was reached (not by the
        # time of writing): the mark that makes this level's 专报 a once-only event.
        event = AuditEvent(
            id=special_report_mark(incident_id, level, reached), entity="incident", entity_id=incident_id,
            action="special_report", actor=SPECIAL_REPORT_ACTOR, at=now,
            reason=f"事件达到{SEVERITY_ZH[level]}（{level}级），自动生成舆情专报",
            before={}, after={"level": level, "reached_at": reached.isoformat()},
        )
        store.put("audit", event.id, event.to_doc(), refresh=True)
        written.append({"incident_id": incident_id, "level": level, "report_id": report_id("incident", incident_id),
                        "edition": f"level-{level}"})
    log.info("special reports written automatically: %d", len(written))
    return written

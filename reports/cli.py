"""``yuqing report daily|weekly|monthly|incident|stats`` and ``yuqing assess``: write reports and print the paths.

Top-level imports stay light (argparse only); the work happens in :mod:`reports.api`.
"""

from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path
from typing import Any

from yuqing.cli import resolve_now as _now


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date (YYYY-MM-DD)") from exc


def _context(args: argparse.Namespace) -> tuple[Any, Any, Path | None, dt.datetime]:
    from yuqing.config import load_config
    from yuqing.storage import Store

    config = load_config(args.config)
    store = Store.connect()
    store.ensure_indices()
    return store, config, Path(args.out) if args.out else None, _now(args.now)


def _print(paths: dict[str, Path]) -> None:
    for fmt in ("html", "pdf", "docx"):
        if fmt in paths:
            print(paths[fmt])


def _daily(args: argparse.Namespace) -> int:
    from reports.api import write_daily

    store, config, out, now = _context(args)
    day = args.date or (now.date() - dt.timedelta(days=1))
    _print(write_daily(store, config, day, out, now=now))
    return 0


def _period(args: argparse.Namespace) -> int:
    from reports.api import write_period

    store, config, out, now = _context(args)
    today = now.date()
    if args.date is not None:
        day = args.date
    elif args.report_command == "weekly":
        day = today - dt.timedelta(days=today.weekday() + 7)  # the last full week (Monday–Sunday)
    else:
        day = today.replace(day=1) - dt.timedelta(days=1)  # the last full month
    _print(write_period(store, config, args.report_command, day, out, now=now))
    return 0


def _incident(args: argparse.Namespace) -> int:
    from reports.api import write_incident_report

    store, config, out, now = _context(args)
    _print(write_incident_report(store, config, args.incident_id, out, now=now))
    return 0


def _stats(args: argparse.Namespace) -> int:
    from reports.api import write_office_stats

    store, config, out, now = _context(args)
    last = args.to or (now.date() - dt.timedelta(days=1))
    first = args.from_ or (last - dt.timedelta(days=29))
    _print(write_office_stats(store, config, first, last, out, now=now))
    return 0


def _assess(args: argparse.Namespace) -> int:
    from reports.api import assess_closed, assess_incident, default_out_dir
    from yuqing.errors import InputError

    if bool(args.incident_id) == bool(args.closed):
        raise InputError("give an incident id or --closed (every closed incident not yet assessed)")
    store, config, out, now = _context(args)
    if args.closed:
        done = assess_closed(store, config, out, now=now)
        folder = out or default_out_dir()
        for incident_id in done:
            _print({f: folder / f"assessment-{incident_id}.{f}" for f in ("html", "pdf", "docx")})
        print(f"assessed {len(done)} closed incident(s)")
        return 0
    _print(assess_incident(store, config, args.incident_id, out, now=now))
    return 0


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", default=None, help="output directory (default: var/reports)")
    parser.add_argument("--now", default=None, help="the current time, ISO-8601 (default: the real clock)")
    parser.add_argument("--config", default=None, help="configuration directory (default: config/)")


def register(subparsers: Any) -> None:
    report = subparsers.add_parser("report", help="write the daily report, a special report or office statistics")
    sub = report.add_subparsers(dest="report_command", required=True, metavar="KIND")

    daily = sub.add_parser("daily", help="the daily sensitive-topic report (每日舆情简报)")
    daily.add_argument("--date", type=_date, default=None, help="the day, YYYY-MM-DD (default: yesterday)")
    _common(daily)
    daily.set_defaults(func=_daily)

    for kind, help_text, date_help in (
            ("weekly", "the weekly report (每周舆情综述), compared with the week before",
             "any day of the week (Monday–Sunday), YYYY-MM-DD (default: last week)"),
            ("monthly", "the monthly report (每月舆情综述), compared with the month before",
             "any day of the month, YYYY-MM-DD (default: last month)")):
        period = sub.add_parser(kind, help=help_text)
        period.add_argument("--date", type=_date, default=None, help=date_help)
        _common(period)
        period.set_defaults(func=_period)

    incident = sub.add_parser("incident", help="the special report (专报) on one incident")
    incident.add_argument("incident_id")
    _common(incident)
    incident.set_defaults(func=_incident)

    stats = sub.add_parser("stats", help="response statistics per office for a period")
    stats.add_argument("--from", dest="from_", type=_date, default=None,
                       help="first day, YYYY-MM-DD (default: 30 days before --to)")
    stats.add_argument("--to", type=_date, default=None, help="last day, YYYY-MM-DD (default: yesterday)")
    _common(stats)
    stats.set_defaults(func=_stats)

    assess = subparsers.add_parser("assess", help="assess the response to an incident (回应评估)")
    assess.add_argument("incident_id", nargs="?", default=None)
    assess.add_argument("--closed", action="store_true", help="assess every closed incident not yet assessed")
    _common(assess)
    assess.set_defaults(func=_assess)

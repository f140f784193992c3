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
        raise argparse.ArgumentTypeError(f"{text!r} 不是日期（YYYY-MM-DD）") from exc


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
        raise InputError("请给出事件编号，或用 --closed 评估所有尚未评估的已办结事件")
    store, config, out, now = _context(args)
    if args.closed:
        done = assess_closed(store, config, out, now=now)
        folder = out or default_out_dir()
        for incident_id in done:
            _print({f: folder / f"assessment-{incident_id}.{f}" for f in ("html", "pdf", "docx")})
        print(f"已评估 {len(done)} 起已办结事件")
        return 0
    _print(assess_incident(store, config, args.incident_id, out, now=now))
    return 0


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", default=None, help="输出目录（默认 var/reports）")
    parser.add_argument("--now", default=None, help="当前时间，ISO-8601（默认：当前时间）")
    parser.add_argument("--config", default=None, help="配置目录（默认 config/）")


def register(subparsers: Any) -> None:
    report = subparsers.add_parser("report", help="生成每日简报、周报、月报、专报或单位统计")
    sub = report.add_subparsers(dest="report_command", required=True, metavar="KIND")

    daily = sub.add_parser("daily", help="每日舆情简报")
    daily.add_argument("--date", type=_date, default=None, help="日期 YYYY-MM-DD（默认：昨天）")
    _common(daily)
    daily.set_defaults(func=_daily)

    for kind, help_text, date_help in (
            ("weekly", "每周舆情综述（与上周对比）", "该周任一日 YYYY-MM-DD（默认：上周）"),
            ("monthly", "每月舆情综述（与上月对比）", "该月任一日 YYYY-MM-DD（默认：上月）")):
        period = sub.add_parser(kind, help=help_text)
        period.add_argument("--date", type=_date, default=None, help=date_help)
        _common(period)
        period.set_defaults(func=_period)

    incident = sub.add_parser("incident", help="单个事件的专报")
    incident.add_argument("incident_id")
    _common(incident)
    incident.set_defaults(func=_incident)

    stats = sub.add_parser("stats", help="一段时间内各单位的回应统计")
    stats.add_argument("--from", dest="from_", type=_date, default=None,
                       help="起始日 YYYY-MM-DD（默认：--to 之前 30 天）")
    stats.add_argument("--to", type=_date, default=None, help="截止日 YYYY-MM-DD（默认：昨天）")
    _common(stats)
    stats.set_defaults(func=_stats)

    assess = subparsers.add_parser("assess", help="回应评估")
    assess.add_argument("incident_id", nargs="?", default=None)
    assess.add_argument("--closed", action="store_true", help="评估所有尚未评估的已办结事件")
    _common(assess)
    assess.set_defaults(func=_assess)

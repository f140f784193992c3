"""``yuqing demo``: the main job — one simulated day of the whole cycle, run by the real DAGs."""

from __future__ import annotations

import argparse


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "demo", help="run the main job: a simulated day on the demo web, end to end through the Airflow DAGs",
        description="Start the local Elasticsearch node, serve the demo web and local alert receivers, and run "
                    "the DAGs with dag.test() over a simulated day: crawl, analyse, route, clocks, alerts, the "
                    "daily report and an assessment. Prints a summary counted from Elasticsearch.")
    parser.add_argument("--day", default=None, help="scenario day YYYY-MM-DD (default: the scenario's own day)")
    parser.add_argument("--fast", action="store_true", help="fewer time steps (4 instead of 9)")
    parser.add_argument("--prefix", default="demo", help="index prefix for the demo data (default: demo; "
                        "its indices are dropped at the start of every run)")
    parser.add_argument("--serve", action="store_true", help="keep the duty console running on the demo data")
    parser.add_argument("--console-port", type=int, default=8600, help="console port for --serve (default 8600)")
    parser.set_defaults(func=_demo)


def _demo(args: argparse.Namespace) -> int:
    import datetime as dt
    import logging

    from demo.main import Options, run
    from yuqing.cli import verbosity
    from yuqing.errors import InputError

    try:
        day = dt.date.fromisoformat(args.day) if args.day else None
    except ValueError as exc:
        raise InputError(f"--day: not a date (YYYY-MM-DD): {args.day!r}") from exc
    if not verbosity(args):
        logging.getLogger().setLevel(logging.WARNING)
    run(Options(day=day, fast=args.fast, prefix=args.prefix, serve=args.serve, console_port=args.console_port))
    return 0

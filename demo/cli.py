"""``yuqing demo``: the main job — one simulated day of the whole cycle, run by the real DAGs."""

from __future__ import annotations

import argparse


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "demo", help="运行主流程：在演示网站上模拟一天，经 Airflow DAG 全流程处理",
        description="启动本地 Elasticsearch 节点、演示网站和本地推送接收端，用 dag.test() 按模拟的一天运行各 DAG："
                    "采集、研判、交办、时限、推送、每日简报和回应评估，最后输出从 Elasticsearch 统计的汇总。")
    parser.add_argument("--day", default=None, help="场景日期 YYYY-MM-DD（默认：场景自带日期）")
    parser.add_argument("--fast", action="store_true", help="减少时间步（4 步而非 9 步）")
    parser.add_argument("--prefix", default="demo", help="演示数据的索引前缀（默认 demo；"
                        "每次运行开始时清空其索引）")
    parser.add_argument("--serve", action="store_true", help="运行结束后在演示数据上继续运行值班台")
    parser.add_argument("--console-port", type=int, default=8600, help="--serve 时值班台的端口（默认 8600）")
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
        raise InputError(f"--day {args.day!r} 不是日期（YYYY-MM-DD）") from exc
    if not verbosity(args):
        logging.getLogger().setLevel(logging.WARNING)
    run(Options(day=day, fast=args.fast, prefix=args.prefix, serve=args.serve, console_port=args.console_port))
    return 0

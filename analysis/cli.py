"""``yuqing analyze``, ``yuqing analyze-text`` and ``yuqing eval sentiment|priorities``."""

from __future__ import annotations

import argparse
from typing import Any

from yuqing.cli import eval_group
from yuqing.cli import resolve_now as _now
from yuqing.progress import progress

ANALYZE_TEXT_CHUNK = 500  # rows analysed (and printed) at a time by `yuqing analyze-text`


def register(subparsers: Any) -> None:
    p = subparsers.add_parser("analyze", help="研判未分析的舆情并更新事件")
    p.add_argument("--now", default=None, help="记录的时间，ISO-8601（默认：当前时间）")
    p.add_argument("--config", default=None, help="配置目录（默认 config/）")
    p.add_argument("--failed", action="store_true",
                   help="列出多次研判失败后被搁置的舆情（不做研判）")
    p.set_defaults(func=_analyze)

    p = subparsers.add_parser("analyze-text", help="手工分析文本：每行输出一个 JSON 对象")
    p.add_argument("--data", required=True,
                   help="含 text 列（可有 title 列）的 CSV，或用 - 从标准输入逐行读文本")
    p.add_argument("--config", default=None, help="配置目录（默认 config/）")
    p.set_defaults(func=_analyze_text)

    p = subparsers.add_parser("train", help="用开发数据重新训练自带的分析模型")
    p.add_argument("what", choices=["sentiment", "emotion", "rumor", "department", "all"])
    p.add_argument("--data", default=None, help="开发数据目录（默认 ../shared/data）")
    p.set_defaults(func=_train)

    group = eval_group(subparsers)
    p = group.add_parser("sentiment", help="情感准确率、P/R 和 macro-F1，并与 SnowNLP 对比")
    p.add_argument("--data", default=None, help="含 text,label 列的 CSV（默认：共享的 sentiment_dev.csv）")
    p.add_argument("--no-baseline", action="store_true", help="不跑 SnowNLP 基线")
    p.add_argument("--config", default=None, help="配置目录（默认 config/）")
    p.set_defaults(func=_eval_sentiment)
    p = group.add_parser("emotion", help="情绪各类 F1 和 macro-F1")
    p.add_argument("--data", default=None,
                   help="含 text,emotion 列的 CSV（默认：共享 sentiment_dev.csv 的报告半）")
    p.add_argument("--config", default=None, help="配置目录（默认 config/）")
    p.set_defaults(func=_eval_emotion)
    p = group.add_parser("department", help="部门（业务条线）各类 F1，交叉验证")
    p.add_argument("--data", default=None,
                   help="含 text,label（可有 title）列的 CSV（默认：共享的 gov_messages_dev.csv）")
    p.set_defaults(func=_eval_department)
    p = group.add_parser("priorities", help="收集重点的召回率、精确率和误报率")
    p.add_argument("--data", default=None,
                   help="含 text,label 列的 CSV（label 为收集重点编号或 none）；默认：共享开发集")
    p.add_argument("--config", default=None, help="配置目录（默认 config/）")
    p.set_defaults(func=_eval_priorities)


def _analyze(args: argparse.Namespace) -> int:
    from analysis.api import analyze_pending
    from yuqing.config import load_config
    from yuqing.storage import Store

    config = load_config(args.config)
    store = Store.connect()
    if args.failed:
        from analysis.api import failed_mentions

        failed = failed_mentions(store)
        print(f"{len(failed)} 条舆情经 {config.analysis.failures.max_attempts} 次研判失败后已搁置")
        for m in failed:
            print(f"{m['id']}\t{m.get('source_id', '')}\tattempts {m.get('analysis_attempts', 0)}\t"
                  f"{m.get('analysis_failed_at', '')}\t{m.get('analysis_error', '')}\t{m.get('url', '')}")
        return 0
    now = _now(args.now)
    stats = analyze_pending(store, config, now=now)
    print(f"已研判 {stats.analyzed} 条舆情（失败 {stats.failed}，搁置 {stats.set_aside}）；事件：新建 "
          f"{stats.incidents_created}，更新 {stats.incidents_updated}，未变 {stats.incidents_unchanged}")
    if stats.failure_reasons:
        for reason, n in sorted(stats.failure_reasons.items()):
            print(f"  失败 {n} 条：{reason}")
    return 1 if stats.failed and not stats.analyzed else 0


def _analyze_text(args: argparse.Namespace) -> int:
    import sys

    from analysis.api import analyze_texts
    from analysis.evaluate import read_csv
    from yuqing.cli import print_json
    from yuqing.config import load_config
    from yuqing.progress import batches

    config = load_config(args.config)
    if args.data == "-":
        items = [("", line.rstrip("\n")) for line in sys.stdin]
    else:
        items = [(r.get("title", ""), r["text"]) for r in read_csv(args.data, ["text"])]
    for chunk in batches(items, ANALYZE_TEXT_CHUNK, "分析文本"):  # rows are printed as each chunk is done
        for result in analyze_texts(list(chunk), config):
            print_json(result)
    return 0


def _eval_sentiment(args: argparse.Namespace) -> int:
    from analysis import evaluate
    from yuqing.config import load_config
    from yuqing.errors import InputError

    config = load_config(args.config)
    rows, data = _report_rows(args.data, "sentiment_dev.csv", ["text", "label"])
    if not rows:
        raise InputError(f"{data}：没有数据行")
    with progress(None, f"评测情感（{len(rows)} 行）"):
        report = evaluate.evaluate_sentiment(rows, config, baseline=not args.no_baseline)
    print(evaluate.format_sentiment(report, data))
    return 0


def _report_rows(data: str | None, name: str, columns: list[str]) -> tuple[list[dict[str, str]], str]:
    """Rows of ``--data``, or the report half of the shared file (never trained on: analysis.splits)."""
    from analysis import evaluate, splits
    from yuqing.paths import shared_data_dir

    if data:
        return evaluate.read_csv(data, columns), data
    path = shared_data_dir() / name
    rows = [r for r in evaluate.read_csv(path, columns) if splits.is_report_half(r["text"])]
    return rows, f"{path} (report half: sha1(text) odd, never trained on)"


def _eval_emotion(args: argparse.Namespace) -> int:
    from analysis import evaluate
    from yuqing.config import load_config
    from yuqing.errors import InputError

    config = load_config(args.config)
    rows, data = _report_rows(args.data, "sentiment_dev.csv", ["text", "emotion"])
    rows = [r for r in rows if r["emotion"].strip()]
    if not rows:
        raise InputError(f"{data}：没有标注情绪的数据行")
    with progress(None, f"评测情绪（{len(rows)} 行）"):
        report = evaluate.evaluate_emotion(rows, config)
    print(evaluate.format_classes(report, f"emotion evaluation on {data}: {report['n']} rows "
                                          "(no surprise rows in the data: surprise comes from cue words)"))
    return 0


def _eval_department(args: argparse.Namespace) -> int:
    from analysis import evaluate
    from yuqing.errors import InputError
    from yuqing.paths import shared_data_dir

    data = args.data or str(shared_data_dir() / "gov_messages_dev.csv")
    rows = evaluate.read_csv(data, ["text", "label"])
    if len(rows) < 10:
        raise InputError(f"{data}：数据行太少，无法交叉验证（{len(rows)} 行）")
    with progress(None, f"评测部门分类（{len(rows)} 行）"):
        report = evaluate.evaluate_department(rows)
    chosen = "; ".join(f"C={c['c']:g} idf^{c['idf_power']:g} offsets {c['offsets']}" for c in report["chosen"])
    print(evaluate.format_classes(report, f"department evaluation on {data}: {report['n']} rows, nested "
                                          "cross-validation: stratified 5-fold (seed 0) outer, setting chosen "
                                          f"by inner 3-fold CV on each training part ({chosen})"))
    return 0


def _train(args: argparse.Namespace) -> int:
    import json
    from pathlib import Path

    from analysis.train import WHAT, train
    from yuqing.paths import shared_data_dir

    data = Path(args.data) if args.data else shared_data_dir()
    for what in WHAT if args.what == "all" else (args.what,):
        with progress(None, f"训练 {what}"):
            result = train(what, data)
        print(what, json.dumps(result, ensure_ascii=False))
    return 0


def _eval_priorities(args: argparse.Namespace) -> int:
    from analysis import evaluate
    from yuqing.config import load_config
    from yuqing.errors import InputError
    from yuqing.paths import shared_data_dir

    config = load_config(args.config)
    if args.data:
        rows, source = evaluate.read_csv(args.data, ["text", "label"]), args.data
    else:
        base = shared_data_dir()
        rows = evaluate.shared_priority_rows(base)
        source = (f"{base} (emergency_dev + held-out rumor_dev rumours + report-half news titles "
                  "outside society/politics)")
    if not rows:
        raise InputError(f"{source}：没有数据行")
    with progress(None, f"评测收集重点（{len(rows)} 行）"):
        report = evaluate.evaluate_priorities(rows, config)
    print(evaluate.format_priorities(report, source))
    if not args.data:
        with progress(None, "评测虚假信息识别"):
            false_info = evaluate.evaluate_false_info(base, config)
        print(evaluate.format_false_info(false_info))
    return 0

"""``yuqing analyze``, ``yuqing analyze-text`` and ``yuqing eval sentiment|priorities``."""

from __future__ import annotations

import argparse
from typing import Any

from yuqing.cli import eval_group
from yuqing.cli import resolve_now as _now


def register(subparsers: Any) -> None:
    p = subparsers.add_parser("analyze", help="score unscored mentions and update incidents (研判)")
    p.add_argument("--now", default=None, help="the time to record (ISO-8601; default: now)")
    p.add_argument("--config", default=None, help="configuration directory (default: config/)")
    p.add_argument("--failed", action="store_true",
                   help="list the mentions set aside after failing analysis too often (analyses nothing)")
    p.set_defaults(func=_analyze)

    p = subparsers.add_parser("analyze-text", help="analyse texts by hand: one JSON object per row")
    p.add_argument("--data", required=True, help="CSV with a 'text' column, or '-' for one text per line on stdin")
    p.add_argument("--config", default=None, help="configuration directory (default: config/)")
    p.set_defaults(func=_analyze_text)

    group = eval_group(subparsers)
    p = group.add_parser("sentiment", help="sentiment accuracy, P/R and macro-F1, next to SnowNLP")
    p.add_argument("--data", default=None, help="CSV with columns text,label (default: shared sentiment_dev.csv)")
    p.add_argument("--no-baseline", action="store_true", help="skip the SnowNLP baseline")
    p.add_argument("--config", default=None, help="configuration directory (default: config/)")
    p.set_defaults(func=_eval_sentiment)
    p = group.add_parser("priorities", help="priority recall/precision and false-flag rate")
    p.add_argument("--data", default=None,
                   help="CSV with columns text,label (label: a priority id or none); default: the shared dev sets")
    p.add_argument("--config", default=None, help="configuration directory (default: config/)")
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
        print(f"{len(failed)} mentions set aside after {config.analysis.failures.max_attempts} failed analyses")
        for m in failed:
            print(f"{m['id']}\t{m.get('source_id', '')}\tattempts {m.get('analysis_attempts', 0)}\t"
                  f"{m.get('analysis_failed_at', '')}\t{m.get('analysis_error', '')}\t{m.get('url', '')}")
        return 0
    now = _now(args.now)
    stats = analyze_pending(store, config, now=now)
    print(stats.summary())
    if stats.failure_reasons:
        for reason, n in sorted(stats.failure_reasons.items()):
            print(f"  failed {n}: {reason}")
    return 1 if stats.failed and not stats.analyzed else 0


def _analyze_text(args: argparse.Namespace) -> int:
    import sys

    from analysis.api import analyze_text
    from analysis.evaluate import read_csv
    from yuqing.cli import print_json
    from yuqing.config import load_config

    config = load_config(args.config)
    if args.data == "-":
        texts = [line.rstrip("\n") for line in sys.stdin]
    else:
        texts = [r["text"] for r in read_csv(args.data, ["text"])]
    for text in texts:
        print_json(analyze_text(text, config))
    return 0


def _eval_sentiment(args: argparse.Namespace) -> int:
    from analysis import evaluate
    from yuqing.config import load_config
    from yuqing.errors import InputError
    from yuqing.paths import shared_data_dir

    config = load_config(args.config)
    data = args.data or str(shared_data_dir() / "sentiment_dev.csv")
    rows = evaluate.read_csv(data, ["text", "label"])
    if not rows:
        raise InputError(f"{data}: no rows")
    print(evaluate.format_sentiment(evaluate.evaluate_sentiment(rows, config, baseline=not args.no_baseline), data))
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
        source = f"{base} (emergency_dev + rumor_dev rumours + news titles outside society/politics)"
    if not rows:
        raise InputError(f"{source}: no rows")
    print(evaluate.format_priorities(evaluate.evaluate_priorities(rows, config), source))
    return 0

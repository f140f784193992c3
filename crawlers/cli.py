"""``yuqing crawl``, ``yuqing extract`` and ``yuqing eval extraction``. Heavy imports happen inside
the handlers so that ``yuqing --help`` stays fast."""

from __future__ import annotations

import argparse
import logging
import sys
from typing import Any

from yuqing.cli import eval_group
from yuqing.cli import resolve_now as _now
from yuqing.progress import progress

log = logging.getLogger(__name__)

SPOOLED_EXIT = 3  # collected, but kept in the spool: not stored yet (Elasticsearch unreachable)

HEALTH_ZH = {"ok": "正常", "degraded": "部分失败", "failing": "失败", "silent": "长时间无新内容",
             "login_required": "需要重新登录"}


def summary_zh(s: Any) -> str:
    """One crawled source's line, in Chinese (:meth:`crawlers.api.CrawlStats.summary` is the log's)."""
    reasons = "，".join(f"{k} {v}" for k, v in sorted(s.reasons.items()))
    status = HEALTH_ZH.get(s.status or "", s.status or "-")
    line = (f"{s.source_id}：发现 {s.found}，新增 {s.new}，更新 {s.updated}，失败 {s.failed}，暂存 {s.spooled}，"
            f"状态 {status}")
    return line + (f"（原因：{reasons}）" if reasons else "")


def _crawl(args: argparse.Namespace) -> int:
    from crawlers.api import crawl_sources, replay_spool
    from yuqing.config import load_config
    from yuqing.errors import InputError, StorageUnavailable
    from yuqing.storage import Store

    config = load_config(args.config)
    known = {s.id for s in config.sources.sources}
    ids = None if args.all else list(args.sources)
    if ids is not None and not ids and not args.replay_spool:
        raise InputError("请给出来源编号，或用 --all 采集全部启用的来源（见 config/sources.yaml）")
    for source_id in ids or []:
        if source_id not in known:
            raise InputError(f"来源不存在：{source_id!r}（见 {config.directory / 'sources.yaml'}）")
    store = Store.connect()
    if args.replay_spool:
        print(f"已补写暂存的 {replay_spool(store)} 条写入")
        if ids is not None and not ids:
            return 0
    try:
        store.ensure_indices()
    except StorageUnavailable as exc:
        # Crawl anyway: what is collected waits in the spool until Elasticsearch is back.
        log.debug("crawling into the spool: %s", exc)
        print(f"yuqing crawl: 无法连接 Elasticsearch（{exc.hosts or 'ES_URL'}），采集结果先暂存到本地", file=sys.stderr)
    count = len(ids) if ids is not None else sum(1 for s in config.sources.sources if s.enabled)
    with progress(None, f"采集 {count} 个来源"):
        stats = crawl_sources(store, config, ids, now=_now(args.now))
    for s in stats:
        print(summary_zh(s))
    if stats and all(s.status == "failing" for s in stats):
        return 1
    spooled = sum(s.spooled for s in stats)
    if spooled:
        print(f"yuqing crawl: {spooled} 条已暂存、尚未入库；Elasticsearch 恢复后写入"
              "（下次采集时，或运行 `yuqing crawl --replay-spool`）", file=sys.stderr)
        return SPOOLED_EXIT
    return 0


def _extract(args: argparse.Namespace) -> int:
    import json
    from pathlib import Path

    from crawlers.extract import extract_bytes
    from yuqing.errors import InputError

    path = Path(args.page)
    try:
        body = path.read_bytes()
    except OSError as exc:
        raise InputError(f"无法读取 {path}：{exc.strerror}") from exc
    selectors = None
    encoding = None
    if args.source:
        from yuqing.config import load_config

        config = load_config(args.config)
        try:
            source = config.sources.get(args.source)
        except KeyError:
            raise InputError(f"来源不存在：{args.source!r}（见 {config.directory / 'sources.yaml'}）") from None
        selectors, encoding = source.selectors, source.encoding
    found = extract_bytes(body, url=args.url, now=_now(args.now), selectors=selectors, forced_encoding=encoding)
    print(json.dumps(found.as_json(), ensure_ascii=False))
    return 0


def _eval_extraction(args: argparse.Namespace) -> int:
    from crawlers.evaluate import evaluate, print_report

    with progress(None, "评测正文抽取"):
        report = evaluate(args.pages, extractor=args.extractor, split=args.split)
    print_report(report)
    return 0


def register(subparsers: Any) -> None:
    crawl = subparsers.add_parser("crawl", help="采集配置的来源写入 Elasticsearch（增量）")
    crawl.add_argument("sources", nargs="*", metavar="SOURCE_ID", help="来源编号（见 config/sources.yaml）")
    crawl.add_argument("--all", action="store_true", help="所有启用的来源")
    crawl.add_argument("--now", default=None, help="采集时间，ISO-8601（默认：当前时间）")
    crawl.add_argument("--config", default=None, help="配置目录（默认 config/）")
    crawl.add_argument("--replay-spool", action="store_true",
                       help="先补写 Elasticsearch 中断期间暂存到本地的数据")
    crawl.set_defaults(func=_crawl)

    ext = subparsers.add_parser("extract", help="显示采集器会从保存的网页中存下什么（JSON）")
    ext.add_argument("page", help="保存的 HTML 网页")
    ext.add_argument("--url", default=None, help="网页地址（有助于正文抽取）")
    ext.add_argument("--source", default=None, help="使用该来源的选择器和编码")
    ext.add_argument("--now", default=None, help="按此 ISO 时间解析相对时间（如 3小时前）")
    ext.add_argument("--config", default=None, help="配置目录（默认 config/）")
    ext.set_defaults(func=_extract)

    group = eval_group(subparsers)
    ex = group.add_parser("extraction", help="在保存的网页上评测标题、正文、日期、作者的抽取准确率")
    ex.add_argument("--pages", default=None,
                    help="含 expected.json 或 manifest.jsonl 的目录（默认：自带网页集）")
    ex.add_argument("--extractor", choices=("yuqing", "trafilatura"), default="yuqing",
                    help="采集器的抽取（默认），或仅用 trafilatura 作为基线")
    ex.add_argument("--split", choices=("all", "tune", "check"), default="all",
                    help="网页 0-8…（用于选方法）、9-f…（留出），或全部")
    ex.set_defaults(func=_eval_extraction)

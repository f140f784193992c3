"""``yuqing crawl``, ``yuqing extract`` and ``yuqing eval extraction``. Heavy imports happen inside
the handlers so that ``yuqing --help`` stays fast."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from yuqing.cli import eval_group
from yuqing.cli import resolve_now as _now

SPOOLED_EXIT = 3  # collected, but kept in the spool: not stored yet (Elasticsearch unreachable)


def _crawl(args: argparse.Namespace) -> int:
    from crawlers.api import crawl_sources, replay_spool
    from yuqing.config import load_config
    from yuqing.errors import InputError, StorageUnavailable
    from yuqing.storage import Store

    config = load_config(args.config)
    known = {s.id for s in config.sources.sources}
    ids = None if args.all else list(args.sources)
    if ids is not None and not ids and not args.replay_spool:
        raise InputError("name a source id, or pass --all (see config/sources.yaml)")
    for source_id in ids or []:
        if source_id not in known:
            raise InputError(f"no source {source_id!r} in {config.directory / 'sources.yaml'}")
    store = Store.connect()
    if args.replay_spool:
        print(f"replayed {replay_spool(store)} spooled writes")
        if ids is not None and not ids:
            return 0
    try:
        store.ensure_indices()
    except StorageUnavailable as exc:
        # Crawl anyway: what is collected waits in the spool until Elasticsearch is back.
        print(f"yuqing crawl: Elasticsearch unreachable ({exc}); crawling into the spool", file=sys.stderr)
    stats = crawl_sources(store, config, ids, now=_now(args.now))
    for s in stats:
        print(s.summary())
    if stats and all(s.status == "failing" for s in stats):
        return 1
    spooled = sum(s.spooled for s in stats)
    if spooled:
        print(f"yuqing crawl: {spooled} items spooled, not yet stored; they are written when Elasticsearch is "
              "back (next crawl, or `yuqing crawl --replay-spool`)", file=sys.stderr)
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
        raise InputError(f"cannot read {path}: {exc.strerror}") from exc
    selectors = None
    encoding = None
    if args.source:
        from yuqing.config import load_config

        config = load_config(args.config)
        try:
            source = config.sources.get(args.source)
        except KeyError:
            raise InputError(f"no source {args.source!r} in {config.directory / 'sources.yaml'}") from None
        selectors, encoding = source.selectors, source.encoding
    found = extract_bytes(body, url=args.url, now=_now(args.now), selectors=selectors, forced_encoding=encoding)
    print(json.dumps(found.as_json(), ensure_ascii=False))
    return 0


def _eval_extraction(args: argparse.Namespace) -> int:
    from crawlers.evaluate import evaluate, print_report

    report = evaluate(args.pages, extractor=args.extractor, split=args.split)
    print_report(report)
    return 0


def register(subparsers: Any) -> None:
    crawl = subparsers.add_parser("crawl", help="crawl configured sources into Elasticsearch (incremental)")
    crawl.add_argument("sources", nargs="*", metavar="SOURCE_ID", help="source ids from config/sources.yaml")
    crawl.add_argument("--all", action="store_true", help="every enabled source")
    crawl.add_argument("--now", default=None, help="the crawl's time, ISO 8601 (default: the real clock)")
    crawl.add_argument("--config", default=None, help="configuration directory (default: config/)")
    crawl.add_argument("--replay-spool", action="store_true",
                       help="first write what was spooled to disk while Elasticsearch was down")
    crawl.set_defaults(func=_crawl)

    ext = subparsers.add_parser("extract", help="print what the crawler would store for a saved page (JSON)")
    ext.add_argument("page", help="a saved HTML page")
    ext.add_argument("--url", default=None, help="the page's URL (helps the main-text extractor)")
    ext.add_argument("--source", default=None, help="use this source's selectors and encoding")
    ext.add_argument("--now", default=None, help="resolve relative times (3小时前) against this ISO time")
    ext.add_argument("--config", default=None, help="configuration directory (default: config/)")
    ext.set_defaults(func=_extract)

    group = eval_group(subparsers)
    ex = group.add_parser("extraction", help="title/text/date/author accuracy of extraction on saved pages")
    ex.add_argument("--pages", default=None,
                    help="directory with expected.json or manifest.jsonl (default: the bundled set)")
    ex.add_argument("--extractor", choices=("yuqing", "trafilatura"), default="yuqing",
                    help="the crawler's extraction (default) or trafilatura alone, as a baseline")
    ex.add_argument("--split", choices=("all", "tune", "check"), default="all",
                    help="pages 0-8… (where methods were chosen), 9-f… (held back), or all")
    ex.set_defaults(func=_eval_extraction)

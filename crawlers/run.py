"""Child-process entry point: ``python -m crawlers.run --source ID … --now ISO --stats-out FILE``.

Runs the given sources in one Scrapy process (each its own crawler, concurrently) and writes their
:class:`~crawlers.api.CrawlStats` as JSON. Elasticsearch is reached through ES_URL and
YUQING_INDEX_PREFIX, the configuration through YUQING_CONFIG: :mod:`crawlers.api` sets them.
"""

from __future__ import annotations

import argparse
import dataclasses
import gc
import json
import logging
import os
import sys
from typing import Any


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m crawlers.run")
    parser.add_argument("--source", action="append", default=[], help="source id (repeatable)")
    parser.add_argument("--now", required=True, help="the crawl's time, ISO 8601")
    parser.add_argument("--stats-out", required=True, help="where to write the run's stats (JSON)")
    parser.add_argument("--settings", default="{}", help="extra Scrapy settings as JSON (bench, tests)")
    parser.add_argument("--log-level", default=os.environ.get("YUQING_CRAWL_LOG_LEVEL", "WARNING"))
    parser.add_argument("--log-file", default=None, help="write the log (and any traceback) here")
    args = parser.parse_args(argv)
    # A crawl allocates many short-lived objects per page (requests, responses, selectors, items) and
    # few cycles; at CPython's default (a young collection every 700 allocations) the collector ran
    # about 270 times in a 1,500-page crawl. Reference counting frees the acyclic ones either way.
    gc.set_threshold(GC_YOUNG_THRESHOLD, 10, 10)
    if args.log_file:
        fd = os.open(args.log_file, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        os.dup2(fd, 2)  # tracebacks from anywhere in the child end up in the log the parent reads
        os.close(fd)
        sys.stderr = open(2, "w", encoding="utf-8", errors="replace", buffering=1, closefd=False)  # noqa: SIM115

    from scrapy.crawler import CrawlerProcess
    from scrapy.settings import Settings

    from crawlers import settings as project_settings
    from crawlers import spool
    from crawlers.api import CrawlStats
    from crawlers.spiders import spider_for
    from yuqing.config import load_config
    from yuqing.errors import StorageUnavailable
    from yuqing.storage import Store

    config = load_config(os.environ.get("YUQING_CONFIG") or None)
    store = Store.connect(os.environ.get("ES_URL") or None, os.environ.get("YUQING_INDEX_PREFIX") or None)
    if (refused := _auth_refused(store)) is not None:
        print(f"crawl not started: {refused}", file=sys.stderr)
        return AUTH_EXIT
    try:
        replayed = spool.replay(store)
        if replayed:
            logging.getLogger(__name__).warning("replayed %d spooled writes", replayed)
    except StorageUnavailable:
        logging.getLogger(__name__).warning("spool not replayed: Elasticsearch unreachable")

    settings = Settings()
    settings.setmodule(project_settings, priority="project")
    settings.setdict({
        "YUQING_CONFIG": str(config.directory), "YUQING_ES_URL": os.environ.get("ES_URL", ""),
        "YUQING_INDEX_PREFIX": store.prefix, "YUQING_REPLAY_SPOOL": False, "LOG_LEVEL": args.log_level,
    }, priority="cmdline")
    settings.setdict(json.loads(args.settings), priority="cmdline")
    process = CrawlerProcess(settings)
    # Scrapy filters by level in its handler only, so every page's DEBUG lines ("Crawled", "Scraped
    # from") were still built as records; the logger's own level drops them where they are made.
    logging.getLogger("scrapy").setLevel(args.log_level)
    crawlers = []
    for source_id in args.source:
        source = config.sources.get(source_id)
        crawler = process.create_crawler(spider_for(source.type))
        crawlers.append((source_id, crawler))
        process.crawl(crawler, source=source_id, now=args.now)
    process.start()

    out: list[dict[str, Any]] = []
    for source_id, crawler in crawlers:
        spider = crawler.spider
        if spider is None or not hasattr(spider, "counts"):
            out.append(dataclasses.asdict(CrawlStats(source_id, 0, 0, 1, {"spider_error": 1}, 0)))
            continue
        c = spider.counts
        errors = crawler.stats.get_value("log_count/ERROR", 0) if crawler.stats else 0
        if errors:  # an error inside Scrapy or a component, not a page: make it visible
            c.reasons["internal_error"] = c.reasons.get("internal_error", 0) + int(errors)
        health = getattr(spider, "health", None)
        out.append(dataclasses.asdict(CrawlStats(
            source_id=source_id, found=c.found, new=c.new, failed=c.failed, reasons=dict(c.reasons),
            spooled=c.spooled, updated=c.updated, status=health.status if health else None,
        )))
    if (refused := _auth_refused(store)) is not None:  # credentials revoked during the crawl
        print(f"crawl failed: {refused}", file=sys.stderr)
        return AUTH_EXIT
    with open(args.stats_out, "w", encoding="utf-8") as fh:
        json.dump(out, fh, ensure_ascii=False)
    return 0


AUTH_EXIT = 3
GC_YOUNG_THRESHOLD = 20_000


def _auth_refused(store: Any) -> str | None:
    """Why Elasticsearch refuses this crawl's credentials, or None (also when it is merely
    unreachable: then the crawl runs and spools). A crawl that cannot authenticate must fail, not
    collect nothing and report success."""
    from yuqing.errors import StorageAuthError, StorageError

    try:
        store.count("crawl_state")
    except StorageAuthError as exc:
        return str(exc)
    except StorageError:
        return None
    return None


if __name__ == "__main__":
    sys.exit(main())

"""The crawler's own write path, driven without the network: a real spider of the source's type
(configuration, Store, ``crawl_state`` lookup) and the real :class:`crawlers.pipelines.MentionPipeline`
(model, jieba segmentation, SimHash and its bands, reprint linking, bulk writes in batches of
``YUQING_BATCH_SIZE``, source health at the end). Benchmarks feed it items as a spider's parse
callback would yield them, so what they time is what a crawl does per item minus the download and
the extraction."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from scrapy.crawler import Crawler
from scrapy.settings import Settings

from crawlers import settings as crawl_settings_module
from crawlers.pipelines import MentionPipeline
from crawlers.spiders import spider_for
from yuqing.clock import iso
from yuqing.config import Config
from yuqing.storage import Store


def open_run(store: Store, config: Config, source_id: str, *, now: dt.datetime,
             pipeline_cls: type[MentionPipeline] = MentionPipeline) -> tuple[Any, MentionPipeline]:
    """The spider and the opened pipeline of one crawl run of ``source_id`` at ``now``."""
    source = config.sources.get(source_id)
    settings = Settings()
    settings.setmodule(crawl_settings_module)
    settings.setdict({"YUQING_ES_URL": store.url, "YUQING_INDEX_PREFIX": store.prefix,
                      "YUQING_CONFIG": str(config.directory), "YUQING_REPLAY_SPOOL": False})
    spidercls = spider_for(source.type)
    crawler = Crawler(spidercls, settings)
    spider = spidercls(source=source_id, now=iso(now))
    spider._set_crawler(crawler)
    spider.setup(crawler.settings)
    crawler.spider = spider
    spider.load_seen()
    pipeline = pipeline_cls(crawler)
    pipeline.open_spider()
    return spider, pipeline


def crawl_run(store: Store, config: Config, source_id: str, items: Iterable[dict[str, Any]], *,
              now: dt.datetime, pipeline_cls: type[MentionPipeline] = MentionPipeline) -> int:
    """One crawl run of ``source_id`` at ``now`` that yields ``items`` (title, text, key, url,
    published_at, doc_type …); returns the number of new mentions written."""
    spider, pipeline = open_run(store, config, source_id, now=now, pipeline_cls=pipeline_cls)
    for fields in items:
        if spider.is_done(fields["key"]):
            continue
        pipeline.process_item(spider.item(**fields))
    pipeline.close_spider()
    return spider.counts.new

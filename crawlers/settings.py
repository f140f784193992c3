"""Scrapy project settings: the static defaults. Per-deployment values (politeness, limits) come from
``config/sources.yaml`` (``crawl:``) through :func:`crawlers.spiders.base.scrapy_settings`; the order
of components is plain data here, so a stage is switched off or reordered without code."""

BOT_NAME = "yuqing"
SPIDER_MODULES = ["crawlers.spiders"]
NEWSPIDER_MODULE = "crawlers.spiders"

ROBOTSTXT_OBEY = True
USER_AGENT = "YuqingWatch/0.1 (+public-opinion monitoring; contact: operator)"
COOKIES_ENABLED = False
TELNETCONSOLE_ENABLED = False

CONCURRENT_REQUESTS = 32
CONCURRENT_REQUESTS_PER_DOMAIN = 4
DOWNLOAD_DELAY = 0.0
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 0.5
AUTOTHROTTLE_MAX_DELAY = 10.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 2.0

DOWNLOAD_TIMEOUT = 20
DOWNLOAD_MAXSIZE = 8 * 1024 * 1024
DOWNLOAD_WARNSIZE = 2 * 1024 * 1024
REDIRECT_MAX_TIMES = 5
RETRY_ENABLED = True
RETRY_TIMES = 2
YUQING_RETRY_BACKOFF = 0.5  # seconds before the first retry; doubles each time

DOWNLOADER_MIDDLEWARES = {
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
    "crawlers.middlewares.BackoffRetryMiddleware": 550,
}
ITEM_PIPELINES = {
    "crawlers.pipelines.MentionPipeline": 300,
}

# Replay the disk spool before crawling (crawlers.run replays once per process and turns this off).
YUQING_REPLAY_SPOOL = True
# Mentions per bulk write (and per reprint band search). 500 news items make a bulk request of about
# 2-5 MB, within the size Elasticsearch's tuning guide suggests. On a warm local node the same 20,000
# mentions and their crawl state took 4.3-4.7 s in batches of 100 against 2.6 s in chunks of 500.
YUQING_BATCH_SIZE = 500
# Per-item work (model, jieba, SimHash, reprint linking, bulk writes) runs in a forked write process
# next to the reactor, at most this many per crawl process (one per source crawled at once; the
# others write inline). 0: always inline. See crawlers/writer.py.
YUQING_WRITER_PROCESSES = 2

# Scrapy starts CONCURRENT_ITEMS worker tasks for every response's output, however few items it
# holds (one article: one item); 100, the default, made task creation the largest single cost of
# the reactor (about 100 tasks per page). The item pipeline's process_item is synchronous (it hands
# the item to the write process), so more than one at a time gains nothing.
CONCURRENT_ITEMS = 1
# Scrapy's check for generator callbacks that return a value reads each callback's source with
# ``ast`` and, since callbacks are bound methods, misses its cache: about 5 % of a crawl's reactor
# time. It warns developers; the spiders' tests cover what it would catch.
WARN_ON_GENERATOR_RETURN_VALUE = False

LOG_LEVEL = "INFO"
FEED_EXPORT_ENCODING = "utf-8"
REMOTE_CONTROL_ENABLED = False
RETRY_GIVE_UP_LOG_LEVEL = "WARNING"

"""Collection: Scrapy spiders for configured sources, extraction, deduplication, spooling and source health.

Sources are data (``config/sources.yaml``), not code per site: one spider per source *type*
(rss, html, json, portal, board). :mod:`crawlers.api` is the entry point for other layers
(``crawl_source`` / ``crawl_sources``); each crawl runs in a child process because Twisted's
reactor cannot be restarted within one process.
"""

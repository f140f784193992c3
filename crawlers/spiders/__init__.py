"""One spider per source type; the source itself (URL, selectors) comes from ``config/sources.yaml``."""

from __future__ import annotations

from crawlers.spiders.base import SourceSpider
from crawlers.spiders.feed import JsonSpider, RssSpider
from crawlers.spiders.html import BoardSpider, HtmlSpider, PortalSpider
from crawlers.spiders.lists import HotlistSpider, SearchSpider

SPIDERS: dict[str, type[SourceSpider]] = {
    "rss": RssSpider, "html": HtmlSpider, "json": JsonSpider, "portal": PortalSpider, "board": BoardSpider,
    "hotlist": HotlistSpider, "search": SearchSpider,
}


def spider_for(source_type: str) -> type[SourceSpider]:
    return SPIDERS[source_type]


__all__ = ["SPIDERS", "BoardSpider", "HotlistSpider", "HtmlSpider", "JsonSpider", "PortalSpider", "RssSpider",
           "SearchSpider", "SourceSpider", "spider_for"]

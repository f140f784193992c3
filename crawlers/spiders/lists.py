"""Ranked and searched lists: hot lists (``hotlist``: rank and heat per entry on every crawl; entries
that touch a priority or a place become mentions) and keyword searches (``search``: a URL template
with ``{keyword}`` and ``{page}``, queried for the priorities' terms, the places and extra words)."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator, Iterator
from typing import Any
from urllib.parse import quote

from scrapy.http import Response

from crawlers.engagement import figures_from_json, figures_from_page
from crawlers.extract import canonical_url, short_title
from crawlers.lists import Entry, Watchwords, entry_key, read_entries
from crawlers.spiders.base import SourceSpider
from yuqing.clock import TZ
from yuqing.errors import StorageUnavailable


class HotlistSpider(SourceSpider):
    name = "hotlist"
    source_types = ("hotlist",)

    async def start(self) -> AsyncIterator[Any]:
        self.load_seen()
        self.watch = Watchwords(self.config, self.source.keywords)
        self.first_seen = self.load_first_seen()
        yield self.request(self.source.url, self.parse_list, start=True)

    def load_first_seen(self) -> dict[str, dt.datetime]:
        """When each entry was first on the list: its earliest stored crawl (the rank history)."""
        if self.store_down:
            return {}
        try:
            resp = self.store.search("hotlist", size=0, query={"term": {"source_id": self.source.id}},
                                     aggs={"keys": {"terms": {"field": "key", "size": 10_000},
                                                    "aggs": {"first": {"min": {"field": "at"}}}}})
        except StorageUnavailable:
            return {}
        out: dict[str, dt.datetime] = {}
        for bucket in resp.get("aggregations", {}).get("keys", {}).get("buckets", []):
            if (value := bucket["first"].get("value")) is not None:
                out[bucket["key"]] = dt.datetime.fromtimestamp(value / 1000, TZ)
        return out

    def listed_at(self, key: str, entry: Entry) -> dt.datetime:
        """An entry's first-seen time: the list's own time for it where it gives one, else the first
        crawl that saw it on the list (this one, for a new entry), never later than now."""
        if entry.at is not None:
            return min(entry.at, self.now)
        return min(self.first_seen.get(key, self.now), self.now)

    def parse_list(self, response: Response) -> Iterator[Any]:
        decoded = self.decode(response)
        if decoded is None:
            self.counts.start_failed = True
            return
        entries = read_entries(response.body, decoded[0], response.url, self.source, now=self.now)
        if not entries:
            self.fail("no_items", start=True, url=response.url)
            return
        done: set[str] = set()
        for entry in entries:
            key = "hot:" + entry_key(entry.title)
            if key in done:
                continue
            done.add(key)
            self.counts.found += 1
            found = self.watch.match(f"{entry.title} {entry.summary}")
            listed = self.listed_at(key, entry)
            hot = {"title": entry.title, "url": entry.url, "rank": entry.rank, "heat": entry.heat,
                   "relevant": found.relevant, "priorities": found.priorities, "places": found.places,
                   "terms": found.terms, "listed_at": entry.at}
            # published_at: when the entry came onto the list, not when this crawl happened to read it
            yield self.item(key=key, url=entry.url or response.url, title=short_title(entry.title, 80),
                            text=entry.summary or entry.title, published_at=listed, encoding="utf-8",
                            doc_type="post", hot=hot, no_mention=not found.relevant,
                            engagement_only=found.relevant and self.is_done(key),
                            extra={"hot_rank": entry.rank, "hot_heat": entry.heat, "hot_list": self.source.id,
                                   "hot_terms": found.terms, "hot_listed_at": listed.isoformat()})


class SearchSpider(SourceSpider):
    """One request per keyword and page; paging stops at ``max_pages`` or at a page with nothing new
    (incremental: results stored before are neither fetched nor stored again)."""

    name = "search"
    source_types = ("search",)

    async def start(self) -> AsyncIterator[Any]:
        self.load_seen()
        watch = Watchwords(self.config, self.source.keywords)
        for keyword in watch.keywords(list(self.source.keyword_sets)):
            yield self.request(self.page_url(keyword, 1), self.parse_results, start=False, keyword=keyword, page=1)

    def page_url(self, keyword: str, page: int) -> str:
        return self.source.url.replace("{keyword}", quote(keyword)).replace("{page}", str(page))

    def parse_results(self, response: Response, keyword: str, page: int) -> Iterator[Any]:
        decoded = self.decode(response)
        if decoded is None:
            return
        entries = read_entries(response.body, decoded[0], response.url, self.source)
        if entries is None:
            self.fail("malformed", url=response.url)
            return
        fresh = 0
        for entry in entries:
            item = self.result_item(entry, keyword)
            if item is None:
                continue
            key = item["key"]
            self.counts.found += 1
            if self.is_done(key) or not self.first_request_of(key):
                continue
            fresh += 1
            yield item
        if fresh and entries and "{page}" in self.source.url and page < self.source.max_pages:
            yield self.request(self.page_url(keyword, page + 1), self.parse_results, keyword=keyword, page=page + 1)

    def result_item(self, entry: Entry, keyword: str) -> dict[str, Any] | None:
        from crawlers.dates import parse_date
        from crawlers.spiders.feed import dig

        s = self.source.selectors
        if not entry.url:
            self.fail("no_link")
            return None
        if entry.raw is not None:
            raw_time = dig(entry.raw, s.published_at) if s.published_at else None
            author = dig(entry.raw, s.author) if s.author else None
            figures = figures_from_json(entry.raw, s)
        else:
            from crawlers.extract import select_text

            node = entry.node
            raw_time = select_text(node, s.published_at) if (node is not None and s.published_at) else None
            author = select_text(node, s.author) if (node is not None and s.author) else None
            figures = figures_from_page(None, node, s)
        return self.item(key=canonical_url(entry.url), url=entry.url, title=short_title(entry.title, 80),
                         text=entry.summary or entry.title, author=None if author is None else str(author),
                         published_at=parse_date(raw_time, self.now), encoding="utf-8", doc_type="post",
                         extra={"search_keyword": keyword}, engagement=figures)

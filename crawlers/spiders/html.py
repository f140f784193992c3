"""List page → article pages, with pagination: news sites (``html``), government portals
(``portal``: 索引号/文号/发文日期) and message boards (``board``: message, office reply, reply time)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any
from urllib.parse import urljoin

from parsel import Selector
from scrapy.http import Response

from crawlers.dates import parse_date
from crawlers.engagement import comments_from_page, figures_from_page
from crawlers.extract import (
    FetchedPage,
    ListEntry,
    canonical_url,
    detach,
    extract_page,
    select_all,
    select_on_page,
    select_text,
)
from crawlers.spiders.base import SourceSpider
from yuqing.clock import iso


class HtmlSpider(SourceSpider):
    name = "html"
    source_types: tuple[str, ...] = ("html",)
    doc_type = "article"

    async def start(self) -> AsyncIterator[Any]:
        self.load_seen()
        yield self.request(self.source.url, self.parse_list, start=True, page=1)

    def parse_list(self, response: Response, page: int) -> Iterator[Any]:
        decoded = self.decode(response)
        if decoded is None:
            self.counts.start_failed = page == 1
            return
        sel = Selector(text=decoded[0], type="html")
        s = self.source.selectors
        entries = select_all(sel, s.list_item) if s.list_item else [sel]
        fresh = 0
        for entry in entries:
            hrefs = [select_text(entry, s.link)] if s.link else entry.css("a::attr(href)").getall()
            for href in hrefs:
                if not href:
                    continue
                url = urljoin(response.url, href.strip())
                if not url.startswith(("http://", "https://")):
                    continue
                key = canonical_url(url)
                self.counts.found += 1
                if self.is_done(key) or not self.first_request_of(key):
                    # stored before: the list item may show fresh engagement figures
                    if key in self.seen and (figures := figures_from_page(None, entry, s)) \
                            and self.first_request_of(f"engagement:{key}"):
                        yield self.engagement_item(key, url, figures)
                    continue
                fresh += 1
                yield self.request(url, self.parse_article, key=key, context=detach(entry) if s.list_item else None)
        if not entries:
            self.fail("no_items", start=page == 1, url=response.url)
        # incremental: a page with nothing new means the rest was seen before
        if fresh and s.next_page and page < self.source.max_pages:
            next_href = select_text(sel, s.next_page)
            if next_href:
                yield self.request(urljoin(response.url, next_href.strip()), self.parse_list, page=page + 1)

    def parse_article(self, response: Response, key: str, context: str | None) -> Iterator[Any]:
        fetched = self.defer(response, "article", key, context=context)
        if fetched is not None:
            yield fetched  # decoded and extracted by the pipeline (the write process): see FetchedPage

    def article(self, page: str, encoding: str, fetched: FetchedPage) -> Iterator[Any]:
        """The item of an article page; its list entry (``context``, as HTML) supplies what the page lacks."""
        url = fetched.url
        sel = Selector(text=page, type="html")
        context = ListEntry(fetched.args["context"]) if fetched.args.get("context") is not None else None
        try:
            ex = extract_page(page, url=url, now=self.now, selectors=self.source.selectors,
                              encoding=encoding, context=context, sel=sel)
        except Exception as exc:  # one bad page must not stop the crawl: counted, logged, skipped
            self.fail(f"parse_error_{type(exc).__name__.lower()}", url=url)
            return
        if not ex.title or not ex.text:
            self.fail("malformed", url=url)
            return
        extra, complete, doc_type = self.details(sel, context)
        if extra.get("issued_at") and ex.published_at is None:
            ex.published_at = parse_date(extra["issued_at"], self.now)
        if comments := comments_from_page(sel, self.source.selectors, self.now):
            extra["comment_items"] = comments
        yield self.item(key=fetched.key, url=url, title=ex.title, text=ex.text, author=ex.author,
                        publisher=ex.publisher, published_at=ex.published_at, encoding=encoding,
                        doc_type=doc_type, extra={**ex.extra, **extra}, complete=complete,
                        engagement=figures_from_page(sel, context, self.source.selectors))

    def details(self, sel: Selector, context: ListEntry | None) -> tuple[dict[str, Any], bool, str]:
        """Type-specific fields: ``(extra, complete, doc_type)``."""
        return {}, True, self.doc_type


class PortalSpider(HtmlSpider):
    """政府信息公开: every item carries 索引号 (index_no); only a policy document (a 规范性文件 or other
    numbered document) carries a 文号 (doc_no) and 发文日期 (issued_at). A 情况通报 or a 政策解读 on the
    same portal has an index number but no document number: it is a release, not a policy document, and
    must not open the policy-interpretation clock."""

    name = "portal"
    source_types = ("portal",)

    def details(self, sel: Selector, context: ListEntry | None) -> tuple[dict[str, Any], bool, str]:
        s = self.source.selectors
        extra: dict[str, Any] = {}
        for field, expr in (("index_no", s.index_no), ("doc_no", s.doc_no), ("issued_at", s.issued_at)):
            value = select_on_page(sel, context, expr)
            if value:
                extra[field] = _after_label(value)
        if "issued_at" in extra and (issued := parse_date(extra["issued_at"], self.now)) is not None:
            extra["issued_at"] = iso(issued)
        return extra, True, "policy" if extra.get("doc_no") else "article"


class BoardSpider(HtmlSpider):
    """领导留言板: a citizen's message and the office's reply. A message without a reply is fetched
    again on later runs until the reply appears (the reply time matters for the response clocks)."""

    name = "board"
    source_types = ("board",)

    def details(self, sel: Selector, context: ListEntry | None) -> tuple[dict[str, Any], bool, str]:
        s = self.source.selectors
        reply = select_on_page(sel, context, s.reply_text)
        office = select_on_page(sel, context, s.reply_office)
        reply_raw = select_on_page(sel, context, s.reply_at)
        reply_at = parse_date(_after_label(reply_raw), self.now) if reply_raw else None
        extra: dict[str, Any] = {"replied": bool(reply)}
        if reply:
            extra["reply_text"] = reply
        if office:
            extra["reply_office"] = _after_label(office)
        if reply_at is not None:
            extra["reply_at"] = iso(reply_at)
        return extra, bool(reply), "board_message"


def _after_label(value: str) -> str:
    """``索引号：11530000…`` → ``11530000…`` (portals often put the label in the same cell)."""
    for sep in ("：", ":"):
        head, found, tail = value.partition(sep)
        if found and len(head) <= 8 and not any(c.isdigit() for c in head) and tail.strip():
            return tail.strip()
    return value.strip()

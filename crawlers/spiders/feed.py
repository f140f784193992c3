"""Feeds: RSS 2.0 / Atom (``rss``) and JSON timelines or search APIs with cursor or page
pagination (``json``: the shape of a Weibo-like timeline)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from typing import Any
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

from lxml import etree
from scrapy.http import Response

from crawlers.dates import parse_date
from crawlers.engagement import comments_from_json, figures_from_json
from crawlers.extract import FetchedPage, canonical_url, extract_page, short_title, strip_tags
from crawlers.spiders.base import SourceSpider

SUMMARY_CHARS = 200  # a feed text shorter than this is a summary: fetch the article for the full text


def _local(tag: Any) -> str:
    return etree.QName(tag).localname.lower() if isinstance(tag, str) else ""


def _child(node: Any, *names: str) -> Any:
    for child in node:
        if _local(child.tag) in names:
            return child
    return None


def _text(node: Any, *names: str) -> str | None:
    child = _child(node, *names)
    if child is None:
        return None
    value = "".join(child.itertext()).strip()
    return value or None


class RssSpider(SourceSpider):
    name = "rss"
    source_types = ("rss",)

    async def start(self) -> AsyncIterator[Any]:
        self.load_seen()
        yield self.request(self.source.url, self.parse_feed, start=True)

    def parse_feed(self, response: Response) -> Iterator[Any]:
        self.counts.fetched += 1
        parser = etree.XMLParser(recover=True, resolve_entities=False, no_network=True, huge_tree=False)
        try:
            root = etree.fromstring(response.body, parser=parser)
        except etree.XMLSyntaxError:
            root = None
        if root is None:
            self.fail("malformed_feed", start=True, url=response.url)
            return
        entries = [n for n in root.iter() if _local(n.tag) in ("item", "entry")]
        if not entries:
            self.fail("no_items", start=True, url=response.url)
        for entry in entries:
            link = _text(entry, "link")
            if not link:
                node = _child(entry, "link")
                link = node.get("href") if node is not None else None
            guid = _text(entry, "guid", "id")
            if not link and not guid:
                self.fail("no_link", url=response.url)
                continue
            url = urljoin(response.url, link) if link else response.url
            key = f"guid:{guid}" if guid else canonical_url(url)
            self.counts.found += 1
            if self.is_done(key) or not self.first_request_of(key):
                continue
            content = _text(entry, "encoded", "content") or _text(entry, "description", "summary") or ""
            text = strip_tags(content)
            title = strip_tags(_text(entry, "title") or "")
            author_node = _child(entry, "author", "creator")
            author = ("".join(author_node.itertext()).strip() or None) if author_node is not None else None
            published = parse_date(_text(entry, "pubdate", "published", "updated", "date"), self.now)
            fields = {"key": key, "guid": guid, "url": url, "title": title or short_title(text), "text": text,
                      "author": author, "publisher": _text(entry, "source"), "published_at": published,
                      "encoding": "utf-8", "doc_type": "feed_item"}
            fetch = self.source.fetch_articles
            if link and (fetch or (fetch is None and len(text) < SUMMARY_CHARS)):
                yield self.request(url, self.parse_article, fields=fields)
            elif fields["title"] and text:
                yield self.item(**fields)
            else:
                self.fail("malformed", url=url)

    def parse_article(self, response: Response, fields: dict[str, Any]) -> Iterator[Any]:
        fetched = self.defer(response, "article", fields["key"], fields=fields)
        if fetched is not None:
            yield fetched  # decoded and extracted by the pipeline (the write process): see FetchedPage

    def article(self, page: str, encoding: str, fetched: FetchedPage) -> Iterator[Any]:
        """The feed entry's item, with the linked page's text when it is longer than the entry's."""
        fields: dict[str, Any] = fetched.args["fields"]
        try:
            ex = extract_page(page, url=fetched.url, now=self.now, selectors=self.source.selectors,
                              encoding=encoding)
        except Exception as exc:  # one bad page must not stop the crawl: counted, logged, skipped
            self.fail(f"parse_error_{type(exc).__name__.lower()}", url=fetched.url)
            return
        merged = dict(fields)
        merged["encoding"] = encoding
        if len(ex.text) > len(fields["text"]):
            merged["text"] = ex.text
        merged["title"] = fields["title"] or ex.title
        merged["published_at"] = fields["published_at"] or ex.published_at
        merged["author"] = fields["author"] or ex.author
        merged["publisher"] = fields["publisher"] or ex.publisher
        if not merged["title"] or not merged["text"]:
            self.fail("malformed", url=fetched.url)
            return
        yield self.item(**merged)


def dig(data: Any, path: str | None) -> Any:
    """``data.statuses`` / ``user.screen_name``: a dotted path into parsed JSON (list indexes allowed)."""
    if not path:
        return None
    for part in path.split("."):
        if isinstance(data, dict):
            data = data.get(part)
        elif isinstance(data, list) and part.isdigit() and int(part) < len(data):
            data = data[int(part)]
        else:
            return None
    return data


def with_param(url: str, name: str, value: Any) -> str:
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != name]
    query.append((name, str(value)))
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query), parts.fragment))


class JsonSpider(SourceSpider):
    name = "json"
    source_types = ("json",)

    async def start(self) -> AsyncIterator[Any]:
        self.load_seen()
        s = self.source.selectors
        url = with_param(self.source.url, s.page_param, 1) if s.page_param else self.source.url
        yield self.request(url, self.parse_page, start=True, page=1)

    def parse_page(self, response: Response, page: int) -> Iterator[Any]:
        self.counts.fetched += 1
        s = self.source.selectors
        try:
            data = json.loads(response.body)
        except ValueError:
            if not self.login_page(response, response.text if hasattr(response, "text") else ""):
                self.fail("malformed_json", start=page == 1, url=response.url)
            return
        items = dig(data, s.list_item) if s.list_item else data
        if not isinstance(items, list):
            # {"ok": 0, "msg": "请登录"}: an API's way of saying the cookie expired
            if not self.login_page(response, json.dumps(data, ensure_ascii=False)[:2000]):
                self.fail("no_items", start=page == 1, url=response.url)
            return
        fresh = 0
        for entry in items:
            if not isinstance(entry, dict):
                self.fail("malformed", url=response.url)
                continue
            guid = dig(entry, s.id_field)
            raw_url = dig(entry, s.url_field)
            if guid is None and not raw_url:
                self.fail("no_id", url=response.url)
                continue
            url = urljoin(response.url, str(raw_url)) if raw_url else with_param(self.source.url, "id", guid)
            key = f"guid:{guid}" if guid is not None else canonical_url(url)
            self.counts.found += 1
            figures = figures_from_json(entry, s)
            if self.is_done(key) or not self.first_request_of(key):
                if figures and key in self.seen and self.first_request_of(f"engagement:{key}"):
                    yield self.engagement_item(key, url, figures)  # stored before: fresh figures only
                continue
            fresh += 1
            text = strip_tags(str(dig(entry, s.body) or ""))
            title_raw = dig(entry, s.title)
            title = short_title(strip_tags(str(title_raw))) if title_raw else short_title(text)
            if not text and not title:
                self.fail("malformed", url=url)
                continue
            author = dig(entry, s.author)
            publisher = dig(entry, s.publisher)
            extra: dict[str, Any] = {}
            if comments := comments_from_json(entry, s, self.now):
                extra["comment_items"] = comments
            yield self.item(key=key, guid=None if guid is None else str(guid), url=url, title=title,
                            text=text or title, author=None if author is None else str(author),
                            publisher=None if publisher is None else str(publisher),
                            published_at=parse_date(dig(entry, s.published_at), self.now),
                            encoding="utf-8", doc_type="post", extra=extra, engagement=figures)
        if not fresh or page >= self.source.max_pages:
            return
        if s.cursor_field and s.cursor_param:
            cursor = dig(data, s.cursor_field)
            if cursor not in (None, "", 0, "0", False):
                yield self.request(with_param(response.url, s.cursor_param, cursor), self.parse_page,
                                   page=page + 1)
        elif s.page_param and items:
            yield self.request(with_param(response.url, s.page_param, page + 1), self.parse_page, page=page + 1)


__all__ = ["JsonSpider", "RssSpider"]

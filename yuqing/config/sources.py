"""``config/sources.yaml``: what the crawlers collect, described as data rather than code per site."""

from __future__ import annotations

import re
from typing import Literal
from urllib.parse import urlsplit

from pydantic import Field, field_validator

from yuqing.config.base import Model, SpanField

SourceType = Literal["rss", "html", "json", "portal", "board", "hotlist", "search"]
MediaTier = Literal["central", "provincial", "local", "self_media", "official"]


class Selectors(Model):
    """CSS/XPath selectors for HTML-like sources (``html``, ``portal``, ``board``) and dotted paths
    for ``json`` sources. Fields a source does not need stay unset; a page without a ``body``
    selector is extracted by the main-text extractor."""

    list_item: str | None = None  # each entry on a list page (HTML) or the items array (JSON path)
    link: str | None = None
    title: str | None = None
    body: str | None = None
    published_at: str | None = None
    author: str | None = None
    publisher: str | None = None
    next_page: str | None = None
    # government portals (政府信息公开)
    index_no: str | None = None  # 索引号
    doc_no: str | None = None  # 文号
    issued_at: str | None = None  # 发文日期
    # message boards (领导留言板)
    reply_text: str | None = None
    reply_office: str | None = None
    reply_at: str | None = None
    # engagement (转发/评论/点赞/阅读), read on every crawl and stored as snapshots: a CSS/XPath selector
    # (article page first, then the list item) or a dotted JSON path; "1.2万", "10w+", "3,456" understood
    reposts: str | None = None
    comments: str | None = None
    likes: str | None = None
    views: str | None = None
    # comments of a board or social item where the source exposes them: each comment element (HTML) or
    # the comments array (JSON path), and within it the text, author and time
    comment_item: str | None = None
    comment_text: str | None = None
    comment_author: str | None = None
    comment_at: str | None = None
    # hot lists (热搜/热榜): within each entry (``list_item``), its rank and heat (the entry's words are
    # ``title``, its link ``link`` or ``url_field``); without ``rank`` the position on the list is the rank
    rank: str | None = None
    heat: str | None = None
    # JSON feeds
    id_field: str | None = None
    url_field: str | None = None
    cursor_field: str | None = None  # where the next cursor is in the response
    cursor_param: str | None = None  # the query parameter that sends it back
    page_param: str | None = None


SECRET_HEADERS = ("cookie", "authorization", "proxy-authorization", "x-api-key", "x-auth-token")


class RequestOptions(Model):
    """How this source's requests are made. Secrets (cookies, tokens, proxy passwords) never sit here:
    ``cookies_connection`` names a connection (``AIRFLOW_CONN_<ID>`` / ``YUQING_CONN_<ID>``) whose
    ``extra.cookies`` (a mapping or a ``a=1; b=2`` string) or password is the cookie, and whose
    ``extra.headers`` may add secret headers."""

    headers: dict[str, str] = {}
    cookies_connection: str | None = Field(default=None, pattern=r"^[a-z0-9_]+$")
    proxy: str | None = None  # http://host:port (credentials, if any, in a connection: not supported here)
    user_agent: str | None = None  # default: crawl.user_agent
    rate_limit: float | None = Field(default=None, gt=0, le=100)  # requests per second at most
    robots: Literal["obey", "ignore"] | None = None  # default: crawl.obey_robots
    # text that means a login page came back instead of content (an expired cookie): health "login_required"
    login_markers: list[str] = ["请登录", "登录后查看", "登录后才能", "扫码登录", "账号登录", "用户登录"]

    @field_validator("headers")
    @classmethod
    def _no_secret_headers(cls, value: dict[str, str]) -> dict[str, str]:
        for name in value:
            if name.strip().lower() in SECRET_HEADERS:
                raise ValueError(f"header {name!r} is a secret: put it in the connection named by "
                                 "cookies_connection (extra.cookies / extra.headers), never in YAML")
            if not re.fullmatch(r"[A-Za-z0-9-]+", name.strip()):
                raise ValueError(f"header name {name!r} is not a valid HTTP header name")
        return value

    @field_validator("proxy")
    @classmethod
    def _proxy_url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("must be http://host:port or https://host:port")
        if "@" in parts.netloc:
            raise ValueError("no credentials in YAML: a proxy password belongs in a connection")
        return value


class Source(Model):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]*$")
    name: str
    type: SourceType
    url: str
    schedule: SpanField = Field(default="30m", validate_default=True)
    media_tier: MediaTier
    jurisdiction: str = Field(pattern=r"^\d{6}$")  # administrative code of the place it covers
    official: bool = False  # an official channel of the monitored government: its posts are releases
    office: str | None = None  # for official sources: the office that publishes there
    encoding: str | None = None  # force a page encoding when a site lies about it
    max_pages: int = Field(default=5, ge=1, le=1000)
    enabled: bool = True
    selectors: Selectors = Selectors()
    # rss: fetch each item's page for the full text (None: only when the feed gives a short summary)
    fetch_articles: bool | None = None
    # no new item for this long (and the source still answers) → health status "silent"
    silent_after: SpanField = Field(default="24h", validate_default=True)
    # headers, cookies (from a connection), proxy, user agent, rate limit, robots.txt policy
    request: RequestOptions = RequestOptions()
    # hotlist and search: how the list is written ("auto": JSON when the answer parses as JSON)
    format: Literal["auto", "html", "json"] = "auto"
    # hotlist: extra words that make an entry a mention (besides the priorities' terms and the places);
    # search: extra keywords queried besides the priorities' terms and the places
    keywords: list[str] = []
    # search: which keyword sets to query ({keyword} in the URL); {page} runs from 1 to max_pages
    keyword_sets: list[Literal["priorities", "places", "extra"]] = ["priorities", "places", "extra"]

    @field_validator("url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value


def source_problems(source: Source) -> list[tuple[str, object, str]]:
    """What a source of a given type needs beyond its own fields: ``(field, value, problem)`` each."""
    out: list[tuple[str, object, str]] = []
    sel = source.selectors
    prefix = f"sources({source.id})"
    if source.type in ("hotlist", "search"):
        if not sel.list_item:
            out.append((f"{prefix}.selectors.list_item", sel.list_item,
                        f"a {source.type} source needs the selector (or JSON path) of its entries"))
        if not sel.title:
            out.append((f"{prefix}.selectors.title", sel.title,
                        f"a {source.type} source needs the selector (or JSON path) of an entry's title"))
    if source.type == "search":
        if "{keyword}" not in source.url:
            out.append((f"{prefix}.url", source.url, "a search source's URL needs {keyword} (and {page} to page)"))
        if not source.keyword_sets:
            out.append((f"{prefix}.keyword_sets", source.keyword_sets, "name at least one keyword set"))
    elif "{keyword}" in source.url or "{page}" in source.url:
        out.append((f"{prefix}.url", source.url, "{keyword}/{page} are only filled in for type: search"))
    for word in source.keywords:
        if not word.strip():
            out.append((f"{prefix}.keywords", word, "an empty keyword"))
    return out


class CrawlSettings(Model):
    """How every crawl behaves: politeness, limits and near-duplicate linking (optional ``crawl:`` key)."""

    user_agent: str = "YuqingWatch/0.1 (+public-opinion monitoring; contact: operator)"
    obey_robots: bool = True
    concurrent_requests_per_domain: int = Field(default=4, ge=1, le=64)
    download_delay: float = Field(default=0.0, ge=0)  # seconds between requests to one domain (minimum)
    autothrottle: bool = True
    autothrottle_start_delay: float = Field(default=0.5, ge=0)
    autothrottle_max_delay: float = Field(default=10.0, ge=0)
    autothrottle_target_concurrency: float = Field(default=2.0, gt=0)
    download_timeout: float = Field(default=20.0, gt=0)  # seconds
    retry_times: int = Field(default=2, ge=0, le=10)
    retry_backoff: float = Field(default=0.5, ge=0)  # first retry waits this many seconds, then doubles
    max_redirects: int = Field(default=5, ge=0, le=20)
    download_maxsize: int = Field(default=8 * 1024 * 1024, ge=1024)  # bytes
    simhash_max_distance: int = Field(default=5, ge=0, le=7)  # Hamming distance for a reprint (转载)
    simhash_min_chars: int = Field(default=40, ge=0)  # shorter texts are not compared (too many collisions)
    # stored reprint candidates read per batch of new mentions, earliest first (a bound on a band-search flood)
    reprint_candidate_limit: int = Field(default=20_000, ge=100)
    # seconds a band key one crawl run searched is not searched again by its later batches (0: every batch
    # searches all its keys); the run's last batch always searches all its keys
    reprint_search_memory: float = Field(default=60.0, ge=0)
    failing_error_rate: float = Field(default=0.5, gt=0, le=1)  # at or above: status "failing"


class SourcesConfig(Model):
    sources: list[Source]
    crawl: CrawlSettings = CrawlSettings()

    def get(self, source_id: str) -> Source:
        for source in self.sources:
            if source.id == source_id:
                return source
        raise KeyError(source_id)

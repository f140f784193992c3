"""``config/sources.yaml``: what the crawlers collect, described as data rather than code per site."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator

from yuqing.config.base import Model, SpanField

SourceType = Literal["rss", "html", "json", "portal", "board"]
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
    # JSON feeds
    id_field: str | None = None
    url_field: str | None = None
    cursor_field: str | None = None  # where the next cursor is in the response
    cursor_param: str | None = None  # the query parameter that sends it back
    page_param: str | None = None


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

    @field_validator("url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value


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
    failing_error_rate: float = Field(default=0.5, gt=0, le=1)  # at or above: status "failing"


class SourcesConfig(Model):
    sources: list[Source]
    crawl: CrawlSettings = CrawlSettings()

    def get(self, source_id: str) -> Source:
        for source in self.sources:
            if source.id == source_id:
                return source
        raise KeyError(source_id)

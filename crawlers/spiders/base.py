"""What every source spider shares: the source from config, the crawl's ``now``, the set of keys
already stored (incremental crawling), failure counting by reason, and item assembly."""

from __future__ import annotations

import datetime as dt
import logging
import re
from typing import Any

import scrapy
from scrapy.http import Request, Response
from twisted.python.failure import Failure

from crawlers import spool
from crawlers.extract import FetchedPage, decode_html
from crawlers.health import RunCounts
from yuqing.clock import parse_ts
from yuqing.config import Config, load_config
from yuqing.config.sources import CrawlSettings, Source
from yuqing.errors import ConfigError, StorageUnavailable
from yuqing.storage import Store

log = logging.getLogger(__name__)


def scrapy_settings(crawl: CrawlSettings) -> dict[str, Any]:
    """Scrapy settings for the configured politeness and limits."""
    return {
        "USER_AGENT": crawl.user_agent,
        "ROBOTSTXT_OBEY": crawl.obey_robots,
        "CONCURRENT_REQUESTS_PER_DOMAIN": crawl.concurrent_requests_per_domain,
        "DOWNLOAD_DELAY": crawl.download_delay,
        "AUTOTHROTTLE_ENABLED": crawl.autothrottle,
        "AUTOTHROTTLE_START_DELAY": crawl.autothrottle_start_delay,
        "AUTOTHROTTLE_MAX_DELAY": crawl.autothrottle_max_delay,
        "AUTOTHROTTLE_TARGET_CONCURRENCY": crawl.autothrottle_target_concurrency,
        "DOWNLOAD_TIMEOUT": crawl.download_timeout,
        "RETRY_TIMES": crawl.retry_times,
        "YUQING_RETRY_BACKOFF": crawl.retry_backoff,
        "REDIRECT_MAX_TIMES": crawl.max_redirects,
        "DOWNLOAD_MAXSIZE": crawl.download_maxsize,
        "DOWNLOAD_WARNSIZE": min(crawl.download_maxsize, 2 * 1024 * 1024),
    }


def failure_reason(failure: Failure) -> str:
    """A short, countable reason for a failed request (``http_503``, ``redirect_loop``, ``too_large`` …)."""
    from scrapy.exceptions import IgnoreRequest
    from scrapy.spidermiddlewares.httperror import HttpError
    from twisted.internet import defer
    from twisted.internet import error as neterr

    exc = failure.value
    if isinstance(exc, HttpError):
        return f"http_{exc.response.status}"
    if isinstance(exc, IgnoreRequest):
        text = str(exc).lower()
        if "redirect" in text:
            return "redirect_loop"
        if "robots" in text:
            return "robots_forbidden"
        return "ignored"
    name = type(exc).__name__
    if isinstance(exc, defer.CancelledError) or name == "DownloadCancelledError" or "max size" in str(exc):
        return "too_large"
    if isinstance(exc, neterr.TimeoutError | defer.TimeoutError) or "Timeout" in name:
        return "timeout"
    if isinstance(exc, neterr.ConnectionRefusedError):
        return "connection_refused"
    if isinstance(exc, neterr.DNSLookupError):
        return "dns"
    if isinstance(exc, neterr.ConnectionLost | neterr.ConnectionDone) or "ResponseNeverReceived" in name:
        return "connection_lost"
    return name.lower()


class SourceSpider(scrapy.Spider):
    """Base of the per-type spiders; run as ``scrapy crawl <type> -a source=<id> [-a now=ISO]``."""

    source_types: tuple[str, ...] = ()

    def __init__(self, source: str | None = None, now: str | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if not source:
            raise ConfigError("(command line)", "source", None, "pass -a source=<source id>")
        self.source_id = source
        self.now: dt.datetime = (parse_ts(now) if now else None) or _real_now()
        self.counts = RunCounts()
        self.seen: dict[str, bool] = {}  # key -> complete (a board message with its reply)
        self.requested: set[str] = set()
        self.started_at = self.now
        self.store_down = False

    @classmethod
    def update_settings(cls, settings: Any) -> None:
        super().update_settings(settings)
        try:
            config = load_config(settings.get("YUQING_CONFIG") or None)
        except ConfigError:
            return  # reported when the spider is built
        settings.setdict(scrapy_settings(config.sources.crawl), priority="spider")

    @classmethod
    def from_crawler(cls, crawler: Any, *args: Any, **kwargs: Any) -> SourceSpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider.setup(crawler.settings)
        return spider

    def setup(self, settings: Any) -> None:
        self.config: Config = load_config(settings.get("YUQING_CONFIG") or None)
        try:
            self.source: Source = self.config.sources.get(self.source_id)
        except KeyError:
            raise ConfigError(str(self.config.directory / "sources.yaml"), "sources", self.source_id,
                              "no such source") from None
        if self.source.type not in self.source_types:
            raise ConfigError(str(self.config.directory / "sources.yaml"), f"sources({self.source_id}).type",
                              self.source.type, f"spider {self.name!r} crawls {'/'.join(self.source_types)}")
        self.crawl_settings: CrawlSettings = self.config.sources.crawl
        self.request_headers, self.request_cookies = request_options(self.source, self.crawl_settings,
                                                                     str(self.config.directory / "sources.yaml"))
        if self.source.request.rate_limit:
            # Scrapy reads the spider's download_delay when it opens the domain's download slot
            self.download_delay = 1.0 / self.source.request.rate_limit
        self.store = Store.connect(settings.get("YUQING_ES_URL") or None, settings.get("YUQING_INDEX_PREFIX") or None)
        self.replay_spool = settings.getbool("YUQING_REPLAY_SPOOL", True)

    # -- incremental state ------------------------------------------------------------------------

    def load_seen(self) -> None:
        if self.replay_spool:
            try:
                spool.replay(self.store)
            except StorageUnavailable:
                log.warning("spool not replayed: Elasticsearch unreachable")
        try:
            for doc in self.store.scan("crawl_state", {"term": {"source_id": self.source.id}},
                                       source=["key", "complete"]):
                self.seen[doc["key"]] = bool(doc.get("complete", True))
        except StorageUnavailable:
            self.store_down = True
            # what the last run knew: stored items are not fetched again nor counted as new
            self.seen.update(spool.remembered_keys(self.store.prefix, self.source.id))
            log.warning("source %s: Elasticsearch unreachable; crawling with the %d keys kept on disk "
                        "(new items spool)", self.source.id, len(self.seen))
        for key in spool.pending_keys(self.store.prefix, self.source.id):
            self.seen.setdefault(key, True)

    def is_done(self, key: str) -> bool:
        """Already stored and complete: not fetched again."""
        return self.seen.get(key, False)

    # -- requests and failures --------------------------------------------------------------------

    def request(self, url: str, callback: Any, *, start: bool = False, **cb_kwargs: Any) -> Request:
        # dont_filter: a redirect loop must reach REDIRECT_MAX_TIMES and be counted, not vanish in the
        # dupe filter; the spiders skip keys they already requested in this run themselves.
        options = self.source.request
        meta: dict[str, Any] = {"yuqing_start": start}
        if options.proxy:
            meta["proxy"] = options.proxy
        robots = options.robots or ("obey" if self.crawl_settings.obey_robots else "ignore")
        if robots == "ignore":
            meta["dont_obey_robotstxt"] = True
        headers = dict(self.request_headers)
        if self.request_cookies:
            # sent as a header: the cookie middleware is off (no site may set state between crawls)
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.request_cookies.items())
        return Request(url, callback=callback, errback=self.on_error, cb_kwargs=cb_kwargs, meta=meta,
                       dont_filter=True, headers=headers or None)

    def login_page(self, response: Response, text: str) -> bool:
        """Whether a login page came back instead of content (counted; health ``login_required``)."""
        requested, start = _origin(response)
        return self.login_text(response.url, requested, start, text)

    def login_text(self, url: str, requested: str, start: bool, text: str) -> bool:
        """:meth:`login_page` for a page fetched from ``requested`` that ended at ``url``."""
        moved = url != requested and _LOGIN_URL.search(url.split("?")[0]) is not None
        head = text[:20000]
        marked = any(marker in head for marker in self.source.request.login_markers) and (
            'type="password"' in head or "type='password'" in head or len(head) < 3000)
        if moved or marked:
            self.counts.login_required = True
            self.fail("login_required", start=start, url=url)
            return True
        return False

    def first_request_of(self, key: str) -> bool:
        """True the first time ``key`` is requested in this run (lists often link an article twice)."""
        if key in self.requested:
            return False
        self.requested.add(key)
        return True

    def on_error(self, failure: Failure) -> None:
        request = getattr(failure, "request", None)
        reason = failure_reason(failure)
        start = bool(request is not None and request.meta.get("yuqing_start"))
        self.fail(reason, start=start, url=request.url if request is not None else None)

    def fail(self, reason: str, *, start: bool = False, url: str | None = None) -> None:
        self.counts.fail(reason, start=start)
        if self.crawler is not None and self.crawler.stats is not None:
            self.crawler.stats.inc_value(f"yuqing/failed/reason_count/{reason}")
        log.warning("source %s: skipped %s (%s)", self.source.id, url, reason)

    def accept(self, response: Response) -> str | None:
        """The response's Content-Type, counted as fetched; None (counted) when it is not a page."""
        self.counts.fetched += 1
        ctype = (response.headers.get(b"Content-Type") or b"").decode("latin-1")
        if any(t in ctype for t in ("image/", "application/octet-stream", "application/pdf", "video/")):
            self.fail("not_html", url=response.url)
            return None
        return ctype

    def decode(self, response: Response) -> tuple[str, str] | None:
        """The page as text and its encoding label; None (counted) when it is not a page."""
        ctype = self.accept(response)
        if ctype is None:
            return None
        return self.decode_body(response.body, ctype, response.url, *_origin(response))

    def decode_body(self, body: bytes, ctype: str, url: str, requested: str, start: bool) -> tuple[str, str] | None:
        """The page as text and its encoding label; None (counted) when a login page came back instead."""
        page = decode_html(body, ctype, self.source.encoding)
        return None if self.login_text(url, requested, start, page[0]) else page

    def defer(self, response: Response, build: str, key: str, **args: Any) -> FetchedPage | None:
        """The page, for the pipeline to decode and turn into items with ``self.<build>(text, encoding,
        fetched)`` (see :class:`~crawlers.extract.FetchedPage`); None (counted) when it is not a page."""
        ctype = self.accept(response)
        if ctype is None:
            return None
        requested, start = _origin(response)
        return FetchedPage(url=response.url, body=response.body, content_type=ctype, requested=requested,
                           start=start, key=key, was_seen=key in self.seen, build=build, args=args)

    def page_items(self, fetched: FetchedPage) -> list[dict[str, Any]]:
        """The items of a page :meth:`defer` handed on: decoded, checked for a login page, built."""
        decoded = self.decode_body(fetched.body, fetched.content_type, fetched.url, fetched.requested, fetched.start)
        if decoded is None:
            return []
        items = list(getattr(self, fetched.build)(*decoded, fetched))
        for item in items:
            item["was_seen"] = fetched.was_seen  # this copy of the spider may not hold the stored keys
        return items

    def item(self, **fields: Any) -> dict[str, Any]:
        """An item for :class:`crawlers.pipelines.MentionPipeline`."""
        fields.setdefault("source_id", self.source.id)
        fields.setdefault("guid", None)
        fields.setdefault("author", None)
        fields.setdefault("publisher", None)
        fields.setdefault("published_at", None)
        fields.setdefault("encoding", None)
        fields.setdefault("extra", {})
        fields.setdefault("complete", True)
        fields.setdefault("engagement", {})  # figures read this crawl: stored as a snapshot
        fields["was_seen"] = fields["key"] in self.seen
        return fields

    def engagement_item(self, key: str, url: str, figures: dict[str, int]) -> dict[str, Any]:
        """An item that only carries fresh engagement figures of a mention stored before."""
        return self.item(key=key, url=url, title="", text="", doc_type="post", engagement=figures,
                         engagement_only=True)


def _origin(response: Response) -> tuple[str, bool]:
    """The URL a response was asked for (before redirects) and whether it is the run's start page."""
    request = response.request
    if request is None:
        return "", False
    return request.meta.get("redirect_urls", [response.url])[0], bool(request.meta.get("yuqing_start"))


_LOGIN_URL = re.compile(r"(login|signin|sign_in|passport|/sso/|logon|denglu)", re.IGNORECASE)


def request_options(source: Source, crawl: CrawlSettings, file: str) -> tuple[dict[str, str], dict[str, str]]:
    """The headers and cookies of a source's requests; cookies (and secret headers) come from the
    connection named by ``request.cookies_connection``, never from YAML."""
    from yuqing.connections import ConnectionNotFound, resolve

    options = source.request
    headers = dict(options.headers)
    if options.user_agent:
        headers["User-Agent"] = options.user_agent
    cookies: dict[str, str] = {}
    if options.cookies_connection:
        try:
            conn = resolve(options.cookies_connection)
        except ConnectionNotFound:
            raise ConfigError(file, f"sources({source.id}).request.cookies_connection", options.cookies_connection,
                              "no such connection (set AIRFLOW_CONN_<ID> or YUQING_CONN_<ID>)") from None
        raw = conn.extra.get("cookies") if conn.extra else None
        if raw is None:
            raw = conn.password
        if isinstance(raw, dict):
            cookies = {str(k): str(v) for k, v in raw.items()}
        elif isinstance(raw, str):
            for part in raw.split(";"):
                name, sep, value = part.strip().partition("=")
                if sep and name:
                    cookies[name] = value
        extra_headers = conn.extra.get("headers") if conn.extra else None
        if isinstance(extra_headers, dict):
            headers.update({str(k): str(v) for k, v in extra_headers.items()})
    return headers, cookies


def _real_now() -> dt.datetime:
    from yuqing.clock import now

    return now()

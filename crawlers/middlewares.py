"""Downloader middlewares: retries that wait (exponential backoff) instead of hammering a failing site."""

from __future__ import annotations

from typing import Any

from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.http import Request


class BackoffRetryMiddleware(RetryMiddleware):
    """Scrapy's retry middleware, plus a delay of ``YUQING_RETRY_BACKOFF × 2^(n-1)`` seconds before
    the n-th retry (``retry/count`` and ``retry/reason_count/<reason>`` stats are kept)."""

    def __init__(self, settings: Any) -> None:
        super().__init__(settings)
        self.backoff = settings.getfloat("YUQING_RETRY_BACKOFF", 0.5)

    def _retry(self, request: Request, reason: Any) -> Request | None:
        retry = super()._retry(request, reason)
        if retry is not None and self.backoff > 0:
            n = int(retry.meta.get("retry_times", 1))
            retry.meta["yuqing_retry_delay"] = self.backoff * 2 ** (n - 1)
        return retry

    async def process_request(self, request: Request, spider: Any = None) -> None:
        delay = request.meta.pop("yuqing_retry_delay", None)
        if delay:
            from scrapy.utils.defer import maybe_deferred_to_future
            from twisted.internet import reactor
            from twisted.internet.task import deferLater

            await maybe_deferred_to_future(deferLater(reactor, delay, lambda: None))
        return None

"""The channel interface, the registry by type, and the HTTP plumbing the robot channels share.

A channel sends one message and says what happened, as one of four outcomes:

- ``delivered``: the receiver accepted it (for robots: HTTP 200 **and** ``errcode``/``code`` 0);
- ``retryable``: a clear failure answer (rate limited, 5xx, a robot's busy code) or nothing was sent
  (connection refused, connect timeout, the request could not be written): try again with backoff;
- ``permanent``: rejected for good (bad key, signature, keyword, content): do not retry;
- ``unknown``: the request was sent but no answer came (read timeout, connection reset after the
  request was written), so the receiver may have acted on it and a retry could duplicate it:
  recorded as failed and audited, never blindly resent — unless the channel is idempotent (the
  webhook: its receivers deduplicate by ``webhook-id``), where it is retried.

Robots answer business errors with HTTP 200, so the body is always read. URLs carry keys: they are
never logged, and errors name only the exception type.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import json
import logging
import ssl
from collections.abc import Callable, Collection
from typing import Any, ClassVar, Literal

import httpx

from alerts.recipients import ContactRef
from yuqing.config.alerts import Channel as ChannelSpec
from yuqing.connections import Connection, Resolver

log = logging.getLogger(__name__)
# httpx logs every request URL at INFO: robot URLs carry their keys.
logging.getLogger("httpx").setLevel(logging.WARNING)
logging.getLogger("httpcore").setLevel(logging.WARNING)

Outcome = Literal["delivered", "retryable", "permanent", "unknown"]


@functools.cache
def _tls() -> ssl.SSLContext:
    """httpx's default verifying context (certifi's roots), built once per process: loading the
    roots costs tens of milliseconds, too much to repeat for every message."""
    return httpx.create_ssl_context()


@dataclasses.dataclass
class Message:
    batch_id: str  # the idempotency key (webhook-id, Message-ID)
    items: list[dict[str, Any]]  # the facts of each aggregated alert
    contacts: list[ContactRef]
    level: str | None
    now: dt.datetime
    console_url: str = ""


@dataclasses.dataclass
class SendResult:
    outcome: Outcome
    answer: dict[str, Any] = dataclasses.field(default_factory=dict)
    error: str | None = None
    retry_after: float | None = None  # seconds, when the channel says how long to wait


class Channel:
    """Base class: a configured channel bound to its resolved connection."""

    type: ClassVar[str]
    # Safe to resend after an unknown outcome (the receiver deduplicates by idempotency key).
    idempotent: ClassVar[bool] = False

    def __init__(self, spec: ChannelSpec, conn: Connection) -> None:
        self.spec = spec
        self.conn = conn
        self.timeout = spec.timeout.as_timedelta().total_seconds()

    def send(self, message: Message) -> SendResult:
        raise NotImplementedError

    # -- HTTP helpers -----------------------------------------------------------------------------

    def post(self, url: str, body: bytes, headers: dict[str, str],
             on_timeout: Outcome | None = None) -> tuple[int, Any, SendResult | None]:
        """POST; returns (status, parsed JSON or None, a SendResult when the transport failed).

        A failure before the request was written (connect, pool or write) is ``retryable`` for every
        channel; one after it (no answer in time, the connection reset while waiting) is
        ``on_timeout``: by default ``unknown``, or ``retryable`` for an idempotent channel."""
        after_sending: Outcome = on_timeout or ("retryable" if self.idempotent else "unknown")
        try:
            with httpx.Client(timeout=self.timeout, follow_redirects=False, trust_env=False, verify=_tls()) as client:
                resp = client.post(url, content=body, headers=headers)
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout, httpx.WriteTimeout,
                httpx.WriteError) as exc:
            # The request never reached the receiver whole: safe to retry for every channel.
            return 0, None, SendResult("retryable", error=f"not sent: {type(exc).__name__}")
        except httpx.TimeoutException as exc:
            return 0, None, SendResult(after_sending, error=f"timeout: {type(exc).__name__}")
        except httpx.HTTPError as exc:
            return 0, None, SendResult(after_sending, error=f"transport error: {type(exc).__name__}")
        try:
            data = resp.json()
        except ValueError:
            data = None
        return resp.status_code, data, None

    @staticmethod
    def http_failure(status: int, data: Any) -> SendResult | None:
        """The outcome for a non-200 status, or None when the body must be read."""
        if status == 200:
            return None
        answer = {"http_status": status}
        if isinstance(data, dict):
            answer.update({k: v for k, v in data.items() if k in ("errcode", "errmsg", "code", "msg", "StatusCode")})
        if status in (408, 429) or status >= 500:
            return SendResult("retryable", answer, f"HTTP {status}")
        return SendResult("permanent", answer, f"HTTP {status}")

    def post_robot(self, url: str, payload: dict[str, Any], *, codes: tuple[str, ...], texts: tuple[str, ...],
                   rate_limited: Collection[int], retry_after: float) -> SendResult:
        """POST a group-robot message and read its business code: the robots answer HTTP 200 for
        errors too (bad key, keyword or signature, rate limit), so the status alone proves nothing.
        ``codes``/``texts``: the body fields holding the code and its message, first found wins."""
        status, data, failed = self.post(url, json_body(payload), {"Content-Type": "application/json; charset=utf-8"})
        if failed:
            return failed
        if (bad := self.http_failure(status, data)) is not None:
            return bad
        key = next((k for k in codes if isinstance(data, dict) and k in data), None)
        if key is None:
            return SendResult("retryable", {"http_status": status}, f"answer without {codes[0]}")
        code = int(data[key] or 0)
        text = next((data[k] for k in texts if k in data), None)
        answer = {codes[0]: code, texts[0]: text}
        if code == 0:
            return SendResult("delivered", answer)
        if code in rate_limited:
            return SendResult("retryable", answer, f"{codes[0]} {code}: {text}", retry_after=retry_after)
        return SendResult("permanent", answer, f"{codes[0]} {code}: {text}")


def json_body(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


REGISTRY: dict[str, type[Channel]] = {}


def register(cls: type[Channel]) -> type[Channel]:
    REGISTRY[cls.type] = cls
    return cls


def build(spec: ChannelSpec, resolver: Resolver) -> Channel:
    """The channel for a configured spec; raises ConnectionNotFound when its connection is missing."""
    return REGISTRY[spec.type](spec, resolver(spec.connection))


ChannelFactory = Callable[[ChannelSpec], Channel]

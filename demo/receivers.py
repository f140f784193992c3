"""Real local receivers standing in for the alert channels (tests, the demo and the latency bench).

One threaded HTTP server on ``127.0.0.1`` (port 0) emulates, per docs/channels.md §7:

- WeCom ``POST /cgi-bin/webhook/send?key=KEY``: known key (else 93000), JSON, known ``msgtype``,
  text ≤ 2048 B / markdown ≤ 4096 B, no ``mentioned_*`` outside text, empty → 44004,
  21st message in 60 s → 45009;
- DingTalk ``POST /robot/send?access_token=T&timestamp=&sign=``: unknown token → 300001; with a
  secret, the timestamp within 1 h and the once-decoded ``sign`` recomputed and compared in
  constant time (310000 ``invalid timestamp`` / ``sign not match``); keywords (310000
  ``keywords not in content``); ≤ 20000 B; ``atMobiles`` present as ``@mobile`` (warning);
  21st/min → 130101;
- Feishu ``POST /open-apis/bot/v2/hook/TOKEN``: body ≤ 20 KB, ``timestamp``/``sign`` (19021),
  keywords (19024), ``interactive`` needs a top-level ``card``; > 5/s or > 100/min → 11232;
  answers carry ``code`` and ``StatusCode``;
- an SMS gateway ``POST /sms/send`` (Aliyun-shaped or generic JSON, HMAC-signed body);
- generic webhooks ``POST /webhook/NAME`` (Standard Webhooks signature over the raw body,
  timestamp within 5 min, deduplicated by ``webhook-id``).

Business errors are answered with HTTP 200, as the real robots do. Each robot has a sliding-window
rate limit and a script of failures (``receivers.script(token, ("status", 500), ("status", 500))``
answers 500 twice, then recovers). Every accepted message is recorded.

:meth:`Receivers.start_smtp` adds two aiosmtpd listeners (STARTTLS and implicit TLS) with a
self-signed certificate generated at start-up and AUTH only over TLS. :meth:`Receivers.env_for`
writes the ``AIRFLOW_CONN_*`` values that point the configured channels at these receivers.
"""

from __future__ import annotations

import base64
import collections
import dataclasses
import datetime as dt
import email
import email.policy
import hashlib
import hmac
import json
import logging
import secrets
import socket
import tempfile
import threading
import time
import warnings
from collections.abc import Callable, Iterable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

log = logging.getLogger(__name__)

ScriptStep = tuple[str, Any]  # ("status", 500) | ("code", 45009) | ("sleep", 3.0) | ("accept_slowly", 3.0)

# ("accept_slowly", s): the message is taken (recorded) as usual, then the answer comes s seconds late;
# ("accept_then_reset", None): taken as usual, then the connection is dropped without an answer.
_slow = threading.local()


@dataclasses.dataclass
class Received:
    channel: str  # wecom | dingtalk | feishu | sms | webhook | email
    robot: str  # key / token / webhook name / SMTP listener
    channel_id: str | None
    body: dict[str, Any] | None
    raw: bytes
    headers: dict[str, str]
    at: float
    mail_from: str | None = None
    rcpt_tos: list[str] = dataclasses.field(default_factory=list)
    warnings: list[str] = dataclasses.field(default_factory=list)

    @property
    def text(self) -> str:
        """The human-readable content, whatever the channel's format."""
        b = self.body or {}
        if self.channel == "email":
            msg = self.email()
            parts = [str(msg["Subject"])]
            for part in msg.walk():
                if part.get_content_maintype() == "text":
                    parts.append(part.get_content())
            return "\n".join(parts)
        if self.channel == "wecom":
            return str((b.get(b.get("msgtype", ""), {}) or {}).get("content", ""))
        if self.channel == "dingtalk":
            inner = b.get(b.get("msgtype", ""), {}) or {}
            return f"{inner.get('title', '')}\n{inner.get('text', inner.get('content', ''))}"
        if self.channel == "feishu":
            return json.dumps(b.get("card") or b.get("content"), ensure_ascii=False)
        return json.dumps(b, ensure_ascii=False)

    def email(self) -> Any:
        return email.message_from_bytes(self.raw, policy=email.policy.default)


@dataclasses.dataclass
class Robot:
    channel: str
    token: str
    secret: str | None = None
    keywords: tuple[str, ...] = ()
    limits: tuple[tuple[int, float], ...] = ()  # (messages, seconds) sliding windows
    channel_id: str | None = None
    login: str | None = None  # SMS gateway access key
    provider: str = "aliyun"
    hits: collections.deque[float] = dataclasses.field(default_factory=collections.deque)
    script: collections.deque[ScriptStep] = dataclasses.field(default_factory=collections.deque)
    seen_ids: set[str] = dataclasses.field(default_factory=set)


DEFAULT_LIMITS = {"wecom": ((20, 60.0),), "dingtalk": ((20, 60.0),), "feishu": ((5, 1.0), (100, 60.0)),
                  "sms": (), "webhook": ()}


class Receivers:
    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.robots: dict[tuple[str, str], Robot] = {}
        self.messages: list[Received] = []
        self.rejected: list[tuple[str, str, str]] = []  # (channel, robot, reason)
        self.duplicates: int = 0
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._smtp: list[Any] = []
        self.smtp_login: str | None = None
        self.smtp_password: str | None = None
        self.smtp_ports: dict[str, int] = {}
        self.email_channel_id: str | None = None
        self.cert_file: Path | None = None
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        self._cond = threading.Condition(self.lock)

    # -- lifecycle ----------------------------------------------------------------------------------

    def start(self) -> Receivers:
        handler = _handler_for(self)
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="receivers", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        for controller in self._smtp:
            controller.stop()
        self._smtp.clear()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None

    def __enter__(self) -> Receivers:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        assert self._server is not None, "start() the receivers first"
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def reset(self) -> None:
        """Forget messages, scripts and rate-limit windows (robots stay registered)."""
        with self.lock:
            self.messages.clear()
            self.rejected.clear()
            self.duplicates = 0
            for robot in self.robots.values():
                robot.hits.clear()
                robot.script.clear()
                robot.seen_ids.clear()

    # -- robots -----------------------------------------------------------------------------------

    def add(self, channel: str, token: str | None = None, *, secret: str | None = None,
            keywords: Iterable[str] = (), limits: Iterable[tuple[int, float]] | None = None,
            channel_id: str | None = None, login: str | None = None, provider: str = "aliyun") -> Robot:
        robot = Robot(channel, token or secrets.token_hex(12), secret, tuple(keywords),
                      tuple(limits) if limits is not None else DEFAULT_LIMITS[channel], channel_id, login, provider)
        with self.lock:
            self.robots[(channel, robot.token)] = robot
        return robot

    def robot(self, channel_id: str) -> Robot:
        with self.lock:
            for robot in self.robots.values():
                if robot.channel_id == channel_id:
                    return robot
        raise KeyError(channel_id)

    def script(self, channel_id: str, *steps: ScriptStep) -> None:
        """Queue answers for the next requests to a channel's robot, e.g. ("status", 500), ("code", 45009)."""
        with self.lock:
            self.robot(channel_id).script.extend(steps)

    def received(self, channel_id: str | None = None, channel: str | None = None) -> list[Received]:
        with self.lock:
            return [m for m in self.messages if (channel_id is None or m.channel_id == channel_id)
                    and (channel is None or m.channel == channel)]

    def wait_for(self, predicate: Callable[[Received], bool], timeout: float = 10.0) -> Received | None:
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                for m in self.messages:
                    if predicate(m):
                        return m
                left = deadline - time.monotonic()
                if left <= 0:
                    return None
                self._cond.wait(left)

    def _record(self, item: Received) -> None:
        with self._cond:
            self.messages.append(item)
            self._cond.notify_all()

    def _reject(self, channel: str, token: str, reason: str) -> None:
        with self.lock:
            self.rejected.append((channel, token[:6], reason))

    # -- SMTP -------------------------------------------------------------------------------------

    def start_smtp(self, login: str = "alerts@yuqing.example", password: str | None = None) -> None:
        """STARTTLS and implicit-TLS listeners sharing one self-signed certificate; AUTH over TLS only."""
        from aiosmtpd.controller import Controller
        from aiosmtpd.smtp import AuthResult, LoginPassword

        self.smtp_login, self.smtp_password = login, password or secrets.token_urlsafe(12)
        self._tmp = tempfile.TemporaryDirectory(prefix="yuqing-smtp-")
        cert, key = _self_signed(Path(self._tmp.name))
        self.cert_file = cert
        import ssl

        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.load_cert_chain(cert, key)
        owner = self

        def authenticate(server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any) -> Any:
            ok = (isinstance(auth_data, LoginPassword) and auth_data.login.decode() == owner.smtp_login
                  and auth_data.password.decode() == owner.smtp_password)
            return AuthResult(success=ok, handled=False)

        class Handler:
            def __init__(self, listener: str) -> None:
                self.listener = listener

            async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
                if envelope.mail_from != owner.smtp_login:
                    owner._reject("email", self.listener, "MAIL FROM differs from the login")
                    return "553 sender address must match the authenticated account"
                raw = bytes(envelope.original_content or envelope.content)
                warnings = _check_email(raw)
                if warnings:
                    owner._reject("email", self.listener, "; ".join(warnings))
                    return "554 " + warnings[0]
                owner._record(Received("email", self.listener, owner.email_channel_id, None, raw, {}, time.time(),
                                       mail_from=envelope.mail_from, rcpt_tos=list(envelope.rcpt_tos)))
                return "250 Message accepted for delivery"

        # Implicit TLS looks like plain SMTP to aiosmtpd: it warns that AUTH is allowed "without TLS".
        logging.getLogger("mail.log").setLevel(logging.ERROR)
        warnings.filterwarnings("ignore", message="Requiring AUTH while not requiring TLS")
        starttls = Controller(Handler("starttls"), hostname="127.0.0.1", port=_free_port(), tls_context=ctx,
                              require_starttls=True, authenticator=authenticate, auth_required=True,
                              auth_require_tls=True)
        implicit = Controller(Handler("ssl"), hostname="127.0.0.1", port=_free_port(), ssl_context=ctx,
                              authenticator=authenticate, auth_required=True, auth_require_tls=False)
        for controller in (starttls, implicit):
            controller.start()
            self._smtp.append(controller)
        self.smtp_ports = {"starttls": starttls.port, "ssl": implicit.port}

    # -- connections ------------------------------------------------------------------------------

    def env_for(self, alerts_config: Any, *, prefix: str = "AIRFLOW_CONN_", smtp_mode: str = "ssl",
                email_channel_ids: Iterable[str] | None = None) -> dict[str, str]:
        """Register a robot per configured channel and return the connection variables pointing at it.

        WeCom connections are written in Airflow's URI form, the others in its JSON form (both are
        what ``AIRFLOW_CONN_<ID>`` accepts).
        """
        env: dict[str, str] = {}
        host = self.url
        port = int(host.rsplit(":", 1)[1])
        for ch in alerts_config.channels:
            name = prefix + ch.connection.upper()
            conn: dict[str, Any]
            if ch.type == "wecom":
                robot = self.add("wecom", channel_id=ch.id)
                env[name] = f"http://:{robot.token}@127.0.0.1:{port}"
                continue
            if ch.type == "dingtalk":
                robot = self.add("dingtalk", secret="SEC" + secrets.token_hex(16),
                                 keywords=[ch.keyword] if ch.keyword else (), channel_id=ch.id)
                conn = {"conn_type": "http", "host": host, "password": robot.token, "extra": {"secret": robot.secret}}
            elif ch.type == "feishu":
                robot = self.add("feishu", secret=secrets.token_hex(12), keywords=[ch.keyword] if ch.keyword else (),
                                 channel_id=ch.id)
                conn = {"conn_type": "http", "host": host, "password": robot.token, "extra": {"secret": robot.secret}}
            elif ch.type == "sms":
                robot = self.add("sms", secret=secrets.token_hex(12), login="LTAI" + secrets.token_hex(6),
                                 channel_id=ch.id)
                conn = {"conn_type": "http", "host": host, "login": robot.login, "password": robot.secret,
                        "schema": "sms/send", "extra": {"provider": "aliyun", "sign_name": "舆情监测"}}
            elif ch.type == "webhook":
                raw = secrets.token_bytes(24)
                secret = "whsec_" + base64.b64encode(raw).decode()
                robot = self.add("webhook", token=ch.id, secret=secret, channel_id=ch.id)
                conn = {"conn_type": "http", "host": host, "password": secret, "schema": f"webhook/{ch.id}"}
            elif ch.type == "email":
                if not self.smtp_ports:
                    continue
                mode = smtp_mode
                self.email_channel_id = ch.id
                conn = {"conn_type": "smtp", "host": "127.0.0.1", "port": self.smtp_ports[mode],
                        "login": self.smtp_login, "password": self.smtp_password,
                        "extra": {"security": mode, "ca_file": str(self.cert_file)}}
            else:
                continue
            env[name] = json.dumps(conn, ensure_ascii=False)
        return env


# --- HTTP handling -------------------------------------------------------------------------------


def _handler_for(owner: Receivers) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            return  # request lines carry robot keys: never log them

        def do_GET(self) -> None:
            self._reply(405, {"error": "POST only"})

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            parts = urlsplit(self.path)
            query = parse_qs(parts.query)  # decodes exactly once
            path = parts.path
            _slow.seconds, _slow.reset = 0.0, False
            try:
                if path == "/cgi-bin/webhook/send":
                    status, body = _wecom(owner, query.get("key", [""])[0], raw, self.headers)
                elif path == "/robot/send":
                    status, body = _dingtalk(owner, query, raw, self.headers)
                elif path.startswith("/open-apis/bot/v2/hook/"):
                    status, body = _feishu(owner, path.rsplit("/", 1)[1], raw, self.headers)
                elif path == "/sms/send":
                    status, body = _sms(owner, raw, self.headers)
                elif path.startswith("/webhook/"):
                    status, body = _webhook(owner, path.split("/", 2)[2], raw, self.headers)
                else:
                    status, body = 404, {"error": "not found"}
            except _Sleep as pause:
                time.sleep(pause.seconds)
                status, body = pause.then
            if _slow.seconds:
                time.sleep(_slow.seconds)
            if _slow.reset:
                self.close_connection = True
                self.connection.shutdown(socket.SHUT_RDWR)
                return
            self._reply(status, body)

        def _reply(self, status: int, body: Any) -> None:
            data = json.dumps(body, ensure_ascii=False).encode("utf-8")
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):  # the client gave up (timeout test)
                pass

    return Handler


class _Sleep(Exception):
    def __init__(self, seconds: float, then: tuple[int, Any]) -> None:
        self.seconds, self.then = seconds, then


def _json(raw: bytes, headers: Any) -> dict[str, Any] | None:
    if "application/json" not in (headers.get("Content-Type") or ""):
        return None
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        return None
    return data if isinstance(data, dict) else None


def _blen(text: Any) -> int:
    return len(str(text or "").encode("utf-8"))


class _Gate:
    """Script steps and sliding-window rate limits, shared by every robot type."""

    @staticmethod
    def scripted(robot: Robot, business: Callable[[int], tuple[int, Any]], ok: Callable[[], tuple[int, Any]]
                 ) -> tuple[int, Any] | None:
        if not robot.script:
            return None
        kind, value = robot.script.popleft()
        if kind == "status":
            return int(value), {"error": f"scripted {value}"}
        if kind == "code":
            return business(int(value))
        if kind == "sleep":
            raise _Sleep(float(value), (200, {"slept": value}))
        if kind == "accept_slowly":
            _slow.seconds = float(value)  # handled as usual, answered late (see do_POST)
        if kind == "accept_then_reset":
            _slow.reset = True  # handled as usual, then the connection is dropped without an answer
        return None

    @staticmethod
    def limited(robot: Robot, now: float) -> bool:
        longest = max((window for _, window in robot.limits), default=0.0)
        while robot.hits and robot.hits[0] < now - longest:
            robot.hits.popleft()
        for count, window in robot.limits:
            if sum(1 for t in robot.hits if t >= now - window) >= count:
                return True
        robot.hits.append(now)
        return False


def _err_wecom(code: int, msg: str = "error") -> tuple[int, Any]:
    return 200, {"errcode": code, "errmsg": msg}


def _err_feishu(code: int, msg: str = "error") -> tuple[int, Any]:
    return 200, {"code": code, "msg": msg, "StatusCode": code, "StatusMessage": msg, "data": {}}


def _wecom(self: Receivers, key: str, raw: bytes, headers: Any) -> tuple[int, Any]:
    with self.lock:
        robot = self.robots.get(("wecom", key))
        if robot is None:
            self._reject("wecom", key, "invalid webhook url")
            return _err_wecom(93000, "invalid webhook url")
        if (scripted := _Gate.scripted(robot, _err_wecom, lambda: _err_wecom(0, "ok"))) is not None:
            return scripted
        body = _json(raw, headers)
        if body is None:
            return _err_wecom(40001, "invalid json or content type")
        kind = body.get("msgtype")
        limits = {"text": 2048, "markdown": 4096}
        if kind not in ("text", "markdown", "news", "template_card"):
            return _err_wecom(40008, "invalid message type")
        inner = body.get(kind) or {}
        if kind in limits:
            content = inner.get("content", "")
            if not content:
                return _err_wecom(44004, "empty content")
            if _blen(content) > limits[kind]:
                self._reject("wecom", key, f"{kind} content {_blen(content)} bytes")
                return _err_wecom(40058, f"content exceed max length {limits[kind]}")
            if kind == "markdown" and ("mentioned_list" in inner or "mentioned_mobile_list" in inner):
                return _err_wecom(40058, "mentions only in text")
        if kind == "news" and not 1 <= len(inner.get("articles", [])) <= 8:
            return _err_wecom(40058, "news needs 1-8 articles")
        if _Gate.limited(robot, time.monotonic()):
            self._reject("wecom", key, "rate limited")
            return _err_wecom(45009, "api freq out of limit")
    self._record(Received("wecom", key, robot.channel_id, body, raw, dict(headers), time.time()))
    return _err_wecom(0, "ok")


def _dingtalk(self: Receivers, query: dict[str, list[str]], raw: bytes, headers: Any) -> tuple[int, Any]:
    token = query.get("access_token", [""])[0]
    with self.lock:
        robot = self.robots.get(("dingtalk", token))
        if robot is None:
            return _err_wecom(300001, "token is not exist")
        if (scripted := _Gate.scripted(robot, _err_wecom, lambda: _err_wecom(0, "ok"))) is not None:
            return scripted
        if robot.secret:
            ts, sign = query.get("timestamp", [""])[0], query.get("sign", [""])[0]
            if not ts.isdigit() or abs(int(time.time() * 1000) - int(ts)) > 3_600_000:
                self._reject("dingtalk", token, "invalid timestamp")
                return _err_wecom(310000, "invalid timestamp")
            expected = base64.b64encode(hmac.new(robot.secret.encode(), f"{ts}\n{robot.secret}".encode(),
                                                 hashlib.sha256).digest()).decode()
            if not hmac.compare_digest(expected.encode(), sign.encode()):
                self._reject("dingtalk", token, "sign not match")
                return _err_wecom(310000, "sign not match")
        body = _json(raw, headers)
        if body is None:
            return _err_wecom(40035, "invalid json")
        kind = body.get("msgtype")
        if kind not in ("text", "markdown", "link", "actionCard", "feedCard"):
            return _err_wecom(40035, "invalid msgtype")
        inner = body.get(kind) or {}
        content = " ".join(str(inner.get(k, "")) for k in ("title", "text", "content"))
        if robot.keywords and not any(k in content for k in robot.keywords):
            self._reject("dingtalk", token, "keywords not in content")
            return _err_wecom(310000, "keywords not in content")
        if _blen(content) > 20000:
            return _err_wecom(460101, "message too long, exceed 20000 bytes")
        warnings = [f"@{m} missing from content" for m in (body.get("at") or {}).get("atMobiles", [])
                    if f"@{m}" not in content]
        if _Gate.limited(robot, time.monotonic()):
            self._reject("dingtalk", token, "rate limited")
            return _err_wecom(130101, "send too fast, exceed 20 times per minute")
    self._record(Received("dingtalk", token, robot.channel_id, body, raw, dict(headers), time.time(),
                          warnings=warnings))
    return _err_wecom(0, "ok")


def _feishu(self: Receivers, token: str, raw: bytes, headers: Any) -> tuple[int, Any]:
    with self.lock:
        robot = self.robots.get(("feishu", token))
        if robot is None:
            return _err_feishu(19001, "param invalid: incoming webhook access token invalid")
        if (scripted := _Gate.scripted(robot, _err_feishu, lambda: _err_feishu(0, "success"))) is not None:
            return scripted
        if len(raw) > 20 * 1024:
            return _err_feishu(9499, "Bad Request: body too large")
        body = _json(raw, headers)
        if body is None:
            return _err_feishu(9499, "Bad Request")
        if robot.secret:
            ts = str(body.get("timestamp", ""))
            expected = base64.b64encode(hmac.new(f"{ts}\n{robot.secret}".encode(), b"",
                                                 hashlib.sha256).digest()).decode()
            if (not ts.isdigit() or abs(time.time() - int(ts)) > 3600
                    or not hmac.compare_digest(expected.encode(), str(body.get("sign", "")).encode())):
                self._reject("feishu", token, "sign match fail")
                return _err_feishu(19021, "sign match fail or timestamp is not within one hour from current time")
        kind = body.get("msg_type")
        if kind == "interactive" and not isinstance(body.get("card"), dict):
            return _err_feishu(9499, "Bad Request: card must be top-level")
        if kind not in ("text", "post", "interactive", "share_chat", "image"):
            return _err_feishu(9499, "Bad Request: msg_type")
        content = json.dumps(body.get("card") or body.get("content"), ensure_ascii=False)
        if robot.keywords and not any(k in content for k in robot.keywords):
            return _err_feishu(19024, "Key Words Not Found")
        if _Gate.limited(robot, time.monotonic()):
            self._reject("feishu", token, "rate limited")
            return _err_feishu(11232, "frequency limited")
    self._record(Received("feishu", token, robot.channel_id, body, raw, dict(headers), time.time()))
    return _err_feishu(0, "success")


def _sms(self: Receivers, raw: bytes, headers: Any) -> tuple[int, Any]:
    key = headers.get("x-sms-key") or ""
    with self.lock:
        robot = next((r for r in self.robots.values() if r.channel == "sms" and r.login == key), None)
        if robot is None:
            return 200, {"Code": "InvalidAccessKeyId.NotFound", "Message": "Specified access key is not found."}

        def business(code: int) -> tuple[int, Any]:
            return 200, {"Code": "isv.BUSINESS_LIMIT_CONTROL" if code == 429 else "isv.MOBILE_NUMBER_ILLEGAL",
                         "Message": "scripted"}

        if (scripted := _Gate.scripted(robot, business, lambda: (200, {"Code": "OK"}))) is not None:
            return scripted
        mac = base64.b64encode(hmac.new((robot.secret or "").encode(), raw, hashlib.sha256).digest()).decode()
        if not hmac.compare_digest(mac.encode(), (headers.get("x-sms-signature") or "").encode()):
            return 200, {"Code": "SignatureDoesNotMatch", "Message": "signature does not match"}
        body = _json(raw, headers)
        if body is None or not body.get("PhoneNumbers") or not body.get("TemplateParam"):
            return 200, {"Code": "MissingParameter", "Message": "PhoneNumbers/TemplateParam required"}
        phones = str(body["PhoneNumbers"]).split(",")
        if len(phones) > 1000 or not all(p.isdigit() and len(p) == 11 for p in phones):
            return 200, {"Code": "isv.MOBILE_NUMBER_ILLEGAL", "Message": "illegal mobile number"}
    self._record(Received("sms", key, robot.channel_id, body, raw, dict(headers), time.time()))
    return 200, {"Code": "OK", "Message": "OK", "BizId": secrets.token_hex(8), "RequestId": secrets.token_hex(8)}


def _webhook(self: Receivers, name: str, raw: bytes, headers: Any) -> tuple[int, Any]:
    with self.lock:
        robot = self.robots.get(("webhook", name))
        if robot is None:
            return 404, {"error": "unknown webhook"}
        if (scripted := _Gate.scripted(robot, lambda c: (c, {"error": "scripted"}), lambda: (200, {}))) is not None:
            return scripted
        msg_id, ts = headers.get("webhook-id") or "", headers.get("webhook-timestamp") or ""
        if not msg_id or not ts.isdigit() or abs(time.time() - int(ts)) > 300:
            return 400, {"error": "missing id or timestamp out of tolerance"}
        secret = robot.secret or ""
        key = base64.b64decode(secret.removeprefix("whsec_")) if secret.startswith("whsec_") else secret.encode()
        expected = base64.b64encode(hmac.new(key, f"{msg_id}.{ts}.".encode() + raw, hashlib.sha256).digest()).decode()
        given = [s.split(",", 1)[1] for s in (headers.get("webhook-signature") or "").split() if s.startswith("v1,")]
        if not any(hmac.compare_digest(expected.encode(), g.encode()) for g in given):
            self._reject("webhook", name, "bad signature")
            return 401, {"error": "bad signature"}
        if msg_id in robot.seen_ids:
            self.duplicates += 1
            return 200, {"duplicate": True}
        body = _json(raw, headers)
        if body is None:
            return 400, {"error": "invalid json"}
        robot.seen_ids.add(msg_id)
    self._record(Received("webhook", name, robot.channel_id, body, raw, dict(headers), time.time()))
    return 200, {"ok": True}




# --- SMTP helpers ---------------------------------------------------------------------------------


def _check_email(raw: bytes) -> list[str]:
    """What §7 asks of a message: ASCII encoded-word Subject, UTF-8, Date, Message-ID, lines ≤ 998."""
    problems: list[str] = []
    head = raw.split(b"\r\n\r\n", 1)[0]
    subject_lines = [line for line in head.split(b"\r\n") if line.lower().startswith(b"subject:")]
    if not subject_lines:
        problems.append("no Subject")
    else:
        try:
            head.decode("ascii")
        except UnicodeDecodeError:
            problems.append("raw headers are not ASCII (Subject must be encoded-words)")
    if any(len(line) > 998 for line in raw.split(b"\r\n")):
        problems.append("a line exceeds 998 octets")
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    if not msg["Date"] or not msg["Message-ID"]:
        problems.append("Date and Message-ID are required")
    charsets = {p.get_content_charset() for p in msg.walk() if p.get_content_maintype() == "text"}
    if charsets and charsets != {"utf-8"}:
        problems.append(f"charset {charsets}")
    return problems


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _self_signed(directory: Path) -> tuple[Path, Path]:
    """A throw-away certificate for 127.0.0.1 / localhost, valid for a day."""
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "yuqing-test-smtp")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5)).not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost"),
                                                    x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path

"""The duty console's application factory: pages, JSON API, sessions and security headers.

``create_app(store, config, clock=…, users=…)`` builds a FastAPI app over the same Elasticsearch
data as the pipeline. Nothing here reads the clock or the environment at import time; the CLI
(``yuqing console``) passes the real clock and the users file.
"""

from __future__ import annotations

import datetime as dt
import os
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote

import jinja2
from fastapi import FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.sessions import SessionMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from console import api, deliveries_web, mentions_web, overview_web, reports_web, web
from console.auth import UserDirectory, load_users, session_secret
from console.context import Context, LoginRequired
from yuqing import clock as yclock
from yuqing import labels
from yuqing.clock import TZ
from yuqing.config import Config
from yuqing.errors import StorageUnavailable
from yuqing.storage import Store

HERE = Path(__file__).resolve().parent

# Scripts and styles only from this origin: even if some text escaped escaping, it could not run.
SECURITY_HEADERS = [
    (b"content-security-policy", b"default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                                 b"object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"same-origin"),
]


class SecurityHeaders:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {k.lower() for k, _ in headers}
                headers.extend((k, v) for k, v in SECURITY_HEADERS if k not in present)
                if scope["path"] != "/openapi.json" and not scope["path"].startswith("/static/"):
                    headers.append((b"cache-control", b"no-store"))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


class SecureCookies:
    """Marks every cookie ``Secure`` when the request came over HTTPS — served with TLS directly, or
    through a trusted reverse proxy that says so (``X-Forwarded-Proto: https``) — or always, when the
    console is told it is behind TLS (``YUQING_CONSOLE_TLS=1``)."""

    def __init__(self, app: ASGIApp, *, always: bool = False) -> None:
        self.app = app
        self.always = always

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not (self.always or scope.get("scheme") == "https"):
            await self.app(scope, receive, send)
            return

        async def send_secure(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [
                    (k, v + b"; secure" if k.lower() == b"set-cookie" and not _has_secure(v) else v)
                    for k, v in message.get("headers", [])
                ]
            await send(message)

        await self.app(scope, receive, send_secure)


def _has_secure(cookie: bytes) -> bool:
    return any(part.strip().lower() == b"secure" for part in cookie.split(b";")[1:])


def tls_settings() -> tuple[bool, list[str]]:
    """From the environment: ``YUQING_CONSOLE_TLS`` (1/true: always behind TLS, cookies always
    Secure) and ``YUQING_CONSOLE_TRUSTED_PROXIES`` (comma-separated proxy addresses whose
    ``X-Forwarded-Proto`` / ``X-Forwarded-For`` are believed)."""
    always = os.environ.get("YUQING_CONSOLE_TLS", "").strip().lower() in ("1", "true", "yes", "on")
    proxies = [p.strip() for p in os.environ.get("YUQING_CONSOLE_TRUSTED_PROXIES", "").split(",") if p.strip()]
    return always, proxies


def _ts(value: dt.datetime | str | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    if value is None or value == "":
        return "—"
    parsed = yclock.parse_ts(value) if isinstance(value, str) else value.astimezone(TZ)
    return parsed.strftime(fmt) if parsed else "—"


def safe_url(url: str | None) -> str:
    """Only http(s) links are rendered as links; ``javascript:`` and the like become inert."""
    if url and url.strip().lower().startswith(("http://", "https://")):
        return url.strip()
    return "#"


def show(value: Any) -> str:
    """A plain-text rendering of a stored value (lists joined, no Python reprs)."""
    if isinstance(value, list | tuple | set):
        return "、".join(show(v) for v in value) or "—"
    if isinstance(value, dict):
        return "；".join(f"{k}：{show(v)}" for k, v in value.items()) or "—"
    return "—" if value is None or value == "" else str(value)


@jinja2.pass_context
def _zh(tctx: Any, code: Any, kind: str, default: str = "—") -> str:
    """``{{ value|zh("state") }}``: the Chinese name of a code (:func:`yuqing.labels.name`)."""
    context = tctx.get("ctx")
    return labels.name(kind, code, context.config if context is not None else None, default)


@jinja2.pass_context
def _actor(tctx: Any, actor_id: str | None) -> str:
    """``{{ event.actor|actor }}``: a person by their display name, a system component by what it does."""
    if not actor_id:
        return "—"
    context = tctx.get("ctx")
    return context.person(actor_id) if context is not None else labels.actor(actor_id)


def templates() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(HERE / "templates"),
        autoescape=True,  # every template, whatever its name: crawled text is always escaped
        trim_blocks=True, lstrip_blocks=True, auto_reload=False,
    )
    env.filters["ts"] = _ts
    env.filters["pct"] = lambda v: f"{float(v or 0):.0%}"
    env.filters["safe_url"] = safe_url
    env.filters["show"] = show
    env.filters["zh"] = _zh
    env.filters["actor"] = _actor
    env.filters["excerpt"] = lambda text, n=300: (text or "")[:n] + ("…" if len(text or "") > n else "")
    return env


def create_app(store: Store, config: Config, *, clock: Callable[[], dt.datetime] = yclock.now,
               users: UserDirectory | None = None, secret: str | None = None,
               reports_dir: Path | None = None, behind_tls: bool | None = None,
               trusted_proxies: list[str] | None = None) -> FastAPI:
    """The console app. ``secret`` signs the session cookie (default ``YUQING_CONSOLE_SECRET``, else a
    random key: sessions then end with the process). ``behind_tls`` / ``trusted_proxies`` default to
    :func:`tls_settings`."""
    if reports_dir is None:
        from yuqing.paths import var_dir

        reports_dir = var_dir() / "reports"
    # No Swagger UI: it loads its scripts from a CDN. The description stays at /openapi.json.
    app = FastAPI(title="Yuqing Watch 舆情值班台 API", version="1", docs_url=None, redoc_url=None,
                  description="Duty console API. Sign in with POST /api/session; send X-CSRF-Token on every POST.")
    app.state.ctx = Context(store=store, config=config, clock=clock,
                            users=users if users is not None else load_users(), reports_dir=reports_dir)
    app.state.templates = templates()
    app.include_router(api.router)
    app.include_router(web.router)
    app.include_router(deliveries_web.router)
    mentions_web.register(app)  # mentions: search, stream, grouping, exports (after web: /mentions/failed first)
    app.include_router(overview_web.router)  # 舆情概览, 单位统计 (the spread path is on the incident page)
    app.include_router(reports_web.router)
    app.state.templates.globals["may_special_report"] = reports_web.may_write_special_report
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    env_tls, env_proxies = tls_settings()
    max_age = int(config.console.sessions.max_age.as_timedelta().total_seconds())
    app.add_middleware(SessionMiddleware, secret_key=secret or session_secret() or secrets.token_urlsafe(32),
                       session_cookie="yuqing_console", max_age=max_age, same_site="lax", https_only=False)
    app.add_middleware(SecureCookies, always=env_tls if behind_tls is None else behind_tls)
    app.add_middleware(SecurityHeaders)
    proxies = env_proxies if trusted_proxies is None else trusted_proxies
    if proxies:  # outermost: the scheme and client address are fixed before anything reads them
        from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

        app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=proxies)

    @app.exception_handler(LoginRequired)
    async def _login_required(request: Request, exc: LoginRequired) -> Response:
        return RedirectResponse("/login?next=" + quote(exc.next_url, safe=""), status_code=303)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if request.url.path.startswith("/api") or request.url.path == "/openapi.json":
            return JSONResponse({"detail": exc.detail}, status_code=exc.status_code, headers=exc.headers)
        titles = {401: "未登录", 403: "无权访问", 404: "未找到"}
        return web.render(request, "error.html", status_code=exc.status_code,
                          title=titles.get(exc.status_code, "请求无法完成"), message=str(exc.detail))

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> Response:
        if request.url.path.startswith("/api"):
            return JSONResponse({"detail": _jsonable(exc.errors())}, status_code=422)
        return web.render(request, "error.html", status_code=422, title="请求无效", message="提交的内容格式不正确。")

    @app.exception_handler(StorageUnavailable)
    async def _storage(request: Request, exc: StorageUnavailable) -> Response:
        if request.url.path.startswith("/api"):
            return JSONResponse({"detail": "数据存储暂时无法访问"}, status_code=503)
        return web.storage_unavailable_page(request, exc)

    return app


def _jsonable(errors: Any) -> Any:
    return [{k: (str(v) if k == "ctx" else v) for k, v in e.items() if k != "input"} for e in errors]


__all__ = ["HTTPException", "create_app"]

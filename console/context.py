"""What every request handler needs: the store, configuration, clock, users, and the session rules.

Sessions are Starlette's signed cookies (itsdangerous); the session holds only the user name and a
CSRF token. Every POST, form or API, must carry that token (form field ``csrf_token`` or header
``X-CSRF-Token``); the comparison is constant-time.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hmac
import logging
import secrets
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from fastapi import HTTPException, Request

from console import queries
from console.auth import User, UserDirectory, can_view
from yuqing import places
from yuqing.config import Config
from yuqing.models import Incident
from yuqing.storage import Store

log = logging.getLogger(__name__)


@dataclasses.dataclass
class Context:
    store: Store
    config: Config
    clock: Callable[[], dt.datetime]
    users: UserDirectory
    reports_dir: Path
    # Runs a page's independent Elasticsearch reads side by side (the client is thread-safe).
    pool: ThreadPoolExecutor = dataclasses.field(
        default_factory=lambda: ThreadPoolExecutor(max_workers=8, thread_name_prefix="console-read"))

    def office_name(self, office_id: str | None) -> str:
        return places.office_name(self.config.offices, office_id)

    def place_name(self, code: str | None) -> str:
        return places.place_name(self.config.offices, code, "—")

    def priority_name(self, pid: str) -> str:
        return self.config.priorities.name_of(pid)


class LoginRequired(Exception):
    """Raised by page handlers when no one is signed in (answered by a redirect to /login)."""

    def __init__(self, next_url: str) -> None:
        self.next_url = next_url


def ctx(request: Request) -> Context:
    context: Context = request.app.state.ctx
    return context


def session_user(request: Request) -> User | None:
    name = request.session.get("user")
    if not isinstance(name, str):
        return None
    # Looked up on every request: removing a user from the file ends their sessions.
    return ctx(request).users.get(name)


def page_user(request: Request) -> User:
    user = session_user(request)
    if user is None:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise LoginRequired(target)
    return user


def api_user(request: Request) -> User:
    user = session_user(request)
    if user is None:
        raise HTTPException(status_code=401, detail="未登录")
    return user


def csrf_token(request: Request) -> str:
    token = request.session.get("csrf")
    if not isinstance(token, str) or not token:
        token = secrets.token_urlsafe(32)
        request.session["csrf"] = token
    return token


def check_csrf(request: Request, supplied: str | None) -> None:
    expected = request.session.get("csrf")
    supplied = supplied or request.headers.get("x-csrf-token") or ""
    if not isinstance(expected, str) or not expected or not hmac.compare_digest(expected, supplied):
        raise HTTPException(status_code=403, detail="CSRF 校验失败，请刷新页面后重试")


def incident_for(request: Request, user: User, incident_id: str) -> Incident:
    """The incident a user may see: 404 when unknown, 403 when another office's (enforced on the server
    for pages and API alike)."""
    incident = queries.get_incident(ctx(request).store, incident_id)
    if incident is None:
        raise HTTPException(status_code=404, detail="未找到该舆情事件")
    if not can_view(user, incident):
        log.warning("console: %s denied incident %s", user.name, incident_id)
        raise HTTPException(status_code=403, detail="无权查看该舆情事件（不属于本单位）")
    return incident


def delivery_for(request: Request, user: User, delivery_id: str) -> dict[str, object]:
    """The delivery a user may acknowledge: 404 when unknown, 403 when another office's (server-side)."""
    doc = ctx(request).store.get("deliveries", delivery_id)
    if doc is None:
        raise HTTPException(status_code=404, detail="未找到该提醒")
    if not user.sees_everything and doc.get("office") != user.office:
        raise HTTPException(status_code=403, detail="无权确认该提醒")
    return doc


def flash(request: Request, kind: str, text: str) -> None:
    messages = list(request.session.get("flash", []))
    messages.append([kind, text])
    request.session["flash"] = messages[-5:]


def pop_flash(request: Request) -> list[list[str]]:
    return list(request.session.pop("flash", []))

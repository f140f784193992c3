"""What every request handler needs: the store, configuration, clock, users, and the session rules.

The session cookie is Starlette's signed cookie (itsdangerous) holding only a random session id and
a CSRF token; the session itself lives in Elasticsearch (:mod:`console.sessions`), so it can be
revoked server-side. Every POST, form or API, must carry the CSRF token (form field ``csrf_token``
or header ``X-CSRF-Token``); the comparison is constant-time. Sign-in goes through
:func:`sign_in` for the form and the API alike (limits per account and address, logged failures).
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

from console import queries, sessions
from console.auth import User, UserDirectory, can_view
from yuqing import labels, places
from yuqing.config import Config
from yuqing.errors import StorageUnavailable
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

    def person(self, actor: str) -> str:
        """Who did something, as users read it: a console user's display name, a system component's
        Chinese name (``system:router`` → 系统自动分派), else the name as recorded."""
        if actor.startswith("system:"):
            return labels.actor(actor)
        user = self.users.get(actor)
        return user.label if user is not None else actor


class LoginRequired(Exception):
    """Raised by page handlers when no one is signed in (answered by a redirect to /login)."""

    def __init__(self, next_url: str) -> None:
        self.next_url = next_url


def ctx(request: Request) -> Context:
    context: Context = request.app.state.ctx
    return context


_UNSET = object()


def client_address(request: Request) -> str:
    """The client's address (the proxy's forwarded one when the console trusts that proxy)."""
    return request.client.host if request.client else "unknown"


def session_user(request: Request) -> User | None:
    """The signed-in user: a live server-side session, a user who still exists, the same password."""
    cached = getattr(request.state, "console_user", _UNSET)
    if cached is not _UNSET:
        return cached  # type: ignore[return-value]
    user = _session_lookup(request)
    request.state.console_user = user
    return user


def _session_lookup(request: Request) -> User | None:
    session_id = request.session.get("sid")
    if not isinstance(session_id, str) or not session_id:
        return None
    context = ctx(request)
    owner = sessions.session_owner(context.store, session_id, now=context.clock())
    if owner is None:
        return None
    name, tag = owner
    context.users.reload_if_changed()
    user = context.users.get(name)
    if user is None or sessions.password_tag(user) != tag:
        return None  # removed, or the password changed since this session began
    return user


def session_user_or_none(request: Request) -> User | None:
    """For error pages: the user if the session can be read, else None (storage may be the error)."""
    try:
        return session_user(request)
    except StorageUnavailable:
        return None


class SignInRefused(Exception):
    """Sign-in refused: wrong name or password (401) or too many failures (429, with ``retry_after``)."""

    def __init__(self, status: int, message: str, retry_after: int | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.retry_after = retry_after


def sign_in(request: Request, name: str, password: str) -> User:
    """Check the sign-in limits and the password, then open a server-side session (form and API)."""
    context = ctx(request)
    now = context.clock()
    address = client_address(request)
    account = name.strip()[:100]
    lock = sessions.check_locked(context.store, account=account, address=address, now=now)
    if lock is not None:
        log.warning("console sign-in refused while locked: account=%r address=%s", account, address)
        raise SignInRefused(429, lock.message_zh(now), _seconds(lock.until - now))
    context.users.reload_if_changed()
    user = context.users.authenticate(account, password)
    if user is None:
        lock = sessions.record_failure(context.store, context.config.console, account=account, address=address,
                                       now=now)
        if lock is not None:
            raise SignInRefused(429, "用户名或密码错误。" + lock.message_zh(now), _seconds(lock.until - now))
        raise SignInRefused(401, "用户名或密码错误")
    sessions.record_success(context.store, account=account)
    request.session.clear()
    request.session["sid"] = sessions.open_session(context.store, context.config.console, user, now=now,
                                                   address=address)
    request.state.console_user = user
    log.info("console sign-in: %s (%s) from %s", user.name, user.role, address)
    return user


def sign_out(request: Request) -> None:
    """End the session server-side (a copied cookie stops working) and clear the cookie."""
    session_id = request.session.get("sid")
    if isinstance(session_id, str) and session_id:
        context = ctx(request)
        sessions.revoke_session(context.store, session_id, now=context.clock(), reason="sign_out")
    request.session.clear()
    request.state.console_user = None


def _seconds(delta: dt.timedelta) -> int:
    return max(1, int(delta.total_seconds() + 0.999))


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


def report_file_for(request: Request, user: User, path: str) -> Path:
    """A report file a user may download: 404 when it is not a file under the reports directory,
    and the visibility of the incident it reports on (:func:`incident_for`, 403 for another office's).
    Daily reports and office statistics are for every signed-in user (as on the reports page); a file
    no stored report claims is for those who see everything only."""
    context = ctx(request)
    base = context.reports_dir.resolve()
    if "\x00" in path:
        raise HTTPException(status_code=404, detail="未找到该报告文件")
    try:
        target = (base / path).resolve()
        found = target.is_relative_to(base) and target.is_file()
    except (OSError, ValueError):
        found = False
    if not found:
        raise HTTPException(status_code=404, detail="未找到该报告文件")
    report = _report_owning(context, base, target)
    if report is None:
        if not user.sees_everything:
            log.warning("console: %s denied report file %s (no report claims it)", user.name, path)
            raise HTTPException(status_code=403, detail="无权查看该报告文件")
    elif report.get("report_type") in ("incident", "assessment"):
        incident_for(request, user, str(report.get("subject")))
    return target


def _report_owning(context: Context, base: Path, target: Path) -> dict[str, object] | None:
    """The stored report whose files include ``target``: by the id its file name gives, else by a scan."""
    from reports.api import report_id_for_file

    def claims(doc: dict[str, object]) -> bool:
        files = doc.get("files")
        if not isinstance(files, dict):
            return False
        for value in files.values():
            p = Path(str(value))
            try:
                if (p if p.is_absolute() else base / p).resolve() == target:
                    return True
            except (OSError, ValueError):
                continue
        return False

    rid = report_id_for_file(target.name)
    if rid is not None:
        doc = context.store.get("reports", rid)
        if doc is not None and claims(doc):
            return doc
    return next((d for d in context.store.scan("reports", None, source=["id", "report_type", "subject", "files"])
                 if claims(d)), None)


def delivery_for(request: Request, user: User, delivery_id: str) -> dict[str, object]:
    """The delivery a user may acknowledge: 404 when unknown, 403 when another office's (server-side)."""
    doc = ctx(request).store.get("deliveries", delivery_id)
    if doc is None:
        raise HTTPException(status_code=404, detail="未找到该提醒")
    if not user.sees_everything and doc.get("office") != user.office:
        raise HTTPException(status_code=403, detail="无权确认该提醒")
    return doc


# A user's own acknowledgements, remembered in the signed session cookie for a while: lists built by
# search (open reminders) exclude them and the incident page re-reads them by id (realtime), so the
# page after 确认 shows it done although no index refresh was waited for. Acknowledging is final, so
# excluding an acknowledged id is right for any length of time; the bound keeps the cookie small.
RECENT_ACKS = 20
RECENT_ACK_SECONDS = 300


def remember_acks(request: Request, delivery_ids: list[str], *, now: dt.datetime) -> None:
    at = int(now.timestamp())
    kept = [[i, t] for i, t in request.session.get("acked", [])
            if at - int(t) < RECENT_ACK_SECONDS and i not in delivery_ids]
    request.session["acked"] = (kept + [[i, at] for i in delivery_ids])[-RECENT_ACKS:]


def recent_acks(request: Request, *, now: dt.datetime) -> list[str]:
    """The ids of the deliveries this user acknowledged in the last few minutes."""
    at = int(now.timestamp())
    return [str(i) for i, t in request.session.get("acked", []) if at - int(t) < RECENT_ACK_SECONDS]


def flash(request: Request, kind: str, text: str) -> None:
    messages = list(request.session.get("flash", []))
    messages.append([kind, text])
    request.session["flash"] = messages[-5:]


def pop_flash(request: Request) -> list[list[str]]:
    return list(request.session.pop("flash", []))

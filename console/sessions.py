"""Server-side sessions and sign-in limits, kept in Elasticsearch (shared by every console process).

**Sessions.** The signed cookie holds only a random session id (and the CSRF token); the session
itself is a ``console_sessions`` document under a digest of that id. A request is signed in only
while that document exists, is not revoked, has not expired, names a user who still exists, and
carries the tag of the password that user had at sign-in. So signing out, changing a user's
password and removing a user end the session everywhere, even for a copied cookie.

**Sign-in limits.** Failed sign-ins are counted per account and per client address in
``sign_in_attempts`` (ids ``account:<name>`` / ``address:<ip>``, updated with conditional writes so
several console processes count together, and kept across restarts). After the configured number of
free attempts a key is locked; each further failure doubles the lock up to the configured maximum.
While locked, sign-in is refused without checking the password. A success clears the account's
count (never the address's: one valid account must not reset an attacker's address).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import logging
import secrets
from typing import Any

from console.auth import User
from yuqing.clock import iso, parse_ts
from yuqing.config.console import ConsoleConfig
from yuqing.errors import StorageUnavailable
from yuqing.storage import ConflictError, Store

log = logging.getLogger(__name__)

SESSIONS = "console_sessions"
ATTEMPTS = "sign_in_attempts"


def _digest(session_id: str) -> str:
    return hashlib.sha256(session_id.encode("utf-8")).hexdigest()


def password_tag(user: User) -> str:
    """A short fingerprint of the user's current password hash: changes when the password changes."""
    return hashlib.sha256(user.password_hash.encode("utf-8")).hexdigest()[:16]


# -- sessions --------------------------------------------------------------------------------------


def open_session(store: Store, config: ConsoleConfig, user: User, *, now: dt.datetime, address: str) -> str:
    """Record a new session for ``user``; returns the session id the cookie carries."""
    session_id = secrets.token_urlsafe(32)
    doc_id = _digest(session_id)
    doc = {"id": doc_id, "user": user.name, "created_at": iso(now),
           "expires_at": iso(now + config.sessions.max_age.as_timedelta()), "password_tag": password_tag(user),
           "address": address}
    store.put(SESSIONS, doc_id, doc, refresh=True)
    return session_id


def session_owner(store: Store, session_id: str, *, now: dt.datetime) -> tuple[str, str] | None:
    """(user name, password tag) of a live session, or None when unknown, revoked or expired."""
    doc = store.get(SESSIONS, _digest(session_id))
    if doc is None or doc.get("revoked_at"):
        return None
    expires = parse_ts(doc.get("expires_at"))
    if expires is None or expires <= now:
        return None
    return str(doc.get("user")), str(doc.get("password_tag"))


def revoke_session(store: Store, session_id: str, *, now: dt.datetime, reason: str) -> None:
    """End one session (sign-out): its cookie, wherever it was copied, no longer signs anyone in."""
    if store.get(SESSIONS, _digest(session_id)) is not None:
        store.update(SESSIONS, _digest(session_id), {"revoked_at": iso(now), "revoked_reason": reason},
                     upsert=False, refresh=True)


def revoke_user_sessions(store: Store, user_name: str, *, now: dt.datetime, reason: str) -> int:
    """Revoke every live session of ``user_name`` (password changed, user removed); returns how many."""
    store.refresh(SESSIONS)
    live = store.find(SESSIONS, {"bool": {"filter": [{"term": {"user": user_name}}],
                                          "must_not": [{"exists": {"field": "revoked_at"}}]}}, size=10000)
    if live:
        store.bulk(SESSIONS, [(d["id"], {"revoked_at": iso(now), "revoked_reason": reason}) for d in live],
                   op="update", refresh=True)
    return len(live)


# -- sign-in limits --------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Locked:
    """Sign-in is refused until ``until`` (for the account or the address)."""

    until: dt.datetime
    scope: str  # account | address

    def message_zh(self, now: dt.datetime) -> str:
        minutes = max(1, -(-int((self.until - now).total_seconds()) // 60))
        what = "该账号" if self.scope == "account" else "本机地址"
        return f"{what}登录失败次数过多，已暂时锁定，请 {minutes} 分钟后再试。"


def _attempt_id(scope: str, key: str) -> str:
    return f"{scope}:{key}"[:512]


def check_locked(store: Store, *, account: str, address: str, now: dt.datetime) -> Locked | None:
    """The lock in force for this account or address, if any (the later one wins)."""
    docs = store.mget(ATTEMPTS, [_attempt_id("account", account), _attempt_id("address", address)])
    locks = []
    for doc in docs.values():
        until = parse_ts(doc.get("locked_until"))
        if until is not None and until > now:
            locks.append(Locked(until, str(doc.get("scope"))))
    return max(locks, key=lambda lock: lock.until) if locks else None


def _lock_for(config: ConsoleConfig, scope: str, failures: int) -> dt.timedelta | None:
    rules = config.sign_in
    free = rules.account_free_attempts if scope == "account" else rules.address_free_attempts
    if failures < free:
        return None
    lock = rules.lockout.as_timedelta() * (2 ** min(failures - free, 30))
    return min(lock, rules.max_lockout.as_timedelta())


def _count_failure(store: Store, config: ConsoleConfig, scope: str, key: str, now: dt.datetime) -> dict[str, Any]:
    doc_id = _attempt_id(scope, key)
    window = config.sign_in.window.as_timedelta()
    for _ in range(10):  # conditional write: another console process may count at the same time
        found = store.get_versioned(ATTEMPTS, doc_id)
        doc: dict[str, Any]
        if found is None:
            doc, seq = {"id": doc_id, "scope": scope, "key": key, "failures": 0}, None
        else:
            doc, seq_no, term = found
            seq = (seq_no, term)
        last = max((t for t in (parse_ts(doc.get("last_failure_at")), parse_ts(doc.get("locked_until"))) if t),
                   default=None)
        if last is None or now - last > window:  # quiet for a whole window: start afresh
            doc.update(failures=0, first_failure_at=iso(now), locked_until=None)
        doc["failures"] = int(doc.get("failures") or 0) + 1
        doc["last_failure_at"] = iso(now)
        lock = _lock_for(config, scope, doc["failures"])
        doc["locked_until"] = iso(now + lock) if lock else None
        try:
            if seq is None:
                if not store.create(ATTEMPTS, doc_id, doc, refresh=True):
                    continue
            else:
                store.put(ATTEMPTS, doc_id, doc, refresh=True, if_seq_no=seq[0], if_primary_term=seq[1])
        except ConflictError:
            continue
        return doc
    raise StorageUnavailable(f"could not record a failed sign-in for {scope} {key!r}: too many concurrent writers")


def record_failure(store: Store, config: ConsoleConfig, *, account: str, address: str,
                   now: dt.datetime) -> Locked | None:
    """Count a wrong password for the account and the address; log it; return the lock it caused."""
    by_account = _count_failure(store, config, "account", account, now)
    by_address = _count_failure(store, config, "address", address, now)
    log.warning("console sign-in failed: account=%r address=%s (failures: account %d, address %d)",
                account, address, by_account["failures"], by_address["failures"])
    locks = [Locked(t, scope) for scope, doc in (("account", by_account), ("address", by_address))
             if (t := parse_ts(doc.get("locked_until"))) is not None and t > now]
    return max(locks, key=lambda lock: lock.until) if locks else None


def record_success(store: Store, *, account: str) -> None:
    doc_id = _attempt_id("account", account)
    if store.get(ATTEMPTS, doc_id) is not None:
        store.update(ATTEMPTS, doc_id, {"failures": 0, "locked_until": None}, upsert=False, refresh=True)


__all__ = ["Locked", "check_locked", "open_session", "password_tag", "record_failure", "record_success",
           "revoke_session", "revoke_user_sessions", "session_owner"]

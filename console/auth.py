"""Console users, roles and what each role may see and do.

Users live in a JSON file named by ``YUQING_CONSOLE_USERS`` (default ``var/console/users.json``),
never in the repository. Passwords are stored only as salted scrypt hashes
(``scrypt$n$r$p$salt$hash``); ``yuqing console user add`` writes them. Tests and the demo build a
:class:`UserDirectory` in code.

Roles: ``duty_officer`` (舆情值班员) and ``administrator`` (管理员) see and act on everything;
``leader`` (领导) reads everything and may escalate; ``office_staff`` (处置单位工作人员) is bound to
one office and sees and acts only on incidents that office owns (or supports, read-only). The
server enforces these rules for pages and the API alike.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import hmac
import json
import os
import secrets
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, Literal

from yuqing.errors import InputError
from yuqing.models import Incident

Role = Literal["duty_officer", "office_staff", "leader", "administrator"]
ROLES: tuple[Role, ...] = ("duty_officer", "office_staff", "leader", "administrator")
ROLE_ZH = {"duty_officer": "舆情值班员", "office_staff": "处置单位工作人员", "leader": "领导",
           "administrator": "管理员"}

# Incident actions each role may take (the response lifecycle then decides whether the state allows it).
ROLE_ACTIONS: dict[str, frozenset[str]] = {
    # waive_clock: excuse a missed or running deadline, with a reason — the duty desk's call, never the
    # office that owes it.
    # regroup: open an incident from a mention, attach a mention, merge and split incidents — which
    # incident (so which office and deadlines) a report belongs to is the duty desk's call.
    "duty_officer": frozenset({"acknowledge", "assign", "reassign", "start_response", "record_release",
                               "escalate", "dismiss", "close", "waive_clock", "regroup"}),
    "administrator": frozenset({"acknowledge", "assign", "reassign", "start_response", "record_release",
                                "escalate", "dismiss", "close", "waive_clock", "regroup"}),
    "office_staff": frozenset({"acknowledge", "start_response", "record_release", "close"}),
    "leader": frozenset({"escalate"}),
}

_SCRYPT_N, _SCRYPT_R, _SCRYPT_P = 2**14, 8, 1


def hash_password(password: str, *, salt: bytes | None = None) -> str:
    """A salted scrypt hash in the form ``scrypt$n$r$p$salt$hash`` (base64 parts)."""
    if not password:
        raise InputError("密码不能为空")
    salt = salt or secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode("utf-8"), salt=salt, n=_SCRYPT_N, r=_SCRYPT_R, p=_SCRYPT_P,
                            dklen=32)
    b64 = base64.b64encode
    return f"scrypt${_SCRYPT_N}${_SCRYPT_R}${_SCRYPT_P}${b64(salt).decode()}${b64(digest).decode()}"


def verify_password(password: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        expected = base64.b64decode(digest)
        got = hashlib.scrypt(password.encode("utf-8"), salt=base64.b64decode(salt), n=int(n), r=int(r),
                             p=int(p), dklen=len(expected))
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(got, expected)


@dataclasses.dataclass(frozen=True)
class User:
    name: str
    role: Role
    password_hash: str = dataclasses.field(repr=False)
    office: str | None = None  # required for office_staff
    display_name: str = ""

    def __post_init__(self) -> None:
        if self.role not in ROLES:
            raise InputError(f"用户 {self.name}：未知角色 {self.role!r}")
        if self.role == "office_staff" and not self.office:
            raise InputError(f"用户 {self.name}：处置单位工作人员必须绑定单位（office）")

    @property
    def label(self) -> str:
        return self.display_name or self.name

    @property
    def role_zh(self) -> str:
        return ROLE_ZH[self.role]

    @property
    def sees_everything(self) -> bool:
        return self.role != "office_staff"

    def may(self, action: str) -> bool:
        return action in ROLE_ACTIONS[self.role]

    def to_doc(self) -> dict[str, Any]:
        doc: dict[str, Any] = {"name": self.name, "role": self.role, "password_hash": self.password_hash}
        if self.office:
            doc["office"] = self.office
        if self.display_name:
            doc["display_name"] = self.display_name
        return doc


def owner_office(incident: Incident | Mapping[str, Any]) -> str | None:
    """The office that currently answers for the incident: the reassigned office, else the routed lead."""
    if isinstance(incident, Incident):
        return incident.assigned_office or (incident.routing.lead_office if incident.routing else None)
    routing = incident.get("routing") or {}
    return incident.get("assigned_office") or routing.get("lead_office")


def can_view(user: User, incident: Incident) -> bool:
    if user.sees_everything:
        return True
    if owner_office(incident) == user.office:
        return True
    # Every office routing names (配合, 通报, 会商) reads the incident it was told about.
    return bool(incident.routing and user.office and set(incident.routing.roles_of(user.office)) - {"lead"})


def can_act(user: User, incident: Incident, action: str) -> bool:
    if not user.may(action):
        return False
    return user.sees_everything or owner_office(incident) == user.office


def office_query(office: str, *, include_supporting: bool = True) -> dict[str, Any]:
    """An ES filter for the incidents an office owns (and, optionally, supports)."""
    should: list[dict[str, Any]] = [
        {"term": {"assigned_office": office}},
        {"bool": {"must": [{"term": {"routing.lead_office": office}}],
                  "must_not": [{"exists": {"field": "assigned_office"}}]}},
    ]
    if include_supporting:  # and every other office routing names (通报, 会商): they read it
        should += [{"term": {"routing.supporting_offices": office}}, {"term": {"routing.notify": office}},
                   {"bool": {"filter": [{"term": {"routing.consultation": True}},
                                        {"term": {"routing.consultation_offices": office}}]}}]
    return {"bool": {"should": should, "minimum_should_match": 1}}


class UserDirectory:
    """The known users by name. Built in code, or read from the users file."""

    def __init__(self, users: Iterable[User] = (), *, path: Path | None = None) -> None:
        self._users = {u.name: u for u in users}
        self._path = path
        self._stamp = _stamp(path) if path is not None else None

    def reload_if_changed(self) -> None:
        """Re-read the users file when it changed (``yuqing console user add|remove`` by another
        process): a removed user or a changed password takes effect without a restart."""
        if self._path is None:
            return
        stamp = _stamp(self._path)
        if stamp != self._stamp:
            self._users = {u.name: u for u in UserDirectory.from_file(self._path)}
            self._stamp = stamp

    def __len__(self) -> int:
        return len(self._users)

    def __iter__(self) -> Any:
        return iter(self._users.values())

    def get(self, name: str) -> User | None:
        return self._users.get(name)

    def add(self, user: User) -> None:
        self._users[user.name] = user

    def authenticate(self, name: str, password: str) -> User | None:
        user = self._users.get(name)
        if user is None:
            # Spend the same time as a real check so a wrong name is not told apart from a wrong password.
            verify_password(password, _DUMMY_HASH)
            return None
        return user if verify_password(password, user.password_hash) else None

    @classmethod
    def from_file(cls, path: Path) -> UserDirectory:
        if not path.exists():
            return cls(path=path)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            return cls((User(**item) for item in data.get("users", [])), path=path)
        except (ValueError, TypeError) as exc:
            raise InputError(f"{path}: 用户文件无效：{exc}") from exc

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps({"users": [u.to_doc() for u in self._users.values()]}, ensure_ascii=False,
                                  indent=2), encoding="utf-8")
        os.chmod(tmp, 0o600)
        tmp.replace(path)


def _stamp(path: Path) -> tuple[int, int] | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return st.st_mtime_ns, st.st_size


_DUMMY_HASH = "scrypt$16384$8$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="


def users_file() -> Path:
    from yuqing.paths import var_dir

    env = os.environ.get("YUQING_CONSOLE_USERS")
    return Path(env) if env else var_dir() / "console" / "users.json"


def load_users() -> UserDirectory:
    return UserDirectory.from_file(users_file())


SECRET_ENV = "YUQING_CONSOLE_SECRET"
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})


def session_secret() -> str | None:
    """``YUQING_CONSOLE_SECRET`` (the key that signs session cookies), or None when unset."""
    return os.environ.get(SECRET_ENV) or None


def is_local_run(host: str) -> bool:
    """A local run: the console listens on loopback only and uses the local Elasticsearch node
    (no ``ES_URL``). Production (a reachable address or a remote cluster) is never local."""
    return host.strip("[]") in LOOPBACK_HOSTS and not os.environ.get("ES_URL")


def require_secret(host: str) -> str:
    """The session secret for ``yuqing console``: from the environment; a local run may go without one
    (a random key, so its sessions end with the process); anything else refuses to start."""
    secret = session_secret()
    if secret:
        if len(secret) < 16:
            raise InputError(f"{SECRET_ENV} is too short (at least 16 characters; "
                             "e.g. python -c 'import secrets; print(secrets.token_urlsafe(32))')")
        return secret
    if is_local_run(host):
        return secrets.token_urlsafe(32)
    raise InputError(f"{SECRET_ENV} is not set: the console signs its session cookies with it and will not start "
                     f"on {host} without one (only a local run — loopback address and the local Elasticsearch "
                     "node — may go without). Set it, e.g. to the output of "
                     "python -c 'import secrets; print(secrets.token_urlsafe(32))'")

"""Authenticated Elasticsearch: the project's roles, its users, and credentials in URLs.

One place for everything security-related about the cluster, used by the local node
(``yuqing es start``), the test and benchmark nodes (:func:`yuqing.esnode.scratch_node`), and a
production deployment or rehearsal:

- **Roles** (:data:`TASKS_ROLE`, :data:`CONSOLE_ROLE`) are defined once, in the package data file
  ``yuqing/data/es_roles.yaml``, and rendered for a deployment's index prefixes by
  :func:`role_definitions` (file realm ``roles.yml``, or the body of ``PUT _security/role/<name>``).
  Tasks (crawls, analysis, routing, alerts, reports, retention) manage and write the indices
  under the prefix; the console reads and writes documents but cannot create, delete or remap
  indices or templates.
- **Users** live in the node's file realm: :func:`write_file_realm` writes ``roles.yml`` and runs
  the distribution's own ``bin/elasticsearch-users useradd`` against the node's ``ES_PATH_CONF``
  (every node of a cluster needs the same files). The file realm needs no running node, so a
  node starts already secured.
- **Credentials travel in the URL** (``http://user:password@host:port``, several hosts
  comma-separated), because a URL is what every client of the project already passes around —
  down to the crawl child processes. :func:`with_credentials` adds them, :func:`redact` masks
  the password wherever a URL is shown or logged.

HTTP without TLS is acceptable only on loopback (local node, tests); production puts TLS on the
HTTP layer (``xpack.security.http.ssl.*``) or a TLS-terminating proxy in front — see
``docs/operations.md``.
"""

from __future__ import annotations

import dataclasses
import os
import secrets
import shutil
import subprocess
from collections.abc import Iterable, Mapping, Sequence
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote, urlsplit, urlunsplit

import yaml

from yuqing.errors import NodeError

TASKS_ROLE = "yuqing_tasks"
CONSOLE_ROLE = "yuqing_console"
ADMIN_ROLE = "superuser"  # Elasticsearch's built-in role, for the operator's own account only

#: The users a node managed by the project gets, by what they are for.
TASKS_USER = "yuqing_tasks"
CONSOLE_USER = "yuqing_console"
ADMIN_USER = "yuqing_admin"

#: Purpose → (user name, role). ``tasks`` is what every command and Airflow task uses.
ACCOUNTS: dict[str, tuple[str, str]] = {
    "tasks": (TASKS_USER, TASKS_ROLE),
    "console": (CONSOLE_USER, CONSOLE_ROLE),
    "admin": (ADMIN_USER, ADMIN_ROLE),
}

PREFIX_TOKEN = "<prefix>"
#: The index prefixes of a development node (tests and the demo use many prefixes on one node).
ANY_PREFIX = ("*",)

# Settings that turn security on for a node (HTTP without TLS: loopback only). Setting
# ``xpack.security.enabled`` explicitly also stops the distribution from auto-configuring TLS.
NODE_SETTINGS: dict[str, str] = {
    "xpack.security.enabled": "true",
    "xpack.security.autoconfiguration.enabled": "false",
    "xpack.security.enrollment.enabled": "false",
    "xpack.security.http.ssl.enabled": "false",
    "xpack.security.transport.ssl.enabled": "false",
}


@dataclasses.dataclass(frozen=True)
class Account:
    """One Elasticsearch user of the project."""

    user: str
    password: str = dataclasses.field(repr=False)
    role: str


def role_file_text() -> str:
    """The shipped role definitions, unrendered (``<prefix>`` placeholders)."""
    return resources.files("yuqing").joinpath("data/es_roles.yaml").read_text(encoding="utf-8")


def role_definitions(prefixes: Sequence[str]) -> dict[str, dict[str, Any]]:
    """The project's roles with ``<prefix>-*`` expanded to one index pattern per prefix.

    The result is what ``roles.yml`` holds, and each value is a valid body for
    ``PUT _security/role/<name>``.
    """
    if not prefixes:
        raise ValueError("at least one index prefix is needed")
    roles: dict[str, dict[str, Any]] = yaml.safe_load(role_file_text())
    for body in roles.values():
        for entry in body.get("indices", []):
            names: list[str] = []
            for name in entry["names"]:
                if PREFIX_TOKEN in name:
                    names.extend(name.replace(PREFIX_TOKEN, p) for p in prefixes)
                else:
                    names.append(name)
            entry["names"] = list(dict.fromkeys(names))
    return roles


def new_accounts(purposes: Iterable[str] = ("tasks", "console", "admin")) -> dict[str, Account]:
    """Accounts with fresh random passwords, by purpose (see :data:`ACCOUNTS`)."""
    out = {}
    for purpose in purposes:
        user, role = ACCOUNTS[purpose]
        out[purpose] = Account(user=user, password=secrets.token_urlsafe(18), role=role)
    return out


def write_file_realm(conf_dir: Path, accounts: Mapping[str, Account], *, prefixes: Sequence[str],
                     es_home: Path, java_home: Path | None = None) -> None:
    """Write the project's roles into ``conf_dir/roles.yml`` and (re)create ``accounts`` in the
    file realm with ``bin/elasticsearch-users`` run against ``conf_dir`` as ``ES_PATH_CONF``.

    Replaces any users and roles the file realm had, so running it again converges. A running
    node picks the files up within seconds (the file realm watches them).
    """
    write_roles(conf_dir, prefixes)
    add_users(conf_dir, accounts, es_home=es_home, java_home=java_home)


def write_roles(conf_dir: Path, prefixes: Sequence[str]) -> None:
    """Write the project's roles for ``prefixes`` into ``conf_dir/roles.yml``."""
    (Path(conf_dir) / "roles.yml").write_text(
        "# Written by yuqing.essecurity from yuqing/data/es_roles.yaml; do not edit here.\n"
        + yaml.safe_dump(role_definitions(prefixes), sort_keys=True, allow_unicode=True),
        encoding="utf-8",
    )


def add_users(conf_dir: Path, accounts: Mapping[str, Account], *, es_home: Path,
              java_home: Path | None = None, replace: bool = True) -> None:
    """Put ``accounts`` in the file realm in ``conf_dir`` (``bin/elasticsearch-users``; one JVM
    start per account, seconds each), replacing the users it had unless ``replace=False``."""
    conf_dir = Path(conf_dir)
    for name in ("users", "users_roles"):
        if replace or not (conf_dir / name).exists():
            (conf_dir / name).write_text("", encoding="utf-8")
    tool = Path(es_home) / "bin" / "elasticsearch-users"
    if not tool.exists():
        raise NodeError(f"{tool} not found: this Elasticsearch distribution has no file realm tool")
    env = {"ES_PATH_CONF": str(conf_dir), "PATH": os.environ.get("PATH", "/usr/bin:/bin")}
    if java_home is not None:
        env["ES_JAVA_HOME"] = str(java_home)
    env["ES_JAVA_OPTS"] = "-Xms64m -Xmx128m -XX:TieredStopAtLevel=1"
    for account in accounts.values():
        # The password goes on the command line of a short-lived local process only; it is never
        # logged, and a failure message below shows the tool's output, not the command.
        proc = subprocess.run(
            [str(tool), "useradd", account.user, "-p", account.password, "-r", account.role],
            capture_output=True, text=True, env=env, timeout=180, check=False,
        )
        if proc.returncode != 0:
            raise NodeError(f"elasticsearch-users could not add {account.user!r} in {conf_dir}: "
                            f"{(proc.stdout + proc.stderr).strip()[-600:]}")


def node_settings() -> dict[str, str]:
    """The ``-E`` settings that make a node secured (file and native realms, HTTP without TLS)."""
    return dict(NODE_SETTINGS)


# -- credentials in URLs ------------------------------------------------------------------------


def split_urls(url: str) -> list[str]:
    """``ES_URL`` may list several nodes, comma-separated."""
    return [u.strip() for u in url.split(",") if u.strip()]


def with_credentials(url: str, user: str | None, password: str | None) -> str:
    """``url`` (one or several, comma-separated) with ``user:password`` in each host that has none."""
    if not user:
        return url
    auth = quote(user, safe="") + (":" + quote(password, safe="") if password else "")
    out = []
    for one in split_urls(url):
        parts = urlsplit(one if "://" in one else f"http://{one}")
        if parts.username is None:
            parts = parts._replace(netloc=f"{auth}@{parts.netloc}")
        out.append(urlunsplit(parts))
    return ",".join(out)


def credentials(url: str) -> tuple[str | None, str | None]:
    """The user and password in the first host of ``url`` (None when there are none)."""
    urls = split_urls(url)
    if not urls:
        return None, None
    parts = urlsplit(urls[0])
    return (unquote(parts.username) if parts.username else None,
            unquote(parts.password) if parts.password else None)


def without_credentials(url: str) -> str:
    out = []
    for one in split_urls(url):
        parts = urlsplit(one)
        if parts.username is not None or parts.password is not None:
            parts = parts._replace(netloc=parts.netloc.rsplit("@", 1)[1])
        out.append(urlunsplit(parts))
    return ",".join(out)


def redact(url: str) -> str:
    """``url`` with every password replaced by ``***`` (the user name stays: it says who connects)."""
    out = []
    for one in split_urls(url):
        parts = urlsplit(one)
        if parts.password is not None:
            host = parts.netloc.rsplit("@", 1)[1]
            parts = parts._replace(netloc=f"{parts.username}:***@{host}")
        out.append(urlunsplit(parts))
    return ",".join(out)


def es_home_tool_available(es_home: Path) -> bool:
    """Whether this distribution can run a secured node (security module and the users tool)."""
    return (es_home / "bin" / "elasticsearch-users").exists() and (es_home / "modules" / "x-pack-security").is_dir()


REALM_FILES = ("roles.yml", "users", "users_roles")


def copy_realm_files(src_conf: Path, dest_conf: Path, names: Sequence[str] = REALM_FILES) -> None:
    """Copy the file realm (users, roles) from one node's config to another's (every node of a
    cluster must have the same files)."""
    for name in names:
        shutil.copy2(Path(src_conf) / name, Path(dest_conf) / name)

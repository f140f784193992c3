"""Named connections: where endpoints and secrets live (never in the repository or the YAML).

A connection id (e.g. ``yuqing_duty_wecom``) resolves to host / login / password / port / schema /
extra, read from the environment the way Airflow defines connections:

- ``AIRFLOW_CONN_<ID>`` (upper case), in Airflow's URI form
  ``conn-type://login:password@host:port/schema?key=value`` (or ``?__extra__=<json>``), or its JSON
  form ``{"conn_type": …, "host": …, "login": …, "password": …, "port": …, "schema": …, "extra": {…}}``;
- ``YUQING_CONN_<ID>``, the same two forms, for deployments without Airflow.

``AIRFLOW_CONN_`` wins when both are set. Airflow is never imported here: a DAG that wants the
Airflow metadata database or a secrets backend passes its own resolver callable (see
:func:`from_object`, which accepts an ``airflow.models.Connection``).
"""

from __future__ import annotations

import dataclasses
import json
import os
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from yuqing.errors import YuqingError

EXTRA_KEY = "__extra__"


class ConnectionNotFound(YuqingError):
    """No connection with this id is defined (neither AIRFLOW_CONN_<ID> nor YUQING_CONN_<ID>)."""

    kind_zh = "连接配置有误"


@dataclasses.dataclass(frozen=True)
class Connection:
    conn_id: str
    conn_type: str | None = None
    host: str | None = None
    login: str | None = None
    password: str | None = dataclasses.field(default=None, repr=False)
    port: int | None = None
    schema: str | None = None
    extra: Mapping[str, Any] = dataclasses.field(default_factory=dict, repr=False)

    def base_url(self, default_scheme: str = "https") -> str:
        """``scheme://host[:port]`` for HTTP channels.

        The host may carry its own scheme (Airflow's "host with protocol", e.g.
        ``http://http%3A%2F%2F127.0.0.1``, or ``"host": "http://127.0.0.1"`` in JSON); otherwise
        ``extra.scheme`` or an ``http``/``https`` conn type chooses it.
        """
        host = (self.host or "").rstrip("/")
        if not host:
            raise ConnectionNotFound(f"connection {self.conn_id!r} has no host")
        if "://" in host:
            scheme, rest = host.split("://", 1)
        else:
            scheme = str(self.extra.get("scheme") or (self.conn_type if self.conn_type in ("http", "https")
                                                      else default_scheme))
            rest = host
        if self.port and ":" not in rest.split("/", 1)[0]:
            netloc, _, path = rest.partition("/")
            rest = f"{netloc}:{self.port}" + (f"/{path}" if path else "")
        return f"{scheme}://{rest}"

    def describe(self) -> str:
        """A loggable description: never the password, the query string or the path (they hold keys)."""
        host = (self.host or "?").split("://")[-1].split("/")[0]
        return f"{self.conn_id} ({self.conn_type or '?'} {host}{':' + str(self.port) if self.port else ''})"


Resolver = Callable[[str], Connection]


def _env_name(prefix: str, conn_id: str) -> str:
    return prefix + conn_id.upper()


def _parse_netloc_to_hostname(parts: Any) -> str:
    # Same as Airflow: a hostname containing "/" (an encoded URL) is taken verbatim from the netloc.
    hostname = unquote(parts.hostname or "")
    if "/" in hostname:
        hostname = parts.netloc
        if "@" in hostname:
            hostname = hostname.rsplit("@", 1)[1]
        if ":" in hostname:
            hostname = hostname.split(":", 1)[0]
        hostname = unquote(hostname)
    return hostname


def parse_uri(conn_id: str, uri: str) -> Connection:
    """Airflow's URI form, parsed as ``airflow.models.Connection`` does."""
    schemes = uri.count("://")
    if schemes == 0 or schemes > 2:
        raise ConnectionNotFound(f"connection {conn_id!r}: not a connection URI")
    host_with_protocol = schemes == 2
    conn_type = urlsplit(uri).scheme
    rest = uri.replace(f"{conn_type}://", "" if host_with_protocol else "//", 1)
    if host_with_protocol:
        head = rest.split("://", 1)[0]
        if "@" in head or ":" in head:
            raise ConnectionNotFound(f"connection {conn_id!r}: invalid connection URI")
    parts = urlsplit(rest)
    protocol = parts.scheme if host_with_protocol else None
    host = _parse_netloc_to_hostname(parts)
    extra: dict[str, Any] = {}
    if parts.query:
        query = dict(parse_qsl(parts.query, keep_blank_values=True))
        if EXTRA_KEY in query:
            loaded = json.loads(query[EXTRA_KEY])
            extra = loaded if isinstance(loaded, dict) else {}
        else:
            extra = query
    try:
        port = parts.port
    except ValueError as exc:
        raise ConnectionNotFound(f"connection {conn_id!r}: invalid port") from exc
    return Connection(
        conn_id=conn_id,
        conn_type=conn_type.replace("-", "_"),
        host=f"{protocol}://{host}" if protocol else host,
        login=unquote(parts.username) if parts.username else parts.username,
        password=unquote(parts.password) if parts.password else parts.password,
        port=port,
        schema=unquote(parts.path[1:]) if parts.path[1:] else None,
        extra=extra,
    )


def parse_json(conn_id: str, text: str) -> Connection:
    """Airflow's JSON form (``conn_type``, ``host``, ``login``, ``password``, ``port``, ``schema``, ``extra``)."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConnectionNotFound(f"connection {conn_id!r}: invalid JSON") from exc
    if not isinstance(data, dict):
        raise ConnectionNotFound(f"connection {conn_id!r}: JSON form must be an object")
    extra = data.get("extra") or {}
    if isinstance(extra, str):
        extra = json.loads(extra) if extra.strip() else {}
    port = data.get("port")
    return Connection(
        conn_id=conn_id, conn_type=data.get("conn_type"), host=data.get("host"), login=data.get("login"),
        password=data.get("password"), port=int(port) if port not in (None, "") else None,
        schema=data.get("schema") or None, extra=dict(extra),
    )


def parse(conn_id: str, value: str) -> Connection:
    """A connection from an environment value in either form."""
    value = value.strip()
    return parse_json(conn_id, value) if value.startswith("{") else parse_uri(conn_id, value)


def env_resolver(env: Mapping[str, str] | None = None) -> Resolver:
    """A resolver reading ``AIRFLOW_CONN_<ID>`` then ``YUQING_CONN_<ID>`` from ``env`` (default os.environ)."""

    def resolve(conn_id: str) -> Connection:
        source = os.environ if env is None else env
        for prefix in ("AIRFLOW_CONN_", "YUQING_CONN_"):
            value = source.get(_env_name(prefix, conn_id))
            if value:
                return parse(conn_id, value)
        raise ConnectionNotFound(
            f"connection {conn_id!r} is not defined: set AIRFLOW_CONN_{conn_id.upper()} or "
            f"YUQING_CONN_{conn_id.upper()} (URI or JSON form), or add it in Airflow"
        )

    return resolve


def resolve(conn_id: str) -> Connection:
    """Resolve from the process environment."""
    return env_resolver()(conn_id)


def from_object(conn_id: str, obj: Any) -> Connection:
    """Adapt an object with Airflow's connection attributes (``host``, ``login``, ``extra_dejson``…)."""
    extra = getattr(obj, "extra_dejson", None)
    if extra is None:
        raw = getattr(obj, "extra", None) or {}
        extra = json.loads(raw) if isinstance(raw, str) and raw else (raw if isinstance(raw, dict) else {})
    return Connection(
        conn_id=conn_id, conn_type=getattr(obj, "conn_type", None), host=getattr(obj, "host", None),
        login=getattr(obj, "login", None), password=getattr(obj, "password", None),
        port=getattr(obj, "port", None), schema=getattr(obj, "schema", None) or None, extra=dict(extra),
    )


def to_json(conn: Connection) -> str:
    """The JSON form of a connection (what ``AIRFLOW_CONN_<ID>`` accepts)."""
    data = {"conn_type": conn.conn_type, "host": conn.host, "login": conn.login, "password": conn.password,
            "port": conn.port, "schema": conn.schema, "extra": dict(conn.extra)}
    return json.dumps({k: v for k, v in data.items() if v not in (None, {}, "")}, ensure_ascii=False)

"""The local Elasticsearch node the project manages itself (``yuqing es start | stop | status``).

Elastic publishes a runnable node on Maven Central
(``org.elasticsearch.distribution.integ-test-zip:elasticsearch``). We fetch it once with Maven,
unpack it where an unprivileged user can read it, and run it single-node on 127.0.0.1 with a small
heap. Elasticsearch refuses to run as root, so as root we create a system user for it and start it
with ``runuser``. Each named node keeps its own config, data, logs and tmp directories, so the demo
node and a test session's node never share state.

Every node starts with security on (file realm, the project's least-privilege roles: see
:mod:`yuqing.essecurity`); its accounts are kept with the node, in ``<node_dir>/credentials.json``.
A node's state (pid, URL) is kept with the node too, and an index of known nodes under
``/tmp/yuqing-es-nodes-<uid>/`` maps names to node directories without depending on any
environment variable, so whoever started a node can stop it whatever the environment says later.

With ``ES_URL`` set, none of this is used: every command talks to that cluster instead.
"""

from __future__ import annotations

import base64
import contextlib
import dataclasses
import json
import logging
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from yuqing import essecurity
from yuqing.errors import NodeError
from yuqing.paths import PROJECT_ROOT, cache_dir

if TYPE_CHECKING:
    from yuqing.connections import Resolver

log = logging.getLogger(__name__)

ES_VERSION = os.environ.get("YUQING_ES_VERSION", "8.19.7")
ES_ARTIFACT = "org.elasticsearch.distribution.integ-test-zip:elasticsearch:{version}:zip"
ES_USER = os.environ.get("YUQING_ES_USER", "yuqing-es")
DEFAULT_PORT = 9200
HEAP = os.environ.get("YUQING_ES_HEAP", "512m")
START_TIMEOUT_S = 180.0
ES_CONNECTION = "yuqing_es"  # the connection naming a production cluster (see configured_url)


@dataclasses.dataclass(frozen=True)
class NodeInfo:
    """A node this project started. ``url`` carries no credentials (safe to print); a client
    connects with :meth:`client_url`."""

    name: str
    url: str
    pid: int
    node_dir: str
    secured: bool = False
    accounts: dict[str, dict[str, str]] = dataclasses.field(default_factory=dict, repr=False)

    def client_url(self, purpose: str = "tasks") -> str:
        """The URL with the credentials of the account for ``purpose`` (tasks, console, admin)."""
        if not self.secured:
            return self.url
        account = self.accounts.get(purpose)
        if account is None:
            raise NodeError(f"node {self.name!r} has no {purpose!r} account (known: {', '.join(self.accounts)})")
        return essecurity.with_credentials(self.url, account["user"], account["password"])

    def auth(self, purpose: str = "admin") -> tuple[str, str] | None:
        account = self.accounts.get(purpose) if self.secured else None
        return (account["user"], account["password"]) if account else None


def _is_root() -> bool:
    return os.geteuid() == 0


def _install_root() -> Path:
    """Where the unpacked distribution and node directories live.

    As root this must be a path every user can traverse (not under ``/root``), because the node
    runs as ``ES_USER``.
    """
    if env := os.environ.get("YUQING_ES_ROOT"):
        return Path(env)
    if _is_root():
        return Path("/opt/yuqing")
    return cache_dir() / "es"


STATE_FILE = "yuqing-node.json"  # in the node's directory: pid and URL while it runs
CREDENTIALS_FILE = "credentials.json"  # in the node's directory: its accounts (mode 0600), kept across restarts


def _registry_dir() -> Path:
    """The index of known nodes: name → node directory.

    Deliberately independent of every environment variable (``YUQING_VAR``, ``YUQING_CACHE``…),
    so whoever started a node can stop it whatever the environment says later.
    """
    path = Path("/tmp") / f"yuqing-es-nodes-{os.geteuid()}"
    path.mkdir(mode=0o700, exist_ok=True)
    if path.stat().st_uid != os.geteuid():
        raise NodeError(f"{path} belongs to another user; remove it")
    return path


def _legacy_state_file(name: str) -> Path:
    """Where earlier versions kept a node's state (under ``YUQING_VAR``): still read, never written."""
    return Path(os.environ.get("YUQING_VAR", PROJECT_ROOT / "var")) / "es" / f"{name}.json"


def find_java_home() -> Path:
    """A JDK that can run ES 8.19 (Java 17 or newer)."""
    candidates: list[Path] = []
    for var in ("ES_JAVA_HOME", "JAVA_HOME"):
        if os.environ.get(var):
            candidates.append(Path(os.environ[var]))
    jvm = Path("/usr/lib/jvm")
    if jvm.is_dir():
        candidates.extend(sorted(p for p in jvm.iterdir() if p.is_dir() and not p.is_symlink()))
    java = shutil.which("java")
    if java:
        candidates.append(Path(os.path.realpath(java)).parent.parent)
    for home in candidates:
        exe = home / "bin" / "java"
        if exe.exists() and _java_major(exe) >= 17:
            return home
    raise NodeError(
        "no Java 17+ found (looked at ES_JAVA_HOME, JAVA_HOME, /usr/lib/jvm and PATH); "
        "install one, e.g. `apt-get install openjdk-17-jre-headless`"
    )


def _java_major(exe: Path) -> int:
    try:
        out = subprocess.run([str(exe), "-version"], capture_output=True, text=True, timeout=30).stderr
    except (OSError, subprocess.TimeoutExpired):
        return 0
    for token in out.split():
        token = token.strip('"')
        if token[:1].isdigit():
            head = token.split(".")[0]
            return int(head) if head.isdigit() else 0
    return 0


def fetch_distribution(version: str = ES_VERSION) -> Path:
    """Download (once) and unpack the node; return its home directory."""
    home = _install_root() / f"elasticsearch-{version}"
    if (home / "bin" / "elasticsearch").exists():
        return home
    zip_dir = cache_dir() / "maven"
    zip_dir.mkdir(parents=True, exist_ok=True)
    zip_path = zip_dir / f"elasticsearch-{version}.zip"
    if not zip_path.exists():
        mvn = shutil.which("mvn")
        if not mvn:
            raise NodeError("Maven (`mvn`) is needed to fetch Elasticsearch once; `apt-get install maven`")
        log.info("fetching Elasticsearch %s from Maven Central", version)
        cmd = [
            mvn, "-q", "-B",
            "org.apache.maven.plugins:maven-dependency-plugin:3.8.1:copy",
            f"-Dartifact={ES_ARTIFACT.format(version=version)}",
            f"-DoutputDirectory={zip_dir}",
        ]
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=900)
        if proc.returncode != 0 or not zip_path.exists():
            raise NodeError(f"Maven could not fetch Elasticsearch {version}: {proc.stdout[-800:]}{proc.stderr[-800:]}")
    home.parent.mkdir(parents=True, exist_ok=True)
    tmp = home.parent / f".unpack-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    with zipfile.ZipFile(zip_path) as zf:
        zf.extractall(tmp)
    unpacked = tmp / f"elasticsearch-{version}"
    for exe in (unpacked / "bin").iterdir():
        exe.chmod(0o755)
    for sub in unpacked.rglob("*"):
        # zipfile drops the executable bits of the bundled native helpers and the launcher scripts.
        if sub.is_file() and sub.parent.name == "bin":
            sub.chmod(0o755)
    os.chmod(unpacked, 0o755)
    if _is_root():
        subprocess.run(["chmod", "-R", "a+rX", str(unpacked)], check=True)
    try:
        unpacked.rename(home)
    except OSError:
        if not (home / "bin" / "elasticsearch").exists():  # not a concurrent unpack that won the race
            raise
    shutil.rmtree(tmp, ignore_errors=True)
    return home


def _ensure_user() -> None:
    if not _is_root():
        return
    if subprocess.run(["id", ES_USER], capture_output=True).returncode == 0:
        return
    proc = subprocess.run(
        ["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", ES_USER],
        capture_output=True, text=True,
    )
    if proc.returncode != 0:
        raise NodeError(f"could not create the system user {ES_USER!r} to run Elasticsearch: {proc.stderr}")


def port_free(port: int) -> bool:
    """Whether nothing listens on ``port`` of 127.0.0.1 (the node manager, cluster and rehearsal ask)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _probe(url: str, auth: tuple[str, str] | None = None, timeout: float = 5.0) -> tuple[int | None, dict | None]:
    """``GET /_cluster/health`` on the first node of ``url`` that answers: (HTTP status, body).

    Credentials come from ``auth`` or from the URL's userinfo; the status is None when nothing
    answers, 401/403 when the node answers but refuses the credentials.
    """
    last: tuple[int | None, dict | None] = (None, None)
    for one in essecurity.split_urls(url):
        user, password = essecurity.credentials(one)
        creds = auth or ((user, password or "") if user else None)
        request = urllib.request.Request(essecurity.without_credentials(one).rstrip("/") + "/_cluster/health")
        if creds:
            token = base64.b64encode(f"{creds[0]}:{creds[1]}".encode()).decode()
            request.add_header("Authorization", f"Basic {token}")
        try:
            with urllib.request.urlopen(request, timeout=timeout) as resp:
                return resp.status, json.loads(resp.read())
        except urllib.error.HTTPError as exc:
            last = (exc.code, None)
        except (urllib.error.URLError, OSError, ValueError):
            continue
    return last


def _health(url: str, auth: tuple[str, str] | None = None, timeout: float = 5.0) -> dict | None:
    code, body = _probe(url, auth, timeout)
    return body if code == 200 else None


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _is_node_process(pid: int, node_dir: str) -> bool:
    """Whether ``pid`` is still this node's Elasticsearch (not a process that reused the pid)."""
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
    except FileNotFoundError:
        return False
    except OSError:
        return True  # no /proc to look at: trust the pid
    return "elasticsearch" in cmdline and (not node_dir or node_dir in cmdline)


def _read_info(path: Path) -> NodeInfo | None:
    try:
        return NodeInfo(**json.loads(path.read_text()))
    except (OSError, ValueError, TypeError):
        return None


def read_state(name: str = "default") -> NodeInfo | None:
    """The named node as recorded when it started (None when no such node is known)."""
    entry = _registry_dir() / f"{name}.json"
    if entry.exists():
        try:
            node_dir = Path(json.loads(entry.read_text())["node_dir"])
        except (OSError, ValueError, KeyError, TypeError):
            node_dir = None
        if node_dir is not None and (info := _read_info(node_dir / STATE_FILE)) is not None:
            return info
    legacy = _legacy_state_file(name)
    return _read_info(legacy) if legacy.exists() else None


def _write_private(path: Path, data: dict) -> None:
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        json.dump(data, fh)
    os.replace(tmp, path)


def _accounts(node_dir: Path, conf: Path, home: Path, java_home: Path) -> dict[str, dict[str, str]]:
    """The node's accounts: kept from an earlier start when its file realm still has them, else
    created (roles for any index prefix: a development node serves the demo and many test prefixes)."""
    path = node_dir / CREDENTIALS_FILE
    users_file = conf / "users"
    if path.exists() and users_file.exists():
        try:
            known = json.loads(path.read_text())
        except ValueError:
            known = {}
        users = {line.split(":", 1)[0] for line in users_file.read_text().splitlines() if ":" in line}
        if known and all(a.get("user") in users for a in known.values()):
            return dict(known)
    realm, accounts = _dev_realm(home, java_home)
    essecurity.copy_realm_files(realm, conf, ("users", "users_roles"))
    essecurity.write_roles(conf, essecurity.ANY_PREFIX)
    _write_private(path, accounts)
    return accounts


def _dev_realm(home: Path, java_home: Path) -> tuple[Path, dict[str, dict[str, str]]]:
    """The file-realm users every development node (local, test, benchmark) of this machine gets.

    ``bin/elasticsearch-users`` starts a JVM per account (10+ s each on a loaded machine), so the
    users are made once and kept, with their random passwords (mode 0600), under the install
    root; each node copies them. Production clusters make their own (see docs/operations.md).
    """
    root = _install_root() / "realm"
    final = root / f"elasticsearch-{ES_VERSION}"
    creds = final / CREDENTIALS_FILE
    if not creds.exists():
        root.mkdir(parents=True, exist_ok=True)
        os.chmod(root, 0o700)
        tmp = Path(tempfile.mkdtemp(prefix=".realm-", dir=root))
        fresh = essecurity.new_accounts()
        essecurity.add_users(tmp, fresh, es_home=home, java_home=java_home)
        _write_private(tmp / CREDENTIALS_FILE, {p: {"user": a.user, "password": a.password} for p, a in fresh.items()})
        try:
            tmp.rename(final)
        except OSError:  # another process made it first: use theirs
            shutil.rmtree(tmp, ignore_errors=True)
    return final, dict(json.loads(creds.read_text()))


def start(name: str = "default", port: int | None = DEFAULT_PORT, node_dir: Path | None = None,
          timeout: float = START_TIMEOUT_S, secured: bool = True) -> NodeInfo:
    """Start the named node (or return it if already running) and wait for yellow health.

    ``port=None`` lets the node pick a free port (used by the test session). The node runs with
    security on (file realm; see :mod:`yuqing.essecurity`) unless ``secured=False``; its accounts
    are in ``<node_dir>/credentials.json`` and in the returned :class:`NodeInfo`.
    """
    existing = read_state(name)
    if existing and _pid_alive(existing.pid) and _health(existing.url, existing.auth()):
        return existing
    if port is not None and not port_free(port):
        raise NodeError(
            f"port {port} on 127.0.0.1 is already in use by another program; stop it, pick another "
            f"port with `yuqing es start --port N`, or point ES_URL at a running cluster"
        )
    java_home = find_java_home()
    home = fetch_distribution()
    if secured and not essecurity.es_home_tool_available(home):
        raise NodeError(f"{home} has no security module or bin/elasticsearch-users; cannot start a secured node")
    _ensure_user()
    node_dir = Path(node_dir or (_install_root() / "nodes" / name))
    for sub in ("data", "logs", "tmp"):
        (node_dir / sub).mkdir(parents=True, exist_ok=True)
    conf = node_dir / "config"
    if not conf.exists():
        shutil.copytree(home / "config", conf)
    accounts = _accounts(node_dir, conf, home, java_home) if secured else {}
    ports_file = node_dir / "logs" / "http.ports"
    ports_file.unlink(missing_ok=True)
    pid_file = node_dir / "es.pid"
    pid_file.unlink(missing_ok=True)
    if _is_root():
        subprocess.run(["chown", "-R", ES_USER, str(node_dir)], check=True)
        # Every parent must be traversable by the node's user.
        for parent in node_dir.parents:
            if parent == Path("/"):
                break
            mode = parent.stat().st_mode
            if not mode & 0o001:
                os.chmod(parent, mode | 0o001)
    settings = {
        "discovery.type": "single-node",
        "network.host": "127.0.0.1",
        "http.port": str(port if port is not None else 0),
        "transport.port": "0",
        "node.portsfile": "true",
        "path.data": str(node_dir / "data"),
        "path.logs": str(node_dir / "logs"),
        "cluster.routing.allocation.disk.threshold_enabled": "false",
        "action.destructive_requires_name": "false",
        "cluster.name": f"yuqing-{name}",
        **(essecurity.node_settings() if secured else {"xpack.security.enabled": "false"}),
    }
    env = {
        "ES_JAVA_HOME": str(java_home),
        "ES_PATH_CONF": str(conf),
        "ES_JAVA_OPTS": f"-Xms{HEAP} -Xmx{HEAP}",
        "ES_TMPDIR": str(node_dir / "tmp"),
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
    }
    cmd = [str(home / "bin" / "elasticsearch"), "-d", "-p", str(pid_file)]
    cmd += [f"-E{k}={v}" for k, v in settings.items()]
    if _is_root():
        cmd = ["runuser", "-u", ES_USER, "--", "env", *[f"{k}={v}" for k, v in env.items()], *cmd]
        run_env = None
    else:
        run_env = {**os.environ, **env}
    out_log = node_dir / "start.log"
    with open(out_log, "wb") as out:
        proc = subprocess.run(cmd, stdout=out, stderr=subprocess.STDOUT, env=run_env, timeout=timeout)
    if proc.returncode != 0:
        tail = out_log.read_text(errors="replace")[-1500:]
        raise NodeError(f"Elasticsearch did not start (exit {proc.returncode}); see {out_log}:\n{tail}")
    pid = int(pid_file.read_text().strip()) if pid_file.exists() else 0
    deadline = time.monotonic() + timeout
    url = None
    while time.monotonic() < deadline:
        if not pid and pid_file.exists() and pid_file.read_text().strip():
            pid = int(pid_file.read_text().strip())
        if url is None and ports_file.exists() and ports_file.read_text().strip():
            url = "http://" + ports_file.read_text().split()[0]
            # Recorded as soon as the node is known, so it can be stopped even if it never gets healthy.
            _record(NodeInfo(name=name, url=url, pid=pid, node_dir=str(node_dir), secured=secured,
                             accounts=accounts))
        info = NodeInfo(name=name, url=url or "", pid=pid, node_dir=str(node_dir), secured=secured, accounts=accounts)
        if url and (h := _health(url, info.auth())) and h.get("status") in ("green", "yellow"):
            _record(info)
            log.info("Elasticsearch node %s up at %s (security %s)", name, url, "on" if secured else "off")
            return info
        time.sleep(0.5)
    if pid:
        _record(NodeInfo(name=name, url=url or "", pid=pid, node_dir=str(node_dir), secured=secured, accounts=accounts))
    raise NodeError(f"Elasticsearch node {name!r} not healthy after {timeout:.0f}s; see {node_dir / 'logs'}")


def _record(info: NodeInfo) -> None:
    _write_private(Path(info.node_dir) / STATE_FILE, dataclasses.asdict(info))
    _write_private(_registry_dir() / f"{info.name}.json", {"node_dir": info.node_dir})


def _forget(info: NodeInfo) -> None:
    entry = _registry_dir() / f"{info.name}.json"
    try:
        if Path(json.loads(entry.read_text())["node_dir"]) == Path(info.node_dir):
            entry.unlink(missing_ok=True)
    except (OSError, ValueError, KeyError, TypeError):
        pass
    if info.node_dir:
        (Path(info.node_dir) / STATE_FILE).unlink(missing_ok=True)
    legacy = _legacy_state_file(info.name)
    if legacy.exists() and (old := _read_info(legacy)) is not None and old.pid == info.pid:
        legacy.unlink(missing_ok=True)


def stop(node: str | NodeInfo = "default", timeout: float = 60.0) -> bool:
    """Stop a node, given by name or by the :class:`NodeInfo` :func:`start` returned; return
    whether one was running. Works whatever the environment says now."""
    info = node if isinstance(node, NodeInfo) else read_state(node)
    if info is None:
        return False
    running = bool(info.pid) and _pid_alive(info.pid) and _is_node_process(info.pid, info.node_dir)
    if running:
        os.kill(info.pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        while _pid_alive(info.pid) and time.monotonic() < deadline:
            time.sleep(0.2)
        if _pid_alive(info.pid):
            os.kill(info.pid, signal.SIGKILL)
    _forget(info)
    return running


def configured_url(resolver: Resolver | None = None) -> str | None:
    """The cluster the deployment names, with its credentials; None means "the local node".

    ``ES_URL`` (one URL or several, comma-separated, credentials as ``user:password@`` userinfo),
    else the connection ``yuqing_es`` (``AIRFLOW_CONN_YUQING_ES`` / ``YUQING_CONN_YUQING_ES``, or
    Airflow's own through ``resolver``: host, port, login, password). ``ES_USERNAME`` and
    ``ES_PASSWORD`` are added to a URL that carries no user.
    """
    url = os.environ.get("ES_URL") or None
    if url is None:
        from yuqing.connections import ConnectionNotFound, env_resolver

        try:
            conn = (resolver or env_resolver())(ES_CONNECTION)
        except ConnectionNotFound:
            conn = None
        if conn is not None:
            url = essecurity.with_credentials(conn.base_url(default_scheme="http"), conn.login, conn.password)
    if url and (user := os.environ.get("ES_USERNAME")):
        url = essecurity.with_credentials(url, user, os.environ.get("ES_PASSWORD"))
    return url


def status(name: str = "default") -> dict:
    """Health of the cluster in use: ``ES_URL`` (or the ``yuqing_es`` connection) if set, else the
    named local node. The URL in the answer never shows a password."""
    url = configured_url()
    auth = None
    if not url:
        info = read_state(name)
        if info is None:
            return {"running": False, "detail": f"no local node {name!r}; run `yuqing es start`"}
        url, auth = info.url, info.auth()
    shown = essecurity.redact(url)
    code, health = _probe(url, auth)
    if code == 200 and health is not None:
        return {"running": True, "authenticated": True, "url": shown, **health}
    if code in (401, 403):
        user = (auth or essecurity.credentials(url))[0]
        why = (f"refused the credentials of {user!r} (HTTP {code})" if user
               else f"requires credentials (HTTP {code}): put them in ES_URL as user:password@ "
                    "or set ES_USERNAME/ES_PASSWORD")
        return {"running": True, "authenticated": False, "url": shown, "detail": f"{shown} answers but {why}"}
    if code is not None:
        return {"running": True, "authenticated": False, "url": shown, "detail": f"{shown} answered HTTP {code}"}
    return {"running": False, "url": shown, "detail": f"no answer from {shown}"}


def node_url(name: str = "default", purpose: str = "tasks") -> str:
    """The URL (with credentials) every client should use: ``ES_URL`` / the ``yuqing_es``
    connection, else the running local node with the account for ``purpose``."""
    if url := configured_url():
        return url
    info = read_state(name)
    if info is None:
        raise NodeError(f"没有可用的 Elasticsearch：请设置 ES_URL，或用 `yuqing es start` 启动本地节点"
                        f"（本地节点 {name!r} 未在运行）")
    return info.client_url(purpose)


@contextlib.contextmanager
def scratch_cluster(name: str) -> Iterator[NodeInfo]:
    """A cluster for a test session or a benchmark: ``ES_URL`` if set (``ES_CONSOLE_URL``, when
    set, gives the console's account), else a private secured node on a free port with its data
    in a temporary directory, stopped and removed afterwards."""
    if url := configured_url():
        console = os.environ.get("ES_CONSOLE_URL") or url
        accounts = {}
        for purpose, one in (("tasks", url), ("admin", url), ("console", console)):
            user, password = essecurity.credentials(one)
            if user:
                accounts[purpose] = {"user": user, "password": password or ""}
        yield NodeInfo(name="external", url=essecurity.without_credentials(url), pid=0, node_dir="",
                       secured=bool(accounts), accounts=accounts)
        return
    node_dir = Path(tempfile.mkdtemp(prefix=f"yuqing-es-{name}-", dir="/tmp"))
    os.chmod(node_dir, 0o755)  # the node's user must reach it
    info: NodeInfo | None = None
    try:
        info = start(name=name, port=None, node_dir=node_dir)
        yield info
    finally:
        stop(info or name)
        shutil.rmtree(node_dir, ignore_errors=True)


@contextlib.contextmanager
def scratch_node(name: str) -> Iterator[str]:
    """The tasks' URL (with credentials) of :func:`scratch_cluster`."""
    with scratch_cluster(name) as info:
        yield info.client_url("tasks")

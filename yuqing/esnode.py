"""The local Elasticsearch node the project manages itself (``yuqing es start | stop | status``).

Elastic publishes a runnable node on Maven Central
(``org.elasticsearch.distribution.integ-test-zip:elasticsearch``). We fetch it once with Maven,
unpack it where an unprivileged user can read it, and run it single-node on 127.0.0.1 with a small
heap. Elasticsearch refuses to run as root, so as root we create a system user for it and start it
with ``runuser``. Each named node keeps its own config, data, logs and tmp directories, so the demo
node and a test session's node never share state.

With ``ES_URL`` set, none of this is used: every command talks to that cluster instead.
"""

from __future__ import annotations

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

from yuqing.errors import NodeError
from yuqing.paths import cache_dir, var_dir

log = logging.getLogger(__name__)

ES_VERSION = os.environ.get("YUQING_ES_VERSION", "8.19.7")
ES_ARTIFACT = "org.elasticsearch.distribution.integ-test-zip:elasticsearch:{version}:zip"
ES_USER = os.environ.get("YUQING_ES_USER", "yuqing-es")
DEFAULT_PORT = 9200
HEAP = os.environ.get("YUQING_ES_HEAP", "512m")
START_TIMEOUT_S = 180.0


@dataclasses.dataclass(frozen=True)
class NodeInfo:
    name: str
    url: str
    pid: int
    node_dir: str


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


def _state_file(name: str) -> Path:
    path = var_dir() / "es"
    path.mkdir(parents=True, exist_ok=True)
    return path / f"{name}.json"


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


def _port_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _health(url: str, timeout: float = 5.0) -> dict | None:
    try:
        with urllib.request.urlopen(f"{url}/_cluster/health", timeout=timeout) as resp:
            return json.loads(resp.read())
    except (urllib.error.URLError, OSError, ValueError):
        return None


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def read_state(name: str = "default") -> NodeInfo | None:
    path = _state_file(name)
    if not path.exists():
        return None
    try:
        return NodeInfo(**json.loads(path.read_text()))
    except (ValueError, TypeError):
        return None


def start(name: str = "default", port: int | None = DEFAULT_PORT, node_dir: Path | None = None,
          timeout: float = START_TIMEOUT_S) -> NodeInfo:
    """Start the named node (or return it if already running) and wait for yellow health.

    ``port=None`` lets the node pick a free port (used by the test session).
    """
    existing = read_state(name)
    if existing and _pid_alive(existing.pid) and _health(existing.url):
        return existing
    if port is not None and not _port_free(port):
        raise NodeError(
            f"port {port} on 127.0.0.1 is already in use by another program; stop it, pick another "
            f"port with `yuqing es start --port N`, or point ES_URL at a running cluster"
        )
    java_home = find_java_home()
    home = fetch_distribution()
    _ensure_user()
    node_dir = node_dir or (_install_root() / "nodes" / name)
    for sub in ("data", "logs", "tmp"):
        (node_dir / sub).mkdir(parents=True, exist_ok=True)
    conf = node_dir / "config"
    if not conf.exists():
        shutil.copytree(home / "config", conf)
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
        "xpack.security.enabled": "false",
        "cluster.routing.allocation.disk.threshold_enabled": "false",
        "action.destructive_requires_name": "false",
        "cluster.name": f"yuqing-{name}",
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
    deadline = time.monotonic() + timeout
    url = None
    while time.monotonic() < deadline:
        if url is None and ports_file.exists() and ports_file.read_text().strip():
            url = "http://" + ports_file.read_text().split()[0]
        if url and (h := _health(url)) and h.get("status") in ("green", "yellow"):
            pid = int(pid_file.read_text().strip())
            info = NodeInfo(name=name, url=url, pid=pid, node_dir=str(node_dir))
            _state_file(name).write_text(json.dumps(dataclasses.asdict(info)))
            log.info("Elasticsearch node %s up at %s", name, url)
            return info
        time.sleep(0.5)
    raise NodeError(f"Elasticsearch node {name!r} not healthy after {timeout:.0f}s; see {node_dir / 'logs'}")


def stop(name: str = "default", timeout: float = 60.0) -> bool:
    """Stop the named node; return whether one was running."""
    info = read_state(name)
    if info is None:
        return False
    running = _pid_alive(info.pid)
    if running:
        os.kill(info.pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        while _pid_alive(info.pid) and time.monotonic() < deadline:
            time.sleep(0.2)
        if _pid_alive(info.pid):
            os.kill(info.pid, signal.SIGKILL)
    _state_file(name).unlink(missing_ok=True)
    return running


def status(name: str = "default") -> dict:
    """Health of the cluster in use: ES_URL if set, else the named local node."""
    url = os.environ.get("ES_URL")
    if not url:
        info = read_state(name)
        if info is None:
            return {"running": False, "detail": f"no local node {name!r}; run `yuqing es start`"}
        url = info.url
    health = _health(url)
    if health is None:
        return {"running": False, "url": url, "detail": f"no answer from {url}"}
    return {"running": True, "url": url, **health}


def node_url(name: str = "default") -> str:
    """The URL every client should use: ES_URL, else the running local node."""
    if url := os.environ.get("ES_URL"):
        return url
    info = read_state(name)
    if info is None:
        raise NodeError(f"no Elasticsearch: set ES_URL or run `yuqing es start` (no local node {name!r})")
    return info.url


@contextlib.contextmanager
def scratch_node(name: str) -> Iterator[str]:
    """The URL of a cluster for a test session or a benchmark: ``ES_URL`` if set, else a private
    node on a free port with its data in a temporary directory, stopped and removed afterwards."""
    if url := os.environ.get("ES_URL"):
        yield url
        return
    node_dir = Path(tempfile.mkdtemp(prefix=f"yuqing-es-{name}-", dir="/tmp"))
    os.chmod(node_dir, 0o755)  # the node's user must reach it
    try:
        yield start(name=name, port=None, node_dir=node_dir).url
    finally:
        stop(name)
        shutil.rmtree(node_dir, ignore_errors=True)

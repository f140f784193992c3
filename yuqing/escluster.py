"""A multi-node Elasticsearch cluster on loopback, from the same distribution as the local node.

The production rehearsal (``scripts/rehearse.sh``) runs three master-eligible data nodes on
127.0.0.1, each with its own HTTP and transport port and its own config, data, logs and tmp
directories, discovering each other through ``discovery.seed_hosts``. It reuses the local node
manager (:mod:`yuqing.esnode`): the same distribution, the same Java, the same unprivileged user and
``runuser`` start, and the same pid / health handling. Nodes can be killed and started again one by
one (:meth:`Cluster.kill`, :meth:`Cluster.start_node`), which is what the rehearsal does midway.

The node settings (cluster name, discovery, security) come from the caller, so the rehearsal and
the compose file's ``scale`` profile use the same ones (``deploy.services``).
"""

from __future__ import annotations

import base64
import dataclasses
import json
import logging
import os
import shutil
import signal
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from yuqing import esnode
from yuqing.errors import NodeError

log = logging.getLogger(__name__)

HEAP = os.environ.get("YUQING_CLUSTER_HEAP", "384m")


@dataclasses.dataclass(frozen=True)
class ClusterNode:
    name: str
    http_port: int
    transport_port: int
    node_dir: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"

    @property
    def pid_file(self) -> Path:
        return self.node_dir / "es.pid"

    def pid(self) -> int | None:
        try:
            return int(self.pid_file.read_text().strip())
        except (OSError, ValueError):
            return None

    def alive(self) -> bool:
        pid = self.pid()
        return pid is not None and esnode._pid_alive(pid)


class Cluster:
    """``names`` nodes on consecutive ports from ``http_base`` / ``transport_base`` under ``root``.

    ``settings`` are applied to every node (``node.name``, ports, paths and discovery are added
    here); ``auth`` is the ``(user, password)`` used for health checks when security is on;
    ``prepare_config`` is called with each node's config directory before its first start (to write
    users, roles and certificates).
    """

    def __init__(self, root: Path, names: tuple[str, ...] = ("es01", "es02", "es03"), *,
                 http_base: int = 9301, transport_base: int = 9401, cluster_name: str = "yuqing-rehearsal",
                 settings: Mapping[str, str] | None = None, auth: tuple[str, str] | None = None,
                 prepare_config: Callable[[Path], None] | None = None, heap: str = HEAP) -> None:
        self.root = Path(root)
        self.nodes = [ClusterNode(n, http_base + i, transport_base + i, self.root / n) for i, n in enumerate(names)]
        self.cluster_name = cluster_name
        self.settings = dict(settings or {})
        self.auth = auth
        self.prepare_config = prepare_config
        self.heap = heap

    # -- addresses ---------------------------------------------------------------------------------

    @property
    def urls(self) -> list[str]:
        return [n.url for n in self.nodes]

    def node(self, name: str) -> ClusterNode:
        for n in self.nodes:
            if n.name == name:
                return n
        raise NodeError(f"no node {name!r} in this cluster ({', '.join(n.name for n in self.nodes)})")

    def node_settings(self, node: ClusterNode) -> dict[str, str]:
        seeds = ",".join(f"127.0.0.1:{n.transport_port}" for n in self.nodes)
        return {
            "cluster.name": self.cluster_name,
            "node.name": node.name,
            "network.host": "127.0.0.1",
            "http.port": str(node.http_port),
            "transport.port": str(node.transport_port),
            "discovery.seed_hosts": seeds,
            "cluster.initial_master_nodes": ",".join(n.name for n in self.nodes),
            "path.data": str(node.node_dir / "data"),
            "path.logs": str(node.node_dir / "logs"),
            "cluster.routing.allocation.disk.threshold_enabled": "false",
            **self.settings,
        }

    # -- lifecycle ---------------------------------------------------------------------------------

    def _prepare(self, node: ClusterNode) -> list[str]:
        home = esnode.fetch_distribution()
        esnode._ensure_user()
        for sub in ("data", "logs", "tmp"):
            (node.node_dir / sub).mkdir(parents=True, exist_ok=True)
        conf = node.node_dir / "config"
        if not conf.exists():
            shutil.copytree(home / "config", conf)
            if self.prepare_config is not None:
                self.prepare_config(conf)
        node.pid_file.unlink(missing_ok=True)
        if esnode._is_root():
            subprocess.run(["chown", "-R", esnode.ES_USER, str(node.node_dir)], check=True)
            for parent in node.node_dir.parents:
                if parent == Path("/"):
                    break
                mode = parent.stat().st_mode
                if not mode & 0o001:
                    os.chmod(parent, mode | 0o001)
        env = {
            "ES_JAVA_HOME": str(esnode.find_java_home()),
            "ES_PATH_CONF": str(conf),
            "ES_JAVA_OPTS": f"-Xms{self.heap} -Xmx{self.heap} -XX:ActiveProcessorCount=1",
            "ES_TMPDIR": str(node.node_dir / "tmp"),
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        }
        cmd = [str(home / "bin" / "elasticsearch"), "-d", "-p", str(node.pid_file)]
        cmd += [f"-E{k}={v}" for k, v in self.node_settings(node).items()]
        if esnode._is_root():
            return ["runuser", "-u", esnode.ES_USER, "--", "env", *[f"{k}={v}" for k, v in env.items()], *cmd]
        return ["env", *[f"{k}={v}" for k, v in env.items()], *cmd]

    def _launch(self, nodes: list[ClusterNode], timeout: float) -> None:
        procs = []
        for node in nodes:
            if node.alive():
                continue
            if not esnode.port_free(node.http_port) or not esnode.port_free(node.transport_port):
                raise NodeError(f"ports {node.http_port}/{node.transport_port} on 127.0.0.1 are in use; "
                                f"stop what holds them or choose other ports")
            cmd = self._prepare(node)
            out = open(node.node_dir / "start.log", "wb")  # noqa: SIM115 - closed after the launcher exits
            procs.append((node, subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT), out))
        deadline = time.monotonic() + timeout
        for node, proc, out in procs:
            try:
                code = proc.wait(timeout=max(1.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired as exc:
                proc.kill()
                raise NodeError(f"node {node.name} did not start within {timeout:.0f}s") from exc
            finally:
                out.close()
            if code != 0:
                tail = (node.node_dir / "start.log").read_text(errors="replace")[-1500:]
                raise NodeError(f"node {node.name} did not start (exit {code}); see {node.node_dir}:\n{tail}")

    def start(self, timeout: float = 300.0) -> None:
        """Start every node at once and wait until the cluster has them all."""
        self._launch(self.nodes, timeout)
        self.wait_nodes(len(self.nodes), timeout=timeout)

    def start_node(self, name: str, timeout: float = 300.0) -> None:
        """Start one node again (after :meth:`kill`) and wait until it has rejoined."""
        self._launch([self.node(name)], timeout)
        self.wait_nodes(len(self.nodes), timeout=timeout)

    def kill(self, name: str) -> int:
        """Kill one node's JVM with SIGKILL (a crash, not a shutdown); return its pid."""
        node = self.node(name)
        pid = node.pid()
        if pid is None or not esnode._pid_alive(pid):
            raise NodeError(f"node {name} is not running")
        os.kill(pid, signal.SIGKILL)
        deadline = time.monotonic() + 30
        while esnode._pid_alive(pid) and time.monotonic() < deadline:
            time.sleep(0.2)
        return pid

    def stop(self, timeout: float = 60.0) -> None:
        """Stop every running node (SIGTERM, then SIGKILL after ``timeout``)."""
        pids = [p for n in self.nodes if (p := n.pid()) is not None and esnode._pid_alive(p)]
        for pid in pids:
            os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        while any(esnode._pid_alive(p) for p in pids) and time.monotonic() < deadline:
            time.sleep(0.3)
        for pid in pids:
            if esnode._pid_alive(pid):
                os.kill(pid, signal.SIGKILL)

    # -- observation -------------------------------------------------------------------------------

    def request(self, path: str, url: str | None = None, timeout: float = 10.0) -> Any:
        """GET ``path`` from one live node (or ``url``); None when no node answers."""
        for base in [url] if url else [n.url for n in self.nodes if n.alive()]:
            req = urllib.request.Request(base + path)
            if self.auth:
                token = base64.b64encode(f"{self.auth[0]}:{self.auth[1]}".encode()).decode()
                req.add_header("Authorization", f"Basic {token}")
            try:
                with urllib.request.urlopen(req, timeout=timeout) as resp:
                    return json.loads(resp.read())
            except (urllib.error.URLError, OSError, ValueError):
                continue
        return None

    def health(self) -> dict[str, Any] | None:
        return self.request("/_cluster/health")

    def wait_nodes(self, count: int, timeout: float = 300.0, status: tuple[str, ...] = ("green", "yellow")) -> dict:
        deadline = time.monotonic() + timeout
        health: dict[str, Any] | None = None
        while time.monotonic() < deadline:
            health = self.health()
            if health and health.get("number_of_nodes") == count and health.get("status") in status:
                return health
            time.sleep(1.0)
        raise NodeError(f"cluster did not reach {count} nodes ({'/'.join(status)}) in {timeout:.0f}s: {health}")

    def master(self) -> str | None:
        """The elected master's node name."""
        rows = self.request("/_cat/master?format=json")
        return rows[0].get("node") if rows else None

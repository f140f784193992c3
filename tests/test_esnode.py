"""The local node manager: a node is stoppable by whoever started it, whatever the environment
says later (its state lives with the node, the index of nodes depends on no variable)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from yuqing import esnode

pytestmark = pytest.mark.integration


def _node_processes(node_dir: Path) -> list[int]:
    """Pids of Elasticsearch processes whose command line mentions ``node_dir``."""
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().decode(errors="replace")
        except OSError:
            continue
        if "elasticsearch" in cmdline and str(node_dir) in cmdline:
            pids.append(int(entry.name))
    return pids


def test_a_node_started_under_one_environment_is_stopped_under_another(tmp_path: Path,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    if os.environ.get("ES_URL"):
        pytest.skip("ES_URL points at an external cluster; this test starts its own node")
    name = f"envchange-{os.getpid()}"
    node_dir = Path(tempfile.mkdtemp(prefix="yuqing-es-envchange-", dir="/tmp"))
    os.chmod(node_dir, 0o755)
    monkeypatch.setenv("YUQING_VAR", str(tmp_path / "var-at-start"))
    try:
        info = esnode.start(name=name, port=None, node_dir=node_dir)
        assert _node_processes(node_dir) == [info.pid]
        assert esnode.status(name)["running"]

        # What bench/crawl_throughput.py did: the environment changes after the node started …
        monkeypatch.setenv("YUQING_VAR", str(tmp_path / "var-later"))
        monkeypatch.setenv("YUQING_CACHE", str(tmp_path / "cache-later"))
        assert esnode.read_state(name) == info
        # … and another process, with yet another environment, stops it by name.
        env = {**os.environ, "YUQING_VAR": str(tmp_path / "var-elsewhere")}
        proc = subprocess.run([str(Path(sys.executable).with_name("yuqing")), "es", "stop", "--name", name], env=env,
                              capture_output=True, text=True, timeout=120)
        assert proc.returncode == 0, proc.stderr
        assert proc.stdout.strip() == "已停止"
        assert _node_processes(node_dir) == []
        assert esnode.read_state(name) is None
        assert not esnode.status(name)["running"]
    finally:
        esnode.stop(name)
        for pid in _node_processes(node_dir):  # never leave a node behind, even when the test fails
            os.kill(pid, 9)
        shutil.rmtree(node_dir, ignore_errors=True)

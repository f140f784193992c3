"""The machine's CPU time, for benchmarks that compare two sides sharing the same cores."""

from __future__ import annotations

import os
from typing import Any


def busy_seconds() -> float:
    """CPU seconds the whole machine has spent busy since boot (/proc/stat: every process, an
    Elasticsearch node's and a page server's too)."""
    with open("/proc/stat", encoding="ascii") as f:
        fields = [int(x) for x in f.readline().split()[1:]]
    user, nice, system, _idle, _iowait, irq, softirq, steal = fields[:8]
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


def reaped_children_seconds(pid: int) -> float:
    """CPU seconds of the children process ``pid`` has waited for, and of theirs (/proc/<pid>/stat
    cutime + cstime): for a starter that forks one child per job, what its finished jobs used."""
    with open(f"/proc/{pid}/stat", encoding="ascii") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[13]) + int(fields[14])) / os.sysconf("SC_CLK_TCK")


def node_cpu_seconds(client: Any, pid: int | None = None) -> float:
    """CPU seconds an Elasticsearch node has used since it started: from /proc when the benchmark
    started it (``pid``), else the nodes stats API summed over the nodes behind ``client`` (the one
    ES_URL names), whose process figures the node refreshes only once a second."""
    if pid is not None:
        with open(f"/proc/{pid}/stat", encoding="ascii") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    stats = client.nodes.stats(metric="process")["nodes"].values()
    return sum(n["process"]["cpu"]["total_in_millis"] for n in stats) / 1000


def work_bound(items: int, busy: float, bare_rate: float) -> tuple[float, float]:
    """The fastest rate (items per second) that ``busy`` CPU seconds of work for ``items`` allow on this
    machine's cores, and that rate over ``bare_rate``: a side cannot go faster than its work divided
    by the cores, whatever the overlap."""
    fastest = items / (busy / (os.cpu_count() or 1))
    return fastest, fastest / bare_rate

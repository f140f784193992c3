"""The collection layer's entry points for other layers (CLI, demo, DAG tasks).

``crawl_source`` / ``crawl_sources`` may be called many times in one process: each call runs the
crawl in a child process (:mod:`crawlers.run`), because Twisted's reactor cannot be restarted.
Children are forked from a warm starter (:mod:`crawlers.zygote`) that has Scrapy, trafilatura and
jieba already loaded, which saves seconds per crawl; ``YUQING_CRAWL_SUBPROCESS=1`` (or a second
concurrent call) runs ``python -m crawlers.run`` instead. The child gets the store's URL and index prefix and the
configuration directory, so a test's per-test prefix is honoured.
"""

from __future__ import annotations

import atexit
import contextlib
import dataclasses
import datetime as dt
import json
import logging
import os
import select
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from yuqing.clock import iso
from yuqing.config import Config
from yuqing.errors import InputError, YuqingError
from yuqing.storage import Store

log = logging.getLogger(__name__)


class CrawlError(YuqingError):
    """The crawl process itself failed (not one page: those are counted in the stats)."""

    kind_zh = "采集失败"

    def __init__(self, message: str, *, exit_code: int = 1) -> None:
        super().__init__(message)
        self.exit_code = exit_code  # what `yuqing crawl` exits with: 3 when Elasticsearch refused the login


@dataclasses.dataclass
class CrawlStats:
    source_id: str
    found: int
    new: int
    failed: int
    reasons: dict[str, int]
    spooled: int
    updated: int = 0
    status: str | None = None  # the source's health status after this run

    def summary(self) -> str:
        reasons = ", ".join(f"{k}={v}" for k, v in sorted(self.reasons.items()))
        line = (f"{self.source_id}: found {self.found}, new {self.new}, updated {self.updated}, "
                f"failed {self.failed}, spooled {self.spooled}, status {self.status or '-'}")
        return line + (f" ({reasons})" if reasons else "")


def store_url(store: Store) -> str:
    """The store's URL with its credentials, for the crawl child (never printed or logged)."""
    return store.url


def crawl_source(store: Store, config: Config, source_id: str, *, now: dt.datetime,
                 settings: dict[str, Any] | None = None) -> CrawlStats:
    """Crawl one configured source into ``store``; items already stored are not fetched again."""
    return crawl_sources(store, config, [source_id], now=now, settings=settings)[0]


def crawl_sources(store: Store, config: Config, source_ids: list[str] | None = None, *, now: dt.datetime,
                  settings: dict[str, Any] | None = None, timeout: float = 900.0) -> list[CrawlStats]:
    """Crawl several sources (default: every enabled one) concurrently in one child process.

    ``settings`` are extra Scrapy settings (e.g. politeness off for the benchmark)."""
    known = {s.id: s for s in config.sources.sources}
    ids = source_ids if source_ids is not None else [s.id for s in config.sources.sources if s.enabled]
    for source_id in ids:
        if source_id not in known:
            raise InputError(f"来源不存在：{source_id!r}（见 {config.directory / 'sources.yaml'}）")
    if not ids:
        return []
    env = dict(os.environ)
    env.update({"ES_URL": store_url(store), "YUQING_INDEX_PREFIX": store.prefix,
                "YUQING_CONFIG": str(config.directory)})
    with tempfile.TemporaryDirectory(prefix="yuqing-crawl-") as tmp:
        stats_path, log_path = Path(tmp) / "stats.json", Path(tmp) / "crawl.log"
        argv = ["--now", iso(now) or "", "--stats-out", str(stats_path), "--log-file", str(log_path),
                "--settings", json.dumps(settings or {})]
        for source_id in ids:
            argv += ["--source", source_id]
        code = _run_child(argv, env, timeout, ids)
        log_text = log_path.read_text(encoding="utf-8", errors="replace") if log_path.exists() else ""
        for line in log_text.splitlines()[-40:]:
            log.debug("crawl: %s", line)
        if code != 0 or not stats_path.exists():
            tail = "\n".join(log_text.splitlines()[-15:])
            from crawlers.run import AUTH_EXIT

            raise CrawlError(f"crawl of {', '.join(ids)} failed (exit {code}):\n{tail}",
                             exit_code=3 if code == AUTH_EXIT else 1)
        rows = json.loads(stats_path.read_text(encoding="utf-8"))
    stats = [CrawlStats(**row) for row in rows]
    for s in stats:
        log.info("crawl %s", s.summary())
    return stats


class _Zygote:
    """The parent's handle on :mod:`crawlers.zygote` (started on first use, one crawl at a time)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.proc: subprocess.Popen[str] | None = None

    def _line(self, deadline: float) -> dict[str, Any] | None:
        assert self.proc is not None and self.proc.stdout is not None
        ready, _, _ = select.select([self.proc.stdout], [], [], max(0.0, deadline - time.monotonic()))
        if not ready:
            return None
        line = self.proc.stdout.readline()
        if not line:
            raise CrawlError("the crawl starter exited unexpectedly")
        return dict(json.loads(line))

    def _ensure(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            return
        self.proc = subprocess.Popen([sys.executable, "-m", "crawlers.zygote"], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True, bufsize=1)
        if self._line(time.monotonic() + 120) != {"ready": True}:
            self.close()
            raise CrawlError("the crawl starter did not come up")

    def run(self, argv: list[str], env: dict[str, str], timeout: float) -> int | None:
        self._ensure()
        assert self.proc is not None and self.proc.stdin is not None
        deadline = time.monotonic() + timeout
        self.proc.stdin.write(json.dumps({"argv": argv, "env": env}) + "\n")
        self.proc.stdin.flush()
        started = self._line(deadline)
        done = self._line(deadline) if started else None
        if done is None:
            if started:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(int(started["pid"]), signal.SIGTERM)
            self.close()
            return None
        return int(done["code"])

    def close(self) -> None:
        if self.proc is not None:
            with contextlib.suppress(OSError):
                if self.proc.stdin:
                    self.proc.stdin.close()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
            self.proc = None


_zygote = _Zygote()
atexit.register(_zygote.close)


def _run_child(argv: list[str], env: dict[str, str], timeout: float, ids: list[str]) -> int | None:
    """Run ``crawlers.run`` in a fresh process: forked from the warm zygote when it is free (and
    ``YUQING_CRAWL_SUBPROCESS`` is not 1), else a plain ``python -m crawlers.run``."""
    if os.environ.get("YUQING_CRAWL_SUBPROCESS") != "1" and _zygote.lock.acquire(blocking=False):
        try:
            code = _zygote.run(argv, env, timeout)
        finally:
            _zygote.lock.release()
        if code is None:
            raise CrawlError(f"crawl of {', '.join(ids)} did not finish within {timeout:.0f} s")
        return code
    try:
        proc = subprocess.run([sys.executable, "-m", "crawlers.run", *argv], env=env, timeout=timeout, check=False)
    except subprocess.TimeoutExpired as exc:
        raise CrawlError(f"crawl of {', '.join(ids)} did not finish within {timeout:.0f} s") from exc
    return proc.returncode


def replay_spool(store: Store) -> int:
    """Write everything spooled while Elasticsearch was down; returns the number of writes."""
    from crawlers import spool

    return spool.replay(store)

"""The write process: the item pipeline's per-item work (Mention model, jieba, SimHash, reprint
linking, Elasticsearch bulk writes or the spool) run in a process of its own, forked from the crawl
process when the first item arrives.

Why: Scrapy runs everything on one thread (the Twisted reactor). Segmenting and hashing every page
and waiting for each bulk write there stops downloading and parsing meanwhile, and a crawl uses one
core. Forked, the writer runs :class:`~crawlers.pipelines.MentionPipeline`'s own code (a copy of the
spider and the pipeline, with a fresh Elasticsearch client) next to the reactor, which keeps
fetching. Article pages come as :class:`~crawlers.extract.FetchedPage` and are decoded and
extracted here too (about a fifth of the reactor's work while it did that itself). What it stored
comes back after every chunk: the keys now stored (``spider.seen``), the counts (new, updated,
spooled, failures by reason, a login page) and whether Elasticsearch is down, so source health,
incremental state and the spool are as with inline writes.

Items go over a pipe in chunks of :data:`CHUNK`; a send blocks while the writer is still busy with
the chunk before (back-pressure: about two chunks in flight, no unbounded queue). A crawl process
forks at most ``YUQING_WRITER_PROCESSES`` writers at a time (one per source being crawled); further
sources write inline. Outside a Scrapy engine (``bench/writepath.py`` drives the pipeline directly)
writes are always inline.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import signal
import threading
import time
import traceback
from multiprocessing.connection import Connection
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from crawlers.extract import FetchedPage
    from crawlers.pipelines import MentionPipeline

log = logging.getLogger(__name__)

CHUNK = 25  # items per message to the writer
JOIN_TIMEOUT_S = 30.0

_live = 0  # writers running in this process
_live_lock = threading.Lock()


def in_engine(crawler: Any) -> bool:
    """Whether the pipeline runs inside a crawl (Scrapy's engine), not driven directly."""
    try:
        return getattr(crawler, "engine", None) is not None
    except RuntimeError:  # Scrapy ≥ 2.13: "Crawler.engine is not set yet"
        return False


class WriterProcess:
    """The crawl process's handle on one source's writer."""

    def __init__(self, pipeline: MentionPipeline) -> None:
        self.pipeline = pipeline
        self.chunk: list[dict[str, Any] | FetchedPage] = []
        self.sent = 0
        self.stored = 0  # items the writer has reported as processed
        self.failed = False
        ctx = multiprocessing.get_context("fork")
        self.conn, child_end = ctx.Pipe()
        self.proc = ctx.Process(target=_writer_main, args=(pipeline, child_end, self.conn), daemon=True,
                                name=f"yuqing-writer-{pipeline.spider.source.id}")
        self.proc.start()
        child_end.close()
        log.info("source %s: write process %s started", pipeline.spider.source.id, self.proc.pid)

    @classmethod
    def start(cls, pipeline: MentionPipeline) -> WriterProcess | None:
        """A writer for this pipeline, or None to write inline (no engine, or the limit reached)."""
        global _live
        crawler = pipeline.crawler
        limit = crawler.settings.getint("YUQING_WRITER_PROCESSES", 0)
        if not in_engine(crawler) or limit <= 0:
            return None
        with _live_lock:
            if _live >= limit:
                return None
            _live += 1
        try:
            return cls(pipeline)
        except OSError as exc:
            with _live_lock:
                _live -= 1
            log.warning("source %s: no write process (%s); writing inline", pipeline.spider.source.id, exc)
            return None

    # -- in the crawl process (the reactor thread) -------------------------------------------------

    def send(self, item: dict[str, Any] | FetchedPage) -> None:
        self.chunk.append(item)
        if len(self.chunk) >= CHUNK:
            self._send_chunk()
        self.drain()

    def _send_chunk(self) -> None:
        if self.chunk and not self.failed:
            try:
                self.conn.send(self.chunk)
                self.sent += len(self.chunk)
            except OSError as exc:  # the writer died: reported at the end, keys stay unstored
                self._lost(f"send failed: {exc}")
        self.chunk = []

    def drain(self) -> None:
        """Apply the reports that have arrived, without waiting."""
        try:
            while not self.failed and self.conn.poll():
                self.apply(self.conn.recv())
        except (OSError, EOFError) as exc:
            self._lost(f"report lost: {exc}")

    def finish(self) -> list[dict[str, Any]]:
        """Send the rest and the end mark, then wait for the final report (run in a thread: the
        reactor keeps serving other sources meanwhile). Returns the reports not yet applied."""
        reports: list[dict[str, Any]] = []
        try:
            self._send_chunk()
            if not self.failed:
                self.conn.send(None)
                while True:
                    report = self.conn.recv()
                    reports.append(report)
                    if report["done"]:
                        break
        except (OSError, EOFError) as exc:
            reports.append({"lost": f"the write process ended early ({exc})"})
        finally:
            self.proc.join(JOIN_TIMEOUT_S)
            if self.proc.is_alive():
                self.proc.kill()
                self.proc.join(5)
            self.conn.close()
            global _live
            with _live_lock:
                _live -= 1
        return reports

    def apply(self, report: dict[str, Any]) -> None:
        """Merge a writer's report into the spider this crawl process keeps."""
        sp = self.pipeline.spider
        if "lost" in report:
            self._lost(report["lost"])
            return
        sp.seen.update(report["seen"])
        c = sp.counts
        c.new += report["new"]
        c.updated += report["updated"]
        c.spooled += report["spooled"]
        c.failed += report["failed"]
        c.login_required = c.login_required or report["login_required"]
        for reason, n in report["reasons"].items():
            c.reasons[reason] = c.reasons.get(reason, 0) + n
            if sp.crawler is not None and sp.crawler.stats is not None:
                sp.crawler.stats.inc_value(f"yuqing/failed/reason_count/{reason}", n)
        sp.store_down = report["store_down"]
        self.stored += report["items"]
        for text in report["errors"]:
            log.error("source %s: error in the write process:\n%s", sp.source.id, text)

    def _lost(self, why: str) -> None:
        if self.failed:
            return
        self.failed = True
        unreported = self.sent + len(self.chunk) - self.stored
        log.error("source %s: %s; %d items of this run may be unstored (fetched again next run)",
                  self.pipeline.spider.source.id, why, unreported)


# -- in the writer process ------------------------------------------------------------------------


def _writer_main(pipeline: MentionPipeline, conn: Connection, parent_end: Connection) -> None:
    from crawlers.health import RunCounts
    from yuqing.storage import Store

    parent_end.close()  # so that a crawl process that dies ends this loop with EOF
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, signal.SIG_DFL)  # Scrapy's handlers would poke the (parent's) reactor
    with contextlib.suppress(ValueError):
        signal.set_wakeup_fd(-1)
    pipeline.write_process = None  # this is the writer: process_item writes
    sp = pipeline.spider
    # a client of its own: the inherited one's pooled sockets belong to the crawl process
    sp.store = Store.connect(pipeline.crawler.settings.get("YUQING_ES_URL") or None, sp.store.prefix)
    sp.counts = RunCounts()
    sp.seen = {}
    errors: list[str] = []
    idle = busy = 0.0  # seconds waiting for items / working on them (logged at the end)
    total = 0
    while True:
        t0 = time.monotonic()
        try:
            chunk = conn.recv()
        except (EOFError, OSError):
            return  # the crawl process went away
        t1 = time.monotonic()
        idle += t1 - t0
        items = 0
        if chunk is None:
            try:
                pipeline.flush(last=True)
                pipeline.wait_writes()  # the batch in flight in the pipeline's bulk thread
            except Exception:
                errors.append(traceback.format_exc())
        else:
            for item in chunk:
                try:
                    pipeline.process_item(item)
                except Exception:  # as Scrapy would: the item is dropped, the error reported
                    errors.append(traceback.format_exc())
                items += 1
        busy += time.monotonic() - t1
        total += items
        c = sp.counts
        conn.send({"done": chunk is None, "items": items, "seen": dict(sp.seen), "new": c.new,
                   "updated": c.updated, "spooled": c.spooled, "failed": c.failed, "reasons": dict(c.reasons),
                   "login_required": c.login_required,
                   "store_down": sp.store_down, "errors": list(errors)})
        sp.seen.clear()
        sp.counts = RunCounts()
        errors.clear()
        if chunk is None:
            log.info("source %s: write process stored %d items in %.1f s of work, %.1f s waiting for items",
                     sp.source.id, total, busy, idle)
            conn.close()
            return


"""The item pipeline: items become :class:`~yuqing.models.Mention` documents, reprints are linked to
their first appearance, and writes go to Elasticsearch in batches — or to the disk spool when it
cannot be reached. At the end of a run the source's health document is written."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import logging
import time
import uuid
from collections.abc import Coroutine
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

import numpy as np

from crawlers import dedup, spool
from crawlers.engagement import spread_per_hour
from crawlers.extract import FetchedPage, canonical_url
from crawlers.health import build_health, previous_health
from crawlers.spool import Spool
from crawlers.writer import WriterProcess, in_engine
from yuqing.clock import iso, parse_ts
from yuqing.errors import StorageUnavailable
from yuqing.models import ENGAGEMENT_FIELDS, EngagementSnapshot, HotlistEntry, Mention, interactions, stable_id

if TYPE_CHECKING:
    from twisted.internet.defer import DeferredLock

log = logging.getLogger(__name__)
_closing: DeferredLock | None = None  # one source closes at a time (MentionPipeline._close_in_turn)

# Stored reprint candidates are read in pages of this many, earliest first, up to the configured
# ``reprint_candidate_limit`` per batch.
CANDIDATE_PAGE = 2000
CANDIDATE_SORT = [{"published_at": {"order": "asc", "missing": "_last"}}, {"crawled_at": "asc"}, {"id": "asc"}]


@dataclasses.dataclass
class Candidate:
    """A stored or just-built mention that a new one may be a reprint of."""

    id: str
    hash: int
    at: dt.datetime
    reprint_of: str | None
    mention: Mention | None = None  # set while still in the unwritten batch


def _when(m: Mention) -> dt.datetime:
    return m.published_at or m.crawled_at


class KnownCandidates:
    """Every candidate this run holds — its own mentions and the stored ones read for earlier batches —
    with their hashes in one array, so a new mention is compared with all of them at once (exact, no
    bucket cap) and no stored one is read twice. Process-local only as a cache of what was read or
    written: the stored mentions stay the truth, so it holds on any cluster."""

    def __init__(self) -> None:
        self.items: list[Candidate] = []
        self.index: dict[str, int] = {}
        self._hashes = np.zeros(1024, dtype=np.uint64)

    def add(self, c: Candidate, *, replace: bool = False) -> None:
        at = self.index.get(c.id)
        if at is not None:
            if replace:
                self.items[at] = c
                self._hashes[at] = c.hash
            return
        n = len(self.items)
        if n == len(self._hashes):
            self._hashes = np.concatenate([self._hashes, np.zeros(n, dtype=np.uint64)])
        self._hashes[n] = c.hash
        self.items.append(c)
        self.index[c.id] = n

    def within(self, value: int, max_distance: int) -> list[Candidate]:
        return [self.items[i] for i in dedup.within(self._hashes[:len(self.items)], value, max_distance)]

    def matching(self, values: list[np.ndarray]) -> list[str]:
        """Ids of held candidates with a band among the probe ``values`` (per band, ``dedup.probe_values``):
        what a band search would read again."""
        if not self.items:
            return []
        bands = dedup.band_values(self._hashes[:len(self.items)])
        hit = np.zeros(len(self.items), dtype=bool)
        for i, band in enumerate(values):
            if len(band):
                hit |= np.isin(bands[:, i], band)
        return [self.items[j].id for j in np.flatnonzero(hit)]


class MentionPipeline:
    def __init__(self, crawler: Any) -> None:
        self.crawler = crawler
        self.batch_size = crawler.settings.getint("YUQING_BATCH_SIZE", 100)
        self.buffer: list[tuple[Mention, dict[str, Any]]] = []
        self.updates: list[tuple[str, dict[str, Any], dict[str, Any]]] = []  # (mention id, partial, item)
        self.known = KnownCandidates()
        # This run's mark on the mentions it stores: a batch's band search leaves the run's own
        # mentions out by this one term (they are held in ``known``), not by listing their ids.
        self.run_id = uuid.uuid4().hex
        self.read = KnownCandidates()  # the held candidates that were read from storage, not written by this run
        # seconds into the run at which it last searched each band key (-inf: never), see _stored_candidates;
        # made by the first batch that is not the last (1 MiB), so a one-batch run never holds it
        self.searched: np.ndarray | None = None
        self._writer: ThreadPoolExecutor | None = None
        self.pending: tuple[Future[list[tuple[str, str, str]]], list[Any], list[str], int, int] | None = None
        self.unwritten: list[Candidate] = []  # this batch's candidates whose Mention is still to be written
        self.relinks: dict[str, str] = {}
        self.snapshots: list[EngagementSnapshot] = []
        self.hot_entries: list[HotlistEntry] = []
        self.previous_engagement: dict[str, dict[str, Any]] | None = None  # mention id -> latest snapshot
        self.clock_start = time.monotonic()
        self.write_process: WriterProcess | None = None
        self.write_process_tried = False

    @classmethod
    def from_crawler(cls, crawler: Any) -> MentionPipeline:
        return cls(crawler)

    @property
    def spider(self) -> Any:
        return self.crawler.spider

    def open_spider(self, spider: Any = None) -> None:
        sp = self.spider
        self.spool = Spool(sp.store.prefix, f"{sp.source.id}-{sp.now.strftime('%Y%m%dT%H%M%S')}")
        self.clock_start = time.monotonic()

    def process_item(self, item: dict[str, Any] | FetchedPage, spider: Any = None) -> dict[str, Any] | FetchedPage:
        if not self.write_process_tried:  # the first item: fork the write process (see crawlers.writer)
            self.write_process_tried = True
            self.write_process = WriterProcess.start(self)
        if self.write_process is not None:
            self.write_process.send(item)
            return item
        sp = self.spider
        if isinstance(item, FetchedPage):  # a page the spider left to be decoded and extracted here
            for built in sp.page_items(item):
                self.process_item(built)
            return item
        mention_id = stable_id(sp.source.id, item["key"])
        if item.get("hot"):
            hot = item["hot"]
            self.hot_entries.append(HotlistEntry(
                id=stable_id(sp.source.id, item["key"], iso(sp.now)), source_id=sp.source.id,
                key=item["key"], at=sp.now, mention_id=None if item.get("no_mention") else mention_id, **hot))
            if item.get("no_mention"):
                return item  # touches no priority or place: rank history only
        if item.get("engagement"):
            item["extra"] = {**item["extra"], **self.snapshot(mention_id, item)}
        if item.get("engagement_only"):
            if item["was_seen"]:
                self.updates.append((mention_id, {"extra": item["extra"]}, item))
        elif item["was_seen"]:
            # seen before but fetched again: a board message whose reply may have arrived
            if item["complete"]:
                self.updates.append((mention_id, {"extra": item["extra"]}, item))
        else:
            self.buffer.append((self.build(item), item))
        if len(self.buffer) + len(self.updates) >= self.batch_size:
            self.flush()
        return item

    # -- engagement -----------------------------------------------------------------------------

    def _previous(self, mention_id: str) -> dict[str, Any] | None:
        """The latest stored snapshot of a mention before this crawl (loaded once per run)."""
        sp = self.spider
        if self.previous_engagement is None:
            self.previous_engagement = {}
            if not sp.store_down:
                try:
                    for doc in sp.store.scan("engagement", {"bool": {"filter": [
                            {"term": {"source_id": sp.source.id}}, {"range": {"at": {"lt": iso(sp.now)}}}]}}):
                        held = self.previous_engagement.get(doc["mention_id"])
                        if held is None or str(doc["at"]) > str(held["at"]):
                            self.previous_engagement[doc["mention_id"]] = doc
                except StorageUnavailable:
                    pass  # the first snapshot after the outage measures from publication instead
        return self.previous_engagement.get(mention_id)

    def _stored_published_at(self, mention_id: str) -> dt.datetime | None:
        """The publication time of a mention stored by an earlier crawl (None when unknown)."""
        sp = self.spider
        if sp.store_down:
            return None
        try:
            doc = sp.store.get("mentions", mention_id)
        except StorageUnavailable:
            return None
        return parse_ts(doc.get("published_at")) if doc and doc.get("published_at") else None

    def snapshot(self, mention_id: str, item: dict[str, Any]) -> dict[str, Any]:
        """Record this crawl's figures as a snapshot; return the fields for the mention's ``extra``."""
        sp = self.spider
        figures = {k: v for k, v in item["engagement"].items() if k in ENGAGEMENT_FIELDS}
        published = item.get("published_at")
        previous = self._previous(mention_id)
        if previous is None and not isinstance(published, dt.datetime) and item.get("engagement_only"):
            published = self._stored_published_at(mention_id)  # so a re-run measures as the first run did
        rate = spread_per_hour(figures, sp.now, previous, published if isinstance(published, dt.datetime) else None)
        self.snapshots.append(EngagementSnapshot(
            id=stable_id(mention_id, iso(sp.now)), mention_id=mention_id, source_id=sp.source.id, at=sp.now,
            interactions=interactions(figures), spread_per_hour=rate, **figures))
        return {**figures, "spread_per_hour": rate, "engagement_at": iso(sp.now)}

    def build(self, item: dict[str, Any]) -> Mention:
        from yuqing.segment import segmenter

        sp = self.spider
        src = sp.source
        seg = segmenter()
        title, text = item["title"], item["text"]
        tokens = seg.cut(text)
        return Mention(
            id=stable_id(src.id, item["key"]), source_id=src.id, source_type=src.type, media_tier=src.media_tier,
            jurisdiction=src.jurisdiction, official=src.official, office=src.office, url=item["url"],
            canonical_url=canonical_url(item["url"]), guid=item["guid"], title=title, text=text,
            title_seg=seg.cut_for_index(title), text_seg=" ".join(tokens), author=item["author"],
            publisher=item["publisher"], published_at=item["published_at"], crawled_at=sp.now,
            encoding=item["encoding"],
            content_hash=hashlib.sha1(f"{title}\n{text}".encode()).hexdigest(),
            crawl_run=self.run_id, doc_type=item["doc_type"], extra=item["extra"],
        )

    def hash_batch(self, mentions: list[Mention]) -> None:
        """SimHash and band keys of the batch's new mentions, at once (``dedup.simhashes``), over their
        stored tokens (the text's, or the title's when the text has none); a text shorter than
        ``crawl.simhash_min_chars`` gets no band keys (too short to call a reprint)."""
        values = dedup.simhashes([(m.text_seg or m.title_seg).split() for m in mentions])
        min_chars = self.spider.crawl_settings.simhash_min_chars
        for m, value in zip(mentions, values.tolist(), strict=True):
            m.simhash = dedup.to_hex(value)
            m.simhash_bands = dedup.bands(value) if len(m.text) >= min_chars else []

    # -- reprints -------------------------------------------------------------------------------

    def _stored_candidates(self, mentions: list[Mention], k: int, *, every_key: bool = False) -> list[Candidate]:
        """Stored mentions sharing a probe key with the batch (every one within ``k`` does), minus those
        already held: one band search per batch, paged, earliest first.

        A key this run searched less than ``crawl.reprint_search_memory`` ago is not searched again:
        what it found then is held, and what the run stored since is held too. (With 16-bit bands a
        long run probes most keys within a few thousand mentions, so later batches search few.) What
        another crawl stores meanwhile under such a key is found once the memory lapses, by the
        other crawl's own search, or by this run's last batch, which searches every key
        (``every_key``): a source's last batch still finds what the source that closed before it
        stored."""
        sp = self.spider
        if not mentions or sp.store_down:
            return []
        hashes = np.fromiter((dedup.from_hex(m.simhash or "0") for m in mentions), dtype=np.uint64,
                             count=len(mentions))
        values = dedup.probe_values(hashes, k)
        memory = sp.crawl_settings.reprint_search_memory
        searched = None
        if memory > 0 and not every_key:
            if self.searched is None:
                self.searched = np.full((dedup.BANDS, 1 << dedup.BAND_BITS), -np.inf, dtype=np.float32)
            searched = self.searched
        run_seconds = np.float32(time.monotonic() - self.clock_start)
        if searched is not None:
            values = [v[searched[i, v] < run_seconds - memory] for i, v in enumerate(values)]
        if not any(len(v) for v in values):
            return []
        # Left out: what this run wrote (one term) and the stored candidates already read.
        must_not: list[dict[str, Any]] = [{"term": {"crawl_run": self.run_id}}]
        if held := self.read.matching(values):
            must_not.append({"ids": {"values": held}})
        query: dict[str, Any] = {"bool": {"filter": [{"terms": {"simhash_bands": dedup.band_keys(values)}}],
                                          "must_not": must_not}}
        limit = sp.crawl_settings.reprint_candidate_limit
        out: list[Candidate] = []
        after: list[Any] | None = None
        try:
            while len(out) < limit:
                size = min(CANDIDATE_PAGE, limit - len(out))
                hits = sp.store.search("mentions", query=query, size=size, sort=CANDIDATE_SORT, search_after=after,
                                       source=["id", "simhash", "published_at", "crawled_at", "reprint_of"],
                                       track_total_hits=False)["hits"]["hits"]
                for hit in hits:
                    doc = hit["_source"]
                    at = parse_ts(doc.get("published_at")) or parse_ts(doc.get("crawled_at"))
                    if doc.get("simhash") and at is not None:
                        out.append(Candidate(doc["id"], dedup.from_hex(doc["simhash"]), at, doc.get("reprint_of")))
                if len(hits) < size:
                    break
                after = hits[-1]["sort"]
            else:
                log.warning("source %s: more than %d stored reprint candidates for one batch; the earliest were "
                            "compared (crawl.reprint_candidate_limit)", sp.source.id, limit)
                return out  # not all read: these keys are searched again by the next batch that probes them
        except StorageUnavailable:
            return out  # the batch will spool; reprints are still linked within this run
        if searched is not None:  # the last batch marks nothing: no batch follows it
            for i, v in enumerate(values):
                searched[i, v] = run_seconds
        return out

    def link_reprints(self, mentions: list[Mention], *, last: bool = False) -> None:
        """Set ``reprint_of`` to the earliest near-duplicate; if the new one is the earliest, the
        others are re-linked to it (``self.relinks``). ``last``: the run's last batch."""
        k = self.spider.crawl_settings.simhash_max_distance
        eligible = [m for m in mentions if m.simhash_bands]
        for c in self._stored_candidates(eligible, k, every_key=last):
            self.known.add(c)
            self.read.add(c)
        for m in eligible:
            h = dedup.from_hex(m.simhash or "0")
            group = [c for c in self.known.within(h, k) if c.id != m.id]
            me = Candidate(m.id, h, _when(m), None, m)
            if group:
                earliest = min(group, key=lambda c: (c.at, c.id))
                if (me.at, me.id) < (earliest.at, earliest.id):
                    for c in group:
                        c.reprint_of = m.id
                        if c.mention is not None:
                            c.mention.reprint_of = m.id
                        else:
                            self.relinks[c.id] = m.id
                else:
                    m.reprint_of = earliest.reprint_of or earliest.id
                    me.reprint_of = m.reprint_of
            self.known.add(me, replace=True)
            self.unwritten.append(me)

    # -- writes ---------------------------------------------------------------------------------

    def flush(self, *, last: bool = False) -> None:
        """Write the batch built so far (``last``: the run's last batch, see :meth:`_stored_candidates`)."""
        if not self.buffer and not self.updates and not self.relinks and not self.snapshots \
                and not self.hot_entries:
            return
        sp = self.spider
        mentions = [m for m, _ in self.buffer]
        self.hash_batch(mentions)
        self.link_reprints(mentions, last=last)
        now_iso = iso(sp.now)
        # A new item's crawl state is written whole (every field of its mapping), so a plain index
        # does what an upsert would, without Elasticsearch reading the old document first; an
        # update's state is partial (first_seen_at kept) and stays an upsert.
        states: list[tuple[str, dict[str, Any]]] = []
        seen_states: list[tuple[str, dict[str, Any]]] = []
        for m, item in self.buffer:  # a key's crawl state and its mention share one id: stable_id(source, key)
            states.append((m.id, {
                "id": m.id, "source_id": sp.source.id, "key": item["key"],
                "mention_id": m.id, "first_seen_at": now_iso, "last_seen_at": now_iso, "simhash": m.simhash,
                "complete": bool(item["complete"]),
            }))
        partials: list[tuple[str, dict[str, Any]]] = [(mid, {"reprint_of": root}) for mid, root in self.relinks.items()]
        for mid, partial, item in self.updates:
            partials.append((mid, partial))
            if item.get("engagement_only"):
                continue  # fresh figures only: the crawl state (e.g. a reply still awaited) is unchanged
            sid = stable_id(sp.source.id, item["key"])
            seen_states.append((sid, {"id": sid, "source_id": sp.source.id, "key": item["key"], "mention_id": mid,
                                 "last_seen_at": now_iso, "complete": True}))
        writes: list[tuple[str, str, list[tuple[str, dict[str, Any]]]]] = [
            ("mentions", "create", [(m.id, m.to_doc()) for m in mentions]),
            ("mentions", "update", partials),
            ("crawl_state", "index", states),
            ("crawl_state", "update", seen_states),
            ("engagement", "index", [(snap.id, snap.to_doc()) for snap in self.snapshots]),
            ("hotlist", "index", [(entry.id, entry.to_doc()) for entry in self.hot_entries]),
        ]
        # One batch in flight: Elasticsearch indexes it while this process segments the next one.
        # Its outcome (refusals, an outage) is taken in before the next batch is sent, in order.
        self.wait_writes()
        updated = sum(1 for _, _, item in self.updates if not item.get("engagement_only"))
        self.pending = (self.writer().submit(self._write, writes), writes, [m.id for m in mentions],
                        len(self.updates), updated)
        for _, item in self.buffer:
            sp.seen[item["key"]] = bool(item["complete"])
        for c in self.unwritten:
            c.mention = None  # written (or spooled): a later re-link is a partial update
        self.unwritten.clear()
        self.buffer.clear()
        self.updates.clear()
        self.relinks.clear()
        self.snapshots.clear()
        self.hot_entries.clear()

    def writer(self) -> ThreadPoolExecutor:
        if self._writer is None:
            self._writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="yuqing-bulk")
        return self._writer

    def _write(self, writes: list[tuple[str, str, list[tuple[str, dict[str, Any]]]]]) -> list[tuple[str, str, str]]:
        """Send one batch's writes (in the writer thread); returns the refused (kind, id, reason)."""
        sp = self.spider
        if sp.store_down:
            sp.store.health()  # raises StorageUnavailable while it is still down
        refused: list[tuple[str, str, str]] = []
        for kind, op, docs in writes:
            if docs:
                result = sp.store.bulk(kind, docs, op=op)
                refused.extend((kind, doc_id, reason) for doc_id, reason in result.failed)
        return refused

    def wait_writes(self) -> None:
        """Take in the outcome of the batch in flight: count it, or spool it when the store is down."""
        if self.pending is None:
            return
        future, writes, mention_ids, n_updates, updated = self.pending
        self.pending = None
        sp = self.spider
        counts = sp.counts
        try:
            rejected = future.result()
        except StorageUnavailable:
            sp.store_down = True
            for kind, op, docs in writes:
                if docs:
                    self.spool.append(kind, op, docs)
            counts.new += len(mention_ids)
            counts.updated += updated
            counts.spooled += len(mention_ids) + n_updates
            log.warning("source %s: Elasticsearch unreachable; %d items spooled to %s", sp.source.id,
                        len(mention_ids) + n_updates, self.spool.path)
            return
        sp.store_down = False
        refused: set[str] = set()
        for kind, doc_id, reason in rejected:
            refused.add(doc_id)
            sp.fail("store_refused", url=doc_id)
            log.warning("%s/%s refused: %s", kind, doc_id, reason)
        counts.new += sum(1 for mid in mention_ids if mid not in refused)
        counts.updated += updated

    def close_spider(self, spider: Any = None) -> Coroutine[Any, Any, None] | None:
        if not in_engine(self.crawler):  # driven directly (bench/writepath.py, tests)
            self._close()
            return None
        return self._close_in_turn()

    async def _close_in_turn(self) -> None:
        """The last writes, health and refresh of one source at a time in this crawl process: a
        source's last batch then finds the reprints another source stored (and refreshed) before
        it, as when every write ran on the reactor thread."""
        from scrapy.utils.defer import maybe_deferred_to_future
        from twisted.internet.defer import DeferredLock
        from twisted.internet.threads import deferToThread

        global _closing
        if _closing is None:
            _closing = DeferredLock()
        await maybe_deferred_to_future(_closing.acquire())
        try:
            if (process := self.write_process) is not None:
                self.write_process = None
                for report in await maybe_deferred_to_future(deferToThread(process.finish)):
                    process.apply(report)
            self._close()
        finally:
            _closing.release()

    def _close(self) -> None:
        sp = self.spider
        self.flush(last=True)
        self.wait_writes()
        if self._writer is not None:
            self._writer.shutdown()
            self._writer = None
        finished = sp.now + dt.timedelta(seconds=time.monotonic() - self.clock_start)
        previous = None
        if not sp.store_down:
            try:
                previous = previous_health(sp.store, sp.source.id, iso(sp.started_at))
            except StorageUnavailable:
                sp.store_down = True
        health = build_health(sp.source, sp.crawl_settings, sp.counts, started_at=sp.started_at,
                              finished_at=finished, previous=previous)
        sp.health = health
        try:
            if sp.store_down:
                raise StorageUnavailable("still down")
            sp.store.put("source_health", health.id, health.to_doc())
            sp.store.refresh("mentions", "crawl_state", "source_health", "engagement", "hotlist")
        except StorageUnavailable:
            self.spool.append("source_health", "index", [(health.id, health.to_doc())])
        try:
            spool.remember_keys(sp.store.prefix, sp.source.id, sp.seen)
        except OSError as exc:
            log.warning("source %s: crawl-state keys not kept on disk: %s", sp.source.id, exc)
        c = sp.counts
        log.info("source %s: found %d, new %d, updated %d, failed %d %s, spooled %d, status %s", sp.source.id,
                 c.found, c.new, c.updated, c.failed, c.reasons or "", c.spooled, health.status)

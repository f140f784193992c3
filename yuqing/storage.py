"""Elasticsearch, the system of record: index templates, aliases and the one storage gateway.

Every kind of document (mentions, incidents, clocks, …) lives in a versioned concrete index
``<prefix>-<kind>-v<N>`` behind the alias ``<prefix>-<kind>``, created idempotently from an index
template. Code reads and writes only through :class:`Store`, which wraps client errors in the
project's own (:class:`StorageUnavailable` when the node cannot be reached, so an Airflow task
fails and is retried) and reports per-item bulk failures instead of dropping them.

Only core features are used (no painless, no ingest pipelines, no update-by-query), so the same
code runs on the local integ-test node and on a full production cluster. Chinese text is
segmented into jieba's tokens (:mod:`yuqing.segment`) and stored space-joined in ``*_seg`` fields
analysed by the ``whitespace`` analyzer.
"""

from __future__ import annotations

import base64
import contextlib
import dataclasses
import logging
import os
from collections.abc import Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

import orjson
from elasticsearch import ApiError, Elasticsearch, helpers
from elasticsearch import ConnectionError as ESConnectionError
from elasticsearch import ConnectionTimeout as ESConnectionTimeout
from elasticsearch import TransportError as ESTransportError
from elasticsearch.serializer import OrjsonSerializer

from yuqing.errors import InputError, StorageAuthError, StorageError, StorageUnavailable

if TYPE_CHECKING:
    from yuqing.config.storage import StorageConfig

log = logging.getLogger(__name__)

DEFAULT_PREFIX = "yuqing"

KW: dict[str, Any] = {"type": "keyword"}
DATE: dict[str, Any] = {"type": "date"}
BOOL: dict[str, Any] = {"type": "boolean"}
FLOAT: dict[str, Any] = {"type": "float"}
INT: dict[str, Any] = {"type": "integer"}
RAW_TEXT: dict[str, Any] = {"type": "text", "analyzer": "standard"}
SEG_TEXT: dict[str, Any] = {"type": "text", "analyzer": "whitespace"}
OBJ_OFF: dict[str, Any] = {"type": "object", "enabled": False}

PLACE = {"properties": {"province": KW, "city": KW, "district": KW, "code": KW, "names": KW, "source": KW}}

# Mappings per kind. Strings not listed become keywords (dynamic template), never analysed text.
MAPPINGS: dict[str, dict[str, Any]] = {
    "mentions": {
        "id": KW, "source_id": KW, "source_type": KW, "media_tier": KW, "jurisdiction": KW,
        "official": BOOL, "office": KW, "url": KW, "canonical_url": KW, "guid": KW,
        "title": RAW_TEXT, "text": RAW_TEXT, "title_seg": SEG_TEXT, "text_seg": SEG_TEXT,
        "author": KW, "publisher": KW, "published_at": DATE, "crawled_at": DATE, "encoding": KW,
        "content_hash": KW, "simhash": KW, "simhash_bands": KW, "reprint_of": KW, "crawl_run": KW, "doc_type": KW,
        "extra": OBJ_OFF,
        "analyzed_at": DATE, "analysis_version": KW,
        "sentiment": {"properties": {"label": KW, "score": FLOAT}},
        "priorities": {"properties": {"id": KW, "confidence": FLOAT, "evidence": KW, "parent": KW}},
        "place": PLACE, "keywords": KW, "incident_id": KW, "handling_kind": KW,
        # analysis failures: attempts so far, the last reason, and set aside after too many
        "analysis_attempts": INT, "analysis_error": KW, "analysis_failed_at": DATE, "analysis_failed": BOOL,
        # a person chose its incident (console): the analysis never regroups it
        "grouping": {"properties": {"manual": BOOL, "action": KW, "actor": KW, "at": DATE, "from_incident": KW}},
    },
    "incidents": {
        "id": KW, "title": RAW_TEXT, "summary": RAW_TEXT, "first_seen_at": DATE, "last_seen_at": DATE,
        "first_mention_id": KW, "mention_count": INT, "reprint_count": INT, "reach": FLOAT,
        "interactions": INT, "spread_per_hour": FLOAT,
        "tiers": OBJ_OFF, "sources": KW, "places": PLACE, "place_codes": KW, "priorities": KW,
        "subtopics": KW, "keywords": KW, "negative_share": FLOAT, "sentiment_avg": FLOAT,
        "trend": OBJ_OFF,
        "severity": {"properties": {"level": KW, "score": FLOAT, "reasons": KW, "casualty_level": KW, "basis": KW,
                                    "emergency_kind": KW, "figures": OBJ_OFF, "history": OBJ_OFF}},
        "casualties": OBJ_OFF,
        "handling_kind": KW, "policy_document": BOOL, "board_message": BOOL, "state": KW,
        "routing": {"properties": {
            "lead_office": KW, "supporting_offices": KW, "notify": KW, "rule_id": KW, "reason_zh": KW,
            "inputs": OBJ_OFF, "consultation": BOOL, "routed_at": DATE,
            "handling_zh": KW, "consultation_offices": KW,
        }},
        "assigned_office": KW, "acknowledged_by": KW, "acknowledged_at": DATE, "closed_at": DATE,
        "dismiss_reason": KW, "created_at": DATE, "updated_at": DATE,
        "escalated_at": DATE, "urgent_due_at": DATE,
        "merged_into": KW, "merged_from": KW, "split_from": KW, "created_by": KW,
    },
    "clocks": {
        "id": KW, "incident_id": KW, "rule_id": KW, "name_zh": KW, "opened_at": DATE, "due_at": DATE,
        "state": KW, "owner_office": KW, "met_by": KW, "met_at": DATE, "evidence": OBJ_OFF,
        "reminders_sent": KW, "missed_at": DATE, "escalated_at": DATE, "waived_reason": KW,
        "duration": KW, "jurisdiction": KW, "last_reminder_at": DATE,
        "waived_by": KW, "waived_at": DATE,
    },
    "releases": {
        "id": KW, "incident_id": KW, "office": KW, "channel": KW, "url": KW, "title": RAW_TEXT,
        "published_at": DATE, "detected": BOOL, "mention_id": KW, "reviews": OBJ_OFF,
        "states_facts": BOOL, "states_measures": BOOL, "states_result": BOOL, "rebuts_rumour": BOOL,
        "press_conference": BOOL, "recorded_by": KW, "recorded_at": DATE,
        "release_kind": KW, "kind_cue": KW, "status": KW, "match_score": FLOAT, "match_reasons": OBJ_OFF,
        "decided_by": KW, "decided_at": DATE, "decision_reason": KW, "content": OBJ_OFF,
        "text": {"type": "text", "index": False}, "review_recorded_by": KW, "review_recorded_at": DATE,
    },
    "deliveries": {
        "id": KW, "alert_key": KW, "rule_id": KW, "incident_id": KW, "clock_id": KW, "channel_id": KW,
        "channel_type": KW, "recipient": KW, "office": KW, "role": KW, "ladder_step": INT, "level": KW,
        "title": RAW_TEXT, "body": {"type": "text", "index": False}, "state": KW, "attempts": INT,
        "next_attempt_at": DATE, "last_error": KW, "response": OBJ_OFF, "created_at": DATE,
        "sent_at": DATE, "acknowledged_by": KW, "acknowledged_at": DATE,
        "target": KW, "recipients": KW, "alert_kind": KW, "source_id": KW, "facts": OBJ_OFF, "batch_id": KW,
        "sending_at": DATE,
    },
    "audit": {
        "id": KW, "entity": KW, "entity_id": KW, "action": KW, "actor": KW, "at": DATE, "reason": KW,
        "before": OBJ_OFF, "after": OBJ_OFF,
    },
    "reports": {
        "id": KW, "report_type": KW, "subject": KW, "title": RAW_TEXT, "generated_at": DATE,
        "figures": OBJ_OFF, "files": OBJ_OFF,
    },
    "assessments": {
        "id": KW, "incident_id": KW, "office": KW, "score": FLOAT, "indicators": OBJ_OFF,
        "clocks": OBJ_OFF, "generated_at": DATE,
        "figures": OBJ_OFF, "grade": KW, "closed_at": DATE,  # reports
    },
    "source_health": {
        "id": KW, "source_id": KW, "run_id": KW, "started_at": DATE, "finished_at": DATE,
        "items_found": INT, "items_new": INT, "items_failed": INT, "failure_reasons": OBJ_OFF,
        "last_success_at": DATE, "error_rate": FLOAT, "status": KW,
        "last_new_at": DATE, "items_updated": INT,
    },
    # Engagement snapshots: one document per mention per crawl (EngagementSnapshot).
    "engagement": {
        "id": KW, "mention_id": KW, "source_id": KW, "at": DATE, "reposts": INT, "comments": INT,
        "likes": INT, "views": INT, "interactions": INT, "spread_per_hour": FLOAT,
    },
    # Hot-list entries: one document per entry per crawl (rank history), HotlistEntry.
    "hotlist": {
        "id": KW, "source_id": KW, "key": KW, "title": RAW_TEXT, "url": KW, "rank": INT, "heat": {"type": "long"},
        "at": DATE, "listed_at": DATE, "relevant": BOOL, "priorities": KW, "places": KW, "terms": KW,
        "mention_id": KW,
    },
    # Crawl bookkeeping: one document per seen URL/GUID per source, so a second run skips it.
    "crawl_state": {
        "id": KW, "source_id": KW, "key": KW, "mention_id": KW, "first_seen_at": DATE,
        "last_seen_at": DATE, "simhash": KW,
        "complete": BOOL,  # false while a board message awaits its reply: it is fetched again
    },
    # Alert suppression state per alert key (last sent, interval, count): survives restarts.
    "alert_state": {
        "id": KW, "alert_key": KW, "incident_id": KW, "last_sent_at": DATE, "next_allowed_at": DATE,
        "count": INT, "ladder_step": INT, "acknowledged_at": DATE, "state": KW,
        "episode": INT, "first_at": DATE, "level": KW, "rule_id": KW, "kind": KW, "acknowledged_by": KW,
        "clock_id": KW, "source_id": KW,
    },
    # Console sessions, one per sign-in, by a digest of the cookie's session id: revoked server-side
    # (sign-out, password change, user removal), shared by every console process.
    "console_sessions": {
        "id": KW, "user": KW, "created_at": DATE, "expires_at": DATE, "revoked_at": DATE, "revoked_reason": KW,
        "password_tag": KW, "address": KW,
    },
    # Failed sign-ins per account and per client address (ids "account:<name>", "address:<ip>").
    "sign_in_attempts": {
        "id": KW, "scope": KW, "key": KW, "failures": INT, "first_failure_at": DATE, "last_failure_at": DATE,
        "locked_until": DATE,
    },
}

# Bump a kind's version when its mapping changes incompatibly: a new concrete index is created
# and the alias moves to it once it is filled (see docs/operations.md).
VERSIONS: dict[str, int] = dict.fromkeys(MAPPINGS, 1)


def _index_body(kind: str, settings: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "settings": dict(settings),
        "mappings": {
            "dynamic_templates": [
                {"strings_as_keywords": {"match_mapping_type": "string", "mapping": {"type": "keyword"}}}
            ],
            "properties": MAPPINGS[kind],
        },
    }


@dataclasses.dataclass
class BulkResult:
    ok: int = 0
    failed: list[tuple[str, str]] = dataclasses.field(default_factory=list)  # (id, reason)
    existing: list[str] = dataclasses.field(default_factory=list)  # op=create: ids that were there already
    conflicts: list[str] = dataclasses.field(default_factory=list)  # conditional writes that lost a race


class ConflictError(StorageError):
    """A conditional write lost a race (another writer changed the document first)."""


class Serializer(OrjsonSerializer):
    """JSON for every request and response, by orjson: bulk bodies are encoded and search results
    decoded several times faster than by the standard library, which matters in the crawl's write
    path (one core does the segmenting, hashing and encoding). Keys that are not strings become
    strings, as the standard library's json makes them; numpy values are written as numbers."""

    def json_dumps(self, data: Any) -> bytes:
        return orjson.dumps(data, default=self.default, option=orjson.OPT_SERIALIZE_NUMPY | orjson.OPT_NON_STR_KEYS)


def make_client(url: str | None = None, timeout: float = 30.0, *, purpose: str = "tasks") -> Elasticsearch:
    """A client for ``url`` (default: ES_URL / the ``yuqing_es`` connection, else the local node
    with the account for ``purpose``). Several nodes may be given comma-separated; credentials
    travel as ``user:password@`` in each URL. Creates no connection yet."""
    if url is None:
        from yuqing.esnode import node_url

        url = node_url(purpose=purpose)
    from yuqing.essecurity import redact, split_urls

    try:
        return Elasticsearch(split_urls(url), request_timeout=timeout, retry_on_timeout=False, max_retries=1,
                             serializer=Serializer())
    except ValueError as exc:  # a malformed ES_URL / connection: the operator's input, not a bug
        raise InputError(f"Elasticsearch 地址无效：{redact(url)!r}（应如 http://127.0.0.1:9200，见 ES_URL）："
                         f"{exc}") from exc


def client_url(client: Elasticsearch) -> str:
    """The URL(s) of ``client``'s nodes with its credentials, for handing the connection to another
    process (a crawl child): the client keeps them as a Basic ``authorization`` header."""
    from yuqing.essecurity import with_credentials

    out = []
    client_auth = (getattr(client, "_headers", None) or {}).get("authorization")
    for node in client.transport.node_pool.all():
        url = str(node.base_url)
        auth = node.config.headers.get("authorization") or client_auth
        if isinstance(auth, str) and auth.startswith("Basic "):
            user, _, password = base64.b64decode(auth[6:]).decode("utf-8").partition(":")
            url = with_credentials(url, user, password)
        out.append(url)
    return ",".join(out)


class Store:
    """The one gateway to Elasticsearch. ``prefix`` isolates deployments and test cases."""

    def __init__(self, client: Elasticsearch, prefix: str = DEFAULT_PREFIX) -> None:
        self.client = client
        self.prefix = prefix

    @classmethod
    def connect(cls, url: str | None = None, prefix: str | None = None, *, purpose: str = "tasks") -> Store:
        """The store at ``url`` (default: see :func:`make_client`; ``purpose`` picks the local
        node's account: ``tasks`` or ``console``)."""
        return cls(make_client(url, purpose=purpose), prefix or os.environ.get("YUQING_INDEX_PREFIX", DEFAULT_PREFIX))

    @property
    def url(self) -> str:
        """This store's cluster URL(s) with credentials: hand it to another process, never print it."""
        return client_url(self.client)

    # -- names and lifecycle --------------------------------------------------------------------

    def alias(self, kind: str) -> str:
        if kind not in MAPPINGS:
            raise StorageError(f"unknown document kind {kind!r}")
        return f"{self.prefix}-{kind}"

    def concrete(self, kind: str) -> str:
        return f"{self.alias(kind)}-v{VERSIONS[kind]}"

    def index_settings(self, storage: StorageConfig | None = None) -> dict[str, dict[str, Any]]:
        """Per kind, the index settings ``config/storage.yaml`` asks for, with replicas capped at
        what this cluster can hold (data nodes - 1), so a single node stays green."""
        if storage is None:
            from yuqing.config.base import load_model
            from yuqing.config.storage import StorageConfig
            from yuqing.paths import config_dir

            path = config_dir() / "storage.yaml"
            storage = load_model(StorageConfig, path) if path.exists() else StorageConfig()
        with self._errors("cluster health"):
            data_nodes = int(self.client.cluster.health()["number_of_data_nodes"])
        out = {}
        for kind in MAPPINGS:
            wanted = storage.index_settings(kind)
            if wanted["number_of_replicas"] > data_nodes - 1:
                capped = max(data_nodes - 1, 0)
                if kind == next(iter(MAPPINGS)):
                    # One node is a single-node deployment (local, tests): expected. More nodes but
                    # too few for the replicas is a degraded cluster: worth a warning.
                    log.log(logging.INFO if data_nodes == 1 else logging.WARNING,
                            "cluster has %d data node(s): indices get %d replica(s), not the %d configured",
                            data_nodes, capped, wanted["number_of_replicas"])
                wanted = {**wanted, "number_of_replicas": capped}
            out[kind] = wanted
        return out

    def ensure_indices(self, storage: StorageConfig | None = None) -> None:
        """Create every template, index and alias that is missing, and bring the dynamic settings
        (replicas, refresh interval) of existing indices to ``storage`` (default: the configuration
        directory's ``storage.yaml``). Safe to call at every start."""
        settings = self.index_settings(storage)
        for kind in MAPPINGS:
            alias, index = self.alias(kind), self.concrete(kind)
            body = _index_body(kind, settings[kind])
            with self._errors(f"create index template for {kind}"):
                self.client.indices.put_index_template(
                    name=alias, index_patterns=[f"{alias}-v*"], priority=100,
                    template={"settings": body["settings"], "mappings": body["mappings"]},
                    meta={"version": VERSIONS[kind], "owner": "yuqing-watch"},
                )
                if not self.client.indices.exists(index=index):
                    try:
                        self.client.indices.create(index=index, aliases={alias: {"is_write_index": True}})
                    except ApiError as exc:
                        if exc.error != "resource_already_exists_exception":
                            raise
                    continue
                dynamic = {k: settings[kind][k] for k in ("number_of_replicas", "refresh_interval")}
                current = self.client.indices.get_settings(index=index, name="index.number_of_replicas,"
                                                                              "index.refresh_interval")
                have = current[index]["settings"].get("index", {})
                if {k: str(have.get(k, "")) for k in dynamic} != {k: str(v) for k, v in dynamic.items()}:
                    self.client.indices.put_settings(index=index, settings={"index": dynamic})
        self.wait_ready()

    def require_indices(self) -> None:
        """Check that every alias exists, creating nothing (for the console, whose account may not
        create indices); raise StorageError naming ``yuqing init`` when one is missing."""
        with self._errors("check indices"):
            missing = [self.alias(k) for k in MAPPINGS if not self.client.indices.exists_alias(name=self.alias(k))]
        if missing:
            raise StorageError(f"indices missing under prefix {self.prefix!r} ({', '.join(missing)}); "
                               "run `yuqing init` with the tasks' credentials first")

    def wait_ready(self, timeout: str = "30s") -> None:
        with self._errors("wait for cluster health"):
            self.client.cluster.health(index=f"{self.prefix}-*", wait_for_status="yellow", timeout=timeout)

    def drop_all(self) -> None:
        """Delete this prefix's indices and templates (tests and `yuqing reset` only)."""
        with self._errors("delete indices"):
            self.client.indices.delete(index=f"{self.prefix}-*", ignore_unavailable=True, allow_no_indices=True)
            for kind in MAPPINGS:
                self.client.options(ignore_status=404).indices.delete_index_template(name=self.alias(kind))

    def refresh(self, *kinds: str) -> None:
        names = ",".join(self.alias(k) for k in (kinds or tuple(MAPPINGS)))
        with self._errors("refresh"):
            self.client.indices.refresh(index=names)

    def health(self) -> dict[str, Any]:
        with self._errors("cluster health"):
            return dict(self.client.cluster.health())

    # -- writes ---------------------------------------------------------------------------------

    def put(self, kind: str, doc_id: str, doc: Mapping[str, Any], *, refresh: bool = False,
            if_seq_no: int | None = None, if_primary_term: int | None = None) -> None:
        """Index (create or overwrite) one document under its deterministic id."""
        with self._errors(f"write {kind}/{doc_id}"):
            try:
                self.client.index(index=self.alias(kind), id=doc_id, document=dict(doc),
                                  refresh="wait_for" if refresh else None,
                                  if_seq_no=if_seq_no, if_primary_term=if_primary_term)
            except ApiError as exc:
                if exc.meta.status == 409:
                    raise ConflictError(f"{kind}/{doc_id} was changed by another writer") from exc
                raise

    def create(self, kind: str, doc_id: str, doc: Mapping[str, Any], *, refresh: bool = False) -> bool:
        """Create a document only if the id is new; return whether it was created."""
        with self._errors(f"create {kind}/{doc_id}"):
            try:
                self.client.create(index=self.alias(kind), id=doc_id, document=dict(doc),
                                   refresh="wait_for" if refresh else None)
            except ApiError as exc:
                if exc.meta.status == 409:
                    return False
                raise
        return True

    def update(self, kind: str, doc_id: str, partial: Mapping[str, Any], *, upsert: bool = True,
               refresh: bool = False) -> None:
        """Merge ``partial`` into the document (creating it when ``upsert``)."""
        with self._errors(f"update {kind}/{doc_id}"):
            self.client.update(index=self.alias(kind), id=doc_id, doc=dict(partial),
                               doc_as_upsert=upsert, refresh="wait_for" if refresh else None,
                               retry_on_conflict=3)

    def bulk(self, kind: str, docs: Iterable[tuple[str, Mapping[str, Any]]], *, op: str = "index",
             refresh: bool = False, chunk_size: int = 1000,
             versions: Mapping[str, tuple[int, int]] | None = None, upsert: bool = True) -> BulkResult:
        """Write many documents; per-item failures are returned with their reason, never dropped.

        ``op`` is ``index`` (overwrite), ``create`` (skip existing ids: reported as ok and listed in
        ``existing``) or ``update`` (merge, with doc_as_upsert unless ``upsert`` is false).
        ``versions`` makes the writes of those ids conditional on ``(seq_no, primary_term)``, as
        :meth:`put` does for one: a write that lost a race is a failure listed in ``conflicts``.
        """
        alias = self.alias(kind)

        def actions() -> Iterator[dict[str, Any]]:
            for doc_id, doc in docs:
                if op == "update":
                    action = {"_op_type": "update", "_index": alias, "_id": doc_id, "doc": doc,
                              "doc_as_upsert": upsert}
                else:
                    action = {"_op_type": op, "_index": alias, "_id": doc_id, "_source": doc}
                if versions is not None and doc_id in versions:
                    action["if_seq_no"], action["if_primary_term"] = versions[doc_id]
                yield action

        result = BulkResult()
        with self._errors(f"bulk write {kind}"):
            for ok, item in helpers.streaming_bulk(self.client, actions(), chunk_size=chunk_size,
                                                   raise_on_error=False, raise_on_exception=True,
                                                   max_retries=2, initial_backoff=1):
                info = next(iter(item.values()))
                if ok or (op == "create" and info.get("status") == 409):
                    result.ok += 1
                    if not ok:
                        result.existing.append(str(info.get("_id")))
                else:
                    if info.get("status") == 409:
                        result.conflicts.append(str(info.get("_id")))
                    reason = info.get("error", {})
                    text = reason.get("reason", str(reason)) if isinstance(reason, dict) else str(reason)
                    result.failed.append((str(info.get("_id")), text))
        if refresh:
            self.refresh(kind)
        if result.failed:
            log.warning("bulk %s: %d written, %d failed (first: %s)", kind, result.ok, len(result.failed),
                        result.failed[0])
        return result

    # -- reads ----------------------------------------------------------------------------------

    def get(self, kind: str, doc_id: str) -> dict[str, Any] | None:
        with self._errors(f"read {kind}/{doc_id}"):
            try:
                resp = self.client.get(index=self.alias(kind), id=doc_id)
            except ApiError as exc:
                if exc.meta.status == 404:
                    return None
                raise
        return dict(resp["_source"])

    def get_versioned(self, kind: str, doc_id: str) -> tuple[dict[str, Any], int, int] | None:
        """The document with its ``(seq_no, primary_term)`` for a conditional write."""
        with self._errors(f"read {kind}/{doc_id}"):
            try:
                resp = self.client.get(index=self.alias(kind), id=doc_id)
            except ApiError as exc:
                if exc.meta.status == 404:
                    return None
                raise
        return dict(resp["_source"]), int(resp["_seq_no"]), int(resp["_primary_term"])

    def scan_versioned(self, kind: str, query: Mapping[str, Any] | None = None, *,
                       page: int = 2000) -> Iterator[tuple[dict[str, Any], int, int]]:
        """Every matching document with its ``(seq_no, primary_term)`` for conditional writes."""
        body: dict[str, Any] = {"query": dict(query or {"match_all": {}}), "seq_no_primary_term": True}
        with self._errors(f"scan {kind}"):
            for hit in helpers.scan(self.client, index=self.alias(kind), query=body, size=page,
                                    preserve_order=False):
                yield dict(hit["_source"]), int(hit["_seq_no"]), int(hit["_primary_term"])

    def mget(self, kind: str, ids: Iterable[str]) -> dict[str, dict[str, Any]]:
        return {doc_id: doc for doc_id, (doc, _, _) in self.mget_versioned(kind, ids).items()}

    def mget_versioned(self, kind: str, ids: Iterable[str]) -> dict[str, tuple[dict[str, Any], int, int]]:
        """Documents by id (realtime: every acknowledged write is seen, refreshed or not), each with
        its ``(seq_no, primary_term)`` for a conditional write (``bulk(versions=…)``)."""
        ids = list(dict.fromkeys(ids))
        if not ids:
            return {}
        with self._errors(f"read many {kind}"):
            resp = self.client.mget(index=self.alias(kind), ids=ids)
        return {d["_id"]: (dict(d["_source"]), int(d["_seq_no"]), int(d["_primary_term"]))
                for d in resp["docs"] if d.get("found")}

    def search(self, kind: str, *, query: Mapping[str, Any] | None = None, size: int = 10,
               sort: Any = None, aggs: Mapping[str, Any] | None = None, from_: int = 0,
               source: Any = None, track_total_hits: bool = True,
               highlight: Mapping[str, Any] | None = None, search_after: list[Any] | None = None,
               seq_no_primary_term: bool | None = None) -> dict[str, Any]:
        with self._errors(f"search {kind}"):
            resp = self.client.search(index=self.alias(kind), query=dict(query or {"match_all": {}}),
                                      size=size, sort=sort, aggs=dict(aggs) if aggs else None,
                                      from_=from_, source=source, track_total_hits=track_total_hits,
                                      highlight=dict(highlight) if highlight else None, search_after=search_after,
                                      seq_no_primary_term=seq_no_primary_term)
        return dict(resp)

    def find(self, kind: str, query: Mapping[str, Any] | None = None, *, size: int = 10000,
             sort: Any = None) -> list[dict[str, Any]]:
        """Up to ``size`` matching documents' sources (use :meth:`scan` for more)."""
        resp = self.search(kind, query=query, size=size, sort=sort, track_total_hits=False)
        return [dict(h["_source"]) for h in resp["hits"]["hits"]]

    def scan(self, kind: str, query: Mapping[str, Any] | None = None, *, page: int = 2000,
             source: Any = None) -> Iterator[dict[str, Any]]:
        """Every matching document, in pages, without the 10,000 result window limit."""
        body: dict[str, Any] = {"query": dict(query or {"match_all": {}})}
        if source is not None:
            body["_source"] = source
        with self._errors(f"scan {kind}"):
            for hit in helpers.scan(self.client, index=self.alias(kind), query=body, size=page,
                                    preserve_order=False):
                yield dict(hit["_source"])

    def count(self, kind: str, query: Mapping[str, Any] | None = None) -> int:
        with self._errors(f"count {kind}"):
            return int(self.client.count(index=self.alias(kind), query=dict(query or {"match_all": {}}))["count"])

    # -- errors ---------------------------------------------------------------------------------

    @contextlib.contextmanager
    def _errors(self, what: str) -> Iterator[None]:
        """Wrap client errors: unreachable → StorageUnavailable (retry later), refused → StorageError."""
        try:
            yield
        except StorageError:
            raise
        except (ESConnectionError, ESConnectionTimeout, ApiError, ESTransportError) as exc:
            raise _wrap(self.client, what, exc) from exc


def _client_user(client: Elasticsearch) -> str | None:
    from yuqing.essecurity import credentials

    return credentials(client_url(client))[0]


def _wrap(client: Elasticsearch, what: str, exc: Exception) -> StorageError:
    hosts = ", ".join(str(n.base_url) for n in client.transport.node_pool.all())
    if isinstance(exc, ApiError) and exc.meta.status in (401, 403):
        user = _client_user(client)
        if exc.meta.status == 401:
            return StorageAuthError(
                f"Elasticsearch at {hosts} refused the credentials ({what}): 401 "
                + (f"for user {user!r}; check the password" if user else
                   "and none were given; put user:password@ in ES_URL, or set ES_USERNAME/ES_PASSWORD"),
                hosts=hosts, what=what, user=user, status=401)
        return StorageAuthError(
            f"Elasticsearch at {hosts} denied {what} to user {user or '?'!r}: 403 {exc.message}; the account's "
            f"role lacks this privilege (roles: yuqing/data/es_roles.yaml)",
            hosts=hosts, what=what, user=user, status=403)
    if isinstance(exc, ApiError):
        return StorageError(f"Elasticsearch refused to {what}: {exc.meta.status} {exc.message}", hosts=hosts,
                            what=what, status=exc.meta.status)
    return StorageUnavailable(
        f"Elasticsearch at {hosts} is not reachable ({what}): {type(exc).__name__}. "
        f"Start the local node with `yuqing es start`, or check ES_URL.", hosts=hosts, what=what
    )

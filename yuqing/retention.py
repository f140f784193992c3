"""Retention: delete documents older than ``config/storage.yaml`` keeps them.

Documents are deleted by id: a scan for the ids whose time field is older than the cutoff, then
bulk deletes. The distribution the project runs on has no ``_delete_by_query``, and time-based
indices (one per month) would break what the storage layer guarantees: every kind lives in one
index behind its alias, so a retried write with the same deterministic id overwrites instead of
adding a second copy in another month's index, and reads by id need no index guessing. Deleted
documents are reclaimed by Lucene's merges; nothing else changes. Re-running the same day deletes
nothing more (the cutoff is computed from ``now``, a parameter).
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from elasticsearch import helpers

from yuqing.clock import iso
from yuqing.config.storage import Retention
from yuqing.storage import Store

log = logging.getLogger(__name__)

#: The time field retention reads, per kind it applies to.
TIME_FIELDS: dict[str, str] = {
    "mentions": "crawled_at",
    "deliveries": "created_at",
    "source_health": "finished_at",
    "audit": "at",
    "engagement": "at",
    "hotlist": "at",
    "console_sessions": "expires_at",  # kept a while past expiry: who was signed in, when
    "sign_in_attempts": "last_failure_at",  # far beyond any lock-out, which follows the last failure
}


def cutoffs(retention: Retention, *, now: dt.datetime) -> dict[str, dt.datetime]:
    """Per kind, the time before which documents are deleted (kinds kept for ever are absent)."""
    out = {}
    for kind in TIME_FIELDS:
        keep = getattr(retention, kind)
        if keep is not None:
            out[kind] = now - keep.as_timedelta()
    return out


def apply_retention(store: Store, retention: Retention, *, now: dt.datetime, page: int = 2000) -> dict[str, Any]:
    """Delete what is older than the retention allows; return the cutoff and count per kind."""
    result: dict[str, Any] = {}
    for kind, cutoff in cutoffs(retention, now=now).items():
        query = {"range": {TIME_FIELDS[kind]: {"lt": iso(cutoff)}}}
        deleted = failed = 0
        alias = store.alias(kind)
        with store._errors(f"delete old {kind}"):
            store.client.indices.refresh(index=alias)
            # The scroll reads a point-in-time view, so deleting page by page while it runs is safe
            # and keeps memory flat however large the backlog.
            hits = helpers.scan(store.client, index=alias, query={"query": query}, _source=False, size=page)
            actions = ({"_op_type": "delete", "_index": hit["_index"], "_id": hit["_id"]} for hit in hits)
            for ok, item in helpers.streaming_bulk(store.client, actions, raise_on_error=False, chunk_size=page):
                status = item.get("delete", {}).get("status")
                if ok or status == 404:  # already gone: another run got there first
                    deleted += 1
                else:
                    failed += 1
        result[kind] = {"before": iso(cutoff), "deleted": deleted, "failed": failed}
        if deleted or failed:
            log.info("retention %s: %d deleted (older than %s), %d failed", kind, deleted, iso(cutoff), failed)
    return result

"""The deadline that matters most for each incident, stored on it (``urgent_due_at``) so the console
can sort its queue by urgency: the oldest unanswered miss first, then the nearest running clock.

A clock counts while it is running or missed without an answer (a late release resolves a miss,
and so does a waiver). The field is recomputed from the clocks whenever they open, are met, missed
late or waived — from stored state, so a re-run writes the same value.
"""

from __future__ import annotations

from collections.abc import Iterable

from yuqing.models import unresolved_clock_filter
from yuqing.storage import Store

_CHUNK = 1000


def sync_urgency(store: Store, incident_ids: Iterable[str], *, refresh: bool = False) -> int:
    """Recompute ``urgent_due_at`` for these incidents (absent ones are skipped); returns how many."""
    ids = sorted(set(incident_ids))
    updates: list[tuple[str, dict[str, str | None]]] = []
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start:start + _CHUNK]
        found = store.search("incidents", query={"ids": {"values": chunk}}, size=len(chunk), source=False,
                             track_total_hits=False)
        existing = [h["_id"] for h in found["hits"]["hits"]]
        if not existing:
            continue
        resp = store.search("clocks", size=0, track_total_hits=False, query={"bool": {"filter": [
            {"terms": {"incident_id": existing}}, unresolved_clock_filter()]}},
            aggs={"i": {"terms": {"field": "incident_id", "size": len(existing)},
                        "aggs": {"due": {"min": {"field": "due_at"}}}}})
        due = {b["key"]: b["due"].get("value_as_string") for b in resp["aggregations"]["i"]["buckets"]}
        updates += [(i, {"urgent_due_at": due.get(i)}) for i in existing]
    if updates:
        store.bulk("incidents", updates, op="update", refresh=refresh)
    return len(updates)

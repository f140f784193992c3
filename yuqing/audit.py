"""The audit log: every state change, with who, when and why, written with a deterministic id."""

from __future__ import annotations

import datetime as dt
from typing import Any

from yuqing.clock import iso
from yuqing.models import AuditEvent, stable_id
from yuqing.storage import Store


def event(*, entity: str, entity_id: str, action: str, actor: str, at: dt.datetime, reason: str = "",
          before: dict[str, Any] | None = None, after: dict[str, Any] | None = None) -> AuditEvent:
    """One audit event with its deterministic id (written by :func:`record` or :func:`record_many`)."""
    return AuditEvent(
        id=stable_id(entity, entity_id, action, actor, iso(at)),
        entity=entity,  # type: ignore[arg-type]
        entity_id=entity_id, action=action, actor=actor, at=at, reason=reason,
        before=before or {}, after=after or {},
    )


def record(store: Store, *, entity: str, entity_id: str, action: str, actor: str, at: dt.datetime,
           reason: str = "", before: dict[str, Any] | None = None, after: dict[str, Any] | None = None,
           refresh: bool = False) -> AuditEvent:
    """Write one audit event. A retried task writes the same id again, so nothing is doubled."""
    ev = event(entity=entity, entity_id=entity_id, action=action, actor=actor, at=at, reason=reason,
               before=before, after=after)
    store.put("audit", ev.id, ev.to_doc(), refresh=refresh)
    return ev


def record_many(store: Store, events: list[AuditEvent]) -> None:
    """Write many audit events in one bulk request (same ids as one by one)."""
    if events:
        store.bulk("audit", [(e.id, e.to_doc()) for e in events])


def history(store: Store, entity_id: str) -> list[AuditEvent]:
    docs = store.find("audit", {"term": {"entity_id": entity_id}}, sort=[{"at": "asc"}])
    return [AuditEvent.from_doc(d) for d in docs]

"""The audit log: every state change, with who, when and why, written with a deterministic id."""

from __future__ import annotations

import datetime as dt
from typing import Any

from yuqing.clock import iso
from yuqing.models import AuditEvent, stable_id
from yuqing.storage import Store


def record(store: Store, *, entity: str, entity_id: str, action: str, actor: str, at: dt.datetime,
           reason: str = "", before: dict[str, Any] | None = None, after: dict[str, Any] | None = None,
           refresh: bool = False) -> AuditEvent:
    """Write one audit event. A retried task writes the same id again, so nothing is doubled."""
    event = AuditEvent(
        id=stable_id(entity, entity_id, action, actor, iso(at)),
        entity=entity,  # type: ignore[arg-type]
        entity_id=entity_id, action=action, actor=actor, at=at, reason=reason,
        before=before or {}, after=after or {},
    )
    store.put("audit", event.id, event.to_doc(), refresh=refresh)
    return event


def history(store: Store, entity_id: str) -> list[AuditEvent]:
    docs = store.find("audit", {"term": {"entity_id": entity_id}}, sort=[{"at": "asc"}])
    return [AuditEvent.from_doc(d) for d in docs]

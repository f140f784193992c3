"""The pipeline API of the alerts package (the DAGs and the CLI call only these).

- :func:`dispatch` evaluates the rules over the state in Elasticsearch at ``now``, creates the
  deliveries that are due and sends them; re-running it sends nothing new.
- :func:`acknowledge` records who acknowledged a delivery; its alert then stops climbing the
  escalation ladder and stops repeating. :func:`acknowledge_group` does so for every open delivery
  of one incident at once (its reminders and escalations on every channel).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from alerts.dispatch import DispatchStats
from alerts.dispatch import dispatch as _dispatch
from alerts.suppression import state_id
from yuqing import audit
from yuqing.clock import iso
from yuqing.config import Config
from yuqing.connections import Resolver
from yuqing.errors import InputError
from yuqing.models import Delivery
from yuqing.storage import Store

__all__ = ["DispatchStats", "acknowledge", "acknowledge_group", "dispatch", "list_deliveries",
           "send_report"]


# Deliveries a person still has to acknowledge (a suppressed one was never sent).
OPEN_DELIVERY_STATES = ("pending", "sending", "sent", "failed")


def dispatch(store: Store, config: Config, *, now: dt.datetime, resolver: Resolver | None = None) -> DispatchStats:
    """Evaluate the alert rules at ``now`` and send what is due.

    ``resolver`` maps a connection id to its endpoint and secrets (default: ``AIRFLOW_CONN_<ID>`` /
    ``YUQING_CONN_<ID>`` environment variables; a DAG may pass an Airflow-backed one).
    """
    return _dispatch(store, config, now=now, resolver=resolver)


def acknowledge(store: Store, delivery_id: str, actor: str, now: dt.datetime) -> Delivery:
    """Acknowledge a delivery (idempotent: a second acknowledgement keeps the first one).

    Nothing waits for an index refresh: the dispatcher reads an alert's state by document id
    (realtime ``mget``, which sees every acknowledged write on any copy of the shard), never by
    search, so the next dispatch — even at once — sends nothing more for an acknowledged alert.
    Lists built by search (open deliveries) show it after the refresh interval; the console hides
    a user's own acknowledgements from them at once (``console.context.recent_acks``)."""
    if not actor.strip():
        raise InputError("签收须注明签收人（--actor）")
    doc = store.get("deliveries", delivery_id)
    if doc is None:
        raise InputError(f"推送记录不存在：{delivery_id!r}")
    return _acknowledge(store, Delivery.from_doc(doc), actor, now)


def _acknowledge(store: Store, delivery: Delivery, actor: str, now: dt.datetime) -> Delivery:
    if delivery.acknowledged_at is not None:
        return delivery
    # the alert's state first: from this write on, the dispatcher (realtime mget) sends nothing more
    store.update("alert_state", state_id(delivery.alert_key),
                 {"id": state_id(delivery.alert_key), "alert_key": delivery.alert_key, "state": "acknowledged",
                  "acknowledged_at": iso(now), "acknowledged_by": actor})
    store.update("deliveries", delivery.id, {"acknowledged_by": actor, "acknowledged_at": iso(now)}, upsert=False)
    audit.record(store, entity="delivery", entity_id=delivery.id, action="acknowledge", actor=actor, at=now,
                 reason=delivery.alert_key, before={"acknowledged_at": None},
                 after={"acknowledged_at": iso(now), "acknowledged_by": actor})
    delivery.acknowledged_by, delivery.acknowledged_at = actor, now
    return delivery


def open_deliveries_query(*, incident_id: str | None = None, alert_key: str | None = None,
                          office: str | None = None) -> dict[str, Any]:
    """Deliveries not yet acknowledged (and not suppressed), of one incident or one alert key,
    optionally of one office."""
    if (incident_id is None) == (alert_key is None):
        raise InputError("确认一组提醒须指定事件或预警（二者取一）")
    filters: list[dict[str, Any]] = [
        {"term": {"incident_id": incident_id}} if incident_id is not None else {"term": {"alert_key": alert_key}},
        {"terms": {"state": list(OPEN_DELIVERY_STATES)}}]
    if office is not None:
        filters.append({"term": {"office": office}})
    return {"bool": {"filter": filters, "must_not": [{"exists": {"field": "acknowledged_at"}}]}}


def acknowledge_group(store: Store, *, actor: str, now: dt.datetime, incident_id: str | None = None,
                      alert_key: str | None = None, office: str | None = None) -> list[Delivery]:
    """Acknowledge at once every delivery not yet acknowledged of one incident (its reminders,
    escalations and repeats on every channel) or of one alert key (a source's alerts); ``office``
    limits it to that office's deliveries. Each delivery is acknowledged and audited as by
    :func:`acknowledge`, and the group gets one audit event (``acknowledge_alerts``) listing them.
    Idempotent: a second call finds nothing left and writes nothing. Returns those acknowledged now."""
    if not actor.strip():
        raise InputError("签收须注明签收人（--actor）")
    query = open_deliveries_query(incident_id=incident_id, alert_key=alert_key, office=office)
    store.refresh("deliveries")
    docs = list(store.scan("deliveries", query))
    done = [_acknowledge(store, Delivery.from_doc(d), actor, now) for d in docs]
    if done:
        ids = sorted(d.id for d in done)
        audit.record(store, entity="incident" if incident_id is not None else "delivery",
                     entity_id=incident_id if incident_id is not None else str(alert_key), action="acknowledge_alerts",
                     actor=actor, at=now, reason=f"一次确认{len(ids)}条提醒",
                     after={"deliveries": ids, "office": office})
        store.refresh("deliveries", "alert_state", "audit")
    return done


def list_deliveries(store: Store, *, state: str | None = None, incident_id: str | None = None,
                    limit: int = 50) -> list[Delivery]:
    """The most recent deliveries, newest first."""
    filters: list[dict[str, Any]] = []
    if state:
        filters.append({"term": {"state": state}})
    if incident_id:
        filters.append({"term": {"incident_id": incident_id}})
    docs = store.find("deliveries", {"bool": {"filter": filters}} if filters else None, size=limit,
                      sort=[{"created_at": "desc"}])
    return [Delivery.from_doc(d) for d in docs]


def send_report(store: Store, config: Config, report_id: str, *, now: dt.datetime, edition: str = "",
                resolver: Resolver | None = None) -> dict[str, Any]:
    """Send a stored report to the recipients ``config/reports.yaml`` names for its kind (a summary
    with the console link, or the files by email); sending it again sends nothing."""
    from alerts.reports import send_report as _send_report
    from yuqing.models import Report

    doc = store.get("reports", report_id)
    if doc is None:
        raise InputError(f"no report {report_id!r}")
    stats = _send_report(store, config, Report.from_doc(doc), now=now, edition=edition, resolver=resolver)
    return {"report_id": report_id, "created": stats.created, "already_sent": stats.already,
            "delivered": stats.delivered, "failed": stats.failed, "pending": stats.pending}

"""Dispatch: rules → suppression → deliveries in Elasticsearch → channels, crash-safe.

A dispatch run

1. evaluates the rules over the stored state (:mod:`alerts.rules`) and decides what notifies now
   (:mod:`alerts.suppression`, :mod:`alerts.ladder`);
2. creates one ``pending`` delivery per notification and target with a deterministic id
   (``stable_id(alert key, episode, tag, target)``) through ``create``: re-running creates nothing;
   quiet hours set ``next_attempt_at`` to the end of the quiet time; the alert state is written
   after the deliveries, so a crash in between re-creates the same ids (no duplicates);
3. resolves deliveries a crashed run left in ``sending`` (see :func:`recover_stale`);
4. sends what is due, one message per target (a burst is aggregated), claiming each delivery with
   a conditional write (``pending`` → ``sending`` with the batch id = idempotency key) *before*
   the request, then recording ``sent`` / ``pending`` with backoff / ``failed`` and the answer.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from collections import defaultdict
from typing import Any

from alerts import messages
from alerts.channels import REGISTRY, Channel, Message, SendResult, build
from alerts.recipients import ContactRef, contacts_for, find_contact, targets_for
from alerts.rules import evaluate
from alerts.suppression import Notification, Plan, plan, quiet_until, state_id
from yuqing import audit
from yuqing.clock import iso, parse_ts
from yuqing.config import Config
from yuqing.connections import ConnectionNotFound, Resolver, env_resolver
from yuqing.models import SEVERITY_RANK, Delivery, stable_id
from yuqing.storage import Store

log = logging.getLogger(__name__)

ACTOR = "system:alerts"
UNKNOWN_OUTCOME = "unknown outcome: the run stopped while sending; not resent to avoid a duplicate"
UNKNOWN_ANSWER = "unknown outcome: sent but no answer ({error}); not resent to avoid a duplicate"


@dataclasses.dataclass
class DispatchStats:
    alerts: int = 0  # alerts holding now
    notifications: int = 0  # alerts that notify now (first, ladder step, repeat, escalation)
    suppressed: int = 0  # alerts held back by suppression or acknowledgement
    created: int = 0  # new deliveries
    deferred_quiet: int = 0  # new deliveries waiting for the end of quiet hours
    held: int = 0  # due deliveries held to aggregate with the target's recent message
    messages: int = 0  # messages sent (one per target per batch)
    delivered: int = 0  # deliveries recorded as sent
    retry_scheduled: int = 0
    failed: int = 0
    dropped_acknowledged: int = 0  # due deliveries dropped because the alert was acknowledged
    recovered: int = 0  # stale "sending" deliveries resolved
    resent: int = 0  # of which resent with the same idempotency key
    skipped: dict[str, int] = dataclasses.field(default_factory=dict)

    def skip(self, reason: str) -> None:
        self.skipped[reason] = self.skipped.get(reason, 0) + 1

    def as_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def dispatch(store: Store, config: Config, *, now: dt.datetime, resolver: Resolver | None = None) -> DispatchStats:
    resolve = resolver or env_resolver()
    stats = DispatchStats()
    alerts = evaluate(store, config, now)
    stats.alerts = len(alerts)
    decided = plan(store, config, alerts, now)
    stats.notifications = len(decided.notifications)
    stats.suppressed = decided.suppressed
    built = {d.id: d for d in build_deliveries(config, decided.notifications, now, stats)}
    if built:
        # One bulk request of creates: an id that exists already (a re-run) is left as it is.
        result = store.bulk("deliveries", [(i, d.to_doc()) for i, d in built.items()], op="create")
        kept = set(result.existing) | {doc_id for doc_id, _ in result.failed}
        for delivery in built.values():
            if delivery.id in kept:
                continue
            stats.created += 1
            if delivery.next_attempt_at and delivery.next_attempt_at > now:
                stats.deferred_quiet += 1
    record_states(store, decided)
    store.refresh("deliveries", "alert_state")
    recover_stale(store, config, now, resolve, stats)
    send_due(store, config, now, resolve, stats)
    log.info("alerts dispatch: %s", {k: v for k, v in stats.as_dict().items() if v})
    return stats


# --- deliveries ---------------------------------------------------------------------------------


def build_deliveries(config: Config, notifications: list[Notification], now: dt.datetime,
                     stats: DispatchStats) -> list[Delivery]:
    out: list[Delivery] = []
    for note in notifications:
        alert = note.alert
        people = contacts_for(config, note.roles, alert.offices, own_office_only=alert.own_office_only)
        targets = targets_for(config, people, alert.channels)
        if not targets:
            stats.skip("no recipient with a channel")
            log.warning("alert %s (%s): no recipient with a channel for roles %s", alert.key, note.tag, note.roles)
            continue
        facts = {**alert.facts, "note_zh": note.note_zh} if note.note_zh else dict(alert.facts)
        for target in targets:
            quiet = quiet_until(config, target.contacts, alert.level, now)
            first = target.contacts[0]
            out.append(Delivery(
                id=stable_id(alert.key, note.episode, note.tag, target.id),
                alert_key=alert.key, rule_id=alert.rule_ids[0], incident_id=alert.incident_id,
                clock_id=alert.clock_id, source_id=alert.source_id, channel_id=target.channel_id,
                channel_type=target.channel_type,
                recipient="、".join(c.name for c in target.contacts), recipients=[c.name for c in target.contacts],
                office=first.office_id, role=first.role, ladder_step=note.step,
                level=alert.level,  # type: ignore[arg-type]
                title=messages.title([facts]), body=messages.text([facts], limit=4000),
                state="pending", next_attempt_at=quiet or now,
                last_error=f"静默时段，延至{quiet:%H:%M}发送" if quiet else None,
                created_at=now, target=target.id, alert_kind=alert.kind, facts=facts,
            ))
    return out


def _contacts(config: Config, deliveries: list[Delivery]) -> list[ContactRef]:
    seen: dict[str, ContactRef] = {}
    for d in deliveries:
        for name in d.recipients or [d.recipient]:
            if name not in seen and (ref := find_contact(config, name)) is not None:
                seen[name] = ref
    return list(seen.values())


def _highest(deliveries: list[Delivery]) -> str | None:
    levels = [d.level for d in deliveries if d.level]
    return max(levels, key=lambda lv: SEVERITY_RANK[lv]) if levels else None


def batch_id(deliveries: list[Delivery]) -> str:
    """The idempotency key of a message: the delivery id for one, a digest of the ids for a batch."""
    ids = sorted(d.id for d in deliveries)
    return ids[0] if len(ids) == 1 else stable_id("batch", *ids)


def _claim(store: Store, delivery_id: str, now: dt.datetime, batch: str) -> Delivery | None:
    """pending → sending for one delivery read now (a report's), as :func:`_claim_group` does for many."""
    found = store.get_versioned("deliveries", delivery_id)
    if found is None:
        return None
    claimed = _claim_group(store, [found], now, batch)
    return claimed[0] if claimed else None


def _claim_group(store: Store, group: list[tuple[dict[str, Any], int, int]], now: dt.datetime,
                 batch: str) -> list[Delivery]:
    """pending → sending, conditionally on the version read: only one dispatcher wins a delivery.
    One bulk request for the group; returns the deliveries this run won."""
    docs: dict[str, dict[str, Any]] = {}
    versions: dict[str, tuple[int, int]] = {}
    for doc, seq_no, term in group:
        if doc.get("state") != "pending":
            continue
        docs[doc["id"]] = {**doc, "state": "sending", "batch_id": batch, "sending_at": iso(now),
                           "attempts": int(doc.get("attempts", 0)) + 1}
        versions[doc["id"]] = (seq_no, term)
    if not docs:
        return []
    result = store.bulk("deliveries", docs.items(), versions=versions)
    lost = {doc_id for doc_id, _ in result.failed}
    return [Delivery.from_doc(d) for i, d in docs.items() if i not in lost]


def record_states(store: Store, decided: Plan) -> None:
    """Write the planned alert states. A resolution is conditional on the state the plan read: when
    an officer acknowledged the alert in between, the acknowledgement stays (the write loses the race,
    by design), so a recurrence of the alert stays quiet."""
    plain = [(sid, partial) for sid, partial in decided.states.items() if sid not in decided.versions]
    conditional = [(sid, partial) for sid, partial in decided.states.items() if sid in decided.versions]
    lost: list[tuple[str, str]] = []
    if plain:
        lost += store.bulk("alert_state", plain, op="update").failed
    if conditional:  # read by the plan, so they exist: no upsert (Elasticsearch refuses it with a condition)
        result = store.bulk("alert_state", conditional, op="update", upsert=False,
                            versions=decided.versions)
        conflicts = set(result.conflicts)
        for sid in conflicts:
            log.info("alert state %s changed since it was read (acknowledged): not resolved", sid)
        lost += [(sid, reason) for sid, reason in result.failed if sid not in conflicts]
    if lost:
        log.warning("alert states not written: %s", lost[:5])


def _channel(config: Config, channel_id: str, resolve: Resolver) -> Channel | SendResult:
    spec = next((c for c in config.alerts.channels if c.id == channel_id), None)
    if spec is None or spec.type not in REGISTRY:
        return SendResult("permanent", {}, f"channel {channel_id} is not configured")
    try:
        return build(spec, resolve)
    except ConnectionNotFound as exc:
        log.warning("channel %s: %s", channel_id, exc)
        return SendResult("retryable", {}, f"connection {spec.connection} not configured")


def _send(config: Config, channel: Channel | SendResult, deliveries: list[Delivery], batch: str,
          now: dt.datetime) -> SendResult:
    if isinstance(channel, SendResult):
        return channel
    message = Message(batch_id=batch, items=[d.facts for d in deliveries], contacts=_contacts(config, deliveries),
                      level=_highest(deliveries), now=now, console_url=config.alerts.console_url)
    try:
        return channel.send(message)
    except Exception as exc:  # a bug or an unexpected library error must not lose the record
        log.exception("channel %s raised while sending batch %s", channel.spec.id, batch)
        return SendResult("unknown" if not channel.idempotent else "retryable", {}, f"error: {type(exc).__name__}")


def _record(store: Store, config: Config, deliveries: list[Delivery], result: SendResult, now: dt.datetime,
            stats: DispatchStats) -> None:
    retry = config.alerts.retry
    updates: list[tuple[str, dict[str, Any]]] = []
    for d in deliveries:
        doc: dict[str, Any] = {"response": result.answer, "last_error": result.error}
        if result.outcome == "delivered":
            doc.update(state="sent", sent_at=iso(now), next_attempt_at=None)
            stats.delivered += 1
        elif result.outcome == "retryable" and d.attempts < retry.max_attempts:
            wait = retry.backoff.as_timedelta() * (2 ** max(d.attempts - 1, 0))
            if result.retry_after:
                wait = max(wait, dt.timedelta(seconds=result.retry_after))
            doc.update(state="pending", next_attempt_at=iso(now + wait))
            stats.retry_scheduled += 1
        else:
            if result.outcome == "unknown":
                # Sent, but whether the receiver acted on it cannot be known: like a crash while
                # sending, it is never resent; the audit log and the duty desk's panel show it.
                doc["response"] = {**result.answer, "outcome": "unknown"}
                doc["last_error"] = UNKNOWN_ANSWER.format(error=result.error or "no answer")
            doc.update(state="failed", next_attempt_at=None)
            stats.failed += 1
        updates.append((d.id, doc))
    store.bulk("deliveries", updates, op="update")
    if result.outcome == "unknown":
        for d in deliveries:
            audit.record(store, entity="delivery", entity_id=d.id, action="unknown_outcome", actor=ACTOR, at=now,
                         reason=UNKNOWN_ANSWER.format(error=result.error or "no answer"),
                         before={"state": "sending", "batch_id": d.batch_id}, after={"state": "failed"})
    if result.outcome != "delivered":
        log.warning("channel %s batch of %d: %s (%s)", deliveries[0].channel_id, len(deliveries),
                    result.outcome, result.error)


def send_due(store: Store, config: Config, now: dt.datetime, resolve: Resolver, stats: DispatchStats) -> None:
    hits = store.search("deliveries", query={"bool": {"filter": [
        {"term": {"state": "pending"}}, {"range": {"next_attempt_at": {"lte": iso(now)}}}]}},
        sort=[{"created_at": "asc"}], size=10000, track_total_hits=False, seq_no_primary_term=True)["hits"]["hits"]
    read = {h["_id"]: (dict(h["_source"]), int(h["_seq_no"]), int(h["_primary_term"])) for h in hits}
    due = [Delivery.from_doc(doc) for doc, _, _ in read.values()]
    if not due:
        return
    states = store.mget("alert_state", [state_id(d.alert_key) for d in due])
    dropped = [d for d in due if (states.get(state_id(d.alert_key)) or {}).get("state") == "acknowledged"]
    if dropped:
        store.bulk("deliveries", [(d.id, {"state": "suppressed", "last_error": "已签收，不再发送"}) for d in dropped],
                   op="update")
        stats.dropped_acknowledged += len(dropped)
    dropped_ids = {d.id for d in dropped}
    by_target: dict[str, list[Delivery]] = defaultdict(list)
    for d in due:
        if d.id not in dropped_ids:
            by_target[d.target or f"{d.channel_id}:{d.recipient}"].append(d)
    last_sent = _last_sent(store, list(by_target), now - config.alerts.suppression.aggregate_window.as_timedelta())
    window = config.alerts.suppression.aggregate_window.as_timedelta()
    holds: list[tuple[str, dict[str, Any]]] = []
    channels: dict[str, Channel | SendResult] = {}
    for target, group in by_target.items():
        urgent = any(d.level in ("I", "II") or d.ladder_step > 0 for d in group)
        previous = last_sent.get(target)
        if previous is not None and not urgent and previous + window > now:
            # Aggregate a burst: wait for the window since this target's last message to close.
            holds.extend((d.id, {"next_attempt_at": iso(previous + window)}) for d in group)
            stats.held += len(group)
            continue
        batch = batch_id(group)
        claimed = _claim_group(store, [read[d.id] for d in group], now, batch)
        if not claimed:
            continue
        if len(claimed) != len(group):  # lost some to another dispatcher: re-key what we hold
            batch = batch_id(claimed)
            store.bulk("deliveries", [(d.id, {"batch_id": batch}) for d in claimed], op="update")
        channel_id = claimed[0].channel_id
        if channel_id not in channels:  # built once per run (its connection resolved once)
            channels[channel_id] = _channel(config, channel_id, resolve)
        channel = channels[channel_id]
        result = _send(config, channel, claimed, batch, now)
        stats.messages += 1
        _record(store, config, claimed, result, now, stats)
    if holds:
        store.bulk("deliveries", holds, op="update")
    store.refresh("deliveries")


def _last_sent(store: Store, targets: list[str], since: dt.datetime) -> dict[str, dt.datetime]:
    if not targets:
        return {}
    query = {"bool": {"filter": [{"terms": {"target": targets}}, {"term": {"state": "sent"}},
                                 {"range": {"sent_at": {"gte": iso(since)}}}]}}
    aggs = {"t": {"terms": {"field": "target", "size": len(targets)},
                  "aggs": {"last": {"max": {"field": "sent_at"}}}}}
    resp = store.search("deliveries", size=0, track_total_hits=False, query=query, aggs=aggs)
    out: dict[str, dt.datetime] = {}
    for bucket in resp.get("aggregations", {}).get("t", {}).get("buckets", []):
        value = bucket["last"].get("value_as_string") or bucket["last"].get("value")
        if isinstance(value, int | float):
            out[bucket["key"]] = dt.datetime.fromtimestamp(value / 1000, tz=dt.UTC)
        elif value:
            ts = parse_ts(value)
            if ts is not None:
                out[bucket["key"]] = ts
    return out


# --- crash recovery -----------------------------------------------------------------------------


def recover_stale(store: Store, config: Config, now: dt.datetime, resolve: Resolver, stats: DispatchStats) -> None:
    """Resolve deliveries left in ``sending`` by a run that stopped between sending and recording.

    The outcome of such a send is unknown. A channel whose receiver deduplicates by idempotency
    key (the webhook: ``webhook-id`` = the batch id written before the send) gets the same batch
    again. Robots, SMS and email have no such key, so resending could notify twice: they are marked
    ``failed`` with "unknown outcome" (and audited) instead; the escalation ladder still runs
    because nobody acknowledged, so the alert is not silently lost.
    """
    stale_before = now - config.alerts.retry.stale_sending.as_timedelta()
    docs = store.find("deliveries", {"bool": {"filter": [
        {"term": {"state": "sending"}}, {"range": {"sending_at": {"lte": iso(stale_before)}}}]}})
    if not docs:
        return
    batches: dict[str, list[Delivery]] = defaultdict(list)
    for doc in docs:
        d = Delivery.from_doc(doc)
        batches[d.batch_id or d.id].append(d)
    for batch, group in batches.items():
        stats.recovered += len(group)
        channel = _channel(config, group[0].channel_id, resolve)
        if isinstance(channel, Channel) and channel.idempotent:
            store.bulk("deliveries", [(d.id, {"attempts": d.attempts + 1, "sending_at": iso(now)}) for d in group],
                       op="update")
            for d in group:
                d.attempts += 1
            result = _send(config, channel, group, batch, now)
            stats.resent += len(group)
            stats.messages += 1
            _record(store, config, group, result, now, stats)
            continue
        store.bulk("deliveries", [(d.id, {"state": "failed", "last_error": UNKNOWN_OUTCOME,
                                          "response": {"outcome": "unknown"}, "next_attempt_at": None})
                                  for d in group], op="update")
        stats.failed += len(group)
        for d in group:
            audit.record(store, entity="delivery", entity_id=d.id, action="unknown_outcome", actor=ACTOR, at=now,
                         reason=UNKNOWN_OUTCOME, before={"state": "sending", "batch_id": batch},
                         after={"state": "failed"})
    store.refresh("deliveries")

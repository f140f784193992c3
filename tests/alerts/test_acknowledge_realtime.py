"""Acknowledging waits for no index refresh, yet the dispatcher run at once after it sends nothing
more: it reads the alert's state by id (realtime), which sees the write before any refresh.

The tests switch refreshing off for deliveries and alert states around the acknowledgement, so a
dispatcher that looked for the acknowledgement by search would not see it (and an acknowledgement
that waited for a refresh would never return)."""

from __future__ import annotations

import datetime as dt
import types

import pytest

from alerts import api
from demo.receivers import Receivers
from tests.support import no_scheduled_refresh
from yuqing.clock import TZ
from yuqing.config import Config
from yuqing.models import Delivery
from yuqing.storage import Store

pytestmark = [pytest.mark.integration,
              pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")]

MIN = dt.timedelta(minutes=1)
T0 = dt.datetime(2026, 11, 23, 10, 0, tzinfo=TZ)  # a Monday, office hours (same as conftest.T0)
KINDS = ("deliveries", "alert_state")  # searched by nothing that must see an acknowledgement at once


def deliveries(store: Store, **terms: str) -> list[Delivery]:
    store.refresh("deliveries")
    query = {"bool": {"filter": [{"term": {k: v}} for k, v in terms.items()]}} if terms else None
    return [Delivery.from_doc(d) for d in store.find("deliveries", query, sort=[{"created_at": "asc"}])]


def test_acknowledging_then_dispatching_at_once_sends_nothing_more(
        store: Store, config: Config, receivers: Receivers, h: types.SimpleNamespace) -> None:
    h.put_incident(store, "inc-now", level="II", office="prov_health")
    api.dispatch(store, config, now=T0)
    api.dispatch(store, config, now=T0 + 16 * MIN)  # nobody acknowledged: ladder step 1
    step1 = deliveries(store, ladder_step="1")
    assert step1
    before = len(deliveries(store))
    receivers.reset()

    with no_scheduled_refresh(store, *KINDS):
        api.acknowledge(store, step1[0].id, "张值班", T0 + 17 * MIN)
        # the search does not show it yet: only a read by id does
        assert store.count("deliveries", {"exists": {"field": "acknowledged_at"}}) == 0
        # the next run, right away, when ladder step 2 (the leader) is due
        stats = api.dispatch(store, config, now=T0 + 31 * MIN)
    assert stats.created == 0 and stats.messages == 0
    assert receivers.messages == []
    for minutes in (95, 200, 600):  # nor later
        api.dispatch(store, config, now=T0 + minutes * MIN)
    assert len(deliveries(store)) == before and receivers.messages == []


def test_acknowledged_alert_that_stops_and_holds_again_stays_quiet(
        store: Store, config: Config, receivers: Receivers, h: types.SimpleNamespace) -> None:
    """The office acknowledges, the incident stops alerting (released) and the dispatcher runs at
    once: the alert stays acknowledged, so when the incident alerts again (back to responding) the
    same alert does not start over."""
    h.put_incident(store, "inc-back", level="II", office="prov_health", state="assigned")
    api.dispatch(store, config, now=T0)
    first = deliveries(store)
    keys = {d.alert_key for d in first}
    assert keys and receivers.messages
    receivers.reset()

    with no_scheduled_refresh(store, *KINDS):
        for d in first:
            api.acknowledge(store, d.id, "张值班", T0 + 2 * MIN)
        h.put_incident(store, "inc-back", level="II", office="prov_health", state="released", at=T0 + 3 * MIN)
        api.dispatch(store, config, now=T0 + 4 * MIN)
    h.put_incident(store, "inc-back", level="II", office="prov_health", state="assigned", at=T0 + 5 * MIN)
    api.dispatch(store, config, now=T0 + 6 * MIN)
    again = [d for d in deliveries(store) if d.alert_key in keys and d.id not in {x.id for x in first}]
    assert again == []


def test_an_acknowledgement_between_planning_and_writing_is_not_overwritten(
        store: Store, config: Config, receivers: Receivers, h: types.SimpleNamespace) -> None:
    """The dispatcher reads an alert that stopped holding as still active and plans to resolve it;
    an officer acknowledges it before the plan is written. The acknowledgement stays, so the alert
    stays quiet when it holds again."""
    from alerts.dispatch import record_states
    from alerts.rules import evaluate
    from alerts.suppression import plan, state_id

    h.put_incident(store, "inc-race", level="II", office="prov_health", state="assigned")
    api.dispatch(store, config, now=T0)
    first = deliveries(store)
    assert first and receivers.messages
    receivers.reset()
    h.put_incident(store, "inc-race", level="II", office="prov_health", state="released", at=T0 + 3 * MIN)
    now = T0 + 4 * MIN
    decided = plan(store, config, evaluate(store, config, now), now)
    resolving = {sid for sid, partial in decided.states.items() if partial.get("state") == "resolved"}
    assert resolving == {state_id(d.alert_key) for d in first}
    for d in first:  # the officer's click lands between the plan and its write
        api.acknowledge(store, d.id, "张值班", now)
    record_states(store, decided)
    states = store.mget("alert_state", resolving)
    assert {doc["state"] for doc in states.values()} == {"acknowledged"}

    h.put_incident(store, "inc-race", level="II", office="prov_health", state="assigned", at=T0 + 5 * MIN)
    api.dispatch(store, config, now=T0 + 6 * MIN)
    assert receivers.messages == []

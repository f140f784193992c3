"""Response clocks: Chinese working days, missed → escalated once, reminders that survive a restart."""

from __future__ import annotations

import datetime as dt

import pytest

from response.api import route_pending, sweep_clocks
from yuqing.audit import history
from yuqing.clock import TZ
from yuqing.config import load_config
from yuqing.models import Clock, Incident, stable_id
from yuqing.storage import Store, make_client

pytestmark = pytest.mark.integration

T0 = dt.datetime(2026, 11, 20, 8, 0, tzinfo=TZ)


def _clock(store: Store, incident_id: str, rule_id: str) -> Clock:
    doc = store.get("clocks", stable_id(incident_id, rule_id))
    assert doc is not None, f"no {rule_id} clock"
    return Clock.from_doc(doc)


def _state(store: Store, incident_id: str) -> str:
    doc = store.get("incidents", incident_id)
    assert doc is not None
    return Incident.from_doc(doc).state


@pytest.mark.parametrize(("published", "due"), [
    # Wednesday before the National Day holiday (10-01..10-07 off): 10-08, 10-09 and Saturday 10-10 (调休) count.
    (dt.datetime(2026, 9, 30, 16, 30, tzinfo=TZ), dt.datetime(2026, 10, 10, 23, 59, 59, tzinfo=TZ)),
    # Friday 09-25 is itself the Mid-Autumn holiday; the next working days are 09-28, 09-29, 09-30.
    (dt.datetime(2026, 9, 25, 10, 0, tzinfo=TZ), dt.datetime(2026, 9, 30, 23, 59, 59, tzinfo=TZ)),
    # An ordinary Friday: Monday to Wednesday.
    (dt.datetime(2026, 11, 20, 10, 0, tzinfo=TZ), dt.datetime(2026, 11, 25, 23, 59, 59, tzinfo=TZ)),
])
def test_policy_document_gets_three_chinese_working_days(store, config, make_incident, make_mention,
                                                         published, due):
    doc = make_mention("policy", published_at=published, official=True, office="prov_gov_office",
                       doc_type="policy", title="关于印发优化营商环境若干措施的通知")
    # The analysis saw the document a few hours later; the clock still runs from its publication.
    inc = make_incident("policy", level="IV", priorities=["decisions"], policy_document=True,
                        first_seen_at=published + dt.timedelta(hours=3), first_mention_id=doc.id)

    route_pending(store, config, now=published + dt.timedelta(hours=4))

    clock = _clock(store, inc.id, "policy_interpretation")
    assert clock.opened_at == published
    assert clock.due_at == due
    assert clock.duration == "3 working days"
    assert store.get("clocks", stable_id(inc.id, "response_48h")) is None


def test_per_jurisdiction_override_of_the_policy_deadline(store, config_dir, make_incident, make_mention):
    path = config_dir / "clocks.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace(
        "by_jurisdiction: {}", 'by_jurisdiction: {"530100": 5 working days}'), encoding="utf-8")
    config = load_config(config_dir)
    published = dt.datetime(2026, 11, 20, 10, 0, tzinfo=TZ)
    kunming = make_incident("policy-km", place_codes=["530102"], level="IV", priorities=["decisions"],
                            policy_document=True, first_seen_at=published)
    dali = make_incident("policy-dl", place_codes=["532901"], level="IV", priorities=["decisions"],
                         policy_document=True, first_seen_at=published)

    route_pending(store, config, now=published)

    km = _clock(store, kunming.id, "policy_interpretation")
    assert km.due_at == dt.datetime(2026, 11, 27, 23, 59, 59, tzinfo=TZ) and km.jurisdiction == "530100"
    assert _clock(store, dali.id, "policy_interpretation").due_at == dt.datetime(2026, 11, 25, 23, 59, 59, tzinfo=TZ)


def test_missed_clock_escalates_once_not_on_every_sweep(store, config, make_incident):
    inc = make_incident("late", level="III", priorities=["credibility"])
    route_pending(store, config, now=T0 + dt.timedelta(minutes=10))
    due = T0 + dt.timedelta(hours=48)

    early = sweep_clocks(store, config, now=due - dt.timedelta(minutes=1))
    assert early.missed == 0 and _state(store, inc.id) == "assigned"

    first = sweep_clocks(store, config, now=due + dt.timedelta(minutes=5))
    second = sweep_clocks(store, config, now=due + dt.timedelta(hours=1))
    third = sweep_clocks(store, config, now=due + dt.timedelta(hours=6))

    assert (first.missed, first.escalated) == (1, 1)
    assert (second.missed, second.escalated, third.missed, third.escalated) == (0, 0, 0, 0)
    clock = _clock(store, inc.id, "response_48h")
    assert clock.state == "missed" and clock.missed_at == due
    assert clock.escalated_at == due + dt.timedelta(minutes=5)
    assert _state(store, inc.id) == "escalated"
    store.refresh("audit")
    escalations = [e for e in history(store, inc.id) if e.action == "escalate"]
    assert len(escalations) == 1 and escalations[0].actor == "system:clock-sweep"
    assert "回应社会关切" in escalations[0].reason


def test_restart_between_reminder_and_deadline_loses_nothing(store, config, es_url, make_incident):
    inc = make_incident("restart", level="II", priorities=["emergency"])
    route_pending(store, config, now=T0 + dt.timedelta(minutes=5))
    five_h = stable_id(inc.id, "authoritative_info")

    first = sweep_clocks(store, config, now=T0 + dt.timedelta(hours=3, minutes=5))
    assert (five_h, "2h") in first.reminders

    # A new process: new client, new Store, configuration read again; only Elasticsearch remains.
    store2 = Store(make_client(es_url), prefix=store.prefix)
    config2 = load_config(config.directory)
    try:
        again = sweep_clocks(store2, config2, now=T0 + dt.timedelta(hours=3, minutes=30))
        assert not [r for r in again.reminders if r[0] == five_h]  # the 2 h reminder is not repeated
        later = sweep_clocks(store2, config2, now=T0 + dt.timedelta(hours=4, minutes=40))
        assert (five_h, "30m") in later.reminders
        deadline = sweep_clocks(store2, config2, now=T0 + dt.timedelta(hours=5, minutes=1))
        assert deadline.missed == 1 and deadline.escalated == 1
        clock = Clock.from_doc(store2.get("clocks", five_h) or {})
        assert clock.reminders_sent == ["2h", "30m"]
        assert clock.state == "missed" and clock.missed_at == T0 + dt.timedelta(hours=5)
        # The 24 h press-conference clock keeps running and reminds on its own schedule.
        pc = Clock.from_doc(store2.get("clocks", stable_id(inc.id, "press_conference")) or {})
        assert pc.state == "running" and pc.reminders_sent == []
    finally:
        store2.client.close()


def test_late_detected_release_published_before_deadline_corrects_missed(store, config, make_incident,
                                                                        make_mention):
    inc = make_incident("slow-crawl", level="IV", priorities=["credibility"], keywords=["停水"])
    route_pending(store, config, now=T0)
    sweep_clocks(store, config, now=T0 + dt.timedelta(hours=49))
    assert _clock(store, inc.id, "response_48h").state == "missed"
    make_mention("answer", published_at=T0 + dt.timedelta(hours=40), official=True, office="wuhua_gov",
                 incident_id=inc.id, title="关于停水情况的说明", text="经核实，供水已恢复。", jurisdiction="530102")

    route_pending(store, config, now=T0 + dt.timedelta(hours=50))

    clock = _clock(store, inc.id, "response_48h")
    assert clock.state == "met" and clock.met_at == T0 + dt.timedelta(hours=40)

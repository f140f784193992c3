"""Fixtures for the alerts tests: real local receivers for every channel, connection variables that
point the shipped channels at them, and builders for the incidents/clocks other packages write."""

from __future__ import annotations

import dataclasses
import datetime as dt
import types
from collections.abc import Iterator
from typing import Any

import pytest

from demo.receivers import Receivers
from yuqing.clock import TZ
from yuqing.config import Config
from yuqing.models import Clock, Incident, Routing, Severity, SourceHealth
from yuqing.storage import Store

T0 = dt.datetime(2026, 11, 23, 10, 0, tzinfo=TZ)  # a Monday, office hours




@pytest.fixture(scope="session")
def config(config: Config) -> Config:
    """The shipped configuration without the ``calendar_missing`` rule: T0 falls after 1 November
    of the package's last year, so that system alert would join every message these tests pin.
    It has its own test (``test_missing_next_year_holidays_alert_the_duty_desk_from_1_november``)."""
    return with_alerts(config, rules=[r for r in config.alerts.rules if r.kind != "calendar_missing"])


@pytest.fixture(scope="session")
def session_receivers(config: Config) -> Iterator[tuple[Receivers, dict[str, str]]]:
    receivers = Receivers().start()
    receivers.start_smtp()
    env = receivers.env_for(config.alerts)
    try:
        yield receivers, env
    finally:
        receivers.stop()


@pytest.fixture
def receivers(session_receivers: tuple[Receivers, dict[str, str]], monkeypatch: pytest.MonkeyPatch) -> Receivers:
    """The receivers, emptied, with AIRFLOW_CONN_* set for every configured channel."""
    receivers, env = session_receivers
    receivers.reset()
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return receivers


def with_alerts(config: Config, **changes: Any) -> Config:
    """The configuration with some ``alerts.yaml`` fields replaced."""
    return dataclasses.replace(config, alerts=config.alerts.model_copy(update=changes))


def put_incident(store: Store, incident_id: str, *, level: str | None = "II", state: str = "assigned",
                 office: str | None = "prov_emergency", title: str = "某县化工厂爆炸致多人受伤",
                 at: dt.datetime = T0, priorities: list[str] | None = None, place_codes: list[str] | None = None,
                 acknowledged_at: dt.datetime | None = None, refresh: bool = True) -> Incident:
    incident = Incident(
        id=incident_id, title=title, summary="网民反映现场浓烟，当地尚未发布权威信息。",
        first_seen_at=at, last_seen_at=at, first_mention_id=f"m-{incident_id}", mention_count=12,
        place_codes=place_codes or ["530102"], priorities=priorities or ["emergency"],
        severity=Severity(level=level, score=0.8) if level else None,  # type: ignore[arg-type]
        state=state,  # type: ignore[arg-type]
        routing=(Routing(lead_office=office, rule_id="major_emergency", reason_zh="测试", routed_at=at)
                 if office else None),
        acknowledged_at=acknowledged_at, created_at=at, updated_at=at,
    )
    store.put("incidents", incident.id, incident.to_doc(), refresh=refresh)
    return incident


def put_clock(store: Store, incident_id: str, *, rule_id: str = "authoritative_info", due_at: dt.datetime,
              state: str = "running", office: str = "prov_emergency", opened_at: dt.datetime = T0) -> Clock:
    clock = Clock(id=f"c-{incident_id}-{rule_id}", incident_id=incident_id, rule_id=rule_id,
                  name_zh="发布权威信息（特别重大、重大突发事件后5小时内）", opened_at=opened_at, due_at=due_at,
                  state=state, owner_office=office)  # type: ignore[arg-type]
    store.put("clocks", clock.id, clock.to_doc(), refresh=True)
    return clock


def put_health(store: Store, source_id: str, *, status: str, at: dt.datetime = T0, error_rate: float = 0.0,
               last_success_at: dt.datetime | None = None) -> SourceHealth:
    health = SourceHealth(id=f"h-{source_id}-{at.isoformat()}", source_id=source_id, run_id=at.isoformat(),
                          started_at=at - dt.timedelta(minutes=1), finished_at=at, items_found=10, items_failed=8,
                          failure_reasons={"http_503": 8}, last_success_at=last_success_at, error_rate=error_rate,
                          status=status)  # type: ignore[arg-type]
    store.put("source_health", health.id, health.to_doc(), refresh=True)
    return health


@pytest.fixture
def h() -> types.SimpleNamespace:
    """The builders above (test modules cannot import conftest under --import-mode=importlib)."""
    return types.SimpleNamespace(T0=T0, put_incident=put_incident, put_clock=put_clock, put_health=put_health,
                                 with_alerts=with_alerts)

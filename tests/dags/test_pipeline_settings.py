"""How a stage finds Elasticsearch and reads its interval end (no network)."""

from __future__ import annotations

import datetime as dt

import pytest

from pipeline.tasks import as_instant, es_url, report_day
from yuqing.clock import TZ
from yuqing.connections import Connection


def test_es_url_prefers_es_url_then_the_yuqing_es_connection_with_its_credentials(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ES_URL", raising=False)
    monkeypatch.setenv("AIRFLOW_CONN_YUQING_ES", "http://elastic:p%40ss@es.internal:9200")
    assert es_url() == "http://elastic:p%40ss@es.internal:9200"

    def airflow(conn_id: str) -> Connection:  # what the DAGs' Airflow-backed resolver returns
        assert conn_id == "yuqing_es"
        return Connection(conn_id, conn_type="https", host="search.example.gov.cn", port=9243)

    assert es_url(airflow) == "https://search.example.gov.cn:9243"
    monkeypatch.setenv("ES_URL", "http://127.0.0.1:9200")
    assert es_url(airflow) == "http://127.0.0.1:9200"


def test_es_url_is_none_without_settings_so_the_local_node_is_used(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("ES_URL", "AIRFLOW_CONN_YUQING_ES", "YUQING_CONN_YUQING_ES"):
        monkeypatch.delenv(name, raising=False)
    assert es_url() is None


def test_interval_end_is_read_in_shanghai_time_and_the_morning_report_covers_yesterday() -> None:
    utc = dt.datetime(2026, 11, 24, 0, 0, tzinfo=dt.UTC)  # 08:00 in Beijing
    assert as_instant(utc) == dt.datetime(2026, 11, 24, 8, 0, tzinfo=TZ)
    assert as_instant("2026-11-24T08:00:00+08:00") == as_instant(utc)
    assert type(as_instant(utc)) is dt.datetime
    assert report_day(utc) == dt.date(2026, 11, 23)

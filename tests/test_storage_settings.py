"""Production index settings and retention from config/storage.yaml, on the real node."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import yaml

from yuqing.clock import TZ, Duration, iso
from yuqing.config import load_config
from yuqing.config.storage import IndexSettings, Retention, StorageConfig
from yuqing.errors import ConfigError
from yuqing.retention import apply_retention
from yuqing.storage import Store

NOW = dt.datetime(2026, 11, 23, 3, 30, tzinfo=TZ)


def _settings(store: Store, kind: str) -> dict[str, str]:
    index = store.concrete(kind)
    return dict(store.client.indices.get_settings(index=index)[index]["settings"]["index"])


# -- configuration ----------------------------------------------------------------------------------


def test_shipped_settings_ask_for_a_replica_and_keep_audit_longest(config) -> None:
    storage = config.storage
    assert storage.index_settings("incidents") == {"number_of_shards": 1, "number_of_replicas": 1,
                                                   "refresh_interval": "1s"}
    assert storage.index_settings("audit")["refresh_interval"] == "5s"
    keep = storage.retention
    assert keep.audit is not None and keep.mentions is not None and keep.deliveries is not None
    assert keep.audit.as_timedelta() > max(keep.mentions.as_timedelta(), keep.deliveries.as_timedelta())


def _edit(path: Path, mutate) -> None:  # type: ignore[no-untyped-def]
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    mutate(data)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


def test_audit_kept_shorter_than_mentions_is_rejected(config_dir: Path) -> None:
    _edit(config_dir / "storage.yaml", lambda d: d["retention"].__setitem__("audit", "30 days"))
    with pytest.raises(ConfigError) as err:
        load_config(config_dir)
    assert err.value.file.endswith("storage.yaml") and "retention" in err.value.field
    assert "audit" in str(err.value) and "at least retention.mentions" in str(err.value)


@pytest.mark.parametrize(("mutate", "field", "value"), [
    (lambda d: d["kinds"].__setitem__("mention", {"shards": 2}), "kinds", None),
    (lambda d: d["defaults"].__setitem__("shards", 0), "defaults.shards", 0),
    (lambda d: d["retention"].__setitem__("mentions", "0 days"), "retention.mentions", "0 days"),
])
def test_bad_storage_settings_name_field_and_value(config_dir: Path, mutate, field, value) -> None:  # type: ignore[no-untyped-def]
    _edit(config_dir / "storage.yaml", mutate)
    with pytest.raises(ConfigError) as err:
        load_config(config_dir)
    assert err.value.file.endswith("storage.yaml")
    assert err.value.field == field
    if value is not None:
        assert err.value.value == value
    else:
        assert "'mention' is not a kind of document" in str(err.value)


# -- on the node ------------------------------------------------------------------------------------


@pytest.mark.integration
def test_indices_get_the_configured_settings_with_replicas_capped_on_a_single_node(store: Store) -> None:
    storage = StorageConfig(kinds={"clocks": IndexSettings(shards=3, refresh_interval=Duration(2, "seconds"))})
    store.drop_all()
    store.ensure_indices(storage)
    assert store.client.cluster.health()["number_of_data_nodes"] == 1
    clocks = _settings(store, "clocks")
    assert (clocks["number_of_shards"], clocks["number_of_replicas"], clocks["refresh_interval"]) == ("3", "0", "2s")
    incidents = _settings(store, "incidents")
    assert (incidents["number_of_shards"], incidents["number_of_replicas"]) == ("1", "0")
    template = store.client.indices.get_index_template(name=store.alias("clocks"))
    settings = template["index_templates"][0]["index_template"]["template"]["settings"]["index"]
    assert settings["number_of_shards"] == "3" and settings["refresh_interval"] == "2s"
    assert store.client.cluster.health(index=f"{store.prefix}-*")["status"] == "green"

    # A changed refresh interval reaches the existing index at the next start.
    store.ensure_indices(StorageConfig(kinds={"clocks": IndexSettings(refresh_interval=Duration(7, "seconds"))}))
    assert _settings(store, "clocks")["refresh_interval"] == "7s"
    store.drop_all()
    store.ensure_indices()


@pytest.mark.integration
def test_retention_deletes_only_what_is_older_than_kept_and_audit_lasts_longest(store: Store) -> None:
    def ago(days: int) -> str:
        return iso(NOW - dt.timedelta(days=days)) or ""

    store.bulk("mentions", [("m-old", {"id": "m-old", "crawled_at": ago(400)}),
                            ("m-new", {"id": "m-new", "crawled_at": ago(10)})])
    store.bulk("deliveries", [("d-old", {"id": "d-old", "created_at": ago(400)}),
                              ("d-new", {"id": "d-new", "created_at": ago(300)})])
    store.bulk("audit", [("a-400", {"id": "a-400", "at": ago(400)}), ("a-old", {"id": "a-old", "at": ago(2000)})])
    store.bulk("source_health", [("h-old", {"id": "h-old", "finished_at": ago(100)}),
                                 ("h-new", {"id": "h-new", "finished_at": ago(1)})])
    store.bulk("incidents", [("i-old", {"id": "i-old", "created_at": ago(3000)})])  # never expires
    store.bulk("engagement", [("e-old", {"id": "e-old", "at": ago(400)}), ("e-new", {"id": "e-new", "at": ago(5)})])
    store.bulk("hotlist", [("l-old", {"id": "l-old", "at": ago(366)}), ("l-new", {"id": "l-new", "at": ago(364)})])
    store.bulk("console_sessions", [("s-old", {"id": "s-old", "expires_at": ago(31)}),
                                    ("s-new", {"id": "s-new", "expires_at": ago(29)})])
    store.bulk("sign_in_attempts", [("x-old", {"id": "x-old", "last_failure_at": ago(91)}),
                                    ("x-new", {"id": "x-new", "last_failure_at": ago(1)})])
    retention = Retention(mentions=Duration(365, "days"), deliveries=Duration(365, "days"),
                          source_health=Duration(90, "days"), audit=Duration(1825, "days"),
                          engagement=Duration(365, "days"), hotlist=Duration(365, "days"),
                          console_sessions=Duration(30, "days"), sign_in_attempts=Duration(90, "days"))

    result = apply_retention(store, retention, now=NOW)
    assert {k: r["deleted"] for k, r in result.items()} == {
        "mentions": 1, "deliveries": 1, "source_health": 1, "audit": 1, "engagement": 1, "hotlist": 1,
        "console_sessions": 1, "sign_in_attempts": 1}
    store.refresh()
    assert [d["id"] for d in store.find("mentions")] == ["m-new"]
    assert [d["id"] for d in store.find("deliveries")] == ["d-new"]
    assert [d["id"] for d in store.find("audit")] == ["a-400"]  # a mention's age, but audit is kept longer
    assert [d["id"] for d in store.find("source_health")] == ["h-new"]
    assert store.get("incidents", "i-old") is not None
    for kind, kept in (("engagement", "e-new"), ("hotlist", "l-new"), ("console_sessions", "s-new"),
                       ("sign_in_attempts", "x-new")):
        assert [d["id"] for d in store.find(kind)] == [kept], kind

    again = apply_retention(store, retention, now=NOW)  # re-running the same day deletes nothing more
    assert all(r["deleted"] == 0 for r in again.values())


@pytest.mark.integration
def test_the_retention_task_uses_the_configured_retention(store: Store, es_url: str, config_dir: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    from pipeline.tasks import run_retention

    _edit(config_dir / "storage.yaml", lambda d: d["retention"].__setitem__("mentions", "30 days"))
    store.bulk("mentions", [("m-40", {"id": "m-40", "crawled_at": iso(NOW - dt.timedelta(days=40))}),
                            ("m-20", {"id": "m-20", "crawled_at": iso(NOW - dt.timedelta(days=20))})], refresh=True)
    monkeypatch.setenv("ES_URL", es_url)
    monkeypatch.setenv("YUQING_INDEX_PREFIX", store.prefix)
    monkeypatch.setenv("YUQING_CONFIG", str(config_dir))
    result = run_retention(NOW.isoformat())
    assert result["mentions"]["deleted"] == 1
    store.refresh()
    assert [d["id"] for d in store.find("mentions")] == ["m-20"]

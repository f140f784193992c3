"""The storage layer against the real Elasticsearch node."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

from yuqing import esnode
from yuqing.errors import StorageUnavailable
from yuqing.storage import Store, make_client

pytestmark = pytest.mark.integration


def test_ensure_indices_is_idempotent_and_uses_aliases(store):
    store.ensure_indices()
    store.ensure_indices()
    aliases = store.client.indices.get_alias(index=f"{store.prefix}-*")
    assert f"{store.prefix}-mentions-v1" in aliases
    assert f"{store.prefix}-mentions" in aliases[f"{store.prefix}-mentions-v1"]["aliases"]


def test_retried_write_with_same_id_does_not_duplicate(store):
    doc = {"id": "m1", "title": "昆明市发生交通事故", "title_seg": "昆明市 发生 交通事故"}
    store.put("mentions", "m1", doc)
    store.put("mentions", "m1", doc, refresh=True)
    assert store.count("mentions") == 1
    result = store.bulk("mentions", [("m1", doc), ("m2", {**doc, "id": "m2"})], op="create", refresh=True)
    assert result.ok == 2 and not result.failed
    assert store.count("mentions") == 2


def test_segmented_field_matches_whole_chinese_words(store):
    store.put("mentions", "a", {"title_seg": "昆明市 发生 交通事故"})
    store.put("mentions", "b", {"title_seg": "交通 管理 通知"}, refresh=True)
    hits = store.find("mentions", {"match": {"title_seg": "交通事故"}})
    assert [h["title_seg"] for h in hits] == ["昆明市 发生 交通事故"]


def test_bulk_reports_bad_documents_and_keeps_the_good(store):
    result = store.bulk("mentions", [("ok", {"published_at": "2026-11-23T08:00:00+08:00"}),
                                      ("bad", {"published_at": "昨天下午"})], refresh=True)
    assert result.ok == 1
    assert [doc_id for doc_id, _ in result.failed] == ["bad"]
    assert "published_at" in result.failed[0][1]
    assert store.get("mentions", "ok") is not None


def test_killed_node_gives_a_clear_error():
    if os.environ.get("ES_URL"):
        pytest.skip("ES_URL points at an external cluster; this test starts and kills its own node")
    node_dir = Path(tempfile.mkdtemp(prefix="yuqing-es-kill-", dir="/tmp"))
    os.chmod(node_dir, 0o755)
    name = f"kill-{os.getpid()}"
    info = esnode.start(name=name, port=None, node_dir=node_dir)
    try:
        store = Store(make_client(info.client_url(), timeout=5), prefix="killtest")
        store.ensure_indices()
        store.put("incidents", "i1", {"id": "i1", "title": "测试"}, refresh=True)
        esnode.stop(name)
        with pytest.raises(StorageUnavailable) as err:
            store.get("incidents", "i1")
        msg = str(err.value)
        assert info.url.removeprefix("http://") in msg
        assert "yuqing es start" in msg
    finally:
        esnode.stop(name)
        shutil.rmtree(node_dir, ignore_errors=True)

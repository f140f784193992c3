"""Crawls against the password-protected node: the credentials reach the crawl child, and a crawl
that cannot authenticate fails loudly instead of collecting nothing and reporting success."""

from __future__ import annotations

import pytest

from crawlers.api import CrawlError, crawl_source
from yuqing import essecurity
from yuqing.config import Config
from yuqing.errors import StorageAuthError
from yuqing.esnode import NodeInfo
from yuqing.storage import Store, make_client

from .conftest import FAST, NOON

pytestmark = pytest.mark.integration

WRONG = "Wr0ng-S3cret"


def _wrong_password_url(cluster: NodeInfo) -> str:
    if not cluster.secured or "tasks" not in cluster.accounts:
        pytest.skip("ES_URL points at a cluster without credentials")
    return essecurity.with_credentials(cluster.url, cluster.accounts["tasks"]["user"], WRONG)


def test_a_crawl_against_the_secured_node_stores_its_mentions(store: Store, es_cluster: NodeInfo,
                                                              web_config: Config) -> None:
    if es_cluster.secured:
        assert essecurity.credentials(store.url)[0] == "yuqing_tasks"  # the store the child gets has them
    stats = crawl_source(store, web_config, "demo-gov-weibo", now=NOON, settings=FAST)
    store.refresh()
    assert stats.new == 2 and stats.failed == 0 and not stats.reasons, stats.summary()
    assert store.count("mentions", {"term": {"source_id": "demo-gov-weibo"}}) == 2


def test_a_crawl_with_a_wrong_password_fails_with_a_clear_error(store: Store, es_cluster: NodeInfo,
                                                                web_config: Config) -> None:
    bad = Store(make_client(_wrong_password_url(es_cluster)), prefix=store.prefix)
    with pytest.raises(CrawlError) as err:
        crawl_source(bad, web_config, "demo-gov-weibo", now=NOON, settings=FAST)
    message = str(err.value)
    assert "exit 3" in message and "401" in message and "yuqing_tasks" in message
    assert WRONG not in message
    store.refresh()
    assert store.count("mentions") == 0


def test_yuqing_crawl_and_the_crawl_task_fail_when_the_password_is_wrong(
        store: Store, es_cluster: NodeInfo, web_config: Config, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    from pipeline.tasks import run_crawl
    from yuqing.cli import main

    monkeypatch.setenv("ES_URL", _wrong_password_url(es_cluster))
    monkeypatch.setenv("YUQING_INDEX_PREFIX", store.prefix)
    monkeypatch.setenv("YUQING_CONFIG", str(web_config.directory))
    code = main(["crawl", "demo-gov-weibo", "--config", str(web_config.directory), "--now", NOON.isoformat()])
    err = capsys.readouterr().err
    assert code == 3  # Elasticsearch refused the login (yuqing.clierrors)
    assert "拒绝了账号 'yuqing_tasks' 的登录" in err and WRONG not in err and "Traceback" not in err
    with pytest.raises(StorageAuthError):
        run_crawl(["demo-gov-weibo"], NOON)

"""Authenticated Elasticsearch: the test node is really secured, the roles hold, and credentials
travel with the connection without ever being shown."""

from __future__ import annotations

import base64
import os
import subprocess
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import pytest
import yaml
from elasticsearch import ApiError

from yuqing import esnode, essecurity
from yuqing.errors import StorageAuthError
from yuqing.esnode import NodeInfo
from yuqing.storage import Store, client_url, make_client

integration = pytest.mark.integration


def _get(url: str, auth: tuple[str, str] | None = None) -> int:
    request = urllib.request.Request(url.rstrip("/") + "/_cluster/health")
    if auth:
        request.add_header("Authorization", "Basic " + base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode())
    try:
        with urllib.request.urlopen(request, timeout=10) as resp:
            return int(resp.status)
    except urllib.error.HTTPError as exc:
        return exc.code


def _require_secured(cluster: NodeInfo, *purposes: str) -> None:
    if not cluster.secured or any(p not in cluster.accounts for p in purposes):
        pytest.skip(f"ES_URL points at a cluster without the {', '.join(purposes)} account(s) these checks need")


# -- credentials in URLs (no node) ------------------------------------------------------------------


def test_credentials_are_added_to_every_node_and_masked_when_shown() -> None:
    url = essecurity.with_credentials("http://10.0.0.1:9200,https://10.0.0.2:9243", "yuqing_tasks", "p@ss:w/rd")
    assert url == "http://yuqing_tasks:p%40ss%3Aw%2Frd@10.0.0.1:9200,https://yuqing_tasks:p%40ss%3Aw%2Frd@10.0.0.2:9243"
    assert essecurity.credentials(url) == ("yuqing_tasks", "p@ss:w/rd")
    assert essecurity.redact(url) == "http://yuqing_tasks:***@10.0.0.1:9200,https://yuqing_tasks:***@10.0.0.2:9243"
    assert essecurity.without_credentials(url) == "http://10.0.0.1:9200,https://10.0.0.2:9243"
    # A URL that already names its user keeps it.
    assert essecurity.with_credentials("http://a:b@h:1", "other", "x") == "http://a:b@h:1"


def test_a_client_hands_its_credentials_on_to_another_process() -> None:
    client = make_client("http://yuqing_tasks:s%40cret@127.0.0.1:9,http://yuqing_tasks:s%40cret@127.0.0.1:10")
    assert sorted(client_url(client).split(",")) == ["http://yuqing_tasks:s%40cret@127.0.0.1:10",
                                                     "http://yuqing_tasks:s%40cret@127.0.0.1:9"]
    assert Store(client).url == client_url(client)


def test_roles_are_rendered_per_index_prefix() -> None:
    roles = essecurity.role_definitions(["yuqing", "yuqing2"])
    assert set(roles) == {essecurity.TASKS_ROLE, essecurity.CONSOLE_ROLE}
    assert roles["yuqing_tasks"]["indices"][0]["names"] == ["yuqing-*", "yuqing2-*"]
    assert "manage_index_templates" in roles["yuqing_tasks"]["cluster"]
    console = roles["yuqing_console"]
    assert "manage_index_templates" not in console["cluster"]
    assert not {"manage", "create_index", "delete_index", "all"} & set(console["indices"][0]["privileges"])


# -- the secured test node --------------------------------------------------------------------------


@integration
def test_the_test_node_refuses_requests_without_valid_credentials(es_cluster: NodeInfo) -> None:
    _require_secured(es_cluster, "tasks")
    assert _get(es_cluster.url) == 401
    user = es_cluster.accounts["tasks"]["user"]
    assert _get(es_cluster.url, (user, "wrong-password")) == 401
    assert _get(es_cluster.url, (user, es_cluster.accounts["tasks"]["password"])) == 200


@integration
def test_a_wrong_password_is_a_clear_error_naming_the_user_not_the_password(es_cluster: NodeInfo,
                                                                              store: Store) -> None:
    _require_secured(es_cluster, "tasks")
    wrong = essecurity.with_credentials(es_cluster.url, es_cluster.accounts["tasks"]["user"], "Wr0ng-S3cret")
    bad = Store(make_client(wrong), prefix=store.prefix)
    with pytest.raises(StorageAuthError) as err:
        bad.get("incidents", "i1")
    assert "401" in str(err.value) and "yuqing_tasks" in str(err.value)
    assert "Wr0ng-S3cret" not in str(err.value)


@integration
def test_the_console_account_works_with_documents_but_cannot_create_or_delete_indices(
        es_cluster: NodeInfo, es_console_url: str, store: Store) -> None:
    _require_secured(es_cluster, "console")
    console = Store(make_client(es_console_url), prefix=store.prefix)
    console.require_indices()
    console.put("incidents", "i1", {"id": "i1", "title": "测试事件"}, refresh=True)
    assert console.get("incidents", "i1") == {"id": "i1", "title": "测试事件"}

    with pytest.raises(StorageAuthError) as err:
        console.ensure_indices()  # templates and indices are the tasks' business
    assert "403" in str(err.value) and "yuqing_console" in str(err.value)
    for attempt in (
        lambda: console.client.indices.create(index=f"{store.prefix}-extra-v1"),
        lambda: console.client.index(index=f"{store.prefix}-autocreated", document={"a": 1}),  # no auto-create
        lambda: console.client.indices.delete(index=store.concrete("incidents")),
    ):
        with pytest.raises(ApiError) as refused:
            attempt()
        assert refused.value.meta.status == 403
    assert store.get("incidents", "i1") is not None


@integration
def test_the_tasks_role_reaches_only_its_own_index_prefix(es_cluster: NodeInfo) -> None:
    """The production rendering of the role (one prefix), put in the node's file realm as a
    deployment does (this distribution has no native realm: its .security index needs a module
    it lacks), for a user of its own."""
    if not es_cluster.node_dir:
        pytest.skip("ES_URL points at an external cluster; this test edits the node's file realm")
    conf = Path(es_cluster.node_dir) / "config"
    prefix, other = f"prod{uuid.uuid4().hex[:6]}", f"other{uuid.uuid4().hex[:6]}"
    role = f"yuqing_tasks_{prefix}"
    account = essecurity.Account(user=f"u_{prefix}", password=uuid.uuid4().hex, role=role)
    roles_before = (conf / "roles.yml").read_text(encoding="utf-8")
    users_before = {name: (conf / name).read_text(encoding="utf-8") for name in ("users", "users_roles")}
    body = essecurity.role_definitions([prefix])[essecurity.TASKS_ROLE]
    url = essecurity.with_credentials(es_cluster.url, account.user, account.password)
    admin = Store(make_client(es_cluster.client_url("admin")), prefix=prefix)
    try:
        (conf / "roles.yml").write_text(roles_before + yaml.safe_dump({role: body}), encoding="utf-8")
        essecurity.add_users(conf, {"scoped": account}, es_home=esnode.fetch_distribution(),
                             java_home=esnode.find_java_home(), replace=False)
        _give_back_to_the_node(conf)
        deadline = time.monotonic() + 60  # the node re-reads its realm files every few seconds
        while _get(es_cluster.url, (account.user, account.password)) != 200 and time.monotonic() < deadline:
            time.sleep(1)
        own = Store(make_client(url), prefix=prefix)
        own.ensure_indices()
        own.put("mentions", "m1", {"id": "m1"}, refresh=True)
        assert own.count("mentions") == 1
        with pytest.raises(StorageAuthError) as err:
            Store(make_client(url), prefix=other).ensure_indices()
        assert "403" in str(err.value)
    finally:
        admin.drop_all()
        Store(admin.client, prefix=other).drop_all()
        admin.client.close()
        (conf / "roles.yml").write_text(roles_before, encoding="utf-8")
        for name, text in users_before.items():
            (conf / name).write_text(text, encoding="utf-8")
        _give_back_to_the_node(conf)


def _give_back_to_the_node(conf: Path) -> None:
    """Files written as root must stay readable by the node's own user."""
    if os.geteuid() == 0:
        subprocess.run(["chown", "-R", esnode.ES_USER, str(conf)], check=True)


@integration
def test_es_status_masks_the_password_and_reports_a_secured_node_as_running(
        es_cluster: NodeInfo, es_url: str, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    _require_secured(es_cluster, "tasks")
    from yuqing.cli import main

    password = es_cluster.accounts["tasks"]["password"]
    monkeypatch.setenv("ES_URL", es_url)
    assert main(["es", "status"]) == 0
    out = capsys.readouterr()
    assert password not in out.out + out.err
    assert "yuqing_tasks:***@" in out.out
    assert "状态 green" in out.out or "状态 yellow" in out.out

    monkeypatch.setenv("ES_URL", es_cluster.url)  # no credentials: running, but it needs some
    assert main(["es", "status"]) == 3  # backend refusing the login: exit 3 (yuqing.clierrors)
    assert "正在运行，但登录被拒绝" in capsys.readouterr().out

    monkeypatch.setenv("ES_URL", essecurity.with_credentials(es_cluster.url, "yuqing_tasks", "Wr0ng-S3cret"))
    assert main(["es", "status"]) == 3
    out = capsys.readouterr()
    assert "正在运行，但登录被拒绝" in out.out and "refused the credentials of 'yuqing_tasks'" in out.out
    assert "Wr0ng-S3cret" not in out.out + out.err


@integration
def test_separate_username_and_password_variables_reach_the_client(
        es_cluster: NodeInfo, store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    _require_secured(es_cluster, "tasks")
    monkeypatch.setenv("ES_URL", es_cluster.url)
    monkeypatch.setenv("ES_USERNAME", es_cluster.accounts["tasks"]["user"])
    monkeypatch.setenv("ES_PASSWORD", es_cluster.accounts["tasks"]["password"])
    assert Store.connect(prefix=store.prefix).count("incidents") == 0

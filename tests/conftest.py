"""Test fixtures: the real Elasticsearch node, per-test index prefixes, configuration, data.

The session starts its own node (a separate name, data directory and free port, so it never
touches the demo node) unless ES_URL points at a cluster. The node runs with security on, like
production: tests connect with the tasks' account (``es_url``) or the console's
(``es_console_url``). Each test that asks for ``store`` gets the session's own indices (unique
prefix), emptied before the test: every test starts from an empty Elasticsearch state, without
paying for creating a dozen indices each time.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support import empty_store, open_test_store
from yuqing.config import Config, load_config
from yuqing.esnode import NodeInfo
from yuqing.paths import PROJECT_ROOT, shared_data_dir
from yuqing.storage import Store


@pytest.fixture(scope="session")
def es_cluster() -> Iterator[NodeInfo]:
    """The session's cluster: a private node with security on (file realm, the project's roles)."""
    from yuqing import esnode

    with esnode.scratch_cluster(f"test-{os.getpid()}") as info:
        yield info


@pytest.fixture(scope="session")
def es_url(es_cluster: NodeInfo) -> str:
    """The URL with the tasks' credentials: what crawls, DAG runs and CLI commands use in production."""
    return es_cluster.client_url("tasks")


@pytest.fixture(scope="session")
def es_console_url(es_cluster: NodeInfo) -> str:
    """The URL with the console's credentials (its role cannot create or delete indices)."""
    return es_cluster.client_url("console")


@pytest.fixture(scope="session")
def session_store(es_url: str) -> Iterator[Store]:
    with open_test_store(es_url) as s:
        yield s


@pytest.fixture
def store(session_store: Store) -> Store:
    return empty_store(session_store)


@pytest.fixture(scope="session")
def config() -> Config:
    return load_config(PROJECT_ROOT / "config")


@pytest.fixture
def config_dir(tmp_path: Path) -> Path:
    """A writable copy of the shipped configuration, for tests that edit it."""
    dest = tmp_path / "config"
    shutil.copytree(PROJECT_ROOT / "config", dest)
    return dest


@pytest.fixture(scope="session")
def shared_data() -> Path:
    path = shared_data_dir()
    if not (path / "sentiment_dev.csv").exists():
        pytest.skip(f"development data not found at {path} (set YUQING_SHARED_DATA); CI has it")
    return path

"""Fixtures for the DAG tests."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def airflow_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One Airflow home (metadata DB migrated on first use) shared by the session's DAG runs."""
    path = tmp_path_factory.getbasetemp() / "airflow-home"
    path.mkdir(exist_ok=True)
    return path

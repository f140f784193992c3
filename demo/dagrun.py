"""Run the project's Airflow DAGs in this process with ``dag.test()`` (the main job and the DAG tests).

``DagRunner`` prepares a private Airflow home (SQLite metadata database migrated once, the
project's ``dags/`` folder, no examples, quiet logs), parses the DAG folder the way Airflow 3 does
(as a bundle, so ``dags/`` is importable) and runs one DAG at a time for a given logical date.
Each run's task return values (the stage summaries from :mod:`pipeline.tasks`) are read back from
XCom.

Airflow reads its configuration from the environment when it is first imported, so
:meth:`DagRunner.setup` must run before anything else in the process imports ``airflow``.

Run as a module to execute DAGs from a shell (used by the DAG tests)::

    python -m demo.dagrun yuqing_analysis@2026-11-23T10:00:00+08:00 yuqing_routing@2026-11-23T10:00:00+08:00

prints one JSON object per run. A ``--pause`` argument prints ``--pause`` and waits for a line on
standard input before going on (the DAG tests compare Elasticsearch before and after a re-run).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from yuqing.paths import PROJECT_ROOT, var_dir

DAGS_FOLDER = PROJECT_ROOT / "dags"
PAUSE = "--pause"


def airflow_home() -> Path:
    """The private Airflow home (``AIRFLOW_HOME`` if set, else ``var/airflow``)."""
    return Path(os.environ.get("AIRFLOW_HOME") or var_dir() / "airflow")


def airflow_environment(home: Path, dags_folder: Path = DAGS_FOLDER, *, retries: int = 0) -> dict[str, str]:
    """The environment a local ``dag.test()`` run needs."""
    return {
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__DAGS_FOLDER": str(dags_folder),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home / 'airflow.db'}",
        "AIRFLOW__LOGGING__LOGGING_LEVEL": os.environ.get("AIRFLOW__LOGGING__LOGGING_LEVEL", "WARNING"),
        "AIRFLOW__CORE__DAGBAG_IMPORT_TIMEOUT": "120",
        # Fail fast: a failing task is reported at once instead of waiting for its retry delay.
        "YUQING_DAG_RETRIES": str(retries),
    }


@dataclasses.dataclass
class RunResult:
    dag_id: str
    logical_date: dt.datetime
    state: str
    seconds: float
    results: dict[str, Any]  # task id → its return value (a stage summary)
    failed: list[str]  # task ids that did not succeed

    @property
    def ok(self) -> bool:
        return self.state == "success"

    def to_json(self) -> dict[str, Any]:
        return {"dag_id": self.dag_id, "logical_date": self.logical_date.isoformat(), "state": self.state,
                "seconds": round(self.seconds, 2), "results": self.results, "failed": self.failed}


class DagRunner:
    """Parse the DAG folder once and run DAGs with ``dag.test()`` against a private metadata DB."""

    def __init__(self, home: Path | None = None, dags_folder: Path = DAGS_FOLDER) -> None:
        self.home = home or airflow_home()
        self.dags_folder = dags_folder
        self.dags: dict[str, Any] = {}
        self.import_errors: dict[str, str] = {}

    def setup(self) -> None:
        """Set Airflow's environment, migrate its database (once) and parse the DAGs."""
        if "airflow" in sys.modules and os.environ.get("AIRFLOW_HOME") != str(self.home):
            raise RuntimeError("airflow was imported before DagRunner.setup(); run the DAGs in a fresh process")
        self.home.mkdir(parents=True, exist_ok=True)
        os.environ.update(airflow_environment(self.home, self.dags_folder))
        self._migrate()
        from airflow.dag_processing.dagbag import BundleDagBag

        bag = BundleDagBag(dag_folder=str(self.dags_folder), bundle_path=self.dags_folder,
                           bundle_name="dags-folder")
        self.dags = dict(bag.dags)
        self.import_errors = dict(bag.import_errors)

    def _migrate(self) -> None:
        from airflow import settings
        from airflow.utils import db

        marker = self.home / ".migrated"
        version = _airflow_version()
        if marker.exists() and marker.read_text() == version and (self.home / "airflow.db").exists():
            return
        if settings.Session is None:
            settings.configure_orm()
        db.upgradedb()
        marker.write_text(version)

    def dag_ids(self, prefix: str = "") -> list[str]:
        return sorted(d for d in self.dags if d.startswith(prefix))

    def run(self, dag_id: str, logical_date: dt.datetime) -> RunResult:
        """One DAG run for ``logical_date`` (its data interval ends there)."""
        dag = self.dags[dag_id]
        start = time.monotonic()
        run = dag.test(logical_date=logical_date)
        seconds = time.monotonic() - start
        state = str(getattr(run.state, "value", run.state))
        results, failed = self._outcome(dag_id, run.run_id)
        return RunResult(dag_id, logical_date, state, seconds, results, failed)

    def _outcome(self, dag_id: str, run_id: str) -> tuple[dict[str, Any], list[str]]:
        from airflow import settings
        from airflow.models.taskinstance import TaskInstance
        from airflow.models.xcom import XComModel
        from sqlalchemy import select

        assert settings.Session is not None
        with settings.Session() as session:
            rows = session.scalars(XComModel.get_many(run_id=run_id, dag_ids=dag_id, key="return_value")).all()
            results = {row.task_id: XComModel.deserialize_value(row) for row in rows}
            tis = session.scalars(select(TaskInstance).where(TaskInstance.dag_id == dag_id,
                                                             TaskInstance.run_id == run_id)).all()
            failed = sorted(ti.task_id for ti in tis if str(getattr(ti.state, "value", ti.state)) != "success")
        return results, failed


def _airflow_version() -> str:
    from importlib.metadata import version

    return version("apache-airflow-core")


def main(argv: Sequence[str] | None = None) -> int:
    specs = list(sys.argv[1:] if argv is None else argv)
    runner = DagRunner()
    runner.setup()
    if runner.import_errors:
        print(json.dumps({"import_errors": runner.import_errors}, ensure_ascii=False))
        return 1
    code = 0
    for spec in specs:
        if spec == PAUSE:  # let the caller look at Elasticsearch between two passes
            print(PAUSE, flush=True)
            sys.stdin.readline()
            continue
        dag_id, _, when = spec.partition("@")
        result = runner.run(dag_id, dt.datetime.fromisoformat(when))
        print(json.dumps(result.to_json(), ensure_ascii=False, default=str), flush=True)
        code = code or (0 if result.ok else 1)
    return code


if __name__ == "__main__":
    raise SystemExit(main())

"""Parse the DAG folder in a fresh interpreter and print what a DAG integrity test needs, as JSON.

Run by ``test_dagbag.py`` in a subprocess, so Airflow's import-time configuration never leaks into
the test session (Airflow logs to stdout, so the result goes to a file). An audit hook records
every socket connection attempted while the DAG files are parsed, and Airflow's connection and
variable lookups are wrapped to record any call.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

connects: list[str] = []
lookups: list[str] = []
recording = False


def _audit(event: str, args: tuple[Any, ...]) -> None:
    if recording and event in ("socket.connect", "socket.getaddrinfo"):
        connects.append(f"{event} {args[1:]!r}")


def main(dags_folder: str, out: str) -> None:
    global recording
    sys.addaudithook(_audit)
    from airflow.dag_processing.dagbag import BundleDagBag
    from airflow.sdk import Variable
    from airflow.sdk.definitions.connection import Connection

    def record(name: str, original: Any) -> Any:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            lookups.append(f"{name}{args[1:] if args else ()}")
            return original(*args, **kwargs)

        return wrapper

    Connection.get = classmethod(record("Connection.get", Connection.get.__func__))  # type: ignore[method-assign]
    Variable.get = staticmethod(record("Variable.get", Variable.get))  # type: ignore[method-assign]
    es_before = "elasticsearch" in sys.modules
    recording = True
    bag = BundleDagBag(dag_folder=dags_folder, bundle_path=Path(dags_folder), bundle_name="dags-folder")
    recording = False
    dags = []
    for dag in bag.dags.values():
        timetable = dag.timetable
        timed = getattr(timetable, "timetable", timetable)  # AssetOrTimeSchedule wraps a time table
        dags.append({
            "dag_id": dag.dag_id,
            "fileloc": dag.fileloc,
            "tags": sorted(dag.tags),
            "doc_md": dag.doc_md or "",
            "catchup": dag.catchup,
            "max_active_runs": dag.max_active_runs,
            "timetable": type(timetable).__name__,
            "cron": getattr(timed, "expression", None),
            "timezone": str(getattr(timed, "timezone", "") or ""),
            "every_s": getattr(timed, "interval", None) and timed.interval.total_seconds(),
            "schedule_assets": sorted(getattr(a, "uri", str(a))
                                      for a in getattr(getattr(timetable, "asset_condition", None), "objects", ())),
            "tasks": [{
                "task_id": t.task_id,
                "queue": t.queue,
                "retries": t.retries,
                "retry_delay_s": t.retry_delay.total_seconds(),
                "outlets": sorted(getattr(o, "uri", str(o)) for o in t.outlets),
                "op_args": [a for a in getattr(t, "op_args", []) if isinstance(a, list)],
            } for t in dag.tasks],
        })
    Path(out).write_text(json.dumps({
        "import_errors": bag.import_errors,
        "dags": dags,
        "connects": connects,
        "lookups": lookups,
        "elasticsearch_imported": ("elasticsearch" in sys.modules) and not es_before,
    }, ensure_ascii=False, default=str), encoding="utf-8")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])

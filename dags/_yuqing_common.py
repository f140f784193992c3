"""Shared pieces of the Yuqing Watch DAGs (not a DAG file: listed in ``.airflowignore``).

Assets that connect the stages, default task arguments, schedules in Asia/Shanghai, and the
connection resolver that lets the domain packages read Airflow connections. Importing this module
is cheap and touches no database, network or connection: the scheduler parses DAG files often.
"""

from __future__ import annotations

import datetime as dt
import os
from typing import Any

import pendulum
from airflow.sdk import Asset, CronTriggerTimetable, DeltaTriggerTimetable

TZ = "Asia/Shanghai"
START = pendulum.datetime(2026, 1, 1, tz=TZ)
TAGS = ["yuqing"]

# Collection writes mentions → analysis updates incidents → routing opens clocks → dispatch alerts.
MENTIONS = Asset("yuqing://mentions", group="yuqing")
INCIDENTS = Asset("yuqing://incidents", group="yuqing")
CLOCKS = Asset("yuqing://clocks", group="yuqing")

# YUQING_DAG_RETRIES lets the demo and tests fail fast; the scheduler keeps the default.
RETRIES = int(os.environ.get("YUQING_DAG_RETRIES", "3"))

# Celery queues, from the deployment's environment (deploy/services.py sets them): crawls on their own
# worker so a slow site never delays the minute sweep and dispatch. Unset (local runs, dag.test(),
# LocalExecutor), every task goes to Airflow's default queue.
DEFAULT_QUEUE = "default"
QUEUE_CRAWL = os.environ.get("YUQING_QUEUE_CRAWL") or DEFAULT_QUEUE
QUEUE_ANALYSIS = os.environ.get("YUQING_QUEUE_ANALYSIS") or DEFAULT_QUEUE

DEFAULT_ARGS: dict[str, Any] = {
    "owner": "yuqing",
    "queue": QUEUE_ANALYSIS,
    "retries": RETRIES,
    "retry_delay": dt.timedelta(minutes=1),
    "retry_exponential_backoff": 2.0,
    "max_retry_delay": dt.timedelta(minutes=10),
    "execution_timeout": dt.timedelta(minutes=30),
}


def every(delta: dt.timedelta) -> CronTriggerTimetable | DeltaTriggerTimetable:
    """Run every ``delta``; the data interval is the ``delta`` that just ended. Deltas that divide an
    hour or a day run on the clock (``*/5 * * * *``), others every ``delta`` from the start date."""
    seconds = int(delta.total_seconds())
    if seconds % 60 == 0 and 3600 % seconds == 0:
        return cron(f"*/{seconds // 60} * * * *" if seconds < 3600 else "0 * * * *", delta)
    if seconds % 3600 == 0 and 86400 % seconds == 0:
        return cron(f"0 */{seconds // 3600} * * *" if seconds < 86400 else "0 0 * * *", delta)
    return DeltaTriggerTimetable(delta, interval=delta)


def cron(expression: str, interval: dt.timedelta) -> CronTriggerTimetable:
    """A cron schedule in Asia/Shanghai whose data interval is the ``interval`` before each run."""
    return CronTriggerTimetable(expression, timezone=TZ, interval=interval)


def interval_end(context: Any) -> Any:
    """The run's clock: the end of its data interval. Asset-triggered runs have no data interval in
    Airflow 3, so for them it is the moment the run was triggered (fixed for the run, so a re-run
    repeats the same decisions)."""
    return context.get("data_interval_end") or context["dag_run"].run_after


def resolver(conn_id: str) -> Any:
    """A ``yuqing.connections.Resolver`` backed by Airflow: its connections, secrets backends and
    ``AIRFLOW_CONN_*`` variables, then ``YUQING_CONN_*``. Called only inside running tasks."""
    from airflow.sdk import BaseHook
    from airflow.sdk.exceptions import AirflowNotFoundException

    from yuqing.connections import from_object, resolve

    try:
        return from_object(conn_id, BaseHook.get_connection(conn_id))
    except AirflowNotFoundException:
        return resolve(conn_id)

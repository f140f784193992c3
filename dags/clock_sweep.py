"""# Clock sweep: reminders, releases, missed clocks and escalation — every minute

Every minute, compares each running response clock with the end of the run's data interval:
marks clocks met by a detected official release, sends reminders before the due time, marks
missed clocks and escalates them once. Everything is computed from stored timestamps and the
interval end, never from timers in memory, so a restart or a late run loses nothing and a re-run
of the same minute changes nothing.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from _yuqing_common import DEFAULT_ARGS, START, TAGS, cron, interval_end, resolver
from airflow.sdk import dag, task


@dag(
    dag_id="yuqing_clock_sweep",
    schedule=cron("* * * * *", dt.timedelta(minutes=1)),
    start_date=START,
    catchup=False,
    max_active_runs=1,
    default_args={**DEFAULT_ARGS, "retry_delay": dt.timedelta(seconds=20)},
    dagrun_timeout=dt.timedelta(minutes=5),
    tags=[*TAGS, "response"],
    doc_md=__doc__,
)
def clock_sweep() -> None:
    @task
    def sweep(**context: Any) -> dict[str, Any]:
        from pipeline.tasks import run_sweep

        return run_sweep(interval_end(context), resolver=resolver)

    sweep()


clock_sweep()

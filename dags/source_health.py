"""# Source health: notice sources whose crawl stopped running — every 15 minutes

Each crawl records its own health (items found / new / failed, error rate, silent when nothing new
for too long), and the alert rules `source_silent` / `source_failing` read it. What a crawl cannot
record is its own absence: a paused collection DAG, a crawl that dies before writing, a source left
out of every schedule. This check marks every enabled source whose last run is older than three of
its schedules (or that never ran) as silent, as of the end of the data interval, so the duty
officer is told. Re-running the same interval writes the same record.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from _yuqing_common import DEFAULT_ARGS, START, TAGS, cron, interval_end, resolver
from airflow.sdk import dag, task


@dag(
    dag_id="yuqing_source_health",
    schedule=cron("*/15 * * * *", dt.timedelta(minutes=15)),
    start_date=START,
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    tags=[*TAGS, "collection"],
    doc_md=__doc__,
)
def source_health() -> None:
    @task
    def check_sources(**context: Any) -> dict[str, Any]:
        from pipeline.tasks import run_source_health

        return run_source_health(interval_end(context), resolver=resolver)

    check_sources()


source_health()

"""# Maintenance: retention — daily at 03:30

Deletes what `config/storage.yaml` no longer keeps: mentions by crawl time, alert deliveries by
creation, source-health records by finish time, and the audit trail last (it is kept longest).
The cutoffs are computed from the end of the data interval, so a re-run of the same day deletes
nothing more. Deletes go by id (search, then bulk delete): see `yuqing/retention.py` for why.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from _yuqing_common import DEFAULT_ARGS, START, TAGS, cron, interval_end, resolver
from airflow.sdk import dag, task


@dag(
    dag_id="yuqing_maintenance",
    schedule=cron("30 3 * * *", dt.timedelta(days=1)),
    start_date=START,
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    tags=[*TAGS, "maintenance"],
    doc_md=__doc__,
)
def maintenance() -> None:
    @task
    def apply_retention(**context: Any) -> dict[str, Any]:
        from pipeline.tasks import run_retention

        return run_retention(interval_end(context), resolver=resolver)

    apply_retention()


maintenance()

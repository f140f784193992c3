"""# Post-incident response assessment (回应评估) — when incidents close

Every 10 minutes, assesses each incident closed since it was last looked at and not yet assessed:
clocks met or missed and by how much, detection and acknowledgement delays, what the release
stated, negative share before and after; scored by the configured indicator system, stored in
Elasticsearch and rendered under the reports directory. Incidents are closed by officers in the
console, outside Airflow, hence a short poll rather than an asset. Assessment ids are deterministic:
a re-run assesses nothing twice.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from _yuqing_common import DEFAULT_ARGS, START, TAGS, cron, interval_end, resolver
from airflow.sdk import dag, task


@dag(
    dag_id="yuqing_assessment",
    schedule=cron("*/10 * * * *", dt.timedelta(minutes=10)),
    start_date=START,
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    tags=[*TAGS, "reports"],
    doc_md=__doc__,
)
def assessment() -> None:
    @task
    def assess_closed(**context: Any) -> dict[str, Any]:
        from pipeline.tasks import run_assessments

        return run_assessments(interval_end(context), resolver=resolver)

    assess_closed()


assessment()

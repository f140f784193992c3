"""# Analysis: score new mentions and update incidents

Triggered by the `yuqing://mentions` asset (any collection run), not by a fixed delay. Scores every
mention not yet analysed (sentiment, collection priorities, place), groups mentions into incidents
and grades their severity, then emits `yuqing://incidents`, which triggers routing.

Idempotent: a mention is analysed once; re-running updates the same incident documents.
"""

from __future__ import annotations

from typing import Any

from _yuqing_common import DEFAULT_ARGS, INCIDENTS, MENTIONS, START, TAGS, interval_end, resolver
from airflow.sdk import dag, task


@dag(
    dag_id="yuqing_analysis",
    schedule=[MENTIONS],
    start_date=START,
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    tags=[*TAGS, "analysis"],
    doc_md=__doc__,
)
def analysis() -> None:
    @task(outlets=[INCIDENTS])
    def analyze(**context: Any) -> dict[str, Any]:
        from pipeline.tasks import run_analysis

        return run_analysis(interval_end(context), resolver=resolver)

    analyze()


analysis()

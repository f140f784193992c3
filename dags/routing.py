"""# Routing: send each incident to its office and open its response clocks

Triggered by the `yuqing://incidents` asset. Routes every unrouted incident by the declared rules
(属地管理、分级负责: place, severity, competent office), records the rule and its inputs, and opens
the response clocks the rules require (5 h / 24 h for levels I–II, 48 h, 3 working days for
policy documents, message-board limits). Emits `yuqing://clocks`, which triggers alert dispatch.

Then writes the 专报 (special report) of every incident that has reached level II or above
(`config/reports.yaml: special_report_min_level`) and has none for that level yet, and sends it to
the configured recipients.

Idempotent: clock ids are deterministic, so a re-run opens nothing twice; a level's 专报 is marked
by an audit event with a deterministic id, so it is written and sent once per incident and level.
"""

from __future__ import annotations

from typing import Any

from _yuqing_common import CLOCKS, DEFAULT_ARGS, INCIDENTS, START, TAGS, interval_end, resolver
from airflow.sdk import dag, task


@dag(
    dag_id="yuqing_routing",
    schedule=[INCIDENTS],
    start_date=START,
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    tags=[*TAGS, "response"],
    doc_md=__doc__,
)
def routing() -> None:
    @task(outlets=[CLOCKS])
    def route(**context: Any) -> dict[str, Any]:
        from pipeline.tasks import run_routing

        return run_routing(interval_end(context), resolver=resolver)

    @task
    def special_reports(routed: dict[str, Any], **context: Any) -> dict[str, Any]:
        from pipeline.tasks import run_special_reports

        return run_special_reports(interval_end(context), resolver=resolver)

    special_reports(route())


routing()

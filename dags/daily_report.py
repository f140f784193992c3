"""# Daily sensitive-topic report (每日舆情简报) — 08:00 Asia/Shanghai

Every morning at 08:00 Beijing time, writes the report for the previous day (the day before the
run's data-interval end, in Asia/Shanghai) as HTML, PDF and DOCX under the reports directory
(`YUQING_REPORTS_DIR`, default `var/reports`) and stores it in Elasticsearch, then sends it to the
recipients `config/reports.yaml` names (a summary with the console link, or the files by email).
Re-running the same morning rewrites the same files and the same report document, and sends nothing twice.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from _yuqing_common import DEFAULT_ARGS, START, TAGS, cron, interval_end, resolver
from airflow.sdk import dag, task


@dag(
    dag_id="yuqing_daily_report",
    schedule=cron("0 8 * * *", dt.timedelta(days=1)),
    start_date=START,
    catchup=False,
    max_active_runs=1,
    default_args={**DEFAULT_ARGS, "retry_delay": dt.timedelta(minutes=5)},
    tags=[*TAGS, "reports"],
    doc_md=__doc__,
)
def daily_report() -> None:
    @task
    def write_daily(**context: Any) -> dict[str, Any]:
        from pipeline.tasks import run_daily_report

        return run_daily_report(interval_end(context), resolver=resolver)

    @task
    def send_daily(written: dict[str, Any], **context: Any) -> dict[str, Any]:
        from pipeline.tasks import run_report_delivery

        return run_report_delivery("daily", written["day"], interval_end(context), resolver=resolver)

    send_daily(write_daily())


daily_report()

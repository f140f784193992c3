"""# Weekly and monthly reports (每周 / 每月舆情综述) — Monday 08:30 and the 1st at 09:00 Asia/Shanghai

The same building blocks as the daily report (figures, 研判建议, 处置情况, due and missed clocks),
over the last full ISO week (Monday–Sunday) or the last full calendar month, compared with the
week or month before. Written as HTML, PDF and DOCX under the reports directory
(`YUQING_REPORTS_DIR`) and stored in Elasticsearch; then sent to the configured recipients
(`config/reports.yaml: delivery`). A re-run rewrites the same files and document and sends nothing twice.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from _yuqing_common import DEFAULT_ARGS, START, TAGS, cron, interval_end, resolver
from airflow.sdk import dag, task

PERIODS = {
    "weekly": ("yuqing_weekly_report", "30 8 * * 1", dt.timedelta(days=7)),
    "monthly": ("yuqing_monthly_report", "0 9 1 * *", dt.timedelta(days=28)),
}


def period_dag(kind: str) -> None:
    dag_id, expression, interval = PERIODS[kind]

    @dag(
        dag_id=dag_id,
        schedule=cron(expression, interval),
        start_date=START,
        catchup=False,
        max_active_runs=1,
        default_args={**DEFAULT_ARGS, "retry_delay": dt.timedelta(minutes=5)},
        tags=[*TAGS, "reports"],
        doc_md=__doc__,
    )
    def period_report() -> None:
        @task(task_id=f"write_{kind}")
        def write(**context: Any) -> dict[str, Any]:
            from pipeline.tasks import run_period_report

            return run_period_report(kind, interval_end(context), resolver=resolver)

        @task(task_id=f"send_{kind}")
        def send(written: dict[str, Any], **context: Any) -> dict[str, Any]:
            from pipeline.tasks import run_report_delivery

            return run_report_delivery(kind, written["subject"], interval_end(context), resolver=resolver)

        send(write())

    period_report()


for _kind in PERIODS:
    period_dag(_kind)

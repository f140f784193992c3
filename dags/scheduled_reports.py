"""# Scheduled reports: daily (每日舆情简报), weekly and monthly (每周 / 每月舆情综述)

- `yuqing_daily_report`, every morning at 08:00 Beijing time: the report for the previous day (the
  day before the run's data-interval end, in Asia/Shanghai).
- `yuqing_weekly_report`, Monday 08:30, and `yuqing_monthly_report`, the 1st at 09:00: the same
  building blocks as the daily report (figures, 研判建议, 处置情况, due and missed clocks) over the
  last full ISO week (Monday–Sunday) or the last full calendar month, compared with the week or
  month before.

Each writes HTML, PDF and DOCX under the reports directory (`YUQING_REPORTS_DIR`, default
`var/reports`) and stores the report in Elasticsearch, then sends it to the recipients
`config/reports.yaml` names (a summary with the console link, or the files by email). A re-run
rewrites the same files and the same report document, and sends nothing twice.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from _yuqing_common import DEFAULT_ARGS, START, TAGS, cron, interval_end, resolver
from airflow.sdk import dag, task

# kind -> (dag id, cron expression in Asia/Shanghai, interval between runs)
REPORTS = {
    "daily": ("yuqing_daily_report", "0 8 * * *", dt.timedelta(days=1)),
    "weekly": ("yuqing_weekly_report", "30 8 * * 1", dt.timedelta(days=7)),
    "monthly": ("yuqing_monthly_report", "0 9 1 * *", dt.timedelta(days=28)),
}


def report_dag(kind: str) -> None:
    dag_id, expression, interval = REPORTS[kind]

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
    def scheduled_report() -> None:
        @task(task_id=f"write_{kind}")
        def write(**context: Any) -> dict[str, Any]:
            from pipeline.tasks import run_daily_report, run_period_report

            if kind == "daily":
                return run_daily_report(interval_end(context), resolver=resolver)
            return run_period_report(kind, interval_end(context), resolver=resolver)

        @task(task_id=f"send_{kind}")
        def send(written: dict[str, Any], **context: Any) -> dict[str, Any]:
            from pipeline.tasks import run_report_delivery

            return run_report_delivery(kind, written["subject"], interval_end(context), resolver=resolver)

        send(write())

    scheduled_report()


for _kind in REPORTS:
    report_dag(_kind)

"""# Alert dispatch: send what is due — every minute and right after routing

Runs every minute, and as soon as routing emits `yuqing://clocks`. Evaluates the alert rules
(new incidents, priority hits, spikes, clocks due or missed, silent sources), applies suppression,
quiet hours and the escalation ladder, and delivers through the configured channels (WeCom,
DingTalk, Feishu, email, SMS, webhook). Channel endpoints and secrets come from Airflow connections
(or `AIRFLOW_CONN_*` / `YUQING_CONN_*` variables), never from the repository.

Delivery state lives in Elasticsearch with deterministic ids: a re-run sends nothing twice.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from _yuqing_common import CLOCKS, DEFAULT_ARGS, START, TAGS, cron, interval_end, resolver
from airflow.sdk import AssetOrTimeSchedule, dag, task


@dag(
    dag_id="yuqing_alert_dispatch",
    schedule=AssetOrTimeSchedule(timetable=cron("* * * * *", dt.timedelta(minutes=1)), assets=[CLOCKS]),
    start_date=START,
    catchup=False,
    max_active_runs=1,
    default_args={**DEFAULT_ARGS, "retry_delay": dt.timedelta(seconds=20)},
    dagrun_timeout=dt.timedelta(minutes=5),
    tags=[*TAGS, "alerts"],
    doc_md=__doc__,
)
def alert_dispatch() -> None:
    @task
    def dispatch(**context: Any) -> dict[str, Any]:
        from pipeline.tasks import run_dispatch

        return run_dispatch(interval_end(context), resolver=resolver)

    dispatch()


alert_dispatch()

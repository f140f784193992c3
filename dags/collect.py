"""# Collection: crawl the configured sources

One DAG per crawl schedule, built from `config/sources.yaml` (the `schedule` of each enabled
source): `yuqing_collect_every_5m`, `yuqing_collect_every_15m`, … Each run crawls its sources
together in one Scrapy process (per-domain politeness still applies), incrementally into
Elasticsearch: already-seen items are skipped, reprints linked, and a broken page or a source that
is down is counted in that source's health record rather than failing the run. It then emits the
`yuqing://mentions` asset, which triggers analysis. If Elasticsearch is unreachable, items are
spooled to disk and the task fails so Airflow retries it.

The data interval's end is the crawl's clock (relative dates such as 「3小时前」 are read against it),
so re-running a run fetches and stores nothing twice. Adding a source or changing its schedule is a
configuration change: the scheduler picks it up at the next parse.
"""

from __future__ import annotations

from typing import Any

from _yuqing_common import DEFAULT_ARGS, MENTIONS, QUEUE_CRAWL, START, TAGS, every, interval_end, resolver
from airflow.sdk import dag, task

from pipeline.groups import SourceGroup, source_groups


def build(group: SourceGroup) -> Any:
    @dag(
        dag_id=f"yuqing_collect_every_{group.slug}",
        description=f"Crawl every {group.schedule}: {', '.join(group.source_ids)}",
        schedule=every(group.every),
        start_date=START,
        catchup=False,
        max_active_runs=1,
        default_args={**DEFAULT_ARGS, "queue": QUEUE_CRAWL},
        tags=[*TAGS, "collection"],
        doc_md=__doc__,
    )
    def collect() -> None:
        @task(outlets=[MENTIONS])
        def crawl(source_ids: list[str], **context: Any) -> dict[str, Any]:
            from pipeline.tasks import run_crawl

            return run_crawl(source_ids, interval_end(context), resolver=resolver)

        crawl(list(group.source_ids))

    return collect()


for _group in source_groups():
    build(_group)

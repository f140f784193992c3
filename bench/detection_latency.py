"""Detection latency: from a post's publication on the demo web to its alert at the receiver, cold stages.

Measures: for each of ``--posts`` posts about distinct events in distinct places, the wall time from
``publish`` on the demo web's Weibo-like timeline to the duty desk's WeCom robot (a local receiver)
accepting the alert that names the post, while the four stages of the cycle run one after the
other, **each in its own fresh Python process, as an Airflow task runs it**: the process starts, parses
the stage's DAG file (``dags/collect.py``, ``dags/analysis.py``, ``dags/routing.py``,
``dags/alert_dispatch.py``: Airflow imported, DAG objects built from the configuration), then calls
the very callable the DAG task calls (``pipeline.tasks.run_crawl`` → ``run_analysis`` →
``run_routing`` → ``run_dispatch``), which opens its Store (indices ensured once per process), loads
the configuration, imports the domain package and does the work. Cold imports are in the figure
(nothing is warm between stages or between posts), and the crawl's own Scrapy child process too.

Excluded, and stated: the source's crawl interval (``schedule`` in sources.yaml; in production a
post waits up to one interval, half on average, for the next crawl to start), and the scheduler's
hops between the stages (asset events → scheduler → executor queue → worker slot) and the Airflow
task supervisor's own start. Those are what the scheduler-driven figure of the production
rehearsal adds; the rehearsal measures it itself (``detection_latency_seconds`` in its summary,
split at the end of the crawl task that stored the post and again at the moment routing wrote the first
delivery; a level III/IV alert to a target that had a message within ``suppression.aggregate_window``
(5 min by default) is held until that window closes, and the rehearsal says when that happened, since
the hold is configured, not pipeline time). Pass its saved output with ``--rehearsal-summary FILE`` and
this benchmark quotes that figure next to its own (:func:`rehearsal_figure`).

The scenario clock is frozen (``interval_end`` of each stage = the simulated time of the post), so the
demo's rules and hot list see the same day every run. Aim: p95 ≤ 60 s beyond the crawl interval.

    .venv/bin/python bench/detection_latency.py [--posts 10]

Uses ES_URL if set, else starts (and stops) a private node. Last line: ``p95_seconds=<n>``.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import math
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from demo.receivers import Received, Receivers  # noqa: E402
from demo.web import DemoWeb, write_demo_config  # noqa: E402
from yuqing import esnode  # noqa: E402
from yuqing.clock import TZ, iso  # noqa: E402
from yuqing.config import load_config  # noqa: E402
from yuqing.storage import Store, make_client  # noqa: E402

SOURCE = "demo-weibo"
DAY = dt.date(2026, 11, 23)
START = dt.datetime(2026, 11, 23, 1, 0, tzinfo=TZ)  # before the scenario's first post (06:05)

# (event, post text): distinct events in distinct places.
POSTS = [
    ("曲靖市麒麟区建筑工地塔吊倒塌", "曲靖市麒麟区建筑工地塔吊倒塌，已造成2人死亡3人受伤，救援正在进行，现场一片狼藉"),
    ("大理市居民小区燃气爆炸", "大理市下关一居民小区燃气爆炸，多户居民房屋受损，4人受伤送医，消防已到场处置"),
    ("五华区学校食堂疑似食物中毒", "昆明市五华区一所小学食堂疑似发生食物中毒，30多名学生呕吐腹痛送医，家长非常担心"),
    ("楚雄州矿山透水事故", "楚雄州一处矿山发生透水事故，5名矿工被困井下，应急救援队伍正在全力抽水营救"),
    ("盘龙区自来水管爆裂停水", "昆明市盘龙区主干自来水管爆裂，大片小区停水两天无人管，居民买水排长队，物业推诿"),
    ("官渡区农贸市场火灾", "昆明市官渡区一农贸市场凌晨发生火灾，数十间商铺被烧毁，1人受伤，起火原因正在调查"),
    ("曲靖市拖欠农民工工资", "曲靖市某建筑项目拖欠80多名农民工工资半年，工人讨薪无门，到政府门口反映情况"),
    ("大理州山体滑坡阻断国道", "大理州洱源县强降雨引发山体滑坡，国道交通中断，3辆车被埋，救援人员正在搜救"),
    ("楚雄市医院医疗纠纷", "楚雄市一家医院发生医疗纠纷，患者家属聚集医院门口，质疑院方瞒报手术事故"),
    ("彝人古镇游客踩踏", "楚雄市彝人古镇景区晚间发生游客踩踏，造成5人受伤，游客质疑景区安保不到位、管理混乱"),
    ("曲靖市化工厂泄漏", "曲靖市沾益区一化工厂发生氨气泄漏，周边村民紧急疏散，多人出现不适症状送医观察"),
]


# (stage, DAG file its task lives in, the call the task makes): what one Airflow task process does.
STAGES = [
    ("crawl", "collect.py", f"run_crawl([{SOURCE!r}], END)"),
    ("analyze", "analysis.py", "run_analysis(END)"),
    ("route", "routing.py", "run_routing(END)"),
    ("dispatch", "alert_dispatch.py", "run_dispatch(END)"),
]
TASK = """
import os, runpy, sys
END = sys.argv[1]
sys.path.append(os.path.dirname(sys.argv[2]))  # Airflow appends the DAGs folder to the path
runpy.run_path(sys.argv[2], run_name="yuqing_dag")  # the task runner parses the DAG file first
from pipeline.tasks import run_analysis, run_crawl, run_dispatch, run_routing
result = {call}
if result.get("stage") is None:
    sys.exit("stage returned no result")
"""


CPU: dict[str, float] = {}  # CPU seconds of each stage's processes, summed over the counted posts


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_stage(stage: str, dag_file: str, call: str, end: dt.datetime, env: dict[str, str]) -> float:
    """One stage in a fresh interpreter (cold imports, DAG file parsed); returns its wall seconds."""
    t, cpu = time.perf_counter(), _children_cpu()
    proc = subprocess.run([sys.executable, "-c", TASK.format(call=call), iso(end) or "", str(ROOT / "dags" / dag_file)],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    if proc.returncode != 0:
        raise SystemExit(f"stage {stage} failed (exit {proc.returncode}):\n{proc.stderr[-2000:]}")
    CPU[stage] = CPU.get(stage, 0.0) + _children_cpu() - cpu
    return time.perf_counter() - t


def run_cycle(now: dt.datetime, env: dict[str, str]) -> dict[str, float]:
    return {stage: run_stage(stage, dag_file, call, now, env) for stage, dag_file, call in STAGES}


def rehearsal_figure(summary: str) -> dict[str, float] | None:
    """The scheduler-driven figure from the production rehearsal's printed summary (``scripts/rehearse.sh``
    output): its line ``detection_latency_seconds: {"publication_to_message": …, "publication_to_crawl_end":
    …, "crawl_end_to_message": …}`` — one fresh post, driven by the real scheduler, asset events and
    Celery workers, split at the end of the crawl task that stored it (``crawl_end_to_message`` is what
    the pipeline adds beyond the wait for the crawl). None when the summary has no such line."""
    for line in summary.splitlines():
        if line.strip().startswith("detection_latency_seconds:"):
            return {str(k): float(v) for k, v in json.loads(line.split(":", 1)[1]).items()}
    return None


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--posts", type=int, default=10)
    parser.add_argument("--verbose", action="store_true", help="show incidents and messages when an alert is missing")
    parser.add_argument("--wait", type=float, default=30.0, help="seconds to wait for an alert after dispatch")
    parser.add_argument("--rehearsal-summary", type=Path, default=None,
                        help="saved output of scripts/rehearse.sh: quote its scheduler-driven figure too")
    args = parser.parse_args()

    node = contextlib.ExitStack()
    url = node.enter_context(esnode.scratch_node("bench-latency"))
    work = Path(tempfile.mkdtemp(prefix="yuqing-latency-"))
    store = Store(make_client(url, timeout=120), prefix=f"benchlat{uuid.uuid4().hex[:6]}")
    try:
        store.ensure_indices()
        with DemoWeb(day=DAY, port=0, now=START) as web, Receivers() as receivers:
            receivers.start_smtp()
            config_dir = write_demo_config(work / "config", web.base_url)
            config = load_config(config_dir)
            # What a worker's task process gets from the deployment: the cluster, prefix, configuration
            # and the channels' connections (here: the local receivers).
            env = {**os.environ, **receivers.env_for(config.alerts), "ES_URL": url,
                   "YUQING_INDEX_PREFIX": store.prefix, "YUQING_CONFIG": str(config_dir),
                   "YUQING_VAR": str(work / "var"), "AIRFLOW_HOME": str(work / "airflow"), "YUQING_DAG_RETRIES": "0"}
            interval = next(s.schedule for s in config.sources.sources if s.id == SOURCE)
            sim = START
            # Not counted: absorbs what is already online and brings the interpreter's files into the
            # page cache, as on a worker that has run tasks before (every process stays cold).
            laps = run_cycle(sim, env)
            print(f"warm-up cycle: {', '.join(f'{k} {v:.1f}s' for k, v in laps.items())}", flush=True)
            CPU.clear()
            latencies: list[float] = []
            missing: list[str] = []
            for token, text in POSTS[: args.posts]:
                sim += dt.timedelta(minutes=10)
                web.set_now(sim)
                published = time.time()
                web.publish("weibo", {"title": text, "body": text, "appear_at": sim, "author": "网友"})
                laps = run_cycle(sim, env)
                key = text[:10]  # the alert names the incident by its first post

                def names_post(m: Received, k: str = key, p: float = published) -> bool:
                    return m.channel_id == "duty_wecom" and k in m.text and m.at >= p

                got = receivers.wait_for(names_post, timeout=args.wait)
                if got is None:
                    missing.append(token)
                    if args.verbose:
                        store.refresh("mentions")
                        for doc in store.find("mentions", {"match_phrase": {"title": text[:12]}}, size=2):
                            print("  mention", doc["id"][:8], "incident", (doc.get("incident_id") or "-")[:8])
                        for doc in store.find("incidents", None, sort=[{"created_at": "desc"}], size=3):
                            print("  incident", doc["id"][:8], doc.get("title"), doc.get("state"),
                                  (doc.get("severity") or {}).get("level"), doc.get("mention_count"))
                        for m in receivers.received("duty_wecom")[-2:]:
                            print("  wecom got:", m.text[:160].replace("\n", " | "))
                    print(f"{token}: no alert within {args.wait:.0f}s after the cycle "
                          f"({', '.join(f'{k} {v:.1f}s' for k, v in laps.items())})")
                    continue
                latency = got.at - published
                latencies.append(latency)
                print(f"{token}: {latency:.1f}s ({', '.join(f'{k} {v:.1f}s' for k, v in laps.items())})", flush=True)
            print(f"posts {len(POSTS[: args.posts])}, alerted {len(latencies)}, missing {len(missing)}; "
                  f"each stage a fresh process; crawl interval {interval} and scheduler hops not included; "
                  f"load average {os.getloadavg()[0]:.1f}")
            counted = max(1, len(POSTS[: args.posts]))
            # On a shared machine wall time stretches; the CPU time per cycle says what a quiet one needs.
            print("CPU per cycle (stage processes and their children): "
                  + ", ".join(f"{k} {v / counted:.1f}s" for k, v in CPU.items()))
            if latencies:
                print(f"median {statistics.median(latencies):.1f}s, max {max(latencies):.1f}s")
            # A post that never alerted is the worst case: it makes the figure infinite, never hidden.
            figure = float("inf") if missing or not latencies else p95(latencies)
        if args.rehearsal_summary is not None:
            quoted = rehearsal_figure(args.rehearsal_summary.read_text(encoding="utf-8", errors="replace"))
            print(f"scheduler-driven (production rehearsal, one post): {quoted}" if quoted
                  else f"scheduler-driven: no detection_latency_seconds line in {args.rehearsal_summary}")
        print(f"p95_seconds={figure:.1f}" if math.isfinite(figure) else "p95_seconds=inf")
    finally:
        try:
            store.drop_all()
        finally:
            shutil.rmtree(work, ignore_errors=True)
            node.close()


if __name__ == "__main__":
    main()

"""Detection latency: from a post's publication on the demo web to its alert reaching the receiver.

Starts the demo web (frozen scenario clock) and the local channel receivers, points a copy of the
configuration at both, then for each of ``--posts`` posts about distinct events in distinct places:
publishes it on the Weibo-like timeline and runs crawl (``demo-weibo``) → analyze → route →
dispatch back to back, and waits for an alert naming the post's event at the duty desk's WeCom
robot. Latency = wall-clock time from ``publish`` to the receiver accepting the message. The
source's crawl interval (``schedule`` in sources.yaml) comes on top in production, where a post
waits on average half an interval for the next crawl.

    .venv/bin/python bench/detection_latency.py [--posts 10]

Uses ES_URL if set, else starts (and stops) a private node. Last line: ``p95_seconds=<n>``.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import math
import os
import shutil
import statistics
import tempfile
import time
import uuid
from pathlib import Path

from alerts.api import dispatch
from analysis.api import analyze_pending
from crawlers.api import crawl_source
from demo.receivers import Receivers
from demo.web import DemoWeb, write_demo_config
from response.api import route_pending
from yuqing import esnode
from yuqing.clock import TZ
from yuqing.config import load_config
from yuqing.storage import Store, make_client

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


def run_cycle(store: Store, config: object, now: dt.datetime) -> dict[str, float]:
    laps: dict[str, float] = {}
    t = time.perf_counter()
    crawl_source(store, config, SOURCE, now=now, settings={"AUTOTHROTTLE_ENABLED": False,  # type: ignore[arg-type]
                                                           "DOWNLOAD_DELAY": 0})
    laps["crawl"] = time.perf_counter() - t
    t = time.perf_counter()
    analyze_pending(store, config, now=now)  # type: ignore[arg-type]
    laps["analyze"] = time.perf_counter() - t
    t = time.perf_counter()
    route_pending(store, config, now=now)  # type: ignore[arg-type]
    laps["route"] = time.perf_counter() - t
    t = time.perf_counter()
    dispatch(store, config, now=now)  # type: ignore[arg-type]
    laps["dispatch"] = time.perf_counter() - t
    return laps


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--posts", type=int, default=10)
    parser.add_argument("--verbose", action="store_true", help="show incidents and messages when an alert is missing")
    parser.add_argument("--wait", type=float, default=30.0, help="seconds to wait for an alert after dispatch")
    args = parser.parse_args()

    node = contextlib.ExitStack()
    url = node.enter_context(esnode.scratch_node("bench-latency"))
    work = Path(tempfile.mkdtemp(prefix="yuqing-latency-"))
    store = Store(make_client(url, timeout=120), prefix=f"benchlat{uuid.uuid4().hex[:6]}")
    saved_env = dict(os.environ)
    try:
        store.ensure_indices()
        with DemoWeb(day=DAY, port=0, now=START) as web, Receivers() as receivers:
            receivers.start_smtp()
            config = load_config(write_demo_config(work / "config", web.base_url))
            os.environ.update(receivers.env_for(config.alerts))  # the crawl child process inherits it
            os.environ["YUQING_INDEX_PREFIX"] = store.prefix
            interval = next(s.schedule for s in config.sources.sources if s.id == SOURCE)
            sim = START
            laps = run_cycle(store, config, sim)  # absorb what is already online
            print(f"warm-up cycle: {', '.join(f'{k} {v:.1f}s' for k, v in laps.items())}")
            latencies: list[float] = []
            missing: list[str] = []
            for token, text in POSTS[: args.posts]:
                sim += dt.timedelta(minutes=10)
                web.set_now(sim)
                published = time.time()
                web.publish("weibo", {"title": text, "body": text, "appear_at": sim, "author": "网友"})
                laps = run_cycle(store, config, sim)
                key = text[:10]  # the alert names the incident by its first post
                got = receivers.wait_for(lambda m, k=key, p=published: m.channel_id == "duty_wecom" and k in m.text
                                         and m.at >= p, timeout=args.wait)
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
                print(f"{token}: {latency:.1f}s ({', '.join(f'{k} {v:.1f}s' for k, v in laps.items())})")
            print(f"posts {len(POSTS[: args.posts])}, alerted {len(latencies)}, missing {len(missing)}; "
                  f"crawl interval {interval} (not included)")
            if latencies:
                print(f"median {statistics.median(latencies):.1f}s, max {max(latencies):.1f}s")
            # A post that never alerted is the worst case: it makes the figure infinite, never hidden.
            figure = float("inf") if missing or not latencies else p95(latencies)
        print(f"p95_seconds={figure:.1f}" if math.isfinite(figure) else "p95_seconds=inf")
    finally:
        os.environ.clear()
        os.environ.update(saved_env)
        try:
            store.drop_all()
        finally:
            shutil.rmtree(work, ignore_errors=True)
            node.close()


if __name__ == "__main__":
    main()

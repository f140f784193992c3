"""Time the daily report over 100,000 mentions.

Seeds synthetic but realistic documents (mentions with sentiment, priorities and places;
incidents; clocks; releases; source-health runs) under the index prefix ``bench-reports`` with
``Store.bulk``, then times ``reports.api.write_daily`` for the busiest day. Uses ES_URL, or starts
(and afterwards stops) a local node named ``bench``. The last line is ``seconds=<n>`` (aim ≤ 30).

    .venv/bin/python bench/report_time.py [--mentions 100000] [--keep]
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from yuqing.clock import TZ, iso
from yuqing.config import load_config
from yuqing.models import stable_id
from yuqing.storage import Store, make_client

PREFIX = "bench-reports"
DAY = dt.date(2026, 11, 20)
TIERS = ["central", "provincial", "local", "self_media", "official"]
TIER_WEIGHTS = [0.05, 0.2, 0.25, 0.45, 0.05]
PLACES = [("云南省", "昆明市", "530100"), ("云南省", "曲靖市", "530300"), ("云南省", "楚雄彝族自治州", "532300"),
          ("云南省", "大理白族自治州", "532900"), ("云南省", None, "530000"), (None, None, None)]
PRIORITIES = ["decisions", "public_interest", "credibility", "emergency", "moral_livelihood", "false_info"]
TOPICS = [
    ("燃气爆炸", "某小区发生燃气爆炸，消防部门已赶到现场处置。", "emergency"),
    ("拖欠工资", "多名农民工反映工地拖欠工资半年未结清。", "public_interest"),
    ("自来水异味", "网传部分小区自来水有异味，水务部门回应正在检测。", "false_info"),
    ("营商环境", "省政府印发优化营商环境实施方案，提出二十项举措。", "decisions"),
    ("执法争议", "网友发布视频质疑城管执法方式粗暴。", "credibility"),
    ("食堂食品安全", "有家长反映学校食堂使用过期食材。", "moral_livelihood"),
]
OFFICES = ["prov_gov_office", "prov_emergency", "prov_health", "prov_market", "prov_education", "prov_housing"]
CHANNELS = ["website", "weibo", "wechat", "press_conference"]


def at(day: dt.date, seconds: float) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(0), tzinfo=TZ) + dt.timedelta(seconds=seconds)


def generate(n_mentions: int, rng: random.Random) -> dict[str, list[tuple[str, dict[str, Any]]]]:
    kinds = ("mentions", "incidents", "clocks", "releases", "source_health")
    docs: dict[str, list[tuple[str, dict[str, Any]]]] = {k: [] for k in kinds}
    n_incidents = max(1, n_mentions // 50)
    incidents = []
    for i in range(n_incidents):
        day = DAY - dt.timedelta(days=rng.choice([0, 0, 0, 1, 2, 3, 4, 5, 6]))
        first = at(day, rng.uniform(0, 80000))
        title, _, prio = TOPICS[i % len(TOPICS)]
        place = PLACES[i % (len(PLACES) - 1)]
        level = rng.choices(["I", "II", "III", "IV"], [0.01, 0.05, 0.24, 0.7])[0]
        office = OFFICES[i % len(OFFICES)]
        created = first + dt.timedelta(minutes=rng.uniform(5, 240))
        state = rng.choice(["assigned", "acknowledged", "responding", "released", "closed"])
        inc = {
            "id": stable_id("bench-incident", i), "title": f"{place[1] or '云南省'}{title}事件（{i}）",
            "first_seen_at": iso(first), "last_seen_at": iso(first + dt.timedelta(hours=rng.uniform(1, 72))),
            "first_mention_id": stable_id("bench-mention", i), "mention_count": 50,
            "tiers": {"self_media": 30, "local": 15, "provincial": 5}, "place_codes": [place[2]],
            "priorities": [prio], "negative_share": round(rng.random(), 3),
            "severity": {"level": level, "score": round(rng.random(), 3), "reasons": []},
            "state": state, "assigned_office": office,
            "routing": {"lead_office": office, "supporting_offices": [], "notify": [], "rule_id": "bench",
                        "reason_zh": "按收集重点交办", "routed_at": iso(created), "consultation": False},
            "acknowledged_at": iso(created + dt.timedelta(minutes=30)),
            "closed_at": iso(created + dt.timedelta(days=2)) if state == "closed" else None,
            "created_at": iso(created), "updated_at": iso(created),
        }
        incidents.append(inc)
        docs["incidents"].append((inc["id"], {k: v for k, v in inc.items() if v is not None}))
        for rule, hours in (("response_48h", 48), ("authoritative_info", 5)):
            if rule == "authoritative_info" and level not in ("I", "II"):
                continue
            due = created + dt.timedelta(hours=hours)
            met = rng.random() < 0.7
            met_at = created + dt.timedelta(hours=rng.uniform(0.5, hours * 1.3)) if met else None
            clock = {"id": stable_id(inc["id"], rule), "incident_id": inc["id"], "rule_id": rule,
                     "name_zh": "回应社会关切（48小时内）" if hours == 48 else "发布权威信息（5小时内）",
                     "opened_at": iso(created), "due_at": iso(due), "owner_office": office,
                     "state": "met" if met else rng.choice(["running", "missed"]), "met_at": iso(met_at)}
            docs["clocks"].append((clock["id"], {k: v for k, v in clock.items() if v is not None}))
        if rng.random() < 0.5:
            rid = stable_id("bench-release", i)
            docs["releases"].append((rid, {
                "id": rid, "incident_id": inc["id"], "office": office, "channel": rng.choice(CHANNELS),
                "title": f"关于{title}的情况通报", "published_at": iso(created + dt.timedelta(hours=3)),
                "states_facts": True, "states_measures": rng.random() < 0.6, "states_result": rng.random() < 0.4,
                "recorded_at": iso(created + dt.timedelta(hours=3))}))
    for n in range(n_mentions):
        on_day = n < n_mentions * 0.7
        day = DAY if on_day else DAY - dt.timedelta(days=1 + n % 7)
        published = at(day, rng.uniform(0, 86399))
        title, text, prio = TOPICS[n % len(TOPICS)]
        province, city, code = PLACES[n % len(PLACES)]
        url = f"http://bench.example/{n}.html"
        doc: dict[str, Any] = {
            "id": stable_id("bench-mention", n), "source_id": f"bench-{n % 20}", "source_type": "html",
            "media_tier": rng.choices(TIERS, TIER_WEIGHTS)[0], "jurisdiction": code or "530000",
            "url": url, "canonical_url": url, "title": f"{city or '云南'}{title}（{n}）", "text": text,
            "published_at": iso(published), "crawled_at": iso(published + dt.timedelta(minutes=5)),
            "sentiment": {"label": rng.choices(["negative", "neutral", "positive"], [0.35, 0.45, 0.2])[0],
                          "score": 0.0},
            "priorities": [{"id": prio, "confidence": 0.8, "evidence": [title]}] if n % 5 else [],
            "place": {"province": province, "city": city, "code": code} if province else None,
        }
        if n % 10 < 7:
            doc["incident_id"] = incidents[n % len(incidents)]["id"]
        docs["mentions"].append((doc["id"], {k: v for k, v in doc.items() if v is not None}))
    for s in range(20):
        for run in range(96):
            finished = at(DAY, run * 900 + 600)
            hid = stable_id(f"bench-{s}", run)
            docs["source_health"].append((hid, {
                "id": hid, "source_id": f"bench-{s}", "run_id": str(run), "started_at": iso(finished),
                "finished_at": iso(finished), "items_found": 10, "items_new": 3, "items_failed": 0,
                "error_rate": 0.0, "status": "failing" if s == 7 and run > 80 else "ok"}))
    return docs


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--mentions", type=int, default=100_000)
    parser.add_argument("--keep", action="store_true", help="keep the bench indices (reused next run)")
    args = parser.parse_args()

    started_node = False
    from yuqing import esnode

    node = None
    url = esnode.configured_url()
    if not url:
        started_node = not esnode.status("bench").get("running")
        node = esnode.start(name="bench", port=None)
        url = node.client_url("tasks")
    store = Store(make_client(url, timeout=120), prefix=PREFIX)
    try:
        store.ensure_indices()
        if store.count("mentions") != args.mentions:
            store.drop_all()
            store.ensure_indices()
            t0 = time.perf_counter()
            docs = generate(args.mentions, random.Random(42))
            for kind, items in docs.items():
                result = store.bulk(kind, items, chunk_size=5000)
                if result.failed:
                    print(f"{kind}: {len(result.failed)} failed, first {result.failed[0]}", file=sys.stderr)
                    return 1
            store.refresh()
            print(f"seeded {args.mentions} mentions, {len(docs['incidents'])} incidents, "
                  f"{len(docs['clocks'])} clocks, {len(docs['releases'])} releases "
                  f"in {time.perf_counter() - t0:.1f}s")
        from reports.api import write_daily

        config = load_config()
        now = dt.datetime.combine(DAY + dt.timedelta(days=1), dt.time(8), tzinfo=TZ)
        with tempfile.TemporaryDirectory() as out:
            t0 = time.perf_counter()
            paths = write_daily(store, config, DAY, Path(out), now=now)
            seconds = time.perf_counter() - t0
            sizes = ", ".join(f"{k} {p.stat().st_size // 1024} KiB" for k, p in paths.items())
        report = store.get("reports", stable_id("report", "daily", DAY.isoformat())) or {}
        figures = report.get("figures", {})
        print(f"day {DAY}: {figures.get('mentions', {}).get('total')} mentions, "
              f"{figures.get('incidents', {}).get('active')} active incidents; files: {sizes}")
    finally:
        if not args.keep:
            store.drop_all()
        store.client.close()
        if started_node and node is not None:
            esnode.stop(node)  # by the node's own record, whatever the environment says now
    print(f"seconds={seconds:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

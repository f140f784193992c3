"""A synthetic busy day of analysed mentions, incidents, clocks, releases and crawl runs.

For the report benchmark (``bench/report_time.py``) and the report figures test: ``generate``
returns documents per kind (as the crawlers, analysis and response packages store them), seeded
so a run is repeatable; ``seed`` bulk-indexes them. 70 % of the mentions fall on ``day``, the rest
over the week before; some carry two collection priorities, some no publication date (timed by
crawl), some no sentiment yet; a few incidents are dismissed, some are false information with or
without a rebuttal, and releases are matched, confirmed or still 待确认.
"""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from yuqing.clock import TZ, iso
from yuqing.models import stable_id
from yuqing.storage import BulkResult, Store

DAY = dt.date(2026, 11, 20)
TIERS = ["central", "provincial", "local", "self_media", "official"]
TIER_WEIGHTS = [0.05, 0.2, 0.25, 0.45, 0.05]
PLACES = [("云南省", "昆明市", "530100"), ("云南省", "曲靖市", "530300"), ("云南省", "楚雄彝族自治州", "532300"),
          ("云南省", "大理白族自治州", "532900"), ("云南省", None, "530000"), (None, None, None)]
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
KINDS = ("mentions", "incidents", "clocks", "releases", "source_health")


def at(day: dt.date, seconds: float) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(0), tzinfo=TZ) + dt.timedelta(seconds=seconds)


def _clean(doc: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in doc.items() if v is not None}


def generate(n_mentions: int, rng: random.Random, day: dt.date = DAY,
             tag: str = "bench") -> dict[str, list[tuple[str, dict[str, Any]]]]:
    docs: dict[str, list[tuple[str, dict[str, Any]]]] = {k: [] for k in KINDS}
    n_incidents = max(1, n_mentions // 50)
    incidents = []
    for i in range(n_incidents):
        back = rng.choice([0, 0, 0, 1, 2, 3, 4, 5, 6])
        first = at(day - dt.timedelta(days=back), rng.uniform(0, 80000))
        title, _, prio = TOPICS[i % len(TOPICS)]
        place = PLACES[i % (len(PLACES) - 1)]
        level = rng.choices(["I", "II", "III", "IV"], [0.01, 0.05, 0.24, 0.7])[0]
        office = OFFICES[i % len(OFFICES)]
        # some incidents are found late: created the day after their last mention
        created = first + dt.timedelta(minutes=rng.uniform(5, 240) if i % 40 else rng.uniform(1500, 1700))
        state = rng.choice(["assigned", "acknowledged", "responding", "released", "closed"]) if i % 60 else "dismissed"
        last = first + dt.timedelta(hours=rng.uniform(1, 72) if i % 40 else 0.5)
        inc: dict[str, Any] = {
            "id": stable_id(f"{tag}-incident", i), "title": f"{place[1] or '云南省'}{title}事件（{i}）",
            "first_seen_at": iso(first), "last_seen_at": iso(last),
            "first_mention_id": stable_id(f"{tag}-mention", i), "mention_count": 50,
            "tiers": {"self_media": 30, "local": 15, "provincial": 5}, "place_codes": [place[2]],
            "priorities": [prio] + (["credibility"] if i % 7 == 0 and prio != "credibility" else []),
            "negative_share": round(rng.random(), 3),
            "severity": {"level": level, "score": round(rng.random(), 3), "reasons": []},
            "handling_kind": "false_info" if prio == "false_info" and i % 2 else None,
            "state": state, "assigned_office": office,
            "routing": {"lead_office": office, "supporting_offices": [OFFICES[(i + 1) % len(OFFICES)]] if i % 3 else [],
                        "notify": [], "rule_id": "bench", "reason_zh": "按收集重点交办", "routed_at": iso(created),
                        "consultation": False},
            "acknowledged_at": iso(created + dt.timedelta(minutes=30)),
            "closed_at": iso(created + dt.timedelta(days=2)) if state == "closed" else None,
            "created_at": iso(created), "updated_at": iso(created),
        }
        incidents.append(inc)
        docs["incidents"].append((inc["id"], _clean(inc)))
        for rule, hours in (("response_48h", 48), ("authoritative_info", 5)):
            if rule == "authoritative_info" and level not in ("I", "II"):
                continue
            due = created + dt.timedelta(hours=hours)
            roll = rng.random()
            met_at = created + dt.timedelta(hours=rng.uniform(0.5, hours * 1.3)) if roll < 0.7 else None
            clock_state = "met" if met_at else ("waived" if roll > 0.97 else rng.choice(["running", "missed"]))
            clock: dict[str, Any] = {"id": stable_id(inc["id"], rule), "incident_id": inc["id"], "rule_id": rule,
                     "name_zh": "回应社会关切（48小时内）" if hours == 48 else "发布权威信息（5小时内）",
                     "opened_at": iso(created), "due_at": iso(due), "owner_office": office,
                     "state": clock_state, "met_at": iso(met_at) if met_at else None,
                     "missed_at": iso(due) if clock_state == "missed" else None}
            docs["clocks"].append((clock["id"], _clean(clock)))
        if rng.random() < 0.5:
            rid = stable_id(f"{tag}-release", i)
            docs["releases"].append((rid, _clean({
                "id": rid, "incident_id": inc["id"], "office": office, "channel": rng.choice(CHANNELS),
                "title": f"关于{title}的情况通报", "published_at": iso(created + dt.timedelta(hours=3)),
                "states_facts": True, "states_measures": rng.random() < 0.6, "states_result": rng.random() < 0.4,
                "rebuts_rumour": prio == "false_info" and rng.random() < 0.5,
                "status": rng.choice(["matched", "matched", "confirmed", "pending", None]),
                "recorded_at": iso(created + dt.timedelta(hours=3))})))
    for n in range(n_mentions):
        on_day = n < n_mentions * 0.7
        mday = day if on_day else day - dt.timedelta(days=1 + n % 7)
        published = at(mday, rng.uniform(0, 86399))
        title, text, prio = TOPICS[n % len(TOPICS)]
        if on_day and n % 11 == 0:
            title, text, prio = TOPICS[2]  # a topic that rises on the day
        province, city, code = PLACES[n % len(PLACES)]
        url = f"http://{tag}.example/{n}.html"
        negative_bias = 0.7 if (on_day and city == "曲靖市") else 0.35
        label = rng.choices(["negative", "neutral", "positive"], [negative_bias, 0.45, 0.2])[0]
        priorities = [{"id": prio, "confidence": 0.8, "evidence": [title]}] if n % 5 else []
        if n % 13 == 0 and priorities:
            priorities.append({"id": "credibility" if prio != "credibility" else "decisions", "confidence": 0.6,
                               "evidence": [title]})
        doc: dict[str, Any] = {
            "id": stable_id(f"{tag}-mention", n), "source_id": f"{tag}-{n % 20}", "source_type": "html",
            "media_tier": rng.choices(TIERS, TIER_WEIGHTS)[0], "jurisdiction": code or "530000",
            "url": url, "canonical_url": url, "title": f"{city or '云南'}{title}（{n}）", "text": text,
            "published_at": iso(published) if n % 97 else None,  # a few pages give no date: timed by crawl
            "crawled_at": iso(published + dt.timedelta(minutes=5)),
            "sentiment": {"label": label, "score": 0.0} if n % 89 else None,  # a few not analysed yet
            "priorities": priorities,
            "place": {"province": province, "city": city, "code": code} if province else None,
        }
        if n % 10 < 7:
            doc["incident_id"] = incidents[n % len(incidents)]["id"]
        docs["mentions"].append((doc["id"], _clean(doc)))
    for s in range(20):
        for run in range(96):
            finished = at(day, run * 900 + 600)
            hid = stable_id(f"{tag}-{s}", run)
            docs["source_health"].append((hid, {
                "id": hid, "source_id": f"{tag}-{s}", "run_id": str(run), "started_at": iso(finished),
                "finished_at": iso(finished), "items_found": 10, "items_new": 3, "items_failed": s % 3,
                "error_rate": 0.0, "status": "failing" if s == 7 and run > 80 else "ok"}))
    return docs


def seed(store: Store, docs: dict[str, list[tuple[str, dict[str, Any]]]], chunk_size: int = 5000) -> BulkResult:
    """Bulk-index every kind and refresh; the failures of all kinds are returned together."""
    total = BulkResult()
    mentions = store.alias("mentions")
    # no refresh while loading: one refresh at the end makes everything searchable at once
    current: dict[str, Any] = dict(store.client.indices.get_settings(index=mentions, name="index.refresh_interval"))
    first: dict[str, Any] = next(iter(current.values()), {})
    before = first.get("settings", {}).get("index", {}).get("refresh_interval")
    store.client.indices.put_settings(index=mentions, settings={"index": {"refresh_interval": "-1"}})
    try:
        for kind, items in docs.items():
            result = store.bulk(kind, items, chunk_size=chunk_size)
            total.ok += result.ok
            total.failed += result.failed
    finally:
        store.client.indices.put_settings(index=mentions, settings={"index": {"refresh_interval": before}})
    store.refresh()
    return total

"""Synthetic incidents, clocks and mentions for the console's tests and load bench.

Deterministic from a seed and ``now``; written through the normal :class:`~yuqing.storage.Store`
with the shared models, so they look exactly like what the pipeline writes.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator
from typing import Any

from response.urgency import sync_urgency
from yuqing.models import Clock, Incident, Mention, Place, Routing, Sentiment, Severity, TrendPoint, stable_id
from yuqing.storage import Store

OFFICES = ["prov_emergency", "prov_health", "prov_market", "prov_education", "kunming_gov", "wuhua_gov"]
PLACES = ["530000", "530100", "530102", "530103", "530300", "532301"]
PRIORITIES = ["emergency", "public_interest", "credibility", "false_info", "decisions", "moral_livelihood"]
LEVELS = ["I", "II", "III", "IV"]
TOPICS = ["暴雨致道路塌方", "学校食堂食品安全", "医院挂号难", "拖欠农民工工资", "营商环境投诉", "小区供暖不足",
          "景区宰客", "网传疫情谣言", "政策解读咨询", "安全生产事故"]


def incident(incident_id: str, *, now: dt.datetime, title: str, office: str = "prov_emergency",
             level: str = "II", state: str = "new", place: str = "530100", priorities: list[str] | None = None,
             summary: str = "", age: dt.timedelta = dt.timedelta(hours=1), mention_count: int = 3,
             supporting: list[str] | None = None) -> Incident:
    first = now - age
    hours = max(1, int(age.total_seconds() // 3600))
    trend = [TrendPoint(bucket=first + dt.timedelta(hours=h), mentions=1 + (h * 3) % 7,
                        negative_share=min(1.0, 0.2 + 0.1 * (h % 5))) for h in range(hours)]
    return Incident(
        id=incident_id, title=title, summary=summary or f"{title}：多家媒体报道，网民关注度上升。",
        first_seen_at=first, last_seen_at=now - age / 4, first_mention_id=stable_id(incident_id, "m", 0),
        mention_count=mention_count, reprint_count=max(0, mention_count - 2), reach=1000.0,
        place_codes=[place], places=[Place(code=place, source="text")], priorities=priorities or ["emergency"],
        negative_share=0.6, sentiment_avg=-0.4, trend=trend[-24:],
        severity=Severity(level=level, score=0.8, reasons=["涉及重大突发事件", "省级媒体报道"]),  # type: ignore[arg-type]
        state=state,  # type: ignore[arg-type]
        routing=Routing(lead_office=office, supporting_offices=supporting or [], rule_id="major_emergency",
                        reason_zh=f"按属地管理和谁主管谁负责原则，交由{office}牵头处置",
                        inputs={"level": level, "place_codes": [place]}, routed_at=first + dt.timedelta(minutes=5)),
        created_at=first, updated_at=now - age / 4,
    )


def clock(incident_id: str, *, rule_id: str = "authoritative_info", name_zh: str = "发布权威信息（5小时内）",
          opened_at: dt.datetime, due_at: dt.datetime, office: str = "prov_emergency") -> Clock:
    return Clock(id=stable_id(incident_id, rule_id), incident_id=incident_id, rule_id=rule_id, name_zh=name_zh,
                 opened_at=opened_at, due_at=due_at, owner_office=office)


def mention(incident_id: str, n: int, *, now: dt.datetime, title: str, text: str, reprint_of: str | None = None,
            source_id: str = "yunnan_daily", publisher: str | None = None, url: str | None = None) -> Mention:
    mid = stable_id(incident_id, "m", n)
    return Mention(
        id=mid, source_id=source_id, source_type="news", media_tier="provincial", jurisdiction="530000",
        url=url or f"https://news.example.cn/{incident_id[:8]}/{n}.html",
        canonical_url=url or f"https://news.example.cn/{incident_id[:8]}/{n}.html", title=title, text=text,
        publisher=publisher, published_at=now - dt.timedelta(minutes=50 - n),
        crawled_at=now - dt.timedelta(minutes=45 - n),
        reprint_of=reprint_of, incident_id=incident_id, sentiment=Sentiment(label="negative", score=-0.6),
    )


def put(store: Store, *docs: Any, refresh: bool = True) -> None:
    """Write models (Incident, Clock, Mention, …) under their ids."""
    by_kind: dict[str, list[tuple[str, dict[str, Any]]]] = {}
    for doc in docs:
        by_kind.setdefault(doc.kind, []).append((doc.id, doc.to_doc()))
    for kind, items in by_kind.items():
        result = store.bulk(kind, items, refresh=refresh)
        if result.failed:
            raise RuntimeError(f"seeding {kind} failed: {result.failed[:3]}")
    clocked = {d.incident_id for d in docs if isinstance(d, Clock)}
    if clocked:  # the queue sorts on urgent_due_at, which the response package keeps from the clocks
        store.refresh("clocks", "incidents")
        sync_urgency(store, clocked, refresh=refresh)


def open_incidents(n: int, *, now: dt.datetime, seed: int = 7) -> Iterator[tuple[Incident, list[Clock]]]:
    """``n`` open incidents spread over offices, places, levels and states, each with one or two clocks."""
    rng = random.Random(seed)
    states = ["new", "assigned", "acknowledged", "responding", "escalated"]
    for i in range(n):
        iid = stable_id("bench", seed, i)
        office = rng.choice(OFFICES)
        age = dt.timedelta(minutes=rng.randint(5, 60 * 72))
        inc = incident(iid, now=now, title=f"{rng.choice(TOPICS)}（{i}）", office=office, level=rng.choice(LEVELS),
                       state=rng.choice(states), place=rng.choice(PLACES),
                       priorities=rng.sample(PRIORITIES, k=rng.randint(1, 2)), age=age,
                       mention_count=rng.randint(1, 80))
        opened = inc.first_seen_at
        clocks = [clock(iid, rule_id="response_48h", name_zh="回应社会关切（48小时内）", opened_at=opened,
                        due_at=opened + dt.timedelta(hours=48), office=office)]
        if inc.severity and inc.severity.level in ("I", "II"):
            clocks.append(clock(iid, opened_at=opened, due_at=opened + dt.timedelta(hours=5), office=office))
        inc.urgent_due_at = min(c.due_at for c in clocks)  # what response.urgency would store
        yield inc, clocks

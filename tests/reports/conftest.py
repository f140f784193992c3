"""Seeding realistic Chinese documents (as the crawlers, analysis and response packages write them)
into the per-test ``store``, so report figures can be checked against Elasticsearch aggregates."""

from __future__ import annotations

import datetime as dt
import itertools
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from tests.support import open_test_store
from yuqing.clock import TZ
from yuqing.models import (
    Clock,
    Incident,
    Mention,
    Place,
    PriorityHit,
    Release,
    Routing,
    Sentiment,
    Severity,
    SourceHealth,
    stable_id,
)
from yuqing.storage import Store

DAY = dt.date(2026, 11, 20)  # a Friday, a normal working day


def at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=TZ)


PLACES = {
    "530102": Place(province="云南省", city="昆明市", district="五华区", code="530102", names=["昆明市", "五华区"]),
    "530300": Place(province="云南省", city="曲靖市", code="530300", names=["曲靖"]),
    "532301": Place(province="云南省", city="楚雄彝族自治州", district="楚雄市", code="532301", names=["楚雄市"]),
    "530000": Place(province="云南省", code="530000", names=["云南"], source="source"),
}
SOURCES = {  # source id -> (tier, jurisdiction)
    "demo-news": ("provincial", "530000"), "demo-local-news": ("local", "530100"),
    "demo-rss": ("provincial", "530000"), "demo-weibo": ("self_media", "530000"),
    "xinhua": ("central", "530000"),
}


class Seeder:
    """Collects documents and writes them with one bulk per kind (refreshing, so they are searchable)."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.docs: dict[str, list[tuple[str, dict[str, Any]]]] = {}
        self._n = itertools.count(1)
        self.ns = uuid.uuid4().hex[:6]  # seeders share the folder's store: keep their mention URLs apart

    def _add(self, kind: str, doc_id: str, doc: dict[str, Any]) -> None:
        self.docs.setdefault(kind, []).append((doc_id, doc))

    def mention(self, title: str, text: str, when: dt.datetime, *, source_id: str = "demo-news",
                sentiment: str | None = "negative", priorities: tuple[str, ...] = (), place: str | None = "530102",
                incident_id: str | None = None, publisher: str | None = None, reprint_of: str | None = None,
                published: bool = True) -> Mention:
        n = next(self._n)
        tier, jurisdiction = SOURCES[source_id]
        url = f"http://127.0.0.1:8765/news/{self.ns}-{n:05d}.html"
        mention = Mention(
            id=stable_id("mention", url), source_id=source_id, source_type="html", media_tier=tier,
            jurisdiction=jurisdiction, url=url, canonical_url=url, title=title, text=text,
            published_at=when if published else None, crawled_at=when + dt.timedelta(minutes=7),
            publisher=publisher, reprint_of=reprint_of, analyzed_at=when + dt.timedelta(minutes=8),
            sentiment=Sentiment(label=sentiment, score={"negative": -0.7, "neutral": 0.0, "positive": 0.6}[sentiment])
            if sentiment else None,
            priorities=[PriorityHit(id=p, confidence=0.9, evidence=[title[:4]]) for p in priorities],
            place=PLACES[place] if place else None, incident_id=incident_id,
        )
        self._add("mentions", mention.id, mention.to_doc())
        return mention

    def incident(self, key: str, title: str, first_seen: dt.datetime, *, level: str = "III", state: str = "assigned",
                 office: str = "prov_gov_office", priorities: tuple[str, ...] = ("public_interest",),
                 place_codes: tuple[str, ...] = ("530102",), tiers: dict[str, int] | None = None,
                 created: dt.datetime | None = None, acknowledged: dt.datetime | None = None,
                 closed: dt.datetime | None = None, handling_kind: str | None = None,
                 last_seen: dt.datetime | None = None, mention_count: int = 0) -> Incident:
        created = created or first_seen + dt.timedelta(minutes=20)
        incident = Incident(
            id=stable_id("incident", key), title=title, first_seen_at=first_seen,
            last_seen_at=last_seen or first_seen + dt.timedelta(hours=6), first_mention_id=stable_id("m", key),
            mention_count=mention_count, tiers=tiers or {"provincial": 2, "self_media": 3},
            place_codes=list(place_codes), places=[PLACES[c] for c in place_codes if c in PLACES],
            priorities=list(priorities), negative_share=0.6,
            severity=Severity(level=level, score={"I": 0.95, "II": 0.8, "III": 0.6, "IV": 0.3}[level],
                              reasons=["负面信息集中"]),
            handling_kind=handling_kind, state=state,
            routing=Routing(lead_office=office, supporting_offices=["info_division"], rule_id="by_priority",
                            reason_zh="按收集重点交办", routed_at=created + dt.timedelta(minutes=5)),
            assigned_office=office, acknowledged_by="值班员" if acknowledged else None, acknowledged_at=acknowledged,
            closed_at=closed, created_at=created, updated_at=created,
        )
        self._add("incidents", incident.id, incident.to_doc())
        return incident

    def clock(self, incident: Incident, rule_id: str, name_zh: str, opened: dt.datetime, due: dt.datetime, *,
              state: str = "running", met_at: dt.datetime | None = None, office: str | None = None) -> Clock:
        clock = Clock(id=stable_id(incident.id, rule_id), incident_id=incident.id, rule_id=rule_id, name_zh=name_zh,
                      opened_at=opened, due_at=due, state=state, owner_office=office or incident.assigned_office or "",
                      met_at=met_at, missed_at=due if state == "missed" else None)
        self._add("clocks", clock.id, clock.to_doc())
        return clock

    def release(self, incident: Incident, title: str, when: dt.datetime, *, channel: str = "website",
                facts: bool = True, measures: bool = True, result: bool = False, rebuts: bool = False) -> Release:
        release = Release(id=stable_id("release", incident.id, title), incident_id=incident.id,
                          office=incident.assigned_office or "", channel=channel, title=title, published_at=when,
                          url=f"http://127.0.0.1:8765/gov/{abs(hash(title)) % 10000}.html", states_facts=facts,
                          states_measures=measures, states_result=result, rebuts_rumour=rebuts,
                          recorded_by="新闻中心", recorded_at=when)
        self._add("releases", release.id, release.to_doc())
        return release

    def health(self, source_id: str, finished: dt.datetime, status: str = "ok", *, new: int = 5,
               failed: int = 0) -> SourceHealth:
        run = f"run-{finished:%Y%m%d%H%M}"
        h = SourceHealth(id=stable_id(source_id, run), source_id=source_id, run_id=run,
                         started_at=finished - dt.timedelta(minutes=2), finished_at=finished, items_found=new + failed,
                         items_new=new, items_failed=failed, last_success_at=finished if status == "ok" else None,
                         error_rate=failed / max(1, new + failed), status=status,
                         failure_reasons={"timeout": failed} if failed else {})
        self._add("source_health", h.id, h.to_doc())
        return h

    def flush(self) -> None:
        for kind, docs in self.docs.items():
            result = self.store.bulk(kind, docs, refresh=True)
            assert not result.failed, result.failed
        self.docs.clear()


@pytest.fixture(scope="package")
def reports_store(es_url: str) -> Iterator[Store]:
    """Like the root ``store`` but shared by this folder: creating the indices costs ~10 s per store, so
    the report tests share one and keep their data apart by day and by incident."""
    with open_test_store(es_url) as s:
        yield s


def seed_day(s: Seeder) -> dict[str, Any]:
    """A realistic monitored day (2026-11-20) and the day before, with incidents, clocks and releases."""
    d, prev = DAY, DAY - dt.timedelta(days=1)
    blast = s.incident("blast", "昆明市五华区一小区发生燃气爆炸", at(d, 7, 40), level="II", state="responding",
                       office="prov_emergency", priorities=("emergency",), place_codes=("530102",),
                       tiers={"central": 1, "provincial": 4, "self_media": 7}, acknowledged=at(d, 8, 30))
    rumour = s.incident("rumour", "网传曲靖市自来水被污染", at(prev, 9, 0), level="III", state="released",
                        office="prov_gov_office", priorities=("false_info",), place_codes=("530300",),
                        handling_kind="false_info", last_seen=at(d, 15, 0))
    canteen = s.incident("canteen", "楚雄市一中学食堂被指使用过期食材", at(d, 10, 5), level="IV", state="new",
                         office="prov_market", priorities=("public_interest",), place_codes=("532301",),
                         tiers={"local": 2, "self_media": 3})
    texts = [
        ("五华区某小区凌晨发生燃气爆炸 已致3人受伤",
         "11月20日7时许，昆明市五华区某小区发生燃气爆炸，已致3人受伤送医。目前现场已得到控制。"),
        ("昆明一小区爆炸 居民称窗户全部震碎", "有居民称爆炸声很大，附近多栋楼窗户被震碎。消防部门已到场。"),
        ("五华区燃气爆炸事故伤者情况稳定", "记者从医院了解到，3名伤者生命体征平稳。事故原因正在调查。"),
    ]
    for n in range(12):
        title, text = texts[n % 3]
        s.mention(title, text, at(d, 7 + n // 2, 45), incident_id=blast.id, priorities=("emergency",),
                  source_id=["xinhua", "demo-news", "demo-weibo", "demo-weibo"][n % 4],
                  sentiment="negative" if n % 4 else "neutral", publisher="新华网" if n == 0 else None)
    for n in range(6):
        s.mention("网传曲靖自来水被污染系谣言", "近日网传曲靖市自来水被污染，经核实系谣言。水务部门已公布检测结果。",
                  at(d, 9 + n, 10), incident_id=rumour.id, priorities=("false_info",), place="530300",
                  source_id="demo-weibo", sentiment="negative" if n < 2 else "positive")
    for n in range(3):
        s.mention("楚雄一中学食堂被曝使用过期食材", "有家长反映，楚雄市某中学食堂使用过期食材，学生出现腹痛。",
                  at(d, 10 + n, 5), incident_id=canteen.id, priorities=("public_interest",), place="532301",
                  source_id="demo-local-news")
    s.mention("<script>alert('x')</script>家长质疑食堂管理", "<b>粗体</b> & 家长要求公开检测报告。", at(d, 14, 0),
              incident_id=canteen.id, priorities=("public_interest",), place="532301", source_id="demo-weibo")
    for n in range(5):
        s.mention("云南省出台优化营商环境实施方案", "省政府办公厅印发优化营商环境实施方案，提出二十项措施。",
                  at(d, 16, n * 5), priorities=("decisions",), place="530000", sentiment=["positive", "neutral"][n % 2])
    s.mention("昆明今日天气晴好", "无发布时间的条目以采集时间计。", at(d, 20, 0), sentiment=None, place=None,
              published=False)
    # the day before: 8 mentions, 3 negative
    for n in range(8):
        s.mention("网传曲靖自来水异味", "有网民称曲靖部分小区自来水有异味。", at(prev, 9 + n, 0), incident_id=rumour.id,
                  priorities=("false_info",), place="530300", source_id="demo-weibo",
                  sentiment="negative" if n < 3 else "neutral")
    # clocks: one met early, one running due today, one missed yesterday
    s.clock(blast, "authoritative_info", "发布权威信息（特别重大、重大突发事件后5小时内）", at(d, 8, 0), at(d, 13, 0),
            state="met", met_at=at(d, 11, 30))
    s.clock(blast, "press_conference", "召开新闻发布会（特别重大、重大突发事件后24小时内）", at(d, 8, 0), at(d, 23, 0))
    s.clock(rumour, "response_48h", "回应社会关切（48小时内）", at(prev - dt.timedelta(days=1), 9, 30),
            at(prev, 9, 30), state="missed")
    s.clock(canteen, "response_48h", "回应社会关切（48小时内）", at(d, 10, 30), at(d + dt.timedelta(days=2), 10, 30))
    s.release(blast, "关于五华区某小区燃气爆炸事故的情况通报", at(d, 11, 30), channel="weibo")
    s.release(rumour, "关于网传曲靖市自来水被污染的辟谣说明", at(d, 12, 0), rebuts=True, result=True)
    # source health: three sources, one failing at the end of the day
    for h in (8, 16):
        s.health("demo-news", at(d, h))
        s.health("demo-weibo", at(d, h), new=12)
        s.health("demo-rss", at(d, h), status="failing" if h == 16 else "ok", new=0 if h == 16 else 3,
                 failed=4 if h == 16 else 0)
    s.flush()
    return {"day": d, "blast": blast, "rumour": rumour, "canteen": canteen}


@pytest.fixture(scope="package")
def seeded_day(reports_store: Store) -> dict[str, Any]:
    return {**seed_day(Seeder(reports_store)), "store": reports_store}


@pytest.fixture
def seeder(reports_store: Store) -> Seeder:
    """A seeder writing into the folder's shared store (use days and keys no other test uses)."""
    return Seeder(reports_store)

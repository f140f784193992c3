"""An incident with a known spread path (reprint chain, tiers, engagement), for the reports and console tests.

A chemical-plant leak first reported by 云南日报网 at 08:00; 云南网 reprints it naming 云南日报网 as
its 来源; the Weibo account 昆明身边事 reposts it naming 云南网; 春城热点 reposts 昆明身边事's post;
滇池观察 reposts without naming anyone (so from the original); 新华网 reports it independently at 11:00.
The crawlers link every reprint to the original (``reprint_of``); the chain comes from the 来源 named.
Engagement: 昆明身边事 two snapshots (100 at 09:30, then 500 at 12:00 — the latest counts), 春城热点
figures merged into ``extra`` (20 + 5 + 5), 滇池观察 one snapshot of 0, the news sites none (unknown).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid

from yuqing.clock import TZ
from yuqing.models import EngagementSnapshot, Incident, Mention, Routing, Sentiment, Severity, stable_id
from yuqing.storage import Store

DAY = dt.date(2026, 11, 23)
TIERS = {"demo-news": "provincial", "demo-rss": "provincial", "demo-weibo": "self_media", "xinhua": "central"}


def at(hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(DAY, dt.time(hour, minute), tzinfo=TZ)


@dataclasses.dataclass
class SpreadCase:
    incident: Incident
    m: list[Mention]  # m[0] … m[5] as described above
    outside_original: Mention  # of the second incident: an original that is not in it
    outside_reprint: Mention
    outside_incident: Incident


def _mention(ns: str, n: int, source_id: str, when: dt.datetime, title: str, *, incident_id: str | None,
             author: str | None = None, publisher: str | None = None, reprint_of: str | None = None,
             extra: dict[str, int] | None = None) -> Mention:
    url = f"https://spread.example.cn/{ns}/{n}.html"
    return Mention(id=stable_id("spread", ns, n), source_id=source_id, source_type="weibo" if author else "html",
                   media_tier=TIERS[source_id], jurisdiction="530000", url=url, canonical_url=url, title=title,
                   text=title + "。河水变色，村民担心饮水安全。", author=author, publisher=publisher,
                   published_at=when, crawled_at=when + dt.timedelta(minutes=5), reprint_of=reprint_of,
                   doc_type="post" if author else "article", extra=dict(extra or {}), incident_id=incident_id,
                   sentiment=Sentiment(label="negative", score=-0.6))


def _incident(iid: str, title: str, first: dt.datetime, first_mention: str, count: int) -> Incident:
    return Incident(id=iid, title=title, first_seen_at=first, last_seen_at=first + dt.timedelta(hours=3),
                    first_mention_id=first_mention, mention_count=count, place_codes=["530100"],
                    priorities=["emergency"], severity=Severity(level="III", score=0.6),
                    state="assigned", assigned_office="prov_emergency",
                    routing=Routing(lead_office="prov_emergency", rule_id="major_emergency", reason_zh="按属地交办",
                                    routed_at=first + dt.timedelta(minutes=30)),
                    created_at=first + dt.timedelta(minutes=20), updated_at=first + dt.timedelta(hours=3))


def seed_spread_case(store: Store) -> SpreadCase:
    ns = uuid.uuid4().hex[:8]
    iid = stable_id("spread-incident", ns)
    title = "化工厂泄漏致河水变色"
    m0 = _mention(ns, 0, "demo-news", at(8), title, incident_id=iid)
    m1 = _mention(ns, 1, "demo-rss", at(8, 40), title + "（转载）", incident_id=iid, publisher="云南日报网（演示）",
                  reprint_of=m0.id)
    m2 = _mention(ns, 2, "demo-weibo", at(9, 10), "转发：" + title, incident_id=iid, author="昆明身边事",
                  publisher="云南网 RSS（演示）", reprint_of=m0.id)
    m3 = _mention(ns, 3, "demo-weibo", at(9, 50), "扩散：" + title, incident_id=iid, author="春城热点",
                  publisher="昆明身边事", reprint_of=m0.id, extra={"reposts": 20, "comments": 5, "likes": 5})
    m4 = _mention(ns, 4, "demo-weibo", at(10, 5), "关注：" + title, incident_id=iid, author="滇池观察",
                  reprint_of=m0.id)
    m5 = _mention(ns, 5, "xinhua", at(11), "云南一化工厂发生泄漏", incident_id=iid)
    incident = _incident(iid, title, at(8), m0.id, 6)

    oid = stable_id("spread-outside", ns)
    original = _mention(ns, 10, "demo-news", at(7), "小区停水三天无人管", incident_id=None)
    reprint = _mention(ns, 11, "demo-weibo", at(8), "小区停水三天无人管", incident_id=oid, author="市民之声",
                       reprint_of=original.id)
    outside = _incident(oid, "小区停水三天无人管", at(8), reprint.id, 1)

    snaps = [EngagementSnapshot(id=stable_id(m2.id, t), mention_id=m2.id, source_id="demo-weibo", at=t, reposts=r,
                                comments=0, likes=0, interactions=r)
             for t, r in ((at(9, 30), 100), (at(12), 500))]
    snaps.append(EngagementSnapshot(id=stable_id(m4.id, at(10, 30)), mention_id=m4.id, source_id="demo-weibo",
                                    at=at(10, 30), reposts=0, comments=0, likes=0, interactions=0))
    for kind, docs in (("mentions", [m0, m1, m2, m3, m4, m5, original, reprint]), ("incidents", [incident, outside]),
                       ("engagement", snaps)):
        result = store.bulk(kind, [(d.id, d.to_doc()) for d in docs], refresh=True)
        assert not result.failed, result.failed
    return SpreadCase(incident=incident, m=[m0, m1, m2, m3, m4, m5], outside_original=original,
                      outside_reprint=reprint, outside_incident=outside)

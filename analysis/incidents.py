"""Incidents (舆情事件): grouping mentions about one event, and deriving each incident from them.

Grouping (in time order, each mention once):

1. a reprint (``reprint_of``) joins the incident of the mention it reprints;
2. a near-duplicate (SimHash within ``near_duplicate_hamming`` bits) of a member joins it;
3. otherwise a mention joins the best incident seen within the time ``window`` whose place is on
   the same line of the hierarchy as the incident's main place (官渡区 fits 昆明市, not 五华区) and
   which shares an event kind (fire, explosion…) or at least ``min_shared_keywords`` keywords and a
   collection priority; without a place on either side only a keyword overlap of
   ``min_keyword_similarity`` joins. Place names are not keywords, so two events in one city do not
   look alike just because both say 昆明;
4. a mention that joins nothing and touches a collection priority opens a new incident with the
   deterministic id ``stable_id("incident", mention_id)``; ordinary news opens none.

Everything else on an incident (first appearance, timeline, reach, places, keywords, sentiment
trend, severity, handling kind, the policy-document and board-message flags) is derived from its
stored mentions only, so recomputing it gives the same document byte for byte.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any

from analysis.handling import incident_kind
from analysis.matching import Negation, TermMatcher
from analysis.pipeline import full_text
from analysis.place import Gazetteer
from analysis.severity import IncidentFacts, assess, emergency_kind, mention_figures
from yuqing.clock import TZ, iso, parse_ts
from yuqing.config import Config
from yuqing.models import (
    EMOTIONS,
    Department,
    FalseInfo,
    Incident,
    Place,
    Sentiment,
    TrendPoint,
    interactions,
    stable_id,
)

# Fields of an incident the analysis owns; everything else (state, routing, assignment,
# acknowledgement, closing) belongs to the response layer and is never written here.
ANALYSIS_FIELDS = (
    "title", "summary", "first_seen_at", "last_seen_at", "first_mention_id", "mention_count", "reprint_count",
    "reach", "interactions", "spread_per_hour", "tiers", "sources", "places", "place_codes", "priorities",
    "subtopics", "keywords",
    "negative_share", "sentiment_avg", "trend", "severity", "handling_kind", "policy_document", "board_message",
    "emotions", "emotion_shares", "false_info", "department", "casualties",
)
TITLE_TIERS = ("central", "provincial", "local", "official", "self_media")
POOL_KEYWORDS = 20  # an incident's keywords compared with a new mention


def incident_id_for(mention_id: str) -> str:
    return stable_id("incident", mention_id)


def mention_time(doc: dict[str, Any]) -> dt.datetime:
    t = parse_ts(doc.get("published_at")) or parse_ts(doc.get("crawled_at"))
    return t if t is not None else dt.datetime(1970, 1, 1, tzinfo=TZ)


def hamming(a: str | None, b: str | None) -> int:
    if not a or not b:
        return 64
    try:
        return (int(a, 16) ^ int(b, 16)).bit_count()
    except ValueError:
        return 64


@dataclasses.dataclass
class Member:
    """What grouping needs to know about one mention."""

    id: str
    at: dt.datetime
    simhash: str | None
    keywords: frozenset[str]
    events: frozenset[str]
    place_code: str | None
    place_from_text: bool
    reprint_of: str | None
    priorities: frozenset[str]

    @property
    def has_priority(self) -> bool:
        return bool(self.priorities)


@dataclasses.dataclass
class Group:
    id: str
    first_at: dt.datetime
    last_at: dt.datetime
    codes: Counter[str] = dataclasses.field(default_factory=Counter)
    keywords: Counter[str] = dataclasses.field(default_factory=Counter)
    events: set[str] = dataclasses.field(default_factory=set)
    simhashes: list[str] = dataclasses.field(default_factory=list)
    priorities: set[str] = dataclasses.field(default_factory=set)

    def add(self, m: Member) -> None:
        self.first_at = min(self.first_at, m.at)
        self.last_at = max(self.last_at, m.at)
        if m.place_code and m.place_from_text:
            self.codes[m.place_code] += 1
        self.keywords.update(m.keywords)
        self.events.update(m.events)
        self.priorities.update(m.priorities)
        if m.simhash:
            self.simhashes.append(m.simhash)

    def top_keywords(self, n: int) -> list[str]:
        """The incident's most frequent keywords (the union would grow with every member)."""
        return [w for w, _ in sorted(self.keywords.items(), key=lambda kv: (-kv[1], kv[0]))[:n]]

    @property
    def place(self) -> str | None:
        """The incident's main place: the code most of its located members name (the set of all
        codes would grow with every member and end up compatible with everything)."""
        if not self.codes:
            return None
        return min(self.codes, key=lambda c: (-self.codes[c], c))


def shared_keywords(mine: Iterable[str], pool: Iterable[str]) -> int:
    """Keywords of ``mine`` found in ``pool``, counting a compound and its part as the same word
    (拖欠农民工工资 ~ 农民工, 近半年 ~ 半年): the tokenizer keeps project terms whole."""
    pool = set(pool)
    n = 0
    for word in mine:
        if word in pool or any(len(p) >= 2 and (p in word or word in p) for p in pool):
            n += 1
    return n


class Grouper:
    def __init__(self, config: Config, places: Gazetteer) -> None:
        s = config.analysis.incidents
        self.window = s.window.as_timedelta()
        self.hamming = s.near_duplicate_hamming
        self.min_shared = s.min_shared_keywords
        self.min_sim = s.min_keyword_similarity
        self.places = places
        self.event_matchers = {k: TermMatcher(v) for k, v in s.event_types.items()}
        generic: set[str] = {t for terms in s.event_types.values() for t in terms}
        for p in config.priorities.priorities:
            generic.update(p.terms, p.weak_terms)
        for st in config.priorities.subtopics:
            generic.update(st.terms)
        self.generic = frozenset(generic)
        self.groups: dict[str, Group] = {}
        self.member_group: dict[str, str] = {}

    def member(self, doc: dict[str, Any]) -> Member:
        evidence = [e for h in doc.get("priorities") or [] for e in h.get("evidence") or []]
        keywords = list(doc.get("keywords") or [])
        probe = " ".join([doc.get("title") or "", *evidence, *keywords])
        events = frozenset(k for k, m in self.event_matchers.items() if any(True for _ in m.finditer(probe)))
        place = doc.get("place") or {}
        return Member(
            id=doc["id"], at=mention_time(doc), simhash=doc.get("simhash"), keywords=frozenset(keywords),
            events=events, place_code=place.get("code"), place_from_text=place.get("source", "text") == "text",
            reprint_of=doc.get("reprint_of"),
            priorities=frozenset(h["id"] for h in doc.get("priorities") or [] if h.get("parent") is None),
        )

    def load(self, incident_id: str, members: Iterable[Member]) -> None:
        group: Group | None = self.groups.get(incident_id)
        for m in members:
            if group is None:
                group = Group(incident_id, m.at, m.at)
                self.groups[incident_id] = group
            group.add(m)
            self.member_group[m.id] = incident_id

    def _located(self, m: Member, g: Group) -> bool | None:
        """Whether the mention's place and the incident's main place lie on one line of the
        hierarchy; None when either is unknown (the text names no place)."""
        main = g.place
        if not (m.place_code and m.place_from_text) or main is None:
            return None
        return main in self.places.chain(m.place_code) or m.place_code in self.places.chain(main)

    def _in_window(self, m: Member, g: Group) -> bool:
        return g.first_at - self.window <= m.at <= g.last_at + self.window

    def assign(self, m: Member, known: dict[str, str] | None = None) -> tuple[str | None, str]:
        """The incident id for ``m`` (joining or opening one) and why; ``(None, "none")`` if neither."""
        target = m.reprint_of and (self.member_group.get(m.reprint_of) or (known or {}).get(m.reprint_of))
        if target and target in self.groups:
            return self._join(m, target), "reprint"
        best: tuple[tuple[Any, ...], str] | None = None
        for g in self.groups.values():
            if not self._in_window(m, g):
                continue
            dup = any(hamming(m.simhash, s) <= self.hamming for s in g.simhashes)
            located = self._located(m, g)
            if not dup and located is False:
                continue
            # An event kind or a shared priority is enough only when both sides name a place on
            # one line: two "商场着火了" posts without a place may be two fires anywhere.
            # …and a whole province is too coarse for the event kind alone.
            specific = located and not (m.place_code or "").endswith("0000") and not (g.place or "").endswith("0000")
            shared_events = len(m.events & g.events) if specific else 0
            pool = g.top_keywords(POOL_KEYWORDS)
            mine: Iterable[str] = m.keywords
            if located is None:
                # Without places, words every report of such an event uses (爆炸, 死亡, 网传…: the
                # configured terms) say nothing about which event it is.
                mine = [w for w in m.keywords if w not in self.generic]
                pool = [w for w in pool if w not in self.generic]
            mine = list(mine)
            shared = shared_keywords(mine, pool)
            smaller = min(len(mine), len(pool)) or 1
            topical = shared >= self.min_shared and (shared / smaller >= self.min_sim
                                                     or (bool(located) and bool(m.priorities & g.priorities)))
            if not (dup or shared_events or topical):
                continue
            key = (dup, shared_events, shared, -abs((m.at - g.last_at).total_seconds()), g.first_at, g.id)
            if best is None or key[:4] > best[0][:4] or (key[:4] == best[0][:4] and key[4:] < best[0][4:]):
                best = (key, g.id)
        if best is not None:
            return self._join(m, best[1]), "near_duplicate" if best[0][0] else "similar"
        if m.has_priority:
            gid = incident_id_for(m.id)
            self.groups[gid] = Group(gid, m.at, m.at)
            return self._join(m, gid), "created"
        return None, "none"

    def _join(self, m: Member, gid: str) -> str:
        self.groups[gid].add(m)
        self.member_group[m.id] = gid
        return gid


# --- deriving an incident from its mentions ---------------------------------------------------------


class IncidentBuilder:
    def __init__(self, config: Config, places: Gazetteer, negation: Negation) -> None:
        self.config = config
        self.places = places
        self.event_matchers = {k: TermMatcher(v) for k, v in config.analysis.incidents.event_types.items()}
        s = config.analysis.incidents
        self.hamming = s.near_duplicate_hamming
        self.bucket = s.trend_bucket.as_timedelta()
        self.k = s.keywords
        self.priority_order = {p.id: i for i, p in enumerate(config.priorities.priorities)}
        self.priority_weight = {p.id: p.weight for p in config.priorities.priorities}
        self.subtopic_order = {p.id: i for i, p in enumerate(config.priorities.subtopics)}
        self.rebuttal_terms = TermMatcher(config.analysis.false_info.rebuttal_terms)

    def _bucket(self, t: dt.datetime) -> dt.datetime:
        t = t.astimezone(TZ)
        day = dt.datetime.combine(t.date(), dt.time(0), tzinfo=TZ)
        step = max(1, int(self.bucket.total_seconds()))
        return day + dt.timedelta(seconds=int((t - day).total_seconds()) // step * step)

    def _places(self, mentions: Sequence[dict[str, Any]]) -> list[Place]:
        text_places = [Place.model_validate(m["place"]) for m in mentions
                       if m.get("place") and m["place"].get("source", "text") == "text" and m["place"].get("code")]
        pool = text_places or [Place.model_validate(m["place"]) for m in mentions
                               if m.get("place") and m["place"].get("code")]
        if not pool:
            return []
        counts = Counter(p.code for p in pool if p.code)
        codes = set(counts)
        chains = {c: self.places.chain(c) for c in codes}
        # Keep the most specific codes; an ancestor's mentions count for its descendants.
        leaves = [c for c in codes if not any(c in chains[o][1:] for o in codes if o != c)]
        support = {c: sum(n for o, n in counts.items() if o in chains[c]) for c in leaves}
        top = max(support.values())
        kept = sorted((c for c in leaves if support[c] >= 0.2 * top), key=lambda c: (-support[c], c))
        out: list[Place] = []
        for code in kept:
            names: list[str] = []
            first = next(p for p in pool if p.code == code)
            for p in pool:
                if p.code in chains[code]:
                    names.extend(n for n in p.names if n not in names)
            out.append(first.model_copy(update={"names": names[:10]}))
        return out

    def _false_info(self, ms: Sequence[dict[str, Any]]) -> FalseInfo | None:
        """The strongest member evidence, linked to the first official member that rebuts (辟谣)."""
        found = [FalseInfo.model_validate(m["false_info"]) for m in ms if (m.get("false_info") or {}).get("flagged")]
        if not found:
            return None
        rebuttal = next((m["id"] for m in ms if m.get("official") and next(self.rebuttal_terms.finditer(
            full_text(m.get("title") or "", m.get("text") or "")), None) is not None), None)
        cues = list(dict.fromkeys(c for f in found for c in f.cues))[:8]
        return FalseInfo(flagged=True, confidence=max(f.confidence for f in found), cues=cues,
                         model_score=max(f.model_score for f in found), rebuttal=rebuttal)

    @staticmethod
    def _department(ms: Sequence[dict[str, Any]]) -> Department | None:
        """The line of work of the incident's board messages: the most common label, its mean confidence."""
        deps = [Department.model_validate(m["department"]) for m in ms
                if m.get("doc_type") == "board_message" and m.get("department")]
        if not deps:
            return None
        counts = Counter(d.label for d in deps)
        label = min(counts, key=lambda k: (-counts[k], k))
        conf = [d.confidence for d in deps if d.label == label]
        return Department(label=label, confidence=round(sum(conf) / len(conf), 4))

    def emergency_kind(self, texts: Sequence[str]) -> str | None:
        return emergency_kind(texts, self.config.analysis.severity.casualties.kinds, self.event_matchers)

    def build(self, incident_id: str, mentions: Sequence[dict[str, Any]]) -> dict[str, Any]:
        """The analysis-owned fields of the incident, in stored (JSON) form."""
        ms = sorted(mentions, key=lambda m: (mention_time(m), m["id"]))
        times = [mention_time(m) for m in ms]
        sev = self.config.analysis.severity
        tiers = Counter(m.get("media_tier") or "unknown" for m in ms)
        reprints = 0
        for i, m in enumerate(ms):
            if m.get("reprint_of") or any(hamming(m.get("simhash"), o.get("simhash")) <= self.hamming for o in ms[:i]):
                reprints += 1
        reach = 0.0
        for m in ms:
            w = sev.tier_weights.get(m.get("media_tier") or "", 0.5)
            extra = m.get("extra") or {}
            reposts = extra.get("reposts", extra.get("reposts_count"))
            boost = 1 + math.log10(1 + reposts) if isinstance(reposts, int) and reposts > 0 else 1.0
            reach += w * boost
        # engagement the crawlers read (latest snapshot on each mention): how far and how fast it spreads
        engaged = sum(interactions(m.get("extra") or {}) for m in ms)
        spread = round(sum(float((m.get("extra") or {}).get("spread_per_hour") or 0.0) for m in ms), 3)
        sentiments = [Sentiment.model_validate(m["sentiment"]) for m in ms if m.get("sentiment")]
        negative = sum(1 for s in sentiments if s.label == "negative")
        negative_share = round(negative / len(sentiments), 4) if sentiments else 0.0
        sentiment_avg = round(sum(s.score for s in sentiments) / len(sentiments), 4) if sentiments else 0.0
        buckets: dict[dt.datetime, list[dict[str, Any]]] = {}
        for m, t in zip(ms, times, strict=True):
            buckets.setdefault(self._bucket(t), []).append(m)
        trend = []
        for b in sorted(buckets):
            group = buckets[b]
            neg = sum(1 for m in group if (m.get("sentiment") or {}).get("label") == "negative")
            trend.append(TrendPoint(bucket=b, mentions=len(group), negative_share=round(neg / len(group), 4)))
        # The main priority first: the one most mentions touch, then the heavier, then config order.
        support = Counter(h["id"] for m in ms for h in m.get("priorities") or [] if not h.get("parent"))
        priorities = sorted(support, key=lambda p: (-support[p], -self.priority_weight.get(p, 0.0),
                                                    self.priority_order.get(p, 99), p))
        subtopics = sorted({h["id"] for m in ms for h in m.get("priorities") or [] if h.get("parent")},
                           key=lambda p: (self.subtopic_order.get(p, 99), p))
        kw: Counter[str] = Counter()
        for m in ms:
            words = m.get("keywords") or []
            for rank, word in enumerate(words):
                kw[word] += len(words) - rank
        keywords = [w for w, _ in sorted(kw.items(), key=lambda kv: (-kv[1], kv[0]))[: self.k]]
        headline = min(ms, key=lambda m: (
            TITLE_TIERS.index(m["media_tier"]) if m.get("media_tier") in TITLE_TIERS else len(TITLE_TIERS),
            mention_time(m), m["id"]))
        title = (headline.get("title") or headline.get("text") or "").strip()
        title = title if len(title) <= 60 else title[:59] + "…"
        summary = " ".join((headline.get("text") or headline.get("title") or "").split())
        summary = summary if len(summary) <= 160 else summary[:159] + "…"
        texts = [full_text(m.get("title") or "", m.get("text") or "") for m in ms]
        casualty_settings = sev.casualties
        figures = [mention_figures(m, text, t, casualty_settings) for m, text, t in zip(ms, texts, times, strict=True)]
        facts = IncidentFacts(
            priorities=priorities, mention_count=len(ms), reprint_count=reprints, reach=round(reach, 3),
            tiers=dict(tiers), peak_per_bucket=max((p.mentions for p in trend), default=0),
            negative_share=negative_share, mentions=figures, emergency_kind=self.emergency_kind(texts),
            spread_per_hour=spread,
        )
        places = self._places(ms)
        placeholder = times[0]
        emotion_counts = Counter((m.get("emotion") or {}).get("label") for m in ms if m.get("emotion"))
        emotions = {e: emotion_counts[e] for e in EMOTIONS if emotion_counts[e]}
        n_emotions = sum(emotions.values())
        incident = Incident(
            id=incident_id, title=title, summary=summary, first_seen_at=times[0], last_seen_at=times[-1],
            first_mention_id=ms[0]["id"], mention_count=len(ms), reprint_count=reprints, reach=round(reach, 3),
            interactions=engaged, spread_per_hour=spread, tiers=dict(sorted(tiers.items())),
            sources=sorted({m.get("source_id") or "" for m in ms} - {""}),
            places=places, place_codes=[p.code for p in places if p.code], priorities=priorities,
            subtopics=subtopics, keywords=keywords, negative_share=negative_share, sentiment_avg=sentiment_avg,
            trend=trend, severity=assess(facts, sev, self.config.priorities),
            handling_kind=incident_kind(m.get("handling_kind") for m in ms),
            policy_document=any(m.get("doc_type") == "policy" for m in ms),
            board_message=any(m.get("doc_type") == "board_message" for m in ms),
            emotions=emotions, emotion_shares={e: round(n / n_emotions, 4) for e, n in emotions.items()},
            false_info=self._false_info(ms), department=self._department(ms),

            casualties=[f for m in figures for f in m.figures],
            created_at=placeholder, updated_at=placeholder,
        )
        doc = incident.model_dump(mode="json", exclude_none=True)
        return {k: doc.get(k) for k in ANALYSIS_FIELDS}


def new_incident_doc(incident_id: str, fields: dict[str, Any], now: dt.datetime) -> dict[str, Any]:
    doc = {"id": incident_id, **fields, "state": "new", "created_at": iso(now), "updated_at": iso(now)}
    return Incident.model_validate(doc).to_doc()

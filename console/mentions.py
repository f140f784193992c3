"""Searching stored mentions: full text over the crawler's segmentation, filters, highlighting.

The query is segmented with the project's jieba tokenizer (:mod:`yuqing.segment`) and every word
must appear: as a token of ``title_seg`` / ``text_seg`` (the crawler's space-joined segmentation,
``whitespace`` analyser), or as a phrase of the raw ``title`` / ``text`` (``standard`` analyser: one
token per Chinese character, so 化工 still finds 化工厂 when jieba cut the text differently).

Highlighting asks Elasticsearch for fragments of the raw fields marked with two private-use
characters, never with HTML: :func:`marked_html` escapes the crawled text first and only then turns
the markers into ``<mark>`` tags (balanced, adjacent ones joined), so nothing in a crawled page can
add markup. Office staff search only the mentions of incidents their office may see.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from typing import Any

from markupsafe import Markup, escape

from console.auth import User, office_query
from console.queries import place_query
from yuqing.clock import TZ, iso, parse_ts
from yuqing.errors import InputError
from yuqing.models import Mention
from yuqing.segment import segmenter
from yuqing.storage import Store

PAGE_SIZE = 30
MAX_PAGE = 300  # 300 × 30 stays inside the 10,000-hit result window
EXPORT_LIMIT = 10_000  # the result window: an export says when it holds only the first ones
MAX_WORDS = 8
OPEN_MARK, CLOSE_MARK = "\ue000", "\ue001"  # private-use characters: never markup
SENTIMENTS = ("negative", "neutral", "positive")
SORTS = {
    "newest": [{"published_at": {"order": "desc", "missing": "_last"}}, {"crawled_at": "desc"}, {"id": "asc"}],
    "collected": [{"crawled_at": "desc"}, {"id": "asc"}],
    "relevance": ["_score", {"published_at": {"order": "desc", "missing": "_last"}}, {"id": "asc"}],
}
_WORD = re.compile(r"\w")


@dataclasses.dataclass(frozen=True)
class MentionFilter:
    q: str = ""
    since: str = ""  # a date (2026-11-23) or a datetime-local (2026-11-23T08:00), Beijing time
    until: str = ""  # a date counts to its end
    source: str = ""
    tier: str = ""
    priority: str = ""  # a priority or a sub-topic id
    place: str = ""  # an administrative code; a city includes its districts
    sentiment: str = ""
    emotion: str = ""
    grouped: str = ""  # "yes": in an incident, "no": in none
    incident: str = ""  # only this incident's mentions
    sort: str = ""  # newest, collected, relevance (default: relevance with words, else newest)
    page: int = 1

    def params(self, **override: Any) -> dict[str, Any]:
        values = {**dataclasses.asdict(self), **override}
        return {k: v for k, v in values.items() if v not in ("", None) and not (k == "page" and v == 1)}

    @property
    def sort_key(self) -> str:
        if self.sort in SORTS:
            return self.sort
        return "relevance" if self.words else "newest"

    @property
    def words(self) -> list[str]:
        """The query's words as the index holds them (jieba), without punctuation, each once."""
        if not self.q.strip():
            return []
        tokens = [t.strip() for t in segmenter().cut(self.q[:100])]
        return list(dict.fromkeys(t for t in tokens if t and _WORD.search(t)))[:MAX_WORDS]


def mention_filter(q: str = "", since: str = "", until: str = "", source: str = "", tier: str = "",
                   priority: str = "", place: str = "", sentiment: str = "", emotion: str = "", grouped: str = "",
                   incident: str = "", sort: str = "", page: int = 1) -> MentionFilter:
    """The filter from query parameters (FastAPI dependency for the page, the API and the export)."""
    return MentionFilter(q=q.strip()[:100], since=since.strip(), until=until.strip(), source=source,
                         tier=tier, priority=priority, place=place, sentiment=sentiment, emotion=emotion,
                         grouped=grouped, incident=incident, sort=sort, page=max(1, min(page, MAX_PAGE)))


def parse_bound(value: str, *, end: bool) -> dt.datetime | None:
    """A form's date or datetime in Beijing time; a bare date as an end bound means the day's end."""
    value = value.strip()
    if not value:
        return None
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            day = dt.datetime.combine(dt.date.fromisoformat(value), dt.time(0), tzinfo=TZ)
            return day + dt.timedelta(days=1) if end else day
        parsed = parse_ts(value)
    except ValueError as exc:
        raise InputError(f"时间格式无效：{value[:40]}（应为 2026-11-23 或 2026-11-23T08:00）") from exc
    if parsed is None:
        raise InputError(f"时间格式无效：{value[:40]}")
    return parsed


def _time_filter(since: dt.datetime | None, until: dt.datetime | None) -> dict[str, Any] | None:
    if since is None and until is None:
        return None
    bounds: dict[str, str | None] = {}
    if since is not None:
        bounds["gte"] = iso(since)
    if until is not None:
        bounds["lt"] = iso(until)
    # the publication time, or for an item without one the time it was collected
    return {"bool": {"should": [
        {"range": {"published_at": bounds}},
        {"bool": {"must_not": [{"exists": {"field": "published_at"}}], "filter": [{"range": {"crawled_at": bounds}}]}},
    ], "minimum_should_match": 1}}


def _word_clause(word: str) -> dict[str, Any]:
    return {"bool": {"should": [
        {"multi_match": {"query": word, "fields": ["title_seg^3", "text_seg"]}},
        {"match_phrase": {"title": {"query": word, "boost": 2}}},
        {"match_phrase": {"text": {"query": word}}},
    ], "minimum_should_match": 1}}


def visible_incident_ids(store: Store, user: User) -> list[str] | None:
    """None for those who see everything; else the ids of the incidents the user's office may see."""
    if user.sees_everything:
        return None
    return [str(d["id"]) for d in store.scan("incidents", office_query(user.office or ""), source=["id"])]


def mention_query(f: MentionFilter, *, visible: list[str] | None = None) -> dict[str, Any]:
    since, until = parse_bound(f.since, end=False), parse_bound(f.until, end=True)
    if since and until and until <= since:
        raise InputError("结束时间须晚于开始时间")
    filters: list[dict[str, Any]] = []
    if visible is not None:
        filters.append({"terms": {"incident_id": visible}})
    if (time := _time_filter(since, until)) is not None:
        filters.append(time)
    for field, value in (("source_id", f.source), ("media_tier", f.tier), ("priorities.id", f.priority),
                         ("sentiment.label", f.sentiment), ("emotion.label", f.emotion),
                         ("incident_id", f.incident)):
        if value:
            filters.append({"term": {field: value}})
    if f.place:
        filters.append(place_query(f.place.strip()[:12], "place.code"))
    must_not: list[dict[str, Any]] = []
    if f.grouped == "yes":
        filters.append({"exists": {"field": "incident_id"}})
    elif f.grouped == "no":
        must_not.append({"exists": {"field": "incident_id"}})
    query: dict[str, Any] = {"filter": filters}
    if f.words:
        query["must"] = [_word_clause(w) for w in f.words]
    if must_not:
        query["must_not"] = must_not
    return {"bool": query}


def highlight_request(words: list[str]) -> dict[str, Any] | None:
    if not words:
        return None
    phrases = [{"match_phrase": {field: w}} for w in words for field in ("title", "text")]
    return {
        "pre_tags": [OPEN_MARK], "post_tags": [CLOSE_MARK], "require_field_match": True,
        "highlight_query": {"bool": {"should": phrases}},
        "fields": {"title": {"number_of_fragments": 0},
                   "text": {"fragment_size": 90, "number_of_fragments": 3, "no_match_size": 0}},
    }


def marked_html(fragment: str) -> Markup:
    """Crawled text with the highlight markers as ``<mark>``: the text is escaped first, then only
    the markers become tags (balanced, whatever markers the text itself contained)."""
    joined = fragment.replace(CLOSE_MARK + OPEN_MARK, "")
    out: list[str] = []
    inside = False
    for piece in re.split(f"([{OPEN_MARK}{CLOSE_MARK}])", joined):
        if piece == OPEN_MARK:
            if not inside:
                out.append("<mark>")
                inside = True
        elif piece == CLOSE_MARK:
            if inside:
                out.append("</mark>")
                inside = False
        elif piece:
            out.append(str(escape(piece)))
    if inside:
        out.append("</mark>")
    return Markup("".join(out))


@dataclasses.dataclass
class MentionHit:
    mention: Mention
    title_html: Markup  # escaped, highlighted title (or the escaped title)
    fragments: list[Markup]  # escaped, highlighted passages of the text (empty without words)
    incident_title: str | None = None
    incident_state: str | None = None


@dataclasses.dataclass
class MentionPage:
    hits: list[MentionHit]
    total: int
    page: int
    pages: int


def search_mentions(store: Store, user: User, f: MentionFilter, *, page_size: int = PAGE_SIZE,
                    visible: list[str] | None = None) -> MentionPage:
    if visible is None:
        visible = visible_incident_ids(store, user)
    page = min(max(f.page, 1), MAX_PAGE)
    resp = store.search("mentions", query=mention_query(f, visible=visible), size=page_size,
                        from_=(page - 1) * page_size, sort=SORTS[f.sort_key],
                        source={"excludes": ["text_seg", "title_seg", "simhash_bands"]},
                        highlight=highlight_request(f.words))
    hits = []
    for h in resp["hits"]["hits"]:
        m = Mention.from_doc(h["_source"])
        marks = h.get("highlight") or {}
        title = marks.get("title")
        hits.append(MentionHit(mention=m, title_html=marked_html(title[0]) if title else Markup(escape(m.title)),
                               fragments=[marked_html(x) for x in marks.get("text", [])]))
    _add_incidents(store, hits)
    total = int(resp["hits"]["total"]["value"])
    return MentionPage(hits, total, page, max(1, min(MAX_PAGE, -(-total // page_size))))


def _add_incidents(store: Store, hits: list[MentionHit]) -> None:
    ids = sorted({h.mention.incident_id for h in hits if h.mention.incident_id})
    if not ids:
        return
    docs = store.mget("incidents", ids)
    for h in hits:
        doc = docs.get(h.mention.incident_id or "")
        if doc:
            h.incident_title = str(doc.get("title") or "")
            h.incident_state = str(doc.get("state") or "new")


def export_mentions(store: Store, user: User, f: MentionFilter) -> tuple[list[Mention], int]:
    """Up to :data:`EXPORT_LIMIT` mentions of a search, in its order, and how many matched in all."""
    resp = store.search("mentions", query=mention_query(f, visible=visible_incident_ids(store, user)),
                        size=EXPORT_LIMIT, sort=SORTS[f.sort_key],
                        source={"excludes": ["text_seg", "title_seg", "simhash_bands"]})
    return [Mention.from_doc(h["_source"]) for h in resp["hits"]["hits"]], int(resp["hits"]["total"]["value"])


def may_see_mention(store: Store, user: User, doc: dict[str, Any]) -> bool:
    """Everything for the duty desk; for office staff, the mentions of incidents their office sees."""
    if user.sees_everything:
        return True
    iid = doc.get("incident_id")
    if not iid:
        return False
    return bool(store.count("incidents", {"bool": {"filter": [{"ids": {"values": [iid]}},
                                                              office_query(user.office or "")]}}))

"""Domain models shared by every package: what is stored in Elasticsearch and passed between stages.

One word per concept: mention (舆情信息), source (信息源), priority (收集重点), incident (舆情事件),
office (处置单位), route (交办), clock (时限), release (发布/回应), alert, delivery (送达), report,
assessment (回应评估). Timestamps are aware datetimes in Asia/Shanghai; they are stored as
ISO-8601 strings with the +08:00 offset.

Each model maps to one index kind (see :mod:`yuqing.storage`); ``to_doc`` gives the stored form and
``from_doc`` reads it back, ignoring fields a newer version added.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Sequence
from typing import Any, ClassVar, Literal, Self

from pydantic import BaseModel, ConfigDict, Field

from yuqing import labels

# The Chinese names live in yuqing.labels (one place); kept here under their old names.
CLOCK_STATE_ZH = labels.CLOCK_STATE_ZH
EMOTION_ZH = labels.EMOTION_ZH
ENGAGEMENT_ZH = labels.ENGAGEMENT_ZH
HANDLING_ZH = labels.HANDLING_ZH
RELEASE_STATUS_ZH = labels.RELEASE_STATUS_ZH
REVIEW_NOT_RECORDED_ZH = labels.REVIEW_NOT_RECORDED_ZH
ROUTE_ASK_ZH = labels.ROUTE_ASK_ZH
ROUTE_ROLE_ZH = labels.ROUTE_ROLE_ZH
SEVERITY_ZH = labels.SEVERITY_ZH
STATE_ZH = labels.STATE_ZH
TIER_ZH = labels.TIER_ZH

SeverityLevel = Literal["I", "II", "III", "IV"]
SEVERITY_RANK = {"I": 4, "II": 3, "III": 2, "IV": 1}
IncidentState = Literal[
    "new", "assigned", "acknowledged", "responding", "released", "closed", "escalated", "dismissed", "merged"
]
# Incidents that reports, statistics, the overview and assessments leave out: dismissed ones were not
# incidents after all, and a merged one lives on in the incident that absorbed it (counted there).
UNCOUNTED_STATES: tuple[IncidentState, ...] = ("dismissed", "merged")
ClockState = Literal["running", "met", "missed", "waived"]
HandlingKind = Literal["suggestion", "difficulty", "major_problem", "confusion", "wrong_opinion", "false_info"]


def stable_id(*parts: object) -> str:
    """A deterministic document id: the same inputs always give the same id (idempotent writes)."""
    raw = "\x1f".join("" if p is None else str(p) for p in parts)
    return hashlib.sha1(raw.encode("utf-8")).hexdigest()


class Doc(BaseModel):
    """Base of stored models: unknown stored fields are ignored when reading."""

    model_config = ConfigDict(extra="ignore", validate_assignment=False)
    kind: ClassVar[str]

    def to_doc(self) -> dict[str, Any]:
        return self.model_dump(mode="json", exclude_none=True)

    @classmethod
    def from_doc(cls, doc: dict[str, Any]) -> Self:
        return cls.model_validate(doc)


# --- mentions (crawlers write the first block; analysis fills the second) -------------------------


class Sentiment(BaseModel):
    label: Literal["negative", "neutral", "positive"]
    score: float = Field(ge=-1, le=1)


EmotionLabel = Literal["happy", "angry", "sad", "fear", "surprise", "neutral"]
EMOTIONS: tuple[str, ...] = ("happy", "angry", "sad", "fear", "surprise", "neutral")


class Emotion(BaseModel):
    """SMP2020-EWECT emotion of a mention: the label and the score of every class (summing to 1)."""

    label: EmotionLabel
    scores: dict[str, float] = Field(default_factory=dict)


class Department(BaseModel):
    """The line of work (first-level category of a message board, e.g. 城乡建设) a text belongs to."""

    label: str
    confidence: float = Field(ge=0, le=1)


class FalseInfo(BaseModel):
    """Whether a mention is likely false information, and the evidence: the cue words of the
    ``false_info`` priority, the rumour model's score and the official rebuttal (a mention id)."""

    flagged: bool = False
    confidence: float = Field(default=0.0, ge=0, le=1)
    cues: list[str] = Field(default_factory=list)
    model_score: float = Field(default=0.0, ge=0, le=1)
    rebuttal: str | None = None


class PriorityHit(BaseModel):
    id: str  # a priority id or a sub-topic id
    confidence: float = Field(ge=0, le=1)
    evidence: list[str] = Field(default_factory=list)
    parent: str | None = None  # for a sub-topic: its priority


class Place(BaseModel):
    province: str | None = None
    city: str | None = None
    district: str | None = None
    code: str | None = None  # administrative code of the most specific level known
    names: list[str] = Field(default_factory=list)  # place names found in the text
    source: Literal["text", "source"] = "text"  # from the text, or the source's jurisdiction


class ManualGrouping(BaseModel):
    """A person put this mention in its incident (console: open, attach, merge, split). The analysis
    never regroups such a mention: it stays where the person put it."""

    manual: bool = True
    action: Literal["open", "attach", "merge", "split"]
    actor: str
    at: dt.datetime
    from_incident: str | None = None  # the incident it was in before, if any


class Mention(Doc):
    kind: ClassVar[str] = "mentions"

    id: str
    source_id: str
    source_type: str
    media_tier: str
    jurisdiction: str  # the source's jurisdiction code
    official: bool = False
    office: str | None = None  # for official sources: the publishing office
    url: str
    canonical_url: str
    guid: str | None = None
    title: str = ""
    text: str = ""
    title_seg: str = ""  # jieba tokens joined by spaces (whitespace-analysed field)
    text_seg: str = ""
    author: str | None = None
    publisher: str | None = None  # 来源 named on the page (e.g. a reprint's original outlet)
    published_at: dt.datetime | None = None
    crawled_at: dt.datetime
    encoding: str | None = None
    content_hash: str | None = None
    simhash: str | None = None  # 64-bit SimHash as 16 hex digits
    # band keys of the SimHash, to find reprint candidates (crawlers.dedup)
    simhash_bands: list[str] = Field(default_factory=list)
    reprint_of: str | None = None  # id of the first appearance of the same text
    crawl_run: str | None = None  # the crawl run that stored it (its later batches' reprint search leaves it out)
    doc_type: Literal["article", "post", "policy", "board_message", "feed_item"] = "article"
    extra: dict[str, Any] = Field(default_factory=dict)  # 索引号/文号/发文日期, board reply text/office/time, …

    # analysis
    analyzed_at: dt.datetime | None = None
    analysis_version: str | None = None
    sentiment: Sentiment | None = None
    priorities: list[PriorityHit] = Field(default_factory=list)
    place: Place | None = None
    keywords: list[str] = Field(default_factory=list)
    incident_id: str | None = None
    handling_kind: HandlingKind | None = None
    emotion: Emotion | None = None
    false_info: FalseInfo | None = None
    department: Department | None = None
    grouping: ManualGrouping | None = None  # set when a person (not the analysis) chose its incident


ENGAGEMENT_FIELDS = ("reposts", "comments", "likes", "views")


class EngagementSnapshot(Doc):
    """The engagement figures of one mention as one crawl read them: each crawl adds a snapshot (id by
    mention and crawl time, so a re-run of the same crawl overwrites instead of adding). The latest
    figures are also on the mention (``extra.reposts`` …, ``extra.spread_per_hour``)."""

    kind: ClassVar[str] = "engagement"

    id: str  # stable_id(mention_id, at)
    mention_id: str
    source_id: str
    at: dt.datetime
    reposts: int | None = None
    comments: int | None = None
    likes: int | None = None
    views: int | None = None
    interactions: int = 0  # reposts + comments + likes (views are not an interaction)
    spread_per_hour: float = 0.0  # new interactions per hour since the previous snapshot (or publication)


def interactions(figures: dict[str, Any]) -> int:
    """Reposts + comments + likes of a figures mapping (missing or non-integer values count 0)."""
    return sum(v for k in ("reposts", "comments", "likes") if isinstance(v := figures.get(k), int))


class HotlistEntry(Doc):
    """One entry of a hot list (热搜/热榜) as one crawl saw it: rank and heat at that time. The entry's
    rank history is every document with its ``source_id`` and ``key``; an entry that touches a
    collection priority or a configured place is also a mention (``mention_id``)."""

    kind: ClassVar[str] = "hotlist"

    id: str  # stable_id(source_id, key, at)
    source_id: str
    key: str  # the entry's normalised words: the same entry across crawls
    title: str
    url: str | None = None
    rank: int
    heat: int | None = None
    at: dt.datetime  # the crawl that saw it
    listed_at: dt.datetime | None = None  # the entry's own time on the list (上榜时间) where the list gives one
    relevant: bool = False
    priorities: list[str] = Field(default_factory=list)  # collection priorities whose terms the entry contains
    places: list[str] = Field(default_factory=list)  # jurisdiction codes whose names it contains
    terms: list[str] = Field(default_factory=list)  # the words that made it relevant
    mention_id: str | None = None


# --- incidents ------------------------------------------------------------------------------------


class CasualtyFigure(BaseModel):
    """One casualty figure one mention states (an incident's casualty timeline is a list of them)."""

    kind: Literal["deaths", "injured", "serious_injuries", "missing", "trapped", "economic_loss"]
    value: float  # the lower bound used for thresholds (people, or yuan for economic_loss)
    stated: str = ""  # as the text says it: "40余", "近百", "1.2亿"
    evidence: str = ""  # the words it was read from
    at: dt.datetime  # the mention's publication time
    mention_id: str
    source_id: str = ""
    authority: str  # "official", or the media tier
    official: bool = False


class LevelChange(BaseModel):
    """The incident's level from a moment on: the first entry is its level when it appeared; each
    later one a change that figures (or an official grading) in a later mention brought."""

    level: SeverityLevel
    at: dt.datetime
    mention_id: str
    previous: SeverityLevel | None = None
    reason: str = ""


class Severity(BaseModel):
    level: SeverityLevel
    score: float
    reasons: list[str] = Field(default_factory=list)
    # analysis: what the figures alone imply, and on what the level rests
    casualty_level: SeverityLevel | None = None
    basis: Literal["score", "figures", "grading"] = "score"
    # kind → the figure that counts (latest, most authoritative)
    figures: dict[str, CasualtyFigure] = Field(default_factory=dict)
    emergency_kind: str | None = None  # accident, natural_disaster… (selects the threshold table)
    history: list[LevelChange] = Field(default_factory=list)

    def level_since(self, levels: Sequence[str]) -> dt.datetime | None:
        """When the incident last entered ``levels`` (and stayed in them since), if it is in them."""
        since = None
        for change in self.history:
            since = (since or change.at) if change.level in levels else None
        return since


# The parts an office plays in a routed incident, and what each is asked to do (domain §2: 牵头/配合,
# 通报 to the police and the cyberspace authority for false information, 会商 for major cases).
RouteRole = Literal["lead", "supporting", "notify", "consultation"]


class Routing(BaseModel):
    lead_office: str
    supporting_offices: list[str] = Field(default_factory=list)
    notify: list[str] = Field(default_factory=list)
    rule_id: str
    reason_zh: str
    # what the rule saw: place codes, level, priorities, sub-topics
    inputs: dict[str, Any] = Field(default_factory=dict)
    consultation: bool = False
    routed_at: dt.datetime
    # response: what the office must publish for this handling kind (domain §4), and who joins 会商
    handling_zh: str = ""
    consultation_offices: list[str] = Field(default_factory=list)

    def roles_of(self, office_id: str) -> list[str]:
        """The parts ``office_id`` plays here (lead, supporting, notify, consultation), in that order."""
        roles = []
        if office_id == self.lead_office:
            roles.append("lead")
        if office_id in self.supporting_offices:
            roles.append("supporting")
        if office_id in self.notify:
            roles.append("notify")
        if self.consultation and office_id in self.consultation_offices:
            roles.append("consultation")
        return roles

    def routed_offices(self) -> list[str]:
        """Every office routing names, lead first (each once)."""
        consulted = self.consultation_offices if self.consultation else []
        return list(dict.fromkeys([self.lead_office, *self.supporting_offices, *self.notify, *consulted]))


class TrendPoint(BaseModel):
    bucket: dt.datetime
    mentions: int
    negative_share: float


class Incident(Doc):
    kind: ClassVar[str] = "incidents"

    id: str
    title: str
    summary: str = ""
    first_seen_at: dt.datetime
    last_seen_at: dt.datetime
    first_mention_id: str
    mention_count: int = 0
    reprint_count: int = 0
    reach: float = 0.0
    interactions: int = 0  # latest reposts + comments + likes over the incident's mentions
    spread_per_hour: float = 0.0  # their latest growth: new interactions per hour (crawler snapshots)
    tiers: dict[str, int] = Field(default_factory=dict)
    sources: list[str] = Field(default_factory=list)
    places: list[Place] = Field(default_factory=list)
    place_codes: list[str] = Field(default_factory=list)
    priorities: list[str] = Field(default_factory=list)
    subtopics: list[str] = Field(default_factory=list)
    keywords: list[str] = Field(default_factory=list)
    negative_share: float = 0.0
    sentiment_avg: float = 0.0
    trend: list[TrendPoint] = Field(default_factory=list)
    severity: Severity | None = None
    casualties: list[CasualtyFigure] = Field(default_factory=list)  # analysis: the casualty timeline, in time order
    handling_kind: HandlingKind | None = None
    policy_document: bool = False  # the incident is a published policy document (opens the 3-day clock)
    board_message: bool = False  # the incident is a message-board item (opens the reply clock)
    # mentions per emotion label (the mix; shares = count / mention_count)
    emotions: dict[str, int] = Field(default_factory=dict)
    emotion_shares: dict[str, float] = Field(default_factory=dict)
    false_info: FalseInfo | None = None  # the strongest member evidence, and the official rebuttal if any
    department: Department | None = None  # line of work of its board messages (routing: 谁主管谁负责)
    state: IncidentState = "new"
    routing: Routing | None = None
    assigned_office: str | None = None  # current owner after reassignment (defaults to routing lead)
    acknowledged_by: str | None = None
    acknowledged_at: dt.datetime | None = None
    closed_at: dt.datetime | None = None
    dismiss_reason: str | None = None
    escalated_at: dt.datetime | None = None  # response: last escalation (missed clock or by hand)
    # response: the deadline that matters most now — the oldest unanswered miss, else the nearest
    # running clock (the console's queue sorts on it; see response/urgency.py)
    urgent_due_at: dt.datetime | None = None
    # console: grouping fixed by hand. An absorbed incident is state "merged" and names its survivor;
    # the survivor lists what it absorbed; an incident split out of another names it.
    merged_into: str | None = None
    merged_from: list[str] = Field(default_factory=list)
    split_from: str | None = None
    created_by: str | None = None  # a person who opened it by hand (analysis-created ones have none)
    created_at: dt.datetime
    updated_at: dt.datetime


# --- response -------------------------------------------------------------------------------------


class Clock(Doc):
    kind: ClassVar[str] = "clocks"

    id: str  # stable_id(incident_id, rule_id)
    incident_id: str
    rule_id: str
    name_zh: str
    opened_at: dt.datetime
    due_at: dt.datetime
    state: ClockState = "running"
    owner_office: str
    met_by: str = "release"
    met_at: dt.datetime | None = None
    evidence: dict[str, Any] = Field(default_factory=dict)
    reminders_sent: list[str] = Field(default_factory=list)  # the remind_before durations already sent, e.g. ["2h"]
    missed_at: dt.datetime | None = None
    escalated_at: dt.datetime | None = None
    waived_reason: str | None = None
    waived_by: str | None = None  # response: who waived it (a person, or the system on close/dismiss)
    waived_at: dt.datetime | None = None
    # response: the configured duration applied (after any per-jurisdiction override) and where
    duration: str | None = None
    jurisdiction: str | None = None
    last_reminder_at: dt.datetime | None = None  # when the sweep last recorded a reminder as due

    def is_overdue(self, now: dt.datetime) -> bool:
        """Past due and not answered: running past its deadline, or missed without a late answer."""
        return self.due_at <= now and (self.state == "running" or (self.state == "missed" and self.met_at is None))


def unresolved_clock_filter() -> dict[str, Any]:
    """An Elasticsearch filter for the clocks still owed: running, or missed and not answered since
    (a late release resolves a miss; a waived or met clock is settled)."""
    return {"bool": {"should": [
        {"term": {"state": "running"}},
        {"bool": {"filter": [{"term": {"state": "missed"}}], "must_not": [{"exists": {"field": "met_at"}}]}},
    ], "minimum_should_match": 1}}


ReleaseStatus = Literal["matched", "pending", "confirmed", "rejected"]


class ReviewStep(BaseModel):
    step: Literal["drafter", "office_head", "unit_head", "confidentiality"]
    reviewer: str
    at: dt.datetime
    approved: bool = True


class Release(Doc):
    kind: ClassVar[str] = "releases"

    id: str
    incident_id: str
    office: str
    channel: str  # website, weibo, wechat, press_conference, briefing, interview, hotline, …
    url: str | None = None
    title: str = ""
    published_at: dt.datetime
    detected: bool = False  # found in the crawl of an official source (vs. recorded by hand)
    mention_id: str | None = None
    reviews: list[ReviewStep] = Field(default_factory=list)
    states_facts: bool = False
    states_measures: bool = False
    states_result: bool = False
    rebuts_rumour: bool = False
    press_conference: bool = False  # response: a press conference was held
    recorded_by: str | None = None
    recorded_at: dt.datetime
    # response: what kind of release it is (config/releases.yaml kinds; policy_document, other) and why
    release_kind: str = "other"
    kind_cue: str = ""
    # response: how sure detection is that it answers the incident (0–1) and why; a doubtful match is
    # "pending" (待确认) until the office confirms or rejects it. Only matched/confirmed ones count.
    status: ReleaseStatus = "matched"
    match_score: float | None = None
    match_reasons: list[str] = Field(default_factory=list)
    decided_by: str | None = None
    decided_at: dt.datetime | None = None
    decision_reason: str | None = None
    # response: the sentences that state each content part (facts, measures, result, rebuttal)
    content: dict[str, list[str]] = Field(default_factory=dict)
    text: str = ""  # the release text, for a release recorded by hand
    review_recorded_by: str | None = None  # who recorded the review of a detected release, and when
    review_recorded_at: dt.datetime | None = None

    @property
    def counts(self) -> bool:
        """Whether it answers the incident (matched, or confirmed by the office)."""
        return self.status in ("matched", "confirmed")

    @property
    def review_recorded(self) -> bool:
        return bool(self.reviews)


class AuditEvent(Doc):
    kind: ClassVar[str] = "audit"

    id: str
    entity: Literal["incident", "clock", "release", "delivery", "alert", "config", "source"]
    entity_id: str
    action: str
    actor: str  # a user name, or "system:<component>"
    at: dt.datetime
    reason: str = ""
    before: dict[str, Any] = Field(default_factory=dict)
    after: dict[str, Any] = Field(default_factory=dict)


# --- alerts ---------------------------------------------------------------------------------------


class Delivery(Doc):
    kind: ClassVar[str] = "deliveries"

    id: str  # stable_id(alert key, channel, recipient): the idempotency key sent to the channel
    alert_key: str  # e.g. incident:<id>:state:<state> or clock:<id>:missed
    rule_id: str
    incident_id: str | None = None
    clock_id: str | None = None
    channel_id: str
    channel_type: str
    recipient: str  # contact name
    office: str | None = None
    role: str | None = None
    ladder_step: int = 0
    level: SeverityLevel | None = None
    title: str
    body: str
    state: Literal["pending", "sending", "sent", "failed", "suppressed"] = "pending"
    attempts: int = 0
    next_attempt_at: dt.datetime | None = None
    last_error: str | None = None
    response: dict[str, Any] = Field(default_factory=dict)
    created_at: dt.datetime
    sent_at: dt.datetime | None = None
    acknowledged_by: str | None = None
    acknowledged_at: dt.datetime | None = None
    # alerts: one message per target per batch (aggregation), crash-safe sending
    target: str | None = None  # "<channel_id>:<recipient key>": who gets the message
    # every contact name the message reaches (a group robot reaches several)
    recipients: list[str] = Field(default_factory=list)
    alert_kind: str | None = None  # the rule kind: new_incident, clock_missed, …
    source_id: str | None = None  # for source_silent / source_failing
    facts: dict[str, Any] = Field(default_factory=dict)  # structured message content, rendered per channel format
    batch_id: str | None = None  # the message this delivery went out in (idempotency key sent)
    sending_at: dt.datetime | None = None  # when the send began (a stale "sending" means a crash)


# --- reports and source health --------------------------------------------------------------------


class Report(Doc):
    kind: ClassVar[str] = "reports"

    id: str
    report_type: Literal["daily", "weekly", "monthly", "incident", "assessment", "office_stats"]
    subject: str  # the date, or the incident id
    title: str
    generated_at: dt.datetime
    figures: dict[str, Any] = Field(default_factory=dict)
    files: dict[str, str] = Field(default_factory=dict)  # format -> path


class Assessment(Doc):
    kind: ClassVar[str] = "assessments"

    id: str
    incident_id: str
    office: str | None = None
    score: float
    indicators: list[dict[str, Any]] = Field(default_factory=list)  # id, name_zh, weight, score, detail
    clocks: list[dict[str, Any]] = Field(default_factory=list)
    generated_at: dt.datetime
    # reports: delays, channels, before/after-release figures; the grade and the incident's close time
    figures: dict[str, Any] = Field(default_factory=dict)
    grade: str | None = None
    closed_at: dt.datetime | None = None


class SourceHealth(Doc):
    kind: ClassVar[str] = "source_health"

    id: str  # stable_id(source_id, run_id)
    source_id: str
    run_id: str
    started_at: dt.datetime
    finished_at: dt.datetime
    items_found: int = 0
    items_new: int = 0
    items_failed: int = 0
    failure_reasons: dict[str, int] = Field(default_factory=dict)
    last_success_at: dt.datetime | None = None
    last_new_at: dt.datetime | None = None  # when the source last produced a new item
    items_updated: int = 0  # items seen before whose content changed (e.g. a board reply arrived)
    error_rate: float = 0.0
    # login_required: a login page (or a redirect to one) came back instead of content: an expired cookie
    status: Literal["ok", "degraded", "failing", "silent", "login_required"] = "ok"

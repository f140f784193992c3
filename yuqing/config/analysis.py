"""``config/analysis.yaml``: sentiment, negation, handling kinds, incident grouping and severity."""

from __future__ import annotations

import itertools
from typing import Literal

from pydantic import Field, model_validator

from yuqing.config.base import Model, SpanField


class SentimentSettings(Model):
    negative_below: float = Field(default=-0.075, ge=-1, le=1)
    positive_above: float = Field(default=0.15, ge=-1, le=1)
    # How much the project's lexicon (government-opinion negatives such as 暴力执法) moves the
    # trained model's score: final = clip(model + lexicon_weight * tanh(lexicon sum)).
    lexicon_weight: float = Field(default=0.48, ge=0, le=2)
    # Extra lexicon terms with signed weights (negative below 0), added to the shipped lexicon
    # (analysis/lexicon.py) — e.g. a deployment's or the demo's own wording (demo/config/analysis.yaml).
    terms: dict[str, float] = {}


class NegationSettings(Model):
    """A term is negated when a negator stands before it in the same clause ("并未造成人员伤亡")."""

    negators: list[str] = ["未", "没有", "没", "无", "并非", "不是", "否认", "排除", "避免", "不存在", "暂无", "尚无"]
    # Words that start like a negator but are not one (无辜群众死亡 is not negated).
    not_negators: list[str] = ["无辜", "无法", "无数", "无奈", "无情", "无故", "无视", "无良", "没想到", "未成年",
                               "未来", "未知", "无证", "未经", "无效"]
    window: int = Field(default=8, ge=1, le=30)  # characters looked back, within the clause


class IncidentSettings(Model):
    window: SpanField = Field(default="72h")  # type: ignore[assignment]
    near_duplicate_hamming: int = Field(default=6, ge=0, le=64)
    min_shared_keywords: int = Field(default=2, ge=1)
    min_keyword_similarity: float = Field(default=0.35, ge=0, le=1)
    trend_bucket: SpanField = Field(default="1h")  # type: ignore[assignment]
    keywords: int = Field(default=10, ge=1, le=50)  # keywords kept per mention and per incident
    event_types: dict[str, list[str]] = {}


class SeverityThreshold(Model):
    """An incident reaches a level when its score is at least ``min_score``."""

    level: str = Field(pattern=r"^(I|II|III|IV)$")
    min_score: float


FigureKind = Literal["deaths", "injured", "serious_injuries", "missing", "trapped", "economic_loss"]
LevelName = Literal["I", "II", "III", "IV"]
# 《生产安全事故报告和调查处理条例》（国务院令第493号）第三条: a level is reached by any one figure
# at or above its minimum (deaths; serious injuries incl. acute industrial poisoning; direct
# economic loss in yuan). IV ("below III") is reached by any stated death or serious injury.
NATIONAL_ACCIDENT_TABLE: dict[LevelName, dict[FigureKind, float]] = {
    "I": {"deaths": 30, "serious_injuries": 100, "economic_loss": 1e8},
    "II": {"deaths": 10, "serious_injuries": 50, "economic_loss": 5e7},
    "III": {"deaths": 3, "serious_injuries": 10, "economic_loss": 1e7},
    "IV": {"deaths": 1, "serious_injuries": 1},
}


class CasualtySettings(Model):
    """How casualty figures grade an emergency (domain §3): per kind of emergency, the minimum figure
    for each level; which incidents the figures grade; which source's figure counts."""

    # Incidents touching one of these priorities are graded by their figures (empty: every incident).
    priorities: list[str] = ["emergency"]
    # Kind of emergency → the incident event types (analysis.incidents.event_types) that make it;
    # an incident of none of them is `default_kind`.
    kinds: dict[str, list[str]] = {}
    default_kind: str = "accident"
    # Kind of emergency → level → figure kind → minimum. A kind without its own table uses the
    # default kind's; the default kind without one uses the national accident table.
    tables: dict[str, dict[LevelName, dict[FigureKind, float]]] = {}
    # Whose figure counts: the most authoritative source's latest figure; earlier in this list is
    # more authoritative ("official" = an official source; the rest are media tiers).
    authority: list[str] = ["official", "central", "provincial", "local", "self_media"]
    # An official source stating the event's grade (认定为较大事故, 一起重大道路交通事故) sets the level.
    official_grading: bool = True

    @model_validator(mode="after")
    def _check(self) -> CasualtySettings:
        for kind, table in self.tables.items():
            order = [lv for lv in ("I", "II", "III", "IV") if lv in table]
            for hi, lo in itertools.pairwise(order):
                for fig, minimum in table[lo].items():
                    above = table[hi].get(fig)
                    if above is not None and above < minimum:
                        raise ValueError(f"tables.{kind}.{hi}.{fig} ({above:g}) is below level {lo}'s {minimum:g}")
        if self.default_kind in self.kinds or self.default_kind in self.tables or not self.tables:
            return self
        raise ValueError(f"default_kind {self.default_kind!r} has no table and is no kind")

    def table(self, kind: str) -> dict[LevelName, dict[FigureKind, float]]:
        return self.tables.get(kind) or self.tables.get(self.default_kind) or NATIONAL_ACCIDENT_TABLE


class SpreadStep(Model):
    """A spread speed (new interactions per hour) from which ``points`` are added to the score."""

    min_per_hour: float = Field(gt=0)
    points: float = Field(ge=0)
    label: str  # how the reason names this speed (较快, 很快, 极快)


class SpreadSpeedSettings(Model):
    """How fast an incident's posts spread weighs in its score: the engagement snapshots' growth
    (reposts + comments + likes per hour, summed over the incident's mentions, latest snapshot each);
    the highest step reached adds its points. ``steps: []`` turns it off."""

    steps: list[SpreadStep] = [
        SpreadStep(min_per_hour=200, points=0.5, label="较快"),
        SpreadStep(min_per_hour=1000, points=1.0, label="很快"),
        SpreadStep(min_per_hour=5000, points=1.5, label="极快"),
    ]

    @model_validator(mode="after")
    def _ascending(self) -> SpreadSpeedSettings:
        speeds = [s.min_per_hour for s in self.steps]
        if speeds != sorted(speeds) or len(set(speeds)) != len(speeds):
            raise ValueError(f"steps must rise by min_per_hour, got {speeds}")
        return self


class SeveritySettings(Model):
    thresholds: list[SeverityThreshold]
    tier_weights: dict[str, float]
    priority_weight: float = 1.0
    reach_weight: float = 1.0
    velocity_weight: float = 1.0
    negative_weight: float = 1.0
    spread_speed: SpreadSpeedSettings = SpreadSpeedSettings()
    # The spread score alone never makes an incident more severe than this: 重大 and 特别重大 (and so
    # the 5 h / 24 h clocks) rest on casualty figures or an official grading (domain §3).
    score_max_level: LevelName = "III"
    casualties: CasualtySettings = CasualtySettings()


class HandlingSettings(Model):
    """Terms for the handling kinds of domain §4 that no priority decides by itself."""

    suggestion: list[str] = []
    difficulty: list[str] = []
    confusion: list[str] = []
    wrong_opinion: list[str] = []


class BoardSettings(Model):
    """A message-board item of one of ``kinds`` touches ``priority`` even without its terms."""

    priority: str | None = "public_interest"
    kinds: list[str] = ["suggestion", "difficulty"]


class FailureSettings(Model):
    """A mention whose analysis fails is tried again at the next runs; after ``max_attempts`` failed
    attempts it is set aside as failed (shown to operators, no longer retried)."""

    max_attempts: int = Field(default=3, ge=1, le=100)


class EmotionSettings(Model):
    """Surprise has no labelled development rows: these cue words give it ``surprise_score``."""

    surprise_terms: list[str] = ["震惊", "惊呆", "竟然", "居然", "没想到", "不敢相信", "吃惊", "天哪", "[吃惊]"]
    surprise_score: float = Field(default=0.6, ge=0, le=1)


class FalseInfoSettings(Model):
    """The rumour model flags a non-official mention at ``model_threshold`` (chosen by grouped
    cross-validation, see docs/analysis.md); an official mention with a rebuttal term in an
    incident is the rebuttal the other members' evidence links to."""

    model_threshold: float = Field(default=0.225, gt=0, le=1)
    # Media tiers where the model alone may flag (rumours spread on self-media; an outlet's report is
    # edited before it appears, and an accident report reads like the accident rumours the model saw).
    # A text of unknown tier (``yuqing analyze-text``) counts as self-media. The wording rules apply everywhere.
    model_tiers: list[str] = ["self_media"]
    # Kinds of document the model alone never flags: a message to a government board is addressed to
    # the office that must answer it, not spread (its pleas read like CED's "help" rumours).
    model_skip_doc_types: list[str] = ["board_message"]
    rebuttal_terms: list[str] = ["辟谣", "不实信息", "系谣言", "是谣言", "纯属虚构", "虚假信息", "不信谣"]


class AnalysisConfig(Model):
    sentiment: SentimentSettings = SentimentSettings()
    negation: NegationSettings = NegationSettings()
    incidents: IncidentSettings = IncidentSettings()
    severity: SeveritySettings
    handling: HandlingSettings = HandlingSettings()
    board_messages: BoardSettings = BoardSettings()
    failures: FailureSettings = FailureSettings()
    emotion: EmotionSettings = EmotionSettings()
    false_info: FalseInfoSettings = FalseInfoSettings()
    user_dictionary: list[str] = []  # extra jieba words (government and priority terms)

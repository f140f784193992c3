"""``config/analysis.yaml``: sentiment, negation, handling kinds, incident grouping and severity."""

from __future__ import annotations

from pydantic import Field

from yuqing.config.base import Model, SpanField


class SentimentSettings(Model):
    negative_below: float = Field(default=-0.2, ge=-1, le=1)
    positive_above: float = Field(default=0.2, ge=-1, le=1)
    # How much the project's lexicon (government-opinion negatives such as 暴力执法) moves the
    # trained model's score: final = clip(model + lexicon_weight * tanh(lexicon sum)).
    lexicon_weight: float = Field(default=0.6, ge=0, le=2)


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


class SeveritySettings(Model):
    thresholds: list[SeverityThreshold]
    tier_weights: dict[str, float]
    priority_weight: float = 1.0
    reach_weight: float = 1.0
    velocity_weight: float = 1.0
    negative_weight: float = 1.0
    # Terms that alone make an emergency at least this level (deaths, mass casualties).
    casualty_terms: dict[str, list[str]] = {}


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


class AnalysisConfig(Model):
    sentiment: SentimentSettings = SentimentSettings()
    negation: NegationSettings = NegationSettings()
    incidents: IncidentSettings = IncidentSettings()
    severity: SeveritySettings
    handling: HandlingSettings = HandlingSettings()
    board_messages: BoardSettings = BoardSettings()
    user_dictionary: list[str] = []  # extra jieba words (government and priority terms)

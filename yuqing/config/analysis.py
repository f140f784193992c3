"""``config/analysis.yaml``: sentiment, negation, handling kinds, incident grouping and severity."""

from __future__ import annotations

from pydantic import Field

from yuqing.config.base import DurationField, Model


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
    window: DurationField = Field(default="72h")  # type: ignore[assignment]
    near_duplicate_hamming: int = Field(default=6, ge=0, le=64)
    min_shared_keywords: int = Field(default=2, ge=1)
    min_keyword_similarity: float = Field(default=0.35, ge=0, le=1)
    trend_bucket: DurationField = Field(default="1h")  # type: ignore[assignment]
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


class EmotionSettings(Model):
    """Surprise has no labelled development rows: these cue words give it ``surprise_score``."""

    surprise_terms: list[str] = ["震惊", "惊呆", "竟然", "居然", "没想到", "不敢相信", "吃惊", "天哪", "[吃惊]"]
    surprise_score: float = Field(default=0.6, ge=0, le=1)


class FalseInfoSettings(Model):
    """The rumour model flags a non-official mention at ``model_threshold`` (chosen by grouped
    cross-validation, see docs/analysis.md); an official mention with a rebuttal term in an
    incident is the rebuttal the other members' evidence links to."""

    model_threshold: float = Field(default=0.4, gt=0, le=1)
    # Media tiers where the model alone may flag (rumours spread on self-media; an outlet's report is
    # edited before it appears, and an accident report reads like the accident rumours the model saw).
    # A text of unknown tier (``yuqing analyze-text``) counts as self-media. The wording rules apply everywhere.
    model_tiers: list[str] = ["self_media"]
    rebuttal_terms: list[str] = ["辟谣", "不实信息", "系谣言", "是谣言", "纯属虚构", "虚假信息", "不信谣"]


class AnalysisConfig(Model):
    sentiment: SentimentSettings = SentimentSettings()
    negation: NegationSettings = NegationSettings()
    incidents: IncidentSettings = IncidentSettings()
    severity: SeveritySettings
    handling: HandlingSettings = HandlingSettings()
    board_messages: BoardSettings = BoardSettings()
    emotion: EmotionSettings = EmotionSettings()
    false_info: FalseInfoSettings = FalseInfoSettings()
    user_dictionary: list[str] = []  # extra jieba words (government and priority terms)

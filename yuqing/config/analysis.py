"""``config/analysis.yaml``: sentiment, incident grouping and severity thresholds."""

from __future__ import annotations

from pydantic import Field

from yuqing.config.base import DurationField, Model


class SentimentSettings(Model):
    negative_below: float = Field(default=-0.2, ge=-1, le=1)
    positive_above: float = Field(default=0.2, ge=-1, le=1)


class IncidentSettings(Model):
    window: DurationField = Field(default="72h")  # type: ignore[assignment]
    near_duplicate_hamming: int = Field(default=6, ge=0, le=64)
    min_shared_keywords: int = Field(default=2, ge=1)
    min_keyword_similarity: float = Field(default=0.35, ge=0, le=1)


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


class AnalysisConfig(Model):
    sentiment: SentimentSettings = SentimentSettings()
    incidents: IncidentSettings = IncidentSettings()
    severity: SeveritySettings
    user_dictionary: list[str] = []  # extra jieba words (government and priority terms)

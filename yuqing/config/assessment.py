"""``config/assessment.yaml``: the indicator system for post-incident response assessments.

Each indicator has a weight (normalised over the indicators that apply to an incident) and, where
its score depends on a threshold, the threshold itself: time indicators score 100 within
``full_within`` and 0 after ``zero_after`` (linear between), ``channels`` scores full at ``target``
distinct channels, ``sentiment`` at a drop of ``swing`` in the negative share.
"""

from __future__ import annotations

from typing import Self

from pydantic import Field, model_validator

from yuqing.config.base import Model, SpanField, SpanOrZeroField

# The indicators the reports package knows how to score (reports/assessment.py).
KNOWN_INDICATORS = ("timeliness", "detection", "acknowledgement", "content", "channels", "review", "rumour",
                    "sentiment")


class Indicator(Model):
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    name_zh: str
    weight: float = Field(ge=0)
    full_within: SpanOrZeroField | None = None  # time indicators: full score at or under this delay
    zero_after: SpanField | None = None  # time indicators: zero at or over this delay
    target: float | None = Field(default=None, gt=0)  # channels: distinct channels for a full score
    swing: float | None = Field(default=None, gt=0, le=1)  # sentiment: share change for full/zero score

    @model_validator(mode="after")
    def _check(self) -> Self:
        if self.id not in KNOWN_INDICATORS:
            raise ValueError(f"unknown indicator {self.id!r}; known: {', '.join(KNOWN_INDICATORS)}")
        if (self.full_within is None) != (self.zero_after is None):
            raise ValueError("full_within and zero_after go together")
        if self.full_within is not None and self.zero_after is not None:
            if self.full_within.is_working_days or self.zero_after.is_working_days:
                raise ValueError("full_within/zero_after must be clock durations (h, m), not working days")
            if self.zero_after.as_timedelta() <= self.full_within.as_timedelta():
                raise ValueError("zero_after must be longer than full_within")
        return self


class Grade(Model):
    min_score: float = Field(ge=0, le=100)
    name_zh: str


class AssessmentConfig(Model):
    indicators: list[Indicator] = Field(min_length=1)
    # Share of performance assessment that disclosure work must carry at least (000 §六(三)).
    min_performance_weight: float = 0.04
    # A clock met late keeps this share of its score, shrinking to 0 when late by its whole allowed span.
    late_credit: float = Field(default=0.5, ge=0, le=1)
    grades: list[Grade] = [
        Grade(min_score=90, name_zh="优秀"), Grade(min_score=75, name_zh="良好"),
        Grade(min_score=60, name_zh="合格"), Grade(min_score=0, name_zh="不合格"),
    ]

    @model_validator(mode="after")
    def _check(self) -> Self:
        ids = [i.id for i in self.indicators]
        if len(ids) != len(set(ids)):
            raise ValueError("each indicator id may appear once")
        if sum(i.weight for i in self.indicators) <= 0:
            raise ValueError("the indicator weights must not all be zero")
        return self

    def indicator(self, indicator_id: str) -> Indicator | None:
        return next((i for i in self.indicators if i.id == indicator_id), None)

    def grade(self, score: float) -> str:
        for g in sorted(self.grades, key=lambda g: g.min_score, reverse=True):
            if score >= g.min_score:
                return g.name_zh
        return ""

"""``config/assessment.yaml``: the indicator system for post-incident response assessments."""

from __future__ import annotations

from pydantic import Field

from yuqing.config.base import Model


class Indicator(Model):
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    name_zh: str
    weight: float = Field(ge=0)


class AssessmentConfig(Model):
    indicators: list[Indicator] = Field(min_length=1)
    # Share of performance assessment that disclosure work must carry at least (000 §六(三)).
    min_performance_weight: float = 0.04

"""``config/priorities.yaml``: the collection priorities (舆情收集重点) and their sub-topics.

Adding a term or a sub-topic is a configuration change only.
"""

from __future__ import annotations

from pydantic import Field

from yuqing.config.base import Model

ID = r"^[a-z][a-z0-9_]*$"


class Subtopic(Model):
    id: str = Field(pattern=ID)
    name_zh: str
    priority: str  # the collection priority this sub-topic belongs to
    terms: list[str] = Field(min_length=1)
    weight: float = Field(default=1.0, gt=0)


class Priority(Model):
    id: str = Field(pattern=ID)
    name_zh: str
    description_zh: str
    weight: float = Field(default=1.0, gt=0)
    terms: list[str] = Field(min_length=1)
    exclude_terms: list[str] = []


class PrioritiesConfig(Model):
    priorities: list[Priority]
    subtopics: list[Subtopic] = []

    def priority_ids(self) -> list[str]:
        return [p.id for p in self.priorities]

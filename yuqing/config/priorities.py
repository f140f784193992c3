"""``config/priorities.yaml``: the collection priorities (舆情收集重点) and their sub-topics.

Adding a term or a sub-topic is a configuration change only. A priority fires on a mention when
its matched terms score at least ``min_score``: each distinct strong term (``terms``) counts 1,
each distinct weak term (``weak_terms``) counts ``weak_weight``; a negated term ("并未发生火灾")
and any ``exclude_terms`` match (演练, 游戏…) suppress it. A sub-topic tags a mention that
already touches some priority; a ``standalone`` sub-topic fires on its own and then also adds
its priority.
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
    standalone: bool = False  # fires without another priority hit (and then adds its priority)


class Priority(Model):
    id: str = Field(pattern=ID)
    name_zh: str
    description_zh: str
    weight: float = Field(default=1.0, gt=0)
    terms: list[str] = Field(min_length=1)  # strong terms: one alone is enough
    weak_terms: list[str] = []  # each counts ``weak_weight``; several together are enough
    exclude_terms: list[str] = []  # any of these in the text: the priority does not fire
    min_score: float = Field(default=1.0, gt=0)
    official: bool = True  # whether mentions from official sources can touch this priority


class PrioritiesConfig(Model):
    priorities: list[Priority]
    subtopics: list[Subtopic] = []
    weak_weight: float = Field(default=0.5, gt=0, le=1)

    def priority_ids(self) -> list[str]:
        return [p.id for p in self.priorities]

    def name_of(self, topic_id: str) -> str:
        """The Chinese name of a priority or sub-topic, else the id itself."""
        for p in self.priorities:
            if p.id == topic_id:
                return p.name_zh
        for s in self.subtopics:
            if s.id == topic_id:
                return s.name_zh
        return topic_id

"""``config/releases.yaml``: what a release is (its kind), when it answers an incident, what it must say.

- ``kinds``: the release kinds (情况通报, 通告, 警情通报, 声明, 辟谣, 新闻发布会, 政策解读, 答复, …), each
  with the cue terms that classify a detected post by its headline (``title_cues``) or, failing
  that, by its text (``text_cues``). Kinds are tried in order; the first cue found decides.
  ``clocks.yaml`` names, per clock rule, the kinds that can meet it (``release_kinds``).
- ``match``: how sure detection must be that an official post answers an incident. The score (0–1)
  adds the configured weight of each piece of evidence; at or above ``meet_at`` the release meets
  the clocks of its kind, between ``confirm_at`` and ``meet_at`` it waits for the office to
  confirm it (待确认), below ``confirm_at`` it is not a release for that incident.
- ``content``: cue terms of the parts a response states (facts, measures, handling result,
  rebuttal), judged sentence by sentence (003 二(五); 000 §三(三)).
- ``handling``: the parts each handling kind requires (domain §4, 000 §三(三)).
"""

from __future__ import annotations

from typing import Literal, Self

from pydantic import Field, model_validator

from yuqing.clock import Duration
from yuqing.config.base import DurationField, Model

ContentPart = Literal["facts", "measures", "result", "rebuttal"]
CONTENT_PART_ZH: dict[str, str] = {"facts": "事实真相", "measures": "政策措施", "result": "处置结果",
                                   "rebuttal": "辟谣澄清"}
POLICY_DOCUMENT_KIND = "policy_document"  # a numbered document (文号): it opens clocks, never meets one
OTHER_KIND = "other"  # an official post no cue classifies
HANDLING_KINDS = ("suggestion", "difficulty", "major_problem", "confusion", "wrong_opinion", "false_info")


class ReleaseKind(Model):
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    name_zh: str
    title_cues: list[str] = []  # found in the headline (a post's 【…】 headline or first sentence)
    text_cues: list[str] = []  # found in the text when no headline cue of any kind matched
    # A post on an official social account that no cue classifies is this kind (an account statement).
    default_for_accounts: bool = False


class MatchRule(Model):
    """Evidence weights and thresholds for tying a detected release to an incident."""

    window: DurationField = Duration.parse("7 days")  # untied posts: published within this of the incident
    min_shared_keywords: int = Field(default=2, ge=1)  # untied posts: at least this many shared keywords
    tied_weight: float = Field(default=0.4, ge=0, le=1)  # the analysis grouped the post into the incident
    keyword_weight: float = Field(default=0.2, ge=0, le=1)  # per shared incident keyword
    keyword_cap: float = Field(default=0.6, ge=0, le=1)  # keywords add at most this
    doc_no_weight: float = Field(default=0.6, ge=0, le=1)  # the text cites the policy document's 文号
    doc_title_weight: float = Field(default=0.5, ge=0, le=1)  # the text names the policy document's title
    meet_at: float = Field(default=0.6, gt=0, le=1)  # at or above: the release meets its clocks
    confirm_at: float = Field(default=0.3, gt=0, le=1)  # at or above (below meet_at): 待确认

    @model_validator(mode="after")
    def _check(self) -> Self:
        if self.confirm_at > self.meet_at:
            raise ValueError("confirm_at must not exceed meet_at")
        return self


class ContentCues(Model):
    facts: list[str] = Field(min_length=1)
    measures: list[str] = Field(min_length=1)
    result: list[str] = Field(min_length=1)
    rebuttal: list[str] = Field(min_length=1)

    def cues(self, part: str) -> list[str]:
        return list(getattr(self, part))


class HandlingRequirement(Model):
    parts: list[ContentPart] = Field(min_length=1)  # what a release for this handling kind must state
    description_zh: str  # what the office must publish, in words (shown with what is missing)


class ReleasesConfig(Model):
    kinds: list[ReleaseKind] = Field(min_length=1)
    match: MatchRule = MatchRule()
    content: ContentCues
    # Parts every response should state (003 二(五): 讲清事实真相、有关政策措施、处置结果).
    content_parts: list[ContentPart] = ["facts", "measures", "result"]
    handling: dict[str, HandlingRequirement] = {}  # handling kind -> requirement

    @model_validator(mode="after")
    def _check(self) -> Self:
        ids = [k.id for k in self.kinds]
        if len(ids) != len(set(ids)):
            raise ValueError("each release kind id may appear once")
        unknown = set(self.handling) - set(HANDLING_KINDS)
        if unknown:
            raise ValueError(f"unknown handling kinds {sorted(unknown)}; known: {', '.join(HANDLING_KINDS)}")
        reserved = {POLICY_DOCUMENT_KIND, OTHER_KIND} & set(ids)
        if reserved:
            raise ValueError(f"release kind ids {sorted(reserved)} are reserved")
        return self

    def kind_ids(self) -> list[str]:
        return [k.id for k in self.kinds]

    def kind_zh(self, kind: str | None) -> str:
        if kind == POLICY_DOCUMENT_KIND:
            return "政策文件"
        for k in self.kinds:
            if k.id == kind:
                return k.name_zh
        return "其他发布"

    def missing_parts(self, handling_kind: str | None, stated: set[str]) -> list[str]:
        """The parts the handling kind requires that ``stated`` lacks (empty when none is configured)."""
        requirement = self.handling.get(handling_kind) if handling_kind else None
        return [p for p in requirement.parts if p not in stated] if requirement else []

"""``config/clocks.yaml``: the response clocks (时限) the rules open, with reminders and escalation."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from yuqing.clock import Duration
from yuqing.config.base import DurationField, Model, SpanField
from yuqing.config.routing import SeverityLevel

ClockTrigger = Literal["incident", "policy_document", "board_message"]


class ClockApplies(Model):
    trigger: ClockTrigger = "incident"
    levels: list[SeverityLevel] = []  # empty: any level
    priorities: list[str] = []  # empty: any priority
    # When true the clock opens only if no more specific incident clock applies (the 48 h default).
    fallback: bool = False


class ClockRule(Model):
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    name_zh: str
    applies: ClockApplies
    duration: DurationField
    # Per-jurisdiction override of the duration (e.g. the 3-working-day policy rule is local).
    by_jurisdiction: dict[str, DurationField] = {}
    remind_before: list[SpanField] = []
    # What counts as meeting it: any official release, or only a press conference.
    met_by: Literal["release", "press_conference", "reply"] = "release"


class ReleaseMatch(Model):
    """How an official post without an ``incident_id`` is matched to an incident (release detection)."""

    window: DurationField = Duration.parse("7 days")  # after the incident's first appearance
    min_shared_keywords: int = Field(default=2, ge=1)
    # Text cues that make a post a press conference (meets press_conference clocks).
    press_conference_terms: list[str] = ["新闻发布会", "发布会", "新闻通气会"]


class ClocksConfig(Model):
    rules: list[ClockRule] = Field(min_length=1)
    release_match: ReleaseMatch = ReleaseMatch()

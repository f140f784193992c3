"""``config/clocks.yaml``: the response clocks (时限) the rules open, with reminders and escalation."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

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
    # The release kinds (config/releases.yaml) that can meet it; the item that opened it never does.
    release_kinds: list[str] = Field(min_length=1)
    # Whose release counts: the side responsible for the incident (its office, or a government at or
    # above its place), or the body that issued the document that opened the clock, or a government
    # above that body (政策解读: "by the issuing body or its superior").
    publisher: Literal["responsible", "issuer"] = "responsible"


class ClocksConfig(Model):
    rules: list[ClockRule] = Field(min_length=1)

    def rule(self, rule_id: str) -> ClockRule | None:
        return next((r for r in self.rules if r.id == rule_id), None)

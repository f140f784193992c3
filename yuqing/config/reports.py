"""``config/reports.yaml``: how the reports are headed, numbered, advised on and sent.

The header of every report (issuing unit, 签发 line, distribution), the thresholds behind the 研判建议
of the daily, weekly and monthly reports, the level from which a 专报 is written automatically, and
who receives each kind of report on which channel (contacts from ``offices.yaml``, channels from
``alerts.yaml``; secrets stay in the connections).
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from yuqing.config.base import Model
from yuqing.config.routing import SeverityLevel

ReportKind = Literal["daily", "weekly", "monthly", "incident"]
Role = Literal["duty_officer", "office_staff", "office_head", "leader", "administrator"]


class Advice(Model):
    """When a figure becomes a 研判建议 (each suggestion cites the figures that crossed these)."""

    # a collection priority or sub-topic is "rising" when its mentions reach `rising_min_mentions`
    # and grew by at least `rising_ratio` (0.5 = +50 %) over the previous period
    rising_min_mentions: int = Field(default=20, ge=1)
    rising_ratio: float = Field(default=0.5, gt=0)
    # a place has a "negative surge" when it has at least `surge_min_negative` negative mentions,
    # a negative share of at least `surge_share`, up by `surge_rise` (0.15 = 15 points) on the previous period
    surge_min_negative: int = Field(default=10, ge=1)
    surge_share: float = Field(default=0.5, gt=0, le=1)
    surge_rise: float = Field(default=0.15, ge=0, le=1)
    # a false-information incident with at least this many mentions in the period and no release
    # that rebuts it is a rumour to rebut
    rumour_min_mentions: int = Field(default=1, ge=1)
    limit: int = Field(default=5, ge=1, le=30)  # suggestions listed per kind (the rest are counted)


class DeliveryRule(Model):
    """Send the listed kinds of report to the contacts with ``roles`` in ``offices`` (default: the
    duty office) on ``channels``; an email channel carries the files when ``attach`` is true, every
    other channel a summary with the console link."""

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    reports: list[ReportKind]
    roles: list[Role] = ["leader"]
    offices: list[str] = []
    channels: list[str]
    attach: bool = False


class ReportsConfig(Model):
    issuing_unit: str = "省人民政府办公厅舆情监测室"
    signer: str = "分管副秘书长"  # who signs the issue (签发)
    distribution: str = "省政府领导，省政府办公厅各处室，各州（市）人民政府办公室"  # 报送范围
    advice: Advice = Advice()
    special_report_min_level: SeverityLevel = "II"  # a 专报 is written when an incident reaches this level
    delivery: list[DeliveryRule] = []

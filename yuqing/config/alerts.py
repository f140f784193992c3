"""``config/alerts.yaml``: channels, alert rules, suppression, quiet hours and the escalation ladder.

Endpoints and secrets are never here: a channel names a connection (Airflow connection id or
``YUQING_CONN_<ID>`` environment variable) that holds them.
"""

from __future__ import annotations

from typing import Literal
from urllib.parse import urlsplit

from pydantic import Field, field_validator

from yuqing.config.base import DurationField, Model, SpanField, SpanOrZeroField, TimeOfDay
from yuqing.config.routing import SeverityLevel

IncidentState = Literal[
    "new", "assigned", "acknowledged", "responding", "released", "closed", "escalated", "dismissed"
]

ChannelType = Literal["wecom", "dingtalk", "feishu", "email", "sms", "webhook"]
Role = Literal["duty_officer", "office_staff", "office_head", "leader", "administrator"]


class Channel(Model):
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    type: ChannelType
    connection: str  # name of the connection holding the URL / token / secret
    format: Literal["text", "markdown", "card"] = "markdown"
    keyword: str | None = None  # robot keyword security setting: every message must contain it
    name_zh: str | None = None  # what the console calls it (default: the name of its type, e.g. 飞书)
    timeout: SpanField = Field(default="10s", validate_default=True)


class AlertRule(Model):
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    kind: Literal[
        "new_incident", "priority_hit", "mention_spike", "negative_spike",
        "clock_due_soon", "clock_missed", "source_silent", "source_failing",
        "hotlist_entered", "hotlist_top", "source_login", "calendar_missing",
        "level_upgrade",  # a later report's figures raised the incident's level (at or above min_level)
    ]
    min_level: SeverityLevel | None = None  # for incident rules: at or above this severity
    priorities: list[str] = []
    threshold: float | None = None  # spike factor / error rate / hotlist_top: the N of "top N", by kind
    window: SpanField | None = None
    recipients: list[Role] = ["duty_officer"]
    offices: list[str] = []  # empty: the incident's lead office (and the duty desk)
    channels: list[str] = []  # empty: the recipients' own channels
    # Incident rules: the incident states that raise an alert (one alert per state change).
    states: list[IncidentState] = ["new", "assigned", "escalated"]
    min_count: int = Field(default=5, ge=1)  # spikes: mentions needed in the window before a ratio counts


class Suppression(Model):
    realert_after: SpanField = Field(default="1h", validate_default=True)
    backoff_factor: float = Field(default=2.0, ge=1.0)
    max_interval: SpanField = Field(default="24h", validate_default=True)
    aggregate_window: SpanField = Field(default="5m", validate_default=True)


class QuietHours(Model):
    start: TimeOfDay
    end: TimeOfDay
    except_levels: list[SeverityLevel] = ["I", "II"]


class LadderStep(Model):
    role: Role
    after: SpanOrZeroField  # unacknowledged for this long since the alert was first sent


class Ladder(Model):
    levels: list[SeverityLevel]
    steps: list[LadderStep] = Field(min_length=1)
    max_repeats: int = Field(default=3, ge=1)


class Retry(Model):
    max_attempts: int = Field(default=5, ge=1)
    backoff: SpanField = Field(default="1m", validate_default=True)
    # A delivery still "sending" this long after its send began was interrupted by a crash.
    stale_sending: SpanField = Field(default="2m", validate_default=True)


def check_console_url(value: str) -> str:
    """An absolute http(s) address without query or fragment, e.g. ``http://127.0.0.1:8600``."""
    parts = urlsplit(value.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
        raise ValueError("must be the duty console's http(s) address, e.g. http://127.0.0.1:8600 "
                         "(no query or fragment)")
    return value.strip().rstrip("/")


class AlertsConfig(Model):
    channels: list[Channel]
    rules: list[AlertRule]
    suppression: Suppression = Suppression()
    quiet_hours: dict[str, QuietHours] = {}  # by recipient role or contact name
    ladders: list[Ladder] = []
    retry: Retry = Retry()
    # Where the duty console is reached: every link in every alert and report starts here
    # (yuqing/links.py). Required: a wrong or missing address would send officers to dead links.
    console_url: str
    # The duty desk (值班室): its contacts get incident alerts besides the owning office, and it
    # stands in for roles an office has no contact for. Default: offices with a duty_officer contact.
    duty_office: str | None = None
    # Only incidents, clocks and source runs changed within this span are evaluated.
    lookback: DurationField = Field(default="3 days", validate_default=True)

    _console_url = field_validator("console_url")(check_console_url)

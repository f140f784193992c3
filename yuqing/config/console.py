"""``config/console.yaml``: the duty console's sessions and sign-in limits."""

from __future__ import annotations

from pydantic import ConfigDict, Field, model_validator

from yuqing.config.base import DurationField, Model, SpanField


class SessionSettings(Model):
    model_config = ConfigDict(frozen=True, extra="forbid", validate_default=True)

    # A session ends this long after sign-in, whatever happens in between (sign-out ends it sooner).
    max_age: DurationField = Field(default="12h")  # type: ignore[assignment]


class SignInSettings(Model):
    """Wrong passwords per account and per client address before sign-in is refused for a while.

    After ``*_free_attempts`` failures within ``window`` the key is locked for ``lockout``; every
    further failure doubles the lock, up to ``max_lockout``. A success clears the account's count.
    """

    model_config = ConfigDict(frozen=True, extra="forbid", validate_default=True)

    window: DurationField = Field(default="15m")  # type: ignore[assignment]
    account_free_attempts: int = Field(default=5, ge=1, le=1000)
    address_free_attempts: int = Field(default=20, ge=1, le=10000)
    lockout: DurationField = Field(default="1m")  # type: ignore[assignment]
    max_lockout: DurationField = Field(default="1h")  # type: ignore[assignment]

    @model_validator(mode="after")
    def _positive(self) -> SignInSettings:
        for name in ("window", "lockout", "max_lockout"):
            value = getattr(self, name)
            if value.is_working_days or value.as_timedelta().total_seconds() <= 0:
                raise ValueError(f"{name} must be a positive duration in s/m/h/days, got {value}")
        if self.max_lockout.as_timedelta() < self.lockout.as_timedelta():
            raise ValueError("max_lockout must not be shorter than lockout")
        return self


class OverviewSettings(Model):
    """The overview page (舆情概览): how far back its trends reach and how much of each list it shows."""

    model_config = ConfigDict(frozen=True, extra="forbid", validate_default=True)

    days: int = Field(default=7, ge=0, le=366)  # default trend: the last N days per day (0 = today per hour)
    day_choices: tuple[int, ...] = (0, 7, 30)  # the periods offered on the page
    max_days: int = Field(default=90, ge=1, le=366)  # the longest period a request may ask for
    hot_words: int = Field(default=30, ge=1, le=200)  # keywords shown
    places: int = Field(default=15, ge=1, le=100)  # places shown (incidents by place)
    hotlist_entries: int = Field(default=20, ge=1, le=100)  # entries per hot list
    hotlist_history: SpanField = Field(default="24h")  # type: ignore[assignment]  # rank history shown

    @model_validator(mode="after")
    def _within(self) -> OverviewSettings:
        for n in (self.days, *self.day_choices):
            if n > self.max_days:
                raise ValueError(f"{n} days is more than max_days ({self.max_days})")
        return self


class ConsoleConfig(Model):
    sessions: SessionSettings = SessionSettings()
    sign_in: SignInSettings = SignInSettings()
    overview: OverviewSettings = OverviewSettings()

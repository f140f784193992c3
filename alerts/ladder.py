"""The escalation ladder: an incident alert nobody acknowledges climbs duty officer → office head →
leadership on the configured schedule, then repeats at the top at growing intervals, up to
``max_repeats`` times. Pure functions of the alert state and ``now``.
"""

from __future__ import annotations

import datetime as dt

from yuqing.config.alerts import AlertsConfig, Ladder


def ladder_for(config: AlertsConfig, level: str | None) -> Ladder | None:
    if level is None:
        return None
    for ladder in config.ladders:
        if level in ladder.levels:
            return ladder
    return None


def due_step(ladder: Ladder, first_at: dt.datetime, current: int, now: dt.datetime) -> int | None:
    """The highest step above ``current`` whose time has come (skipped steps are not sent late)."""
    best: int | None = None
    for index in range(current + 1, len(ladder.steps)):
        if now >= first_at + ladder.steps[index].after.as_timedelta():
            best = index
    return best


def next_step_at(ladder: Ladder, first_at: dt.datetime, current: int) -> dt.datetime | None:
    if current + 1 >= len(ladder.steps):
        return None
    return first_at + ladder.steps[current + 1].after.as_timedelta()


def interval(config: AlertsConfig, repeat: int) -> dt.timedelta:
    """The wait before re-alert number ``repeat`` (1-based): realert_after × factor^(repeat−1), capped."""
    s = config.suppression
    base = s.realert_after.as_timedelta() * (s.backoff_factor ** max(repeat - 1, 0))
    return min(base, s.max_interval.as_timedelta())

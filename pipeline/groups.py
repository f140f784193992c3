"""Collection groups: the configured sources grouped by schedule, read cheaply at DAG-parse time.

The scheduler parses DAG files every few seconds, so this reads ``sources.yaml`` with a bare YAML
load (no model validation, no Elasticsearch, no connections). Full validation happens when a task
runs and loads the whole configuration.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from pathlib import Path

import yaml

from yuqing.clock import Duration
from yuqing.paths import config_dir

DEFAULT_SCHEDULE = "30m"


@dataclasses.dataclass(frozen=True)
class SourceGroup:
    """Sources crawled together on one schedule."""

    schedule: Duration
    source_ids: tuple[str, ...]

    @property
    def every(self) -> dt.timedelta:
        return self.schedule.as_timedelta()

    @property
    def slug(self) -> str:
        """``5m``, ``2h``, ``1_days``: usable in a DAG id."""
        return re.sub(r"[^a-z0-9]+", "_", str(self.schedule).lower()).strip("_")


def source_groups(path: Path | None = None) -> list[SourceGroup]:
    """Enabled sources grouped by schedule, shortest schedule first."""
    path = path or config_dir() / "sources.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    by_schedule: dict[dt.timedelta, list[str]] = {}
    labels: dict[dt.timedelta, Duration] = {}
    for item in data.get("sources") or []:
        if not isinstance(item, dict) or not item.get("id") or item.get("enabled", True) is False:
            continue
        schedule = Duration.parse(item.get("schedule") or DEFAULT_SCHEDULE)
        if schedule.is_working_days:
            raise ValueError(f"{path}: source {item['id']!r}: a crawl schedule cannot be in working days")
        every = schedule.as_timedelta()  # "15m" and "0.25h" are one group
        labels.setdefault(every, schedule)
        by_schedule.setdefault(every, []).append(str(item["id"]))
    groups = [SourceGroup(labels[every], tuple(ids)) for every, ids in by_schedule.items()]
    return sorted(groups, key=lambda g: g.every)

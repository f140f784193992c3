"""The one loader for ``config/*.yaml``: typed, frozen models, and checks across files.

``load_config()`` reads every file, validates each against its model and then checks what only
makes sense across files (every source's office and place exist, every priority has a clock rule,
routing and alert rules name real offices and channels). The first problem raises one
:class:`~yuqing.errors.ConfigError` naming the file, the field and the value; nothing is written
before the whole configuration is valid.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from yuqing.clock import WorkCalendar
from yuqing.config.alerts import AlertsConfig
from yuqing.config.analysis import AnalysisConfig
from yuqing.config.assessment import AssessmentConfig
from yuqing.config.base import load_model
from yuqing.config.calendar import CalendarConfig
from yuqing.config.clocks import ClocksConfig
from yuqing.config.console import ConsoleConfig
from yuqing.config.offices import OfficesConfig
from yuqing.config.priorities import PrioritiesConfig
from yuqing.config.releases import ReleasesConfig
from yuqing.config.reports import ReportsConfig
from yuqing.config.routing import RoutingConfig
from yuqing.config.sources import SourcesConfig
from yuqing.config.storage import StorageConfig
from yuqing.errors import ConfigError
from yuqing.paths import config_dir

FILES: dict[str, tuple[str, type[BaseModel]]] = {
    "sources": ("sources.yaml", SourcesConfig),
    "priorities": ("priorities.yaml", PrioritiesConfig),
    "offices": ("offices.yaml", OfficesConfig),
    "routing": ("routing.yaml", RoutingConfig),
    "clocks": ("clocks.yaml", ClocksConfig),
    "alerts": ("alerts.yaml", AlertsConfig),
    "analysis": ("analysis.yaml", AnalysisConfig),
    "assessment": ("assessment.yaml", AssessmentConfig),
    "calendar": ("calendar.yaml", CalendarConfig),
    "releases": ("releases.yaml", ReleasesConfig),
    "console": ("console.yaml", ConsoleConfig),
    "storage": ("storage.yaml", StorageConfig),
    "reports": ("reports.yaml", ReportsConfig),
}


@dataclasses.dataclass(frozen=True)
class Config:
    directory: Path
    sources: SourcesConfig
    priorities: PrioritiesConfig
    offices: OfficesConfig
    routing: RoutingConfig
    clocks: ClocksConfig
    alerts: AlertsConfig
    analysis: AnalysisConfig
    assessment: AssessmentConfig
    calendar: CalendarConfig
    releases: ReleasesConfig
    console: ConsoleConfig
    storage: StorageConfig
    reports: ReportsConfig = dataclasses.field(default_factory=ReportsConfig)

    def work_calendar(self) -> WorkCalendar:
        return WorkCalendar(self.calendar.extra_holidays, self.calendar.extra_workdays, self.calendar.covered_years,
                            source=str(self.directory / FILES["calendar"][0]))


def load_config(directory: Path | str | None = None) -> Config:
    base = Path(directory) if directory is not None else config_dir()
    if not base.is_dir():
        raise ConfigError(str(base), "(directory)", None, "configuration directory not found")
    parts: dict[str, Any] = {key: load_model(model, base / name) for key, (name, model) in FILES.items()}
    config = Config(directory=base, **parts)
    check_unique_ids(config)
    check_references(config)
    check_source_types(config)
    return config


def check_source_types(config: Config) -> None:
    """What each source type needs (hot lists and searches: entry selectors, the {keyword} URL)."""
    from yuqing.config.sources import source_problems

    for source in config.sources.sources:
        for field, value, problem in source_problems(source):
            _fail(config, "sources", field, value, problem)


def _fail(config: Config, key: str, field: str, value: object, problem: str) -> None:
    raise ConfigError(str(config.directory / FILES[key][0]), field, value, problem)


# (file key, list attribute, id attribute): lists whose items are looked up by id, so two items
# with one id would silently shadow each other.
UNIQUE_IDS: tuple[tuple[str, str, str], ...] = (
    ("sources", "sources", "id"),
    ("priorities", "priorities", "id"),
    ("priorities", "subtopics", "id"),
    ("offices", "jurisdictions", "code"),
    ("offices", "offices", "id"),
    ("routing", "rules", "id"),
    ("clocks", "rules", "id"),
    ("alerts", "channels", "id"),
    ("alerts", "rules", "id"),
    ("assessment", "indicators", "id"),
    ("reports", "delivery", "id"),
)


def check_unique_ids(config: Config) -> None:
    """Every id is used once in its list; the error names the second item and where the first is."""
    for key, attr, id_attr in UNIQUE_IDS:
        first: dict[str, int] = {}
        for index, item in enumerate(getattr(getattr(config, key), attr)):
            value = getattr(item, id_attr)
            if value in first:
                _fail(config, key, f"{attr}[{index}].{id_attr}", value,
                      f"duplicate {id_attr}: {attr}[{first[value]}] already has it")
            first[value] = index


def check_references(config: Config) -> None:
    """Checks across files; each failure names the file and field holding the dangling reference."""
    codes = {j.code for j in config.offices.jurisdictions}
    office_ids = {o.id for o in config.offices.offices}
    priority_ids = set(config.priorities.priority_ids())
    subtopic_ids = {s.id for s in config.priorities.subtopics}
    channel_ids = {c.id for c in config.alerts.channels}

    for j in config.offices.jurisdictions:
        if j.parent is not None and j.parent not in codes:
            _fail(config, "offices", f"jurisdictions({j.code}).parent", j.parent, "no such jurisdiction")
    for o in config.offices.offices:
        if o.jurisdiction not in codes:
            _fail(config, "offices", f"offices({o.id}).jurisdiction", o.jurisdiction, "no such jurisdiction")
        for c in o.contacts:
            for ch in c.channels:
                if ch not in channel_ids:
                    _fail(config, "offices", f"offices({o.id}).contacts({c.name}).channels", ch,
                          "no such channel in alerts.yaml")
    for s in config.sources.sources:
        if s.jurisdiction not in codes:
            _fail(config, "sources", f"sources({s.id}).jurisdiction", s.jurisdiction,
                  "no such jurisdiction in offices.yaml")
        if s.office is not None and s.office not in office_ids:
            _fail(config, "sources", f"sources({s.id}).office", s.office, "no such office in offices.yaml")
        if s.official and s.office is None:
            _fail(config, "sources", f"sources({s.id}).office", None,
                  "an official source must name the office that publishes there")
    for st in config.priorities.subtopics:
        if st.priority not in priority_ids:
            _fail(config, "priorities", f"subtopics({st.id}).priority", st.priority, "no such priority")
    for r in config.routing.rules:
        for office in [r.lead, *r.supporting, *r.notify]:
            if office not in office_ids and office not in ("place", "place_up", "department"):
                _fail(config, "routing", f"rules({r.id}).lead/supporting/notify", office,
                      "no such office in offices.yaml")
        for p in r.when.priorities:
            if p not in priority_ids:
                _fail(config, "routing", f"rules({r.id}).when.priorities", p, "no such priority")
        for st_id in r.when.subtopics:
            if st_id not in subtopic_ids:
                _fail(config, "routing", f"rules({r.id}).when.subtopics", st_id, "no such sub-topic")
    for category, by_place in config.routing.departments.items():
        for code, office in by_place.items():
            if code not in codes:
                _fail(config, "routing", f"departments({category})", code, "no such jurisdiction in offices.yaml")
            if office not in office_ids:
                _fail(config, "routing", f"departments({category}).{code}", office, "no such office in offices.yaml")
    for rule in config.clocks.rules:
        for p in rule.applies.priorities:
            if p not in priority_ids:
                _fail(config, "clocks", f"rules({rule.id}).applies.priorities", p, "no such priority")
        for code in rule.by_jurisdiction:
            if code not in codes:
                _fail(config, "clocks", f"rules({rule.id}).by_jurisdiction", code, "no such jurisdiction")
    kinds = set(config.releases.kind_ids())
    for rule in config.clocks.rules:
        for kind in rule.release_kinds:
            if kind not in kinds:
                _fail(config, "clocks", f"rules({rule.id}).release_kinds", kind,
                      "no such release kind in releases.yaml")
    incident_rules = [r for r in config.clocks.rules if r.applies.trigger == "incident"]
    for p in sorted(priority_ids):
        if not any(not r.applies.priorities or p in r.applies.priorities for r in incident_rules):
            _fail(config, "clocks", "rules", p, f"priority {p!r} has no clock rule (add one or a fallback)")
    duty = config.alerts.duty_office
    if duty is not None and duty not in office_ids:
        _fail(config, "alerts", "duty_office", duty, "no such office in offices.yaml")
    for a in config.alerts.rules:
        for ch in a.channels:
            if ch not in channel_ids:
                _fail(config, "alerts", f"rules({a.id}).channels", ch, "no such channel")
        for office in a.offices:
            if office not in office_ids:
                _fail(config, "alerts", f"rules({a.id}).offices", office, "no such office in offices.yaml")
        for p in a.priorities:
            if p not in priority_ids:
                _fail(config, "alerts", f"rules({a.id}).priorities", p, "no such priority")
    for d in config.reports.delivery:
        for ch in d.channels:
            if ch not in channel_ids:
                _fail(config, "reports", f"delivery({d.id}).channels", ch, "no such channel in alerts.yaml")
        for office in d.offices:
            if office not in office_ids:
                _fail(config, "reports", f"delivery({d.id}).offices", office, "no such office in offices.yaml")


__all__ = ["FILES", "Config", "ConfigError", "check_references", "check_unique_ids", "load_config"]

"""Shared machinery for typed configuration: frozen models that reject unknown keys, typed durations,
and errors that name the file, the field and the bad value."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated, Any, TypeVar

import yaml
from pydantic import BaseModel, BeforeValidator, ConfigDict, PlainSerializer, ValidationError

from yuqing.clock import Duration
from yuqing.errors import ConfigError


class Model(BaseModel):
    """Base of every configuration model: immutable, and unknown keys are errors."""

    model_config = ConfigDict(frozen=True, extra="forbid")


def _duration(value: Any) -> Duration:
    """A positive duration; working days (whole ones) allowed."""
    duration = Duration.parse(value)
    if duration.amount <= 0:
        raise ValueError(f"{value!r}: a duration must be longer than zero")
    return duration


def _span(value: Any) -> Duration:
    """A positive duration on the clock (no working days: it is used without a calendar)."""
    duration = _duration(value)
    if duration.is_working_days:
        raise ValueError(f"{value!r}: working days make no sense here; write hours or days (e.g. '24h')")
    return duration


def _span_or_zero(value: Any) -> Duration:
    duration = Duration.parse(value)
    if duration.amount == 0 and not duration.is_working_days:
        return duration
    return _span(value)


_STR = PlainSerializer(str, return_type=str)
#: A positive duration where working days make sense (response clocks, look-backs).
DurationField = Annotated[Duration, BeforeValidator(_duration), _STR]
#: A positive span of clock time (schedules, windows, timeouts, back-offs).
SpanField = Annotated[Duration, BeforeValidator(_span), _STR]
#: A span that may be zero ("at once": the first step of an escalation ladder).
SpanOrZeroField = Annotated[Duration, BeforeValidator(_span_or_zero), _STR]


def _time_of_day(value: Any) -> dt.time:
    if isinstance(value, dt.time):
        return value
    if isinstance(value, int):  # YAML 1.1 reads 22:00 as a sexagesimal integer
        return dt.time(value // 60 % 24, value % 60)
    return dt.time.fromisoformat(str(value))


TimeOfDay = Annotated[dt.time, BeforeValidator(_time_of_day)]

M = TypeVar("M", bound=BaseModel)


# libyaml's parser (PyYAML's C binding, same safe constructors) reads the configuration about 7×
# faster than the pure-Python one; it is what keeps loading the configuration cheap in every crawl
# child and Airflow task. PyYAML built without libyaml falls back to the pure-Python loader.
_SAFE_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def read_yaml(path: Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise ConfigError(str(path), "(file)", None, "file not found") from exc
    except UnicodeDecodeError as exc:
        raise ConfigError(str(path), "(file)", None, "not UTF-8 text") from exc
    try:
        return yaml.load(text, Loader=_SAFE_LOADER) or {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark else "(file)"
        raise ConfigError(str(path), where, None, f"not valid YAML: {getattr(exc, 'problem', exc)}") from exc


def _lookup(data: Any, loc: tuple[Any, ...]) -> Any:
    for key in loc:
        try:
            data = data[key]
        except (KeyError, IndexError, TypeError):
            return None
    return data


def _field_name(data: Any, loc: tuple[Any, ...]) -> str:
    """``sources[2](rss-gov).schedule``: list positions carry the item's id when it has one."""
    parts: list[str] = []
    cursor = data
    for key in loc:
        if isinstance(key, int):
            item = cursor[key] if isinstance(cursor, list) and key < len(cursor) else None
            label = f"[{key}]"
            if isinstance(item, dict) and "id" in item:
                label += f"({item['id']})"
            parts.append(label)
        else:
            parts.append(("." if parts else "") + str(key))
        cursor = _lookup(cursor, (key,))
    return "".join(parts) or "(top level)"


def parse_model(model: type[M], data: Any, file: str) -> M:
    """Validate ``data`` as ``model``; the first problem becomes one readable ConfigError."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = tuple(err["loc"])
        # pydantic appends the union branch or validator name to loc for some errors; drop it.
        clean = tuple(k for k in loc if not (isinstance(k, str) and ("[" in k or k.startswith("function-"))))
        value = err.get("input") if err["type"] != "missing" else None
        if err["type"] == "extra_forbidden":
            problem = "unknown key (check the spelling; see config/README.md)"
        elif err["type"] == "missing":
            problem = "required field is missing"
        else:
            problem = err["msg"].removeprefix("Value error, ")
        raise ConfigError(file, _field_name(data, clean), value, problem) from exc


def load_model(model: type[M], path: Path) -> M:
    return parse_model(model, read_yaml(path), str(path))

"""The project's own exceptions: every foreign error is wrapped in one of these with ``raise … from``."""

from __future__ import annotations


class YuqingError(Exception):
    """Base of every error this project raises on purpose."""


class ConfigError(YuqingError):
    """A configuration file is invalid; the message names the file, the field and the bad value."""

    def __init__(self, file: str, field: str, value: object, problem: str) -> None:
        self.file = file
        self.field = field
        self.value = value
        self.problem = problem
        super().__init__(f"{file}: {field} = {value!r}: {problem}")


class NodeError(YuqingError):
    """The local Elasticsearch node cannot be fetched, started or reached."""


class StorageError(YuqingError):
    """Elasticsearch rejected a request (bad document, mapping conflict, …).

    ``hosts``, ``what`` (the operation), ``user`` and ``status`` are kept apart from the message so
    that the command line can say the same thing in Chinese (yuqing.clierrors)."""

    def __init__(self, message: str = "", *, hosts: str = "", what: str = "", user: str | None = None,
                 status: int | None = None) -> None:
        super().__init__(message)
        self.hosts = hosts
        self.what = what
        self.user = user
        self.status = status


class StorageUnavailable(StorageError):
    """Elasticsearch cannot be reached; the caller should retry later (Airflow retries the task)."""


class StorageAuthError(StorageError):
    """Elasticsearch refused the credentials (401) or the account lacks a privilege (403).

    Retrying does not help: the deployment's credentials or roles are wrong. Work that meets this
    error must fail loudly, never count as done."""


class CalendarNotCovered(YuqingError):
    """No holiday data for a year: working days there cannot be counted correctly."""

    def __init__(self, year: int, where: str = "config/calendar.yaml") -> None:
        self.year = year
        super().__init__(
            f"no Chinese holiday data for {year}: the chinese_calendar package does not cover it and "
            f"{where} does not list it in covered_years; add the State Council's {year} holiday notice "
            f"there (extra_holidays, extra_workdays, covered_years: [{year}]) or upgrade chinese_calendar"
        )


class TransitionError(YuqingError):
    """An incident or clock was asked to make a state change its lifecycle forbids."""


class InputError(YuqingError):
    """User-supplied input (a CSV, a saved page, a form, an id) is invalid; the message names what and where."""

    kind_zh = "输入有误"

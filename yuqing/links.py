"""Links into the duty console (``alerts.console_url``): the one place that knows its paths.

Alerts, reports and the console itself build their links here, so a link in a message always
names a page the console serves (every path below has a page in ``console/web.py``).
"""

from __future__ import annotations

from urllib.parse import quote, urlencode

from yuqing.config import Config


def console_home(config: Config) -> str:
    """The console's address with a trailing slash (the live queue)."""
    return config.alerts.console_url.rstrip("/") + "/"


def incident_url(config: Config, incident_id: str) -> str:
    """The incident's page."""
    return f"{console_home(config)}incidents/{quote(incident_id, safe='')}"


def queue_url(config: Config, **filters: str) -> str:
    """The live queue with filters (``place``, ``office``, ``severity``, …)."""
    params = {k: v for k, v in filters.items() if v}
    return console_home(config) + (f"?{urlencode(params)}" if params else "")


def source_url(config: Config, source_id: str) -> str:
    """A source's health page."""
    return f"{console_home(config)}sources/{quote(source_id, safe='')}"


def office_url(config: Config, office_id: str) -> str:
    """An office's view (its open incidents and clocks)."""
    return f"{console_home(config)}office?{urlencode({'office': office_id})}"


def reports_url(config: Config) -> str:
    """The reports page (every report and assessment, newest first)."""
    return f"{console_home(config)}reports"


def report_file_url(config: Config, file_name: str) -> str:
    """A report file in the reports directory (downloaded after signing in)."""
    return f"{console_home(config)}reports/files/{quote(file_name, safe='')}"

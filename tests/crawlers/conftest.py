"""Crawler test fixtures: the demo web on loopback with its own configuration, fast politeness."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest

from yuqing.clock import TZ
from yuqing.config import Config, load_config

DAY = dt.date(2026, 11, 23)
NOON = dt.datetime(2026, 11, 23, 12, 0, tzinfo=TZ)
# Loopback crawls need no politeness delay; everything else stays as configured.
FAST = {"AUTOTHROTTLE_START_DELAY": 0.0, "AUTOTHROTTLE_MAX_DELAY": 0.5, "YUQING_RETRY_BACKOFF": 0.05,
        "CONCURRENT_REQUESTS_PER_DOMAIN": 8}

FAULTS_SOURCE = """
  - id: test-faults
    name: 故障页面（测试）
    type: html
    url: {base}/faults/list.html
    media_tier: local
    jurisdiction: "530000"
    selectors:
      list_item: "ul.news-list li"
      link: "a::attr(href)"
      title: "h1.title::text"
      body: "div.article-body"
      published_at: "span.pubtime::text"
"""


@pytest.fixture
def web() -> Iterator[object]:
    from demo.web import DemoWeb

    with DemoWeb(day=DAY, port=0, now=NOON) as w:
        yield w


def demo_config(dest: Path, base_url: str) -> Config:
    from demo.web import write_demo_config

    directory = write_demo_config(dest, base_url)
    sources = directory / "sources.yaml"
    sources.write_text(sources.read_text(encoding="utf-8") + FAULTS_SOURCE.format(base=base_url), encoding="utf-8")
    return load_config(directory)


@pytest.fixture
def web_config(web: object, tmp_path: Path) -> Config:
    return demo_config(tmp_path / "config", web.base_url)  # type: ignore[attr-defined]


@pytest.fixture(autouse=True)
def _own_var_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Spool files go to the test's own directory, never the project's var/."""
    monkeypatch.setenv("YUQING_VAR", str(tmp_path / "var"))

"""Builders for the documents the response workflow reads: incidents (as the analysis writes them)
and mentions (as the crawlers write them), stored in the per-test ``store``.

Each test starts from empty indices on the real node (the root ``store`` fixture).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest

from yuqing.clock import TZ
from yuqing.models import Incident, Mention, Place, Severity, stable_id
from yuqing.storage import Store

T0 = dt.datetime(2026, 11, 20, 8, 0, tzinfo=TZ)


@pytest.fixture
def make_incident(store: Store) -> Callable[..., Incident]:
    def build(key: str = "inc", *, place_codes: list[str] | None = None, level: str | None = "III",
              priorities: list[str] | None = None, subtopics: list[str] | None = None,
              first_seen_at: dt.datetime = T0, keywords: list[str] | None = None, **extra: Any) -> Incident:
        codes = ["530102"] if place_codes is None else place_codes
        incident = Incident(
            id=stable_id("incident", key), title=extra.pop("title", f"测试事件 {key}"),
            first_seen_at=first_seen_at, last_seen_at=first_seen_at + dt.timedelta(hours=1),
            first_mention_id=extra.pop("first_mention_id", stable_id("mention", key)), mention_count=3,
            places=[Place(code=c) for c in codes], place_codes=codes, priorities=priorities or [],
            subtopics=subtopics or [], keywords=keywords or [],
            severity=Severity(level=level, score=0.5, reasons=["测试"]) if level else None,  # type: ignore[arg-type]
            created_at=first_seen_at, updated_at=first_seen_at, **extra,
        )
        store.put("incidents", incident.id, incident.to_doc())
        store.refresh("incidents")
        return incident

    return build


@pytest.fixture
def make_mention(store: Store) -> Callable[..., Mention]:
    def build(key: str, *, published_at: dt.datetime, title: str = "", text: str = "", official: bool = False,
              office: str | None = None, incident_id: str | None = None, **extra: Any) -> Mention:
        mention = Mention(
            id=extra.pop("id", stable_id("mention", key)), source_id=extra.pop("source_id", "demo-portal"),
            source_type=extra.pop("source_type", "portal"), media_tier="official" if official else "local",
            jurisdiction=extra.pop("jurisdiction", "530000"), official=official, office=office,
            url=f"http://gov.example/{key}.html", canonical_url=f"http://gov.example/{key}.html",
            title=title, text=text, published_at=published_at, crawled_at=published_at + dt.timedelta(minutes=5),
            incident_id=incident_id, **extra,
        )
        store.put("mentions", mention.id, mention.to_doc())
        store.refresh("mentions")
        return mention

    return build

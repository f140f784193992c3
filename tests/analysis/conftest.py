"""Helpers for analysis tests: stored mentions as the crawlers would write them."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from yuqing.clock import TZ
from yuqing.models import Mention
from yuqing.storage import Store

DAY = dt.datetime(2026, 11, 23, tzinfo=TZ)

TIERS = {  # source id -> (tier, jurisdiction, official, source type)
    "news": ("provincial", "530000", False, "html"),
    "local": ("local", "530100", False, "html"),
    "weibo": ("self_media", "530000", False, "json"),
    "portal": ("official", "530000", True, "portal"),
    "board": ("self_media", "530000", False, "board"),
}


def mention(mid: str, title: str, text: str = "", *, source: str = "news", at: str = "09:00",
            reprint_of: str | None = None, simhash: str | None = None, doc_type: str = "article",
            **extra: Any) -> Mention:
    tier, jurisdiction, official, stype = TIERS[source]
    hh, mm = (int(x) for x in at.split(":"))
    published = DAY + dt.timedelta(hours=hh, minutes=mm)
    return Mention(
        id=mid, source_id=f"test-{source}", source_type=stype, media_tier=tier, jurisdiction=jurisdiction,
        official=official, office="prov_gov_office" if official else None, url=f"http://example.test/{mid}",
        canonical_url=f"http://example.test/{mid}", title=title, text=text or title, published_at=published,
        crawled_at=published + dt.timedelta(minutes=3), simhash=simhash, reprint_of=reprint_of, doc_type=doc_type,  # type: ignore[arg-type]
        **extra,
    )


def store_mentions(store: Store, *mentions: Mention) -> None:
    result = store.bulk("mentions", [(m.id, m.to_doc()) for m in mentions], refresh=True)
    assert not result.failed, result.failed


def incident_of(store: Store, mention_id: str) -> str | None:
    doc = store.get("mentions", mention_id)
    assert doc is not None
    return doc.get("incident_id")


class Helpers:
    DAY = DAY
    mention = staticmethod(mention)
    store_mentions = staticmethod(store_mentions)
    incident_of = staticmethod(incident_of)


@pytest.fixture
def ana() -> type[Helpers]:
    """Mention builders for analysis tests (test modules cannot import conftest under importlib mode)."""
    return Helpers

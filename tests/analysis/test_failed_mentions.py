"""A mention whose analysis keeps failing is retried a few times, then set aside with its reason and
attempt count, shown to operators, and never retried again."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from analysis.api import analyze_pending, failed_mentions
from yuqing.clock import TZ
from yuqing.config import Config
from yuqing.storage import Store

pytestmark = pytest.mark.integration

DAY = dt.datetime(2026, 11, 23, tzinfo=TZ)


def test_a_mention_that_keeps_failing_is_set_aside_after_the_configured_attempts(
        ana: Any, store: Store, config: Config, es_url: str, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    from yuqing.cli import main

    good = ana.mention("m-good", "昆明市官渡区一商场发生火灾", "昆明市官渡区一商场发生火灾，已造成2人受伤。")
    bad = ana.mention("m-bad", "标题", "正文")
    ana.store_mentions(store, good)
    doc = bad.to_doc()
    doc["title"] = ["一条记录", "却有两个标题"]  # malformed upstream: analysis raises on it
    store.put("mentions", bad.id, doc, refresh=True)

    limit = config.analysis.failures.max_attempts
    assert limit >= 2
    for attempt in range(1, limit + 1):
        stats = analyze_pending(store, config, now=DAY + dt.timedelta(hours=10 + attempt))
        assert stats.failed == 1, attempt
        stored = store.get("mentions", "m-bad")
        assert stored is not None and stored["analysis_attempts"] == attempt
        assert "AttributeError" in stored["analysis_error"]
        assert bool(stored.get("analysis_failed")) is (attempt == limit)
        assert stats.set_aside == (1 if attempt == limit else 0)
    assert store.get("mentions", "m-good")["analysis_version"]  # type: ignore[index]

    later = analyze_pending(store, config, now=DAY + dt.timedelta(hours=20))
    assert later.failed == 0 and later.analyzed == 0  # not retried any more
    assert store.get("mentions", "m-bad")["analysis_attempts"] == limit  # type: ignore[index]

    [listed] = failed_mentions(store)
    assert listed["id"] == "m-bad" and listed["analysis_attempts"] == limit
    monkeypatch.setenv("YUQING_INDEX_PREFIX", store.prefix)
    monkeypatch.setenv("ES_URL", es_url)
    assert main(["analyze", "--failed"]) == 0
    out = capsys.readouterr().out
    assert "m-bad" in out and f"attempts {limit}" in out and "AttributeError" in out


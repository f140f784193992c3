"""Quality floors measured on the team's development data (skipped when it is absent)."""

from __future__ import annotations

from pathlib import Path

import pytest

from analysis import evaluate
from yuqing.config import Config

pytestmark = pytest.mark.data


def test_sentiment_binary_macro_f1_floor(shared_data: Path, config: Config) -> None:
    rows = evaluate.read_csv(shared_data / "sentiment_dev.csv", ["text", "label"])
    report = evaluate.evaluate_sentiment(rows, config, baseline=False)
    assert report["systems"]["ours"]["binary"]["macro_f1"] >= 0.86


def test_emergency_recall_and_news_false_flag_floors(shared_data: Path, config: Config) -> None:
    rows = [r for r in evaluate.shared_priority_rows(shared_data) if r["label"] in ("emergency", "none")]
    report = evaluate.evaluate_priorities(rows, config)["systems"]["ours"]["per_label"]
    assert report["emergency"]["recall"] >= 0.95
    assert report["none"]["false_flag_rate"] < 0.05

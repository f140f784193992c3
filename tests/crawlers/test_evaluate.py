"""Extraction accuracy on the saved pages must not fall below the pinned floor (raise it in its own commit)."""

from __future__ import annotations

from crawlers.evaluate import evaluate

TITLE_FLOOR = 0.9
TEXT_F1_FLOOR = 0.9
TIME_FLOOR = 0.9


def test_extraction_accuracy_stays_above_the_floor() -> None:
    report = evaluate()
    assert len(report.pages) >= 12
    assert report.title_accuracy >= TITLE_FLOOR
    assert report.text_f1 >= TEXT_F1_FLOOR
    assert report.time_accuracy >= TIME_FLOOR


def test_saved_pages_cover_gb_encodings_and_pages_without_selectors() -> None:
    report = evaluate()
    encodings = {p.found["encoding"] for p in report.pages}
    assert {"utf-8", "gbk", "gb2312", "gb18030"} <= encodings
    assert any("𠮷" in p.found["title"] for p in report.pages)  # a four-byte GB18030 character survived

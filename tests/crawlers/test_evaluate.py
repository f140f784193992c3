"""Extraction accuracy must not fall below the pinned floors (raise them in their own commit).

The floors that matter are on real pages nobody on the team wrote: ``../shared/data/pages_dev``
(25 Chinese news, blog, forum and portal pages with hand-made labels). Methods were chosen on the
pages whose file name starts with 0–8 and the rest were held back; both halves are pinned. The
bundled pages in ``tests/crawlers/pages`` were written by the team and only pin encodings."""

from __future__ import annotations

from pathlib import Path

import pytest

from crawlers.evaluate import evaluate
from yuqing.paths import PROJECT_ROOT

PAGES_DEV = PROJECT_ROOT.parent / "shared" / "data" / "pages_dev"
needs_pages_dev = pytest.mark.skipif(not (PAGES_DEV / "manifest.jsonl").is_file(),
                                     reason=f"real-page labels not present at {PAGES_DEV}")

# measured: all 25 pages text F1 0.962, date 0.941 (16 of 17), author 0.933 (14 of 15);
# tune half (0-8…) date 0.900 (of 10), author 0.875; held-back half (9-f…) text F1 0.974, date 1.000
# (of 7), author 1.000 (of 7) — its date and author misses were looked at, so it is no longer blind;
# trafilatura alone 0.852 / 0.118 / 0.000
REAL_TEXT_F1_FLOOR = 0.955
REAL_DATE_FLOOR = 0.92
REAL_AUTHOR_FLOOR = 0.90
TUNE_DATE_FLOOR = 0.88
CHECK_TEXT_F1_FLOOR = 0.965
CHECK_DATE_FLOOR = 0.98
CHECK_AUTHOR_FLOOR = 0.98


@needs_pages_dev
def test_real_pages_stay_above_the_floors_and_above_trafilatura() -> None:
    ours = evaluate(PAGES_DEV)
    baseline = evaluate(PAGES_DEV, extractor="trafilatura")
    assert len(ours.pages) == 25
    assert ours.text_f1 >= REAL_TEXT_F1_FLOOR, ours.text_f1
    assert ours.time_accuracy >= REAL_DATE_FLOOR, ours.time_accuracy
    assert ours.author_accuracy >= REAL_AUTHOR_FLOOR, ours.author_accuracy
    assert ours.text_f1 > baseline.text_f1 and ours.time_accuracy > baseline.time_accuracy


@needs_pages_dev
def test_held_back_real_pages_stay_above_their_floors() -> None:
    held_back = evaluate(PAGES_DEV, split="check")
    assert {p.file[0] for p in held_back.pages} <= set("9abcdef")
    assert held_back.text_f1 >= CHECK_TEXT_F1_FLOOR, held_back.text_f1
    assert held_back.time_accuracy >= CHECK_DATE_FLOOR, held_back.time_accuracy
    assert held_back.author_accuracy >= CHECK_AUTHOR_FLOOR, held_back.author_accuracy
    tune = evaluate(PAGES_DEV, split="tune")
    assert tune.time_accuracy >= TUNE_DATE_FLOOR, tune.time_accuracy


def test_manifest_errors_name_file_and_line(tmp_path: Path) -> None:
    from yuqing.errors import InputError

    (tmp_path / "a.html").write_text("<html><body><p>正文。</p></body></html>", encoding="utf-8")
    (tmp_path / "manifest.jsonl").write_text(
        '{"id": "a", "file": "a.html", "text": "正文。", "published_raw": "yesterday", "author": null}\n',
        encoding="utf-8")
    with pytest.raises(InputError, match=r"manifest\.jsonl, line 1: published_raw 'yesterday'"):
        evaluate(tmp_path)


def test_bundled_pages_cover_gb_encodings_and_pages_without_selectors() -> None:
    report = evaluate()
    assert len(report.pages) >= 12
    assert report.title_accuracy >= 0.9 and report.text_f1 >= 0.95 and report.time_accuracy >= 0.9
    encodings = {p.found["encoding"] for p in report.pages}
    assert {"utf-8", "gbk", "gb2312", "gb18030"} <= encodings
    assert any("𠮷" in p.found["title"] for p in report.pages)  # a four-byte GB18030 character survived


def test_eval_extraction_command_prints_the_summary_last(capsys: pytest.CaptureFixture[str]) -> None:
    from yuqing.cli import main

    assert main(["eval", "extraction", "--extractor", "trafilatura"]) == 0
    last = capsys.readouterr().out.strip().splitlines()[-1]
    assert last.startswith("pages=14 ") and "text_f1=" in last

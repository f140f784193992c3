"""Extraction evaluation: title, text and time accuracy on saved pages with known answers.

``python -m crawlers.evaluate [DIR]`` or ``yuqing eval extraction``. ``DIR/expected.json`` lists
pages (file, url, now, optional selectors, and the expected title, text and published_at). Each page
goes through the same code the crawler uses (:func:`crawlers.extract.extract_bytes`).

- title accuracy: share of pages whose title matches exactly (whitespace-normalised);
- text: character-bigram F1 against the expected main text (mean), and accuracy = share with F1 ≥ 0.9;
- time accuracy: share of pages whose publish time is right to the minute.
"""

from __future__ import annotations

import dataclasses
import json
import sys
from collections import Counter
from pathlib import Path
from typing import Any

from yuqing.paths import PROJECT_ROOT

DEFAULT_PAGES = PROJECT_ROOT / "tests" / "crawlers" / "pages"
TEXT_OK = 0.9


def _bigrams(text: str) -> Counter[str]:
    chars = [c for c in text if not c.isspace()]
    return Counter("".join(chars[i:i + 2]) for i in range(len(chars) - 1))


def text_f1(found: str, expected: str) -> float:
    a, b = _bigrams(found), _bigrams(expected)
    if not a or not b:
        return 1.0 if a == b else 0.0
    common = sum((a & b).values())
    if not common:
        return 0.0
    precision, recall = common / sum(a.values()), common / sum(b.values())
    return 2 * precision * recall / (precision + recall)


@dataclasses.dataclass
class PageResult:
    file: str
    title_ok: bool
    text_f1: float
    time_ok: bool
    found: dict[str, Any]


@dataclasses.dataclass
class Report:
    pages: list[PageResult]

    @property
    def title_accuracy(self) -> float:
        return sum(p.title_ok for p in self.pages) / len(self.pages)

    @property
    def text_accuracy(self) -> float:
        return sum(p.text_f1 >= TEXT_OK for p in self.pages) / len(self.pages)

    @property
    def text_f1(self) -> float:
        return sum(p.text_f1 for p in self.pages) / len(self.pages)

    @property
    def time_accuracy(self) -> float:
        return sum(p.time_ok for p in self.pages) / len(self.pages)


def evaluate(directory: str | Path | None = None) -> Report:
    from crawlers.extract import extract_bytes
    from yuqing.clock import parse_ts
    from yuqing.config.sources import Selectors
    from yuqing.errors import InputError

    base = Path(directory) if directory else DEFAULT_PAGES
    try:
        cases = json.loads((base / "expected.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InputError(f"cannot read {base / 'expected.json'}: {exc}") from exc
    results = []
    for case in cases:
        now = parse_ts(case["now"])
        assert now is not None
        selectors = Selectors(**case["selectors"]) if case.get("selectors") else None
        found = extract_bytes((base / case["file"]).read_bytes(), url=case.get("url"), now=now, selectors=selectors)
        expected_time = parse_ts(case.get("published_at"))
        results.append(PageResult(
            file=case["file"],
            title_ok=" ".join(found.title.split()) == " ".join(case["title"].split()),
            text_f1=text_f1(found.text, case["text"]),
            time_ok=found.published_at is not None and expected_time is not None
            and found.published_at.replace(second=0) == expected_time.replace(second=0),
            found=found.as_json(),
        ))
    if not results:
        raise InputError(f"{base / 'expected.json'} lists no pages")
    return Report(results)


def print_report(report: Report, out: Any = None) -> None:
    out = out or sys.stdout
    for p in report.pages:
        title, time = ("ok" if ok else "WRONG" for ok in (p.title_ok, p.time_ok))
        marks = f"title {title}, text F1 {p.text_f1:.2f}, time {time}"
        print(f"{p.file}: {marks}", file=out)
        if not p.title_ok or not p.time_ok:
            print(f"    found title={p.found['title']!r} published_at={p.found['published_at']}", file=out)
    print(f"pages={len(report.pages)} title_accuracy={report.title_accuracy:.3f} "
          f"text_accuracy={report.text_accuracy:.3f} text_f1={report.text_f1:.3f} "
          f"time_accuracy={report.time_accuracy:.3f}", file=out)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    print_report(evaluate(args[0] if args else None))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

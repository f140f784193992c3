"""Extraction evaluation: title, text, date and author accuracy on saved pages with known answers.

``python -m crawlers.evaluate [DIR]`` or ``yuqing eval extraction --pages DIR``. Two layouts:

- ``DIR/expected.json`` (the bundled pages): a list of pages (file, url, now, optional selectors,
  and the expected title, text and published_at);
- ``DIR/manifest.jsonl`` (real pages, e.g. ``../shared/data/pages_dev``): one JSON object a line with
  ``id, file, text, published_raw, author, title`` — ``null`` where the page is not labelled.
  ``published_raw`` is compared at the granularity it gives (``2018``, ``1998-3``, ``2005-5-7``,
  ``2005-07-31 12:30``, with seconds).

Each page goes through the same code the crawler uses (:func:`crawlers.extract.extract_bytes`), or,
with ``extractor="trafilatura"``, through trafilatura alone (the baseline the docs compare to).

- title accuracy: share of labelled pages whose title matches exactly (whitespace-normalised);
- text: character-bigram F1 against the expected main text (mean), and accuracy = share with F1 ≥ 0.9;
- time / date accuracy: share of labelled pages whose publish time is right (to the minute for
  ``expected.json``, at the label's granularity for a manifest);
- author accuracy: share of labelled pages whose author matches (whitespace- and case-normalised).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import re
import sys
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

from yuqing.paths import PROJECT_ROOT

DEFAULT_PAGES = PROJECT_ROOT / "tests" / "crawlers" / "pages"
TEXT_OK = 0.9
# A crawl time for manifest pages, which record none: far after every page, so that a year-less date
# resolved against it (rather than against the page's own context) shows up as wrong.
MANIFEST_NOW = dt.datetime(2026, 11, 30, 12, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))
Extractor = Literal["yuqing", "trafilatura"]
Split = Literal["all", "tune", "check"]


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


def in_split(file: str, split: Split) -> bool:
    """The fixed split of a manifest: pages whose file name starts with 0–8 are where methods were
    chosen (``tune``), the others (9–f, and any other name) are only reported on (``check``)."""
    if split == "all":
        return True
    tune = file[:1].lower() in "012345678"
    return tune if split == "tune" else not tune


@dataclasses.dataclass
class PageResult:
    file: str
    title_ok: bool | None  # None: the page has no title label
    text_f1: float
    time_ok: bool | None
    found: dict[str, Any]
    author_ok: bool | None = None
    expected: dict[str, Any] = dataclasses.field(default_factory=dict)


def _share(values: list[bool | None]) -> float | None:
    known = [v for v in values if v is not None]
    return sum(known) / len(known) if known else None


@dataclasses.dataclass
class Report:
    pages: list[PageResult]
    manifest: bool = False

    @property
    def title_accuracy(self) -> float:
        return _share([p.title_ok for p in self.pages]) or 0.0

    @property
    def text_accuracy(self) -> float:
        return sum(p.text_f1 >= TEXT_OK for p in self.pages) / len(self.pages)

    @property
    def text_f1(self) -> float:
        return sum(p.text_f1 for p in self.pages) / len(self.pages)

    @property
    def time_accuracy(self) -> float:
        return _share([p.time_ok for p in self.pages]) or 0.0

    @property
    def author_accuracy(self) -> float:
        return _share([p.author_ok for p in self.pages]) or 0.0

    def labelled(self, what: str) -> int:
        return sum(getattr(p, what) is not None for p in self.pages)


_RAW_DATE = re.compile(
    r"^(?P<y>\d{4})(?:[-/.年](?P<m>\d{1,2})(?:[-/.月](?P<d>\d{1,2})日?"
    r"(?:[ T]+(?P<H>\d{1,2}):(?P<M>\d{2})(?::(?P<S>\d{2}))?)?)?)?$"
)


def date_matches(found: dt.datetime | None, raw: str) -> bool:
    """Whether ``found`` agrees with a label such as ``2018``, ``1998-3`` or ``2005-5-7 21:23:57``
    at the granularity the label gives."""
    match = _RAW_DATE.match(raw.strip())
    if match is None:
        raise ValueError(f"published_raw {raw!r} is not a date this evaluation understands")
    if found is None:
        return False
    from yuqing.clock import to_local

    local = to_local(found)
    parts = (("y", local.year), ("m", local.month), ("d", local.day), ("H", local.hour), ("M", local.minute),
             ("S", local.second))
    return all(match[key] is None or int(match[key]) == value for key, value in parts)


def _norm_author(value: str) -> str:
    return re.sub(r"\s+", "", value).lower()


def _trafilatura_extract(body: bytes, url: str | None, now: dt.datetime) -> dict[str, Any]:
    """The baseline: trafilatura's own fields (default settings) on the page decoded as the crawler does."""
    import logging

    import trafilatura

    from crawlers.dates import parse_date
    from crawlers.extract import decode_html

    logging.getLogger("trafilatura").setLevel(logging.CRITICAL)
    logging.getLogger("htmldate").setLevel(logging.CRITICAL)
    page, encoding = decode_html(body)
    doc = trafilatura.bare_extraction(page, url=url, with_metadata=True)
    fields: dict[str, Any] = {}
    if doc is not None:
        fields = doc.as_dict() if hasattr(doc, "as_dict") else dict(doc)
    published = parse_date(fields.get("date"), now) if fields.get("date") else None
    return {"title": fields.get("title") or "", "text": fields.get("text") or "",
            "published_at": published.isoformat() if published else None,
            "author": fields.get("author"), "encoding": encoding}


def _run(extractor: Extractor) -> Callable[..., dict[str, Any]]:
    if extractor == "trafilatura":
        return lambda body, url, now, selectors: _trafilatura_extract(body, url, now)

    def ours(body: bytes, url: str | None, now: dt.datetime, selectors: Any) -> dict[str, Any]:
        from crawlers.extract import extract_bytes

        return extract_bytes(body, url=url, now=now, selectors=selectors).as_json()

    return ours


_WRAPPER = re.compile(rb"""^\s*<text\s+id=["']([^"']*)["']""")


def _manifest_url(body: bytes) -> str | None:
    """The URL in the corpus wrapper line (``<text id=URL …>``) some saved pages start with."""
    match = _WRAPPER.match(body[:2048])
    return match.group(1).decode("ascii", "replace") if match else None


def _evaluate_manifest(base: Path, extractor: Extractor, split: Split) -> Report:
    from yuqing.clock import parse_ts
    from yuqing.errors import InputError

    path = base / "manifest.jsonl"
    run = _run(extractor)
    results = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            case = json.loads(line)
            file = case["file"]
        except (ValueError, KeyError, TypeError) as exc:
            raise InputError(f"{path}, line {number}: not a page record ({exc})") from exc
        if not in_split(file, split):
            continue
        try:
            body = (base / file).read_bytes()
        except OSError as exc:
            raise InputError(f"{path}, line {number}: cannot read {file}: {exc.strerror}") from exc
        now = parse_ts(case["now"]) if case.get("now") else MANIFEST_NOW
        assert now is not None
        found = run(body, case.get("url") or _manifest_url(body), now, None)
        published = parse_ts(found["published_at"]) if found.get("published_at") else None
        try:
            time_ok = date_matches(published, case["published_raw"]) if case.get("published_raw") else None
        except ValueError as exc:
            raise InputError(f"{path}, line {number}: {exc}") from exc
        author = case.get("author")
        title = case.get("title")
        results.append(PageResult(
            file=file,
            title_ok=None if not title else " ".join(found["title"].split()) == " ".join(title.split()),
            text_f1=text_f1(found["text"], case.get("text") or ""),
            time_ok=time_ok,
            author_ok=None if not author else _norm_author(found.get("author") or "") == _norm_author(author),
            found=found,
            expected={"published_raw": case.get("published_raw"), "author": author, "title": title},
        ))
    if not results:
        raise InputError(f"{path} lists no pages (split {split})")
    return Report(results, manifest=True)


def evaluate(directory: str | Path | None = None, *, extractor: Extractor = "yuqing",
             split: Split = "all") -> Report:
    from yuqing.clock import parse_ts
    from yuqing.config.sources import Selectors
    from yuqing.errors import InputError

    base = Path(directory) if directory else DEFAULT_PAGES
    if (base / "manifest.jsonl").is_file():
        return _evaluate_manifest(base, extractor, split)
    try:
        cases = json.loads((base / "expected.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InputError(f"cannot read {base / 'expected.json'} (or manifest.jsonl): {exc}") from exc
    run = _run(extractor)
    results = []
    for case in cases:
        if not in_split(case["file"], split):
            continue
        now = parse_ts(case["now"])
        assert now is not None
        selectors = Selectors(**case["selectors"]) if case.get("selectors") else None
        found = run((base / case["file"]).read_bytes(), case.get("url"), now, selectors)
        found_time = parse_ts(found["published_at"]) if found.get("published_at") else None
        expected_time = parse_ts(case.get("published_at"))
        results.append(PageResult(
            file=case["file"],
            title_ok=" ".join(found["title"].split()) == " ".join(case["title"].split()),
            text_f1=text_f1(found["text"], case["text"]),
            time_ok=found_time is not None and expected_time is not None
            and found_time.replace(second=0) == expected_time.replace(second=0),
            found=found,
        ))
    if not results:
        raise InputError(f"{base / 'expected.json'} lists no pages")
    return Report(results)


def _mark(ok: bool | None) -> str:
    return "-" if ok is None else ("ok" if ok else "WRONG")


def print_report(report: Report, out: Any = None) -> None:
    out = out or sys.stdout
    for p in report.pages:
        marks = f"title {_mark(p.title_ok)}, text F1 {p.text_f1:.2f}, time {_mark(p.time_ok)}"
        if report.manifest:
            marks += f", author {_mark(p.author_ok)}"
        print(f"{p.file}: {marks}", file=out)
        if p.title_ok is False or p.time_ok is False or p.author_ok is False:
            print(f"    found title={p.found['title']!r} published_at={p.found['published_at']} "
                  f"author={p.found.get('author')!r}"
                  + (f"; expected published_raw={p.expected['published_raw']!r} author={p.expected['author']!r}"
                     if report.manifest else ""), file=out)
    if report.manifest:
        title = (f"title_accuracy={report.title_accuracy:.3f} " if report.labelled("title_ok")
                 else "title=unlabelled ")
        print(f"pages={len(report.pages)} {title}text_accuracy={report.text_accuracy:.3f} "
              f"text_f1={report.text_f1:.3f} date_accuracy={report.time_accuracy:.3f} "
              f"(of {report.labelled('time_ok')}) author_accuracy={report.author_accuracy:.3f} "
              f"(of {report.labelled('author_ok')})", file=out)
        return
    print(f"pages={len(report.pages)} title_accuracy={report.title_accuracy:.3f} "
          f"text_accuracy={report.text_accuracy:.3f} text_f1={report.text_f1:.3f} "
          f"time_accuracy={report.time_accuracy:.3f}", file=out)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    print_report(evaluate(args[0] if args else None))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

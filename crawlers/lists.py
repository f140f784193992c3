"""Ranked and searched lists: entries of a hot list or a search result page read from JSON or HTML by
the source's selectors (no per-site code), and the words that make an entry worth a mention (the
collection priorities' terms, the configured places' names, the source's own keywords)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import re
from typing import Any
from urllib.parse import urljoin

from parsel import Selector

from crawlers.dates import parse_date
from crawlers.engagement import parse_count
from crawlers.extract import select_all, select_text, strip_tags
from yuqing.config import Config
from yuqing.config.sources import Source

_PLACE_SUFFIX = re.compile(r"(省|市|自治州|州|地区|盟|区|县|自治县|旗)$")


@dataclasses.dataclass
class Entry:
    title: str
    url: str | None
    rank: int
    heat: int | None = None
    summary: str = ""
    raw: dict[str, Any] | None = None  # the JSON entry (engagement paths are read from it)
    node: Selector | None = None  # the HTML entry
    at: dt.datetime | None = None  # the entry's own time where the list gives one (上榜时间)


def entry_key(title: str) -> str:
    """The same entry across crawls: its words without spaces, punctuation or a trailing 热/新/爆 tag."""
    words = re.sub(r"[\s\W_]+", "", title.lower())
    return re.sub(r"(热|新|爆|沸|荐)$", "", words) or words


def read_entries(body: bytes, text: str, base_url: str, source: Source,
                 now: dt.datetime | None = None) -> list[Entry] | None:
    """The entries of a list answer (``None`` when it is neither the JSON nor the HTML expected).
    With ``now``, an entry's own time (``selectors.published_at``: a JSON path or a selector; a Unix
    time, ISO or Chinese date, or ``N分钟前`` against ``now``) is read; a time after ``now`` is dropped."""
    from crawlers.spiders.feed import dig

    s = source.selectors
    fmt = source.format
    data: Any = None
    if fmt in ("auto", "json"):
        try:
            data = json.loads(body)
        except ValueError:
            if fmt == "json":
                return None
    out: list[Entry] = []
    if data is not None:
        items = dig(data, s.list_item)
        if not isinstance(items, list):
            return None
        for position, item in enumerate(items, start=1):
            if not isinstance(item, dict):
                continue
            title = strip_tags(str(dig(item, s.title) or "")).strip()
            if not title:
                continue
            link = dig(item, s.url_field or s.link or "")
            rank = parse_count(dig(item, s.rank)) if s.rank else None
            heat = parse_count(dig(item, s.heat)) if s.heat else None
            summary = strip_tags(str(dig(item, s.body) or "")) if s.body else ""
            out.append(Entry(title=title, url=urljoin(base_url, str(link)) if link else None,
                             rank=rank or position, heat=heat, summary=summary, raw=item,
                             at=_entry_time(dig(item, s.published_at) if s.published_at else None, now)))
        return out
    sel = Selector(text=text)
    for position, node in enumerate(select_all(sel, s.list_item or "li"), start=1):
        title = (select_text(node, s.title) or "").split("\n")[0].strip()
        if not title:
            continue
        link = select_text(node, s.link) if s.link else node.css("a::attr(href)").get()
        rank = parse_count(select_text(node, s.rank)) if s.rank else None
        heat = parse_count(select_text(node, s.heat)) if s.heat else None
        summary = (select_text(node, s.body) or "") if s.body else ""
        out.append(Entry(title=title, url=urljoin(base_url, link.strip()) if link else None,
                         rank=rank or position, heat=heat, summary=summary, node=node,
                         at=_entry_time(select_text(node, s.published_at) if s.published_at else None, now)))
    return out


def _entry_time(value: Any, now: dt.datetime | None) -> dt.datetime | None:
    if now is None or value is None or isinstance(value, bool | dict | list):
        return None
    found = parse_date(value if isinstance(value, int | float) else str(value), now)
    return found if found is not None and found <= now + dt.timedelta(minutes=5) else None


@dataclasses.dataclass
class Relevance:
    priorities: list[str]
    places: list[str]
    terms: list[str]

    @property
    def relevant(self) -> bool:
        return bool(self.terms)


class Watchwords:
    """The words an entry must contain to matter: each priority's (and sub-topic's) strong terms, each
    configured place's name (also without 省/市/区/县), and the source's extra keywords."""

    def __init__(self, config: Config, extra: list[str]) -> None:
        self.priority_terms: dict[str, list[str]] = {}
        for p in config.priorities.priorities:
            self.priority_terms[p.id] = list(p.terms)
        for st in config.priorities.subtopics:
            self.priority_terms.setdefault(st.priority, []).extend(st.terms)
        self.place_names: dict[str, list[str]] = {}
        for j in config.offices.jurisdictions:
            names = [j.name]
            short = _PLACE_SUFFIX.sub("", j.name)
            if len(short) >= 2 and short != j.name:
                names.append(short)
            self.place_names[j.code] = names
        self.extra = [w for w in extra if w.strip()]

    def match(self, text: str) -> Relevance:
        priorities, places, terms = [], [], []
        for pid, words in self.priority_terms.items():
            hit = [w for w in words if w and w in text]
            if hit:
                priorities.append(pid)
                terms.extend(hit)
        for code, names in self.place_names.items():
            hit = [n for n in names if n in text]
            if hit:
                places.append(code)
                terms.extend(hit)
        terms.extend(w for w in self.extra if w in text)
        return Relevance(priorities, places, sorted(set(terms)))

    def keywords(self, sets: list[str]) -> list[str]:
        """Search keywords: the strong terms of each priority, place names, extra words (deduplicated)."""
        out: list[str] = []
        if "priorities" in sets:
            for words in self.priority_terms.values():
                out.extend(words)
        if "places" in sets:
            for names in self.place_names.values():
                out.append(names[0])
        if "extra" in sets:
            out.extend(self.extra)
        return list(dict.fromkeys(out))

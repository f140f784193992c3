"""Formatting figures and quoting mentions in Chinese report text.

Summaries only quote what the mentions say (titles, first sentences) and state counted figures;
they never paraphrase or invent. Quoted text stays plain here and is escaped by the renderers.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from typing import Any

from yuqing.clock import parse_ts, to_local

_SENTENCE_END = re.compile(r"(?<=[。！？!?；;])")
_SPACE = re.compile(r"\s+")


def first_sentence(text: str, limit: int = 90) -> str:
    """The first sentence of ``text`` (Chinese punctuation aware), cut at ``limit`` characters."""
    clean = _SPACE.sub(" ", text or "").strip()
    if not clean:
        return ""
    sentence = _SENTENCE_END.split(clean, maxsplit=1)[0].strip()
    return sentence if len(sentence) <= limit else sentence[: limit - 1] + "…"


def clip(text: str, limit: int = 60) -> str:
    clean = _SPACE.sub(" ", text or "").strip()
    return clean if len(clean) <= limit else clean[: limit - 1] + "…"


def when(value: object, *, with_date: bool = True) -> str:
    """``11-20 09:30`` in Shanghai time; missing values (None, NaN, NaT) print as a dash."""
    if isinstance(value, str):
        ts = parse_ts(value)
    elif isinstance(value, dt.datetime) and value == value:  # NaT != NaT
        ts = to_local(value)
    else:
        ts = None
    if ts is None:
        return "—"
    return ts.strftime("%m-%d %H:%M" if with_date else "%H:%M")


def pct(value: float) -> str:
    return f"{value * 100:.1f}%"


def change(current: int, previous: int, than: str = "前一日") -> str:
    """``较前一日增加 12 条（+25.0%）`` style change text."""
    diff = current - previous
    if diff == 0:
        return f"与{than}持平"
    word = "增加" if diff > 0 else "减少"
    ratio = f"（{diff / previous * 100:+.1f}%）" if previous else ""
    return f"较{than}{word}{abs(diff)}条{ratio}"


def hours(value: float | None) -> str:
    """A span in hours as ``2小时15分`` (absolute value; callers say early or late)."""
    if value is None:
        return "—"
    minutes = round(abs(value) * 60)
    h, m = divmod(minutes, 60)
    if h >= 48:
        d, h = divmod(h, 24)
        return f"{d}天{h}小时"
    return f"{h}小时{m:02d}分" if h else f"{m}分钟"


def factual_summary(mentions: Sequence[Mapping[str, Any]], source_name: Mapping[str, str], *,
                    mentions_today: int | None = None, negative_today: int | None = None,
                    label: str = "当日") -> str:
    """A summary built only from stored mentions: who first reported what, quoted, plus counts."""
    if not mentions:
        return ""
    first = mentions[0]
    who = first.get("publisher") or source_name.get(str(first.get("source_id")), first.get("source_id") or "")
    time = parse_ts(first.get("published_at") or first.get("crawled_at"))
    lead = f"{when(time)} {who}首发《{clip(first.get('title', ''), 50)}》"
    sentence = first_sentence(first.get("text", ""))
    if sentence:
        lead += f"：“{sentence}”" + ("" if sentence[-1] in "。！？!?；;…" else "。")
    else:
        lead += "。"
    parts = [lead]
    titles = dict.fromkeys(clip(m.get("title", ""), 40) for m in mentions[1:] if m.get("title"))
    titles.pop(clip(first.get("title", ""), 40), None)
    others = [f"《{t}》" for t in titles]
    if others:
        parts.append("相关报道另有" + "、".join(others) + "等。")
    if mentions_today is not None:
        tail = f"{label}相关信息{mentions_today}条"
        if negative_today is not None:
            tail += f"，其中负面{negative_today}条"
        parts.append(tail + "。")
    return "".join(parts)

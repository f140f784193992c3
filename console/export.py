"""Excel (.xlsx) exports of the incident list and of mention searches (openpyxl).

Crawled text is untrusted here too: a cell whose text begins with ``=``, ``+``, ``-``, ``@`` (or a
tab or carriage return) is written with a leading apostrophe, so no spreadsheet reads it as a
formula — neither openpyxl (which stores ``=…`` strings as formulas) nor Excel after an edit or a
CSV round trip; characters XML forbids are dropped and cells cut to Excel's 32,767 characters.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font

from yuqing.clock import TZ
from yuqing.models import EMOTION_ZH, SEVERITY_ZH, STATE_ZH, TIER_ZH, Incident, Mention

XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
MAX_CELL = 32_767
SENTIMENT_ZH = {"negative": "负面", "neutral": "中性", "positive": "正面"}


def cell_text(value: str) -> str:
    """A text cell that no spreadsheet takes for a formula, with only characters XML allows."""
    text = ILLEGAL_CHARACTERS_RE.sub("", value)
    if text.startswith(FORMULA_START):
        text = "'" + text
    return text[:MAX_CELL]


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, int | float):
        return value
    if isinstance(value, dt.datetime):
        return value.astimezone(TZ).strftime("%Y-%m-%d %H:%M")
    return cell_text(str(value))


def workbook(title: str, headers: Sequence[str], rows: Iterable[Sequence[Any]], *, widths: Sequence[int] = (),
             note: str = "") -> bytes:
    """One sheet: a bold, frozen header row, then the rows; ``note`` (e.g. truncation) as a last row."""
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = cell_text(title)[:31]
    ws.append([cell_text(h) for h in headers])
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for row in rows:
        ws.append([_cell(v) for v in row])
    if note:
        ws.append([cell_text(note)])
    ws.freeze_panes = "A2"
    letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    for i, width in enumerate(widths[: len(letters)]):
        ws.column_dimensions[letters[i]].width = width
    for row in ws.iter_rows(min_row=2):
        for cell in row:
            cell.alignment = Alignment(vertical="top", wrap_text=False)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


INCIDENT_HEADERS = ["事件编号", "事件标题", "级别", "状态", "收集重点", "属地", "处置单位", "首次发现", "最近信息",
                    "信息量", "转载量", "负面占比", "最近时限", "合并/拆分"]


def incident_rows(incidents: Iterable[Incident], *, office_name: Callable[[str | None], str],
                  place_name: Callable[[str | None], str], priority_name: Callable[[str], str],
                  next_due: Callable[[str], dt.datetime | None]) -> Iterable[list[Any]]:
    for inc in incidents:
        owner = inc.assigned_office or (inc.routing.lead_office if inc.routing else None)
        level = f"{SEVERITY_ZH[inc.severity.level]}（{inc.severity.level}级）" if inc.severity else "—"
        grouping = ("已并入其他事件" if inc.merged_into else
                    f"并入 {len(inc.merged_from)} 个事件" if inc.merged_from else
                    "由其他事件拆出" if inc.split_from else "")
        yield [inc.id, inc.title, level, STATE_ZH.get(inc.state, inc.state),
               "、".join(priority_name(p) for p in inc.priorities), "、".join(place_name(c) for c in inc.place_codes),
               office_name(owner) if owner else "—", inc.first_seen_at, inc.last_seen_at, inc.mention_count,
               inc.reprint_count, round(inc.negative_share, 4), next_due(inc.id), grouping]


MENTION_HEADERS = ["标题", "信息源", "发布者", "媒体类型", "发布时间", "采集时间", "情感倾向", "情绪", "收集重点",
                   "属地", "所属事件", "链接", "正文"]


def mention_rows(mentions: Iterable[Mention], *, source_name: Callable[[str], str],
                 place_name: Callable[[str | None], str], priority_name: Callable[[str], str],
                 incident_title: Callable[[str | None], str], text_chars: int = 2000) -> Iterable[list[Any]]:
    for m in mentions:
        text = m.text if len(m.text) <= text_chars else m.text[: text_chars - 1] + "…"
        yield [m.title, source_name(m.source_id), m.publisher or m.author or "", TIER_ZH.get(m.media_tier, "其他"),
               m.published_at, m.crawled_at, SENTIMENT_ZH.get(m.sentiment.label, "") if m.sentiment else "",
               EMOTION_ZH.get(m.emotion.label, "") if m.emotion else "",
               "、".join(priority_name(h.id) for h in m.priorities),
               place_name(m.place.code) if m.place and m.place.code else "", incident_title(m.incident_id), m.url,
               text]

"""Chinese alert messages, rendered per channel format within each channel's byte limit.

A message is built from the structured *facts* of one or more deliveries (a burst aggregated into
one message). Every value that may come from crawled text (titles, summaries, place names,
reasons) is untrusted and is escaped for the target format: markdown / lark_md (HTML entities,
markdown punctuation and ``@`` so a post cannot inject links, tags or mentions), HTML (email) and
plain text (only truncated). Limits are in UTF-8 bytes.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Sequence
from typing import Any

from yuqing.models import SEVERITY_RANK

TAG = "【舆情预警】"
_MD_SPECIAL = re.compile(r"([\\`*_\[\]()#+\-!|~>{}])")


def utf8_len(text: str) -> int:
    return len(text.encode("utf-8"))


def truncate_bytes(text: str, limit: int, ellipsis: str = "…") -> str:
    """``text`` cut to at most ``limit`` UTF-8 bytes on a character boundary."""
    if utf8_len(text) <= limit:
        return text
    budget = max(limit - utf8_len(ellipsis), 0)
    cut = text.encode("utf-8")[:budget].decode("utf-8", errors="ignore")
    return cut + ellipsis


def clip(text: str | None, chars: int) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= chars else text[: chars - 1] + "…"


def escape_md(text: str | None) -> str:
    """Untrusted text for markdown / lark_md: no tags, no links, no emphasis, no mentions."""
    value = html.escape(" ".join((text or "").split()), quote=False)
    value = _MD_SPECIAL.sub(r"\\\1", value)
    return value.replace("@", "＠")


def plain(text: str) -> str:
    """Untrusted text in a plain-text field some clients render loosely (previews, card headers)."""
    return text.replace("<", "＜").replace(">", "＞").replace("@", "＠")


def escape_html(text: str | None) -> str:
    return html.escape(text or "", quote=True)


def _highest(items: Sequence[dict[str, Any]]) -> str | None:
    levels = [str(f["level"]) for f in items if f.get("level")]
    return max(levels, key=lambda lv: SEVERITY_RANK[lv]) if levels else None


REPORT_TAG = "【舆情报告】"


def is_report(f: dict[str, Any]) -> bool:
    """A report sent to its readers (简报/综述/专报), not an alert: no level line, its own tag."""
    return f.get("kind") == "report"


def title(items: Sequence[dict[str, Any]]) -> str:
    """One line: email subject, DingTalk preview, Feishu card header."""
    if len(items) == 1 and is_report(items[0]):
        return clip(f"{REPORT_TAG}{items[0].get('title', '')}", 80)
    if len(items) == 1:
        f = items[0]
        level = f.get("level_zh") or ""
        return clip(f"{TAG}{f.get('headline_zh', '预警')}｜{level}｜{f.get('title', '')}", 80)
    top = _highest(items)
    return f"{TAG}{len(items)}条预警汇总" + (f"（最高{top}级）" if top else "")


def _report_lines(f: dict[str, Any], esc: Callable[[str | None], str]) -> list[tuple[str, str]]:
    rows: list[tuple[str, str]] = [("报告", esc(clip(f.get("title"), 80)))]
    if f.get("issue_zh"):
        rows.append(("期号", esc(f["issue_zh"])))
    if f.get("summary"):
        rows.append(("概况", esc(clip(f["summary"], 400))))
    for n, advice in enumerate(f.get("advice") or [], start=1):
        rows.append((f"建议{n}", esc(clip(advice, 160))))
    if f.get("attached"):
        rows.append(("附件", esc("、".join(f["attached"]))))
    return rows


def _lines(f: dict[str, Any], esc: Callable[[str | None], str]) -> list[tuple[str, str]]:
    if is_report(f):
        return _report_lines(f, esc)
    rows: list[tuple[str, str]] = [("事件", esc(clip(f.get("title"), 60)))]
    if f.get("place_zh"):
        rows.append(("地点", esc(f["place_zh"])))
    rows.append(("级别", esc(f.get("level_zh", ""))))
    if f.get("state_zh"):
        rows.append(("状态", esc(f["state_zh"])))
    if f.get("recipient_office_zh"):
        rows.append(("告知单位", esc(f["recipient_office_zh"])))
    if f.get("office_zh"):
        rows.append(("牵头单位", esc(f["office_zh"])))
    if f.get("duty_zh"):
        rows.append(("职责", esc(f["duty_zh"])))
    clock = f.get("clock")
    if clock and clock.get("overdue"):
        # A miss is named for what it is: the deadline missed, how long overdue, and whose it is.
        missed = (f"{clip(clock.get('name_zh'), 40)}，截止{clock.get('due_zh')}，{clock.get('remaining_zh')}"
                  + (f"，责任单位：{clock['owner_zh']}" if clock.get("owner_zh") else ""))
        rows.append(("超时", esc(missed)))
    elif clock:
        due = f"{clip(clock.get('name_zh'), 40)}，截止{clock.get('due_zh')}（{clock.get('remaining_zh')}）"
        rows.append(("时限", esc(due)))
    reasons = f.get("reasons") or []
    if reasons:
        rows.append(("原因", esc(clip("；".join(reasons), 120))))
    if f.get("summary"):
        rows.append(("摘要", esc(clip(f["summary"], 120))))
    if f.get("note_zh"):
        rows.append(("提醒", esc(f["note_zh"])))
    return rows


def _fit(header: str, blocks: list[str], footer_for: Callable[[int], str], limit: int, sep: str) -> str:
    """Header plus as many whole blocks as fit, then a footer naming how many were left out."""
    out = header
    for index, block in enumerate(blocks):
        rest = len(blocks) - index - 1
        candidate = out + sep + block
        tail = footer_for(rest) if rest else ""
        if utf8_len(candidate + (sep + tail if tail else "")) <= limit:
            out = candidate
            continue
        more = footer_for(len(blocks) - index)
        if index == 0:  # even one item is too long: cut it
            room = limit - utf8_len(out + sep + sep + more)
            out = out + sep + truncate_bytes(block, max(room, 0)) + (sep + more if len(blocks) > 1 else "")
            return truncate_bytes(out, limit)
        return truncate_bytes(out + sep + more, limit)
    return out


def markdown(items: Sequence[dict[str, Any]], *, dialect: str, limit: int, keyword: str | None = None,
             mentions: Sequence[str] = ()) -> str:
    """Markdown for WeCom (``wecom``: may colour), DingTalk (``dingtalk``) or Feishu lark_md (``lark``)."""
    heading = "" if dialect == "lark" else "### "
    header = f"{heading}{escape_md(title(items))}"
    blocks: list[str] = []
    for f in items:
        rows = _lines(f, escape_md)
        lines = [] if len(items) == 1 else [f"**{escape_md(f.get('headline_zh', ''))}**"]
        for label, value in rows:
            if label == "级别" and dialect == "wecom" and f.get("level") in ("I", "II"):
                value = f'<font color="warning">{value}</font>'
            lines.append(f"**{label}**：{value}")
        if f.get("url"):
            lines.append(f"[{'查看报告' if is_report(f) else '查看详情'}]({f['url']})")
        blocks.append("\n".join(lines))
    if keyword and keyword not in header:
        header = f"{header}\n{escape_md(keyword)}"
    tail = " ".join(f"@{m}" for m in mentions)
    body = _fit(header, blocks, lambda n: f"……另有{n}条预警，请登录系统查看", limit - utf8_len(tail) - 2, "\n\n")
    return f"{body}\n\n{tail}" if tail else body


def text(items: Sequence[dict[str, Any]], *, limit: int, keyword: str | None = None) -> str:
    header = title(items)
    if keyword and keyword not in header:
        header = f"{keyword} {header}"
    blocks = []
    for f in items:
        lines = [] if len(items) == 1 else [f"◆ {f.get('headline_zh', '')}"]
        lines += [f"{label}：{value}" for label, value in _lines(f, lambda s: s or "")]
        if f.get("url"):
            lines.append(f"详情：{f['url']}")
        blocks.append("\n".join(lines))
    return _fit(header, blocks, lambda n: f"……另有{n}条预警，请登录系统查看", limit, "\n\n")


def email_html(items: Sequence[dict[str, Any]]) -> str:
    parts = [f"<h2>{escape_html(title(items))}</h2>"]
    for f in items:
        rows = "".join(
            f"<tr><th align='left'>{escape_html(label)}</th><td>{value}</td></tr>"
            for label, value in _lines(f, escape_html)
        )
        label = "查看报告" if is_report(f) else "查看详情"
        link = f"<p><a href=\"{escape_html(f['url'])}\">{label}</a></p>" if f.get("url") else ""
        parts.append(f"<h3>{escape_html(f.get('headline_zh', ''))}</h3><table>{rows}</table>{link}")
    return "<html><body>" + "".join(parts) + "</body></html>"


def sms(items: Sequence[dict[str, Any]], limit_chars: int = 140) -> str:
    if len(items) == 1 and is_report(items[0]):
        return clip(f"{REPORT_TAG}{items[0].get('title', '')}已印发，请登录系统查看。", limit_chars)
    if len(items) == 1:
        f = items[0]
        due = f.get("clock") or {}
        extra = f"，{due.get('remaining_zh')}" if due else ""
        if due.get("overdue"):
            extra = f"，{clip(due.get('name_zh'), 20)}{due.get('remaining_zh')}（责任单位{due.get('owner_zh', '')}）"
        msg = (f"{TAG}{f.get('level_zh', '')}{f.get('headline_zh', '')}：{clip(f.get('title'), 30)}，"
               f"牵头{f.get('office_zh', '')}{extra}，请登录系统处置。")
    else:
        msg = f"{title(items)}，请登录系统查看处置。"
    return clip(msg, limit_chars)

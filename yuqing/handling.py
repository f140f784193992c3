"""Handling kind (研判处置, domain §4): what the responsible office must publish for each kind.

The one copy of the handling-kind policy: routing states the requirement, reports judge against it.
"""

from __future__ import annotations

from collections.abc import Iterable

from yuqing.models import HANDLING_ZH, SEVERITY_RANK, Incident

# What the office must publish, per kind of mention (000 §三(三)).
REQUIREMENT_ZH: dict[str, str] = {
    "suggestion": "及时公开采纳情况",
    "difficulty": "及时公开解决进展",
    "major_problem": "及时公开调查及处理结果",
    "confusion": "及时发布权威信息，解疑释惑、澄清事实",
    "wrong_opinion": "及时发布信息进行引导和纠正",
    "false_info": "及时发布信息辟谣；涉嫌违法的移交公安机关、网络监管部门依法处理",
}
# Every response states the facts, the measures and the handling result (003 二(五)).
CONTENT_ZH = "回应内容应讲清事实真相、有关政策措施和处置结果"


def is_false_info(kind: str | None, priorities: Iterable[str]) -> bool:
    """False or untrue information (by handling kind or collection priority): rebut it, and refer it
    to the police and the cyberspace authority (000 §三(三))."""
    return kind == "false_info" or "false_info" in priorities


def handling_kind(incident: Incident) -> tuple[str | None, bool]:
    """The incident's handling kind and whether it was inferred here (the analysis did not set one)."""
    if incident.handling_kind:
        return incident.handling_kind, False
    if "false_info" in incident.priorities:
        return "false_info", True
    level = incident.severity.level if incident.severity else None
    if level is not None and SEVERITY_RANK[level] >= SEVERITY_RANK["II"]:
        return "major_problem", True
    return None, False


def requirement_zh(kind: str | None, inferred: bool = False) -> str:
    """One Chinese sentence: the handling kind and what must be published."""
    if kind is None or kind not in REQUIREMENT_ZH:
        return f"处置要求：{CONTENT_ZH}。"
    origin = "（按收集重点和级别推定）" if inferred else ""
    return f"处置类型：{HANDLING_ZH[kind]}{origin}；须{REQUIREMENT_ZH[kind]}。{CONTENT_ZH}。"

"""Severity (特别重大 I / 重大 II / 较大 III / 一般 IV) of an incident, with its reasons in Chinese.

Two things decide the level (domain §3):

1. **Casualty figures** (:mod:`analysis.casualties`) against the thresholds of the incident's kind of
   emergency (``analysis.severity.casualties.tables``; the defaults are the national ones of
   《生产安全事故报告和调查处理条例》 国务院令第493号 第三条): any one figure reaching a level sets it.
   Each mention's figures join the incident's *casualty timeline*; per kind of figure the one that
   counts is the latest from the most authoritative source (an official source before the media
   tiers, in ``authority`` order; a later figure replaces an earlier one of the same authority). An
   official source stating the event's grade (认定为较大事故) counts like a figure.
2. **The spread score** — how much attention the incident draws:
   ``priority_weight × (highest weight among its priorities) + reach_weight × log10(1 + reach)
   + velocity_weight × log2(1 + peak mentions in one trend bucket) + negative_weight × negative share
   + the points of the highest spread-speed step reached`` (``spread_speed.steps``: new reposts,
   comments and likes per hour from the engagement snapshots, summed over the incident's mentions)
   against ``thresholds``, but never above ``score_max_level`` (III): 重大 and 特别重大 (and with them
   the 5 h / 24 h clocks) rest on figures or an official grading, never on wording or spread alone.

The level is the higher of the two. ``history`` records when the incident reached each level: the
first entry when it appeared, then every change a later mention's figures brought (the moment
the new level's clocks open from).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from analysis.casualties import FIGURE_ZH, extract, find_grading
from yuqing.config.analysis import CasualtySettings, SeveritySettings
from yuqing.config.priorities import PrioritiesConfig
from yuqing.models import (
    SEVERITY_RANK,
    SEVERITY_ZH,
    TIER_ZH,
    CasualtyFigure,
    LevelChange,
    Severity,
    SeverityLevel,
)

LEVELS: tuple[SeverityLevel, ...] = ("I", "II", "III", "IV")
AUTHORITY_ZH = {"official": "官方发布", **{k: v for k, v in TIER_ZH.items() if k != "official"}}


@dataclass(frozen=True)
class Grading:
    """An official source's own grading of the event."""

    level: SeverityLevel
    at: dt.datetime
    mention_id: str
    evidence: str


@dataclass(frozen=True)
class MentionFigures:
    """What one mention contributes to severity: its figures and an official grading, if any."""

    id: str
    at: dt.datetime
    figures: list[CasualtyFigure]
    grading: Grading | None = None


@dataclass(frozen=True)
class IncidentFacts:
    priorities: list[str]
    mention_count: int
    reprint_count: int
    reach: float
    tiers: dict[str, int]
    peak_per_bucket: int
    negative_share: float
    mentions: list[MentionFigures] = field(default_factory=list)  # in time order
    emergency_kind: str | None = None
    spread_per_hour: float = 0.0  # new interactions per hour (engagement snapshots), summed over mentions


def authority_of(doc: dict[str, Any]) -> str:
    """``official`` for an official source, else the source's media tier."""
    if doc.get("official") or doc.get("media_tier") == "official":
        return "official"
    return str(doc.get("media_tier") or "unknown")


def mention_figures(doc: dict[str, Any], text: str, at: dt.datetime, settings: CasualtySettings) -> MentionFigures:
    """The casualty figures (and an official grading) one stored mention states."""
    authority = authority_of(doc)
    figures = [
        CasualtyFigure(kind=f.kind, value=f.value, stated=f.stated, evidence=f.evidence[:60], at=at,
                       mention_id=doc["id"], source_id=doc.get("source_id") or "", authority=authority,
                       official=authority == "official")
        for f in extract(text).values()
    ]
    grading = None
    if settings.official_grading and authority == "official":
        found = find_grading(text)
        if found is not None:
            grading = Grading(level=found.level, at=at, mention_id=doc["id"], evidence=found.evidence)
    return MentionFigures(id=doc["id"], at=at, figures=figures, grading=grading)


def _rank_of(authority: str, order: Sequence[str]) -> int:
    return order.index(authority) if authority in order else len(order)


class FigureSelection:
    """The figure that counts per kind, updated mention by mention in time order."""

    def __init__(self, authority: Sequence[str]) -> None:
        self.order = list(authority)
        self.best: dict[str, CasualtyFigure] = {}
        self.grading: Grading | None = None

    def add(self, mention: MentionFigures) -> None:
        for fig in mention.figures:
            cur = self.best.get(fig.kind)
            if cur is None or _rank_of(fig.authority, self.order) <= _rank_of(cur.authority, self.order):
                self.best[fig.kind] = fig  # more authoritative, or as authoritative and later
        if mention.grading is not None:
            self.grading = mention.grading  # official gradings only: the latest wins


def figure_level(figures: dict[str, CasualtyFigure],
                 table: dict[str, dict[str, float]]) -> tuple[SeverityLevel | None, list[tuple[CasualtyFigure, float]]]:
    """The highest level one of ``figures`` reaches, and the figures that reach it (with the minimum)."""
    for level in LEVELS:
        minimums = table.get(level) or {}
        reached = [(figures[k], m) for k, m in minimums.items() if k in figures and figures[k].value >= m]
        if reached:
            return level, reached
    return None, []


def _score_level(score: float, settings: SeveritySettings) -> SeverityLevel:
    level: SeverityLevel = "IV"
    for t in sorted(settings.thresholds, key=lambda t: -t.min_score):
        if score >= t.min_score:
            level = t.level  # type: ignore[assignment]
            break
    return level


def _max(*levels: SeverityLevel | None) -> SeverityLevel | None:
    best: SeverityLevel | None = None
    for lv in levels:
        if lv is not None and (best is None or SEVERITY_RANK[lv] > SEVERITY_RANK[best]):
            best = lv
    return best


def _figure_zh(fig: CasualtyFigure) -> str:
    if fig.kind == "economic_loss":
        amount = f"{fig.stated}元" if fig.stated else f"{fig.value:g}元"
        return f"{FIGURE_ZH[fig.kind]}{amount}"
    return f"{FIGURE_ZH[fig.kind]}{fig.stated or f'{fig.value:g}'}人"


def _minimum_zh(fig: CasualtyFigure, minimum: float) -> str:
    if fig.kind == "economic_loss":
        return f"{FIGURE_ZH[fig.kind]}{minimum / 1e4:g}万元以上"
    return f"{FIGURE_ZH[fig.kind]}{minimum:g}人以上"


def cite(fig: CasualtyFigure) -> str:
    """Where a figure comes from, for a reason: source, authority, time and the mention id."""
    when = fig.at.strftime("%m-%d %H:%M")
    who = AUTHORITY_ZH.get(fig.authority, fig.authority)
    return f"{who}{('“' + fig.source_id + '”') if fig.source_id else ''}{when}信息{fig.mention_id}：“{fig.evidence}”"


def _graded(facts: IncidentFacts, settings: CasualtySettings) -> bool:
    return not settings.priorities or bool(set(settings.priorities) & set(facts.priorities))


def assess(facts: IncidentFacts, settings: SeveritySettings, priorities: PrioritiesConfig) -> Severity:
    weights = {p.id: (p.weight, p.name_zh) for p in priorities.priorities}
    reasons: list[str] = []
    touched = [(weights[p][0], p) for p in facts.priorities if p in weights]
    p_part = settings.priority_weight * max((w for w, _ in touched), default=0.0)
    if touched:
        w, pid = max(touched)
        reasons.append(f"涉及收集重点“{weights[pid][1]}”（权重{w:g}）")
    else:
        reasons.append("未涉及收集重点")
    r_part = settings.reach_weight * math.log10(1 + facts.reach)
    by_count = sorted(facts.tiers.items(), key=lambda kv: (-kv[1], kv[0]))
    tiers = "、".join(f"{TIER_ZH.get(t, t)}{n}条" for t, n in by_count)
    reasons.append(f"传播范围：{facts.mention_count}条信息（其中转载{facts.reprint_count}条；{tiers}），"
                   f"加权传播量{facts.reach:.1f}")
    v_part = settings.velocity_weight * math.log2(1 + facts.peak_per_bucket)
    reasons.append(f"传播速度：单位时段内最多{facts.peak_per_bucket}条")
    n_part = settings.negative_weight * facts.negative_share
    reasons.append(f"负面信息占比{facts.negative_share:.0%}")
    s_part, spread_reason = spread_points(facts.spread_per_hour, settings)
    if spread_reason:
        reasons.append(spread_reason)
    score = round(p_part + r_part + v_part + n_part + s_part, 3)
    raw = _score_level(score, settings)
    cap = settings.score_max_level
    score_level: SeverityLevel = raw if SEVERITY_RANK[raw] <= SEVERITY_RANK[cap] else cap
    if score_level != raw:
        reasons.append(f"综合得分{score:g}，对应{SEVERITY_ZH[raw]}（{raw}级）；传播热度不单独定为{SEVERITY_ZH[raw]}，"
                       f"按{SEVERITY_ZH[cap]}（{cap}级）计，重大及以上须有伤亡数据或官方定级")
    else:
        reasons.append(f"综合得分{score:g}，对应{SEVERITY_ZH[raw]}（{raw}级）")

    c = settings.casualties
    if not _graded(facts, c):
        return Severity(level=score_level, score=score, reasons=reasons, basis="score",
                        history=_history(facts.mentions, facts, score_level, None))
    kind = facts.emergency_kind or c.default_kind
    table: dict[str, dict[str, float]] = {lv: {str(k): v for k, v in m.items()} for lv, m in c.table(kind).items()}
    selection = FigureSelection(c.authority)
    for m in facts.mentions:
        selection.add(m)
    fig_level, reached = figure_level(selection.best, table)
    grading = selection.grading
    grade_level = grading.level if grading is not None else None
    level = _max(score_level, fig_level, grade_level) or score_level
    if selection.best:
        stated = "、".join(_figure_zh(f) for f in selection.best.values())
        reasons.append(f"伤亡数据（取最权威来源的最新数字）：{stated}")
    for fig, minimum in reached:
        reasons.append(f"{_figure_zh(fig)}，达到{SEVERITY_ZH[fig_level or 'IV']}（{fig_level or 'IV'}级）标准"
                       f"（{_minimum_zh(fig, minimum)}）；依据：{cite(fig)}")
    if grading is not None:
        reasons.append(f"官方定级：{grading.evidence}（{SEVERITY_ZH[grading.level]}，{grading.level}级）；"
                       f"依据：官方发布{grading.at.strftime('%m-%d %H:%M')}信息{grading.mention_id}")
    basis: Literal["score", "figures", "grading"] = "score"
    if fig_level == level:
        basis = "figures"
    elif grade_level == level:
        basis = "grading"
    if basis != "score":
        reasons.append(f"定为{SEVERITY_ZH[level]}（{level}级）")
    return Severity(level=level, score=score, reasons=reasons, casualty_level=fig_level, basis=basis,
                    figures=dict(selection.best), emergency_kind=kind,
                    history=_history(facts.mentions, facts, score_level, (c, table)))


def spread_points(per_hour: float, settings: SeveritySettings) -> tuple[float, str | None]:
    """Points for how fast the incident's posts spread (the highest step of
    ``severity.spread_speed.steps`` reached) and the reason naming the figure; no reason without figures."""
    steps = settings.spread_speed.steps
    if per_hour <= 0 or not steps:
        return 0.0, None
    reached = [step for step in steps if per_hour >= step.min_per_hour]
    figure = f"扩散速度：每小时新增转发、评论、点赞约{per_hour:,.0f}次"
    if not reached:
        return 0.0, f"{figure}（未达“{steps[0].label}”标准{steps[0].min_per_hour:,.0f}次/小时，不加分）"
    step = reached[-1]
    return step.points, f"{figure}，达到“{step.label}”标准（≥{step.min_per_hour:,.0f}次/小时），加{step.points:g}分"


def _history(mentions: Iterable[MentionFigures], facts: IncidentFacts, score_level: SeverityLevel,
             grading: tuple[CasualtySettings, dict[str, dict[str, float]]] | None) -> list[LevelChange]:
    """The incident's level over time: the spread level, raised by the figures known at each mention."""
    ms = list(mentions)
    if grading is None or not ms:
        first = ms[0] if ms else None
        return [LevelChange(level=score_level, at=first.at, mention_id=first.id)] if first else []
    settings, table = grading
    selection = FigureSelection(settings.authority)
    out: list[LevelChange] = []
    for m in ms:
        selection.add(m)
        fig_level, reached = figure_level(selection.best, table)
        grade = selection.grading.level if selection.grading else None
        level = _max(score_level, fig_level, grade) or score_level
        if out and out[-1].level == level:
            continue
        reason = ""
        if fig_level == level and reached:
            reason = f"{_figure_zh(reached[0][0])}（{cite(reached[0][0])}）"
        elif grade == level and selection.grading is not None:
            reason = f"官方定级：{selection.grading.evidence}"
        out.append(LevelChange(level=level, at=m.at, mention_id=m.id, previous=out[-1].level if out else None,
                               reason=reason))
    return out


def emergency_kind(texts: Iterable[str], kinds: dict[str, list[str]],
                   event_matchers: dict[str, Any]) -> str | None:
    """The kind of emergency (natural_disaster, public_health…) most texts name an event type of;
    None when they name none of the configured kinds' event types (the default kind applies)."""
    if not kinds:
        return None
    counts: dict[str, int] = {}
    for text in texts:
        named = {t for t, matcher in event_matchers.items() if any(True for _ in matcher.finditer(text))}
        for kind, types in kinds.items():
            if named & set(types):
                counts[kind] = counts.get(kind, 0) + 1
    if not counts:
        return None
    order = list(kinds)
    return min(counts, key=lambda k: (-counts[k], order.index(k)))


def text_casualties(text: str, settings: SeveritySettings, event_matchers: dict[str, Any]) -> dict[str, Any]:
    """``casualties`` (each figure kind the text states: people, or yuan for ``economic_loss``; absent
    when not stated, 0 when the text says there were none) and ``casualty_level``, the level the
    figures alone imply under the thresholds of the text's kind of emergency (None below IV)."""
    figures = extract(text)
    c = settings.casualties
    kind = emergency_kind([text], c.kinds, event_matchers) or c.default_kind
    table: dict[str, dict[str, float]] = {lv: {str(k): v for k, v in m.items()} for lv, m in c.table(kind).items()}
    counted = {k: CasualtyFigure(kind=f.kind, value=f.value, at=dt.datetime(1970, 1, 1), mention_id="",
                                 authority="text") for k, f in figures.items()}
    level, _ = figure_level(counted, table)  # type: ignore[arg-type]
    return {
        "casualties": {k: (int(f.value) if f.value == int(f.value) else f.value) for k, f in figures.items()},
        "casualty_level": level,
    }

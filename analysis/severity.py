"""Severity (特别重大 I / 重大 II / 较大 III / 一般 IV) of an incident, with its reasons in Chinese.

score = priority_weight × (highest weight among the incident's priorities)
      + reach_weight × log10(1 + reach)            (tier-weighted mentions)
      + velocity_weight × log2(1 + peak mentions in one trend bucket)
      + negative_weight × negative share
The level is the highest threshold the score reaches (``config/analysis.yaml``). For an emergency,
a casualty term found un-negated in a mention ("3人死亡"; not "并未造成人员伤亡") sets a floor.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

from analysis.matching import Negation, TermMatcher
from yuqing.config.analysis import SeveritySettings
from yuqing.config.priorities import PrioritiesConfig
from yuqing.models import SEVERITY_RANK, SEVERITY_ZH, TIER_ZH, Severity, SeverityLevel


@dataclass(frozen=True)
class IncidentFacts:
    priorities: list[str]
    mention_count: int
    reprint_count: int
    reach: float
    tiers: dict[str, int]
    peak_per_bucket: int
    negative_share: float
    casualty_terms: dict[str, list[str]]  # level -> terms found (un-negated)


class CasualtyFinder:
    def __init__(self, settings: SeveritySettings, negation: Negation) -> None:
        self.level_of: dict[str, str] = {}
        for level in sorted(settings.casualty_terms, key=lambda lv: SEVERITY_RANK.get(lv, 0)):
            for term in settings.casualty_terms[level]:
                self.level_of[term] = level  # the most severe level wins for a repeated term
        self.matcher = TermMatcher(self.level_of)
        self.negation = negation

    def find(self, texts: Iterable[str]) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for text in texts:
            for term, start in self.matcher.finditer(text):
                if not self.negation.is_negated(text, start):
                    terms = out.setdefault(self.level_of[term], [])
                    if term not in terms:
                        terms.append(term)
        return out


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
    score = round(p_part + r_part + v_part + n_part, 3)
    level: SeverityLevel = "IV"
    for t in sorted(settings.thresholds, key=lambda t: -t.min_score):
        if score >= t.min_score:
            level = t.level  # type: ignore[assignment]
            break
    reasons.append(f"综合得分{score:g}，对应{SEVERITY_ZH[level]}（{level}级）")
    if "emergency" in facts.priorities:
        for lv in sorted(facts.casualty_terms, key=lambda lv: -SEVERITY_RANK.get(lv, 0)):
            if SEVERITY_RANK.get(lv, 0) > SEVERITY_RANK[level]:
                terms = "、".join(f"“{t}”" for t in facts.casualty_terms[lv])
                reasons.append(f"出现伤亡表述{terms}，突发事件至少定为{SEVERITY_ZH[lv]}（{lv}级）")
                level = lv  # type: ignore[assignment]
            break
    return Severity(level=level, score=score, reasons=reasons)

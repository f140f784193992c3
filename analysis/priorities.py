"""Collection priorities (舆情收集重点): which configured priorities and sub-topics a text touches.

Everything comes from ``config/priorities.yaml`` (see :mod:`yuqing.config.priorities` for the
scoring rule), so a new term or sub-topic takes effect without code. Each hit carries a
confidence and the matched terms as evidence an officer can read; negated terms ("未发生火灾")
and excluded contexts (演练, 游戏…) do not count.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from analysis.matching import Negation, TermMatcher
from yuqing.config.priorities import PrioritiesConfig
from yuqing.models import PriorityHit

MAX_EVIDENCE = 8


@dataclass(frozen=True)
class TermHits:
    found: frozenset[str]  # terms present and not negated
    negated: frozenset[str]  # terms present only in negated form


def confidence(score: float) -> float:
    return round(1 - math.exp(-score), 3)


class PriorityMatcher:
    def __init__(self, config: PrioritiesConfig, negation: Negation) -> None:
        self.config = config
        self.negation = negation
        terms: set[str] = set()
        for p in config.priorities:
            terms.update(p.terms, p.weak_terms, p.exclude_terms)
        for s in config.subtopics:
            terms.update(s.terms)
        self.matcher = TermMatcher(terms)

    def terms_in(self, text: str) -> TermHits:
        found: set[str] = set()
        negated: set[str] = set()
        for term, start in self.matcher.finditer(text):
            (negated if self.negation.is_negated(text, start) else found).add(term)
        return TermHits(frozenset(found), frozenset(negated - found))

    def match(self, text: str, force: dict[str, list[str]] | None = None, *,
              official: bool = False, found: TermHits | None = None) -> list[PriorityHit]:
        """Priority hits first (config order), then sub-topic hits (with ``parent``).

        ``force`` adds priorities decided by a rule outside the terms (a message-board item of a
        configured kind), with the evidence to show. ``official``: the text comes from an official
        source, where priorities configured with ``official: false`` do not apply.
        """
        hits = (found or self.terms_in(text)).found
        out: list[PriorityHit] = []
        if not hits and not force:
            return out
        fired: set[str] = set()
        for pid, evidence in (force or {}).items():
            out.append(PriorityHit(id=pid, confidence=confidence(1.0), evidence=evidence))
            fired.add(pid)
        for p in self.config.priorities:
            if any(t in hits for t in p.exclude_terms) or (official and not p.official):
                continue
            strong = [t for t in p.terms if t in hits]
            weak = [t for t in p.weak_terms if t in hits and t not in strong]
            score = len(strong) + self.config.weak_weight * len(weak)
            if score >= p.min_score and p.id not in fired:
                out.append(PriorityHit(id=p.id, confidence=confidence(score), evidence=(strong + weak)[:MAX_EVIDENCE]))
                fired.add(p.id)
        subs: list[PriorityHit] = []
        for s in self.config.subtopics:
            if not (fired or s.standalone):
                continue
            matched = [t for t in s.terms if t in hits]
            if not matched:
                continue
            subs.append(PriorityHit(id=s.id, confidence=confidence(len(matched) * s.weight),
                                    evidence=matched[:MAX_EVIDENCE], parent=s.priority))
            if s.standalone and s.priority not in fired:
                out.append(PriorityHit(id=s.priority, confidence=confidence(len(matched) * s.weight * 0.8),
                                       evidence=matched[:MAX_EVIDENCE]))
                fired.add(s.priority)
        order = {pid: i for i, pid in enumerate(self.config.priority_ids())}
        out.sort(key=lambda h: order.get(h.id, 99))
        return out + subs

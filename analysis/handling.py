"""Handling kind (研判处置, domain §4): what the responsible office must publish about a mention.

Rules, first match wins (the terms are in ``config/analysis.yaml`` under ``handling``):

1. touches ``false_info`` → 虚假和不实信息 (rebut; maybe refer to police / cyberspace office) — unless
   the rumour model alone flags it and it also reports an emergency: then rule 2 (the pipeline
   leaves ``false_info`` out of the ids it passes here; the flag and score stay as evidence);
2. touches ``emergency`` → 重大问题 (investigate, publish the result);
3. touches ``public_interest`` / ``moral_livelihood`` while negative, or uses difficulty terms
   (恳请, 欠薪…) → 实际困难 (say how it is being solved): a wage dispute that mentions 推诿 is
   still somebody's real difficulty;
4. touches ``credibility`` while negative → 重大问题;
5. suggestion terms (建议…) → 建设性意见建议 (say how it was adopted);
6. confusion terms (真的假的, 为什么…) → 模糊认识 (clear it up with authoritative information);
7. wrong-opinion terms → 错误看法 (guide and correct).

Official sources publish rather than report, so their mentions get no handling kind. An incident
takes the most common kind of its mentions (ties go to the more serious kind).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from analysis.matching import TermMatcher
from yuqing.config.analysis import HandlingSettings
from yuqing.models import HandlingKind, Sentiment

SERIOUSNESS: tuple[HandlingKind, ...] = (
    "false_info", "major_problem", "difficulty", "wrong_opinion", "confusion", "suggestion",
)


class HandlingClassifier:
    def __init__(self, settings: HandlingSettings) -> None:
        self.kinds: dict[str, set[str]] = {}
        for kind in ("suggestion", "difficulty", "confusion", "wrong_opinion"):
            for term in getattr(settings, kind):
                self.kinds.setdefault(term, set()).add(kind)
        self.matcher = TermMatcher(self.kinds)

    def classify(self, text: str, priorities: Iterable[str], sentiment: Sentiment | None,
                 official: bool) -> HandlingKind | None:
        if official:
            return None
        ids = set(priorities)
        negative = sentiment is not None and sentiment.label == "negative"
        if "false_info" in ids:
            return "false_info"
        if "emergency" in ids:
            return "major_problem"
        cues: set[str] = set()
        for term, _ in self.matcher.finditer(text):
            cues |= self.kinds[term]
        if ((ids & {"public_interest", "moral_livelihood"}) and negative) or "difficulty" in cues:
            return "difficulty"
        if "credibility" in ids and negative:
            return "major_problem"
        kind: HandlingKind
        for kind in ("suggestion", "confusion", "wrong_opinion"):
            if kind in cues:
                return kind
        return None


def incident_kind(kinds: Iterable[HandlingKind | None]) -> HandlingKind | None:
    counts = Counter(k for k in kinds if k is not None)
    if not counts:
        return None
    return min(counts, key=lambda k: (-counts[k], SERIOUSNESS.index(k)))

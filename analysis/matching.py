"""Fast matching of many literal terms in Chinese text, and clause-level negation.

Priorities, places, casualty terms and the sentiment lexicon all look for hundreds to thousands of
literal terms in every mention; one pass per text with a first-characters index finds them all, so
analysis costs little more than segmentation.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

# Characters that end a clause: negation never crosses them.
CLAUSE_END = "，。！？；：,.!?;:\n\r\t…、（）()【】[]“”\"'《》 "


class TermMatcher:
    """Finds every occurrence of a fixed set of terms, longest match first at each position.

    A scan with an index: a character class finds the next position where some term can start, and
    only the lengths of terms starting with the two characters there are looked up in a set.
    This is several times faster than one big regular expression (Python's ``re`` tries the
    branches of an alternation one by one).
    """

    def __init__(self, terms: Iterable[str]) -> None:
        self.terms = frozenset(t for t in (s.strip() for s in terms) if t)
        by_start: dict[str, set[int]] = {}
        for term in self.terms:
            if len(term) >= 2:
                by_start.setdefault(term[:2], set()).add(len(term))
        # Lengths of the terms starting with each two characters, longest first: most candidate
        # positions are ruled out by one lookup instead of one slice per length.
        self._lengths = {start: sorted(lengths, reverse=True) for start, lengths in by_start.items()}
        self._single = frozenset(t for t in self.terms if len(t) == 1)
        # Jump between positions whose character starts some term (the search runs in C).
        chars = "".join(re.escape(ch) for ch in sorted({t[0] for t in self.terms}))
        self._next = re.compile(f"[{chars}]").search if chars else None

    def finditer(self, text: str) -> Iterator[tuple[str, int]]:
        """``(term, start)`` for each non-overlapping match, left to right."""
        if self._next is None or not text:
            return
        lengths, terms, single, search = self._lengths, self.terms, self._single, self._next
        i = 0
        while (m := search(text, i)) is not None:
            i = m.start()
            for size in lengths.get(text[i:i + 2], ()):
                piece = text[i:i + size]
                if piece in terms:
                    yield piece, i
                    i += size
                    break
            else:
                if text[i] in single:
                    yield text[i], i
                i += 1

    def found(self, text: str) -> set[str]:
        return {t for t, _ in self.finditer(text)}


class Negation:
    """Decides whether a term at a position is negated within its clause ("并未造成人员伤亡")."""

    def __init__(self, negators: Iterable[str], not_negators: Iterable[str], window: int) -> None:
        self.window = window
        self._neg = TermMatcher(negators)
        self._not = TermMatcher(not_negators)

    def is_negated(self, text: str, start: int) -> bool:
        lo = max(0, start - self.window)
        prefix = text[lo:start]
        for i in range(len(prefix) - 1, -1, -1):
            if prefix[i] in CLAUSE_END:
                prefix = prefix[i + 1:]
                break
        if not prefix:
            return False
        for word in self._not.found(prefix):
            prefix = prefix.replace(word, "_" * len(word))
        return any(True for _ in self._neg.finditer(prefix))

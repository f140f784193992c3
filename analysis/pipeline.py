"""Per-mention analysis: sentiment, priorities, place, keywords and handling kind, in batches.

:class:`Analyzer` builds everything it needs from the configuration once (term matchers, the
gazetteer, the tokenizer; the sentiment model loads lazily on first use) and then scores texts
in batches. Segmentation happens once per text; everything else is one regular-expression pass
or a hashed-feature dot product, so analysis costs little more than segmentation
(``bench/analysis_throughput.py``).
"""

from __future__ import annotations

import gc
from bisect import bisect_left
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import accumulate

from analysis import features
from analysis.classify import Classifiers
from analysis.handling import HandlingClassifier
from analysis.keywords import KeywordExtractor
from analysis.matching import Negation
from analysis.place import gazetteer
from analysis.priorities import PriorityMatcher
from analysis.sentiment import MAX_CHARS, SentimentScorer
from yuqing.config import Config
from yuqing.models import HANDLING_ZH, Department, Emotion, FalseInfo, HandlingKind, Place, PriorityHit, Sentiment
from yuqing.segment import Segmenter, segmenter

# Bump when scoring changes: `yuqing analyze` then re-scores every stored mention.
ANALYSIS_VERSION = "3"
FALSE_INFO = "false_info"
EMERGENCY = "emergency"


@dataclass(frozen=True)
class TextInput:
    title: str = ""
    text: str = ""
    doc_type: str = "article"
    official: bool = False
    jurisdiction: str | None = None  # the source's jurisdiction: the place when the text names none
    media_tier: str | None = None  # the source's tier (None: unknown, e.g. a text checked by hand)
    # The crawler's stored segmentation (``title_seg``/``text_seg`` split on spaces): reused, not redone.
    title_tokens: tuple[str, ...] | None = None
    text_tokens: tuple[str, ...] | None = None


@dataclass
class TextAnalysis:
    sentiment: Sentiment
    priorities: list[PriorityHit]
    place: Place | None
    keywords: list[str]
    handling_kind: HandlingKind | None
    emotion: Emotion
    false_info: FalseInfo
    department: Department
    negated: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        return {
            "sentiment": self.sentiment.model_dump(),
            "emotion": self.emotion.model_dump(),
            "false_info": self.false_info.model_dump(),
            "department": self.department.model_dump(),
            "priorities": [h.model_dump(exclude_none=True) for h in self.priorities],
            "place": self.place.model_dump(exclude_none=True) if self.place else None,
            "keywords": self.keywords,
            "handling_kind": self.handling_kind,
            "handling_zh": HANDLING_ZH.get(self.handling_kind or "", None),
        }


def _prefix(tokens: Sequence[str], length: int) -> list[str]:
    """The tokens covering the first ``length`` characters (the title inside the full text): those
    starting before it."""
    if length <= 0:
        return []
    ends = list(accumulate(map(len, tokens)))
    if not ends or ends[-1] - len(tokens[-1]) < length:  # the last token starts inside: all of them
        return list(tokens)
    # token i starts where token i - 1 ends: keep the first, and each whose predecessor ends before ``length``
    return list(tokens[:bisect_left(ends, length) + 1])


def full_text(title: str, text: str) -> str:
    title, text = (title or "").strip(), (text or "").strip()
    if not text or text.startswith(title):
        return text or title
    return f"{title}\n{text}"


def project_segmenter(config: Config) -> Segmenter:
    """The process-wide tokenizer, with the configured terms as extra words (first build wins)."""
    words = list(config.analysis.user_dictionary)
    for p in config.priorities.priorities:
        words += p.terms + p.weak_terms
    for s in config.priorities.subtopics:
        words += s.terms
    return segmenter(w for w in words if len(w) >= 2)


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Python's cyclic garbage collector paused for one batch, then restored as it was.

    A batch allocates tens of thousands of short-lived containers (pydantic models, dicts, lists).
    Reference counting frees them as they go; but the objects still alive whenever the collector
    runs (the batch's results so far) are promoted to the oldest generation, which soon triggers
    full collections over every object of the process (imported libraries, dictionaries, the
    gazetteer): about a fifth of the analysis time, measured with ``gc.callbacks``. Paused, the
    collector runs once after the batch over what is left; cyclic garbage (there is little) waits
    for it. Results do not depend on it.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


class Analyzer:
    def __init__(self, config: Config) -> None:
        self.config = config
        a = config.analysis
        self.negation = Negation(a.negation.negators, a.negation.not_negators, a.negation.window)
        self.priorities = PriorityMatcher(config.priorities, self.negation)
        self.sentiment = SentimentScorer(a)
        self.handling = HandlingClassifier(a.handling)
        self.places = gazetteer(config.offices)
        self.segmenter = project_segmenter(config)
        self.keywords = KeywordExtractor(exclude=self.places.aliases)
        self.classifiers = Classifiers(a)

    def tokens(self, text: str) -> list[str]:
        return self.segmenter.cut(text[:MAX_CHARS])

    def _tokens(self, item: TextInput, text: str, masked: str) -> list[str]:
        """The stored segmentation when the crawler left one (title tokens, then text tokens, up to
        ``MAX_CHARS`` characters), else the masked text segmented here."""
        if item.text_tokens is None and item.title_tokens is None:
            return self.tokens(masked)
        body = list(item.text_tokens or ())
        title = item.title.strip()
        if title and not (item.text or "").strip().startswith(title):
            body = list(item.title_tokens or ()) + body
        return _prefix(body, MAX_CHARS)

    def _false_info(self, hits: list[PriorityHit], score: float, item: TextInput) -> tuple[FalseInfo, bool]:
        """The mention's false-information evidence, and whether the model alone flags it."""
        settings = self.config.analysis.false_info
        rule = next((h for h in hits if h.id == FALSE_INFO and h.parent is None), None)
        tier_ok = item.media_tier is None or item.media_tier in settings.model_tiers
        by_model = (not item.official and tier_ok and item.doc_type not in settings.model_skip_doc_types
                    and score >= settings.model_threshold)
        flagged = rule is not None or by_model
        confidence = 1 - (1 - (rule.confidence if rule else 0.0)) * (1 - (score if by_model else 0.0))
        cues = list(rule.evidence) if rule else []
        return FalseInfo(flagged=flagged, confidence=round(confidence, 3), cues=cues, model_score=score), \
            by_model and rule is None

    def analyze_many(self, items: Sequence[TextInput]) -> list[TextAnalysis]:
        with _collector_paused():
            return self._analyze_many(items)

    def _analyze_many(self, items: Sequence[TextInput]) -> list[TextAnalysis]:
        texts = [full_text(i.title, i.text) for i in items]
        lexed = [self.sentiment.lexicon(t) for t in texts]
        tokens = [self._tokens(i, t, lx.masked) for i, t, lx in zip(items, texts, lexed, strict=True)]
        feats = features.featurize([lx.masked for lx in lexed], tokens)  # one feature pass for every model
        sentiments = self.sentiment.score_prepared(lexed, feats)
        classified = self.classifiers.classify(texts, feats)
        k = self.config.analysis.incidents.keywords
        board = self.config.analysis.board_messages
        out: list[TextAnalysis] = []
        for item, text, sentiment, body_tokens, cls in zip(items, texts, sentiments, tokens, classified, strict=True):
            found = self.priorities.terms_in(text)
            hits = self.priorities.match(text, official=item.official, found=found)
            false_info, model_only = self._false_info(hits, cls.rumour_score, item)
            force: dict[str, list[str]] = {}
            if model_only:
                force[FALSE_INFO] = [f"模型评分 {cls.rumour_score:.2f}"]
            ids = [h.id for h in hits if h.parent is None] + list(force)
            # A suspicion resting on the model alone does not turn an emergency report into false
            # information: an eyewitness account of an accident is handled as the emergency it reports
            # (its clocks), and the model's score stays on the mention as evidence.
            kind_ids = [i for i in ids if i != FALSE_INFO] if model_only and EMERGENCY in ids else ids
            kind = self.handling.classify(text, kind_ids, sentiment, item.official)
            if (item.doc_type == "board_message" and board.priority and kind in board.kinds
                    and board.priority not in ids):
                force[board.priority] = [f"留言板：{HANDLING_ZH[kind]}"]
            if force:
                hits = self.priorities.match(text, force=force, official=item.official, found=found)
            title_len = len(item.title.strip()) if text.startswith(item.title.strip()) else 0
            keywords = self.keywords.extract(_prefix(body_tokens, title_len), body_tokens, k)
            place = self.places.extract(text, title_len=title_len, fallback=item.jurisdiction)
            out.append(TextAnalysis(sentiment=sentiment, priorities=hits, place=place, keywords=keywords,
                                    handling_kind=kind, emotion=cls.emotion, false_info=false_info,
                                    department=cls.department, negated=sorted(found.negated)))
        return out

    def analyze_text(self, text: str) -> TextAnalysis:
        return self.analyze_many([TextInput(text=text)])[0]

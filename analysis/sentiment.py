"""Sentiment of a mention: a score in [-1, 1] and a label.

Two parts, chosen by measurement (see docs/analysis.md): a trained model shipped with the package
(hashed character 1–3-gram and word TF-IDF, each a logistic regression averaged with a complement
naive Bayes; see :mod:`analysis.train`) and the project's lexicon (:mod:`analysis.lexicon`) for government-opinion
negatives the Weibo training data rarely shows. Negated harm terms ("并未造成人员伤亡") are masked
before the model sees the text and count as relief in the lexicon. The model file is loaded lazily
once per process; nothing is ever fetched from a hub.
"""

from __future__ import annotations

import json
import logging
import math
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from analysis import features, lexicon
from analysis.matching import Negation, TermMatcher
from yuqing.config.analysis import AnalysisConfig
from yuqing.errors import YuqingError
from yuqing.models import Sentiment
from yuqing.segment import segmenter

log = logging.getLogger(__name__)

MODEL_PATH = Path(__file__).with_name("data") / "sentiment.npz"
MAX_CHARS = features.MAX_CHARS

_lock = threading.Lock()
_model: SentimentModel | None = None


class SentimentModel:
    """The trained classifier: ``scores(...)`` gives P(positive) − P(negative) per text, averaged
    over a logistic regression and a complement naive Bayes on each of the shared hashed blocks
    (character 1–3-grams counted twice, words once; :mod:`analysis.features`, :mod:`analysis.train`)."""

    def __init__(self, arrays: dict[str, Any]) -> None:
        self.info = json.loads(str(arrays["info"]))
        self.version = str(self.info.get("version", "unknown"))
        # Added to every score: the model's balance point, chosen on the selection half (analysis.train).
        self.offset = float(self.info.get("offset", 0.0))
        self.idf = arrays["idf"]
        self.lr_w = arrays["lr_w"]
        self.lr_b = float(arrays["lr_b"][0])
        self.nb_logp = arrays["nb_logp"]  # rows: negative, positive
        self.w_idf = arrays["w_idf"]
        self.w_lr_w = arrays["w_lr_w"]
        self.w_lr_b = float(arrays["w_lr_b"][0])
        self.w_nb_logp = arrays["w_nb_logp"]
        if (len(self.idf), len(self.w_idf)) != (features.CHAR_FEATURES, features.WORD_FEATURES):
            raise YuqingError(f"sentiment model {MODEL_PATH} was trained with other features: "
                              "run `yuqing train sentiment`")

    @classmethod
    def load(cls, path: Path = MODEL_PATH) -> SentimentModel:
        import numpy as np

        try:
            with np.load(path, allow_pickle=False) as data:
                arrays = {k: data[k] for k in data.files}
        except FileNotFoundError as exc:
            raise YuqingError(f"sentiment model {path} is missing: run `yuqing train sentiment`") from exc
        return cls(arrays)

    @staticmethod
    def _tfidf(counts: Any, idf: Any) -> Any:
        import numpy as np
        from sklearn.preprocessing import normalize

        x = counts.tocsr().astype(np.float32)
        np.log(x.data, out=x.data)
        x.data += 1.0
        return normalize(x.multiply(idf).tocsr(), norm="l2", copy=False)

    @staticmethod
    def _pair(x: Any, w: Any, b: float, nb_logp: Any) -> Any:
        """P(pos) − P(neg) averaged over the logistic regression and the naive Bayes: values in [-1, 1]."""
        import numpy as np

        p_lr = 1.0 / (1.0 + np.exp(-(x @ w + b)))
        jll = np.asarray(x @ nb_logp.T)
        jll -= jll.max(axis=1, keepdims=True)
        ex = np.exp(jll)
        p_nb = ex[:, 1] / ex.sum(axis=1)
        return p_lr + p_nb - 1.0

    def scores(self, feats: features.Features) -> list[float]:
        """Scores for a batch of shared features (:func:`analysis.features.featurize` of the masked texts)."""
        if feats.char_counts.shape[0] == 0:
            return []
        x = self._tfidf(feats.char_counts, self.idf)
        xw = self._tfidf(feats.word_counts, self.w_idf)
        total = (2 * self._pair(x, self.lr_w, self.lr_b, self.nb_logp)
                 + self._pair(xw, self.w_lr_w, self.w_lr_b, self.w_nb_logp)) / 3 + self.offset
        return [float(v) for v in total]


def model() -> SentimentModel:
    """The shipped model, loaded once per process."""
    global _model
    with _lock:
        if _model is None:
            _model = SentimentModel.load()
            log.info("sentiment model %s loaded", _model.version)
        return _model


@dataclass(frozen=True)
class LexiconResult:
    masked: str  # the text with negated harm terms hidden from the model
    value: float  # signed sum of lexicon weights
    negative: tuple[str, ...]
    positive: tuple[str, ...]
    negated: tuple[str, ...]


class SentimentScorer:
    def __init__(self, settings: AnalysisConfig) -> None:
        self.settings = settings.sentiment
        neg = settings.negation
        self.negation = Negation(neg.negators, neg.not_negators, neg.window)
        self.terms = {**{t: -w for t, w in lexicon.NEGATIVE.items()}, **lexicon.POSITIVE,
                      **self.settings.terms}
        self.matcher = TermMatcher(self.terms)
        self.relief = TermMatcher(lexicon.RELIEF_TERMS)

    def lexicon(self, text: str) -> LexiconResult:
        value = 0.0
        negative: list[str] = []
        positive: list[str] = []
        negated: list[str] = []
        spans: list[tuple[int, int]] = []
        for term, start in self.matcher.finditer(text):
            weight = self.terms[term]
            if self.negation.is_negated(text, start):
                negated.append(term)
                value -= weight * 0.5
                if weight < 0:
                    spans.append((start, start + len(term)))
                continue
            value += weight
            (negative if weight < 0 else positive).append(term)
        for term, start in self.relief.finditer(text):
            if self.negation.is_negated(text, start) and term not in negated:
                negated.append(term)
                spans.append((start, start + len(term)))
        masked = text
        for a, b in sorted(spans, reverse=True):
            masked = masked[:a] + "，" * (b - a) + masked[b:]
        return LexiconResult(masked, value, tuple(negative), tuple(positive), tuple(negated))

    def label(self, score: float) -> str:
        if score <= self.settings.negative_below:
            return "negative"
        if score >= self.settings.positive_above:
            return "positive"
        return "neutral"

    def combine(self, model_score: float, lex: LexiconResult) -> float:
        score = model_score + self.settings.lexicon_weight * math.tanh(lex.value / 2)
        return max(-1.0, min(1.0, score))

    def score_many(self, texts: Sequence[str]) -> list[Sentiment]:
        lexed = [self.lexicon(t) for t in texts]
        seg = segmenter()
        feats = features.featurize([lx.masked for lx in lexed], [seg.cut(lx.masked[:MAX_CHARS]) for lx in lexed])
        return self.score_prepared(lexed, feats)

    def score_prepared(self, lexed: Sequence[LexiconResult], feats: features.Features) -> list[Sentiment]:
        """Scores for texts already run through :meth:`lexicon`, with the shared features of the masked texts."""
        base = model().scores(feats)
        out = []
        for m, lx in zip(base, lexed, strict=True):
            s = round(self.combine(m, lx), 4)
            out.append(Sentiment(label=self.label(s), score=s))  # type: ignore[arg-type]
        return out

"""Sentiment of a mention: a score in [-1, 1] and a label.

Two parts, chosen by measurement (see docs/analysis.md): a trained model shipped with the package
(TF-IDF of the shared hashed character 1–3-grams and words: a weighted mean of logistic regression
and complement naive Bayes parts, weights stored in the model; see :mod:`analysis.train`) and the
project's lexicon (:mod:`analysis.lexicon`) for government-opinion negatives the Weibo training
data rarely shows. Negated harm terms ("并未造成人员伤亡") are masked
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
    """The trained classifier: ``scores(...)`` gives a weighted mean of P(positive) − P(negative)
    over its parts, plus a stored offset. A part is a logistic regression (``lr``) or a complement
    naive Bayes (``nb``) on the TF-IDF of one shared hashed block (``char`` 1–3-grams or ``word``
    tokens; :mod:`analysis.features`); the weights come from the model file (:mod:`analysis.train`),
    and a block whose parts all weigh 0 is not stored and costs nothing at inference."""

    def __init__(self, arrays: dict[str, Any]) -> None:
        self.info = json.loads(str(arrays["info"]))
        self.version = str(self.info.get("version", "unknown"))
        # Added to every score: the model's balance point, chosen on the selection half (analysis.train).
        self.offset = float(self.info.get("offset", 0.0))
        weights = self.info.get("weights")
        if not isinstance(weights, dict) or not weights:
            raise YuqingError(f"sentiment model {self.version} has no part weights: run `yuqing train sentiment`")
        self.weights = {str(k): float(v) for k, v in weights.items() if float(v) > 0}
        self.total = sum(self.weights.values())
        self.arrays = arrays
        sizes = {"char": features.CHAR_FEATURES, "word": features.WORD_FEATURES}
        for block in self.blocks():
            if len(arrays[f"{block}_idf"]) != sizes[block]:
                raise YuqingError(f"sentiment model {MODEL_PATH} was trained with other features: "
                                  "run `yuqing train sentiment`")

    def blocks(self) -> list[str]:
        """The feature blocks the model reads (``char``, ``word``), in that order."""
        return [b for b in ("char", "word") if any(k.startswith(b + "_") for k in self.weights)]

    @classmethod
    def load(cls, path: Path = MODEL_PATH) -> SentimentModel:
        import numpy as np

        try:
            with np.load(path, allow_pickle=False) as data:
                arrays = {k: data[k] for k in data.files}
            return cls(arrays)
        except FileNotFoundError as exc:
            raise YuqingError(f"sentiment model {path} is missing: run `yuqing train sentiment`") from exc
        except KeyError as exc:
            raise YuqingError(f"sentiment model {path} lacks {exc}: run `yuqing train sentiment`") from exc

    @staticmethod
    def _tfidf(counts: Any, idf: Any) -> Any:
        import numpy as np
        from sklearn.preprocessing import normalize

        x = counts.tocsr().astype(np.float32)
        np.log(x.data, out=x.data)
        x.data += 1.0
        return normalize(x.multiply(idf).tocsr(), norm="l2", copy=False)

    def _polarity(self, block: str, x: Any) -> Any:
        """Σ weight · (P(pos) − P(neg)) over the block's parts: the LR and NB probabilities."""
        import numpy as np

        a = self.arrays
        total = np.zeros(x.shape[0])
        w_lr = self.weights.get(f"{block}_lr", 0.0)
        if w_lr:
            p_lr = 1.0 / (1.0 + np.exp(-(x @ a[f"{block}_lr_w"] + float(a[f"{block}_lr_b"][0]))))
            total += w_lr * (2 * p_lr - 1)
        w_nb = self.weights.get(f"{block}_nb", 0.0)
        if w_nb:
            jll = np.asarray(x @ a[f"{block}_nb_logp"].T)  # rows: negative, positive
            total += w_nb * np.tanh((jll[:, 1] - jll[:, 0]) / 2)  # = P(pos) − P(neg)
        return total

    def scores(self, feats: features.Features) -> list[float]:
        """Scores for a batch of shared features (:func:`analysis.features.featurize` of the masked texts)."""
        if feats.char_counts.shape[0] == 0:
            return []
        import numpy as np

        total = np.zeros(feats.char_counts.shape[0])
        for block in self.blocks():
            counts = feats.char_counts if block == "char" else feats.word_counts
            total += self._polarity(block, self._tfidf(counts, self.arrays[f"{block}_idf"]))
        return [float(v) for v in total / self.total + self.offset]


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

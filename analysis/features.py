"""Shared text features and the small linear models that read them (pickle-free ``.npz`` files).

Every trained model of the analysis (emotion, false information, department; see
:mod:`analysis.train`) reads the same two hashed blocks, computed **once** per batch:

* character 1–2-grams of the (masked) text, hashed into ``CHAR_FEATURES`` buckets;
* the tokens of the project tokenizer (the crawler's stored segmentation when there is one),
  hashed into ``WORD_FEATURES`` buckets.

Each block is log-scaled (``1 + log tf``) and L2-normalised; a model is one weight matrix over the
concatenation plus a bias, so scoring four models costs one feature pass and four sparse-dense
products. There is no vocabulary to store (hashing) and no IDF table to keep in step: the
logistic regression learns the term weights. Files hold float32 arrays and a JSON ``info``
string, loaded with ``allow_pickle=False``.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from yuqing.errors import YuqingError

DATA_DIR = Path(__file__).with_name("data")
CHAR_FEATURES = 2**18
WORD_FEATURES = 2**17
CHAR_NGRAMS = (1, 3)
MAX_CHARS = 1500  # the head of long articles: the lede carries polarity and key terms

_lock = threading.Lock()
_vectorizers: tuple[Any, Any] | None = None
_models: dict[str, TextModel] = {}


def _identity(tokens: Any) -> Any:
    return tokens


def vectorizers() -> tuple[Any, Any]:
    global _vectorizers
    with _lock:
        if _vectorizers is None:
            from sklearn.feature_extraction.text import HashingVectorizer

            char = HashingVectorizer(analyzer="char", ngram_range=CHAR_NGRAMS, n_features=CHAR_FEATURES,
                                     alternate_sign=False, norm=None, lowercase=True)
            word = HashingVectorizer(analyzer=_identity, n_features=WORD_FEATURES, alternate_sign=False, norm=None)
            _vectorizers = (char, word)
        return _vectorizers


def _scaled(counts: Any) -> Any:
    import numpy as np
    from sklearn.preprocessing import normalize

    x = counts.tocsr().astype(np.float32)
    np.log(x.data, out=x.data)
    x.data += 1.0
    return normalize(x, norm="l2", copy=False)


@dataclass
class Features:
    """The hashed counts of a batch (character n-grams, tokens) and, built on first use, the
    log-scaled, L2-normalised matrix every :class:`TextModel` reads."""

    char_counts: Any
    word_counts: Any
    _scaled: Any = None

    @property
    def scaled(self) -> Any:
        if self._scaled is None:
            import scipy.sparse as sp

            self._scaled = sp.hstack([_scaled(self.char_counts), _scaled(self.word_counts)], format="csr")
        return self._scaled


def featurize(texts: Sequence[str], tokens: Sequence[Sequence[str]]) -> Features:
    """Hashed features of texts (their first ``MAX_CHARS`` characters) and their tokens."""
    char, word = vectorizers()
    return Features(char.transform([t[:MAX_CHARS] for t in texts]), word.transform([list(t) for t in tokens]))


@dataclass
class TextModel:
    """A linear model over :func:`featurize`: ``weights`` is (classes × features), or one row for a
    binary model whose single output is the logit of ``labels[1]``."""

    name: str
    labels: list[str]
    weights: Any
    bias: Any
    info: dict[str, Any]

    def proba(self, features: Features | Any) -> Any:
        """Class probabilities, one row per text, columns in ``labels`` order."""
        import numpy as np

        x = features.scaled if isinstance(features, Features) else features
        z = np.asarray(x @ self.weights.T, dtype=np.float64) + self.bias
        if len(self.labels) == 2 and z.shape[1] == 1:
            p = 1.0 / (1.0 + np.exp(-z[:, 0]))
            return np.stack([1 - p, p], axis=1)
        z -= z.max(axis=1, keepdims=True)
        e = np.exp(z)
        return e / e.sum(axis=1, keepdims=True)

    def save(self, path: Path) -> None:
        import numpy as np

        path.parent.mkdir(parents=True, exist_ok=True)
        info = {**self.info, "name": self.name, "labels": self.labels, "char_features": CHAR_FEATURES,
                "word_features": WORD_FEATURES, "char_ngrams": list(CHAR_NGRAMS)}
        with path.open("wb") as fh:
            np.savez_compressed(fh, weights=np.asarray(self.weights, dtype=np.float32),
                                bias=np.asarray(self.bias, dtype=np.float32), info=np.array(json.dumps(info)))

    @classmethod
    def load(cls, path: Path) -> TextModel:
        import numpy as np

        try:
            with np.load(path, allow_pickle=False) as data:
                info = json.loads(str(data["info"]))
                weights, bias = data["weights"], data["bias"]
        except FileNotFoundError as exc:
            raise YuqingError(f"model {path} is missing: run `yuqing train {path.stem}`") from exc
        if (info.get("char_features"), info.get("word_features"), info.get("char_ngrams")) != (
                CHAR_FEATURES, WORD_FEATURES, list(CHAR_NGRAMS)):
            raise YuqingError(f"model {path} was trained with other features: run `yuqing train {path.stem}`")
        return cls(name=str(info["name"]), labels=list(info["labels"]), weights=weights, bias=bias, info=info)


def model(name: str) -> TextModel:
    """A shipped model (``analysis/data/<name>.npz``), loaded once per process."""
    with _lock:
        found = _models.get(name)
        if found is None:
            found = TextModel.load(DATA_DIR / f"{name}.npz")
            _models[name] = found
        return found

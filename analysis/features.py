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
import re
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


_WHITE_SPACES = re.compile(r"\s\s+")  # what the character analyzer collapses (sklearn's ``_white_spaces``)


def _murmur3_32(lo: Any, hi: Any, length: Any) -> Any:
    """MurmurHash3 (x86, 32 bit, seed 0) of many short byte strings at once, as signed int32 —
    the hash sklearn's ``HashingVectorizer`` uses. Each string is at most 12 bytes, little-endian
    in ``lo`` (bytes 0–7) and ``hi`` (bytes 8–11), zero-padded; ``length``: the byte counts."""
    import numpy as np

    u32 = np.uint32

    def rotl(x: Any, r: int) -> Any:
        return (x << u32(r)) | (x >> u32(32 - r))

    def scramble(k: Any) -> Any:
        return rotl(k * u32(0xCC9E2D51), 15) * u32(0x1B873593)

    mask = np.uint64(0xFFFFFFFF)
    words = [(lo & mask).astype(np.uint32), (lo >> np.uint64(32)).astype(np.uint32), (hi & mask).astype(np.uint32)]
    blocks = length // 4
    h = np.zeros(len(length), dtype=np.uint32)
    for i, word in enumerate(words):
        h = np.where(blocks > i, rotl(h ^ scramble(word), 13) * u32(5) + u32(0xE6546B64), h)
    tail = np.choose(np.minimum(blocks, 2), words)  # the zero padding makes it the tail bytes' value
    h = np.where((length % 4 > 0) & (blocks < 3), h ^ scramble(tail), h)
    h ^= length.astype(np.uint32)
    h ^= h >> u32(16)
    h *= u32(0x85EBCA6B)
    h ^= h >> u32(13)
    h *= u32(0xC2B2AE35)
    h ^= h >> u32(16)
    return h.view(np.int32)


def _utf8(codes: Any) -> tuple[Any, Any]:
    """UTF-8 of code points: the bytes little-endian in a uint64, and the byte counts."""
    import numpy as np

    c = codes.astype(np.uint64)

    def cont(shift: int) -> Any:  # a continuation byte: 10xxxxxx
        return np.uint64(0x80) | ((c >> np.uint64(shift)) & np.uint64(0x3F))

    sh = np.uint64
    two = (np.uint64(0xC0) | (c >> sh(6))) | cont(0) << sh(8)
    three = (np.uint64(0xE0) | (c >> sh(12))) | cont(6) << sh(8) | cont(0) << sh(16)
    four = (np.uint64(0xF0) | (c >> sh(18))) | cont(12) << sh(8) | cont(6) << sh(16) | cont(0) << sh(24)
    size = 1 + (codes >= 0x80).astype(np.int64) + (codes >= 0x800) + (codes >= 0x10000)
    value = np.select([size == 1, size == 2, size == 3], [c, two, three], four)
    return value, size


def char_counts(texts: Sequence[str]) -> Any:
    """Hashed character n-gram counts of texts (their first ``MAX_CHARS`` characters): the very
    matrix the character :func:`vectorizers` gives (lower-cased, runs of white space collapsed,
    sklearn's murmur hash and bucket rule), computed with numpy for the whole batch instead of
    one Python string per n-gram."""
    import numpy as np
    import scipy.sparse as sp

    docs = [_WHITE_SPACES.sub(" ", t[:MAX_CHARS].lower()) for t in texts]
    try:
        codes = np.frombuffer("".join(docs).encode("utf-32-le"), dtype=np.uint32)
    except UnicodeEncodeError:  # a lone surrogate: sklearn's path raises as it always did
        return vectorizers()[0].transform([t[:MAX_CHARS] for t in texts])
    lengths = np.fromiter((len(d) for d in docs), dtype=np.int64, count=len(docs))
    rows = np.repeat(np.arange(len(docs), dtype=np.int64), lengths)
    room = np.repeat(np.cumsum(lengths), lengths) - np.arange(len(codes))  # characters left in the document
    value, size = _utf8(codes)
    all_rows, all_cols = [], []
    for n in range(CHAR_NGRAMS[0], CHAR_NGRAMS[1] + 1):
        starts = np.flatnonzero(room >= n)
        lo = np.zeros(len(starts), dtype=np.uint64)
        hi = np.zeros(len(starts), dtype=np.uint64)
        offset = np.zeros(len(starts), dtype=np.int64)  # bytes so far: at most 8 before the last character
        for j in range(n):  # append each character's bytes to the 12-byte string
            v, bits = value[starts + j], (8 * offset).astype(np.uint64)
            low = bits < 64
            lo |= np.where(low, v << np.minimum(bits, np.uint64(63)), np.uint64(0))
            spill = bits > 32  # the top of v crosses into byte 8 and beyond
            hi |= np.where(spill & low, v >> (np.uint64(64) - np.minimum(np.maximum(bits, np.uint64(33)),
                                                                          np.uint64(63))), np.uint64(0))
            hi |= np.where(~low, v, np.uint64(0))  # starts exactly at byte 8
            offset += size[starts + j]
        h = _murmur3_32(lo, hi, offset).astype(np.int64)
        cols = np.where(h == -2147483648, (2147483647 - (CHAR_FEATURES - 1)) % CHAR_FEATURES,
                        np.abs(h) % CHAR_FEATURES)
        all_rows.append(rows[starts])
        all_cols.append(cols)
    r, c = np.concatenate(all_rows), np.concatenate(all_cols).astype(np.int32)
    x = sp.csr_matrix((np.ones(len(r)), (r, c)), shape=(len(docs), CHAR_FEATURES))
    x.sum_duplicates()  # also sorts the indices, as sklearn's matrix
    return x


def featurize(texts: Sequence[str], tokens: Sequence[Sequence[str]]) -> Features:
    """Hashed features of texts (their first ``MAX_CHARS`` characters) and their tokens."""
    _, word = vectorizers()
    return Features(char_counts(texts), word.transform([list(t) for t in tokens]))


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

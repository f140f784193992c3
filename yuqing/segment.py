"""The project's one jieba tokenizer: built lazily once per process, with the user dictionary of
government and priority terms, and the stop-word list.

jieba's module-level dictionary is process-wide mutable state; we own a private ``jieba.Tokenizer``
instead so that adding words here never changes anyone else's segmentation.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path

log = logging.getLogger(__name__)

_DATA = Path(__file__).with_name("data")
_lock = threading.Lock()


class Segmenter:
    def __init__(self, words: Iterable[str] = ()) -> None:
        import jieba

        jieba.setLogLevel(logging.WARNING)
        self._tk = jieba.Tokenizer()
        self._tk.initialize()
        for word in words:
            word = word.strip()
            if word:
                self._tk.add_word(word, freq=None)

    def cut(self, text: str) -> list[str]:
        """Tokens without whitespace-only pieces (punctuation kept: it carries meaning for sentiment)."""
        return [t for t in self._tk.lcut(text or "") if t.strip()]

    def cut_for_index(self, text: str) -> str:
        """Space-joined tokens for a ``whitespace``-analysed field."""
        return " ".join(self.cut(text))


_instance: Segmenter | None = None


def segmenter(extra_words: Iterable[str] = ()) -> Segmenter:
    """The process-wide segmenter; ``extra_words`` (config terms) are added on first build only."""
    global _instance
    with _lock:
        if _instance is None:
            words = list(_builtin_words())
            words.extend(extra_words)
            _instance = Segmenter(words)
        return _instance


def _builtin_words() -> Iterable[str]:
    path = _DATA / "userdict.txt"
    if path.exists():
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip() and not line.startswith("#"):
                yield line.split()[0]


@lru_cache(maxsize=1)
def stopwords() -> frozenset[str]:
    """Stop words (stopwords-iso, MIT: see ``data/stopwords-zh.LICENSE``).

    Never strip these before sentiment scoring: the list holds 不, 无, 很, 但是 …
    """
    path = _DATA / "stopwords-zh.txt"
    return frozenset(w.strip() for w in path.read_text(encoding="utf-8").splitlines() if w.strip())

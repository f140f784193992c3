"""The project's one jieba tokenizer: built lazily once per process, with the user dictionary of
government and priority terms, and the stop-word list.

jieba's module-level dictionary is process-wide mutable state; we own a private ``jieba.Tokenizer``
instead so that adding words here never changes anyone else's segmentation.

Speed: pure-Python jieba (about 0.4 ms for a 180-character news item) bounded how fast the crawler
could store and the analysis could score. :class:`Segmenter` therefore cuts with ``rjieba`` (jieba-rs,
the same dictionary and algorithm compiled, about 15× faster) wherever jieba-rs gives exactly
jieba's tokens, and hands the few pieces where the two differ to jieba itself, so every stored
``*_seg`` field and every model feature stays what jieba produced. The pieces jieba-rs cuts
differently are

- blocks with ASCII punctuation that jieba keeps inside a block (``+#&._%-``): jieba-rs keeps
  ``7-8``, ``www.example.com`` or ``user_name`` whole, jieba splits them;
- characters jieba does not count as Han but jieba-rs does (CJK extension A and beyond, compatibility
  ideographs, and everything outside the Basic Multilingual Plane, emoji among them);
- periodic runs (``哈哈哈``, ``点点点点点``, ``加油加油``), where two segmentations score exactly the
  same and the two break the tie differently. A run of digits alone (``22``, ``2000``) has no tie
  to break while no dictionary word is all digits (jieba's has none; a user word such as ``12345``
  would bring the rule back for them), so it stays with jieba-rs. Texts with some piece for jieba:
  news titles (``news_titles_dev.csv``) 21 % before this, 12 % after; emergency reports
  (``emergency_dev.csv``) 71 % and 50 %.

``tests/test_segment.py`` checks that the tokens equal jieba's on every text of the shared development
data (2.1 million characters of Weibo, news and message-board text) and on the edge cases above.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

_DATA = Path(__file__).with_name("data")
_lock = threading.Lock()

# Where jieba-rs and jieba may disagree (see the module docstring): these pieces go to jieba.
_ALWAYS = (
    r"[+#&._%\-]"  # ASCII punctuation jieba keeps inside a block
    r"|[^\u0000-\u33ff\u4e00-\u9fd5\ua000-\uf8ff\ufb00-\uffff]"  # Han to jieba-rs, not to jieba
)
_A, _L, _D = r"[\u4e00-\u9fd5a-zA-Z0-9]", r"[\u4e00-\u9fd5a-zA-Z]", "[0-9]"
# periodic runs (ties broken differently): any unit of one to three characters ...
_JIEBA_ONLY = re.compile(_ALWAYS + rf"|({_A}{{1,3}})\1")
# ... or, while no dictionary word is all digits, only units with a letter or Han character in them: a
# run of digits then has one segmentation, so there is no tie to break (``2022``, ``110``, ``3.33``).
_JIEBA_ONLY_NO_DIGIT_WORDS = re.compile(_ALWAYS + rf"|({_L}{_A}{{0,2}}|{_D}{_L}{_A}?|{_D}{_D}{_L})\1")
_SPACE = re.compile(r"\s")


class Segmenter:
    def __init__(self, words: Iterable[str] = ()) -> None:
        import jieba
        import rjieba

        jieba.setLogLevel(logging.WARNING)
        self._tk = jieba.Tokenizer()
        self._tk.initialize()
        self._rs = rjieba.Jieba()
        for word in words:
            word = word.strip()
            if word:
                self._tk.add_word(word, freq=None)  # the frequency jieba suggests, which jieba-rs computes alike
                self._rs.add_word(word, None, None)
        self._blocks: re.Pattern[str] = jieba.re_han_default  # what jieba cuts as one block
        self._cut_block: Any = self._tk._Tokenizer__cut_DAG  # jieba's cut of one block (HMM on)
        digit_words = any(freq and word.isdigit() for word, freq in self._tk.FREQ.items())
        self._jieba_only = _JIEBA_ONLY if digit_words else _JIEBA_ONLY_NO_DIGIT_WORDS

    def cut(self, text: str) -> list[str]:
        """jieba's tokens (``Tokenizer.lcut``, HMM on) without whitespace-only pieces (punctuation kept:
        it carries meaning for sentiment)."""
        if not text:
            return []
        jieba_only = self._jieba_only
        if not jieba_only.search(text):
            tokens = self._rs.cut(text, True)
            return [t for t in tokens if t.strip()] if _SPACE.search(text) else tokens
        out: list[str] = []
        run: list[str] = []  # consecutive pieces jieba-rs cuts as jieba does, cut in one call
        for piece in self._blocks.split(text):
            if not piece:
                continue
            if not jieba_only.search(piece):
                run.append(piece)
                continue
            if run:
                out.extend(self._rs.cut("".join(run), True))
                run = []
            if self._blocks.fullmatch(piece):
                out.extend(self._cut_block(piece))
            else:  # between blocks jieba yields whitespace runs whole and every other character alone
                out.extend(piece)
        if run:
            out.extend(self._rs.cut("".join(run), True))
        return [t for t in out if t.strip()]

    def cut_jieba(self, text: str) -> list[str]:
        """The same tokens from jieba alone (the reference :meth:`cut` is checked against)."""
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

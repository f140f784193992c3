"""Keywords of a mention or an incident: TF-IDF over the project tokenizer's tokens.

IDF weights are jieba's bundled table (``jieba/analyse/idf.txt``, MIT), read once; words it does not
know get its median. Stop words, numbers, single characters and place names are left out: places
are compared separately when grouping incidents, and "昆明" shared by two unrelated events in one
city must not make them look alike.
"""

from __future__ import annotations

import heapq
import importlib.util
import re
import threading
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

from yuqing.segment import stopwords

_lock = threading.Lock()
_idf: tuple[dict[str, float], float] | None = None
_SKIP = re.compile(r"^[\d\W_a-zA-Z]+$|^\d")
# Words every news item has: they say nothing about which event it reports.
GENERIC = frozenset({
    "并未", "造成", "发生", "导致", "正在", "进一步", "其中", "以及", "此前", "随后", "一起", "一家", "一名",
    "记者", "本报讯", "网讯", "日报", "晚报", "云南日报", "云南网", "责任编辑", "编辑", "来源", "据了解", "据悉",
    "目前", "今天", "昨天", "今日", "昨日", "上午", "下午", "晚上", "凌晨", "近日", "日前", "有关", "相关",
    "有关部门", "相关部门", "工作人员", "市民", "群众", "网友", "情况", "表示", "介绍", "发现", "进行", "开展",
    "工作", "问题", "领导", "尊敬", "谢谢", "您好", "有没有", "知道", "现场", "时许", "已经", "目击者", "消息",
    "发布", "通报", "多名",
})


def _repeated(w: float, n: int) -> float:
    """``w`` added ``n`` times, one by one (not ``w * n``: the same float a running sum gives)."""
    total = w
    for _ in range(n - 1):
        total += w
    return total


def idf_table() -> tuple[dict[str, float], float]:
    global _idf
    with _lock:
        if _idf is None:
            table: dict[str, float] = {}
            spec = importlib.util.find_spec("jieba")
            if spec is not None and spec.submodule_search_locations:
                path = Path(next(iter(spec.submodule_search_locations))) / "analyse" / "idf.txt"
                with path.open(encoding="utf-8") as fh:
                    for line in fh:
                        word, _, value = line.rstrip("\n").rpartition(" ")
                        if word:
                            table[word] = float(value)
            values = sorted(table.values())
            median = values[len(values) // 2] if values else 10.0
            _idf = (table, median)
        return _idf


class KeywordExtractor:
    def __init__(self, exclude: Iterable[str] = ()) -> None:
        self.idf, self.median = idf_table()
        self.stop = stopwords()
        self.exclude = frozenset(exclude)
        self._weight: dict[str, float] = {}  # token -> idf weight, 0 for non-candidates

    def is_candidate(self, token: str) -> bool:
        return (len(token) >= 2 and token not in self.stop and token not in self.exclude
                and token not in GENERIC and not _SKIP.match(token))

    def _learn(self, token: str) -> float:
        w = self.idf.get(token, self.median) if self.is_candidate(token) else 0.0
        if len(self._weight) < 500_000:
            self._weight[token] = w
        return w

    def weights(self, tokens: Iterable[str]) -> dict[str, float]:
        """Each candidate token's summed IDF weight (its weight added once per occurrence)."""
        counts = Counter(tokens)  # counted in C: each distinct token is looked at once
        found = list(map(self._weight.get, counts))
        if None in found:
            found = [self._learn(t) if w is None else w for t, w in zip(counts, found, strict=True)]
        return {t: w if n == 1 else _repeated(w, n)
                for t, w, n in zip(counts, found, counts.values(), strict=True) if w}

    def extract(self, title_tokens: list[str], text_tokens: list[str], k: int) -> list[str]:
        """Top ``k`` keywords; title words count double (a headline names the event)."""
        w = self.weights(text_tokens)
        for t, v in self.weights(title_tokens).items():
            w[t] = w.get(t, 0.0) + 2 * v
        return [t for t, _ in heapq.nsmallest(k, w.items(), key=lambda kv: (-kv[1], kv[0]))]

"""Fixed, documented splits of the development data: what models are chosen and trained on, and
what the evaluations report on. Never train on a row an evaluation reports.

* ``sentiment_dev.csv`` (and ``news_titles_dev.csv``): by a hash of the stripped text —
  ``int(sha1(text)[:8], 16) % 2 == 0`` is the **selection half** (methods chosen on it, models
  trained on it), the other half is the **report half**. Equal texts fall on the same side.
  Training rows from other files whose text is in a report half are dropped.
* ``rumor_dev.csv``: near-duplicates are grouped **first** (character 4-gram Jaccard ≥ 0.3 on the
  NFKC-normalised letters and digits, transitively, as in the file's provenance), then a group is
  held out when ``int(min(sha1(id) of its members)[:8], 16) % 10 < 3`` (about 30 %).
* ``gov_messages_dev.csv``: stratified 5-fold cross-validation (seed 0) for the figure; the
  shipped model is trained on the whole file.
"""

from __future__ import annotations

import hashlib
import unicodedata
from collections.abc import Sequence

RUMOUR_HELD_OUT_TENTHS = 3
RUMOUR_JACCARD = 0.3


def _h(value: str) -> int:
    return int(hashlib.sha1(value.encode("utf-8")).hexdigest()[:8], 16)


def is_report_half(text: str) -> bool:
    """True for rows of the report half (``sentiment_dev.csv``, ``news_titles_dev.csv``)."""
    return _h(text.strip()) % 2 == 1


def _normalised(text: str) -> str:
    return "".join(ch for ch in unicodedata.normalize("NFKC", text).lower() if ch.isalnum())


def near_duplicate_groups(texts: Sequence[str], threshold: float = RUMOUR_JACCARD) -> list[int]:
    """A group number per text: texts with 4-gram Jaccard ≥ ``threshold`` share one, transitively."""
    grams = []
    for t in texts:
        n = _normalised(t)
        grams.append({n[i:i + 4] for i in range(max(1, len(n) - 3))})
    index: dict[str, list[int]] = {}
    for i, g in enumerate(grams):
        for x in g:
            index.setdefault(x, []).append(i)
    parent = list(range(len(texts)))

    def find(a: int) -> int:
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a

    for i, g in enumerate(grams):
        shared: dict[int, int] = {}
        for x in g:
            for j in index[x]:
                if j > i:
                    shared[j] = shared.get(j, 0) + 1
        for j, c in shared.items():
            if c / (len(g) + len(grams[j]) - c) >= threshold:
                parent[find(i)] = find(j)
    return [find(i) for i in range(len(texts))]


def rumour_held_out(ids: Sequence[str], texts: Sequence[str]) -> list[bool]:
    """Per row of ``rumor_dev.csv``: True when its near-duplicate group is held out."""
    groups = near_duplicate_groups(texts)
    key: dict[int, str] = {}
    for gid, rid in zip(groups, ids, strict=True):
        digest = hashlib.sha1(rid.encode("utf-8")).hexdigest()
        key[gid] = min(key.get(gid, digest), digest)
    return [int(key[g][:8], 16) % 10 < RUMOUR_HELD_OUT_TENTHS for g in groups]

"""Near-duplicate detection for reprints (转载): 64-bit SimHash over jieba tokens, and band keys that
let Elasticsearch find candidates within a Hamming distance without scanning every mention.

The 64 bits are cut into 4 bands of 16. Two hashes within distance ``k`` ≤ 3 share at least one
band exactly (pigeonhole); within ``k`` ≤ 7 at least one band differs by at most one bit, so the
probes add every one-bit variant of each band. Stored keys are always the exact bands.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Iterable
from functools import lru_cache

import numpy as np

BANDS = 4
BAND_BITS = 64 // BANDS
MAX_DISTANCE = 7

_WORDLIKE = re.compile(r"[\w\u4e00-\u9fff]")


_SHIFTS = np.arange(64, dtype=np.uint64)


@lru_cache(maxsize=1 << 16)  # word frequencies are Zipfian: most tokens of a text were hashed before
def _token_hash(token: str) -> int:
    return int.from_bytes(hashlib.blake2b(token.encode("utf-8"), digest_size=8).digest(), "big")


def simhash(tokens: Iterable[str]) -> int:
    """Charikar's SimHash over word tokens (jieba) with term-frequency weights; punctuation is ignored."""
    weights = [(t, w) for t, w in Counter(tokens).items() if _WORDLIKE.search(t)]
    if not weights:
        return 0
    hashes = np.fromiter((_token_hash(t) for t, _ in weights), dtype=np.uint64, count=len(weights))
    w = np.fromiter((w for _, w in weights), dtype=np.int64, count=len(weights))
    bits = ((hashes[:, None] >> _SHIFTS) & np.uint64(1)).astype(np.int64)  # bit i of each token hash
    acc = (2 * bits - 1).T @ w  # per bit: weight of the tokens with it set minus those without
    return int(np.packbits((acc > 0)[::-1]).view(">u8")[0])  # bit i set where acc[i] > 0


def to_hex(value: int) -> str:
    return f"{value:016x}"


def from_hex(value: str) -> int:
    return int(value, 16)


def distance(a: int, b: int) -> int:
    return (a ^ b).bit_count()


def bands(value: int) -> list[str]:
    """The stored band keys of a hash: ``"<band>:<hex>"``."""
    mask = (1 << BAND_BITS) - 1
    return [f"{i}:{(value >> (i * BAND_BITS)) & mask:04x}" for i in range(BANDS)]


def probes(value: int, max_distance: int) -> list[str]:
    """Band keys to look up so that every stored hash within ``max_distance`` is among the hits."""
    if max_distance > MAX_DISTANCE:
        raise ValueError(f"max_distance {max_distance} > {MAX_DISTANCE} is not supported by {BANDS} bands")
    keys = bands(value)
    if max_distance < BANDS:
        return keys
    mask = (1 << BAND_BITS) - 1
    out = list(keys)
    for i in range(BANDS):
        band = (value >> (i * BAND_BITS)) & mask
        out.extend(f"{i}:{band ^ (1 << b):04x}" for b in range(BAND_BITS))
    return out


def band_values(hashes: np.ndarray) -> np.ndarray:
    """The bands of many hashes at once: an ``(n, BANDS)`` array of band values (``bands`` without the keys)."""
    mask = np.uint64((1 << BAND_BITS) - 1)
    return np.stack([(hashes >> np.uint64(i * BAND_BITS)) & mask for i in range(BANDS)], axis=1)


def probe_values(keys: Iterable[str]) -> list[set[int]]:
    """Probe keys (``probes``) as the set of band values per band."""
    out: list[set[int]] = [set() for _ in range(BANDS)]
    for key in keys:
        band, value = key.split(":")
        out[int(band)].add(int(value, 16))
    return out


def within(hashes: np.ndarray, value: int, max_distance: int) -> np.ndarray:
    """Indexes of ``hashes`` (uint64) within Hamming ``max_distance`` of ``value``."""
    return np.flatnonzero(np.bitwise_count(hashes ^ np.uint64(value)) <= max_distance)

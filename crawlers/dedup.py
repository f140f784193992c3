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

import numpy as np

BANDS = 4
BAND_BITS = 64 // BANDS
MAX_DISTANCE = 7

_WORDLIKE = re.compile(r"[\w\u4e00-\u9fff]")


# token -> its 64-bit hash, or -1 for punctuation (ignored). Word frequencies are Zipfian: most tokens
# of a text were hashed before. Cleared when it grows past _HASHES_MAX, so memory stays bounded.
_HASHES: dict[str, int] = {}
_HASHES_MAX = 1 << 18


def _token_hash(token: str) -> int:
    return int.from_bytes(hashlib.blake2b(token.encode("utf-8"), digest_size=8).digest(), "big")


def simhash(tokens: Iterable[str]) -> int:
    """Charikar's SimHash over word tokens (jieba) with term-frequency weights; punctuation is ignored."""
    cache = _HASHES
    if len(cache) > _HASHES_MAX:
        cache.clear()
    hashes: list[int] = []
    weights: list[int] = []
    for token, weight in Counter(tokens).items():
        h = cache.get(token)
        if h is None:
            h = cache[token] = _token_hash(token) if _WORDLIKE.search(token) else -1
        if h >= 0:
            hashes.append(h)
            weights.append(weight)
    if not hashes:
        return 0
    # bit i of each token hash (little-endian bytes, each byte's bits least significant first)
    bits = np.unpackbits(np.array(hashes, dtype="<u8").view(np.uint8).reshape(-1, 8), axis=1, bitorder="little")
    acc = 2 * (np.array(weights, dtype=np.int64) @ bits) - sum(weights)  # per bit: weight with it set minus without
    return int(np.packbits(acc > 0, bitorder="little").view("<u8")[0])  # bit i set where acc[i] > 0


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


_FLIPS = np.array([0] + [1 << b for b in range(BAND_BITS)], dtype=np.uint64)  # no bit, then each one bit


def band_values(hashes: np.ndarray) -> np.ndarray:
    """The bands of many hashes at once: an ``(n, BANDS)`` array of band values (``bands`` without the keys)."""
    mask = np.uint64((1 << BAND_BITS) - 1)
    return np.stack([(hashes >> np.uint64(i * BAND_BITS)) & mask for i in range(BANDS)], axis=1)


def probe_values(hashes: np.ndarray, max_distance: int) -> list[np.ndarray]:
    """Per band, the sorted band values to look up so that every stored hash within ``max_distance``
    of one of ``hashes`` (uint64) is among the hits: the exact bands, and from ``max_distance`` ≥
    ``BANDS`` on every one-bit variant too."""
    if max_distance > MAX_DISTANCE:
        raise ValueError(f"max_distance {max_distance} > {MAX_DISTANCE} is not supported by {BANDS} bands")
    flips = _FLIPS if max_distance >= BANDS else _FLIPS[:1]
    bands_ = band_values(np.asarray(hashes, dtype=np.uint64))
    return [np.unique((bands_[:, i, None] ^ flips).ravel()) for i in range(BANDS)]


def band_keys(values: list[np.ndarray]) -> list[str]:
    """Probe values (``probe_values``) as the stored keys' form ``"<band>:<hex>"``."""
    return [f"{i}:{v:04x}" for i, vs in enumerate(values) for v in vs.tolist()]


def probes(value: int, max_distance: int) -> list[str]:
    """Band keys to look up so that every stored hash within ``max_distance`` of ``value`` is among the hits."""
    return band_keys(probe_values(np.array([value], dtype=np.uint64), max_distance))


def within(hashes: np.ndarray, value: int, max_distance: int) -> np.ndarray:
    """Indexes of ``hashes`` (uint64) within Hamming ``max_distance`` of ``value``."""
    return np.flatnonzero(np.bitwise_count(hashes ^ np.uint64(value)) <= max_distance)

"""Near-duplicate detection for reprints (转载): 64-bit SimHash over jieba tokens, and band keys that
let Elasticsearch find candidates within a Hamming distance without scanning every mention.

The 64 bits are cut into 4 bands of 16. Two hashes within distance ``k`` ≤ 3 share at least one
band exactly (pigeonhole); within ``k`` ≤ 7 at least one band differs by at most one bit, so the
probes add every one-bit variant of each band. Stored keys are always the exact bands.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Sequence

import numpy as np

BANDS = 4
BAND_BITS = 64 // BANDS
MAX_DISTANCE = 7

_WORDLIKE = re.compile(r"[\w\u4e00-\u9fff]")


# token -> its 64-bit hash, or 0 for punctuation (ignored; a word whose hash is 0, one in 2^64, would be
# ignored too). Word frequencies are Zipfian: most tokens of a text were hashed before. Cleared when it
# grows past _HASHES_MAX, so memory stays bounded.
_HASHES: dict[str, int] = {}
_HASHES_MAX = 1 << 18


def _token_hash(token: str) -> int:
    return int.from_bytes(hashlib.blake2b(token.encode("utf-8"), digest_size=8).digest(), "big")


def simhash(tokens: Iterable[str]) -> int:
    """Charikar's SimHash over word tokens (jieba) with term-frequency weights; punctuation is ignored."""
    return int(simhashes([list(tokens)])[0])


def simhashes(texts: Sequence[Sequence[str]]) -> np.ndarray:
    """:func:`simhash` of many token lists at once (uint64): every token's hash bits are counted in
    one pass over the batch, so a text costs a dict lookup per token rather than a few numpy calls.
    A token repeated n times counts n times (term-frequency weights); a bit is set where more of the
    text's word tokens have it than not."""
    cache = _HASHES
    if len(cache) > _HASHES_MAX:
        cache.clear()
    get = cache.get
    flat: list[int] = []
    sizes = np.zeros(len(texts), dtype=np.int64)
    for i, tokens in enumerate(texts):
        hashes: list[int | None] = list(map(get, tokens))
        if None in hashes:
            for j, h in enumerate(hashes):
                if h is None:
                    token = tokens[j]
                    h = get(token)
                    if h is None:
                        h = cache[token] = _token_hash(token) if _WORDLIKE.search(token) else 0
                    hashes[j] = h
        flat.extend(hashes)  # type: ignore[arg-type]  # every None was filled above
        sizes[i] = len(hashes)
    if not flat:
        return np.zeros(len(texts), dtype=np.uint64)
    import scipy.sparse as sp

    hashes_ = np.array(flat, dtype=np.uint64)
    words = (hashes_ != 0).astype(np.float32)  # punctuation counts for nothing
    # bit i of each token hash (little-endian bytes, each byte's bits least significant first)
    bits = np.unpackbits(hashes_.view(np.uint8).reshape(-1, 8), axis=1, bitorder="little").astype(np.float32)
    # one row per text over its tokens: the product counts, per text and bit, the word tokens with it
    # set (exact in float32 up to 2^24 tokens per text)
    rows = sp.csr_matrix((words, np.arange(len(flat)), np.concatenate([[0], np.cumsum(sizes)])),
                         shape=(len(texts), len(flat)))
    set_ = rows @ bits
    counts = np.asarray(rows.sum(axis=1))  # word tokens per text
    acc = 2 * set_ - counts  # per bit: the tokens with it set minus those without
    return np.packbits(acc > 0, axis=1, bitorder="little").view("<u8").ravel()


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

"""Small vectorised helpers on integer arrays shared by the isolation engine's parts."""

from __future__ import annotations

import numpy as np


def unique_keys(keys: np.ndarray) -> np.ndarray:
    """Sorted distinct integer keys (a plain sort: faster here than numpy's hashing unique)."""
    k = np.sort(keys)
    return k[np.r_[True, k[1:] != k[:-1]]] if len(k) else k


def csr(tails: np.ndarray, heads: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """(indptr, indices) of the arcs tails -> heads, sorted by tail (stable): a compiled
    counting sort, O(n + m) (:func:`gasnet._kernels.counting_csr`)."""
    from ._kernels import counting_csr

    return counting_csr(np.asarray(tails, np.int64), np.asarray(heads, np.int64), n)


def gather_positions(starts: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """``concatenate([arange(s, s + c) for s, c in zip(starts, counts)])``, vectorised."""
    total = int(counts.sum())
    if not total:
        return np.empty(0, np.int64)
    return np.repeat(starts - np.cumsum(counts) + counts, counts) + np.arange(total)

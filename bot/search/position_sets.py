"""Sets of title positions as sorted numpy arrays: union, membership, intersection, and "in at
least k of these sets", each in C and costing what the smaller sets hold."""
from __future__ import annotations

import numpy as np

EMPTY = np.zeros(0, dtype=np.int64)


def union(sets: list[np.ndarray]) -> np.ndarray:
    """Sorted positions in any of `sets` (each sorted)."""
    if not sets:
        return EMPTY
    if len(sets) == 1:
        return sets[0]
    # A stable sort merges sorted runs in one pass; np.unique would hash every element (100x slower).
    merged = np.concatenate(sets)
    merged.sort(kind="stable")
    if merged.size < 2:
        return merged
    keep = np.empty(merged.size, dtype=bool)
    keep[0] = True
    np.not_equal(merged[1:], merged[:-1], out=keep[1:])
    return merged[keep]


def contains(haystack: np.ndarray, needles: np.ndarray) -> np.ndarray:
    """For each of `needles`, whether the sorted `haystack` holds it."""
    if not haystack.size or not needles.size:
        return np.zeros(len(needles), dtype=bool)
    at = np.searchsorted(haystack, needles)
    at[at == len(haystack)] = 0
    return haystack[at] == needles


def intersection(sets: list[np.ndarray]) -> np.ndarray:
    """Sorted positions in every one of `sets` (each sorted); costs what the smallest holds."""
    if not sets:
        return EMPTY
    ordered = sorted(sets, key=len)
    found = ordered[0]
    for other in ordered[1:]:
        found = found[contains(other, found)]
    return found


def in_at_least(sets: list[np.ndarray], count: int) -> np.ndarray:
    """Sorted positions in at least `count` of `sets` (sorted by size, smallest first). Such a
    position is in one of the len(sets) - count + 1 smallest, so only those are read in full."""
    if count >= len(sets):
        return intersection(sets)
    candidates = union(sets[:len(sets) - count + 1])
    if count <= 1:
        return candidates
    hits = np.zeros(len(candidates), dtype=np.int32)
    for one in sets:
        hits += contains(one, candidates)
    return candidates[hits >= count]


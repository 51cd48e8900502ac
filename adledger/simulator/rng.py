"""Seeded random streams: one independent `numpy.random.Generator` per (component, day).

Deriving each stream from `(seed, component, day)` (NumPy `SeedSequence` entropy lists) keeps a component's draws
independent of how many numbers other components consumed, so adding a feature does not reshuffle the world.
"""

from __future__ import annotations

import zlib

import numpy as np


def stream(seed: int, component: str, day: int = -1) -> np.random.Generator:
    """The generator for `component` on `day` (-1: the whole world) of the world `seed`."""
    return np.random.default_rng([int(seed), zlib.crc32(component.encode()), int(day) + 1])


def weighted_sample(rng: np.random.Generator, weights: np.ndarray, k: int) -> np.ndarray:
    """`k` distinct indices drawn with probability proportional to `weights` (Efraimidis & Spirakis 2006 keys)."""
    k = min(int(k), int(np.count_nonzero(weights > 0)))
    if k <= 0:
        return np.empty(0, dtype=np.int64)
    with np.errstate(divide="ignore"):
        keys = np.log(rng.random(len(weights))) / weights
    keys[weights <= 0] = -np.inf
    idx = np.argpartition(-keys, k - 1)[:k]
    return np.sort(idx)


def weighted_draw(rng: np.random.Generator, cumulative: np.ndarray, k: int) -> np.ndarray:
    """`k` indices drawn with replacement, given the cumulative sum of the weights."""
    if k <= 0 or len(cumulative) == 0:
        return np.empty(0, dtype=np.int64)
    return np.searchsorted(cumulative, rng.random(int(k)) * cumulative[-1], side="right").clip(0, len(cumulative) - 1)

"""Shapley attribution, in two flavours.

`shapley` — the simplified Shapley of Google's fractribution (github.com/google/fractribution,
`fractribution.py`): for each converting path and each touch i,
marginal_i = max(0, P(conv | path) - P(conv | path without touch i)), where P(conv | path) =
conversions / (conversions + nulls) of that exact path and an unobserved counterfactual path has
P = 0. The marginals are normalized within the path; when all are 0 the last touch gets everything,
and one-touch paths give everything to their touch. Only leave-one-out coalitions are considered,
which is what makes it "simplified".

`shapley_exact` — the Shapley value (Shapley 1953, "A value for n-person games") of the channel
game of Zhao, Mahboobi & Bagheri 2018 ("Shapley value methods for attribution modeling in online
advertising", arXiv:1804.05327): the worth v(S) of a coalition S of channels is the conversions of
the paths whose channels all belong to S. phi_c = sum over S not containing c of
|S|! (n - |S| - 1)! / n! * (v(S + c) - v(S)), enumerated over all 2**n coalitions with subset-sum
(zeta) transforms in O(n 2**n) time, so up to `MAX_EXACT_CHANNELS` channels. Efficiency makes the
credits sum to v(all channels) = total conversions. This game ignores touch order, repeats and
non-converting paths; its Shapley value equals sum over paths containing c of conversions / (number
of distinct channels in the path) (Zhao et al., eq. 6), which the tests use as a cross-check.
"""

from __future__ import annotations

from math import factorial

import numpy as np
import pandas as pd

from adledger.analytics.attribution.credit import credit_touches, credits_frame
from adledger.analytics.attribution.paths import EncodedPaths, PathDataError, aggregate_identical, find_sequences

MAX_EXACT_CHANNELS = 20


def fractribution_credits(paths: EncodedPaths) -> pd.DataFrame:
    """Credits of the simplified (fractribution) Shapley model."""
    distinct = aggregate_identical(paths)
    return credit_touches(distinct, fractribution_shares(distinct))


def fractribution_shares(paths: EncodedPaths) -> np.ndarray:
    """Share of its path's conversions per touch; `paths` must hold distinct sequences."""
    probability = paths.conversions / (paths.conversions + paths.nulls)
    path = paths.path_of_touch
    length = paths.lengths[path]
    marginal = np.ones(len(paths.tokens))  # one-touch paths keep everything
    for size in np.unique(paths.lengths[(paths.lengths > 1) & (paths.conversions > 0)]):
        touches = np.flatnonzero((length == size) & (paths.conversions[path] > 0))
        kept = np.arange(size - 1)
        skip = (kept[None, :] >= paths.position[touches][:, None]).astype(np.int64)
        without = paths.tokens[paths.offsets[path[touches]][:, None] + kept[None, :] + skip]
        match = find_sequences(paths, without, np.full(len(touches), size - 1))
        counterfactual = np.where(match >= 0, probability[np.maximum(match, 0)], 0.0)
        marginal[touches] = np.maximum(probability[path[touches]] - counterfactual, 0.0)
    total = np.bincount(path, weights=marginal, minlength=paths.n_paths)
    is_last = paths.position == length - 1
    return np.where(total[path] > 0, marginal / np.where(total[path] > 0, total[path], 1.0), is_last * 1.0)


def shapley_values(worth: np.ndarray) -> np.ndarray:
    """Shapley value of every player of a game given as `worth[mask]` = v(coalition `mask`).

    `worth` has 2**n entries; bit i of `mask` says whether player i is in the coalition. Exact
    enumeration of every coalition, O(n 2**n).
    """
    n = int(len(worth)).bit_length() - 1
    if len(worth) != 2**n:
        raise ValueError("worth needs 2**n entries, one per coalition")
    size = np.bitwise_count(np.arange(2**n, dtype=np.uint64)).astype(np.int64)
    weight = np.array([factorial(s) * factorial(n - s - 1) / factorial(n) for s in range(n)] + [0.0])
    values = np.empty(n)
    for player in range(n):
        split = worth.reshape(-1, 2, 2**player)
        sizes = size.reshape(-1, 2, 2**player)[:, 0, :]
        values[player] = np.sum(weight[sizes] * (split[:, 1, :] - split[:, 0, :]))
    return values


def subset_sums(weights: np.ndarray) -> np.ndarray:
    """v(S) = sum of weights[T] over all T that are subsets of S (the zeta transform), O(n 2**n)."""
    worth = weights.astype(np.float64).copy()
    n = int(len(worth)).bit_length() - 1
    for player in range(n):
        split = worth.reshape(-1, 2, 2**player)
        split[:, 1, :] += split[:, 0, :]
    return worth


def exact_shapley_credits(paths: EncodedPaths) -> pd.DataFrame:
    """Credits of the exact Shapley model over channel coalitions (see the module docstring)."""
    n = len(paths.channels)
    if n > MAX_EXACT_CHANNELS:
        raise PathDataError(
            f"shapley_exact enumerates 2**n channel coalitions and supports up to {MAX_EXACT_CHANNELS} "
            f"channels; these paths have {n}. Group channels or use the shapley or markov model."
        )
    bits = np.left_shift(np.int64(1), paths.touch_channels.astype(np.int64))
    masks = np.bitwise_or.reduceat(bits, paths.offsets[:-1])
    conversions = shapley_values(subset_sums(np.bincount(masks, weights=paths.conversions, minlength=2**n)))
    value = shapley_values(subset_sums(np.bincount(masks, weights=paths.value, minlength=2**n)))
    return credits_frame(paths.channels, conversions, value)

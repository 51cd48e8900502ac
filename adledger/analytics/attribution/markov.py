"""Markov chain attribution of order k, solved exactly as an absorbing chain.

The chain (Anderl, Becker, von Wangenheim, Schumann 2016, "Mapping the customer journey: lessons
learned from graph-based online attribution modeling", IJRM 33(3)):

* transient states: `(start)` and, for order k, the tuples of the last min(i, k) touches after the
  i-th touch of a path (order 1: the channel itself; order 2: `a`, then `a,b`, `b,c`, ...);
* absorbing states: `(conversion)` and `(null)`;
* transition probabilities: transition counts over all paths, each path weighted by its
  conversions + nulls, divided by the state's outgoing count (maximum likelihood).

P(conversion) is the probability of absorption in `(conversion)` from `(start)`: the solution x of
(I - Q) x = r, where Q holds the transient-to-transient probabilities and r the probabilities into
`(conversion)` (Kemeny & Snell 1960, "Finite Markov Chains", thm. 3.3.7). With counts estimated from
the paths themselves, P(conversion) equals total conversions / total paths.

Removing a channel sends every transition into a state that contains it to `(null)`; the removal
effect is 1 - P(conversion | channel removed) / P(conversion). Credits are the removal effects
normalized to sum to 1, times total conversions (and times total conversion value).

Nothing is simulated. Chains up to `DIRECT_MAX_STATES` transient states are solved by sparse LU
(scipy.sparse.linalg.spsolve). Larger chains (order 3-4 over many channels, where LU factors fill in
and take minutes) are solved by the fixed-point iteration x <- r + Q x for all removal scenarios at
once, stopped when a certified bound on the absolute error of every probability is below
`ITERATION_TOLERANCE` (see `MarkovChain.solve_iteratively`).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.sparse.linalg import spsolve

from adledger.analytics.attribution.credit import credits_frame
from adledger.analytics.attribution.paths import EncodedPaths, PathDataError

MAX_ORDER = 4
START, CONVERSION, NULL = "(start)", "(conversion)", "(null)"
#: below this many cells the transition counts are tallied with a dense bincount
_DENSE_CELLS = 4_000_000
#: chains up to this many transient states are solved by sparse LU; larger ones (order 3-4 chains,
#: whose LU factors fill in) by the certified fixed-point iteration of `MarkovChain.solve_iteratively`
DIRECT_MAX_STATES = 2_000
ITERATION_TOLERANCE = 1e-14
ITERATION_LIMIT = 200_000


@dataclass(frozen=True)
class MarkovChain:
    """Transition counts of an order-k chain.

    `counts` is a CSR matrix of shape (n, n + 2): row and column 0 are `(start)`, rows/columns 1..n-1
    the observed states, column n is `(conversion)` and column n + 1 `(null)`. `state_channels[s, c]`
    says whether state s contains channel c. `state_labels` names the transient states.
    """

    counts: sp.csr_matrix
    state_channels: np.ndarray
    state_labels: np.ndarray

    @property
    def n_transient(self) -> int:
        return self.counts.shape[0]

    @cached_property
    def probabilities(self) -> tuple[sp.csr_matrix, np.ndarray]:
        """(Q, r): transient-to-transient and transient-to-conversion transition probabilities."""
        outgoing = np.asarray(self.counts.sum(axis=1)).ravel()
        inverse = np.divide(1.0, outgoing, out=np.zeros_like(outgoing), where=outgoing > 0)
        probabilities = sp.diags(inverse) @ self.counts
        n = self.n_transient
        return probabilities[:, :n].tocsr(), probabilities[:, n].toarray().ravel()

    def conversion_probabilities(self, removals: np.ndarray) -> np.ndarray:
        """P(absorption in `(conversion)` from `(start)`) with each column's states sent to `(null)`.

        `removals` is a boolean (n_transient, m) matrix; column j marks the states removed in
        scenario j (an all-false column is the unchanged chain). Returns m probabilities.
        """
        if self.n_transient <= DIRECT_MAX_STATES:
            return self.solve_directly(removals)
        solution = self.solve_iteratively(removals)
        return self.solve_directly(removals) if solution is None else solution

    def solve_directly(self, removals: np.ndarray) -> np.ndarray:
        """Sparse LU solve of (I - Q) x = r on the states kept in each scenario."""
        q, r = self.probabilities
        system = (sp.identity(self.n_transient, format="csc") - q.tocsc()).tocsc()
        result = np.empty(removals.shape[1])
        for j, removed in enumerate(removals.T):
            keep = np.flatnonzero(~removed)
            result[j] = np.atleast_1d(spsolve(system[keep][:, keep], r[keep]))[0]
        return result

    def solve_iteratively(self, removals: np.ndarray) -> np.ndarray | None:
        """Fixed-point iteration x <- r + Q x for all scenarios at once, with a certified error bound.

        Self-loops are folded into their rows first (same absorption probabilities, faster
        convergence). After n steps x is the probability of converting within n steps, so its error
        is at most y = max over states of P(not absorbed within n steps), tracked alongside by
        y <- Q y. Iterates until y < ITERATION_TOLERANCE; None if that takes over ITERATION_LIMIT steps.
        """
        q, r = self.probabilities
        stay = q.diagonal()
        scale = 1.0 / (1.0 - stay)
        q = (sp.diags(scale) @ (q - sp.diags(stay))).tocsr()
        r = r * scale
        keep = ~removals
        x = np.zeros(removals.shape)
        y = np.ones(self.n_transient)
        for _ in range(ITERATION_LIMIT):
            x = (r[:, None] + q @ x) * keep
            y = q @ y
            if y.max() < ITERATION_TOLERANCE:
                return x[0]
        return None


def build_chain(paths: EncodedPaths, order: int = 1) -> MarkovChain:
    """Count the transitions of the order-`order` chain over all paths (weights conversions + nulls)."""
    if not 1 <= order <= MAX_ORDER:
        raise PathDataError(f"order must be between 1 and {MAX_ORDER}, got {order}")
    base = len(paths.token_labels) + 1
    if base**order >= 2**62:
        raise PathDataError(f"too many distinct touches ({base - 1}) for order {order}")
    keys = _state_keys(paths, order, base)
    if order == 1:
        state_keys = np.arange(base, dtype=np.int64)  # key 0 is (start), key t + 1 is token t
        state = keys
    else:
        state_keys, state = np.unique(np.concatenate([[0], keys]), return_inverse=True)
        state = state.ravel()[1:]
    n = len(state_keys)
    starts, ends = paths.offsets[:-1], paths.offsets[1:] - 1
    previous = np.empty_like(state)
    previous[1:] = state[:-1]
    previous[starts] = 0  # every path begins in (start)
    last = state[ends]
    counts = (
        _tally(previous, state, np.repeat(paths.conversions + paths.nulls, paths.lengths), n)
        + _tally(last, np.full(len(last), n), paths.conversions, n)
        + _tally(last, np.full(len(last), n + 1), paths.nulls, n)
    )
    channels, labels = _describe_states(paths, state_keys, order, base)
    return MarkovChain(counts=counts.tocsr(), state_channels=channels, state_labels=labels)


def _state_keys(paths: EncodedPaths, order: int, base: int) -> np.ndarray:
    """Integer key of the state after each touch: sum over j < k of (token[t - j] + 1) * base**j."""
    keys = paths.tokens.astype(np.int64) + 1
    for lag in range(1, order):
        shifted = np.zeros_like(keys)
        shifted[lag:] = keys[:-lag] % base
        for position in range(lag):  # touches too early in their path have no touch `lag` back
            early = paths.lengths > position
            shifted[paths.offsets[:-1][early] + position] = 0
        keys += shifted * base**lag
    return keys


def _tally(rows: np.ndarray, cols: np.ndarray, weights: np.ndarray, n: int) -> sp.csr_matrix:
    """Summed `weights` per (row, col) as an (n, n + 2) sparse matrix."""
    cells = n * (n + 2)
    if cells <= _DENSE_CELLS:
        dense = np.bincount(rows * (n + 2) + cols, weights=weights, minlength=cells)
        return sp.csr_matrix(dense.reshape(n, n + 2))
    return sp.coo_matrix((weights, (rows, cols)), shape=(n, n + 2)).tocsr()


def _describe_states(
    paths: EncodedPaths, state_keys: np.ndarray, order: int, base: int
) -> tuple[np.ndarray, np.ndarray]:
    """Which channels each state contains, and a readable label (`a,b`, oldest touch first)."""
    channels = np.zeros((len(state_keys), len(paths.channels)), dtype=bool)
    digits = np.stack([(state_keys // base**lag) % base for lag in reversed(range(order))], axis=1) - 1
    for column in digits.T:
        present = column >= 0
        channels[np.flatnonzero(present), paths.token_channel[column[present]]] = True
    names = np.where(digits >= 0, paths.token_labels[np.maximum(digits, 0)], None)
    labels = np.array([",".join(n for n in row if n is not None) or START for row in names], dtype=object)
    return channels, labels


def removal_effects(chain: MarkovChain, channels: np.ndarray) -> pd.DataFrame:
    """Removal effect of every channel.

    Columns: `channel`, `removal_effect` (1 - P(conv | removed) / P(conv), in [0, 1]),
    `conversion_probability_without` (P(conv | removed)), `conversion_probability` (P(conv), the
    same on every row).
    """
    scenarios = np.concatenate([np.zeros((chain.n_transient, 1), dtype=bool), chain.state_channels], axis=1)
    probabilities = chain.conversion_probabilities(scenarios)
    baseline, without = probabilities[0], probabilities[1:]
    effect = 1.0 - without / baseline if baseline > 0 else np.zeros(len(channels))
    return pd.DataFrame(
        {
            "channel": pd.Series(channels, dtype=str),
            "removal_effect": np.clip(effect, 0.0, 1.0),
            "conversion_probability_without": without,
            "conversion_probability": baseline,
        }
    )


def markov_credits(paths: EncodedPaths, order: int = 1) -> pd.DataFrame:
    """Markov attribution: `channel`, `conversions`, `conversion_value`, `removal_effect`."""
    effects = removal_effects(build_chain(paths, order), paths.channels)
    effect = effects["removal_effect"].to_numpy()
    weight = effect / effect.sum() if effect.sum() > 0 else np.zeros_like(effect)
    frame = credits_frame(paths.channels, weight * paths.conversions.sum(), weight * paths.value.sum())
    frame["removal_effect"] = effect
    return frame


def transition_table(chain: MarkovChain) -> pd.DataFrame:
    """The estimated chain as rows `from_state`, `to_state`, `transitions` (weighted count), `probability`."""
    counts = chain.counts.tocoo()
    outgoing = np.asarray(chain.counts.sum(axis=1)).ravel()
    n = chain.n_transient
    to_labels = np.concatenate([chain.state_labels, [CONVERSION, NULL]])
    keep = counts.data > 0
    frame = pd.DataFrame(
        {
            "from_state": chain.state_labels[counts.row[keep]],
            "to_state": to_labels[counts.col[keep]],
            "transitions": counts.data[keep],
            "probability": counts.data[keep] / outgoing[counts.row[keep]],
        }
    )
    frame["_order"] = counts.row[keep] * (n + 2) + counts.col[keep]
    return frame.sort_values("_order").drop(columns="_order").reset_index(drop=True)

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
normalized to sum to 1, times total conversions (and times total conversion value). Everything is a
sparse linear solve (scipy.sparse.linalg.spsolve), never a simulation.
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

    def conversion_probability(self, removed: np.ndarray | None = None) -> float:
        """P(absorption in `(conversion)` from `(start)`), optionally with the `removed` states sent to `(null)`."""
        q, r = self.probabilities
        if removed is not None:
            keep = np.flatnonzero(~removed)
            q, r = q[keep][:, keep], r[keep]
        system = (sp.identity(q.shape[0], format="csc") - q.tocsc()).tocsc()
        return float(np.atleast_1d(spsolve(system, r))[0])


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
    total = paths.conversions + paths.nulls
    previous = np.empty_like(state)
    previous[0:1] = 0
    previous[1:] = state[:-1]
    previous[paths.position == 0] = 0
    ends = paths.offsets[1:] - 1
    rows = np.concatenate([previous, state[ends], state[ends]])
    cols = np.concatenate([state, np.full(paths.n_paths, n), np.full(paths.n_paths, n + 1)])
    weights = np.concatenate([total[paths.path_of_touch], paths.conversions, paths.nulls])
    counts = _tally(rows, cols, weights, (n, n + 2))
    channels, labels = _describe_states(paths, state_keys, order, base)
    return MarkovChain(counts=counts, state_channels=channels, state_labels=labels)


def _state_keys(paths: EncodedPaths, order: int, base: int) -> np.ndarray:
    """Integer key of the state after each touch: sum over j < k of (token[t - j] + 1) * base**j."""
    keys = paths.tokens.astype(np.int64) + 1
    for lag in range(1, order):
        shifted = np.zeros_like(keys)
        shifted[lag:] = paths.tokens[:-lag].astype(np.int64) + 1
        shifted[paths.position < lag] = 0
        keys += shifted * base**lag
    return keys


def _tally(rows: np.ndarray, cols: np.ndarray, weights: np.ndarray, shape: tuple[int, int]) -> sp.csr_matrix:
    if shape[0] * shape[1] <= _DENSE_CELLS:
        dense = np.bincount(rows * shape[1] + cols, weights=weights, minlength=shape[0] * shape[1])
        return sp.csr_matrix(dense.reshape(shape))
    return sp.coo_matrix((weights, (rows, cols)), shape=shape).tocsr()


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
    baseline = chain.conversion_probability()
    without = np.array(
        [chain.conversion_probability(chain.state_channels[:, c]) for c in range(len(channels))]
    )
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

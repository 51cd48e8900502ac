"""Seeded synthetic path tables, for benchmarks and tests of the attribution models.

One row per customer journey: the channels follow a first-order Markov chain with skewed channel
popularity, the journey length is 1 + a geometric number of extra touches, and the journey converts
with a logistic probability that grows with the channels it saw. The result has the columns of a
path table (`path`, `conversions`, `conversion_value`, `nulls`) and many repeated paths.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc


def synthetic_paths(
    rows: int, channels: int = 10, seed: int = 7, mean_length: float = 6.0, max_length: int = 30
) -> pa.Table:
    """`rows` journeys over `channels` channels (named `ch00`, `ch01`, ...), reproducible from `seed`."""
    rng = np.random.default_rng(seed)
    popularity = rng.dirichlet(np.full(channels, 4.0))
    transition = 0.5 * rng.dirichlet(np.full(channels, 2.0), size=channels) + 0.5 * popularity
    transition[np.arange(channels), np.arange(channels)] += 0.15  # channels repeat, as in real journeys
    transition /= transition.sum(axis=1, keepdims=True)
    cumulative = np.cumsum(transition, axis=1)

    lengths = np.minimum(1 + rng.geometric(1.0 / mean_length, size=rows) - 1, max_length)
    tokens = np.empty((rows, max_length), dtype=np.int32)
    tokens[:, 0] = rng.choice(channels, size=rows, p=popularity)
    for step in range(1, int(lengths.max())):
        active = np.flatnonzero(lengths > step)
        draw = rng.random(len(active))
        following = (cumulative[tokens[active, step - 1]] < draw[:, None]).sum(axis=1)
        tokens[active, step] = np.minimum(following, channels - 1)
    touched = np.arange(max_length)[None, :] < lengths[:, None]

    lift = rng.normal(0.35, 0.25, size=channels)
    seen = np.zeros((rows, channels), dtype=bool)
    for step in range(int(lengths.max())):
        seen[np.flatnonzero(touched[:, step]), tokens[touched[:, step], step]] = True
    converts = rng.random(rows) < 1.0 / (1.0 + np.exp(3.0 - seen @ lift))
    value = np.where(converts, np.round(rng.lognormal(4.0, 0.6, size=rows), 2), 0.0)

    names = pa.array([f"ch{c:02d}" for c in range(channels)])
    offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int32)
    touches = names.take(pa.array(tokens[touched]))
    path = pc.binary_join(pa.ListArray.from_arrays(pa.array(offsets), touches), " > ")
    return pa.table(
        {
            "path": path,
            "conversions": converts.astype(np.int64),
            "conversion_value": value,
            "nulls": (~converts).astype(np.int64),
        }
    )

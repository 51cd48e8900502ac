"""Path transforms, as in Google's fractribution (`path_transforms.sql`, `tuple_transforms.py`).

| name | effect on `D > A > B > B > C > D > C > C` |
| --- | --- |
| `none` | unchanged |
| `exposure` | collapse consecutive repeats: `D > A > B > C > D > C` |
| `first` | keep the first occurrence of each channel: `D > A > B > C` |
| `frequency` | first occurrence with its count: `D(2) > A(1) > B(2) > C(3)` |

`frequency` touches are tokens of their own (`D(2)` differs from `D(1)` in the Markov states and in
the path lookups of the `shapley` model); credits are reported per channel, so `D(1)` and `D(2)` both
count for `D`.

`drop_channel_unless_only` removes one channel (typically `direct`) from every path unless the path
consists of that channel only (fractribution's `RemoveIfNotAll`).

All transforms are vectorized over the flat touch array; they never loop over paths.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from adledger.analytics.attribution.paths import EncodedPaths, PathDataError

TRANSFORMS = ("none", "exposure", "first", "frequency")


def transform_paths(paths: EncodedPaths, transform: str = "none") -> EncodedPaths:
    """Apply the named transform (one of `TRANSFORMS`) to encoded channel paths."""
    if transform == "none":
        return paths
    if transform == "exposure":
        return paths.keep_touches(_exposure_mask(paths))
    if transform == "first":
        return paths.keep_touches(_first_occurrence_mask(paths))
    if transform == "frequency":
        return _frequency(paths)
    raise PathDataError(f"unknown transform {transform!r}; choose one of {', '.join(TRANSFORMS)}")


def drop_channel_unless_only(paths: EncodedPaths, channel: str) -> EncodedPaths:
    """Remove every touch of `channel` from paths that also contain another channel."""
    hits = np.flatnonzero(paths.channels == channel)
    if not len(hits):
        return paths
    is_channel = paths.touch_channels == hits[0]
    others = np.bincount(paths.path_of_touch, weights=~is_channel, minlength=paths.n_paths)
    return paths.keep_touches(~is_channel | (others[paths.path_of_touch] == 0))


def _exposure_mask(paths: EncodedPaths) -> np.ndarray:
    keep = np.ones(len(paths.tokens), dtype=bool)
    keep[1:] = (paths.tokens[1:] != paths.tokens[:-1]) | (paths.position[1:] == 0)
    return keep


def _path_channel_keys(paths: EncodedPaths) -> np.ndarray:
    """One integer per touch identifying (path, channel)."""
    return paths.path_of_touch * len(paths.channels) + paths.touch_channels


def _first_occurrence_mask(paths: EncodedPaths) -> np.ndarray:
    _, first = np.unique(_path_channel_keys(paths), return_index=True)
    keep = np.zeros(len(paths.tokens), dtype=bool)
    keep[first] = True
    return keep


def _frequency(paths: EncodedPaths) -> EncodedPaths:
    _, first, counts = np.unique(_path_channel_keys(paths), return_index=True, return_counts=True)
    order = np.argsort(first)  # touches back in path order
    first, counts = first[order], counts[order]
    base = int(counts.max()) + 1
    pairs, tokens = np.unique(paths.touch_channels[first].astype(np.int64) * base + counts, return_inverse=True)
    token_channel = (pairs // base).astype(np.int32)
    labels = np.array([f"{paths.channels[c]}({n})" for c, n in zip(token_channel, pairs % base)], dtype=object)
    keep = np.zeros(len(paths.tokens), dtype=bool)
    keep[first] = True
    kept = paths.keep_touches(keep)
    return replace(kept, tokens=tokens.astype(np.int32).ravel(), token_channel=token_channel, token_labels=labels)

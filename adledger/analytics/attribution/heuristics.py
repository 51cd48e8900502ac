"""Rule-based attribution on path counts: first touch, last touch, linear, position based.

Each function returns the share of its path's conversions that every touch receives (float64, one
entry per touch, summing to 1 within each path); `credit.credit_touches` turns shares into credits.
"""

from __future__ import annotations

import numpy as np

from adledger.analytics.attribution.paths import EncodedPaths

#: position based ("U-shaped", Google Analytics' default): 40 % first, 40 % last, 20 % spread over the middle
POSITION_FIRST = 0.4
POSITION_LAST = 0.4


def first_touch_shares(paths: EncodedPaths) -> np.ndarray:
    """All credit to the first touch of each path."""
    return (paths.position == 0).astype(np.float64)


def last_touch_shares(paths: EncodedPaths) -> np.ndarray:
    """All credit to the last touch of each path."""
    return (paths.position == paths.lengths[paths.path_of_touch] - 1).astype(np.float64)


def linear_shares(paths: EncodedPaths) -> np.ndarray:
    """Equal credit per touch: a channel seen twice in a path gets two shares."""
    return 1.0 / paths.lengths[paths.path_of_touch]


def position_based_shares(
    paths: EncodedPaths, first: float = POSITION_FIRST, last: float = POSITION_LAST
) -> np.ndarray:
    """`first` to the first touch, `last` to the last, the rest split equally over the middle touches.

    One-touch paths give everything to their touch; two-touch paths split `first : last` rescaled to
    sum to 1 (50/50 with the defaults), as Google Analytics' position-based model does.
    """
    length = paths.lengths[paths.path_of_touch]
    position = paths.position
    is_first = position == 0
    is_last = position == length - 1
    middle = (1.0 - first - last) / np.maximum(length - 2, 1)
    share = np.where(is_first, first, np.where(is_last, last, middle))
    share = np.where(length == 2, np.where(is_first, first, last) / (first + last), share)
    return np.where(length == 1, 1.0, share)

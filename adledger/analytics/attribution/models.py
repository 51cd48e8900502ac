"""`attribute`: one entry point for every attribution model on path counts."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
import pyarrow as pa

from adledger.analytics.attribution.credit import credit_touches
from adledger.analytics.attribution.heuristics import (
    first_touch_shares,
    last_touch_shares,
    linear_shares,
    position_based_shares,
)
from adledger.analytics.attribution.markov import build_chain, markov_credits, removal_effects
from adledger.analytics.attribution.paths import EncodedPaths, PathDataError, encode_paths
from adledger.analytics.attribution.shapley import exact_shapley_credits, fractribution_credits
from adledger.analytics.attribution.transforms import TRANSFORMS, drop_channel_unless_only, transform_paths

_SHARES: dict[str, Callable[[EncodedPaths], np.ndarray]] = {
    "first_touch": first_touch_shares,
    "last_touch": last_touch_shares,
    "linear": linear_shares,
    "position_based": position_based_shares,
}
MODELS = (*_SHARES, "markov", "shapley", "shapley_exact")


def prepare_paths(
    paths: pd.DataFrame | pa.Table | EncodedPaths, transform: str = "none", drop_channel: str | None = None
) -> EncodedPaths:
    """Validate and encode a path table, then drop `drop_channel` (unless alone) and apply `transform`."""
    if transform not in TRANSFORMS:
        raise PathDataError(f"unknown transform {transform!r}; choose one of {', '.join(TRANSFORMS)}")
    encoded = paths if isinstance(paths, EncodedPaths) else encode_paths(paths)
    if drop_channel is not None:
        encoded = drop_channel_unless_only(encoded, drop_channel)
    return transform_paths(encoded, transform)


def attribute(
    paths: pd.DataFrame | pa.Table | EncodedPaths,
    model: str,
    order: int = 1,
    transform: str = "none",
    drop_channel: str | None = None,
) -> pd.DataFrame:
    """Attribute the conversions and conversion value of a path table to channels.

    `paths`: columns `path` (channels joined by ` > `), `conversions`, `nulls`, optional
    `conversion_value` (see `adledger.analytics.attribution.paths`). `model`: one of `MODELS`.
    `order`: Markov order 1-4 (only `markov` uses it). `transform`: one of `TRANSFORMS`.
    `drop_channel`: a channel (e.g. `direct`) removed from every path that has other touches.

    Returns one row per channel, sorted by channel: `channel`, `conversions`, `conversion_value`
    (same currency as the input), and for `markov` also `removal_effect`. Credits sum to the total
    conversions and total conversion value of the input. Raises `PathDataError` (a ValueError) for bad
    input or an unknown model.
    """
    if model not in MODELS:
        raise PathDataError(f"unknown model {model!r}; choose one of {', '.join(MODELS)}")
    encoded = prepare_paths(paths, transform, drop_channel)
    if model == "markov":
        return markov_credits(encoded, order)
    if model == "shapley":
        return fractribution_credits(encoded)
    if model == "shapley_exact":
        return exact_shapley_credits(encoded)
    return credit_touches(encoded, _SHARES[model](encoded))


def markov_removal_effects(
    paths: pd.DataFrame | pa.Table | EncodedPaths,
    order: int = 1,
    transform: str = "none",
    drop_channel: str | None = None,
) -> pd.DataFrame:
    """Removal effects of the order-`order` Markov chain (the rows of `mart_markov_removal_effects`).

    Columns: `channel`, `removal_effect`, `conversion_probability_without`,
    `conversion_probability`; see `markov.removal_effects`.
    """
    encoded = prepare_paths(paths, transform, drop_channel)
    return removal_effects(build_chain(encoded, order), encoded.channels)

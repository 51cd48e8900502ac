"""Turn per-touch shares of each path's conversions into per-channel credits."""

from __future__ import annotations

import numpy as np
import pandas as pd

from adledger.analytics.attribution.paths import EncodedPaths

CREDIT_COLUMNS = ("channel", "conversions", "conversion_value")


def credits_frame(channels: np.ndarray, conversions: np.ndarray, value: np.ndarray) -> pd.DataFrame:
    """The attribution output: `channel`, `conversions`, `conversion_value`, one row per channel."""
    return pd.DataFrame(
        {"channel": pd.Series(channels, dtype=str), "conversions": conversions, "conversion_value": value}
    )


def credit_touches(paths: EncodedPaths, share: np.ndarray) -> pd.DataFrame:
    """Credits when touch t receives `share[t]` of its path's conversions and conversion value.

    Shares of one path should sum to 1, so the credits sum to the total conversions (and value).
    """
    channel = paths.touch_channels
    path = paths.path_of_touch
    n = len(paths.channels)
    conversions = np.bincount(channel, weights=share * paths.conversions[path], minlength=n)
    value = np.bincount(channel, weights=share * paths.value[path], minlength=n)
    return credits_frame(paths.channels, conversions, value)

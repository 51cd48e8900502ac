"""Data-driven attribution credits per conversion and touchpoint (the rows of `analytics.attribution_credits`).

The models work on the path table of all user-level journeys (`journeys.Journeys.paths`); each conversion's credit is
then split over its own touches:

* `markov`: in proportion to the removal effect of each touch's channel (a channel touched twice gets two shares,
  as in the `linear` rule). When every channel of the path has removal effect 0, the last touch gets everything.
  Summed over conversions, these credits differ from the channel totals of the Markov model
  (`mart_markov_removal_effects`), which spread all conversions by removal effect regardless of which paths they
  came from; the per-conversion rule keeps every credit on a touch that happened.
* `shapley`: the touch shares of Google fractribution's simplified Shapley value for the conversion's path
  (`adledger.analytics.attribution.shapley.fractribution_shares`); summed per channel they equal the `shapley` model's
  channel credits exactly.

Conversions without a user-level path get one aggregate-level credit for the channel of their session, with no
touchpoint, as the rule-based models in dbt do (docs/decisions.md). The credits of every conversion sum to 1.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from adledger.analytics.attribution import attribute, encode_paths, markov_removal_effects
from adledger.analytics.attribution.shapley import fractribution_shares
from dagster_project.defs.analytics.journeys import Journeys

CREDIT_COLUMNS = ("order_id", "model", "touchpoint_id", "channel", "credit")
DATA_DRIVEN_MODELS = ("markov", "shapley")


@dataclass(frozen=True)
class AttributionResult:
    """`credits`: CREDIT_COLUMNS, one row per conversion × model × touchpoint; `removal_effects`: per channel
    `channel`, `removal_effect`, `conversions`, `conversion_value` (the Markov model's channel totals)."""

    credits: pd.DataFrame
    removal_effects: pd.DataFrame


def attribute_journeys(journeys: Journeys, order: int = 1) -> AttributionResult:
    """Markov (of `order`) and simplified-Shapley credits for every conversion of `journeys`."""
    parts = [_unattributed_credits(journeys.unattributed, model) for model in DATA_DRIVEN_MODELS]
    effects = pd.DataFrame({"channel": pd.Series(dtype=str), "removal_effect": pd.Series(dtype=float),
                            "conversions": pd.Series(dtype=float), "conversion_value": pd.Series(dtype=float)})
    if len(journeys.orders):
        encoded = encode_paths(journeys.paths)
        removal = markov_removal_effects(encoded, order=order).set_index("channel")["removal_effect"]
        totals = attribute(encoded, "markov", order=order)
        effects = totals[["channel", "removal_effect", "conversions", "conversion_value"]]
        touch_path = _touch_path_index(journeys)
        markov_weight = removal.reindex(journeys.touches["channel"]).fillna(0.0).to_numpy()
        shares = fractribution_shares(encoded)
        shapley_weight = shares[encoded.offsets[touch_path] + journeys.touches["touch_position"].to_numpy() - 1]
        parts += [_touch_credits(journeys.touches, "markov", markov_weight),
                  _touch_credits(journeys.touches, "shapley", shapley_weight)]
    credits = pd.concat(parts, ignore_index=True)[list(CREDIT_COLUMNS)]
    return AttributionResult(credits=credits, removal_effects=effects.reset_index(drop=True))


def _touch_path_index(journeys: Journeys) -> np.ndarray:
    """Row of `journeys.paths` (= encoded path) of every converting touch."""
    path_of_order = pd.Index(journeys.paths["path"]).get_indexer(journeys.orders["path"])
    order_of_touch = pd.Index(journeys.orders["order_id"]).get_indexer(journeys.touches["order_id"])
    if (path_of_order < 0).any() or (order_of_touch < 0).any():
        raise ValueError("a converting journey is missing from the path table")
    return path_of_order[order_of_touch]


def _touch_credits(touches: pd.DataFrame, model: str, weight: np.ndarray) -> pd.DataFrame:
    """Each conversion's credit split over its touches in proportion to `weight` (last touch when all are 0)."""
    order_codes, _ = pd.factorize(touches["order_id"], sort=False)
    total = np.bincount(order_codes, weights=weight)
    position = touches["touch_position"].to_numpy()
    last = position == np.bincount(order_codes, weights=np.ones(len(position))).astype(np.int64)[order_codes]
    has_weight = total[order_codes] > 0
    credit = np.where(has_weight, weight / np.where(has_weight, total[order_codes], 1.0), last.astype(float))
    return pd.DataFrame({
        "order_id": touches["order_id"].to_numpy(),
        "model": model,
        "touchpoint_id": touches["touchpoint_id"].to_numpy(),
        "channel": touches["channel"].to_numpy(),
        "credit": credit,
    })


def _unattributed_credits(unattributed: pd.DataFrame, model: str) -> pd.DataFrame:
    return pd.DataFrame({
        "order_id": unattributed["order_id"].to_numpy(),
        "model": model,
        "touchpoint_id": pd.Series([None] * len(unattributed), dtype=object).to_numpy(),
        "channel": unattributed["channel"].to_numpy(),
        "credit": np.ones(len(unattributed)),
    })

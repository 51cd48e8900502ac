"""Multi-touch attribution on conversion paths: heuristics, Markov chains of order 1-4, Shapley.

Public API (pandas in, pandas out; see each docstring for the columns):

* `attribute(paths, model, order=1, transform="none", drop_channel=None)` -> channel credits
* `markov_removal_effects(paths, order=1, transform="none")` -> removal effects per channel
* `attribution_drift(credits, window=7)` -> daily population stability index of channel shares
* `read_paths_csv(file)` -> Arrow table for `attribute`
* `MODELS`, `TRANSFORMS`, and `PathDataError` (a ValueError) for bad input

`docs/attribution.md` explains every model, with formulas and sources.
"""

from adledger.analytics.attribution.drift import attribution_drift
from adledger.analytics.attribution.models import MODELS, attribute, markov_removal_effects, prepare_paths
from adledger.analytics.attribution.paths import PathDataError, encode_paths, read_paths_csv
from adledger.analytics.attribution.transforms import TRANSFORMS

__all__ = [
    "MODELS",
    "TRANSFORMS",
    "PathDataError",
    "attribute",
    "attribution_drift",
    "encode_paths",
    "markov_removal_effects",
    "prepare_paths",
    "read_paths_csv",
]

"""Sample-ratio mismatch: are the users split across variants as the experiment intended?

Pearson's chi-square goodness-of-fit test of the observed users per variant against the expected
split (equal unless `expected_share` is given), k - 1 degrees of freedom (scipy `chisquare`). A p-value
below `SRM_THRESHOLD` means the assignment is broken and the results must not be trusted (Fabijan et
al. 2019, "Diagnosing sample ratio mismatch in online controlled experiments", KDD).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

SRM_THRESHOLD = 0.001


def srm_p_values(users: np.ndarray, expected_share: np.ndarray, experiment: np.ndarray) -> np.ndarray:
    """Chi-square p-value of each row's experiment (the same value on every row of one experiment)."""
    frame = pd.DataFrame({"experiment": experiment, "users": users, "share": expected_share})
    grouped = frame.groupby("experiment", sort=False)
    expected = frame["share"] / grouped["share"].transform("sum") * grouped["users"].transform("sum")
    frame["term"] = (frame["users"] - expected) ** 2 / expected
    statistic = grouped["term"].transform("sum").to_numpy()
    dof = grouped["users"].transform("size").to_numpy() - 1
    return np.where(dof > 0, stats.chi2.sf(statistic, np.maximum(dof, 1)), np.nan)

"""Marginal returns at a given spend: what the next dollar buys on each channel, with bootstrap intervals.

Marginal conversions per USD are the derivative of the steady-state response (`response.curve_marginal`);
marginal CPA is its inverse (USD per extra conversion) and marginal ROAS the revenue per conversion times it
(extra revenue per extra USD). Intervals are percentiles of the bootstrap replicates of each fit.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from adledger.analytics.optimization.fit import CurveFit


def marginal_returns(
    fits: Mapping[str, CurveFit], spend: Mapping[str, float] | None = None, interval: float = 0.9
) -> pd.DataFrame:
    """One row per entity: its curve and what the next USD/day buys at `spend` (default: its current spend).

    Columns: `channel`, `form`, `beta`, `half_saturation`, `shape`, `decay`, `base`, `r2`, `identified`, `note`,
    `spend` (USD/day), `conversions` (steady-state conversions/day caused by that spend, base excluded),
    `average_cpa` (spend / conversions), `marginal_conversions_per_usd`, `marginal_cpa`, `marginal_cpa_low`,
    `marginal_cpa_high`, `value_per_conversion`, `marginal_roas`, `marginal_roas_low`, `marginal_roas_high`.
    """
    tail = (1.0 - interval) / 2.0 * 100.0
    rows = []
    for name in sorted(fits):
        fit = fits[name]
        s = float((spend or {}).get(name, fit.current_spend))
        c = fit.curve
        marginal = float(c.marginal(s))
        low, high = np.percentile(fit.marginal_samples(s), [tail, 100.0 - tail])
        response = float(c.response(s))
        value = fit.value_per_conversion
        with np.errstate(divide="ignore"):
            rows.append({
                "channel": name, "form": c.form, "beta": c.beta, "half_saturation": c.half_saturation,
                "shape": c.shape, "decay": c.decay, "base": c.base, "r2": fit.r2, "identified": fit.identified,
                "note": fit.note, "spend": s, "conversions": response,
                "average_cpa": s / response if response > 0 else np.inf,
                "marginal_conversions_per_usd": marginal,
                "marginal_cpa": 1.0 / marginal if marginal > 0 else np.inf,
                # a higher marginal return is a lower CPA: the interval's ends swap
                "marginal_cpa_low": 1.0 / high if high > 0 else np.inf,
                "marginal_cpa_high": 1.0 / low if low > 0 else np.inf,
                "value_per_conversion": value, "marginal_roas": value * marginal,
                "marginal_roas_low": value * low, "marginal_roas_high": value * high,
            })
    return pd.DataFrame(rows)

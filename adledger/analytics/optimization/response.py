"""Media response curves: geometric adstock followed by a saturating curve (Hill or log).

Spend is in currency units per day (USD/day in the reporting currency); responses are conversions per day
(or revenue per day when a curve is fitted on revenue).

* Adstock (Jin, Wang, Sun, Chan, Koehler 2017, "Bayesian Methods for Media Mix Modeling with Carryover and
  Shape Effects", Google, eq. 1, geometric decay), normalized by `1 - decay` so a constant spend `s` settles at
  adstock `s`: `a[t] = decay * a[t-1] + (1 - decay) * s[t]`. With this normalization the steady-state response
  to a constant daily spend `s` is the curve at `s` itself, whatever the decay.
* Hill (same paper, eq. 3): `beta * x**n / (x**n + K**n)` — `beta` the ceiling (conversions/day),
  `K` the half-saturation spend (USD/day), `n` the shape (n <= 1 concave, n > 1 S-shaped).
* Log: `beta * log(1 + x / K)` — concave everywhere, no ceiling; `n` is unused (kept at 1).

Every function broadcasts, so a vector of bootstrap parameter sets evaluates in one call.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from scipy.signal import lfilter

Form = Literal["hill", "log"]
FORMS: tuple[str, ...] = ("hill", "log")

#: adstocked spend below this (USD/day) counts as zero, so marginals of S-shaped curves stay finite
TINY = 1e-9


def adstock(spend: np.ndarray, decay: float, initial: float | None = None) -> np.ndarray:
    """Normalized geometric adstock of a daily spend series (USD/day), along the last axis.

    `initial` is the adstock before the first day; by default the first day's spend, i.e. the series is
    assumed to have run at that level before (no artificial ramp-up at the start of the data).
    """
    spend = np.asarray(spend, dtype=float)
    if decay <= 0.0:
        return spend.copy()
    first = spend[..., :1] if initial is None else np.full(spend.shape[:-1] + (1,), float(initial))
    # y[t] = decay*y[t-1] + (1-decay)*s[t]; the filter state `decay*first` plays y[-1] = first
    out, _ = lfilter([1.0 - decay], [1.0, -decay], spend, axis=-1, zi=decay * first)
    return out


def curve(form: str, x: np.ndarray | float, beta, half_saturation, shape) -> np.ndarray:
    """Response (conversions/day) of adstocked spend `x` (USD/day); parameters broadcast against `x`."""
    x = np.maximum(np.asarray(x, dtype=float), 0.0)
    beta, k = np.asarray(beta, dtype=float), np.asarray(half_saturation, dtype=float)
    if form == "log":
        return beta * np.log1p(x / k)
    if form == "hill":
        # x^n / (x^n + K^n) = 1 / (1 + (K/x)^n), written in ratios so large spends do not overflow
        with np.errstate(divide="ignore", over="ignore"):
            ratio = np.where(x > TINY, (k / np.maximum(x, TINY)) ** np.asarray(shape, dtype=float), np.inf)
        return beta / (1.0 + ratio)
    raise ValueError(f"unknown curve form {form!r}; choose one of {', '.join(FORMS)}")


def curve_marginal(form: str, x: np.ndarray | float, beta, half_saturation, shape) -> np.ndarray:
    """d response / d spend at steady spend `x`: extra conversions/day per extra USD/day of spend.

    Hill: `beta * n * x**(n-1) * K**n / (x**n + K**n)**2`; log: `beta / (K + x)`.
    """
    x = np.maximum(np.asarray(x, dtype=float), TINY)
    beta, k = np.asarray(beta, dtype=float), np.asarray(half_saturation, dtype=float)
    if form == "log":
        return beta / (k + x)
    if form == "hill":
        n = np.asarray(shape, dtype=float)
        with np.errstate(over="ignore"):
            r = (k / x) ** n                      # (K/x)^n
        # beta*n*x^(n-1)*K^n/(x^n+K^n)^2 = beta*n/x * r/(1+r)^2
        return np.where(np.isfinite(r), beta * n / x * r / (1.0 + r) ** 2, 0.0)
    raise ValueError(f"unknown curve form {form!r}; choose one of {', '.join(FORMS)}")

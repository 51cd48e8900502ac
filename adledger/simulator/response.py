"""The true media response: geometric adstock and the Hill curve.

Source: Jin, Wang, Sun, Chan, Koehler (2017), "Bayesian Methods for Media Mix Modeling with Carryover and Shape
Effects", Google Inc. — eq. 1 (geometric adstock, here normalized by `1 - decay` so that a constant spend `s`
settles at adstock `s`) and eq. 3 (Hill saturation).
"""

from __future__ import annotations

import numpy as np


def adstock_step(previous: np.ndarray | float, spend: np.ndarray | float, decay: np.ndarray | float) -> np.ndarray:
    """One day of normalized geometric adstock: `decay * previous + (1 - decay) * spend` (USD/day)."""
    return np.asarray(decay) * previous + (1.0 - np.asarray(decay)) * spend


def adstock(spend: np.ndarray, decay: float, initial: float | None = None) -> np.ndarray:
    """Normalized geometric adstock of a daily spend series; `initial` defaults to the first day's spend."""
    out = np.empty(len(spend), dtype=float)
    level = float(spend[0]) if initial is None else float(initial)
    for i, s in enumerate(spend):
        level = decay * level + (1.0 - decay) * float(s)
        out[i] = level
    return out


def hill(x: np.ndarray | float, beta: float | np.ndarray, half_saturation: float | np.ndarray,
         shape: float | np.ndarray) -> np.ndarray:
    """Expected incremental orders/day: `beta * x**n / (x**n + K**n)`, 0 at x <= 0."""
    x = np.maximum(np.asarray(x, dtype=float), 0.0)
    xn = x ** shape
    return np.asarray(beta) * xn / (xn + np.asarray(half_saturation) ** shape)


def marginal_orders_per_usd(x: float, beta: float, half_saturation: float, shape: float) -> float:
    """Derivative of `hill` at `x`: extra incremental orders per extra USD of steady daily spend."""
    if x <= 0:
        return float("inf") if shape < 1 else (beta / half_saturation if shape == 1 else 0.0)
    k_n = half_saturation**shape
    return float(beta * shape * x ** (shape - 1) * k_n / (x**shape + k_n) ** 2)

"""Bayesian chance to beat control for conversion rates (beta-binomial model).

With a uniform Beta(1, 1) prior, a variant with x conversions among n users has the posterior rate
Beta(1 + x, 1 + n - x). The chance to beat control is P(rate_B > rate_A) for independent posteriors,
computed exactly with Evan Miller's closed form (2015, "Formulas for Bayesian A/B testing",
evanmiller.org/bayesian-ab-testing.html), valid for integer alpha_B:

    P = sum_{i=0}^{alpha_B - 1} B(alpha_A + i, beta_A + beta_B) / ((beta_B + i) B(1 + i, beta_B) B(alpha_A, beta_A))

summed in log space over the smaller of the two alphas (using P(B > A) = 1 - P(A > B)). Above
`EXACT_MAX_TERMS` terms the same probability is integrated numerically,
P = integral of f_B(x) F_A(x) dx (scipy.integrate.quad). Both are deterministic.
"""

from __future__ import annotations

import numpy as np
from scipy import integrate, special, stats

EXACT_MAX_TERMS = 1_000_000


def chance_to_beat(
    conversions: float, users: float, control_conversions: float, control_users: float,
    exact_max_terms: int = EXACT_MAX_TERMS,
) -> float:
    """P(variant rate > control rate) under Beta(1, 1) priors; counts are whole numbers."""
    alpha_b, beta_b = 1.0 + conversions, 1.0 + users - conversions
    alpha_a, beta_a = 1.0 + control_conversions, 1.0 + control_users - control_conversions
    if min(alpha_a, alpha_b) > exact_max_terms:
        return _integrated(alpha_b, beta_b, alpha_a, beta_a)
    if alpha_b <= alpha_a:
        return _miller(alpha_b, beta_b, alpha_a, beta_a)
    return 1.0 - _miller(alpha_a, beta_a, alpha_b, beta_b)


def _miller(alpha_b: float, beta_b: float, alpha_a: float, beta_a: float) -> float:
    """P(X_B > X_A) for X_B ~ Beta(alpha_b, beta_b), X_A ~ Beta(alpha_a, beta_a), integer alpha_b."""
    i = np.arange(int(round(alpha_b)), dtype=np.float64)
    log_terms = (
        special.betaln(alpha_a + i, beta_a + beta_b)
        - np.log(beta_b + i)
        - special.betaln(1.0 + i, beta_b)
        - special.betaln(alpha_a, beta_a)
    )
    return float(min(1.0, np.exp(special.logsumexp(log_terms))))


def _integrated(alpha_b: float, beta_b: float, alpha_a: float, beta_a: float) -> float:
    """P(X_B > X_A) as the integral of f_B(x) F_A(x) over the bulk of X_B's density."""
    posterior_b, posterior_a = stats.beta(alpha_b, beta_b), stats.beta(alpha_a, beta_a)
    low, high = posterior_b.ppf(1e-13), posterior_b.isf(1e-13)
    points = sorted({float(posterior_b.mean()), float(np.clip(posterior_a.mean(), low, high))})
    value, _ = integrate.quad(
        lambda x: posterior_b.pdf(x) * posterior_a.cdf(x), low, high, points=points, limit=500, epsabs=1e-13
    )
    return float(min(1.0, max(0.0, value)))

"""Fit a response curve per channel (or campaign) to daily spend and conversions, with bootstrap intervals.

Model, per entity and day t: `conversions[t] = base + curve(adstock(spend, decay)[t]) + noise`, with the curve and
the adstock of `response.py`; `base >= 0` absorbs conversions the entity gets without spending (brand demand,
attribution of organic orders) and can be switched off when the outcome is already incremental.

Estimation is least squares in two stages:

1. a grid over (decay, K, n) with `base` and `beta` solved in closed form for every grid point (the model is
   linear in them: variable projection, Golub & Pereyra 1973, "The differentiation of pseudo-inverses and
   nonlinear least squares problems whose variables separate", SIAM J. Numer. Anal. 10(2));
2. the best grid point polished by `scipy.optimize.least_squares` (trust-region reflective, bounded).

Uncertainty: a moving-block residual bootstrap (Künsch 1989, "The jackknife and the bootstrap for general
stationary observations", Ann. Statist. 17(3); 7-day blocks keep weekly and adstock autocorrelation), each
replicate fitted on the grid. Every quantity derived from a curve (marginal CPA, expected change of a plan) gets
its interval from the replicates' percentiles.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.optimize import least_squares
from threadpoolctl import threadpool_limits

from adledger.analytics.optimization.response import FORMS, adstock, curve, curve_marginal

#: parameter order of `CurveFit.samples`
PARAMS: tuple[str, ...] = ("beta", "half_saturation", "shape", "decay", "base")
DECAYS = np.round(np.arange(0.0, 0.91, 0.05), 2)
K_MULTIPLES = np.geomspace(0.1, 20.0, 36)
HILL_SHAPES = np.array([0.5, 0.7, 0.85, 1.0, 1.2, 1.4, 1.7, 2.0, 2.5, 3.0])
BLOCK_DAYS = 7
#: a spend series whose coefficient of variation is below this cannot separate a curve from a constant
MIN_SPEND_CV = 0.05


class OptimizationDataError(ValueError):
    """The daily input is missing a column, has negative or missing numbers, or too few days."""


@dataclass(frozen=True)
class ResponseCurve:
    """One fitted (or true) curve; spends in USD/day, responses in conversions/day."""

    form: str
    beta: float
    half_saturation: float
    shape: float = 1.0
    decay: float = 0.0
    base: float = 0.0

    def response(self, spend: np.ndarray | float) -> np.ndarray:
        """Steady-state conversions/day caused by a constant daily `spend` (without `base`)."""
        return curve(self.form, spend, self.beta, self.half_saturation, self.shape)

    def marginal(self, spend: np.ndarray | float) -> np.ndarray:
        """Extra conversions/day per extra USD/day at a constant daily `spend`."""
        return curve_marginal(self.form, spend, self.beta, self.half_saturation, self.shape)

    def predict(self, spend: np.ndarray, initial: float | None = None) -> np.ndarray:
        """Expected conversions/day for a daily spend series, including `base` and the adstock carry-over."""
        return self.base + self.response(adstock(np.asarray(spend, float), self.decay, initial))


@dataclass(frozen=True)
class CurveFit:
    """A fitted curve with its bootstrap replicates and what the data could support."""

    entity: str
    curve: ResponseCurve
    #: bootstrap replicates, one row each, columns in `PARAMS` order
    samples: np.ndarray
    days: int
    #: mean daily spend over the last `current_days` of the data (USD/day)
    current_spend: float
    #: 5th and 95th percentile of the observed daily spend: the range the curve was learned on
    spend_low: float
    spend_high: float
    r2: float
    #: revenue per conversion over the data (NaN without a revenue column)
    value_per_conversion: float = float("nan")
    identified: bool = True
    note: str = ""
    extra: dict = field(default_factory=dict, compare=False)

    def response_samples(self, spend: np.ndarray | float) -> np.ndarray:
        """Steady-state response at `spend` under every replicate: shape (replicates,) + shape of `spend`."""
        return curve(self.curve.form, *self._broadcast(spend))

    def marginal_samples(self, spend: np.ndarray | float) -> np.ndarray:
        """Marginal conversions per USD at `spend` under every replicate (same shape as `response_samples`)."""
        return curve_marginal(self.curve.form, *self._broadcast(spend))

    def _broadcast(self, spend: np.ndarray | float) -> tuple[np.ndarray, ...]:
        spend = np.asarray(spend, float)
        pad = (slice(None),) + (None,) * spend.ndim
        return spend, self.samples[:, 0][pad], self.samples[:, 1][pad], self.samples[:, 2][pad]


def _grid(form: str, scale: float) -> tuple[np.ndarray, np.ndarray]:
    """(K, n) pairs searched for every decay: K in multiples of the typical spend, n the Hill shapes."""
    shapes = HILL_SHAPES if form == "hill" else np.array([1.0])
    k, n = np.meshgrid(K_MULTIPLES * scale, shapes, indexing="ij")
    return k.ravel(), n.ravel()


def _project(h: np.ndarray, y: np.ndarray, intercept: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Best `base >= 0`, `beta >= 0` and the SSE of `y ~ base + beta * h` for every row of `h` and of `y`.

    `h` is (G, T) curve shapes, `y` is (B, T) outcomes; returns three (G, B) arrays.
    """
    t = h.shape[1]
    sh, shh = h.sum(axis=1)[:, None], np.einsum("gt,gt->g", h, h)[:, None]
    sy, syy = y.sum(axis=1)[None, :], np.einsum("bt,bt->b", y, y)[None, :]
    shy = h @ y.T
    with np.errstate(divide="ignore", invalid="ignore"):
        through_zero = np.where(shh > 0, shy / shh, 0.0)
        if intercept:
            var_h = shh - sh * sh / t
            beta = np.where(var_h > 1e-12 * np.maximum(shh, 1e-300), (shy - sh * sy / t) / var_h, 0.0)
            base = (sy - beta * sh) / t
            flat = beta <= 0                                  # best fit falls: no effect of spend
            beta, base = np.where(flat, 0.0, beta), np.where(flat, sy / t, base)
            negative = base < 0                               # best fit needs base < 0: pass through zero
            beta, base = np.where(negative, np.maximum(through_zero, 0.0), beta), np.where(negative, 0.0, base)
        else:
            beta, base = np.maximum(through_zero, 0.0) + 0.0 * sy, np.zeros((h.shape[0], y.shape[0]))
    sse = syy - 2 * base * sy - 2 * beta * shy + t * base**2 + 2 * base * beta * sh + beta**2 * shh
    return base, beta, sse


def _grid_fit(form: str, spend: np.ndarray, y: np.ndarray, intercept: bool, scale: float) -> np.ndarray:
    """Grid estimates for every row of `y` (B, T): (B, 5) parameters in `PARAMS` order."""
    k, n = _grid(form, scale)
    best_sse = np.full(y.shape[0], np.inf)
    best = np.zeros((y.shape[0], len(PARAMS)))
    for decay in DECAYS:
        x = adstock(spend, float(decay))
        h = curve(form, x[None, :], 1.0, k[:, None], n[:, None])
        base, beta, sse = _project(h, y, intercept)
        g = np.argmin(sse, axis=0)
        cols = np.arange(y.shape[0])
        better = sse[g, cols] < best_sse
        best_sse = np.where(better, sse[g, cols], best_sse)
        cand = np.column_stack([beta[g, cols], k[g], n[g], np.full(len(g), decay), base[g, cols]])
        best[better] = cand[better]
    return best


def _polish(form: str, spend: np.ndarray, y: np.ndarray, start: np.ndarray, intercept: bool,
            scale: float) -> np.ndarray:
    """Least-squares refinement of one grid estimate; returns the better of the two parameter sets."""
    beta0, k0, n0, d0, b0 = start
    if beta0 <= 0:
        return start
    fixed_n = form != "hill"

    def unpack(theta: np.ndarray) -> tuple[float, float, float, float, float]:
        beta, k = np.exp(theta[0]), np.exp(theta[1])
        n = 1.0 if fixed_n else theta[2]
        decay = theta[3 - fixed_n]
        base = theta[4 - fixed_n] if intercept else 0.0
        return beta, k, n, decay, base

    def residuals(theta: np.ndarray) -> np.ndarray:
        beta, k, n, decay, base = unpack(theta)
        return base + curve(form, adstock(spend, decay), beta, k, n) - y

    theta0 = [np.log(beta0), np.log(k0)] + ([] if fixed_n else [n0]) + [d0] + ([b0] if intercept else [])
    lower = [np.log(beta0) - 12, np.log(scale * 0.01)] + ([] if fixed_n else [0.3]) + [0.0] + ([0.0] if intercept else [])
    upper = [np.log(beta0) + 12, np.log(scale * 200)] + ([] if fixed_n else [4.0]) + [0.95] + ([np.inf] if intercept else [])
    theta0 = np.clip(theta0, np.array(lower) + 1e-9, np.array(upper) - 1e-9)
    result = least_squares(residuals, theta0, bounds=(lower, upper), method="trf", x_scale="jac", max_nfev=400)
    polished = np.array(unpack(result.x))
    start_sse = float(np.sum(residuals(np.asarray(theta0)) ** 2))
    return polished if 2 * result.cost <= start_sse else start


def _block_indices(rng: np.random.Generator, t: int, replicates: int, block: int = BLOCK_DAYS) -> np.ndarray:
    """(replicates, t) day indices of a moving-block bootstrap (blocks of `block` consecutive days)."""
    block = max(1, min(block, t))
    blocks = -(-t // block)
    starts = rng.integers(0, t - block + 1, size=(replicates, blocks))
    return (starts[:, :, None] + np.arange(block)[None, None, :]).reshape(replicates, -1)[:, :t]


def fit_curve(
    spend: np.ndarray,
    outcome: np.ndarray,
    form: str = "hill",
    intercept: bool = True,
    replicates: int = 200,
    seed: int = 0,
) -> tuple[ResponseCurve, np.ndarray, float]:
    """Fit one curve to a daily spend series (USD/day) and its outcome (conversions/day).

    Returns the point estimate, the (replicates, 5) bootstrap parameters (`PARAMS` order) and the R² of the fit.
    """
    if form not in FORMS:
        raise ValueError(f"unknown curve form {form!r}; choose one of {', '.join(FORMS)}")
    # the grid products are small matrices: one BLAS thread is faster than several fighting over the cores
    with threadpool_limits(limits=1, user_api="blas"):
        return _fit_curve(np.asarray(spend, float), np.asarray(outcome, float), form, intercept, replicates, seed)


def _fit_curve(spend: np.ndarray, y: np.ndarray, form: str, intercept: bool, replicates: int,
               seed: int) -> tuple[ResponseCurve, np.ndarray, float]:
    positive = spend[spend > 0]
    scale = float(np.median(positive)) if len(positive) else 1.0
    start = _grid_fit(form, spend, y[None, :], intercept, scale)[0]
    point = _polish(form, spend, y, start, intercept, scale)
    params = dict(zip(PARAMS, map(float, point)))
    fitted_curve = ResponseCurve(form=form, **params)
    fitted = fitted_curve.predict(spend)
    residual = y - fitted
    sst = float(np.sum((y - y.mean()) ** 2))
    r2 = 1.0 - float(np.sum(residual**2)) / sst if sst > 0 else 0.0
    if replicates > 0:
        rng = np.random.default_rng(seed)
        y_star = fitted[None, :] + residual[_block_indices(rng, len(y), replicates)]
        samples = _grid_fit(form, spend, y_star, intercept, scale)
    else:
        samples = point[None, :].copy()
    return fitted_curve, samples, r2


def prepare_daily(daily: pd.DataFrame, by: str = "channel", outcome: str = "conversions") -> pd.DataFrame:
    """Validate a daily frame and pivot it to one row per day, zero-filled (columns: MultiIndex (measure, entity)).

    Input columns: `day` (date), `by` (entity name), `spend` (USD/day), `outcome` (conversions/day) and optionally
    `revenue` (per day, same currency as spend). Rows with the same day and entity are summed.
    """
    needed = ["day", by, "spend", outcome]
    missing = [c for c in needed if c not in daily.columns]
    if missing:
        raise OptimizationDataError(f"daily data lacks column(s) {', '.join(missing)}; expected {', '.join(needed)}"
                                    " and optionally revenue")
    measures = ["spend", outcome] + (["revenue"] if "revenue" in daily.columns and outcome != "revenue" else [])
    frame = daily[["day", by] + measures].copy()
    frame["day"] = pd.to_datetime(frame["day"], errors="coerce")
    for col in measures:
        frame[col] = pd.to_numeric(frame[col], errors="coerce")
    bad = frame[["day", by] + measures].isna().any(axis=1)
    if bad.any():
        raise OptimizationDataError(f"{int(bad.sum())} row(s) have a missing or non-numeric day, {by} or measure "
                                    f"(first at row {int(np.flatnonzero(bad.to_numpy())[0])})")
    if (frame[measures] < 0).any(axis=None):
        raise OptimizationDataError("spend, conversions and revenue must not be negative")
    frame[by] = frame[by].astype(str)
    days = pd.date_range(frame["day"].min(), frame["day"].max(), freq="D")
    wide = frame.pivot_table(index="day", columns=by, values=measures, aggfunc="sum", fill_value=0.0)
    return wide.reindex(days, fill_value=0.0).fillna(0.0)


def fit_curves(
    daily: pd.DataFrame,
    by: str = "channel",
    outcome: str = "conversions",
    form: str = "hill",
    intercept: bool = True,
    replicates: int = 200,
    seed: int = 0,
    current_days: int = 28,
    min_days: int = 28,
) -> dict[str, CurveFit]:
    """Fit a response curve for every entity of a daily frame (see `prepare_daily` for its columns).

    `current_spend` of each fit is the mean daily spend of the last `current_days` days. An entity with fewer than
    `min_days` days of spend, or whose spend barely varied (coefficient of variation < 5 %), is marked
    `identified=False` with a note: its curve cannot be told apart from a constant and plans hold its spend.
    """
    wide = prepare_daily(daily, by, outcome)
    if len(wide) < min_days:
        raise OptimizationDataError(f"{len(wide)} day(s) of data; response curves need at least {min_days}")
    fits: dict[str, CurveFit] = {}
    for i, entity in enumerate(sorted(wide["spend"].columns)):
        spend = wide["spend"][entity].to_numpy(float)
        y = wide[outcome][entity].to_numpy(float)
        fitted, samples, r2 = fit_curve(spend, y, form, intercept, replicates, seed + i)
        active = spend > 0
        cv = float(spend[active].std() / spend[active].mean()) if active.sum() > 1 else 0.0
        identified = bool(active.sum() >= min_days and cv >= MIN_SPEND_CV and fitted.beta > 0)
        note = "" if identified else (
            f"only {int(active.sum())} day(s) with spend" if active.sum() < min_days else
            f"spend hardly varied (CV {cv:.1%}): curve not identified" if cv < MIN_SPEND_CV else
            "no response to spend detected")
        value = float("nan")
        if "revenue" in wide.columns.get_level_values(0):
            total = y.sum()
            value = float(wide["revenue"][entity].sum() / total) if total > 0 else float("nan")
        fits[entity] = CurveFit(
            entity=entity, curve=fitted, samples=samples, days=len(spend),
            current_spend=float(spend[-current_days:].mean()),
            spend_low=float(np.percentile(spend, 5)), spend_high=float(np.percentile(spend, 95)),
            r2=r2, value_per_conversion=value, identified=identified, note=note,
        )
    return fits

"""Conversion probability and value per click: gradient boosting, calibrated on later days, and a naive baseline.

`train_bid_model` fits scikit-learn's `HistGradientBoostingClassifier` (LightGBM-style histogram boosting; Ke et
al. 2017, "LightGBM", NeurIPS) and calibrates its scores with Platt's sigmoid (default) or an isotonic regression
(Zadrozny & Elkan 2002, "Transforming classifier scores into accurate multiclass probability estimates", KDD),
fitted on out-of-time scores: each calibration block is scored by a booster trained only on earlier days. Revenue per conversion is a `HistGradientBoostingRegressor` (Poisson loss, so
positive) on the converted clicks.

`NaiveCvr` is what a spreadsheet does: each keyword's historical conversion rate and mean revenue per conversion
over the training days (keywords without clicks get the overall rate), clipped to [1e-4, 1 - 1e-4].
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
from sklearn.isotonic import IsotonicRegression
from sklearn.linear_model import LogisticRegression
from threadpoolctl import threadpool_limits

from adledger.analytics.bidding.features import CATEGORICAL, BidDataError, check_clicks, click_features

EPS = 1e-4


def single_thread() -> threadpool_limits:
    """One OpenMP/BLAS thread: the boosters are small, and oversubscribed cores make them ten times slower."""
    return threadpool_limits(limits=1)


CALIBRATIONS: tuple[str, ...] = ("sigmoid", "isotonic")


class Calibrator:
    """Maps raw booster scores to probabilities: Platt's sigmoid on the score's logit or isotonic regression.

    Platt 1999, "Probabilistic outputs for support vector machines and comparisons to regularized likelihood
    methods"; Zadrozny & Elkan 2002 for the isotonic map.
    """

    def __init__(self, method: str = "sigmoid"):
        if method not in CALIBRATIONS:
            raise ValueError(f"unknown calibration {method!r}; choose one of {', '.join(CALIBRATIONS)}")
        self.method = method
        self._map: LogisticRegression | IsotonicRegression | None = None

    @staticmethod
    def _logit(scores: np.ndarray) -> np.ndarray:
        p = np.clip(scores, EPS, 1 - EPS)
        return np.log(p / (1 - p))[:, None]

    def fit(self, scores: np.ndarray, y: np.ndarray) -> Calibrator:
        self.scores, self.outcomes = np.asarray(scores, float), np.asarray(y, int)
        if self.method == "sigmoid":
            self._map = LogisticRegression(C=1e6).fit(self._logit(scores), y)
        else:
            self._map = IsotonicRegression(out_of_bounds="clip", y_min=EPS, y_max=1 - EPS).fit(scores, y)
        return self

    def predict(self, scores: np.ndarray) -> np.ndarray:
        if isinstance(self._map, LogisticRegression):
            return self._map.predict_proba(self._logit(scores))[:, 1]
        return self._map.predict(scores)


@dataclass
class BidModel:
    """A trained conversion model (booster + isotonic calibrator) and value model, with their feature layout."""

    classifier: HistGradientBoostingClassifier
    calibrator: Calibrator
    value_model: HistGradientBoostingRegressor | None
    features: list[str]
    categories: dict[str, list[str]]
    overall_value: float

    def _aligned(self, features: pd.DataFrame) -> pd.DataFrame:
        x = features[self.features].copy()
        for col, cats in self.categories.items():
            x[col] = pd.Categorical(x[col].astype(str), categories=cats)
        return x

    def raw_probability(self, features: pd.DataFrame) -> np.ndarray:
        """Uncalibrated P(conversion) of each click."""
        with single_thread():
            return self.classifier.predict_proba(self._aligned(features))[:, 1]

    def probability(self, features: pd.DataFrame) -> np.ndarray:
        """Calibrated P(conversion) of each click, in [1e-4, 1 - 1e-4]."""
        return np.clip(self.calibrator.predict(self.raw_probability(features)), EPS, 1 - EPS)

    def value(self, features: pd.DataFrame) -> np.ndarray:
        """Expected revenue per conversion of each click (USD)."""
        if self.value_model is None:
            return np.full(len(features), self.overall_value)
        with single_thread():
            return self.value_model.predict(self._aligned(features))


def _booster(seed: int) -> HistGradientBoostingClassifier:
    return HistGradientBoostingClassifier(learning_rate=0.06, max_iter=300, max_leaf_nodes=15, min_samples_leaf=80,
                                          l2_regularization=1.0, categorical_features="from_dtype",
                                          early_stopping=True, validation_fraction=0.15, n_iter_no_change=20,
                                          random_state=seed)


def _out_of_time_scores(x: pd.DataFrame, y: np.ndarray, day: pd.Series, block_days: int, folds: int,
                        seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Scores of the last `folds` blocks of `block_days` days, each from a booster trained on the days before it."""
    last = day.max()
    scores, outcomes = [], []
    for b in range(folds, 0, -1):
        start = last - pd.Timedelta(days=b * block_days - 1)
        end = start + pd.Timedelta(days=block_days)
        before, block = (day < start).to_numpy(), ((day >= start) & (day < end)).to_numpy()
        if y[before].sum() < 10 or not block.any():
            continue
        with single_thread():
            booster = _booster(seed).fit(x[before], y[before])
            scores.append(booster.predict_proba(x[block])[:, 1])
        outcomes.append(y[block])
    if not scores:
        raise BidDataError("too few conversions before the calibration blocks: use a longer history")
    return np.concatenate(scores), np.concatenate(outcomes)


def train_bid_model(clicks: pd.DataFrame, features: pd.DataFrame | None = None, calibration_days: int = 7,
                    calibration_folds: int = 3, calibration: str = "sigmoid", seed: int = 0) -> BidModel:
    """Train on `clicks` (see `features.click_features` for the columns).

    Calibration data are out-of-time: for each of the last `calibration_folds` blocks of `calibration_days` days,
    a booster trained only on the days before the block scores it; the `calibration` map (`sigmoid` or `isotonic`)
    is fitted on those scores and the final booster on every day (the time-ordered form of scikit-learn's `CalibratedClassifierCV(ensemble=False)`).
    `features` may be passed precomputed (a frame with the same index as `clicks`, or a superset).
    """
    check_clicks(clicks)
    feats = click_features(clicks) if features is None else features.loc[clicks.index]
    day = pd.to_datetime(clicks["day"])
    y = clicks["converted"].to_numpy(int)
    if y.sum() < 20:
        raise BidDataError(f"{int(y.sum())} conversions are too few to train a conversion model: use a longer history")
    names = list(feats.columns)
    categories = {c: sorted(feats[c].astype(str).unique()) for c in CATEGORICAL if c in names}
    model = BidModel(_booster(seed), Calibrator(calibration), None, names, categories, 0.0)
    x = model._aligned(feats)
    scores, outcomes = _out_of_time_scores(x, y, day, calibration_days, calibration_folds, seed)
    model.calibrator.fit(scores, outcomes)
    with single_thread():
        model.classifier.fit(x, y)
    converted = y == 1
    if "value" in clicks.columns and converted.sum() >= 20:
        values = clicks["value"].to_numpy(float)
        model.overall_value = float(values[converted].mean())
        model.value_model = HistGradientBoostingRegressor(loss="poisson", learning_rate=0.05, max_iter=150,
                                                          max_leaf_nodes=7, min_samples_leaf=40,
                                                          categorical_features="from_dtype", random_state=seed)
        with single_thread():
            model.value_model.fit(x[converted], values[converted])
    return model


@dataclass
class NaiveCvr:
    """Per-keyword historical conversion rate and revenue per conversion."""

    cvr: pd.Series
    value: pd.Series
    overall_cvr: float
    overall_value: float

    @classmethod
    def fit(cls, clicks: pd.DataFrame) -> NaiveCvr:
        check_clicks(clicks)
        key = clicks["keyword_id"].astype(str)
        cvr = clicks.groupby(key)["converted"].mean()
        overall_cvr = float(clicks["converted"].mean())
        if "value" in clicks.columns:
            conv = clicks[clicks["converted"] == 1]
            value = conv.groupby(conv["keyword_id"].astype(str))["value"].mean()
            overall_value = float(conv["value"].mean()) if len(conv) else 0.0
        else:
            value, overall_value = pd.Series(dtype=float), 0.0
        return cls(cvr, value, overall_cvr, overall_value)

    def probability(self, clicks: pd.DataFrame) -> np.ndarray:
        key = clicks["keyword_id"].astype(str)
        return np.clip(key.map(self.cvr).fillna(self.overall_cvr).to_numpy(float), EPS, 1 - EPS)

    def expected_value(self, clicks: pd.DataFrame) -> np.ndarray:
        key = clicks["keyword_id"].astype(str)
        return key.map(self.value).fillna(self.overall_value).to_numpy(float)

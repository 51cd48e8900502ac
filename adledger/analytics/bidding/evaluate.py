"""Grade conversion models on a time-based holdout: the last days of the log, never seen in training.

Metrics per model: `log_loss` (mean negative log-likelihood, lower is better), `auc` (ROC AUC: how well the
scores rank converting clicks above the others), `brier` (mean squared error of the probability), `ece`
(expected calibration error over 10 equal-count bins, Naeini, Cooper, Hauskrecht 2015, "Obtaining well calibrated
probabilities using Bayesian binning", AAAI), `mean_p` vs `rate` (predicted vs observed conversion rate) and,
when the log carries the true probabilities (`true_p`, synthetic logs), `true_p_mae`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.metrics import brier_score_loss, log_loss, roc_auc_score

from adledger.analytics.bidding.features import BidDataError, check_clicks, click_features
from adledger.analytics.bidding.model import EPS, Calibrator, NaiveCvr, train_bid_model


def expected_calibration_error(y: np.ndarray, p: np.ndarray, bins: int = 10) -> float:
    """Share-weighted mean |mean predicted - observed rate| over `bins` equal-count bins of `p`."""
    order = np.argsort(p, kind="stable")
    groups = np.array_split(order, bins)
    return float(sum(len(g) / len(p) * abs(p[g].mean() - y[g].mean()) for g in groups if len(g)))


def score(y: np.ndarray, p: np.ndarray, true_p: np.ndarray | None = None) -> dict:
    """The holdout metrics of one model's probabilities `p` for outcomes `y`."""
    out = {"log_loss": float(log_loss(y, p, labels=[0, 1])), "auc": float(roc_auc_score(y, p)),
           "brier": float(brier_score_loss(y, p)), "ece": expected_calibration_error(y, p),
           "mean_p": float(p.mean()), "rate": float(y.mean())}
    if true_p is not None:
        out["true_p_mae"] = float(np.abs(p - true_p).mean())
    return out


def evaluate_bid_model(clicks: pd.DataFrame, keyword_days: pd.DataFrame | None = None, test_days: int = 14,
                       calibration_days: int = 7, seed: int = 0) -> pd.DataFrame:
    """Train on all but the last `test_days` days and score on those days: the model (sigmoid calibration), the
    same booster with an isotonic calibration fitted on the same out-of-time scores, the raw booster, and
    `NaiveCvr`.

    Returns one row per model (`boosting_sigmoid`, `boosting_isotonic`, `boosting_uncalibrated`,
    `naive_keyword_cvr`) with the metrics of the module docstring plus `train_clicks`, `test_clicks`,
    `test_conversions`.
    """
    check_clicks(clicks)
    day = pd.to_datetime(clicks["day"])
    cut = day.max() - pd.Timedelta(days=test_days - 1)
    train, test = clicks[day < cut], clicks[day >= cut]
    if test["converted"].nunique() < 2:
        raise BidDataError(f"the last {test_days} days need both converting and non-converting clicks")
    features = click_features(clicks, keyword_days)
    model = train_bid_model(train, features, calibration_days=calibration_days, seed=seed)
    naive = NaiveCvr.fit(train)
    y = test["converted"].to_numpy(int)
    truth = test["true_p"].to_numpy(float) if "true_p" in test.columns else None
    test_features = features.loc[test.index]
    raw = model.raw_probability(test_features)
    isotonic = Calibrator("isotonic").fit(model.calibrator.scores, model.calibrator.outcomes)
    rows = [
        {"model": "boosting_sigmoid", **score(y, model.probability(test_features), truth)},
        {"model": "boosting_isotonic", **score(y, np.clip(isotonic.predict(raw), EPS, 1 - EPS), truth)},
        {"model": "boosting_uncalibrated", **score(y, np.clip(raw, EPS, 1 - EPS), truth)},
        {"model": "naive_keyword_cvr", **score(y, naive.probability(test), truth)},
    ]
    out = pd.DataFrame(rows)
    out["train_clicks"], out["test_clicks"], out["test_conversions"] = len(train), len(test), int(y.sum())
    return out

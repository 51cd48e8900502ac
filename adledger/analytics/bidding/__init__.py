"""Bid prediction: conversion probability and value per click, and the bids they justify.

Public API (pandas in, pandas out; see each docstring for the columns):

* `click_features(clicks, keyword_days=None)` -> features of each click (hour, device, match type, quality,
  position, the keyword's recent CTR/CVR/value), from the days before the click only
* `train_bid_model(clicks, features=None, calibration="sigmoid")` -> `BidModel` (gradient boosting, calibrated on
  out-of-time scores; `.probability()`, `.value()`)
* `NaiveCvr.fit(clicks)` -> the per-keyword historical conversion rate baseline
* `evaluate_bid_model(clicks, keyword_days=None, test_days=14)` -> log-loss, AUC, Brier, ECE on the last days
* `recommend_bids(model, clicks, target_cpa=... | target_roas=..., current_bids=..., max_bid=...)` -> bids
* `synthetic_clicks(days, seed, scale)` -> click logs of the simulated world's keywords with true probabilities

Click log columns: `day`, `hour`, `keyword_id`, `device`, `match_type`, `quality_score`, `position`, `converted`
(0/1), optional `value` (revenue, USD) and `ad_group_id`. `docs/optimization.md` explains the models.
"""

from adledger.analytics.bidding.bids import recommend_bids
from adledger.analytics.bidding.evaluate import evaluate_bid_model, expected_calibration_error, score
from adledger.analytics.bidding.features import BidDataError, click_features
from adledger.analytics.bidding.model import BidModel, Calibrator, NaiveCvr, train_bid_model
from adledger.analytics.bidding.synthetic import synthetic_clicks

__all__ = [
    "BidDataError",
    "BidModel",
    "Calibrator",
    "NaiveCvr",
    "click_features",
    "evaluate_bid_model",
    "expected_calibration_error",
    "recommend_bids",
    "score",
    "synthetic_clicks",
    "train_bid_model",
]

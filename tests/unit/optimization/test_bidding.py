"""Bid prediction: hand-computed features without leakage, the model against the naive baseline, bid formulas."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import log_loss, roc_auc_score

from adledger.analytics.bidding import (BidDataError, NaiveCvr, click_features, evaluate_bid_model,
                                        expected_calibration_error, recommend_bids, synthetic_clicks,
                                        train_bid_model)


def tiny_log() -> pd.DataFrame:
    rows = [  # day, keyword, converted, value
        ("2026-01-01", "k1", 1, 100.0), ("2026-01-01", "k1", 0, 0.0), ("2026-01-01", "k2", 0, 0.0),
        ("2026-01-02", "k1", 0, 0.0), ("2026-01-02", "k2", 1, 40.0),
        ("2026-01-03", "k1", 1, 60.0), ("2026-01-03", "k2", 0, 0.0),
    ]
    frame = pd.DataFrame(rows, columns=["day", "keyword_id", "converted", "value"])
    return frame.assign(hour=10, device="mobile", match_type="EXACT", quality_score=7, position=1.5)


def test_keyword_history_features_by_hand_and_only_from_earlier_days():
    f = click_features(tiny_log(), window=2, prior_clicks=2.0)
    # day 1: no history at all
    assert f["kw_cvr"].iloc[:3].isna().all() and (f["kw_clicks"].iloc[:3] == 0).all()
    # day 2, k1: history day 1 = 1 conversion / 2 clicks; overall day 1 = 1/3; (1 + 2/3) / (2 + 2)
    assert f["kw_cvr"].iloc[3] == pytest.approx((1 + 2 * (1 / 3)) / 4, abs=1e-12)
    # day 3, k2 (window 2: days 1-2): 1 conv / 2 clicks; overall 2/5; (1 + 2*0.4) / 4
    assert f["kw_cvr"].iloc[6] == pytest.approx((1 + 2 * 0.4) / 4, abs=1e-12)
    # value per conversion, day 3, k1: revenue 100 over 1 conversion; overall (100 + 40) / 2 = 70; (100 + 5*70)/(1+5)
    assert f["kw_value"].iloc[5] == pytest.approx((100 + 5 * 70) / 6, abs=1e-12)
    assert f["kw_clicks"].iloc[5] == pytest.approx(np.log1p(3))
    # changing what happens on day 3 changes no feature of days 1-3
    later = tiny_log()
    later.loc[5:, "converted"] = 0
    assert click_features(later, window=2, prior_clicks=2.0).equals(f)


def test_keyword_ctr_from_keyword_days():
    days = pd.DataFrame({"day": ["2026-01-01", "2026-01-01", "2026-01-02"], "keyword_id": ["k1", "k2", "k1"],
                         "impressions": [100, 300, 50], "clicks": [2, 1, 1]})
    f = click_features(tiny_log(), days, window=2)
    # day 2, k1: 2 / 100 with the overall day-1 CTR 3/400 as prior (1000 impressions)
    assert f["kw_ctr"].iloc[3] == pytest.approx((2 + 1000 * 3 / 400) / (100 + 1000), abs=1e-12)


@pytest.mark.parametrize("seed", [1, 2])
def test_model_beats_the_naive_keyword_cvr_on_a_time_based_holdout(seed):
    clicks, keyword_days = synthetic_clicks(days=56, seed=seed)
    result = evaluate_bid_model(clicks, keyword_days, test_days=14).set_index("model")
    model, naive = result.loc["boosting_sigmoid"], result.loc["naive_keyword_cvr"]
    assert model["log_loss"] < naive["log_loss"]
    assert model["auc"] > naive["auc"] + 0.01
    assert model["ece"] < 0.02 and abs(model["mean_p"] - model["rate"]) < 0.015
    assert model["true_p_mae"] < naive["true_p_mae"]
    # the metrics are sklearn's on the holdout days
    test = clicks[pd.to_datetime(clicks["day"]) >= pd.to_datetime(clicks["day"]).max() - pd.Timedelta(days=13)]
    naive_p = NaiveCvr.fit(clicks.drop(test.index)).probability(test)
    assert naive["log_loss"] == pytest.approx(log_loss(test["converted"], naive_p), rel=1e-12)
    assert naive["auc"] == pytest.approx(roc_auc_score(test["converted"], naive_p), rel=1e-12)
    assert result["test_clicks"].iloc[0] == len(test)


def test_expected_calibration_error_by_hand():
    y = np.array([0, 0, 1, 1])
    p = np.array([0.1, 0.3, 0.6, 0.8])
    # two bins: {0.1, 0.3} mean 0.2 vs rate 0; {0.6, 0.8} mean 0.7 vs rate 1
    assert expected_calibration_error(y, p, bins=2) == pytest.approx(0.5 * 0.2 + 0.5 * 0.3)


@pytest.fixture(scope="module")
def trained():
    clicks, keyword_days = synthetic_clicks(days=35, seed=4, scale=0.5)
    features = click_features(clicks, keyword_days)
    return clicks, features, train_bid_model(clicks, features)


def test_bids_are_target_cpa_times_p_or_value_over_target_roas_and_capped(trained):
    clicks, features, model = trained
    bids = recommend_bids(model, clicks, target_cpa=40.0, features=features).set_index("keyword_id")
    recent = clicks[pd.to_datetime(clicks["day"]) > pd.to_datetime(clicks["day"]).max() - pd.Timedelta(days=14)]
    k = recent["keyword_id"].value_counts().index[0]
    rows = recent[recent["keyword_id"] == k]
    p = model.probability(features.loc[rows.index]).mean()
    assert bids.loc[k, "clicks"] == len(rows)
    assert bids.loc[k, "p_conversion"] == pytest.approx(p, rel=1e-12)
    assert bids.loc[k, "value_bid"] == pytest.approx(40.0 * p, rel=1e-12)
    roas = recommend_bids(model, clicks, target_roas=4.0, features=features).set_index("keyword_id")
    assert roas.loc[k, "value_bid"] == pytest.approx(p * roas.loc[k, "value_per_conversion"] / 4.0, rel=1e-12)
    top = bids["value_bid"].idxmax()
    capped = recommend_bids(model, clicks, target_cpa=40.0, features=features, max_bid=0.5,
                            current_bids={top: 0.4}, max_change=0.1).set_index("keyword_id")
    assert capped.loc[top, "recommended_bid"] == pytest.approx(0.44) and capped.loc[top, "capped_by"] == "max_change"
    assert (capped["recommended_bid"] <= 0.5).all()
    assert "capped by max_bid" in capped.loc[capped["capped_by"] == "max_bid", "reason"].iloc[0]


def test_bad_requests_are_refused(trained):
    clicks, features, model = trained
    with pytest.raises(BidDataError, match="exactly one"):
        recommend_bids(model, clicks, target_cpa=10.0, target_roas=2.0, features=features)
    with pytest.raises(BidDataError, match="lacks column"):
        click_features(clicks.drop(columns=["device"]))
    with pytest.raises(BidDataError, match="too few to train"):
        train_bid_model(clicks.assign(converted=0))

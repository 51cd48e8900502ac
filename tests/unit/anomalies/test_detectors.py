"""The anomaly detectors on small hand-made series whose answer is known."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from adledger.analytics.anomalies import merge_status
from adledger.analytics.anomalies.baseline import MAD_TO_SIGMA, mad_sigma, two_sided_deviation
from adledger.analytics.anomalies.drift import attribution_drift_anomalies
from adledger.analytics.anomalies.fraud import burst_flags, click_fraud_incidents, click_injection_incidents
from adledger.analytics.anomalies.kpi import kpi_anomalies
from adledger.analytics.anomalies.outage import tracking_outages
from adledger.analytics.anomalies.records import anomaly_id
from adledger.analytics.anomalies.scoring import score

DAYS = pd.date_range("2026-01-01", periods=42, freq="D")


def _daily(spend: np.ndarray, campaign: str = "Generic") -> pd.DataFrame:
    return pd.DataFrame({"day": DAYS, "platform": "google_ads", "channel": "paid_search", "campaign_id": "c1",
                         "campaign": campaign, "spend": spend, "impressions": spend * 20, "clicks": spend / 2,
                         "conversions": 0.0, "revenue": 0.0})


def _noisy(level: np.ndarray, seed: int = 3) -> np.ndarray:
    return level * np.random.default_rng(seed).lognormal(0.0, 0.05, len(level))


def test_mad_sigma_is_the_scaled_median_absolute_deviation():
    # median 3, absolute deviations 2 1 0 1 97 -> median 1
    assert mad_sigma(np.array([1.0, 2.0, 3.0, 4.0, 100.0])) == pytest.approx(MAD_TO_SIGMA)


def test_a_one_day_spike_is_an_anomaly_and_a_lasting_budget_change_is_not():
    level = np.where(np.arange(42) < 21, 100.0, 250.0)  # budget raised 2.5x on day 21 for good
    spend = _noisy(level)
    spend[30] *= 4.0  # one day at four times the spend
    found = kpi_anomalies(_daily(spend))
    assert list(found["anomaly_type"]) == ["spend_spike"]
    row = found.iloc[0]
    assert row["start_at"] == pd.Timestamp("2026-01-31", tz="UTC")
    assert row["end_at"] == pd.Timestamp("2026-02-01", tz="UTC")
    assert row["scope"] == "google_ads / Generic"
    assert row["money_at_stake"] == pytest.approx(spend[30] - 250.0, rel=0.1)  # spend above the baseline


def test_weekday_pattern_is_seasonal_not_anomalous():
    weekly = np.array([1.0, 1.0, 1.0, 1.0, 1.0, 2.2, 2.2])[DAYS.dayofweek]  # weekends twice the weekdays
    dev = two_sided_deviation(pd.DataFrame({"s": _noisy(100.0 * weekly)}, index=DAYS))
    assert dev.z["s"].abs().iloc[7:-7].max() < 4.0


def test_outage_hours_while_spend_goes_on():
    hours = pd.date_range("2026-01-01", periods=21 * 24, freq="h", tz="UTC")
    events = np.full(len(hours), 100.0)
    dark = (hours >= "2026-01-11 14:00") & (hours < "2026-01-11 20:00")
    events[dark] = 2.0
    spend = pd.Series(1000.0, index=pd.date_range("2026-01-01", periods=21).date)
    found = tracking_outages(pd.DataFrame({"hour": hours, "events": events, "conversions": 0.0}), spend)
    assert len(found) == 1
    row = found.iloc[0]
    assert (row["start_at"], row["end_at"]) == (pd.Timestamp("2026-01-11 14:00", tz="UTC"),
                                                pd.Timestamp("2026-01-11 20:00", tz="UTC"))
    assert row["money_at_stake"] == pytest.approx(1000.0 * 6 / 24)  # 6 of 24 equally busy hours went unmeasured
    spend[pd.Timestamp("2026-01-11").date()] = 0.0  # nothing was bought that day: not an outage
    assert tracking_outages(pd.DataFrame({"hour": hours, "events": events, "conversions": 0.0}), spend).empty


def _clicks(rows: list[tuple]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["session_id", "started_at", "ip_prefix", "device_id", "is_datacenter_ip",
                                        "is_click_injection", "seconds_to_conversion", "revenue"])
    frame["started_at"] = pd.to_datetime(frame["started_at"], utc=True)
    return frame.assign(platform="google_ads", channel="paid_search", campaign_id="c1", campaign="Generic",
                        partner=None, is_bot_user_agent=False)


def test_bursts_from_one_prefix_within_an_hour_are_flagged():
    clicks = _clicks([
        ("a", "2026-01-05 10:00", "1.2.3.0/24", "d1", False, False, None, None),
        ("b", "2026-01-05 10:20", "1.2.3.0/24", "d2", False, False, None, None),
        ("c", "2026-01-05 10:40", "1.2.3.0/24", "d3", False, False, None, None),
        ("d", "2026-01-05 10:59", "1.2.3.0/24", "d4", False, False, None, None),  # 4th within 59 min: a burst
        ("e", "2026-01-05 13:00", "1.2.3.0/24", "d5", False, False, None, None),  # hours later: not part of it
        ("f", "2026-01-05 10:30", "9.9.9.0/24", "d6", False, False, None, None),
    ])
    flags = burst_flags(clicks).set_index("session_id")
    assert flags["is_ip_burst"].to_dict() == {"a": True, "b": True, "c": True, "d": True, "e": False, "f": False}
    assert not flags["is_device_burst"].any()


def test_flagged_clicks_group_into_one_incident_with_spend_at_the_campaign_day_cpc():
    clicks = _clicks([(f"s{i}", f"2026-01-05 0{2 + i // 3}:{(i % 3) * 15:02d}", f"34.102.{i}.0/24", f"bot{i % 2}",
                       True, False, None, None) for i in range(6)])
    daily = _daily(np.full(42, 100.0))  # 50 clicks for 100 USD: 2 USD per click
    found = click_fraud_incidents(clicks, daily)
    assert len(found) == 1
    row = found.iloc[0]
    assert row["anomaly_type"] == "click_fraud_burst"
    assert (row["start_at"], row["end_at"]) == (pd.Timestamp("2026-01-05 02:00", tz="UTC"),
                                                pd.Timestamp("2026-01-05 04:00", tz="UTC"))
    assert row["money_at_stake"] == pytest.approx(6 * 2.0)
    assert '"34.102.0/24": 1' in row["evidence"]  # networks, written so no scan takes them for an address
    assert not re.search(r"\d+\.\d+\.\d+\.\d+", row["evidence"])


def test_injected_clicks_of_a_partner_are_one_incident_with_the_hijacked_revenue():
    clicks = _clicks([(f"i{i}", f"2026-01-{10 + i:02d} 12:00", "73.1.1.0/24", f"u{i}", False, True, 3.0, 50.0)
                      for i in range(4)] + [("g", "2026-01-11 09:00", "73.1.2.0/24", "u9", False, False, 300.0, 80.0)])
    clicks = clicks.assign(channel="affiliate", partner="1000103", platform="affiliate")
    row = click_injection_incidents(clicks).iloc[0]
    assert row["scope"] == "affiliate / 1000103"
    assert row["money_at_stake"] == pytest.approx(200.0)
    assert row["score"] == pytest.approx(4 / 5)  # 4 of the partner's 5 converting clicks were injected


def test_status_is_new_then_open_and_a_users_status_is_kept():
    found = kpi_anomalies(_daily(np.r_[_noisy(np.full(30, 100.0)), 600.0, _noisy(np.full(11, 100.0), 5)]))
    first = merge_status(found, None, pd.Timestamp("2026-03-01", tz="UTC"))
    assert list(first["status"]) == ["new"]
    again = merge_status(found, first, pd.Timestamp("2026-03-02", tz="UTC"))
    assert list(again["status"]) == ["open"]
    assert again["detected_at"].iloc[0] == pd.Timestamp("2026-03-01", tz="UTC")
    handled = again.assign(status="acknowledged")
    assert list(merge_status(found, handled, pd.Timestamp("2026-03-03", tz="UTC"))["status"]) == ["acknowledged"]
    assert found["anomaly_id"].iloc[0] == anomaly_id("spend_spike", "google_ads / Generic",
                                                     pd.Timestamp("2026-01-31", tz="UTC"))


def test_scoring_needs_family_scope_and_time_to_agree():
    incidents = pd.DataFrame([{"kind": "spend_spike", "platform": "google_ads", "campaign": "Generic",
                               "start": pd.Timestamp("2026-01-31", tz="UTC"),
                               "end": pd.Timestamp("2026-02-01", tz="UTC")}])
    base = {"family": "spend", "platform": "google_ads", "channel": "paid_search", "campaign": "Generic",
            "start_at": pd.Timestamp("2026-01-30", tz="UTC"), "end_at": pd.Timestamp("2026-01-31", tz="UTC")}
    anomalies = pd.DataFrame([base, {**base, "campaign": "Brand"}, {**base, "family": "click_fraud"},
                              {**base, "start_at": pd.Timestamp("2026-02-10", tz="UTC"),
                               "end_at": pd.Timestamp("2026-02-11", tz="UTC")}])
    recall, precision = score(anomalies, incidents)
    assert recall.to_dict("records") == [{"kind": "spend_spike", "incidents": 1, "found": 1}]
    assert precision.set_index("family")["matching"].to_dict() == {"click_fraud": 0, "spend": 1}


def test_a_changed_utm_convention_is_attribution_drift_from_its_first_day():
    days = pd.date_range("2026-01-01", periods=30, freq="D")
    rows = []
    for day in days:
        drifted = day >= pd.Timestamp("2026-01-20")
        rows.append((day, "gclid", "paid_search", "google", "cpc", 200))  # stable all along
        if drifted:  # Meta links now say fb / paid-social, and 30 % of the clicks lose their tags (direct)
            rows += [(day, "fbclid", "paid_social", "fb", "paid-social", 70), (day, "fbclid", "direct", None, None, 30)]
        else:
            rows.append((day, "fbclid", "paid_social", "facebook", "paid_social", 100))
    sessions = pd.DataFrame(rows, columns=["day", "click_id_type", "channel", "utm_source", "utm_medium", "sessions"])
    spend = pd.DataFrame({"day": days, "platform": "meta_ads", "spend": 100.0})
    found = attribution_drift_anomalies(sessions, spend)
    assert len(found) == 1
    row = found.iloc[0]
    assert (row["platform"], row["channel"]) == ("meta_ads", "paid_social")
    assert row["start_at"] == pd.Timestamp("2026-01-20", tz="UTC")
    assert row["money_at_stake"] == pytest.approx(0.3 * 100.0 * (row["end_at"] - row["start_at"]).days)

"""The two publisher-level fraud rules on hand-made clicks and orders whose answer is known: click flooding (flat
click-to-order times) and abnormal conversion rate against the publisher's peers."""

from __future__ import annotations

import json
from dataclasses import fields
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from adledger.analytics.anomalies.conversion_rate import abnormal_cvr_anomalies, publisher_rates
from adledger.analytics.anomalies.flooding import FloodingRule, click_flooding_incidents, flooding_sources

DBT_PROJECT = Path(__file__).resolve().parents[3] / "dbt_project" / "dbt_project.yml"
START = pd.Timestamp("2026-01-05 00:00", tz="UTC")


def _clicks(publisher: str, n: int, channel: str = "affiliate", converting: int = 0, injected: int = 0,
            first_day: int = 0) -> pd.DataFrame:
    """`n` clicks of one publisher, one every 2 hours from `first_day`; the first `converting` convert in their
    visit (after 5 minutes, 50 USD), of which the first `injected` are flagged as click injection."""
    partner = publisher if channel == "affiliate" else None
    seconds = np.where(np.arange(n) < converting, 300.0, np.nan)
    return pd.DataFrame({
        "session_id": [f"{publisher}-{i}" for i in range(n)],
        "started_at": START + pd.Timedelta(days=first_day) + pd.to_timedelta(2 * np.arange(n), unit="h"),
        "platform": "affiliate" if channel == "affiliate" else "google_ads", "channel": channel,
        "campaign_id": "12345" if channel == "affiliate" else publisher,
        "campaign": "Example Shop program" if channel == "affiliate" else f"Campaign {publisher}",
        "partner": partner, "ip_prefix": "73.1.1.0/24", "device_id": [f"d{i}" for i in range(n)],
        "is_datacenter_ip": False, "is_bot_user_agent": False, "is_click_injection": np.arange(n) < injected,
        "seconds_to_conversion": seconds, "revenue": np.where(np.arange(n) < converting, 50.0, np.nan),
    })


def _orders(clicks: pd.DataFrame, seconds: list[float], revenue: float = 40.0) -> pd.DataFrame:
    """One order per value of `seconds`, each the last click's order `seconds` after the click."""
    chosen = clicks.iloc[: len(seconds)]
    return pd.DataFrame({"order_id": [f"o-{s}" for s in chosen["session_id"]], "session_id": chosen["session_id"],
                         "converted_at": chosen["started_at"] + pd.to_timedelta(seconds, unit="s"),
                         "seconds_to_order": seconds, "revenue": revenue})


@pytest.fixture
def flooding_world() -> tuple[pd.DataFrame, pd.DataFrame]:
    """p1 floods (25 orders, all 3-20 h after its click), p2 is slow but small (10 orders, all after 2 h), and
    campaign c1 converts like a person clicks (18 of 30 orders within 10 minutes)."""
    p1, p2, c1 = _clicks("p1", 200, first_day=2), _clicks("p2", 40), _clicks("c1", 60, channel="paid_search")
    last = pd.concat([_orders(p1, list(np.linspace(3, 20, 25) * 3600)), _orders(p2, [7200.0] * 10),
                      _orders(c1, [600.0] * 18 + [90_000.0] * 12)], ignore_index=True)
    return pd.concat([p1, p2, c1], ignore_index=True), last


def test_the_publisher_without_quick_orders_floods_and_the_small_one_does_not(flooding_world):
    clicks, last = flooding_world
    sources = flooding_sources(clicks, last).set_index("publisher")
    assert sources["is_click_flooding"].to_dict() == {"c1": False, "p1": True, "p2": False}
    assert sources.loc["p1", ["orders", "quick_orders"]].tolist() == [25, 0]
    # p1 against the others pooled: 18 quick of 40 orders
    assert sources.at["p1", "baseline_share"] == pytest.approx(18 / 40)
    assert sources.at["p1", "z"] == pytest.approx(-25 * 0.45 / np.sqrt(25 * 0.45 * 0.55))
    assert sources.at["p2", "z"] > -4  # all slow too, but 10 orders cannot tell (and are under the minimum)


def test_a_flooding_incident_carries_the_ctit_quantiles_and_the_credited_revenue(flooding_world):
    clicks, last = flooding_world
    found = click_flooding_incidents(clicks, last)
    assert len(found) == 1
    row = found.iloc[0]
    assert (row["anomaly_type"], row["family"], row["scope"], row["campaign"]) == (
        "click_flooding", "click_flooding", "affiliate / p1", "p1")
    assert row["start_at"] == pd.Timestamp("2026-01-07", tz="UTC")  # p1's first click, two days in
    assert row["end_at"] == pd.Timestamp("2026-01-24", tz="UTC")  # 200 clicks 2 h apart: last on 2026-01-23
    assert row["money_at_stake"] == pytest.approx(25 * 40.0)
    facts = json.loads(row["evidence"])
    assert facts["ctit_hours"]["p50"] == pytest.approx(11.5)  # the median of 3 ... 20 h
    assert facts["ctit_hours"]["p10"] > 1.0  # nothing in the first hour
    assert facts["baseline_ctit_hours"]["p25"] == round(600 / 3600, 4)  # 10 minutes (evidence keeps 4 decimals)
    assert facts["thresholds"] == {"max_quick_ratio": 0.1, "min_orders": 20, "min_z": 4.0, "quick_seconds": 3600.0}


def test_without_last_clicks_or_a_flooder_nothing_is_found(flooding_world):
    clicks, last = flooding_world
    assert click_flooding_incidents(clicks, None).empty
    honest = last[last["session_id"].str.startswith("c1")]
    assert click_flooding_incidents(clicks, honest).empty


def test_the_python_rule_and_the_dbt_vars_share_their_thresholds():
    variables = yaml.safe_load(DBT_PROJECT.read_text())["vars"]
    rule = FloodingRule()
    assert {f.name: getattr(rule, f.name) for f in fields(rule)} == {
        f.name: variables[f"click_flooding_{f.name}"] for f in fields(rule)}


@pytest.fixture
def publishers() -> pd.DataFrame:
    """Affiliate partners converting 2-3 % of their clicks; f never converts in 1,000 clicks, h converts 20 % of
    500, s is small (100 clicks, none converting) and i's 5 % comes from 10 injected clicks (5 of 200 honest)."""
    return pd.concat([
        _clicks("a", 200, converting=4), _clicks("b", 200, converting=6), _clicks("c", 200, converting=5),
        _clicks("d", 200, converting=5), _clicks("f", 1000), _clicks("h", 500, converting=100),
        _clicks("s", 100), _clicks("i", 210, converting=15, injected=10),
    ], ignore_index=True)


def test_conversion_rates_leave_flagged_clicks_out_and_compare_with_the_peers_median(publishers):
    rates = publisher_rates(publishers).set_index("publisher")
    assert rates.loc["i", ["clicks", "conversions"]].tolist() == [200, 5]
    # f's peers: 0 (s), .02, .025, .025, .025 (i), .03, .2 -> median .025
    assert rates.at["f", "baseline_rate"] == pytest.approx(0.025)
    assert rates.at["f", "peers"] == 7


def test_publishers_far_below_and_far_above_their_peers_are_abnormal(publishers):
    found = abnormal_cvr_anomalies(publishers).set_index("campaign")
    assert sorted(found.index) == ["f", "h"]  # s has too few clicks to tell, i is normal once injection is left out
    assert found.at["f", "score"] == 0.0
    assert found.at["h", "score"] == pytest.approx(0.2 / 0.025)
    assert set(found["family"]) == {"click_flooding"}
    # money: the conversions off the peers' rate x the mean revenue of a converting click (50 USD)
    assert found.at["f", "money_at_stake"] == pytest.approx(1000 * 0.025 * 50.0)
    assert found.at["h", "money_at_stake"] == pytest.approx((100 - 500 * 0.025) * 50.0)
    facts = json.loads(found.at["f", "evidence"])
    assert facts["p_threshold"] == pytest.approx(0.01 / 2)  # Bonferroni over the two publishers tested
    assert facts["p_value"] == f"{2 * 0.975 ** 1000:.2e}"  # two-sided: twice P(X = 0), the lower tail

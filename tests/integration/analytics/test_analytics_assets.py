"""The analytics assets on the small simulated world, run by Dagster between the two dbt steps: the tables exist with
their grain, credits sum to 1, and the numbers match recomputations from the marts with pandas."""

from __future__ import annotations

import json

import duckdb
import numpy as np
import pandas as pd
import pytest

from adledger.analytics.attribution import attribute
from adledger.analytics.experiments import DECISIONS
from adledger.config import settings

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def world_pipeline(shared_world_pipeline):
    """This module only reads the whole run's tables: it shares the session's run."""
    return shared_world_pipeline


ANALYTICS_ASSETS = ("analytics/attribution_credits", "marts/mart_markov_removal_effects",
                    "marts/mart_experiment_results", "analytics/incrementality", "analytics/attribution_drift",
                    "analytics/creative_fatigue")


def _frame(sql: str) -> pd.DataFrame:
    with duckdb.connect(str(settings().warehouse), read_only=True) as con:
        return con.execute(sql).df()


@pytest.fixture(scope="module")
def journeys(world_pipeline) -> pd.DataFrame:
    """Per user-level conversion: its touches' channels in order, revenue, and the channel list (pandas, not SQL)."""
    touches = _frame("select order_id, touch_position, touchpoint_id, channel from intermediate.int_conversion_paths")
    touches = touches.sort_values(["order_id", "touch_position"])
    revenue = _frame("select order_id, cast(revenue_reporting as double) as value from marts.fct_conversions")
    paths = touches.groupby("order_id")["channel"].agg(list).rename("channels").reset_index()
    return paths.merge(revenue, on="order_id")


@pytest.fixture(scope="module")
def path_table(world_pipeline, journeys) -> pd.DataFrame:
    """Converting paths plus non-converting people's touches within 30 days before their last touch."""
    touches = _frame("select person_id, touchpoint_id, channel, touched_at from marts.fct_touchpoints")
    converters = set(_frame("select person_id from marts.fct_conversions where person_id is not null")["person_id"])
    touches = touches[~touches["person_id"].isin(converters)].sort_values(["person_id", "touched_at", "touchpoint_id"])
    last = touches.groupby("person_id")["touched_at"].transform("max")
    window = touches[touches["touched_at"] >= last - pd.Timedelta(days=30)]
    nulls = window.groupby("person_id")["channel"].agg(" > ".join).value_counts()
    conv = journeys.assign(path=journeys["channels"].map(" > ".join)).groupby("path").agg(
        conversions=("order_id", "size"), conversion_value=("value", "sum"))
    table = conv.join(nulls.rename("nulls"), how="outer").fillna(0.0)
    return table.rename_axis("path").reset_index()


def test_every_analytics_asset_materialized_with_passing_checks(world_pipeline):
    summary = world_pipeline.summary
    assert set(ANALYTICS_ASSETS) <= set(summary.assets), set(ANALYTICS_ASSETS) - set(summary.assets)
    checks = {(asset, name): passed for asset, name, passed in summary.checks}
    assert checks[("analytics/attribution_credits", "credits_sum_to_one_per_conversion")]
    assert ("marts/mart_experiment_results", "no_sample_ratio_mismatch") in checks


def test_credits_have_their_grain_and_sum_to_one_per_conversion(world_pipeline):
    credits = _frame("select * from analytics.attribution_credits")
    assert set(credits["model"]) == {"markov", "shapley"}
    assert not credits.duplicated(["order_id", "model", "touchpoint_id"]).any()
    assert credits["credit"].between(0, 1).all()
    sums = credits.groupby(["order_id", "model"])["credit"].sum()
    assert np.abs(sums - 1).max() < 1e-12
    orders = set(_frame("select order_id from marts.fct_conversions")["order_id"])
    for model in ("markov", "shapley"):
        assert set(sums.xs(model, level="model").index) == orders


def test_markov_credits_follow_the_removal_effects(world_pipeline, journeys, path_table):
    effects = _frame('select channel, removal_effect, conversions, conversion_value, "order" from '
                     "marts.mart_markov_removal_effects").set_index("channel")
    assert (effects["order"] == 1).all()
    reference = attribute(path_table, "markov", order=1).set_index("channel")
    assert effects["removal_effect"].to_dict() == pytest.approx(reference["removal_effect"].to_dict(), abs=1e-12)
    # the channel totals spread the user-level conversions and their revenue
    assert effects["conversions"].sum() == pytest.approx(len(journeys), abs=1e-9)
    assert effects["conversion_value"].sum() == pytest.approx(journeys["value"].sum(), rel=1e-9)
    # each conversion's touch gets RE(channel) / sum of its touches' RE
    credits = _frame("select order_id, touchpoint_id, channel, credit from analytics.attribution_credits "
                     "where model = 'markov' and touchpoint_id is not null")
    weight = credits["channel"].map(effects["removal_effect"])
    expected = weight / weight.groupby(credits["order_id"]).transform("sum")
    assert np.abs(credits["credit"] - expected).max() < 1e-12
    assert credits["credit"].sum() == pytest.approx(len(journeys), abs=1e-9)


def test_shapley_credits_per_channel_equal_the_fractribution_model(world_pipeline, path_table):
    credits = _frame("select channel, sum(credit) as conversions from analytics.attribution_credits "
                     "where model = 'shapley' and touchpoint_id is not null group by channel")
    reference = attribute(path_table, "shapley").set_index("channel")["conversions"]
    got = credits.set_index("channel")["conversions"]
    assert got.to_dict() == pytest.approx(reference[reference > 0].to_dict(), abs=1e-9)


def test_data_driven_credits_reach_the_attribution_mart(world_pipeline):
    totals = _frame("select model, sum(credit) as credit, count(distinct order_id) as orders "
                    "from marts.fct_attributed_conversions group by model").set_index("model")
    (conversions,) = _frame("select count(*) as n from marts.fct_conversions")["n"]
    assert {"markov", "shapley", "linear"} <= set(totals.index)
    for model in ("markov", "shapley"):
        assert totals.loc[model, "orders"] == conversions
        assert totals.loc[model, "credit"] == pytest.approx(conversions, abs=1e-6)


def test_experiment_results_match_a_recomputation_from_exposures(world_pipeline):
    results = _frame("select * from marts.mart_experiment_results")
    assert not results.duplicated(["experiment_id", "variant"]).any()
    assert set(results["decision"].dropna()) <= set(DECISIONS)
    exposures = _frame("select * from intermediate.int_experiment_exposures")
    orders = _frame("select person_id, converted_at from marts.fct_conversions where person_id is not null")
    ended = exposures.groupby("experiment_id")["last_exposed_at"].max().rename("ended_at")
    clean = exposures[exposures["variations"] == 1].join(ended, on="experiment_id")
    joined = clean.merge(orders, on="person_id", how="left")
    joined["hit"] = (joined["converted_at"] >= joined["first_exposed_at"]) & (joined["converted_at"] <= joined["ended_at"])
    per_person = joined.groupby(["experiment_id", "variation_id", "person_id"])["hit"].any().reset_index()
    expected = per_person.groupby(["experiment_id", "variation_id"]).agg(users=("hit", "size"),
                                                                          conversions=("hit", "sum"))
    got = results.set_index(["experiment_id", "variant"])[["users", "conversions"]]
    got.index.names = expected.index.names
    pd.testing.assert_frame_equal(got.sort_index(), expected.sort_index(), check_dtype=False)
    excluded = exposures[exposures["variations"] > 1].groupby("experiment_id").size()
    assert results.groupby("experiment_id")["excluded_users"].first().to_dict() == \
        excluded.reindex(results["experiment_id"].unique(), fill_value=0).to_dict()
    # the control row comes first and has no decision unless the experiment is invalid
    first = results.groupby("experiment_id").head(1)
    assert (first["variant"].str.endswith((":control", ":a1"))).all()
    assert (first["decision"].isna() | (first["decision"] == "invalid: SRM")).all()


def test_attribution_drift_per_model_and_day(world_pipeline):
    drift = _frame("select * from analytics.attribution_drift")
    assert {"markov", "shapley", "last_touch"} <= set(drift["model"])
    assert not drift.duplicated(["model", "day", "channel"]).any()
    scored = drift.dropna(subset=["psi"])
    by_day = scored.groupby(["model", "day"])
    assert np.abs(by_day["psi_term"].sum() - by_day["psi"].first()).max() < 1e-9
    assert (scored["psi"] >= 0).all()
    shares = drift.groupby(["model", "day"])["share"].sum()
    assert np.abs(shares - 1).max() < 1e-9


def test_creative_fatigue_covers_every_ad_of_the_spend_mart(world_pipeline):
    fatigue = _frame("select * from analytics.creative_fatigue")
    ads = _frame("select cost_source, account_id, ad_id, sum(impressions) as impressions, sum(clicks) as clicks "
                 "from marts.fct_ad_spend where ad_id is not null and impressions > 0 group by all")
    assert len(fatigue) == len(ads)
    assert fatigue["creative_id"].is_unique
    assert fatigue["impressions"].sum() == ads["impressions"].sum()
    assert fatigue["clicks"].sum() == ads["clicks"].sum()


def test_incrementality_of_the_ingested_holdout_list(world_pipeline):
    # the world's first-party export lists the Meta lift study's audience, held out or not; ingestion loads it into
    # raw_first_party.holdout_assignments and the asset measures the study from there
    world = world_pipeline.world
    exported = pd.read_csv(world / "first_party" / "holdout_assignments.csv", dtype={"customer_id": str})
    truth = json.loads((world / "truth" / "manifest.json").read_text())["holdout"]
    assert (int((~exported["is_holdout"]).sum()), int(exported["is_holdout"].sum())) == \
        (truth["treated_users"], truth["holdout_users"])
    # customers with an erasure request are gone from every table, the study list and their orders included
    erased = set(pd.read_csv(world / "first_party" / "deletion_requests.csv", dtype=str)["customer_id"])
    assignments = exported[~exported["customer_id"].isin(erased)]
    loaded = _frame("select customer_id, platform, is_holdout from raw_first_party.holdout_assignments")
    assert len(loaded) == len(assignments) and set(loaded["platform"]) == {"meta_ads"}
    assert loaded.set_index("customer_id")["is_holdout"].sort_index().equals(
        assignments.set_index("customer_id")["is_holdout"].sort_index())
    row = _frame("select * from analytics.incrementality").iloc[0]
    orders = pd.read_csv(world / "first_party" / "orders.csv", usecols=["customer_id"], dtype=str)
    orders = orders[~orders["customer_id"].isin(erased)]
    counts = orders["customer_id"].value_counts()
    treated = counts.reindex(assignments.loc[~assignments["is_holdout"], "customer_id"], fill_value=0)
    held = counts.reindex(assignments.loc[assignments["is_holdout"], "customer_id"], fill_value=0)
    assert (row["platform"], row["treatment_users"], row["holdout_users"]) == ("meta_ads", len(treated), len(held))
    assert (row["treatment_conversions"], row["holdout_conversions"]) == (treated.sum(), held.sum())
    assert row["lift"] == pytest.approx(treated.mean() - held.mean(), abs=1e-15)
    se = np.sqrt(treated.var(ddof=1) / len(treated) + held.var(ddof=1) / len(held))
    assert row["lift_ci_high"] - row["lift"] == pytest.approx(1.959963984540054 * se, rel=1e-9)
    # spend over the study window: the days with orders
    ((first, last),) = _frame("select min(order_date) as a, max(order_date) as b "
                              "from staging.stg_first_party__orders").itertuples(index=False)
    first, last = pd.Timestamp(first).date(), pd.Timestamp(last).date()
    assert (pd.Timestamp(row["start_date"]).date(), pd.Timestamp(row["end_date"]).date()) == (first, last)
    spend = _frame("select coalesce(sum(spend_reporting), 0) as s from marts.fct_ad_spend where cost_source = "
                   f"'meta_ads' and report_date between '{first}' and '{last}'")["s"].iloc[0]
    assert row["spend"] == pytest.approx(float(spend), rel=1e-12)

"""Grading the experiment and incrementality assets on the demo world (90 days, seed 7, scale 1: ~1.1M events).

The world is big enough for the planted effects to be detectable. Instead of running the whole pipeline on it, the
tables the assets read are built straight from the world's files with DuckDB (exposures and orders from the
tracker logs, with consent and a simple identity: a device belongs to the first user id it sent), and the assets'
own functions (`variant_totals`, `experiment_results`, `holdout_groups`, `incrementality`) are graded against the
world's truth.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from dagster_project.defs.analytics.experiments import experiment_results, variant_totals
from dagster_project.defs.analytics.holdout import holdout_groups, incrementality

pytestmark = pytest.mark.slow

DEMO_WORLD = {"days": 90, "seed": 7, "scale": 1.0}


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from adledger.simulator import simulate

    path = tmp_path_factory.mktemp("demo-world") / "world"
    started = time.perf_counter()
    simulate(path, **DEMO_WORLD)
    print(f"\nsimulated {DEMO_WORLD} in {time.perf_counter() - started:.1f} s")
    return path


def _load_tracker(con: duckdb.DuckDBPyConnection, world: Path) -> None:
    """`intermediate.int_experiment_exposures` and `marts.fct_conversions` with the columns the assets read."""
    con.execute("set TimeZone = 'UTC'")
    con.execute("create schema intermediate")
    con.execute("create schema marts")
    files = str(world / "tracker" / "*" / "*" / "*" / "*.jsonl.gz")
    con.execute(f"""
        create temp table events as
        with lines as (
            select line from read_csv('{files}', columns = {{'line': 'VARCHAR'}}, delim = '\x01', quote = '',
                                      escape = '', header = false, ignore_errors = true, strict_mode = false)
            where line like '%"userId":"%' or line like '%"Experiment Viewed"%' or line like '%"Order Completed"%'
        ),
        parsed as (
            select line ->> 'messageId' as message_id, try_cast(line ->> 'timestamp' as timestamptz) as event_at,
                   line ->> 'anonymousId' as anonymous_id, line ->> 'userId' as user_id, line ->> 'event' as event,
                   line -> 'properties' ->> 'experiment_id' as experiment_id,
                   line -> 'properties' ->> 'variation_id' as variation_id,
                   line -> 'properties' ->> 'order_id' as order_id,
                   try_cast(line -> 'properties' ->> 'revenue' as double) as revenue,
                   line -> 'properties' ->> 'currency' as currency,
                   try_cast(line -> 'context' -> 'consent' -> 'categoryPreferences' ->> 'analytics' as boolean)
                       as analytics
            from lines
            where json_valid(line)
        )
        select * from parsed
        where message_id is not null and event_at is not null and anonymous_id is not null and analytics
        qualify row_number() over (partition by message_id order by event_at) = 1
    """)
    con.execute("""
        create temp table people as
        select anonymous_id, coalesce(arg_min(user_id, event_at) filter (where user_id is not null), anonymous_id)
            as person_id
        from events group by anonymous_id
    """)
    con.execute("""
        create table intermediate.int_experiment_exposures as
        select experiment_id, person_id, arg_min(variation_id, event_at) as variation_id,
               min(event_at) as first_exposed_at, max(event_at) as last_exposed_at, count(*) as exposures,
               count(distinct variation_id) as variations
        from events inner join people using (anonymous_id)
        where event = 'Experiment Viewed' and experiment_id is not null and variation_id is not null
        group by experiment_id, person_id
    """)
    fx = str(world / "first_party" / "fx_rates.csv")
    con.execute(f"""
        create table marts.fct_conversions as
        with orders as (
            select order_id, arg_min(anonymous_id, event_at) as anonymous_id, min(event_at) as converted_at,
                   arg_min(revenue, event_at) as revenue, arg_min(currency, event_at) as currency
            from events where event = 'Order Completed' and order_id is not null group by order_id
        )
        select orders.order_id, people.person_id, orders.converted_at,
               orders.revenue * fx.usd_per_unit as revenue_reporting
        from orders
        inner join people using (anonymous_id)
        left join read_csv('{fx}') as fx
            on fx.date = cast(orders.converted_at as date) and fx.currency = upper(orders.currency)
    """)


@pytest.fixture(scope="module")
def totals(world: Path) -> pd.DataFrame:
    started = time.perf_counter()
    with duckdb.connect() as con:
        _load_tracker(con, world)
        totals = variant_totals(con)
    print(f"\nexposures and conversions from the tracker logs in {time.perf_counter() - started:.1f} s")
    return totals


@pytest.fixture(scope="module")
def experiments(totals: pd.DataFrame) -> pd.DataFrame:
    results = experiment_results(totals)
    print(results[["variant", "users", "conversions", "uplift", "ci_low", "ci_high", "p_value_adjusted",
                   "srm_p_value", "decision"]].to_string())
    return results


def _truth(world: Path, name: str) -> pd.DataFrame:
    return pd.read_parquet(world / "truth" / f"{name}.parquet")


def test_every_planted_experiment_gets_the_right_decision(world, experiments):
    truth = _truth(world, "experiments").set_index("variation_id")
    results = experiments.set_index("variant")
    assert set(results.index) == set(truth.index)
    for experiment_id, rows in truth.groupby("experiment_id", sort=False):
        got = results.loc[rows.index, "decision"]
        control = experiments.loc[experiments["experiment_id"] == experiment_id, "variant"].iloc[0]
        assert control == rows.index[0]  # the truth lists the control first
        treatments = rows.index.drop(control)
        kind = rows["kind"].iloc[0]
        if kind == "srm":
            assert (got == "invalid: SRM").all(), (experiment_id, got.to_dict())
            continue
        assert not results.loc[rows.index, "srm"].any(), experiment_id
        if kind == "aa":
            assert set(got[treatments]) <= {"keep running", "stop: no effect"}, (experiment_id, got.to_dict())
            continue
        winner = rows["true_uplift"].idxmax()
        if kind == "ab":
            assert got[winner] == "ship", (experiment_id, winner, got.to_dict())
        else:
            # the multivariate winner (+12 %) needs about 35k exposed people per arm for a Holm-adjusted test to find
            # it reliably; this world has ~9k: it ships, or the analysis says the test is short of power and users
            assert got[winner] == "ship" or (
                got[winner] == "keep running" and results.loc[winner, "power"] < 0.8
                and results.loc[winner, "users_needed"] > results.loc[winner, "users"]), (winner, got.to_dict())
        for variation in treatments.drop(winner):
            allowed = {"ship", "keep running"} if truth.loc[variation, "true_uplift"] > 0 else \
                {"keep running", "stop: no effect"}
            assert got[variation] in allowed, (experiment_id, variation, got[variation])


def test_uplift_intervals_cover_the_planted_uplifts(world, totals):
    truth = _truth(world, "experiments").set_index("variation_id")
    # five 99 % intervals: all five cover with probability >= 95 % (Bonferroni)
    results = experiment_results(totals, alpha=0.01).set_index("variant")
    valid = truth[(truth["kind"] != "srm") & (truth.index.isin(results.index[results["p_value"].notna()]))]
    assert len(valid) == 5  # the treatments of the A/B, A/A and multivariate tests
    for variation, planted in valid["true_uplift"].items():
        row = results.loc[variation]
        assert row["ci_low"] <= planted <= row["ci_high"], (variation, planted, row["ci_low"], row["ci_high"])


@pytest.fixture(scope="module")
def holdout(world: Path) -> tuple[pd.Series, dict]:
    """The Meta lift study measured by the incrementality asset's functions, and the truth of the holdout."""
    truth = json.loads((world / "truth" / "manifest.json").read_text())["holdout"]
    users = _truth(world, "users")[["customer_id", "country", "holdout"]]
    targeted = users[users["country"].isin(truth["countries"])]
    assignments = pd.DataFrame({"customer_id": targeted["customer_id"].astype(str), "platform": "meta_ads",
                                "is_holdout": targeted["holdout"].astype(bool)})
    spend = _truth(world, "spend_platform_daily")
    spend = pd.DataFrame({"cost_source": spend["platform"], "report_date": pd.to_datetime(spend["date"]).dt.date,
                          "spend_reporting": spend["spend_usd"].astype(float)})
    first_party = world / "first_party"
    with duckdb.connect() as con:
        con.execute("set TimeZone = 'UTC'")
        for schema in ("raw_first_party", "staging", "marts"):
            con.execute(f"create schema {schema}")
        con.register("assignments", assignments)
        con.register("spend", spend)
        con.execute("create table raw_first_party.holdout_assignments as select * from assignments")
        con.execute(f"""
            create table staging.stg_first_party__orders as
            select order_id, customer_id, cast(created_at as timestamptz) as ordered_at,
                   cast(cast(created_at as timestamptz) as date) as order_date, upper(currency) as currency,
                   cast(revenue as decimal(18, 4)) as revenue
            from read_csv('{first_party / "orders.csv"}', all_varchar = true)
        """)
        con.execute(f"""
            create table staging.stg_first_party__fx_rates as
            select cast(date as date) as rate_date, currency, cast(usd_per_unit as decimal(18, 6)) as usd_per_unit
            from read_csv('{first_party / "fx_rates.csv"}', all_varchar = true)
        """)
        con.execute("create table marts.fct_ad_spend as select * from spend")
        groups = holdout_groups(con)
    row = incrementality(groups).set_index("platform").loc["meta_ads"]
    print(f"\nMeta holdout: {row.to_dict()}\ntruth: {truth}")
    return row, truth


def test_the_holdout_study_is_measured_on_the_worlds_people(holdout):
    row, truth = holdout
    assert (row["treatment_users"], row["holdout_users"]) == (truth["treated_users"], truth["holdout_users"])
    assert row["lift"] > 0 and row["p_value"] < 0.05
    assert row["incremental_cpa"] > 0 and row["iroas"] > 0


@pytest.mark.xfail(strict=True, reason=(
    "the world's true lift counts only orders labelled as caused by Meta, but a held-out person also misses later "
    "orders of customers Meta acquired (repeat orders), and CTV's few clickers each receive many orders (a heavy-"
    "tailed outcome a 10 % holdout rarely balances); measured 12.7 [8.2, 17.1] vs labelled 6.6 orders per 1000 "
    "people (docs/benchmarks.md)"))
def test_the_holdout_interval_covers_the_true_lift(holdout):
    row, truth = holdout
    true_increment = truth["treated_orders_caused_by_channel"]
    assert row["incremental_conversions_ci_low"] <= true_increment <= row["incremental_conversions_ci_high"]

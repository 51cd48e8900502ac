"""The real `adledger optimize` command: a plan from a daily CSV or the warehouse, and errors users can act on."""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from adledger.analytics.optimization import ResponseCurve, ResponseWorld, TrueChannel
from adledger.cli import app
from adledger.commands.optimize import parse_objective

runner = CliRunner()


def plain(output: str) -> str:
    return " ".join(output.replace("│", " ").split())


@pytest.fixture(scope="module")
def daily() -> pd.DataFrame:
    world = ResponseWorld([
        TrueChannel("search", ResponseCurve("hill", 40.0, 900.0, 1.0, 0.2), 800.0, 80.0),
        TrueChannel("social", ResponseCurve("hill", 20.0, 500.0, 1.3, 0.5), 350.0, 60.0),
        TrueChannel("display", ResponseCurve("hill", 5.0, 600.0, 1.2, 0.6), 250.0, 50.0),
    ])
    spend = world.budget_history(140, 3)
    return world.frame(spend, world.draw(spend, np.random.default_rng(3)))


@pytest.fixture
def daily_csv(tmp_path, daily):
    path = tmp_path / "daily.csv"
    daily.to_csv(path, index=False)
    return path


def test_optimize_prints_the_plan_and_writes_it(daily_csv, tmp_path):
    out = tmp_path / "plan.csv"
    result = runner.invoke(app, ["optimize", "--budget", "1400", "--daily", str(daily_csv), "--incremental",
                                 "--replicates", "30", "--out", str(out)])
    assert result.exit_code == 0, result.output
    text = plain(result.output)
    assert "Budget plan: conversions (USD/day)" in text
    assert "Total" in text and "→ 1,400.00 USD/day" in text
    plan = pd.read_csv(out)
    assert sorted(plan["channel"]) == ["display", "search", "social"]
    assert plan["recommended_spend"].sum() == pytest.approx(1400.0)
    assert ((plan["recommended_spend"] >= plan["min_spend"] - 1e-6) &
            (plan["recommended_spend"] <= plan["max_spend"] + 1e-6)).all()
    for row in plan.itertuples():
        assert f"{row.channel}: {row.reason}" in text


def test_optimize_target_cpa_and_hard_bounds(daily_csv, tmp_path):
    out = tmp_path / "plan.csv"
    result = runner.invoke(app, ["optimize", "--budget", "2000", "--daily", str(daily_csv), "--incremental",
                                 "--objective", "target-cpa=25", "--replicates", "20", "--max-change", "0.5",
                                 "--max-spend", "social=300", "--out", str(out)])
    assert result.exit_code == 0, result.output
    plan = pd.read_csv(out).set_index("channel")
    assert plan.loc["social", "recommended_spend"] <= 300 + 1e-6
    assert plan["recommended_spend"].sum() <= 2000 + 1e-6
    assert "Budget plan: target cpa 25" in plain(result.output)


def test_optimize_reads_the_channel_mart_from_the_warehouse(daily, adledger_env):
    adledger_env.mkdir(parents=True, exist_ok=True)
    frame = pd.concat([daily.assign(model="markov"), daily.assign(model="last_touch", conversions=0)])
    with duckdb.connect(str(adledger_env / "warehouse.duckdb")) as con:
        con.execute("create schema marts")
        con.register("frame_view", frame)
        con.execute("create table marts.mart_channel_performance_daily as select * from frame_view")
    result = runner.invoke(app, ["optimize", "--budget", "1400", "--from-warehouse", "--replicates", "20",
                                 "--incremental"])
    assert result.exit_code == 0, result.output
    assert "Budget plan: conversions" in plain(result.output)
    result = runner.invoke(app, ["optimize", "--budget", "1400", "--from-warehouse", "--attribution-model", "shapley"])
    assert result.exit_code == 1
    assert "attribution model 'shapley' is not in" in plain(result.output)
    assert "last_touch, markov" in plain(result.output)


def test_missing_warehouse_and_mart_say_what_to_do(adledger_env):
    result = runner.invoke(app, ["optimize", "--budget", "100", "--from-warehouse"])
    assert result.exit_code == 1 and "no warehouse at" in result.output
    adledger_env.mkdir(parents=True, exist_ok=True)
    duckdb.connect(str(adledger_env / "warehouse.duckdb")).close()
    result = runner.invoke(app, ["optimize", "--budget", "100", "--from-warehouse"])
    assert result.exit_code == 1 and "adledger materialize" in plain(result.output)


@pytest.mark.parametrize("args, message", [
    (["--objective", "cpa"], "is not one of"),
    (["--objective", "target-cpa=-3"], "needs a positive number"),
    (["--min-spend", "search"], "is not CHANNEL=USD"),
    (["--min-spend", "tv=10"], "no channel named tv"),
    (["--min-spend", "search=5000"], "outside what the bounds allow"),
])
def test_user_mistakes_get_a_message_not_a_traceback(daily_csv, args, message):
    base = ["optimize", "--budget", "1400", "--daily", str(daily_csv), "--replicates", "10"]
    result = runner.invoke(app, base + args)
    assert result.exit_code != 0
    assert message in plain(result.output)
    assert "Traceback" not in result.output


def test_exactly_one_input_and_readable_csv(tmp_path, daily_csv):
    assert "exactly one of" in plain(runner.invoke(app, ["optimize", "--budget", "10"]).output)
    bad = tmp_path / "bad.csv"
    bad.write_text("day,channel\n2026-01-01,a\n")
    result = runner.invoke(app, ["optimize", "--budget", "10", "--daily", str(bad)])
    assert result.exit_code == 1 and "lacks column(s) spend, conversions" in plain(result.output)


def test_parse_objective():
    assert parse_objective("conversions") == ("conversions", None)
    assert parse_objective("Target_ROAS=3.5") == ("target_roas", 3.5)

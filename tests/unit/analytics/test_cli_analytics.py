"""The real `adledger attribution`, `adledger abtest` and `adledger bench attribution` commands."""

from __future__ import annotations

import pandas as pd
import pytest
from typer.testing import CliRunner

from adledger.cli import app

runner = CliRunner()


def plain(output: str) -> str:
    """The output's words, without rich's box borders and line wrapping."""
    return " ".join(output.replace("│", " ").split())


@pytest.fixture
def paths_csv(tmp_path):
    file = tmp_path / "paths.csv"
    file.write_text("path,conversions,conversion_value,nulls\nC1 > C2 > C3,1,100,0\nC1,0,0,1\nC2 > C3,0,0,1\n")
    return file


def test_attribution_prints_a_table(paths_csv):
    result = runner.invoke(app, ["attribution", "--paths", str(paths_csv), "--model", "markov"])
    assert result.exit_code == 0, result.output
    assert "Attribution (markov)" in result.output
    assert "0.5000" in result.output and "40.0%" in result.output


def test_attribution_writes_csv(paths_csv, tmp_path):
    out = tmp_path / "credits.csv"
    result = runner.invoke(
        app, ["attribution", "--paths", str(paths_csv), "--model", "markov", "--order", "2", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    credits = pd.read_csv(out)
    assert list(credits.columns) == ["channel", "conversions", "conversion_value", "removal_effect"]
    assert credits["conversions"].tolist() == pytest.approx([0.2, 0.4, 0.4])
    result = runner.invoke(
        app, ["attribution", "--paths", str(paths_csv), "--model", "linear", "--transform", "first", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert list(pd.read_csv(out).columns) == ["channel", "conversions", "conversion_value"]


@pytest.mark.parametrize(
    ("content", "args", "message"),
    [
        (None, ["--model", "magic"], "unknown model"),
        (None, ["--model", "linear", "--transform", "zigzag"], "unknown transform"),
        ("path,conversions\na,1\n", ["--model", "linear"], "missing column"),
        ("", ["--model", "linear"], "is empty"),
    ],
)
def test_attribution_user_errors_are_explained(paths_csv, content, args, message):
    if content is not None:
        paths_csv.write_text(content)
    result = runner.invoke(app, ["attribution", "--paths", str(paths_csv), *args])
    assert result.exit_code == 2
    assert message in plain(result.output)
    assert "Traceback" not in result.output


def test_abtest_prints_and_writes(tmp_path):
    file = tmp_path / "test.csv"
    file.write_text("variant,users,conversions\ncontrol,20000,1000\nnew,20000,1200\n")
    result = runner.invoke(app, ["abtest", "--in", str(file)])
    assert result.exit_code == 0, result.output
    assert "ship" in result.output and "(control)" in result.output
    out = tmp_path / "results.csv"
    result = runner.invoke(app, ["abtest", "--in", str(file), "--alpha", "0.01", "--out", str(out)])
    assert result.exit_code == 0, result.output
    results = pd.read_csv(out)
    assert {"rate", "uplift", "ci_low", "ci_high", "p_value", "p_value_adjusted", "chance_to_beat_control",
            "srm_p_value", "decision"} <= set(results.columns)
    assert results["decision"].tolist()[1] == "ship"


@pytest.mark.parametrize(
    ("content", "message"),
    [("", "not a readable CSV"), ("variant,users\nA,10\nB,10\n", "missing column")],
)
def test_abtest_user_errors_are_explained(tmp_path, content, message):
    file = tmp_path / "test.csv"
    file.write_text(content)
    result = runner.invoke(app, ["abtest", "--in", str(file)])
    assert result.exit_code == 2
    assert message in plain(result.output)


def test_bench_attribution_runs_on_a_small_input():
    result = runner.invoke(app, ["bench", "attribution", "--rows", "3000", "--channels", "5", "--repeats", "1", "--no-reference"])
    assert result.exit_code == 0, result.output
    assert "best / DuckDB" in result.output and "exact Markov" in result.output

"""Detection quality on simulated worlds: every labelled incident found, few false alarms (issue: recall >= 90 %,
precision >= 80 % over several seeds). Three worlds are generated here and read from their files (no pipeline)."""

from __future__ import annotations

from pathlib import Path

import pytest

from adledger.analytics.anomalies.evaluate import evaluate

pytestmark = pytest.mark.slow

SEEDS_DIR = Path(__file__).resolve().parents[3] / "dbt_project" / "seeds"


@pytest.fixture(scope="module")
def evaluation(tmp_path_factory: pytest.TempPathFactory):
    return evaluate([21, 22, 23], days=45, scale=0.2, workdir=tmp_path_factory.mktemp("worlds"),
                    seeds_dir=SEEDS_DIR)


def test_recall_and_precision_over_three_worlds(evaluation):
    table = evaluation.table()
    # per world: 2 fraud bursts, 2 spikes, outage, drift, injection, flooding
    assert table.at["all", "incidents"] == 3 * 8
    assert table.at["all", "recall"] >= 0.9, table.to_string()
    assert table.at["all", "precision"] >= 0.8, table.to_string()


def test_every_kind_of_incident_is_found_in_most_worlds(evaluation):
    table = evaluation.table()
    for family in ("click_fraud", "click_injection", "tracking_outage", "attribution_drift", "spend", "click_flooding"):
        assert table.at[family, "recall"] >= 2 / 3, table.to_string()


def test_the_flooding_partner_is_found_by_both_publisher_rules_and_nothing_else_fires_them(evaluation):
    types = evaluation.type_table()
    for kind in ("click_flooding", "abnormal_cvr"):  # each rule alone, in every world, without a false alarm
        assert types.loc[kind, ["incidents", "found", "anomalies", "matching"]].tolist() == [3, 3, 3, 3], types
    for found in evaluation.anomalies:
        flooding = found[found["anomaly_type"].isin(["click_flooding", "abnormal_cvr"])]
        assert set(flooding["campaign"]) == {"1000107"}  # the planted partner

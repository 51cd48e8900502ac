"""The example queries of docs/bi.md, run as written on a published snapshot and on its Parquet exports."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from adledger.config import settings
from dagster_project.lib.publish import export_parquet
from tests.unit.report.bi_guide import run_guide


def _floats(rows: list[tuple]) -> list[tuple]:
    return [tuple(float(v) if not isinstance(v, (str, date, type(None))) else v for v in row) for row in rows]


def test_the_guides_queries_answer_its_questions(report_data):
    assert Path("data/published.duckdb").resolve() == settings().published  # the guide's relative paths
    export_parquet(settings().published, settings().exports_dir)
    results = run_guide(settings().published)
    assert set(results) == {"cpa_by_channel", "roas_by_model", "payback_by_cohort", "payback_summary_by_cohort"}
    for name, (snapshot, parquet) in results.items():
        assert snapshot == parquet, name
    assert _floats(results["cpa_by_channel"][0]) == [("paid_search", 330.0, 9.0, pytest.approx(330 / 9)),
                                                     ("paid_social", 180.0, 4.0, 45.0),
                                                     ("email", 0.0, 2.0, 0.0)]
    roas = {(m, c): r for m, c, _, _, r in _floats(results["roas_by_model"][0])}
    assert roas == pytest.approx({("first_touch", "paid_search"): 300 / 330, ("first_touch", "paid_social"): 300 / 180,
                                  ("last_touch", "paid_search"): 450 / 330, ("last_touch", "paid_social"): 200 / 180,
                                  ("markov", "paid_search"): 375 / 330, ("markov", "paid_social"): 237.5 / 180})
    assert [(r[0], r[1], r[-1]) for r in results["payback_by_cohort"][0]] == [
        (date(2025, 12, 1), "paid_search", None), (date(2026, 1, 1), "paid_search", 20),
        (date(2026, 1, 1), "paid_social", None)]
    assert _floats(results["payback_summary_by_cohort"][0]) == [
        (date(2025, 12, 1), 99.0, 10.0, 1.0, 0.0, 1.0),
        (date(2026, 1, 1), 14.0, pytest.approx(510 / 14), pytest.approx(570 / 14), 1.0, 2.0)]

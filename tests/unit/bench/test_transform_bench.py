"""The transform bench's reading of dbt's run_results.json: node time per resource type."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from adledger.bench.transform import DbtBuild, TransformBench, node_times


def _node(unique_id: str, seconds: float) -> dict:
    return {"unique_id": unique_id, "status": "success", "execution_time": seconds, "timing": [],
            "thread_id": "Thread-1", "adapter_response": {}, "message": None, "failures": None}


def test_node_times_sums_execution_time_per_resource_type(tmp_path: Path) -> None:
    artifact = tmp_path / "run_results.json"
    artifact.write_text(json.dumps({
        "metadata": {"dbt_schema_version": "https://schemas.getdbt.com/dbt/run-results/v6.json"},
        "elapsed_time": 12.5,
        "results": [_node("model.adledger.stg_a", 0.25), _node("model.adledger.fct_b", 1.5),
                    _node("seed.adledger.rules", 0.125), _node("test.adledger.not_null_fct_b_id.abc", 0.0625),
                    _node("test.adledger.unique_fct_b_id.def", 0.1875)],
    }))
    elapsed, seconds, counts = node_times(artifact)
    assert elapsed == 12.5
    assert seconds == {"model": 1.75, "seed": 0.125, "test": 0.25}
    assert counts == {"model": 2, "seed": 1, "test": 2}


def _build(seconds: float, elapsed: float) -> DbtBuild:
    return DbtBuild(seconds=seconds, cpu_seconds=seconds / 2, nodes_elapsed=elapsed, node_seconds={}, node_counts={}, load_before=1.0,
                    load_after=1.0)


def test_ratios_and_startup() -> None:
    bench = TransformBench(events=100, days=3, first_build=_build(20.0, 16.0), incremental=_build(6.0, 2.0),
                           no_new_data=_build(5.0, 1.5), full=_build(24.0, 20.0), new_day_events=10,
                           tables_compared=3)
    assert bench.ratio == pytest.approx(0.25)
    assert bench.floor_ratio == pytest.approx(5.0 / 24.0)
    assert bench.cpu_ratio == pytest.approx(3.0 / 12.0)
    assert bench.incremental.startup_seconds == pytest.approx(4.0)
    assert (bench.first_build_seconds, bench.incremental_seconds, bench.full_seconds) == (20.0, 6.0, 24.0)

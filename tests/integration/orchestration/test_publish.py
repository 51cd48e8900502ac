"""Publishing: a new snapshot file swapped in atomically, Parquet exports, and no publishing past a failed check."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import duckdb
import pyarrow.parquet as pq
import pytest

from adledger.config import settings
from dagster_project.defs.publish.assets import (
    GUARD_METADATA,
    MARTS_PARQUET,
    PUBLISHED_SNAPSHOT,
    REPORT,
    failed_checks,
)
from dagster_project.lib.publish import export_parquet, publish_snapshot, read_meta, table_fingerprint

CHANNEL_CHECK = dg.AssetCheckKey(dg.AssetKey(["marts", "mart_channel_daily"]),
                                 "unique_combination_mart_channel_daily_day__channel")


def _warehouse(path: Path, days: int) -> None:
    """A warehouse with two marts (and a staging table that must not be published)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(path)) as con:
        con.execute("create schema if not exists marts; create schema if not exists staging")
        con.execute("create or replace table marts.mart_channel_daily as select date '2026-01-01' + i::int as day, "
                    "c as channel, (i * 7 + len(c))::bigint as sessions, 1::bigint as visitors, 0::bigint as "
                    "conversions, 12.5::decimal(18,4) as revenue from range(?) t(i), "
                    "(values ('email'), ('paid_search'), ('O''Reilly \"quoted\"')) v(c)", [days])
        con.execute("create or replace table marts.fct_conversions as select i as order_id, i * 1.5 as revenue "
                    "from range(?) t(i)", [days * 10])
        con.execute("create or replace table staging.secret as select 'x' as pii")
        # dbt-duckdb views name their inputs with the catalog, which is the file's stem
        con.execute(f"create or replace table staging.spend as select i as day_index, i * 2.0 as spend "
                    f"from range({days}) t(i)")
        con.execute(f"create or replace view marts.mart_spend_view as select * from {path.stem}.staging.spend")


def test_snapshot_holds_exactly_the_marts_with_their_fingerprints(tmp_path):
    wh, target = tmp_path / "warehouse.duckdb", tmp_path / "published.duckdb"
    _warehouse(wh, days=3)

    snap = publish_snapshot(wh, target, ["mart_channel_daily", "fct_conversions", "mart_spend_view"], run_id="r1")

    assert {(t.name, t.rows) for t in snap.tables} == {("mart_channel_daily", 9), ("fct_conversions", 30),
                                                       ("mart_spend_view", 3)}
    assert read_meta(target) == sorted(snap.tables, key=lambda t: t.name)
    with duckdb.connect(str(target), read_only=True) as con, duckdb.connect(str(wh), read_only=True) as src:
        tables = con.execute("select table_schema, table_name from information_schema.tables order by all").fetchall()
        assert tables == [("marts", "fct_conversions"), ("marts", "mart_channel_daily"), ("marts", "mart_spend_view"),
                          ("meta", "snapshot_tables")]
        for t in snap.tables:
            assert table_fingerprint(con, f"marts.{t.name}") == (t.rows, t.checksum)
            assert table_fingerprint(src, f"marts.{t.name}") == (t.rows, t.checksum)
            assert sorted(con.execute(f"select * from marts.{t.name}").fetchall()) == sorted(
                src.execute(f"select * from marts.{t.name}").fetchall())
    assert sorted(p.name for p in tmp_path.iterdir()) == ["published.duckdb", "warehouse.duckdb"]  # no temp, no WAL

    files = export_parquet(target, tmp_path / "exports")

    assert [f.name for f in files] == ["fct_conversions.parquet", "mart_channel_daily.parquet",
                                       "mart_spend_view.parquet"]
    assert pq.read_table(files[1]).num_rows == 9
    assert pq.read_table(files[0]).column("order_id").to_pylist() == list(range(30))
    assert sorted(p.name for p in (tmp_path / "exports").iterdir()) == [f.name for f in files]


def test_a_failed_publish_keeps_the_previous_snapshot(tmp_path):
    wh, target = tmp_path / "warehouse.duckdb", tmp_path / "published.duckdb"
    _warehouse(wh, days=2)
    first = publish_snapshot(wh, target, ["mart_channel_daily"])
    before = target.read_bytes()

    with pytest.raises(duckdb.CatalogException):
        publish_snapshot(wh, target, ["mart_channel_daily", "mart_that_does_not_exist"])

    assert target.read_bytes() == before
    assert read_meta(target) == list(first.tables)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["published.duckdb", "warehouse.duckdb"]

    _warehouse(wh, days=4)
    second = publish_snapshot(wh, target, ["mart_channel_daily"])
    assert [t.rows for t in second.tables] == [12] and second.snapshot_id != first.snapshot_id


def _report_check(instance: dg.DagsterInstance, passed: bool) -> None:
    instance.report_runless_asset_event(dg.AssetCheckEvaluation(
        asset_key=CHANNEL_CHECK.asset_key, check_name=CHANNEL_CHECK.name, passed=passed))


def test_the_publish_asset_refuses_after_a_failed_blocking_check_of_a_mart(adledger_env, code_location, instance):
    cfg = settings()
    _warehouse(cfg.warehouse, days=2)
    graph = code_location.resolve_asset_graph()
    marts = set(graph.get(PUBLISHED_SNAPSHOT).parent_keys)
    guarded = [k for k in graph.get_check_keys_for_assets(marts) if graph.get(k).blocking]
    assert CHANNEL_CHECK in guarded
    recorded = code_location.resolve_assets_def(PUBLISHED_SNAPSHOT).specs_by_key[PUBLISHED_SNAPSHOT].metadata
    assert sorted(recorded[GUARD_METADATA].value) == sorted(k.to_user_string() for k in guarded)
    job = code_location.resolve_implicit_global_asset_job_def()

    _report_check(instance, passed=False)
    assert failed_checks(instance, guarded) == [
        "marts/mart_channel_daily: unique_combination_mart_channel_daily_day__channel"]
    refused = job.execute_in_process(instance=instance, asset_selection=[PUBLISHED_SNAPSHOT], raise_on_error=False)

    assert not refused.success
    failure = refused.get_step_failure_events()[0].step_failure_data.error.message
    assert "blocking checks of the marts failed" in failure and CHANNEL_CHECK.name in failure
    assert not cfg.published.exists()

    _report_check(instance, passed=True)
    assert failed_checks(instance, guarded) == []
    published = job.execute_in_process(instance=instance, asset_selection=[PUBLISHED_SNAPSHOT, MARTS_PARQUET])

    assert published.success
    meta = {t.name: t.rows for t in read_meta(cfg.published)}
    assert meta == {"mart_channel_daily": 6, "fct_conversions": 20}  # the marts the graph knows, nothing else
    assert sorted(p.name for p in cfg.exports_dir.iterdir()) == ["fct_conversions.parquet", "mart_channel_daily.parquet"]


def test_the_snapshot_waits_for_every_mart_and_the_exports_and_report_for_it(code_location):
    graph = code_location.resolve_asset_graph()
    marts = {k for k in graph.get_all_asset_keys() if k.path[0] == "marts"}

    assert marts and set(graph.get(PUBLISHED_SNAPSHOT).parent_keys) == marts
    assert graph.get(PUBLISHED_SNAPSHOT).group_name == "publish"
    job = code_location.resolve_implicit_global_asset_job_def()  # a dependency in the graph is a wait in the run
    upstream = job.graph.dependency_structure.input_to_upstream_outputs_for_node("publish__published_snapshot")
    produced = {out.node.name for outs in upstream.values() for out in outs}
    assert "dbt_models" in produced and len(upstream) == len(marts)
    assert set(graph.get(REPORT).parent_keys) == {PUBLISHED_SNAPSHOT, MARTS_PARQUET}
    assert set(graph.get(MARTS_PARQUET).parent_keys) == {PUBLISHED_SNAPSHOT}

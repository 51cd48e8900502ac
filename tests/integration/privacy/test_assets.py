"""The privacy assets through Dagster on a hand-made warehouse, the retention purge, and where they sit in the graph."""

from __future__ import annotations

from datetime import datetime, timezone

import dagster as dg
import duckdb
import pytest

from adledger.config import settings
from tests.integration.privacy.warehouse import build


@pytest.fixture
def warehouse(adledger_env):
    path = settings().warehouse
    path.parent.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(path)) as con:
        build(con)
    return path


def _rows(path, sql: str) -> list[tuple]:
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute(sql).fetchall()


def test_the_erasure_asset_does_the_requests_and_reports_them(warehouse):
    from dagster_project.defs.privacy.assets import ERASED_SUBJECTS, ERASURE_AUDIT, privacy_erasure

    result = dg.materialize([privacy_erasure])
    assert result.success
    metadata = {m.asset_key: m.metadata for m in result.get_asset_materialization_events()
                for m in [m.step_materialization_data.materialization]}
    assert metadata[ERASURE_AUDIT]["requests_done"].value == ["dsr_1", "dsr_2"]
    assert metadata[ERASURE_AUDIT]["rows_removed"].value == 20
    assert metadata[ERASED_SUBJECTS]["identifiers"].value == 12
    assert _rows(warehouse, "select request_id from quality.erasure_audit order by 1") == [("dsr_1",), ("dsr_2",)]


def test_the_erasure_asset_says_which_secret_it_needs(warehouse, monkeypatch):
    from dagster_project.defs.privacy.assets import privacy_erasure

    monkeypatch.delenv("SOURCES__EMAIL_SALT")
    result = dg.materialize([privacy_erasure], raise_on_error=False)
    assert not result.success
    (failure,) = [e for e in result.all_events if e.event_type_value == "STEP_FAILURE"]
    assert "SOURCES__EMAIL_SALT" in failure.event_specific_data.error.message


def test_retention_purges_events_older_than_the_window_before_the_newest(warehouse):
    from dagster_project.lib.retention import purge_raw_events

    done_at = datetime(2026, 2, 1, tzinfo=timezone.utc)
    with duckdb.connect(str(warehouse)) as con:
        con.execute("set TimeZone = 'UTC'")
        # the newest event is 2026-01-03 13:00: with 2 days, e1 (01-01 10:00) and e2 (01-01 09:00) are older than
        # the cutoff 01-01 13:00; an event exactly at the cutoff stays
        con.execute("insert into raw_tracker.events values "
                    "('e0', '2026-01-01 13:00:00+00', 'a0', null, 'd0', null, null, 'l1')")
        purges = purge_raw_events(con, days=2, done_at=done_at)
    cutoff = datetime(2026, 1, 1, 13, tzinfo=timezone.utc)
    assert [(p.table, p.cutoff, p.rows_removed) for p in purges] == [
        ("raw_tracker.events", cutoff, 2), ("raw_tracker_staging.events", cutoff, 1)]
    assert _rows(warehouse, "select message_id from raw_tracker.events order by 1") == \
        [(m,) for m in ("e0", "e3", "e4", "e5", "e6", "e7", "e8")]
    assert _rows(warehouse, "select table_name, retention_days, cutoff, rows_removed, done_at "
                            "from quality.retention_audit order by 1") == [
        ("raw_tracker.events", 2, cutoff, 2, done_at), ("raw_tracker_staging.events", 2, cutoff, 1, done_at)]


def test_the_retention_asset_reads_the_configured_days(warehouse, monkeypatch):
    from dagster_project.defs.privacy.assets import retention_audit

    monkeypatch.setenv("ADLEDGER_RAW_RETENTION_DAYS", "1")
    assert dg.materialize([retention_audit]).success
    # newest 01-03 13:00, cutoff 01-02 13:00: e1, e2, e3, e4 go
    assert _rows(warehouse, "select message_id from raw_tracker.events order by 1") == \
        [(m,) for m in ("e5", "e6", "e7", "e8")]
    monkeypatch.setenv("ADLEDGER_RAW_RETENTION_DAYS", "0")
    with pytest.raises(ValueError, match="ADLEDGER_RAW_RETENTION_DAYS"):
        settings()


def test_the_privacy_assets_sit_between_ingestion_and_dbt_with_a_daily_retention_schedule():
    from dagster_project.definitions import defs as load

    defs = load()
    graph = defs.resolve_asset_graph()
    audit = dg.AssetKey(["quality", "erasure_audit"])
    assert {dg.AssetKey(["raw_tracker", "events"]), dg.AssetKey(["raw_first_party", "deletion_requests"])} <= \
        graph.get(audit).parent_keys
    # dbt reads the audit, so the dbt step of a run waits for the erasure
    for model in ("stg_first_party__deletion_requests", "stg_tracker__events"):
        assert audit in graph.get(dg.AssetKey(["staging", model])).parent_keys, model
    assert graph.get(audit).pools == {"warehouse_writer"}
    schedule = defs.resolve_schedule_def("raw_retention_daily")
    assert schedule.cron_schedule == "30 3 * * *"
    job = defs.resolve_job_def(schedule.job_name)
    assert job.asset_layer.executable_asset_keys == {dg.AssetKey(["quality", "retention_audit"])}

"""One writer at a time: the instance snippet limits the `warehouse_writer` pool to one step, and every step that
writes the warehouse is in that pool."""

from __future__ import annotations

import shutil
from pathlib import Path

import dagster as dg

from dagster_project.lib.env import WAREHOUSE_WRITER_POOL

SNIPPET = Path(__file__).resolve().parents[3] / "dagster_project" / "dagster.yaml"
WAREHOUSE_SCHEMAS = ("staging", "intermediate", "marts", "quality")


def test_the_instance_snippet_admits_one_warehouse_writer_at_a_time(tmp_path):
    shutil.copy(SNIPPET, tmp_path / "dagster.yaml")
    with dg.DagsterInstance.from_config(str(tmp_path)) as instance:
        config = instance.get_concurrency_config()
        assert config.pool_config.default_pool_limit == 1
        assert instance.freshness_enabled
        storage = instance.event_log_storage
        storage.initialize_concurrency_limit_to_default(WAREHOUSE_WRITER_POOL)
        assert storage.get_concurrency_info(WAREHOUSE_WRITER_POOL).slot_count == 1

        first = storage.claim_concurrency_slot(WAREHOUSE_WRITER_POOL, "run-a", "dbt_models")
        second = storage.claim_concurrency_slot(WAREHOUSE_WRITER_POOL, "run-b", "tracker")
        assert first.is_claimed and not second.is_claimed  # the second writer waits

        storage.free_concurrency_slot_for_step("run-a", "dbt_models")
        assert storage.claim_concurrency_slot(WAREHOUSE_WRITER_POOL, "run-b", "tracker").is_claimed


def test_every_step_that_writes_the_warehouse_is_in_the_writer_pool(code_location):
    writers = {}
    for assets_def in code_location.assets:
        if not isinstance(assets_def, dg.AssetsDefinition) or not assets_def.is_executable:
            continue
        for key in assets_def.keys:
            if key.path[0].startswith("raw_") or key.path[0] in WAREHOUSE_SCHEMAS or key.to_user_string() == (
                    "publish/published_snapshot"):
                writers[key.to_user_string()] = assets_def.op.pool
    assert writers and set(writers.values()) == {WAREHOUSE_WRITER_POOL}, writers
    gx_pools = {c.node_def.pool for c in [*(code_location.assets or []), *(code_location.asset_checks or [])]
                if isinstance(c, dg.AssetChecksDefinition) and any(k.name.startswith("gx_") for k in c.check_keys)}
    assert gx_pools == {WAREHOUSE_WRITER_POOL}

"""What BI readers get: the published snapshot of the marts, their Parquet exports, and the report page.

`publish/published_snapshot` depends on every `marts/*` asset: `definitions.py` adds it with
`with_published_snapshot` once the other folders are loaded, so a new mart is published without touching this
file. It runs only when the marts' blocking checks passed: in a run, a failed blocking check stops it like any
downstream step; run on its own, it refuses when the latest evaluation of a mart's blocking check failed. Either
way the previous snapshot and exports stay as they were.
"""

import dagster as dg
import duckdb
from dagster._core.storage.asset_check_execution_record import AssetCheckExecutionRecordStatus

from dagster_project.lib.env import WAREHOUSE_WRITER_POOL, current
from dagster_project.lib.publish import export_parquet, publish_snapshot, read_meta

GROUP = "publish"
MARTS_SCHEMA = "marts"
PUBLISHED_SNAPSHOT = dg.AssetKey([GROUP, "published_snapshot"])
MARTS_PARQUET = dg.AssetKey([GROUP, "marts_parquet"])
REPORT = dg.AssetKey([GROUP, "report"])

_EVALUATED = {AssetCheckExecutionRecordStatus.SUCCEEDED, AssetCheckExecutionRecordStatus.FAILED}
GUARD_METADATA = "adledger/blocking_checks_of_marts"


def failed_checks(instance: dg.DagsterInstance, check_keys: list[dg.AssetCheckKey]) -> list[str]:
    """`asset: check` for each of `check_keys` whose latest evaluation did not pass."""
    failed = []
    for check_key in sorted(check_keys, key=lambda k: k.to_user_string()):
        latest = instance.event_log_storage.get_asset_check_execution_history(check_key, limit=1, status=_EVALUATED)
        if latest and latest[0].status == AssetCheckExecutionRecordStatus.FAILED:
            failed.append(f"{check_key.asset_key.to_user_string()}: {check_key.name}")
    return failed


def _warehouse_tables(schema: str) -> set[str]:
    with duckdb.connect(str(current().warehouse), read_only=True) as con:
        return {r[0] for r in con.execute(
            "select table_name from information_schema.tables where table_schema = ?", [schema]).fetchall()}


def published_snapshot_asset(marts: list[dg.AssetKey], guarded: list[dg.AssetCheckKey]) -> dg.AssetsDefinition:
    """The snapshot asset, depending on `marts` and refusing to publish while one of `guarded` (their blocking
    checks) last failed."""

    @dg.asset(
        key=PUBLISHED_SNAPSHOT,
        deps=marts,
        group_name=GROUP,
        pool=WAREHOUSE_WRITER_POOL,  # it attaches the warehouse file, so it waits for the writer to finish
        kinds={"duckdb"},
        metadata={GUARD_METADATA: dg.MetadataValue.json([k.to_user_string() for k in guarded])},
        description="`data/published.duckdb`: every mart, copied into a new file and swapped in atomically (readers "
                    "never see a half-written mart). Row counts and checksums in `meta.snapshot_tables`.",
    )
    def published_snapshot(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
        cfg = current()
        failed = failed_checks(context.instance, guarded)
        if failed:
            raise dg.Failure(
                description="not publishing: blocking checks of the marts failed: " + "; ".join(failed),
                metadata={"failed_checks": dg.MetadataValue.json(failed), "kept": str(cfg.published)},
            )
        present = _warehouse_tables(MARTS_SCHEMA)
        tables = sorted(k.path[-1] for k in marts if k.path[-1] in present)
        missing = sorted(k.to_user_string() for k in marts if k.path[-1] not in present)
        snapshot = publish_snapshot(cfg.warehouse, cfg.published, tables, schema=MARTS_SCHEMA, run_id=context.run_id)
        context.log.info(f"published {len(snapshot.tables)} marts to {snapshot.path}")
        return dg.MaterializeResult(metadata={
            "path": str(snapshot.path),
            "snapshot_id": snapshot.snapshot_id,
            "tables": dg.MetadataValue.json({t.name: {"rows": t.rows, "checksum": t.checksum}
                                             for t in snapshot.tables}),
            "marts_not_built_yet": dg.MetadataValue.json(missing),
        })

    return published_snapshot


@dg.asset(
    key=MARTS_PARQUET,
    deps=[PUBLISHED_SNAPSHOT],
    group_name=GROUP,
    kinds={"parquet"},
    description="`data/exports/<mart>.parquet`: each mart of the published snapshot (temp file, then rename).",
)
def marts_parquet(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
    cfg = current()
    files = export_parquet(cfg.published, cfg.exports_dir, schema=MARTS_SCHEMA)
    return dg.MaterializeResult(metadata={"files": dg.MetadataValue.json([str(f) for f in files])})


@dg.asset(
    key=REPORT,
    deps=[PUBLISHED_SNAPSHOT, MARTS_PARQUET],
    group_name=GROUP,
    pool=WAREHOUSE_WRITER_POOL,  # besides the snapshot it reads the warehouse's quality tables (read-only)
    kinds={"html"},
    description="`data/report.html`: the closed-loop report (`adledger.report`), from the published snapshot.",
)
def report(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
    from adledger.report import write_report

    cfg = current()
    out = write_report(cfg.report, cfg=cfg)
    return dg.MaterializeResult(metadata={"path": str(out), "marts": len(read_meta(cfg.published)),
                                          "bytes": out.stat().st_size})


def with_published_snapshot(defs: dg.Definitions) -> dg.Definitions:
    """`defs` plus the snapshot asset, depending on every `marts/*` asset of `defs` and guarded by their blocking
    checks (the marts come from several integrations; a new one is published without touching this file)."""
    graph = defs.resolve_asset_graph()
    marts = sorted((k for k in graph.materializable_asset_keys if k.path[0] == MARTS_SCHEMA), key=lambda k: k.path)
    guarded = [k for k in sorted(graph.get_check_keys_for_assets(set(marts)), key=lambda k: k.to_user_string())
               if graph.get(k).blocking]
    return dg.Definitions.merge(defs, dg.Definitions(assets=[published_snapshot_asset(marts, guarded)]))

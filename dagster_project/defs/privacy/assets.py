"""Privacy assets: the right to erasure between raw ingestion and dbt, and the retention of raw tracker events.

* `privacy_erasure` materializes `quality/erasure_audit` and `quality/erased_subjects`. It reads the tracker and
  first-party raw tables it cleans, so in a run it follows their ingestion; dbt's staging of deletion requests reads
  the audit (their `erased_at`), so the dbt step follows it and rebuilds every table from the cleaned raw data, and
  publishing follows the marts. See `dagster_project/lib/erasure.py` for what is removed and how.
* `quality/retention_audit` purges raw tracker events older than `ADLEDGER_RAW_RETENTION_DAYS` (default 400),
  started daily by the `raw_retention_daily` schedule.
"""

import dagster as dg

from dagster_project.lib.analytics_io import warehouse
from dagster_project.lib.env import WAREHOUSE_WRITER_POOL, current
from dagster_project.lib.erasure import erase
from dagster_project.lib.keys import raw_key
from dagster_project.lib.retention import purge_raw_events

GROUP = "quality"
ERASURE_AUDIT = dg.AssetKey(["quality", "erasure_audit"])
ERASED_SUBJECTS = dg.AssetKey(["quality", "erased_subjects"])
RETENTION_AUDIT = dg.AssetKey(["quality", "retention_audit"])
#: the raw tables that hold a person's rows or name them (the affiliate's actions carry order ids) and the requests:
#: the erasure runs after they are loaded
ERASURE_INPUTS = [raw_key("tracker", "events"), raw_key("tracker", "quarantined_rows"),
                  raw_key("affiliate", "actions"),
                  *(raw_key("first_party", t) for t in ("orders", "order_items", "customers", "consent_changes",
                                                        "deletion_requests"))]


def email_salt() -> str:
    """The e-mail salt of the dlt sources (`SOURCES__EMAIL_SALT` or `[sources] email_salt` in secrets): the erasure
    keys its hashes of erased identifiers with it."""
    import dlt

    salt = dlt.secrets.get("sources.first_party.email_salt") or dlt.secrets.get("sources.email_salt")
    if not salt:
        raise dg.Failure(description="the erasure needs the e-mail salt: set SOURCES__EMAIL_SALT or `email_salt` "
                                     "under [sources] in .dlt/secrets.toml")
    return str(salt)


@dg.multi_asset(
    name="privacy_erasure",
    specs=[
        dg.AssetSpec(ERASURE_AUDIT, deps=ERASURE_INPUTS, group_name=GROUP, kinds={"duckdb"},
                     description="One row per deletion request done: request id, hashed subject, tables touched, rows "
                                 "removed per table, rows pseudonymized per table, done_at."),
        dg.AssetSpec(ERASED_SUBJECTS, deps=ERASURE_INPUTS, group_name=GROUP, kinds={"duckdb"},
                     description="Keyed hashes of every erased identifier; rows that come back with them (a "
                                 "re-exported or re-read file) are removed again on every run."),
    ],
    pool=WAREHOUSE_WRITER_POOL,
)
def privacy_erasure(context: dg.AssetExecutionContext):
    """Carry out new deletion requests across raw, staging, intermediate, marts and analytics in one transaction."""
    salt = email_salt()
    with warehouse() as con:
        result = erase(con, salt)
        (subjects,) = con.execute("select count(*) from quality.erased_subjects").fetchone()
    context.log.info(f"erasure: {len(result.requests_done)} new request(s), {result.rows_removed} row(s) removed")
    removed = {f"{request}/{action}": tables for (request, action), tables in sorted(result.removed.items())}
    blanked = {f"{request}/{action}": tables for (request, action), tables in sorted(result.pseudonymized.items())}
    yield dg.MaterializeResult(asset_key=ERASURE_AUDIT, metadata={
        "requests_done": dg.MetadataValue.json(result.requests_done),
        "rows_removed": result.rows_removed,
        "rows_removed_per_request": dg.MetadataValue.json(removed),
        "rows_pseudonymized_per_request": dg.MetadataValue.json(blanked),
        "tables_scanned": result.tables_scanned,
    })
    yield dg.MaterializeResult(asset_key=ERASED_SUBJECTS, metadata={"identifiers": int(subjects)})


@dg.asset(
    key=RETENTION_AUDIT,
    group_name=GROUP,
    pool=WAREHOUSE_WRITER_POOL,
    kinds={"duckdb"},
    description="Purges raw tracker events older than ADLEDGER_RAW_RETENTION_DAYS (default 400) days before the "
                "newest event; one audit row per table purged.",
)
def retention_audit(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
    days = current().raw_retention_days
    with warehouse() as con:
        purges = purge_raw_events(con, days)
    for purge in purges:
        context.log.info(f"retention: {purge.rows_removed} row(s) before {purge.cutoff} removed from {purge.table}")
    return dg.MaterializeResult(metadata={
        "retention_days": days,
        "rows_removed": dg.MetadataValue.json({p.table: p.rows_removed for p in purges}),
        "cutoff": str(purges[0].cutoff) if purges else "",
    })

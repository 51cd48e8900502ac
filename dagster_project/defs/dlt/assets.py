"""dlt sources as Dagster assets: one asset per dlt table, keyed `raw_<source>/<table>`.

The source instances passed to `@dlt_assets` only describe the tables (asset specs); each run builds its source
from dlt config (`SOURCES__<NAME>__*`, `.dlt/` files), as `adledger ingest` does.

The ad-platform APIs and the tracker are partitioned by day (`dagster_project/lib/partitions.py`): a run of a range
of days calls the source for exactly those days (API report days; tracker delivery-day folders). First-party exports
are whole-table snapshots and are not partitioned.
"""

import importlib
from collections.abc import Callable, Iterator

import dagster as dg
from dagster_dlt import DagsterDltResource, dlt_assets

from dagster_project.lib.env import WAREHOUSE_WRITER_POOL
from dagster_project.lib.keys import DltTranslator
from dagster_project.lib.partitions import DAILY, SINGLE_RUN, days_between, partition_days
from dagster_project.lib.retries import INGESTION_RETRY, retry_transient
from ingestion.pipelines import API_SOURCES, load_pending, pipeline

#: placeholders for what each source requires from config, so its tables can be described without credentials
_SPEC_ARGS: dict[str, dict] = {
    "tracker": {"path": "-", "email_salt": "-", "ip_hash_key": "-"},
    "first_party": {"path": "-", "email_salt": "-"},
    "google_ads": {"developer_token": "-", "client_id": "-", "client_secret": "-", "refresh_token": "-"},
    "microsoft_ads": {"developer_token": "-", "client_id": "-", "client_secret": "-", "refresh_token": "-",
                      "customer_id": "-", "account_ids": []},
    "meta_ads": {"access_token": "-", "account_ids": []},
    "tiktok_ads": {"access_token": "-", "advertiser_ids": []},
    "affiliate": {"account_sid": "-", "auth_token": "-"},
    "esp": {"api_key": "-"},
}
_DESCRIPTIONS = {
    "tracker": "New tracker files (`sources.tracker.path`) into `raw_tracker`, PII hashed, bad lines quarantined.",
    "first_party": "The shop's exports (`sources.first_party.path`) into `raw_first_party`, e-mails hashed.",
}


def _source_factory(name: str) -> Callable:
    return getattr(importlib.import_module(f"ingestion.{name}"), name)


#: sources loaded by day, and how a run of days [first, last] calls each
PARTITIONED = {"tracker", *API_SOURCES}


def _partition_arguments(name: str, context: dg.AssetExecutionContext) -> dict:
    """The source's arguments for the days this run materializes (none for an unpartitioned source)."""
    if name not in PARTITIONED:
        return {}
    first, last = partition_days(context)
    if name == "tracker":
        return {"days": days_between(first, last)}
    return {"start_date": str(first), "end_date": str(last)}


def _dlt_source_assets(name: str) -> dg.AssetsDefinition:
    factory = _source_factory(name)
    partitioned = name in PARTITIONED

    @dlt_assets(
        dlt_source=factory(**_SPEC_ARGS[name]),
        dlt_pipeline=pipeline(name),
        name=name,
        dagster_dlt_translator=DltTranslator(),
        pool=WAREHOUSE_WRITER_POOL,
        partitions_def=DAILY if partitioned else None,
        backfill_policy=SINGLE_RUN if partitioned else None,
    )
    @retry_transient(INGESTION_RETRY)  # dlt_assets takes no retry_policy: transient source errors retried with backoff
    def _assets(context: dg.AssetExecutionContext, dlt: DagsterDltResource) -> Iterator:
        pipe = pipeline(name)
        load_pending(pipe)  # a crashed run left rows and their cursor in a package: load them first
        source = factory(**_partition_arguments(name, context))
        yield from dlt.run(context=context, dlt_source=source, dlt_pipeline=pipe)

    _assets.__doc__ = _DESCRIPTIONS.get(name, f"The {name} API into `raw_{name}`, incremental by day with a "
                                              "restatement lookback.")
    return _assets


source_assets = [_dlt_source_assets(name) for name in ("tracker", "first_party", *API_SOURCES)]

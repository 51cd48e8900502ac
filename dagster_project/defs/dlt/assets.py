"""dlt sources as Dagster assets: one asset per dlt table, keyed `raw_<source>/<table>`."""


import dagster as dg
from dagster_dlt import DagsterDltResource, dlt_assets

from dagster_project.lib.env import WAREHOUSE_WRITER_POOL
from dagster_project.lib.keys import DltTranslator
from dagster_project.lib.retries import INGESTION_RETRY, retry_transient
from ingestion.first_party import first_party
from ingestion.pipelines import pipeline
from ingestion.tracker import tracker

# The source instance here only describes the tables (asset specs); runs resolve path and secrets from dlt config.
_TRACKER_SPEC = tracker(path="configured-at-run-time", email_salt="unused", ip_hash_key="unused")


@dlt_assets(
    dlt_source=_TRACKER_SPEC,
    dlt_pipeline=pipeline("tracker"),
    name="tracker",
    dagster_dlt_translator=DltTranslator(),
    pool=WAREHOUSE_WRITER_POOL,
)
@retry_transient(INGESTION_RETRY)  # dlt_assets takes no retry_policy: transient source errors retried with backoff
def tracker_assets(context: dg.AssetExecutionContext, dlt: DagsterDltResource):
    """New tracker files (`sources.tracker.path`) into `raw_tracker`, PII hashed, bad lines quarantined."""
    yield from dlt.run(context=context, dlt_source=tracker(), dlt_pipeline=pipeline("tracker"))


@dlt_assets(
    dlt_source=first_party(path="configured-at-run-time", email_salt="unused"),
    dlt_pipeline=pipeline("first_party"),
    name="first_party",
    dagster_dlt_translator=DltTranslator(),
    pool=WAREHOUSE_WRITER_POOL,
)
def first_party_assets(context: dg.AssetExecutionContext, dlt: DagsterDltResource):
    """The shop's exports (`sources.first_party.path`) into `raw_first_party`, e-mails hashed."""
    yield from dlt.run(context=context, dlt_source=first_party(), dlt_pipeline=pipeline("first_party"))

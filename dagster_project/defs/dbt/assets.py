"""Every dbt model, seed and test as Dagster assets and asset checks (`dbt build`)."""


import dagster as dg
from dagster_dbt import DbtCliResource, dbt_assets

from dagster_project.lib.dbt_project import dbt_project
from dagster_project.lib.env import WAREHOUSE_WRITER_POOL, export_dbt_environment
from dagster_project.lib.keys import DbtTranslator


#: models that read what the Python analytics assets wrote (e.g. data-driven attribution credits) and their
#: dependants: a second dbt step after those assets, so one run goes dbt → analytics → dbt
AFTER_ANALYTICS = "tag:after_analytics"


@dbt_assets(
    manifest=dbt_project().manifest_path,
    project=dbt_project(),
    dagster_dbt_translator=DbtTranslator(),
    name="dbt_models",
    exclude=AFTER_ANALYTICS,
    pool=WAREHOUSE_WRITER_POOL,
)
def dbt_models(context: dg.AssetExecutionContext, dbt: DbtCliResource):
    export_dbt_environment()
    yield from dbt.cli(["build"], context=context).stream()


@dbt_assets(
    manifest=dbt_project().manifest_path,
    project=dbt_project(),
    dagster_dbt_translator=DbtTranslator(),
    name="dbt_models_after_analytics",
    select=AFTER_ANALYTICS,
    pool=WAREHOUSE_WRITER_POOL,
)
def dbt_models_after_analytics(context: dg.AssetExecutionContext, dbt: DbtCliResource):
    export_dbt_environment()
    yield from dbt.cli(["build"], context=context).stream()

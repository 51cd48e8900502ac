"""Every dbt model, seed and test as Dagster assets and asset checks (`dbt build`), in two steps.

Models tagged `after_analytics` read what the Python analytics assets wrote (e.g. data-driven attribution credits);
they and their dependants form a second dbt step after those assets, so one run goes dbt → analytics → dbt.
"""

import dagster as dg
from dagster_dbt import DbtCliResource, dbt_assets

from dagster_project.lib.dbt_project import dbt_project
from dagster_project.lib.env import WAREHOUSE_WRITER_POOL, export_dbt_environment
from dagster_project.lib.keys import DbtTranslator

AFTER_ANALYTICS = "tag:after_analytics"


def _dbt_step(name: str, **selection: str) -> dg.AssetsDefinition:
    @dbt_assets(
        manifest=dbt_project().manifest_path,
        project=dbt_project(),
        dagster_dbt_translator=DbtTranslator(),
        name=name,
        pool=WAREHOUSE_WRITER_POOL,
        **selection,
    )
    def _models(context: dg.AssetExecutionContext, dbt: DbtCliResource):
        export_dbt_environment()
        yield from dbt.cli(["build"], context=context).stream()

    return _models


dbt_models = _dbt_step("dbt_models", exclude=AFTER_ANALYTICS)
dbt_models_after_analytics = _dbt_step("dbt_models_after_analytics", select=AFTER_ANALYTICS)

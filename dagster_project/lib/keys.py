"""One asset-key convention for the whole graph: `[schema, table]` as the warehouse names it.

A dlt table `raw_<source>.<table>` and the dbt source that reads it get the same key, so lineage is one graph
without a hand-kept map; dbt models are keyed by the schema their folder writes to.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings
from dagster_dlt import DagsterDltTranslator
from dagster_dlt.translator import DltResourceTranslatorData


def raw_key(source_name: str, table: str) -> dg.AssetKey:
    return dg.AssetKey([f"raw_{source_name}", table])


def _group_for_schema(schema: str) -> str:
    """Every `raw_<source>` schema is the `raw` group; dbt's schemas (staging, intermediate, marts, quality) name theirs."""
    return "raw" if schema.startswith("raw_") else schema


class DltTranslator(DagsterDltTranslator):
    """dlt resource → `raw_<source>/<table>`, group `raw`, no upstream asset."""

    def get_asset_spec(self, data: DltResourceTranslatorData) -> dg.AssetSpec:
        spec = super().get_asset_spec(data)
        return spec.replace_attributes(
            key=raw_key(data.resource.source_name, data.resource.table_name or data.resource.name),
            deps=[],
            group_name="raw",
        )


class DbtTranslator(DagsterDbtTranslator):
    """dbt node → `[schema, name]` (sources: `[source schema, table]`), group = layer, owners from `meta.owner`."""

    def __init__(self) -> None:
        super().__init__(settings=DagsterDbtTranslatorSettings(enable_asset_checks=True))

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> dg.AssetKey:
        if dbt_resource_props["resource_type"] == "source":
            return dg.AssetKey([dbt_resource_props["schema"], dbt_resource_props["identifier"]])
        return dg.AssetKey([dbt_resource_props["schema"], dbt_resource_props["alias"] or dbt_resource_props["name"]])

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        return _group_for_schema(dbt_resource_props["schema"])

    def get_owners(self, dbt_resource_props: Mapping[str, Any]) -> list[str] | None:
        owner = (dbt_resource_props.get("meta") or {}).get("owner") or (
            dbt_resource_props.get("config", {}).get("meta") or {}
        ).get("owner")
        return [owner] if owner else None

"""What the tests compare: spend per account and account-local day in the raw tables, and in the world's truth."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import duckdb

from adledger.config import settings

AD_PLATFORMS = ("google_ads", "microsoft_ads", "meta_ads", "tiktok_ads")

#: spend per (account, account-local day) in the raw table of each platform, account currency
RAW_SPEND = {
    "google_ads": "select customer_id, cast(date as varchar), sum(cost_micros) * 0.000001 "
                  "from raw_google_ads.keyword_stats group by 1, 2",
    "microsoft_ads": "select account_id, cast(time_period as varchar), sum(cast(spend as decimal(18, 6))) "
                     "from raw_microsoft_ads.keyword_stats group by 1, 2",
    "meta_ads": "select account_id, cast(date_start as varchar), sum(cast(spend as decimal(18, 6))) "
                "from raw_meta_ads.ad_insights group by 1, 2",
    "tiktok_ads": "select advertiser_id, cast(stat_date as varchar), sum(cast(spend as decimal(18, 6))) "
                  "from raw_tiktok_ads.ad_report group by 1, 2",
}
#: the natural key of each raw table (one row per key) and the table
RAW_KEYS = {
    "google_ads": ("raw_google_ads.keyword_stats", "customer_id, campaign_id, ad_group_id, criterion_id, date"),
    "microsoft_ads": ("raw_microsoft_ads.keyword_stats",
                      "account_id, campaign_id, ad_group_id, keyword_id, ad_id, time_period"),
    "meta_ads": ("raw_meta_ads.ad_insights", "account_id, ad_id, date_start"),
    "tiktok_ads": ("raw_tiktok_ads.ad_report", "advertiser_id, ad_id, stat_date"),
}
#: the same grain in the world's delivery.parquet (what the emulator aggregates to)
DELIVERY_GRAIN = {
    "google_ads": "account_id, campaign_id, adgroup_id, keyword_id, date",
    "microsoft_ads": "account_id, campaign_id, adgroup_id, keyword_id, ad_id, date",
    "meta_ads": "account_id, ad_id, date",
    "tiktok_ads": "account_id, ad_id, date",
}


def query(sql: str) -> list[tuple]:
    with duckdb.connect(str(settings().warehouse), read_only=True) as con:
        return con.execute(sql).fetchall()


def raw_spend(platform: str) -> dict[tuple[str, str], Decimal]:
    return {(str(a), d): Decimal(s) for a, d, s in query(RAW_SPEND[platform])}


def truth_spend(world: Path, platform: str, restated: bool = False) -> dict[tuple[str, str], Decimal]:
    """`truth/spend_account_daily.parquet` of one platform, to the cent, before or after the 3-day restatement."""
    column = "restated_spend" if restated else "spend"
    with duckdb.connect() as con:
        rows = con.execute(
            f"select account_id, date, cast({column} as decimal(18, 2)) "
            f"from '{world}/truth/spend_account_daily.parquet' where platform = ?", [platform]).fetchall()
    return {(str(a), d): Decimal(s) for a, d, s in rows}


def expected_rows(world: Path, platform: str) -> int:
    """Rows the platform's report has for the whole world: distinct units at its grain with any delivery."""
    with duckdb.connect() as con:
        return con.execute(
            f"select count(*) from (select distinct {DELIVERY_GRAIN[platform]} "
            f"from '{world}/platforms/delivery.parquet' where platform = ?)", [platform]).fetchone()[0]


def duplicate_keys(platform: str) -> int:
    table, key = RAW_KEYS[platform]
    return query(f"select count(*) from (select {key} from {table} group by all having count(*) > 1)")[0][0]


def day_fingerprints(platform: str) -> dict[tuple[str, str], str]:
    """A digest of every row's reported values per (account, day): equal digests, unchanged day."""
    table, key = RAW_KEYS[platform]
    account, day = key.split(", ")[0], key.split(", ")[-1]
    data = ", ".join(c for c in _value_columns(table) if not c.startswith("_dlt"))
    return {(str(a), d): h for a, d, h in query(
        f"select {account}, cast({day} as varchar), md5(string_agg(concat_ws('|', {data}), ';' order by {key})) "
        f"from {table} group by 1, 2")}


def _value_columns(table: str) -> list[str]:
    schema, name = table.split(".")
    return [r[0] for r in query(
        f"select column_name from information_schema.columns where table_schema = '{schema}' "
        f"and table_name = '{name}' order by ordinal_position")]

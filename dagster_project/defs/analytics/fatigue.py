"""Creative fatigue from platform delivery: the rows of `analytics.creative_fatigue`.

Daily impressions and clicks per ad from `marts.fct_ad_spend` (rows with an ad id: the ad platforms report ads;
vendors and fees do not) go through `adledger.analytics.fatigue.creative_fatigue`, a Poisson fit of the CTR against
the ad's age per ad. No platform in the spend mart reports reach, so the frequency term is left out.
"""

from __future__ import annotations

import duckdb
import pandas as pd

from adledger.analytics.fatigue import FATIGUE_COLUMNS, creative_fatigue
from dagster_project.lib.analytics_io import read_frame

SPEND = "marts.fct_ad_spend"
AD_COLUMNS = ("platform", "account_id", "campaign_id", "ad_group_id", "ad_id", "ad_name")


def ad_daily(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Per ad and account-local day: `creative_id` (`<platform>:<account>:<ad id>`), the AD_COLUMNS, `day`,
    `impressions`, `clicks`."""
    return read_frame(con, f"""
        select cost_source || ':' || account_id || ':' || ad_id as creative_id,
               cost_source as platform, account_id, any_value(campaign_id) as campaign_id,
               any_value(ad_group_id) as ad_group_id, ad_id, any_value(ad_name) as ad_name,
               report_date as day, sum(impressions) as impressions, sum(clicks) as clicks
        from {SPEND}
        where ad_id is not null and impressions > 0
        group by cost_source, account_id, ad_id, report_date
        order by creative_id, day
    """)


def fatigue(daily: pd.DataFrame, drop: float = 0.2) -> pd.DataFrame:
    """`creative_fatigue` per ad, with the ad's platform, account, campaign, ad group, id and name."""
    if daily.empty:
        return pd.DataFrame(columns=[*FATIGUE_COLUMNS, *AD_COLUMNS])
    result = creative_fatigue(daily[["creative_id", "day", "impressions", "clicks"]], drop=drop)
    ads = daily.groupby("creative_id", as_index=False)[list(AD_COLUMNS)].last()
    return result.merge(ads, on="creative_id", how="left")

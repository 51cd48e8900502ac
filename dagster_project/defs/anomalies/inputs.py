"""The detector inputs (`adledger.analytics.anomalies.DetectorInputs`) read from the warehouse's dbt models.

Spend per campaign and account-local day of bought media (CPC and CPM: flat fees, commissions and per-send
costs follow contracts, not auctions) comes from `marts.fct_ad_spend` (reporting currency), its last-touch
conversions and revenue from `marts.fct_attributed_conversions` joined to the touchpoint's campaign; events per
received hour from `staging.stg_tracker__events`; the click mix per day and click id type from
`intermediate.int_sessions_classified`; per-click fraud flags from `intermediate.int_sessions_fraud_flagged`; each
order's last click (click flooding) from `intermediate.int_conversions_last_click` with the order's revenue from
`marts.fct_conversions`; and the attributed-share drift from `analytics.attribution_drift` when it exists.
"""

from __future__ import annotations

import duckdb
import pandas as pd

from adledger.analytics.anomalies import DetectorInputs
from adledger.analytics.anomalies.records import CLICK_ID_PLATFORM
from dagster_project.lib.analytics_io import read_frame, relation_exists

#: the attribution model whose conversions CPA and ROAS use
KPI_MODEL = "last_touch"
INPUT_KEYS = ("marts/fct_ad_spend", "marts/fct_attributed_conversions", "marts/fct_touchpoints",
              "marts/fct_conversions", "intermediate/int_sessions_classified",
              "intermediate/int_sessions_fraud_flagged", "intermediate/int_conversions_last_click",
              "staging/stg_tracker__events", "analytics/attribution_drift")

CAMPAIGN_DAILY_SQL = f"""
with spend as (
    select report_date as day, cost_source as platform, channel, campaign_id, max(campaign_name) as campaign,
           sum(cast(spend_reporting as double)) as spend, sum(impressions) as impressions, sum(clicks) as clicks
    from marts.fct_ad_spend
    where campaign_id is not null and cost_type in ('cpc', 'cpm')
    group by report_date, cost_source, channel, campaign_id
),
credits as (
    select credits.conversion_date as day, touchpoints.utm_campaign as campaign_id,
           sum(credits.credit) as conversions, sum(cast(credits.revenue_credit_reporting as double)) as revenue
    from marts.fct_attributed_conversions as credits
    inner join marts.fct_touchpoints as touchpoints on credits.touchpoint_id = touchpoints.touchpoint_id
    where credits.model = '{KPI_MODEL}'
    group by credits.conversion_date, touchpoints.utm_campaign
)
select spend.*, coalesce(credits.conversions, 0) as conversions, coalesce(credits.revenue, 0) as revenue
from spend
left join credits on spend.day = credits.day and spend.campaign_id = credits.campaign_id
order by spend.day, spend.platform, spend.campaign_id
"""

HOURLY_SQL = """
select date_trunc('hour', received_at) as hour, count(*) as events,
       count(*) filter (where is_conversion) as conversions
from staging.stg_tracker__events
where received_at is not null
group by 1
order by 1
"""

SESSIONS_SQL = """
select session_date as day, click_id_type, channel, utm_source, utm_medium, count(*) as sessions
from intermediate.int_sessions_classified
group by all
"""

CLICKS_SQL = """
with names as (
    select campaign_id, max(cost_source) as platform, max(campaign_name) as campaign
    from marts.fct_ad_spend
    where campaign_id is not null
    group by campaign_id
),
revenue as (
    select session_id, sum(cast(revenue_reporting as double)) as revenue
    from marts.fct_conversions
    group by session_id
)
select flagged.session_id, flagged.session_started_at as started_at, flagged.click_id_type,
       names.platform as campaign_platform, flagged.channel, flagged.utm_campaign as campaign_id, names.campaign,
       case when flagged.channel = 'affiliate' then flagged.utm_content end as partner,
       flagged.ip_prefix, flagged.device_id, flagged.is_datacenter_ip, flagged.is_bot_user_agent,
       flagged.is_click_injection, cast(flagged.seconds_to_conversion as double) as seconds_to_conversion,
       revenue.revenue
from intermediate.int_sessions_fraud_flagged as flagged
left join names on flagged.utm_campaign = names.campaign_id
left join revenue on flagged.session_id = revenue.session_id
"""

LAST_CLICKS_SQL = """
select last_click.order_id, last_click.session_id, last_click.converted_at,
       cast(last_click.seconds_to_order as double) as seconds_to_order,
       cast(conversions.revenue_reporting as double) as revenue
from intermediate.int_conversions_last_click as last_click
left join marts.fct_conversions as conversions on last_click.order_id = conversions.order_id
"""


def load_inputs(con: duckdb.DuckDBPyConnection) -> DetectorInputs:
    """The detector inputs from the warehouse behind `con`."""
    clicks = read_frame(con, CLICKS_SQL)
    clicks["platform"] = clicks["click_id_type"].map(CLICK_ID_PLATFORM).fillna(clicks["campaign_platform"])
    clicks = clicks.drop(columns=["click_id_type", "campaign_platform"])
    drift = read_frame(con, "select model, day, channel, share, baseline_share from analytics.attribution_drift") \
        if relation_exists(con, "analytics.attribution_drift") else None
    return DetectorInputs(
        campaign_daily=read_frame(con, CAMPAIGN_DAILY_SQL).assign(day=lambda f: pd.to_datetime(f["day"])),
        hourly=read_frame(con, HOURLY_SQL),
        sessions=read_frame(con, SESSIONS_SQL),
        clicks=clicks,
        conversion_drift=drift,
        last_clicks=read_frame(con, LAST_CLICKS_SQL),
    )

"""Detector inputs straight from a simulated world's files (for the bench and tests; no pipeline run).

A light ledger in DuckDB over the world's tracker logs and platform delivery: spend per campaign and account-local
day (USD with the day's FX rate), events and orders per received hour, ad clicks (landing page views whose URL
carries a click id or UTM tags) with their channel from the `channel_rules` seed, the per-click fraud flags from
the `datacenter_ip_prefixes` and `bot_user_agents` seeds (the same seeds the dbt flags read), and each order's last
click (within 30 days) for conversions per campaign, click-to-order seconds and the flooding rule's last clicks. It reads no ground truth. The
warehouse path builds the same frames from the dbt marts (`dagster_project/defs/anomalies/inputs.py`).
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from adledger.analytics.anomalies.detect import DetectorInputs
from adledger.analytics.anomalies.flooding import LAST_CLICK_COLUMNS
from adledger.analytics.anomalies.records import CLICK_ID_PLATFORM

CLICK_IDS = ("gclid", "gbraid", "wbraid", "dclid", "msclkid", "fbclid", "ttclid", "li_fat_id", "irclickid", "sccid")
SPEND_CHANNEL = {"google_ads": "paid_search", "microsoft_ads": "paid_search", "meta_ads": "paid_social",
                 "tiktok_ads": "paid_social"}
#: a click and the order it leads to within this many seconds count as the same visit (the session timeout)
VISIT_SECONDS = 1800


def _param(name: str) -> str:
    return f"nullif(regexp_extract(url, '[?&]{name}=([^&#]*)', 1), '')"


EVENTS_SQL = """
create temp table events as
with lines as (
    select * from read_json('{glob}', format = 'newline_delimited', ignore_errors = true, union_by_name = true,
                            columns = {{type: 'VARCHAR', messageId: 'VARCHAR', timestamp: 'VARCHAR',
                                       receivedAt: 'VARCHAR', anonymousId: 'VARCHAR', event: 'VARCHAR',
                                       context: 'STRUCT(page STRUCT(url VARCHAR, referrer VARCHAR), ip VARCHAR,
                                                        userAgent VARCHAR, device STRUCT(id VARCHAR))',
                                       properties: 'STRUCT(order_id VARCHAR, revenue VARCHAR, currency VARCHAR)'}})
), typed as (
    select messageId as message_id, type, event, anonymousId as anonymous_id,
           try_cast(timestamp as timestamptz) as event_at, try_cast(receivedAt as timestamptz) as received_at,
           context.page.url as url, context.page.referrer as referrer, context.ip as ip,
           context.userAgent as user_agent, context.device.id as device_id,
           properties.order_id as order_id, try_cast(properties.revenue as double) as revenue,
           upper(properties.currency) as currency
    from lines
    where messageId is not null and type is not null
)
select * exclude (rn) from (
    select *, row_number() over (partition by message_id order by received_at) as rn from typed
    where event_at is not null
) where rn = 1
"""


def load_world(world: Path, seeds: Path) -> DetectorInputs:
    """The detector inputs of the world in `world` (an `adledger simulate` output), rules from the dbt `seeds`."""
    world, seeds = Path(world), Path(seeds)
    con = duckdb.connect()
    con.execute("set TimeZone = 'UTC'")
    con.execute("set enable_progress_bar = false")
    con.execute(EVENTS_SQL.format(glob=str(world / "tracker" / "**" / "*.jsonl*")))
    fx = pd.read_csv(world / "first_party" / "fx_rates.csv", dtype={"currency": str})
    con.register("fx", fx)
    hourly = con.execute("""
        select date_trunc('hour', received_at) as hour, count(*) as events,
               count(*) filter (where event = 'Order Completed') as conversions
        from events group by 1 order by 1""").df()
    clicks, orders = _clicks(con, seeds)
    daily = _campaign_daily(con, world, clicks, orders)
    sessions = (clicks.assign(day=clicks["started_at"].dt.tz_convert("UTC").dt.date)
                .groupby(["day", "click_id_type", "channel", "utm_source", "utm_medium"], dropna=False)
                .size().rename("sessions").reset_index())
    con.close()
    last_clicks = orders.rename(columns={"seconds": "seconds_to_order", "revenue_usd": "revenue"})
    return DetectorInputs(campaign_daily=daily, hourly=hourly, sessions=sessions, clicks=clicks,
                          last_clicks=last_clicks[list(LAST_CLICK_COLUMNS)])


def _clicks(con: duckdb.DuckDBPyConnection, seeds: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(ad clicks with their flags, orders with their last click within 30 days)."""
    click_type = " ".join(f"when {_param(k)} is not null then '{k}'" for k in CLICK_IDS)
    con.execute(f"""
        create temp table clicks as
        select message_id as session_id, event_at as started_at, anonymous_id, device_id, ip, user_agent,
               lower({_param('utm_source')}) as utm_source, lower({_param('utm_medium')}) as utm_medium,
               {_param('utm_campaign')} as campaign_id, {_param('utm_content')} as utm_content,
               case {click_type} end as click_id_type,
               lower(nullif(regexp_extract(referrer, '^[a-zA-Z][a-zA-Z0-9+.-]*://([^/?#:]+)', 1), '')) as referrer_host
        from events
        where type = 'page' and regexp_matches(url, '[?&](utm_[a-z]+|{"|".join(CLICK_IDS)})=')
    """)
    orders = con.execute("""
        with orders as (
            select e.anonymous_id, e.event_at, e.order_id,
                   e.revenue * coalesce(fx.usd_per_unit, 1.0) as revenue_usd
            from events e
            left join fx on fx.currency = e.currency and cast(fx.date as date) = cast(e.event_at as date)
            where e.event = 'Order Completed' and e.order_id is not null
            qualify row_number() over (partition by e.order_id order by e.event_at) = 1
        )
        select c.session_id, o.order_id, o.revenue_usd, o.event_at as converted_at,
               date_diff('millisecond', c.started_at, o.event_at) / 1000.0 as seconds
        from orders o asof join clicks c on o.anonymous_id = c.anonymous_id and o.event_at >= c.started_at
        where o.event_at <= c.started_at + interval 30 day
    """).df()
    frame = con.execute("select * from clicks").df()
    frame["channel"] = _classify(frame, seeds / "channel_rules.csv")
    frame["ip_prefix"] = frame["ip"].str.extract(r"^(\d+\.\d+\.\d+)\.\d+$")[0] + ".0/24"
    frame["is_datacenter_ip"] = _datacenter(frame["ip"], seeds / "datacenter_ip_prefixes.csv")
    frame["is_bot_user_agent"] = _bots(frame["user_agent"], seeds / "bot_user_agents.csv")
    visit = orders[orders["seconds"] <= VISIT_SECONDS].groupby("session_id").agg(
        seconds_to_conversion=("seconds", "min"), revenue=("revenue_usd", "sum"))
    frame = frame.join(visit, on="session_id")
    frame["is_click_injection"] = frame["seconds_to_conversion"].le(10).fillna(False).astype(bool)
    frame["platform"] = frame["click_id_type"].map(CLICK_ID_PLATFORM)
    frame["partner"] = frame["utm_content"].where(frame["channel"] == "affiliate")
    frame["campaign"] = None
    return frame.drop(columns=["ip", "user_agent"]), orders


def _campaign_daily(con: duckdb.DuckDBPyConnection, world: Path, clicks: pd.DataFrame, orders: pd.DataFrame
                    ) -> pd.DataFrame:
    """Spend, impressions and clicks per campaign and account-local day (USD), with last-click conversions and
    revenue; fills the clicks' campaign names."""
    for name in ("delivery", "units"):
        con.execute(f"create temp table {name} as select * from read_parquet(?)",
                    [str(world / "platforms" / f"{name}.parquet")])
    daily = con.execute("""
        select cast(d.date as date) as day, d.platform, u.channel as unit_channel, d.campaign_id,
               max(u.campaign_name) as campaign,
               sum(d.cost_micros / 1e6 * coalesce(fx.usd_per_unit, 1.0)) as spend,
               sum(d.impressions) as impressions, sum(d.clicks) as clicks
        from delivery d
        join units u on d.unit = u.unit
        left join fx on fx.currency = d.currency and cast(fx.date as date) = cast(d.date as date)
        group by all
    """).df()
    daily["channel"] = daily["platform"].map(SPEND_CHANNEL).fillna(daily["unit_channel"])
    last = orders.merge(clicks[["session_id", "campaign_id"]], on="session_id")
    last["day"] = pd.to_datetime(last["converted_at"], utc=True).dt.tz_localize(None).dt.normalize()
    conv = last.groupby(["day", "campaign_id"]).agg(conversions=("order_id", "count"),
                                                    revenue=("revenue_usd", "sum")).reset_index()
    daily["day"] = pd.to_datetime(daily["day"])
    daily = daily.merge(conv, on=["day", "campaign_id"], how="left").fillna({"conversions": 0.0, "revenue": 0.0})
    names = daily.groupby("campaign_id")["campaign"].max()
    clicks["campaign"] = clicks["campaign_id"].map(names)
    return daily.drop(columns=["unit_channel"])


def _classify(frame: pd.DataFrame, rules_csv: Path) -> pd.Series:
    """Channel of each click by the first matching rule of the seed (each distinct signature matched once)."""
    with rules_csv.open() as fh:
        rules = sorted(csv.DictReader(fh), key=lambda r: int(r["priority"]))
    cols = {"click_id_pattern": "click_id_type", "utm_medium_pattern": "utm_medium",
            "utm_source_pattern": "utm_source", "referrer_host_pattern": "referrer_host"}
    keys = list(cols.values())
    signatures = frame[keys].drop_duplicates()
    channels = []
    for sig in signatures.itertuples(index=False):
        values = dict(zip(keys, sig))
        channels.append(next(r["channel"] for r in rules if all(
            not r[p] or (isinstance(values[c], str) and re.search(r[p], values[c], re.I)) for p, c in cols.items())))
    lookup = signatures.assign(channel=channels)
    return frame[keys].merge(lookup, on=keys, how="left")["channel"].to_numpy()


def _datacenter(ips: pd.Series, seed: Path) -> np.ndarray:
    ranges = pd.read_csv(seed)
    octets = ips.str.extract(r"^(\d+)\.(\d+)\.").astype(float)
    hit = np.zeros(len(ips), dtype=bool)
    for r in ranges.itertuples():
        hit |= ((octets[0] == r.first_octet) & octets[1].between(r.second_octet_low, r.second_octet_high)).to_numpy()
    return hit


def _bots(agents: pd.Series, seed: Path) -> np.ndarray:
    with seed.open() as fh:
        pattern = re.compile("|".join(f"(?:{r['pattern']})" for r in csv.DictReader(fh)), re.I)
    distinct = {ua: bool(pattern.search(ua)) for ua in agents.dropna().unique()}  # a handful of agents
    return agents.map(distinct).fillna(False).astype(bool).to_numpy()

"""Spend and results: the headline, channels over time, attribution models side by side, and campaigns.

All from `marts.mart_channel_performance_daily` / `marts.mart_campaign_performance_daily` (grain: day × channel
[× campaign] × attribution model). Spend, impressions and clicks are the same for every model; conversions and
revenue are what the model credits. Ratios over a period are ratios of sums: CPA = Σ spend / Σ conversions,
ROAS = Σ revenue / Σ spend (the marts' definitions, dbt_project/models/marts/performance/).
"""

from __future__ import annotations

from datetime import date

from adledger.report import charts
from adledger.report.model import Column, Kpi, Period, Provenance, Section, table_from
from adledger.report.source import ReportSource

CHANNEL_PERFORMANCE = "marts.mart_channel_performance_daily"
CAMPAIGN_PERFORMANCE = "marts.mart_campaign_performance_daily"
CHANNEL_DAILY = "marts.mart_channel_daily"
MARKOV = "marts.mart_markov_removal_effects"
#: the models in the order analysts compare them (rule-based from first to last, then data-driven)
MODEL_ORDER = ("first_touch", "last_touch", "linear", "time_decay", "position_based", "markov", "shapley")
HEADLINE_MODEL = "last_touch"
TOP_CAMPAIGNS = 25
CPA = "Σ spend / Σ conversions"
ROAS = "Σ revenue / Σ spend"


def data_period(src: ReportSource, start: date | None, end: date | None) -> Period | None:
    """The report's days: `start`..`end`, an open end taken from the data's first or last day in the marts."""
    if start is not None and end is not None:
        return Period(start, end)
    for table in (CHANNEL_PERFORMANCE, CHANNEL_DAILY):
        found = src.locate(table)
        if found is not None:
            first, last = src.con.execute(f"select min(day), max(day) from {found.sql}").fetchone()
            if first is not None:
                return Period(start or first, end or last)
    return None


def available_models(src: ReportSource) -> list[str]:
    """The attribution models in the channel mart, in MODEL_ORDER first, then any other alphabetically."""
    found = src.locate(CHANNEL_PERFORMANCE)
    if found is None:
        return []
    have = {m for (m,) in src.con.execute(f"select distinct model from {found.sql}").fetchall()}
    return [m for m in MODEL_ORDER if m in have] + sorted(have - set(MODEL_ORDER))


def headline_model(models: list[str]) -> str | None:
    return HEADLINE_MODEL if HEADLINE_MODEL in models else (models[0] if models else None)


def _missing(key: str, title: str, text: str) -> Section:
    return Section(key, title, missing=text)


def headline(src: ReportSource, period: Period, model: str | None) -> Section:
    """Spend, conversions, revenue, CPA and ROAS over the period for `model`, and sessions."""
    section = Section("headline", "Headline", intro=f"{period.start} to {period.end} ({period.days} days)"
                      + (f", conversions as credited by the {model} model." if model else "."))
    found = src.locate(CHANNEL_PERFORMANCE)
    if found is not None and model is not None:
        spend, conversions, revenue = src.con.execute(
            f"select sum(spend)::double, sum(conversions), sum(revenue) from {found.sql} "
            "where model = ? and day between ? and ?", [model, period.start, period.end]).fetchone()
        prov = Provenance(found.qualified, found.origin, f"model = '{model}' and {period.between('day')}")
        section.kpis += [
            Kpi("spend", "Spend", spend or 0.0, "money", prov, "Σ spend"),
            Kpi("conversions", "Conversions", conversions or 0.0, "number", prov, "Σ conversions"),
            Kpi("revenue", "Revenue", revenue or 0.0, "money", prov, "Σ revenue"),
            Kpi("cpa", "CPA", spend / conversions if spend is not None and conversions else None, "money", prov,
                CPA),
            Kpi("roas", "ROAS", revenue / spend if revenue is not None and spend else None, "ratio", prov, ROAS),
        ]
    daily = src.locate(CHANNEL_DAILY)
    if daily is not None:
        sessions = src.scalar(f"select sum(sessions) from {daily.sql} where day between ? and ?",
                              [period.start, period.end])
        section.kpis.append(Kpi("sessions", "Sessions", sessions or 0, "int",
                                Provenance(daily.qualified, daily.origin, period.between("day")), "Σ sessions"))
    if not section.kpis:
        section.missing = f"no performance marts yet ({CHANNEL_PERFORMANCE} and {CHANNEL_DAILY} are not built)"
    return section


def channels_over_time(src: ReportSource, period: Period, model: str | None) -> Section:
    """Daily spend, conversions, CPA and ROAS per channel, and the period's totals per channel."""
    title = "Channels over time"
    found = src.locate(CHANNEL_PERFORMANCE)
    if found is None or model is None:
        return _missing("channels", title, f"no channel performance yet ({CHANNEL_PERFORMANCE} is not built)")
    frame = src.frame(
        f"select day, channel, spend::double as spend, conversions, revenue, cpa, roas from {found.sql} "
        "where model = ? and day between ? and ? order by day, channel", [model, period.start, period.end])
    if frame.empty:
        return _missing("channels", title, f"no rows in {CHANNEL_PERFORMANCE} between {period.start} and {period.end}")
    prov = Provenance(found.qualified, found.origin, f"model = '{model}' and {period.between('day')}")
    totals = (frame.groupby("channel", as_index=False)[["spend", "conversions", "revenue"]].sum()
              .sort_values(["spend", "conversions", "channel"], ascending=[False, False, True]))
    totals["cpa"] = totals["spend"] / totals["conversions"].where(totals["conversions"] != 0)
    totals["roas"] = totals["revenue"] / totals["spend"].where(totals["spend"] != 0)
    order = totals["channel"].tolist()
    paid = totals.loc[totals["spend"] > 0, "channel"].tolist()
    section = Section("channels", title, intro=f"Per day and channel, conversions credited by the {model} model; "
                      "spend, CPA and ROAS for the channels with spend.")
    for metric, label, fmt, formula, channels in (
            ("spend", "Spend", ",.0f", "spend", paid),
            ("conversions", "Conversions", ",.1f", "conversions", order),
            ("cpa", "CPA", ",.2f", "cpa = spend / conversions", paid),
            ("roas", "ROAS", ".2f", "roas = revenue / spend", paid)):
        section.charts.append(charts.lines_by(frame, x="day", group="channel", y=metric, key=f"channel_{metric}",
                                              title=f"{label} by channel", y_title=label, provenance=prov,
                                              y_format=fmt, formula=formula, order=channels))
    columns = (Column("channel", "Channel"), Column("spend", "Spend", "money"),
               Column("conversions", "Conversions", "number"), Column("revenue", "Revenue", "money"),
               Column("cpa", "CPA", "money"), Column("roas", "ROAS", "ratio"))
    section.tables.append(table_from(totals, columns, prov, "Totals over the period",
                                     f"CPA = {CPA}, ROAS = {ROAS} per channel"))
    return section


def attribution_models(src: ReportSource, period: Period, models: list[str]) -> Section:
    """Conversions and ROAS per channel under each attribution model, and the Markov removal effects."""
    title = "Attribution models side by side"
    found = src.locate(CHANNEL_PERFORMANCE)
    if found is None or not models:
        return _missing("attribution", title, f"no attributed conversions yet ({CHANNEL_PERFORMANCE} is not built)")
    frame = src.frame(
        f"select channel, model, sum(spend)::double as spend, sum(conversions) as conversions, "
        f"sum(revenue) as revenue from {found.sql} where day between ? and ? group by channel, model",
        [period.start, period.end])
    if frame.empty:
        return _missing("attribution", title, f"no rows in {CHANNEL_PERFORMANCE} between {period.start} and {period.end}")
    prov = Provenance(found.qualified, found.origin, period.between("day"))
    frame["roas"] = frame["revenue"] / frame["spend"].where(frame["spend"] != 0)
    conversions = frame.pivot(index="channel", columns="model", values="conversions")
    roas = frame.pivot(index="channel", columns="model", values="roas")
    spend = frame.groupby("channel")["spend"].max()  # the same for every model
    channels = (conversions.assign(_spend=spend).assign(_conv=conversions.max(axis=1))
                .sort_values(["_spend", "_conv"], ascending=False).index.tolist())
    models = [m for m in models if m in conversions.columns]
    section = Section("attribution", title, intro="The same conversions, credited to channels by each model: "
                      "where the models disagree, the channel's value depends on the model you trust.")
    section.charts.append(charts.grouped_bars(
        channels, {m: conversions.loc[channels, m] for m in models}, key="attribution_conversions",
        title="Conversions credited per channel, by model", y_title="Conversions", provenance=prov,
        y_format=",.1f", formula="Σ conversions per channel and model"))
    paid = [c for c in channels if spend[c] > 0]
    section.charts.append(charts.grouped_bars(
        paid, {m: roas.loc[paid, m] for m in models}, key="attribution_roas",
        title="ROAS per channel, by model", y_title="ROAS", provenance=prov, y_format=".2f", formula=ROAS))
    for values, label, fmt, formula in ((conversions, "Conversions credited", "number", "Σ conversions"),
                                        (roas, "ROAS", "ratio", ROAS)):
        pivot = values.loc[channels, models].reset_index()
        columns = (Column("channel", "Channel"), *(Column(m, m, fmt) for m in models))
        section.tables.append(table_from(pivot, columns, prov, f"{label} per channel and model", formula))
    markov = src.locate(MARKOV)
    if markov is None:
        section.notes.append(f"no Markov removal effects yet ({MARKOV} is not built)")
    else:
        effects = src.frame(f"select * from {markov.sql} order by removal_effect desc, channel")
        columns = tuple(c for c in (Column("channel", "Channel"), Column("removal_effect", "Removal effect", "pct"),
                                    Column("conversions", "Conversions", "number"),
                                    Column("conversion_value", "Conversion value", "money"),
                                    Column("order", "Chain order", "int")) if c.name in effects.columns)
        section.tables.append(table_from(
            effects, columns, Provenance(markov.qualified, markov.origin),
            "Markov removal effects: the share of conversions lost if the channel were removed from every journey",
            "removal effect = 1 − P(conversion without the channel) / P(conversion) (Anderl et al. 2016)"))
    return section


def campaigns(src: ReportSource, period: Period, model: str | None, limit: int = TOP_CAMPAIGNS) -> Section:
    """The campaigns with the most spend over the period (then the most conversions)."""
    title = "Campaigns"
    found = src.locate(CAMPAIGN_PERFORMANCE)
    if found is None or model is None:
        return _missing("campaigns", title, f"no campaign performance yet ({CAMPAIGN_PERFORMANCE} is not built)")
    name = "any_value(campaign_name)" if "campaign_name" in found.columns else "campaign_id"
    frame = src.frame(
        f"select channel, campaign_id, {name} as campaign_name, sum(spend)::double as spend, "
        "sum(conversions) as conversions, sum(revenue) as revenue, "
        "sum(spend)::double / nullif(sum(conversions), 0) as cpa, sum(revenue) / nullif(sum(spend)::double, 0) as roas "
        f"from {found.sql} where model = ? and day between ? and ? group by channel, campaign_id "
        "order by spend desc, conversions desc, channel, campaign_id limit ?", [model, period.start, period.end, limit])
    if frame.empty:
        return _missing("campaigns", title, f"no campaigns in {CAMPAIGN_PERFORMANCE} between {period.start} and "
                                            f"{period.end}")
    prov = Provenance(found.qualified, found.origin, f"model = '{model}' and {period.between('day')}")
    columns = (Column("channel", "Channel"), Column("campaign_name", "Campaign"), Column("campaign_id", "Campaign id"),
               Column("spend", "Spend", "money"), Column("conversions", "Conversions", "number"),
               Column("revenue", "Revenue", "money"), Column("cpa", "CPA", "money"), Column("roas", "ROAS", "ratio"))
    section = Section("campaigns", title)
    section.tables.append(table_from(frame, columns, prov, f"Top {limit} campaigns by spend",
                                     f"per channel and campaign_id: CPA = {CPA}, ROAS = {ROAS}"))
    return section

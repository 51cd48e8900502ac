"""What the money bought and what to do next: CAC against LTV by cohort, experiments, budget recommendations."""

from __future__ import annotations

from adledger.report import charts
from adledger.report.model import Column, Period, Provenance, Section, table_from
from adledger.report.source import Located, ReportSource

CAC_LTV = "marts.mart_cac_ltv"
EXPERIMENTS = "marts.mart_experiment_results"
BUDGET = "marts.mart_budget_recommendations"


def _present(found: Located, columns: tuple[Column, ...]) -> tuple[Column, ...]:
    return tuple(c for c in columns if c.name in found.columns)


def cohorts(src: ReportSource, period: Period) -> Section:
    """CAC, LTV, LTV:CAC and payback days per acquisition month and channel, and CAC vs LTV per channel."""
    title = "CAC, LTV and payback by cohort"
    found = src.locate(CAC_LTV)
    if found is None:
        return Section("cohorts", title, missing=f"no cohorts yet ({CAC_LTV} is not built)")
    months = (f"cohort_month between date_trunc('month', date '{period.start.isoformat()}') "
              f"and '{period.end.isoformat()}'")
    frame = src.frame(
        f"select cohort_month, channel, customers, spend::double as spend, cac::double as cac, "
        f"ltv_90d::double as ltv_90d, ltv::double as ltv, ltv_to_cac, payback_days from {found.sql} "
        f"where {months} order by cohort_month, channel")
    if frame.empty:
        return Section("cohorts", title, missing=f"no acquisition cohorts in {CAC_LTV} for {period.start:%Y-%m} to "
                                                  f"{period.end:%Y-%m}")
    prov = Provenance(found.qualified, found.origin, months)
    section = Section("cohorts", title, intro="Customers by the month of their first order and their first-touch "
                      "channel. CAC = the channel's spend that month / customers it acquired; payback = first day "
                      "after acquisition on which revenue per customer reaches CAC (blank: not yet).")
    paid = frame[frame["cac"].notna()].copy()
    if not paid.empty:
        paid["ltv_revenue"] = paid["ltv"] * paid["customers"]
        per_channel = paid.groupby("channel", as_index=False)[["spend", "customers", "ltv_revenue"]].sum()
        per_channel["cac"] = per_channel["spend"] / per_channel["customers"]
        per_channel["ltv"] = per_channel["ltv_revenue"] / per_channel["customers"]
        per_channel = per_channel.sort_values(["spend", "channel"], ascending=[False, True])
        section.charts.append(charts.against_diagonal(
            per_channel["channel"].tolist(), per_channel["cac"], per_channel["ltv"], key="cac_ltv",
            title="LTV to date against CAC per channel (cohorts of the period; above the line: paid back)",
            x_title="CAC per customer", y_title="LTV per customer", diagonal="LTV = CAC",
            provenance=Provenance(found.qualified, found.origin, f"{months} and cac is not null"),
            formula="CAC = Σ spend / Σ customers; LTV = Σ (ltv × customers) / Σ customers"))
    columns = (Column("cohort_month", "Cohort", "date"), Column("channel", "Channel"),
               Column("customers", "Customers", "int"), Column("cac", "CAC", "money"),
               Column("ltv_90d", "LTV 90 d", "money"), Column("ltv", "LTV to date", "money"),
               Column("ltv_to_cac", "LTV:CAC", "ratio"), Column("payback_days", "Payback (days)", "days"))
    section.tables.append(table_from(frame, columns, prov, "Per cohort month and channel"))
    return section


def experiments(src: ReportSource, period: Period) -> Section:
    """Each experiment's variants with uplift, interval, adjusted p-value and the decision."""
    title = "Experiments"
    found = src.locate(EXPERIMENTS)
    if found is None:
        return Section("experiments", title, missing="no experiments analysed yet "
                                                     f"({EXPERIMENTS} is not built)")
    overlap = ""
    if {"started_at", "ended_at"} <= set(found.columns):
        overlap = (f"cast(started_at as date) <= '{period.end.isoformat()}' and "
                   f"(ended_at is null or cast(ended_at as date) >= '{period.start.isoformat()}')")
    control_first = "ci_low is not null, " if "ci_low" in found.columns else ""  # a control has no interval
    frame = src.frame(f"select * from {found.sql}" + (f" where {overlap}" if overlap else "")
                      + f" order by experiment_id, {control_first}variant")
    if frame.empty:
        return Section("experiments", title, missing="no experiments analysed yet for this period")
    prov = Provenance(found.qualified, found.origin, overlap)
    section = Section("experiments", title, intro="Uplift of each variant over its control with its interval; "
                      "p-values adjusted for multiple variants (Holm).")
    if {"uplift", "ci_low", "ci_high"} <= set(frame.columns):
        tested = frame[frame["ci_low"].notna()]
        if not tested.empty:
            labels = [v if str(v).startswith(str(e)) else f"{e} · {v}"
                      for e, v in zip(tested["experiment_id"], tested["variant"])]
            section.charts.append(charts.intervals(
                labels, tested["uplift"], tested["ci_low"], tested["ci_high"], key="experiment_uplift",
                title="Relative uplift over control, with interval", x_title="uplift", provenance=prov,
                name="uplift", x_format=".0%", formula="uplift = rate / control rate − 1; interval ci_low..ci_high"))
    columns = _present(found, (
        Column("experiment_id", "Experiment"), Column("variant", "Variant"), Column("users", "Users", "int"),
        Column("conversions", "Conversions", "int"), Column("rate", "Rate", "pct"), Column("uplift", "Uplift", "pct"),
        Column("ci_low", "CI low", "pct"), Column("ci_high", "CI high", "pct"),
        Column("p_value_adjusted", "p (Holm)", "pvalue"), Column("chance_to_beat_control", "P(beat control)", "pct"),
        Column("srm", "SRM", "text"), Column("decision", "Decision")))
    section.tables.append(table_from(frame, columns, prov, "Variants"))
    return section


#: columns a budget plan may carry (adledger.analytics.optimization.allocate_budget's table) in display order
_BUDGET_COLUMNS = (
    Column("channel", "Channel"), Column("current_spend", "Current / day", "money"),
    Column("recommended_spend", "Recommended / day", "money"), Column("change", "Change / day", "money"),
    Column("change_pct", "Change", "pct"), Column("expected_change", "Expected gain (conv./day)", "ratio"),
    Column("expected_change_low", "low", "ratio"), Column("expected_change_high", "high", "ratio"),
    Column("expected_gain", "Expected gain", "number"), Column("expected_gain_low", "low", "number"),
    Column("expected_gain_high", "high", "number"), Column("reason", "Why"),
)


def budget(src: ReportSource) -> Section:
    """The latest budget recommendation per channel: current and recommended spend and the expected gain."""
    title = "Budget recommendations"
    found = src.locate(BUDGET)
    if found is None:
        return Section("budget", title, missing=f"no budget recommendations yet ({BUDGET} is not built)")
    latest = "computed_at" in found.columns
    frame = src.frame(f"select * from {found.sql}"
                      + (f" where computed_at = (select max(computed_at) from {found.sql})" if latest else ""))
    if frame.empty:
        return Section("budget", title, missing="no budget recommendations yet (the plan is empty)")
    prov = Provenance(found.qualified, found.origin, "computed_at = max(computed_at)" if latest else "")
    columns = _present(found, _BUDGET_COLUMNS) or tuple(Column(c, c) for c in frame.columns[:10])
    plan = ", ".join(f"{label} {frame[c].iloc[0]}" for c, label in (("as_of", "as of"), ("objective", "objective"),
                     ("attribution_model", "conversions credited by")) if c in frame.columns)
    section = Section("budget", title, intro="Where the response curves say the next money works hardest; the "
                      "expected gain (conversions per day) comes with its interval." + (f" Plan {plan}." if plan else ""))
    if {"channel", "current_spend", "recommended_spend"} <= set(frame.columns):
        ordered = frame.sort_values("channel")
        section.charts.append(charts.grouped_bars(
            ordered["channel"].tolist(), {"current": ordered["current_spend"],
                                          "recommended": ordered["recommended_spend"]},
            key="budget", title="Daily spend: current and recommended", y_title="spend / day", provenance=prov,
            y_format=",.0f"))
    section.tables.append(table_from(frame, columns, prov, "Per channel"))
    return section

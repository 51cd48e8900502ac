"""Can the numbers be trusted: open anomalies, failed checks and alerts, quarantined rows, data freshness."""

from __future__ import annotations

from datetime import datetime, timezone

from adledger.report.model import Column, Period, Provenance, Section, table_from
from adledger.report.source import WAREHOUSE, Located, ReportSource

ANOMALIES = "marts.mart_anomalies"
VALIDATIONS = "quality.validation_results"
ALERTS = "quality.alerts"
QUARANTINE = "quality.quarantined_rows"
SPEND = "marts.fct_ad_spend"
TOUCHPOINTS = "marts.fct_touchpoints"
CONVERSIONS = "marts.fct_conversions"
#: statuses of an anomaly nobody needs to look at any more
CLOSED = ("resolved", "dismissed", "closed", "false_positive")
LATEST_ALERTS = 20
TOP_QUARANTINE_REASONS = 20


def anomalies(src: ReportSource, period: Period) -> Section:
    """Open anomalies that overlap the period, most severe first, then by money at stake."""
    title = "Open anomalies"
    found = src.locate(ANOMALIES)
    if found is None:
        return Section("anomalies", title, missing=f"no anomaly detection yet ({ANOMALIES} is not built)")
    cols = set(found.columns)
    conditions = []
    if "status" in cols:
        conditions.append("coalesce(lower(status), 'open') not in (" + ", ".join(f"'{s}'" for s in CLOSED) + ")")
    if "start_date" in cols:
        conditions.append(f"start_date <= '{period.end.isoformat()}'")
        end = "coalesce(end_date, start_date)" if "end_date" in cols else "start_date"
        conditions.append(f"{end} >= '{period.start.isoformat()}'")
    where = " and ".join(conditions)
    order = []
    if "severity" in cols:
        order.append("case lower(severity) when 'high' then 0 when 'medium' then 1 when 'low' then 2 else 3 end")
    if "money_at_stake" in cols:
        order.append("money_at_stake desc nulls last")
    frame = src.frame(f"select * from {found.sql}" + (f" where {where}" if where else "")
                      + (" order by " + ", ".join(order) if order else ""))
    if frame.empty:
        return Section("anomalies", title, missing="no open anomalies in this period")
    columns = tuple(c for c in (
        Column("severity", "Severity"), Column("anomaly_type", "Type"), Column("type", "Type"),
        Column("scope", "Scope"), Column("start_date", "From", "date"), Column("end_date", "To", "date"),
        Column("money_at_stake", "Money at stake", "money"), Column("evidence", "Evidence"),
        Column("status", "Status")) if c.name in cols)
    section = Section("anomalies", title)
    section.tables.append(table_from(frame, columns, Provenance(found.qualified, found.origin, where),
                                     f"{len(frame)} open"))
    return section


def _warehouse_missing(src: ReportSource, key: str, title: str) -> Section | None:
    if WAREHOUSE in src.attached:
        return None
    reason = src.unavailable.get(WAREHOUSE, "there is no warehouse file")
    return Section(key, title, missing=f"the warehouse is needed for this section and is not readable: {reason}")


def _in_warehouse(src: ReportSource, table: str) -> Located | None:
    found = src.locate(table)
    return found if found is not None and found.origin == WAREHOUSE else None


def _listing(src: ReportSource, section: Section, table: str, select: str, tail: str, caption: str,
             columns: tuple[Column, ...]) -> None:
    """Add `select ... from table <tail>` (a warehouse table) to `section`, or a note that the table is not there."""
    found = _in_warehouse(src, table)
    if found is None:
        section.notes.append(f"{caption}: none recorded ({table} does not exist yet)")
        return
    frame = src.frame(f"select {select} from {found.sql} {tail}")
    section.tables.append(table_from(frame, columns, Provenance(table, found.origin, tail), caption))


def checks(src: ReportSource) -> Section:
    """The latest Great Expectations run per suite, its failing rules, recent alerts and quarantined rows."""
    title = "Checks, alerts and quarantined rows"
    unreadable = _warehouse_missing(src, "checks", title)
    if unreadable is not None:
        return unreadable
    section = Section("checks", title)
    validations = _in_warehouse(src, VALIDATIONS)
    if validations is None:
        section.notes.append(f"no Great Expectations results yet ({VALIDATIONS} is empty)")
    else:
        latest = "(suite, validated_at) in (select suite, max(validated_at) from {t} group by suite)"
        prov = Provenance(VALIDATIONS, validations.origin, latest.format(t=VALIDATIONS))
        sql_latest = latest.format(t=validations.sql)
        suites = src.frame(
            f"select suite, any_value(asset) as asset, max(validated_at) as validated_at, count(*) as rules, "
            f"count(*) filter (where not success) as failed from {validations.sql} where {sql_latest} "
            "group by suite order by failed desc, suite")
        section.tables.append(table_from(suites, (
            Column("suite", "Suite"), Column("asset", "Table"), Column("validated_at", "Validated", "time"),
            Column("rules", "Rules", "int"), Column("failed", "Failed", "int")), prov,
            "Great Expectations suites, latest run of each"))
        failing = src.frame(
            f"select suite, expectation, \"column\", unexpected_count, element_count from {validations.sql} "
            f"where {sql_latest} and not success order by suite, expectation, \"column\"")
        if failing.empty:
            section.notes.append("every rule of the latest run of each suite passed")
        else:
            section.tables.append(table_from(failing, (
                Column("suite", "Suite"), Column("expectation", "Failed expectation"), Column("column", "Column"),
                Column("unexpected_count", "Unexpected rows", "int"), Column("element_count", "Rows", "int")),
                Provenance(VALIDATIONS, validations.origin, f"{prov.filter} and not success"), "Failed rules"))
    _listing(src, section, ALERTS, "created_at, severity, kind, title, status",
             f"order by created_at desc limit {LATEST_ALERTS}", "Alerts", (
                 Column("created_at", "When", "time"), Column("severity", "Severity"), Column("kind", "Kind"),
                 Column("title", "Alert"), Column("status", "Delivery")))
    _listing(src, section, QUARANTINE, "source, reason, count(*) as rows",
             f"group by source, reason order by rows desc, source, reason limit {TOP_QUARANTINE_REASONS}",
             "Rows kept out of the warehouse, by reason",
             (Column("source", "Source"), Column("reason", "Reason"), Column("rows", "Rows", "int")))
    return section


def freshness(src: ReportSource, now: datetime | None = None) -> Section:
    """Per source: its last successful dlt load, and the latest day with data in the marts."""
    title = "Data freshness"
    now = now or datetime.now(timezone.utc)
    section = Section("freshness", title, intro=f"As of {now:%Y-%m-%d %H:%M} UTC.")
    loads = [s for s in src.schemas_like("raw_") if src.locate(f"{s}._dlt_loads") is not None]
    if loads:
        union = " union all ".join(
            f"select '{s}' as dataset, max(inserted_at) filter (where status = 0) as last_load, "
            f"count(*) filter (where status = 0) as loads from {src.locate(s + '._dlt_loads').sql}" for s in loads)
        frame = src.frame(f"select *, date_diff('minute', last_load, ?::timestamptz) / 60.0 as age_hours "
                          f"from ({union}) order by dataset", [now])
        section.tables.append(table_from(frame, (
            Column("dataset", "Source dataset"), Column("last_load", "Last load", "time"),
            Column("age_hours", "Age (hours)", "hours"), Column("loads", "Loads", "int")),
            Provenance("raw_*._dlt_loads", WAREHOUSE, "status = 0"), "Successful loads per source (dlt)"))
    elif WAREHOUSE not in src.attached:
        section.notes.append("load times need the warehouse: " + src.unavailable.get(WAREHOUSE, "no warehouse file"))
    else:
        section.notes.append("no dlt loads recorded yet (no raw_*._dlt_loads)")
    parts, tables = [], []
    for table, source, day in ((SPEND, "cost_source", "report_date"), (TOUCHPOINTS, "'tracker (touchpoints)'",
                                                                        "touch_date"),
                               (CONVERSIONS, "'tracker (conversions)'", "conversion_date")):
        found = src.locate(table)
        if found is not None:
            parts.append(f"select {source} as source, '{table}' as mart, max({day}) as latest_day "
                         f"from {found.sql} group by all")
            tables.append(found)
    if parts:
        frame = src.frame(" union all ".join(parts) + " order by mart, source")
        origins = sorted({t.origin for t in tables})
        section.tables.append(table_from(frame, (
            Column("source", "Source"), Column("mart", "Mart"), Column("latest_day", "Latest day", "date")),
            Provenance(", ".join(t.qualified for t in tables), " and ".join(origins)),
            "Latest day with data in the marts",
            "max(report_date) per cost_source; max(touch_date); max(conversion_date)"))
    published = src.published_at()
    if published is not None:
        section.notes.append(f"the published snapshot was written {published:%Y-%m-%d %H:%M} UTC "
                             f"({(now - published).total_seconds() / 3600:.1f} h ago)")
    if not section.tables and not section.notes:
        section.missing = "nothing loaded yet"
    return section

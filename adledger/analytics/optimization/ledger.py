"""The decision ledger: every proposed change, whether it was applied, what it did, and why it was kept or reverted.

Table `analytics.decisions` (DuckDB), one row per decision, moving through the statuses

    proposed -> applied -> kept | reverted        (or proposed -> rejected)

A decision changes one setting on one or more entities at once (`entities`, `old_values`, `new_values`, aligned
lists): a budget move from display to search is one decision with two entities, so it is judged on the sum of
both (the money moved has to earn more where it went than it earned where it came from). After `applied_on`,
`burn_in_days` let the adstock settle and the next `window_days` are compared with the `window_days` before
`applied_on` (`decide.observed_change`); when refitted curves are given, the modelled change decides
(`decide.modelled_change`) and the observed one is still recorded. The deciding statistic, its value, the
p-value and the probability of a gain are stored with a sentence saying why.

Every function takes an open DuckDB connection; nothing here commits on its own beyond the statements it runs.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from datetime import date, datetime, timedelta, timezone

import duckdb
import numpy as np
import pandas as pd

from adledger.analytics.optimization.decide import decide, modelled_change, observed_change
from adledger.analytics.optimization.fit import CurveFit

TABLE = "analytics.decisions"
STATUSES = ("proposed", "applied", "kept", "reverted", "rejected")

#: the table's columns and DuckDB types
COLUMNS: tuple[tuple[str, str], ...] = (
    ("decision_id", "varchar primary key"), ("cycle", "integer"), ("kind", "varchar not null"),
    ("entity_type", "varchar not null"), ("entities", "varchar[] not null"), ("old_values", "double[] not null"),
    ("new_values", "double[] not null"), ("metric", "varchar not null"), ("expected_effect", "double"),
    ("expected_low", "double"), ("expected_high", "double"), ("proposal_reason", "varchar"),
    ("status", "varchar not null"), ("proposed_on", "date not null"), ("applied_on", "date"),
    ("burn_in_days", "integer"), ("window_days", "integer"), ("observed_effect", "double"),
    ("observed_low", "double"), ("observed_high", "double"), ("observed_p_value", "double"),
    ("statistic", "varchar"), ("statistic_value", "double"), ("probability_of_gain", "double"),
    ("decided_on", "date"), ("decision_reason", "varchar"), ("updated_at", "timestamp not null"),
)
DDL = ("create schema if not exists analytics;\n"
       f"create table if not exists {TABLE} ({', '.join(f'{name} {kind}' for name, kind in COLUMNS)});")

#: columns a proposals frame must have (see `record_proposals`)
PROPOSAL_COLUMNS = ("kind", "entity_type", "entities", "old_values", "new_values", "metric", "expected_effect",
                    "expected_low", "expected_high", "reason")


def ensure_decisions_table(con: duckdb.DuckDBPyConnection) -> None:
    """Create schema `analytics` and table `analytics.decisions` when missing."""
    con.execute(DDL)


def _now() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


def record_proposals(con: duckdb.DuckDBPyConnection, proposals: pd.DataFrame, proposed_on: date,
                     cycle: int | None = None) -> list[str]:
    """Insert proposals (status `proposed`) and return their new decision ids, in row order.

    Columns: `kind` (e.g. move_budget, set_budget, set_bid), `entity_type` (channel, campaign, keyword ...),
    `entities` (list of names), `old_values`, `new_values` (lists aligned with `entities`), `metric` (the
    observation column that judges it, e.g. conversions), `expected_effect`, `expected_low`, `expected_high`
    (metric per day) and `reason`.
    """
    missing = [c for c in PROPOSAL_COLUMNS if c not in proposals.columns]
    if missing:
        raise ValueError(f"proposals lack column(s) {', '.join(missing)}")
    ensure_decisions_table(con)
    ids = [f"d-{uuid.uuid4().hex[:16]}" for _ in range(len(proposals))]
    now = _now()
    rows = []
    for decision_id, p in zip(ids, proposals.itertuples(index=False)):
        entities, old, new = list(p.entities), [float(v) for v in p.old_values], [float(v) for v in p.new_values]
        if not (len(entities) == len(old) == len(new)) or not entities:
            raise ValueError(f"proposal {decision_id}: entities, old_values and new_values must be aligned lists")
        rows.append((decision_id, cycle, p.kind, p.entity_type, entities, old, new, p.metric,
                     _float(p.expected_effect), _float(p.expected_low), _float(p.expected_high), p.reason,
                     "proposed", proposed_on, now))
    con.executemany(
        f"insert into {TABLE} (decision_id, cycle, kind, entity_type, entities, old_values, new_values, metric, "
        "expected_effect, expected_low, expected_high, proposal_reason, status, proposed_on, updated_at) "
        "values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
    return ids


def _float(value) -> float | None:
    return None if value is None or (isinstance(value, float) and np.isnan(value)) else float(value)


def _set_status(con: duckdb.DuckDBPyConnection, ids: Iterable[str], status: str, expected: str, **extra) -> None:
    ids = list(ids)
    if not ids:
        return
    found = con.execute(f"select decision_id, status from {TABLE} where decision_id in "
                        f"(select unnest(?::varchar[]))", [ids]).fetchall()
    wrong = [f"{i} ({s})" for i, s in found if s != expected]
    unknown = sorted(set(ids) - {i for i, _ in found})
    if wrong or unknown:
        raise ValueError(f"cannot mark {status}: " + "; ".join(
            ([f"not {expected}: {', '.join(wrong)}"] if wrong else []) + ([f"unknown: {', '.join(unknown)}"] if unknown else [])))
    sets = ", ".join(f"{k} = ?" for k in extra)
    con.execute(f"update {TABLE} set status = ?, updated_at = ?{', ' + sets if sets else ''} "
                "where decision_id in (select unnest(?::varchar[]))",
                [status, _now(), *extra.values(), ids])


def apply_decisions(con: duckdb.DuckDBPyConnection, ids: Iterable[str], applied_on: date, window_days: int = 28,
                    burn_in_days: int = 7) -> None:
    """Mark proposed decisions as applied on `applied_on`, to be judged after `burn_in_days + window_days`."""
    _set_status(con, ids, "applied", "proposed", applied_on=applied_on, window_days=int(window_days),
                burn_in_days=int(burn_in_days))


def reject_proposals(con: duckdb.DuckDBPyConnection, ids: Iterable[str], reason: str) -> None:
    """Mark proposed decisions as rejected (never applied), with the reason."""
    _set_status(con, ids, "rejected", "proposed", decision_reason=reason)


def read_decisions(con: duckdb.DuckDBPyConnection, status: str | None = None) -> pd.DataFrame:
    """The ledger (optionally one status), oldest first; empty when the table does not exist yet."""
    exists = con.execute("select count(*) from information_schema.tables where table_schema = 'analytics' "
                         "and table_name = 'decisions'").fetchone()[0]
    if not exists:
        return pd.DataFrame(columns=[name for name, _ in COLUMNS])
    where = "" if status is None else "where status = ?"
    return con.execute(f"select * from {TABLE} {where} order by proposed_on, cycle, decision_id",
                       [] if status is None else [status]).df()


def due_decisions(con: duckdb.DuckDBPyConnection, as_of: date) -> pd.DataFrame:
    """Applied decisions whose observation window has ended by `as_of` (inclusive of the window's last day)."""
    ensure_decisions_table(con)
    return con.execute(
        f"select * from {TABLE} where status = 'applied' "
        "and applied_on + to_days(burn_in_days + window_days) <= ? order by applied_on, decision_id",
        [as_of + timedelta(days=1)]).df()


def _window_sums(observations: pd.DataFrame, entities: list[str], metric: str, start: date,
                 days: int) -> np.ndarray:
    """Daily sums of `metric` over `entities` for `days` days from `start` (days without rows count as 0)."""
    span = pd.date_range(pd.Timestamp(start), periods=days, freq="D")
    rows = observations[observations["entity"].isin(entities) & observations["day"].isin(span)]
    return rows.groupby("day")[metric].sum().reindex(span, fill_value=0.0).to_numpy(float)


def evaluate_decisions(
    con: duckdb.DuckDBPyConnection,
    observations: pd.DataFrame,
    as_of: date,
    fits: Mapping[str, CurveFit] | None = None,
    keep_probability: float = 0.5,
    interval: float = 0.9,
    values: Mapping[str, float] | None = None,
) -> pd.DataFrame:
    """Judge every applied decision whose window has ended by `as_of`: set it `kept` or `reverted`.

    `observations`: daily rows with columns `day`, `entity` and one column per metric the decisions name
    (e.g. `conversions`, `revenue`). `fits`: response curves refitted on data through the end of the windows;
    when they cover a decision's entities and its kind is a budget change, the modelled change decides, else the
    observed before/after change does. `values` (revenue per conversion per entity) weight the modelled change of
    decisions judged on `revenue`. Returns the decided rows as stored (empty when nothing was due). The caller
    undoes the reverted changes on the platforms.
    """
    due = due_decisions(con, as_of)
    if due.empty:
        return due
    obs = observations.copy()
    obs["day"] = pd.to_datetime(obs["day"])
    for d in due.itertuples(index=False):
        entities = list(d.entities)
        applied = pd.Timestamp(d.applied_on).date()
        before = _window_sums(obs, entities, d.metric, applied - timedelta(days=int(d.window_days)), int(d.window_days))
        after = _window_sums(obs, entities, d.metric, applied + timedelta(days=int(d.burn_in_days)), int(d.window_days))
        seen = observed_change(before, after, interval)
        modelled = None
        if fits is not None and d.kind in ("move_budget", "set_budget") and all(e in fits for e in entities):
            weights = [float((values or {}).get(e, fits[e].value_per_conversion)) for e in entities] \
                if d.metric == "revenue" else None
            modelled = modelled_change(fits, entities, list(d.old_values), list(d.new_values), interval, weights)
        judge = modelled if modelled is not None else seen
        status = decide(judge["probability_of_gain"], keep_probability)
        if modelled is not None:
            statistic, value = "curve_refit_bootstrap", modelled["effect"] / modelled["se"] if modelled["se"] > 0 else np.inf
            why = (f"refitted curves put the change at {modelled['effect']:+.3g} {d.metric}/day "
                   f"({interval:.0%} interval {modelled['low']:+.3g} .. {modelled['high']:+.3g}), "
                   f"P(gain) {modelled['probability_of_gain']:.2f}; observed {seen['effect']:+.3g}/day "
                   f"(Welch t {seen['statistic']:.2f}, one-sided p {seen['p_value']:.3f})")
        else:
            statistic, value = "welch_t", seen["statistic"]
            why = (f"observed {seen['effect']:+.3g} {d.metric}/day after vs before "
                   f"({interval:.0%} CI {seen['low']:+.3g} .. {seen['high']:+.3g}), Welch t {seen['statistic']:.2f}, "
                   f"one-sided p {seen['p_value']:.3f}, P(gain) {seen['probability_of_gain']:.2f}")
        verdict = "kept" if status == "kept" else "reverted"
        why = f"{verdict}: {why}; keep threshold P(gain) >= {keep_probability:.2f}"
        con.execute(
            f"update {TABLE} set status = ?, observed_effect = ?, observed_low = ?, observed_high = ?, "
            "observed_p_value = ?, statistic = ?, statistic_value = ?, probability_of_gain = ?, decided_on = ?, "
            "decision_reason = ?, updated_at = ? where decision_id = ?",
            [status, seen["effect"], seen["low"], seen["high"], seen["p_value"], statistic, float(value),
             judge["probability_of_gain"], as_of, why, _now(), d.decision_id])
    ids = list(due["decision_id"])
    return con.execute(f"select * from {TABLE} where decision_id in (select unnest(?::varchar[])) "
                       "order by applied_on, decision_id", [ids]).df()

"""Commands `adledger optimize` (a budget plan from response curves) and `adledger bench optimize`.

Only typer, rich and the standard library are imported here; pandas, scipy and the analytics modules are
imported inside the commands so the CLI starts fast.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Optional

import typer
from rich.table import Table

from adledger.commands._ui import err, fail, out

if TYPE_CHECKING:
    import pandas as pd

MART = "marts.mart_channel_performance_daily"
OBJECTIVE_HELP = "conversions, revenue, target-cpa=USD (most conversions at that CPA) or target-roas=X"


def register(app: typer.Typer, bench_app: typer.Typer) -> None:
    """Add this module's commands to the `adledger` app and its `bench` group."""
    app.command("optimize")(optimize)
    bench_app.command("optimize")(bench_optimize)


def parse_objective(text: str) -> tuple[str, float | None]:
    """`conversions` | `revenue` | `target-cpa=Y` | `target-roas=Y` -> (objective, target)."""
    name, _, value = text.strip().lower().replace("_", "-").partition("=")
    if name in ("conversions", "revenue") and not value:
        return name, None
    if name in ("target-cpa", "target-roas"):
        try:
            target = float(value)
        except ValueError:
            target = float("nan")
        if not target > 0:
            raise typer.BadParameter(f"{name} needs a positive number, e.g. {name}=40", param_hint="--objective")
        return name.replace("-", "_"), target
    raise typer.BadParameter(f"{text!r} is not one of: {OBJECTIVE_HELP}", param_hint="--objective")


def parse_bounds(items: list[str], option: str) -> dict[str, float]:
    """`CHANNEL=USD` pairs -> {channel: USD/day}."""
    bounds = {}
    for item in items:
        name, sep, value = item.partition("=")
        try:
            bounds[name.strip()] = float(value)
        except ValueError:
            sep = ""
        if not sep or not name.strip() or bounds[name.strip()] < 0:
            raise typer.BadParameter(f"{item!r} is not CHANNEL=USD (a non-negative daily amount)", param_hint=option)
    return bounds


def read_warehouse_daily(attribution_model: str | None) -> pd.DataFrame:
    """Daily spend, conversions and revenue per channel from the warehouse's channel performance mart."""
    import duckdb

    from adledger.config import settings

    path = settings().warehouse
    if not path.exists():
        fail(f"no warehouse at {path}", "run `adledger demo` or `adledger materialize` first, or pass --daily FILE.csv")
    with duckdb.connect(str(path), read_only=True) as con:
        columns = [r[0] for r in con.execute(
            "select column_name from information_schema.columns where table_schema = 'marts' "
            "and table_name = 'mart_channel_performance_daily'").fetchall()]
        if not columns:
            fail(f"{MART} is not in {path}", "materialize the marts (`adledger materialize`) or pass --daily FILE.csv")
        where, params = "", []
        if "model" in columns:
            models = [r[0] for r in con.execute(f"select distinct model from {MART} order by 1").fetchall()]
            chosen = attribution_model or ("markov" if "markov" in models else models[0] if len(models) == 1 else None)
            if chosen not in models:
                fail(f"attribution model {chosen!r} is not in {MART}",
                     f"pass --attribution-model, one of: {', '.join(map(str, models))}")
            where, params = "where model = ?", [chosen]
        revenue = ", sum(revenue) as revenue" if "revenue" in columns else ""
        return con.execute(f"select day, channel, sum(spend) as spend, sum(conversions) as conversions{revenue} "
                           f"from {MART} {where} group by day, channel order by day, channel", params).df()


def optimize(
    budget: float = typer.Option(..., "--budget", help="Total daily budget to allocate, USD/day."),
    objective: str = typer.Option("conversions", "--objective", help=OBJECTIVE_HELP),
    daily: Optional[Path] = typer.Option(
        None, "--daily", exists=True, dir_okay=False, readable=True,
        help="CSV with columns day, channel (or --by), spend, conversions and optionally revenue.",
    ),
    from_warehouse: bool = typer.Option(False, "--from-warehouse", help=f"Read {MART} from the warehouse."),
    attribution_model: Optional[str] = typer.Option(
        None, "--attribution-model", help="Which model's conversions to use from the mart (default: markov)."),
    by: str = typer.Option("channel", "--by", help="Column naming what gets a budget (channel, campaign ...)."),
    max_change: float = typer.Option(0.3, "--max-change", min=0.0, max=10.0,
                                     help="Largest change of any channel's spend, as a share of its current spend."),
    min_spend: list[str] = typer.Option([], "--min-spend", help="Hard minimum, CHANNEL=USD/day (repeatable)."),
    max_spend: list[str] = typer.Option([], "--max-spend", help="Hard maximum, CHANNEL=USD/day (repeatable)."),
    days: Optional[int] = typer.Option(None, "--days", min=28, help="Fit on the last N days only."),
    incremental: bool = typer.Option(
        False, "--incremental/--attributed",
        help="Conversions are incremental (curves through the origin) or attributed (a base level is fitted)."),
    replicates: int = typer.Option(200, "--replicates", min=10, max=2000, help="Bootstrap replicates per curve."),
    seed: int = typer.Option(0, "--seed", help="Seed of the bootstrap."),
    out_file: Optional[Path] = typer.Option(None, "--out", dir_okay=False, help="Also write the plan to this CSV."),
) -> None:
    """Fit a response curve per channel and print the budget plan that equalizes marginal returns."""
    import pandas as pd

    from adledger.analytics.optimization import OptimizationDataError, PlanError, allocate_budget, fit_curves

    name, target = parse_objective(objective)
    lower, upper = parse_bounds(min_spend, "--min-spend"), parse_bounds(max_spend, "--max-spend")
    if (daily is None) == (not from_warehouse):
        raise typer.BadParameter("give exactly one of --daily FILE.csv and --from-warehouse", param_hint="--daily")
    if not budget > 0:
        raise typer.BadParameter("the budget must be a positive USD/day amount", param_hint="--budget")
    if daily is not None:
        try:
            frame = pd.read_csv(daily)
        except (pd.errors.EmptyDataError, pd.errors.ParserError, UnicodeDecodeError) as exc:
            raise typer.BadParameter(f"{daily} is not a readable CSV with a header row: {exc}",
                                     param_hint="--daily") from exc
    else:
        frame = read_warehouse_daily(attribution_model)
    if days is not None and "day" in frame.columns:
        last = pd.to_datetime(frame["day"], errors="coerce").max()
        frame = frame[pd.to_datetime(frame["day"], errors="coerce") > last - pd.Timedelta(days=days)]
    try:
        with err.status(f"Fitting response curves ({replicates} bootstrap replicates each)..."):
            fits = fit_curves(frame, by=by, intercept=not incremental, replicates=replicates, seed=seed)
        unknown = sorted((set(lower) | set(upper)) - set(fits))
        if unknown:
            raise typer.BadParameter(f"no {by} named {', '.join(unknown)}; known: {', '.join(fits)}",
                                     param_hint="--min-spend/--max-spend")
        with err.status("Allocating the budget..."):
            plan = allocate_budget(fits, budget, objective=name, target=target, max_change=max_change,
                                   min_spend=lower, max_spend=upper)
    except OptimizationDataError as exc:
        fail(str(exc), f"the daily input needs day, {by}, spend, conversions (optionally revenue)")
    except PlanError as exc:
        fail(str(exc), "change --budget, widen --max-change / --min-spend / --max-spend, or relax the target")
    out.print(plan_table(plan.table, plan.summary, by))
    out.print(summary_line(plan.summary))
    out.print("mCPA/mROAS: marginal CPA or ROAS at the current mix → at the plan. Why:")
    for row in plan.table.itertuples(index=False):
        out.print(f"  {row.channel}: {row.reason}", highlight=False)
    if out_file is not None:
        plan.table.to_csv(out_file, index=False)
        out.print(f"Wrote {len(plan.table)} rows to {out_file}")


def _money(value: float) -> str:
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:.1f}"


def plan_table(table: pd.DataFrame, summary: dict, by: str) -> Table:
    """The plan as a rich table: spends (USD/day), expected change with its interval, marginal return."""
    revenue = summary["objective"] in ("revenue", "target_roas")
    title = f"Budget plan: {summary['objective'].replace('_', ' ')}" + (
        f" {summary['target']:g}" if summary["target"] is not None else "") + " (USD/day)"
    view = Table(title=title)
    view.add_column(by, overflow="fold")
    for head in ("now", "plan", "Δ", "Δ conv/day", "90% interval", "mROAS" if revenue else "mCPA"):
        view.add_column(head, justify="right")
    for row in table.itertuples(index=False):
        if revenue:
            marginal = f"{row.marginal_roas_current:.2f}→{row.marginal_roas_recommended:.2f}"
        else:
            marginal = f"{row.marginal_cpa_current:,.0f}→{row.marginal_cpa_recommended:,.0f}"
        view.add_row(str(row.channel), _money(row.reference_spend), _money(row.recommended_spend),
                     f"{row.change_pct:+.0%}", f"{row.expected_change:+.2f}",
                     f"{row.expected_change_low:+.2f}..{row.expected_change_high:+.2f}", marginal)
    return view


def summary_line(s: dict) -> str:
    """Totals of the plan in one paragraph (and the plan's note)."""
    text = ""
    if abs(s["total_current"] - s["budget"]) > 0.005 and s["objective"] in ("conversions", "revenue"):
        text = f"Spend now is {s['total_current']:,.2f} USD/day; 'now' is its mix scaled to the budget.\n"
    text += (f"Total {s['total_current']:,.2f} → {s['total_recommended']:,.2f} USD/day; expected conversions "
            f"{s['reference_conversions']:,.2f} → {s['expected_conversions']:,.2f}/day "
            f"({s['expected_change']:+.2f}, 90% interval {s['expected_change_low']:+.2f} .. "
            f"{s['expected_change_high']:+.2f}); expected CPA {s['expected_cpa']:,.2f}")
    if "expected_revenue" in s:
        text += f"; revenue {s['expected_revenue_change']:+,.2f}/day, ROAS {s['expected_roas']:.2f}"
    return text + (f"\n{s['note']}" if s["note"] else "")


def bench_optimize(
    seeds: int = typer.Option(3, "--seeds", min=1, max=20, help="Simulated worlds per measurement."),
    days: int = typer.Option(120, "--days", min=60, help="Days of each world's history for the curves."),
    scale: float = typer.Option(0.5, "--scale", min=0.05, help="World scale (budgets and orders)."),
    loop_scale: float = typer.Option(2.0, "--loop-scale", min=0.1, help="Scale of the decision-loop world."),
    cycles: int = typer.Option(4, "--cycles", min=1, max=20, help="Cycles of the decision loop per seed."),
    judge: str = typer.Option("curves", "--judge", help="How the loop judges a change: curves or observed."),
) -> None:
    """Grade and time the optimizer on simulated worlds: allocation vs the true optimum, the decision loop,
    the bid model vs naive CVR, and pacing vs even pacing."""
    import duckdb
    import numpy as np
    import pandas as pd
    from rich.progress import Progress

    if judge not in ("curves", "observed"):
        raise typer.BadParameter(f"{judge!r} is not curves or observed", param_hint="--judge")
    from adledger.analytics.bidding import evaluate_bid_model, synthetic_clicks
    from adledger.analytics.optimization import (ResponseWorld, allocate_budget, fit_curves, run_decision_loop,
                                                 simulated_channel_days)
    from adledger.analytics.pacing import AuctionEnvironment, EvenPacing, PIDPacer, ThompsonPacer, run_pacing

    world = ResponseWorld.from_simulator(scale)
    with Progress(console=err, transient=True) as progress:
        task = progress.add_task("allocation on simulated worlds", total=seeds)
        rows = []
        for seed in range(1, seeds + 1):
            daily = simulated_channel_days(seed, days, scale)
            with duckdb.connect() as con:
                started = time.perf_counter()
                con.execute("select channel, avg(spend), avg(conversions) from daily group by channel").fetchall()
                duck = time.perf_counter() - started
            started = time.perf_counter()
            fits = fit_curves(daily, intercept=False, replicates=200, seed=seed)
            current = {k: f.current_spend for k, f in fits.items()}
            plan = allocate_budget(fits, sum(current.values()))
            elapsed = time.perf_counter() - started
            optimum = allocate_budget(world.true_fits(current), sum(current.values()))
            best = world.steady(dict(zip(optimum.table["channel"], optimum.table["recommended_spend"])))
            t = plan.table
            rows.append((seed, elapsed, duck, world.steady(dict(zip(t["channel"], t["recommended_spend"]))) / best,
                         world.steady(dict(zip(t["channel"], t["reference_spend"]))) / best))
            progress.advance(task)
    view = Table(title=f"bench optimize: allocation, {days}-day worlds at scale {scale}, 12 channels, 200 replicates")
    for head in ("seed", "fit + plan s", "DuckDB group-by s", "ratio", "plan / true optimum", "current / true optimum"):
        view.add_column(head, justify="right")
    for seed, elapsed, duck, rec, cur in rows:
        view.add_row(str(seed), f"{elapsed:.2f}", f"{duck:.4f}", f"{elapsed / duck:,.0f}", f"{rec:.2%}", f"{cur:.2%}")
    out.print(view)

    loop_world = ResponseWorld.from_simulator(loop_scale)
    counts = np.zeros(4, int)
    with err.status("decision loop..."):
        for seed in range(seeds):
            with duckdb.connect() as con:
                r = run_decision_loop(loop_world, con, cycles=cycles, seed=seed, judge=judge)
            counts += (r.improving_kept, r.improving_total, r.other_reverted, r.other_total)
    out.print(f"decision loop ({seeds} seed(s) x {cycles} cycles, scale {loop_scale}, judged by {judge}): "
              f"kept {counts[0]} of {counts[1]} "
              f"changes that truly improve results, reverted {counts[2]} of {counts[3]} that do not")

    bids = []
    with err.status("bid model..."):
        for seed in range(1, seeds + 1):
            clicks, keyword_days = synthetic_clicks(days=56, seed=seed)
            bids.append(evaluate_bid_model(clicks, keyword_days, test_days=14).assign(seed=seed))
    metrics = pd.concat(bids).groupby("model", sort=False)[["log_loss", "auc", "brier", "ece"]].mean()
    holdout = int(np.mean([b["test_clicks"].iloc[0] for b in bids]))
    view = Table(title=f"bid model: last 14 of 56 days, mean of {seeds} seed(s) (about {holdout:,} holdout clicks each)")
    for head in ("model", "log-loss", "AUC", "Brier", "ECE"):
        view.add_column(head, justify="left" if head == "model" else "right")
    for model, m in metrics.iterrows():
        view.add_row(model, f"{m.log_loss:.4f}", f"{m.auc:.4f}", f"{m.brier:.4f}", f"{m.ece:.4f}")
    out.print(view)

    hours = np.arange(24)
    markets = {"flat": AuctionEnvironment(),
               "evening converts better": AuctionEnvironment(
                   cvr_by_hour=1 + 0.5 * np.cos(2 * np.pi * (hours - 20) / 24),
                   price_by_hour=1 + 0.2 * np.cos(2 * np.pi * (hours - 15) / 24))}
    view = Table(title=f"pacing: 30 days, budget 10,000/day, {seeds} seed(s)")
    for head in ("market", "agent", "conversions", "vs even", "min spend/budget", "mean spend/budget"):
        view.add_column(head, justify="left" if head in ("market", "agent") else "right")
    with err.status("pacing..."):
        for label, env in markets.items():
            results = {}
            for make in (lambda s: EvenPacing(env.slots, 1.5), lambda s: PIDPacer(env.slots, 1.5),
                         lambda s: ThompsonPacer(env.slots, 1.5, seed=s)):
                runs = [run_pacing(env, make(s), 30, daily_budget=10_000.0, seed=s) for s in range(seeds)]
                results[make(0).name] = pd.concat(runs)
            even = results["even"]["conversions"].sum()
            for name, r in results.items():
                view.add_row(label, name, f"{r['conversions'].sum():,}", f"{r['conversions'].sum() / even - 1:+.1%}",
                             f"{r['spend_ratio'].min():.4f}", f"{r['spend_ratio'].mean():.4f}")
    out.print(view)

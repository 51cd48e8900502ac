"""The ground truth: every parameter and label of the world, as parquet tables plus `truth/manifest.json`."""

from __future__ import annotations

import json
from dataclasses import asdict
from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from adledger.simulator import spec
from adledger.simulator.holdout import holdout_truth
from adledger.simulator.outputs import _iso_ms, _parquet, _round_cents
from adledger.simulator.plan import DAY_MS, HOUR_MS
from adledger.simulator.response import hill
from adledger.simulator.tracker import TrackerLog
from adledger.simulator.world import World

MONEY = pa.decimal128(18, 2)


def _decimal_table(df: pd.DataFrame, money_cols: list[str]) -> pa.Table:
    t = pa.Table.from_pandas(df, preserve_index=False)
    for c in money_cols:
        t = t.set_column(t.schema.get_field_index(c), c, pa.array([Decimal(str(x)) for x in df[c]], MONEY))
    return t


def _spend_tables(root: Path, spend: pd.DataFrame) -> None:
    acct = spend.copy()
    acct["spend_usd"] = [_round_cents(x) for x in acct["spend_usd_exact"]]
    acct["restated_spend_usd"] = [_round_cents(x) for x in acct["restated_usd_exact"]]
    cols = ["platform", "account_id", "date", "currency", "usd_per_unit", "spend", "spend_usd", "restated",
            "restated_spend", "restated_spend_usd"]
    pq.write_table(_decimal_table(acct[cols], ["spend", "spend_usd", "restated_spend", "restated_spend_usd"]),
                   root / "spend_account_daily.parquet")
    plat = spend.groupby(["platform", "date"], as_index=False).agg(
        spend_usd_exact=("spend_usd_exact", "sum"), restated_usd_exact=("restated_usd_exact", "sum"))
    plat["spend_usd"] = [_round_cents(x) for x in plat["spend_usd_exact"]]
    plat["restated_spend_usd"] = [_round_cents(x) for x in plat["restated_usd_exact"]]
    pq.write_table(_decimal_table(plat[["platform", "date", "spend_usd", "restated_spend_usd"]],
                                  ["spend_usd", "restated_spend_usd"]), root / "spend_platform_daily.parquet")


def write_truth(out: Path, world: World, log: TrackerLog, got, orders: pd.DataFrame, delivery: pd.DataFrame,
                spend: pd.DataFrame, dates: list) -> dict:
    root = out / "truth"
    root.mkdir(parents=True, exist_ok=True)
    pop, cal = world.pop, world.cal
    _spend_tables(root, spend)
    # orders with causes
    o = orders.copy()
    o["holdout"] = pop.holdout[o["user"]]
    for e, exp in enumerate(spec.EXPERIMENTS):
        o[f"variant_{exp.experiment_id}"] = np.array(exp.variations)[pop.variant[e][o["user"]]]
    u = world.cat.units
    unit = o["unit"].to_numpy()
    o["unit_platform"] = np.where(unit >= 0, u["platform"].to_numpy()[np.maximum(unit, 0)], None)
    o["unit_campaign_id"] = np.where(unit >= 0, u["campaign_id"].to_numpy()[np.maximum(unit, 0)], None)
    o["unit_ad_id"] = np.where(unit >= 0, u["ad_id"].to_numpy()[np.maximum(unit, 0)], None)
    o = o.rename(columns={"user": "user_key", "device": "device_key"})
    _parquet(o.drop(columns=["email"]), root / "orders.parquet")
    # users and devices
    countries = pa.array([c.code for c in spec.COUNTRIES])
    users = {
        "user_key": np.arange(pop.n_users), "customer_id": pop.customer_id, "email": pop.email,
        "country": countries.take(pa.array(pop.country.astype(np.int32))), "timezone": pop.timezone.dictionary_decode(),
        "registered_at_start": pop.registered, "customer": world.customer_since < np.iinfo(np.int64).max // 8,
        "holdout": pop.holdout, "adblock": pop.adblock, "email_opt_in": pop.email_opt_in,
        "consent_advertising_end": pop.consent_advertising, "consent_analytics_end": pop.consent_analytics,
        "n_devices": pop.user_n_devices,
    }
    for e, exp in enumerate(spec.EXPERIMENTS):
        users[f"variant_{exp.experiment_id}"] = pa.array(list(exp.variations)).take(pa.array(pop.variant[e].astype(np.int32)))
        users[f"exposure_lost_{exp.experiment_id}"] = world.exposure_lost[e]
    pq.write_table(pa.table(users), root / "users.parquet", compression="zstd")
    du = pop.device_user
    human = du >= 0
    customer = pop.customer_id.take(pa.array(np.maximum(du, 0)))
    customer = pc.if_else(pa.array(human), customer, pa.scalar(None, pa.string()))
    pq.write_table(pa.table({
        "device_key": np.arange(len(du)), "anonymous_id": pop.device_anonymous_id, "device_id": pop.device_id,
        "user_key": np.where(human, du, -1), "customer_id": customer, "is_bot": ~human, "ip": pop.device_ip,
        "user_agent": pop.device_user_agent.dictionary_decode()}), root / "devices.parquet", compression="zstd")
    # sessions (every visit, tracked or not) and tracker labels
    sessions = pa.concat_tables(got.sessions) if got.sessions else None
    if sessions is not None:
        sessions = sessions.append_column("start_at", pa.array(_iso_ms(sessions.column("start_ms").to_numpy())))
        pq.write_table(sessions, root / "sessions.parquet", compression="zstd")
    labels = pa.concat_tables(log.labels) if log.labels else pa.table({"message_id": pa.array([], pa.string())})
    pq.write_table(labels, root / "event_labels.parquet", compression="zstd")
    malformed = pd.DataFrame(log.malformed, columns=["file", "line", "kind"]).sort_values(["file", "line"])
    _parquet(malformed.reset_index(drop=True), root / "malformed_lines.parquet")
    files = pd.DataFrame([asdict(f) for f in log.files]).sort_values("file").reset_index(drop=True)
    _parquet(files, root / "tracker_files.parquet")
    planted_columns = ["order_id", "session_id", "click_ms", "lead_ms"]
    for planted, name in ((got.injected, "click_injection"), (got.flooded, "click_flooding")):
        table = pd.DataFrame({k: np.concatenate([x[k] for x in planted]) for k in planted_columns}) if planted \
            else pd.DataFrame(columns=planted_columns)
        _parquet(table, root / f"{name}.parquet")
    # channels: daily drivers and response curves
    ch_days = pd.DataFrame(got.channel_days)
    ch_days["date"] = [cal.day_of(int(d)).isoformat() for d in ch_days["day"]]
    _parquet(ch_days, root / "channel_daily.parquet")
    curves = []
    for ch in spec.CHANNELS:
        k = ch.half_saturation * world.scale
        for x in np.linspace(0, 3 * k, 61):
            curves.append({"channel": ch.key, "adstocked_spend_usd": float(x),
                           "expected_incremental_orders": float(hill(x, ch.beta * world.scale, k, ch.hill_n))})
    _parquet(pd.DataFrame(curves), root / "response_curves.parquet")
    # platform-reported vs tracker conversions
    _parquet(delivery[["platform", "account_id", "date", "campaign_id", "adgroup_id", "ad_id", "keyword_id",
                       "conversions", "tracker_conversions", "clicks", "invalid_clicks"]],
             root / "platform_conversions.parquet")
    # experiments
    exp_rows = []
    for e, exp in enumerate(spec.EXPERIMENTS):
        w = np.array(exp.weights) / sum(exp.weights)
        for v, name in enumerate(exp.variations):
            exp_rows.append({"experiment_id": exp.experiment_id, "kind": exp.kind, "variation_id": f"{exp.experiment_id}:{name}",
                             "variation_name": name, "weight": float(w[v]), "true_uplift": exp.uplift[v],
                             "exposure_loss": exp.exposure_loss[v] if exp.exposure_loss else 0.0,
                             "users_assigned": int((pop.variant[e] == v).sum()),
                             "start_date": cal.day_of(int(exp.start_frac * cal.days)).isoformat(),
                             "end_date": cal.day_of(max(int(exp.start_frac * cal.days), int(exp.end_frac * cal.days) - 1)).isoformat()})
    _parquet(pd.DataFrame(exp_rows), root / "experiments.parquet")
    incidents = _incidents(world)
    _parquet(pd.DataFrame(incidents), root / "incidents.parquet")
    inf = world.influencers
    _parquet(pd.DataFrame({"link_code": u["campaign_id"].to_numpy()[inf["unit"]], "fee": inf["fee"],
                           "currency": inf["currency"],
                           "start_date": [cal.day_of(int(d)).isoformat() for d in inf["start_day"]],
                           "activated_at": [(_iso_ms(np.array([a]))[0] if a >= 0 else None) for a in inf["activation_ms"]]}),
             root / "influencers.parquet")

    counts = {
        "tracker_events": int(log.events_written), "tracker_files": len(log.files),
        "tracker_lines": int(files["lines"].sum()) if len(files) else 0,
        "malformed_lines": len(log.malformed), "events_lost_outage": log.events_lost_outage,
        "events_lost_adblock": log.events_lost_adblock,
        "duplicate_events": int(pc_count(labels, "duplicate")), "fraud_events": int(pc_count(labels, "fraud")),
        "late_events": int(pc_count(labels, "late")),
        "orders": len(orders), "orders_tracked": int(orders["tracked"].sum()),
        "users": int(pop.n_users), "devices": int(len(pop.device_user)),
        "sessions": int(sessions.num_rows) if sessions is not None else 0,
        "platform_rows": int(len(delivery)), "affiliate_actions": len(got.actions),
        "esp_campaigns": len(world.email_campaigns),
    }
    manifest = {
        "seed": world.seed, "days": cal.days, "scale": world.scale, "start": cal.start.isoformat(),
        "end": cal.day_of(cal.days - 1).isoformat(),
        "channels": [{"key": c.key, "platform": c.platform, "cost_model": c.cost_model,
                      "base_budget_usd_per_day": c.budget * world.scale,
                      "hill_beta_orders_per_day": c.beta * world.scale,
                      "hill_half_saturation_usd": c.half_saturation * world.scale, "hill_shape": c.hill_n,
                      "adstock_decay": c.adstock, "price_usd": c.price, "ctr": c.ctr,
                      "same_session_share": c.same_session,
                      "accounts": [asdict(a) for a in c.accounts]} for c in spec.CHANNELS],
        "baseline": asdict(spec.BASELINE) | {"new_orders": spec.BASELINE.new_orders * world.scale},
        "experiments": [asdict(e) for e in spec.EXPERIMENTS],
        "holdout": holdout_truth(world, orders),
        "creative_test": {"platform": "meta_ads", "ctr_uplift": spec.CREATIVE_TEST_CTR_UPLIFT,
                          "rule": "in the first ad set of each Meta campaign, the second ad's CTR is multiplied by 1 + uplift"},
        "fatigue": {"rate": spec.FATIGUE_RATE,
                    "rule": "CTR of Meta/TikTok ads is multiplied by exp(-rate * cumulative impressions / audience)"},
        "incidents": incidents,
        "restatement": {"days": world.trouble.restatement_days,
                        "rule": "after restatement the last N account-local dates of every API account serve "
                                "restated_cost_micros/restated_clicks (platforms/delivery.parquet)"},
        "platform_overcount": world.trouble.platform_overcount,
        "fx": {"file": "first_party/fx_rates.csv", "column": "usd_per_unit",
               "rule": "USD = amount * usd_per_unit of the amount's (account-local) date; totals rounded half-up to cents once"},
        "counts": counts,
    }
    (root / "manifest.json").write_text(json.dumps(manifest, indent=2, sort_keys=True, default=str) + "\n")
    return counts


def pc_count(labels: pa.Table, label: str) -> int:
    if "label" not in labels.column_names:
        return 0
    return int(np.count_nonzero(labels.column("label").to_numpy(zero_copy_only=False) == label))


def _incidents(world: World) -> list[dict]:
    cal, t = world.cal, world.trouble
    out = []

    def day_iso(d: int, hour: int = 0) -> str:
        return _iso_ms(np.array([cal.start_ms + d * DAY_MS + hour * HOUR_MS]))[0]

    for b in t.fraud_bursts:
        out.append({"id": b["id"], "kind": "click_fraud_burst", "channel": b["channel"], "campaign": b["campaign"],
                    "start": day_iso(b["day"], b["hours"][0]), "end": day_iso(b["day"], b["hours"][1]),
                    "detail": json.dumps({"clicks": b["clicks"], "devices": b["devices"],
                                          "ip_prefixes": list(spec.DATACENTER_PREFIXES)})})
    for s in t.spend_spikes:
        out.append({"id": s["id"], "kind": "spend_spike", "channel": s["channel"], "campaign": s["campaign"],
                    "start": day_iso(s["day"]), "end": day_iso(s["day"] + 1),
                    "detail": json.dumps({"spend_mult": s["spend_mult"], "click_mult": s["click_mult"]})})
    o = t.outage
    out.append({"id": o["id"], "kind": "tracking_outage", "channel": None, "campaign": None,
                "start": day_iso(o["day"], o["hours"][0]), "end": day_iso(o["day"], o["hours"][1]),
                "detail": json.dumps({"rule": "events received in [start, end) were lost"})})
    d = t.drift
    out.append({"id": d["id"], "kind": "attribution_drift", "channel": d["channel"], "campaign": None,
                "start": day_iso(d["day"]), "end": day_iso(cal.days),
                "detail": json.dumps({"utm_source": d["utm_source"], "utm_medium": d["utm_medium"],
                                      "untagged_share": d["untagged_share"]})})
    c = t.click_injection
    out.append({"id": c["id"], "kind": "click_injection", "channel": "affiliate", "campaign": c["partner_id"],
                "start": day_iso(c["day"]), "end": day_iso(cal.days),
                "detail": json.dumps({"share_of_orders": c["share"], "max_seconds_before_order": c["max_seconds"]})})
    f = t.click_flooding
    out.append({"id": f["id"], "kind": "click_flooding", "channel": "affiliate", "campaign": f["partner_id"],
                "start": day_iso(f["day"]), "end": day_iso(cal.days),
                "detail": json.dumps({"clicks_per_day_at_scale_1": f["clicks_per_day"],
                                      "share_of_unpaid_orders": f["share"], "hours_before_order": list(f["lead_hours"])})})
    return out

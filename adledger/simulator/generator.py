"""`simulate()`: run the world day by day and write the world directory (format: docs/world.md).

Memory stays bounded: each day's sessions and events are serialized and dropped; only per-order rows, the
platform delivery grid (units x dates) and the labels are kept until the end.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path
from typing import Callable

import numpy as np
import pyarrow as pa

from adledger.simulator import spec
from adledger.simulator.events import build_day_events
from adledger.simulator.plan import DAY_MS, HOUR_MS, Calendar
from adledger.simulator.rng import stream
from adledger.simulator.tracker import TrackerWriter
from adledger.simulator.world import SOURCES, World

#: bump when the directory format changes in a way readers must notice
FORMAT_VERSION = 1
ORDER_REFUND_SHARE = 0.05
AFFILIATE_PENDING_DAYS = 14
AFFILIATE_WINDOW_DAYS = 30


@dataclass
class WorldManifest:
    """What `simulate` wrote: parameters and counts (also `DIR/world.json`)."""

    path: str
    seed: int
    days: int
    scale: float
    start: str
    end: str
    format_version: int = FORMAT_VERSION
    counts: dict = field(default_factory=dict)

    def __str__(self) -> str:
        c = self.counts
        return (f"{self.days} days from {self.start}, seed {self.seed}, scale {self.scale}: "
                f"{c.get('tracker_events', 0):,} tracker events in {c.get('tracker_files', 0):,} files, "
                f"{c.get('orders', 0):,} orders")

    @classmethod
    def load(cls, world_dir: Path) -> "WorldManifest":
        data = json.loads((Path(world_dir) / "world.json").read_text())
        return cls(**{k: data[k] for k in cls.__dataclass_fields__ if k in data})


@dataclass
class _Collected:
    orders: list[dict] = field(default_factory=list)
    items: list[dict] = field(default_factory=list)
    channel_days: list[dict] = field(default_factory=list)
    sessions: list[pa.Table] = field(default_factory=list)
    actions: list[dict] = field(default_factory=list)
    injected: list[dict] = field(default_factory=list)
    flooded: list[dict] = field(default_factory=list)


def simulate(out_dir: Path, days: int = 90, seed: int = 7, scale: float = 1.0, start: date | None = None,
             progress: Callable[[int, int], None] | None = None) -> WorldManifest:
    """Write a world of `days` days starting `start` (default 2026-01-01) to `out_dir` (replaced if present).

    Deterministic: the same arguments give byte-identical files. `progress(done_days, days)` is called after
    each simulated day.
    """
    if days < 1:
        raise ValueError("days must be at least 1")
    if scale <= 0:
        raise ValueError("scale must be positive")
    out_dir = Path(out_dir)
    if out_dir.exists():
        shutil.rmtree(out_dir)
    out_dir.mkdir(parents=True)
    cal = Calendar(start or spec.DEFAULT_START, days)
    world = World(seed, cal, scale)
    writer = TrackerWriter(out_dir, world, seed)
    got = _Collected()
    for day in range(days):
        res = world.step(day)
        ev = build_day_events(world, res, seed)
        o = res.orders
        order_ids = np.array([f"ord_{i:08d}" for i in o["order"]], dtype=str)
        writer.add_day(res, ev, order_ids)
        _collect_day(world, res, ev, order_ids, got)
        if progress:
            progress(day + 1, days)
    writer.close()
    from adledger.simulator.outputs import write_outputs

    counts = write_outputs(out_dir, world, writer.log, got)
    manifest = WorldManifest(path=str(out_dir), seed=seed, days=days, scale=scale, start=cal.start.isoformat(),
                             end=cal.day_of(days - 1).isoformat(), counts=counts)
    (out_dir / "world.json").write_text(json.dumps(asdict(manifest) | {"path": "."}, indent=2, sort_keys=True) + "\n")
    return manifest


def _collect_day(world: World, res, ev, order_ids: np.ndarray, got: _Collected) -> None:
    """Keep what the outputs need from one day: orders, claimed conversions, affiliate actions, truth rows."""
    rng = stream(world.seed, "collect", res.day)
    o, s = res.orders, res.sessions
    n = len(order_ids)
    refunded = rng.random(n) < ORDER_REFUND_SHARE
    got.orders.append({
        "order_id": order_ids, "user": o["user"], "device": o["device"], "session_id": s["session"][o["session"]],
        "order_ms": ev.order_ms, "cause": o["cause"].astype(str), "incremental": o["incremental"], "unit": o["unit"],
        "currency": o["currency"], "revenue": o["revenue"], "first_order": o["first_order"], "refunded": refunded,
        "day": np.full(n, res.day, np.int32)})
    got.items.append({"order_id": order_ids[o["item_order"]], "product": o["item_product"], "quantity": o["item_qty"],
                      "price": o["item_price"]})
    # platform-side claim: orders whose converting (or remembered) click belongs to a unit of a delivery platform
    units = o["unit"]
    claim = (units >= 0) & world.u_delivery[np.maximum(units, 0)]
    for i in np.flatnonzero(claim):
        u = units[i]
        acc = world.cat.accounts[world.u_account[u]]
        k = _local_date_index(world, acc.timezone, int(ev.order_ms[i]))
        world.claimed[u, k] += 1
        world.claimed_value[u, k] += o["revenue"][i] * _fx(world, o["currency"][i], k) / world.fx[acc.currency][k]
    _affiliate_actions(world, res, ev, order_ids, refunded, got)
    t = res.channel_truth
    for c, ch in enumerate(spec.CHANNELS):
        got.channel_days.append({"day": res.day, "channel": ch.key, "spend_usd_driver": float(t["spend_usd"][c]),
                                 "adstock_usd": float(t["adstock"][c]),
                                 "expected_incremental_orders": float(t["expected_incremental"][c]),
                                 "realized_incremental_orders": int(t["realized_incremental"][c])})
    for planted, kept in ((ev.injected, got.injected), (ev.flooded, got.flooded)):
        if len(planted["session_row"]):
            kept.append({"order_id": order_ids[planted["order_local"]], "session_id": s["session"][planted["session_row"]],
                         "click_ms": planted["click_ms"], "lead_ms": planted["lead_ms"]})
    got.sessions.append(pa.table({
        "session_id": s["session"], "day": np.full(len(s["user"]), res.day, np.int32), "user": s["user"],
        "device": s["device"], "start_ms": s["start"], "source": np.array(SOURCES, dtype=object)[s["source"]],
        "unit": s["unit"], "fraud": s["fraud"], "late_ms": s["late_ms"], "utm_tag": s["tag"], "order_index": s["order"]}))


def _local_date_index(world: World, tz: str, ms: int) -> int:
    day = (ms - world.cal.start_ms) // DAY_MS
    hour = (ms - world.cal.start_ms - day * DAY_MS) // HOUR_MS
    return int(world.cal.local_index(tz, int(day))[int(hour)])


def _fx(world: World, currency: str, k: int) -> float:
    return float(world.fx[currency][k])


def _affiliate_actions(world: World, res, ev, order_ids: np.ndarray, refunded: np.ndarray, got: _Collected) -> None:
    """The network credits an order to the partner of the user's last affiliate click within the cookie window."""
    s, o = res.sessions, res.orders
    aff = s["source"] == spec.CHANNEL_INDEX["affiliate"]
    a_user, a_ms, a_unit = s["user"][aff], s["start"][aff], s["unit"][aff]
    key_a = a_user.astype(np.int64) * (1 << 42) + (a_ms - world.cal.start_ms)
    order = np.argsort(key_a, kind="stable")
    key_a, a_user, a_ms, a_unit = key_a[order], a_user[order], a_ms[order], a_unit[order]
    key_o = o["user"].astype(np.int64) * (1 << 42) + (ev.order_ms - world.cal.start_ms)
    pos = np.searchsorted(key_a, key_o, side="left") - 1
    ok = pos >= 0
    ok[ok] &= a_user[pos[ok]] == o["user"][ok]
    # sentinel at the end so empty days index safely (never selected: `ok` is False there)
    a_ms_x, a_unit_x = np.append(a_ms, -1), np.append(a_unit, -1)
    click_ms = np.where(ok, a_ms_x[np.where(ok, pos, -1)], world.last_aff_ms[o["user"]])
    unit = np.where(ok, a_unit_x[np.where(ok, pos, -1)], world.last_aff_unit[o["user"]])
    window = AFFILIATE_WINDOW_DAYS * DAY_MS
    credited = (unit >= 0) & (click_ms >= 0) & (ev.order_ms - click_ms <= window) & (click_ms <= ev.order_ms)
    acc = spec.CHANNELS[spec.CHANNEL_INDEX["affiliate"]].accounts[0]
    rates = world.cat.units["commission_rate"].to_numpy(float)
    end_ms = world.cal.end_ms
    for i in np.flatnonzero(credited):
        k = _local_date_index(world, acc.timezone, int(ev.order_ms[i]))
        amount_usd = round(float(o["revenue"][i]) * _fx(world, o["currency"][i], k), 2)
        state = "REVERSED" if refunded[i] else ("PENDING" if end_ms - ev.order_ms[i] < AFFILIATE_PENDING_DAYS * DAY_MS else "APPROVED")
        got.actions.append({"order_id": order_ids[i], "unit": int(unit[i]), "click_ms": int(click_ms[i]),
                            "event_ms": int(ev.order_ms[i]), "local_index": k, "amount": amount_usd,
                            "payout": round(amount_usd * rates[unit[i]], 2), "state": state})
    # today's clicks become the cookies of tomorrow
    later = a_ms >= world.last_aff_ms[a_user]
    world.last_aff_ms[a_user[later]] = a_ms[later]
    world.last_aff_unit[a_user[later]] = a_unit[later]

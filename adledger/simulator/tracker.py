"""Serialize tracker events to Segment-spec JSON lines: hourly gzip files, ordered by arrival.

The JSON is built by DuckDB (`to_json` of a struct per event type) over Arrow tables, so no Python code runs per
event. A file holds the events *received* in its UTC hour (`receivedAt`), in arrival order, so lexical file order
is arrival order; late events (up to 72 h) therefore sit in later files than their `timestamp`. Files are gzip
with a zero mtime and no file name, so the same world is byte-identical.

Injected trouble handled here (labelled in the truth): duplicates (same `messageId`, a later `receivedAt`),
the tracking outage (events received in the window are lost), ad-blocked users (never received), and malformed
lines (truncated JSON, binary junk, a missing required field, a wrong type) added to some files.
"""

from __future__ import annotations

import gzip
import json
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from adledger.simulator import spec
from adledger.simulator.events import DayEvents, TRACK_NAMES
from adledger.simulator.plan import DAY_MS, HOUR_MS
from adledger.simulator.rng import stream
from adledger.simulator.world import DayResult, World

MALFORMED_KINDS = ("truncated_json", "binary_junk", "missing_field", "wrong_type")
GZIP_LEVEL = 3
#: hourly files compressed in the background before the writer waits (bounds the memory held in blobs)
MAX_BACKLOG = 16

_CONTEXT = """{
    'page': {'path': e.page_path, 'referrer': e.referrer, 'search': e.search, 'title': e.page_title, 'url': e.url},
    'ip': d.ip, 'userAgent': d.user_agent,
    'consent': {'categoryPreferences': {'advertising': e.consent_advertising, 'analytics': e.consent_analytics,
                                        'functional': true}},
    'device': {'id': d.device_id}, 'timezone': d.timezone, 'locale': d.locale,
    'library': {'name': 'analytics.js', 'version': 'next-1.74.0'}}"""
_HEAD = """'type': {type}, 'messageId': e.message_id, 'timestamp': e.ts_iso, 'receivedAt': e.recv_iso,
    'anonymousId': d.anonymous_id, 'userId': e.user_id"""
_PRODUCT = "'product_id': p.product_id, 'sku': p.sku, 'name': p.name, 'price': e.unit_price, 'currency': e.currency"

LINE_SQL = f"""
with e0 as (
    select ev.*, s.session_id, s.device, s."user", s.fraud, s.adblock, s.late_ms, s.source,
           s.utm_source, s.utm_medium, s.utm_campaign, s.utm_content, s.utm_term, s.click_param, s.extra,
           s.referrer as landing_referrer
    from events ev join sessions s using (sess)
), e1 as (
    select e0.*,
        case when is_landing then concat_ws('&', 'utm_source=' || utm_source, 'utm_medium=' || utm_medium,
                 'utm_campaign=' || utm_campaign, 'utm_content=' || utm_content, 'utm_term=' || utm_term,
                 click_param || '=' || (case click_param when 'gclid' then 'EAIaIQobChMI' when 'msclkid' then ''
                     when 'fbclid' then 'IwAR' when 'ttclid' then 'E.C.P.' else '' end)
                     || substr(md5($seed || ':c:' || session_id::varchar), 1, 24),
                 extra) else '' end as query
    from e0
), e as (
    select e1.*,
        lower(substr(h, 1, 8) || '-' || substr(h, 9, 4) || '-' || substr(h, 13, 4) || '-' || substr(h, 17, 4)
              || '-' || substr(h, 21, 12)) as message_id,
        strftime(epoch_ms(ts), '%Y-%m-%dT%H:%M:%S.%gZ') as ts_iso,
        strftime(epoch_ms(recv), '%Y-%m-%dT%H:%M:%S.%gZ') as recv_iso,
        '{spec.SITE}' || page_path || (case when query <> '' then '?' || query else '' end) as url,
        case when query <> '' then '?' || query else '' end as search,
        coalesce(case when is_landing then landing_referrer else page_ref end, '') as referrer,
        case when logged_in then u.customer_id end as user_id, u.email,
        o.order_id, o.revenue, o.currency as order_currency, o.products,
        coalesce(o.currency, u.currency, 'USD') as currency,
        pr.local_price as unit_price
    from (select e1.*, md5($seed || ':m:' || eidx::varchar) as h from e1
          where not (e1.adblock or (e1.recv >= $outage_start and e1.recv < $outage_end))) e1
    left join users u on u.idx = e1."user"
    left join orders o on o.order_local = e1.order_local
    left join prices pr on pr.product = e1.product and pr.currency = coalesce(o.currency, u.currency, 'USD')
)
select e.recv, e.message_id, e.sess, e.kind, e.fraud, e.adblock, e.late_ms, e.is_dup, e.order_id,
    case e.kind
        when 0 then to_json({{{_HEAD.format(type="'page'")},
            'name': e.page_name,
            'properties': {{'path': e.page_path, 'referrer': e.referrer, 'search': e.search, 'title': e.page_title,
                           'url': e.url}},
            'context': {_CONTEXT}}})
        when 1 then to_json({{{_HEAD.format(type="'identify'")},
            'traits': {{'email': e.email}},
            'context': {_CONTEXT}}})
        when 2 then to_json({{{_HEAD.format(type="'track'")}, 'event': 'Product Viewed',
            'properties': {{{_PRODUCT}}}, 'context': {_CONTEXT}}})
        when 3 then to_json({{{_HEAD.format(type="'track'")}, 'event': 'Product Added',
            'properties': {{{_PRODUCT}, 'quantity': 1}}, 'context': {_CONTEXT}}})
        when 4 then to_json({{{_HEAD.format(type="'track'")}, 'event': 'Checkout Started',
            'properties': {{'order_id': e.order_id, 'value': e.revenue, 'revenue': e.revenue,
                           'currency': e.order_currency}}, 'context': {_CONTEXT}}})
        when 5 then to_json({{{_HEAD.format(type="'track'")}, 'event': 'Order Completed',
            'properties': {{'order_id': e.order_id, 'checkout_id': 'chk_' || e.order_id, 'revenue': e.revenue,
                           'currency': e.order_currency, 'products': e.products}}, 'context': {_CONTEXT}}})
        else to_json({{{_HEAD.format(type="'track'")}, 'event': 'Experiment Viewed',
            'properties': {{'experiment_id': x.experiment_id, 'experiment_name': x.experiment_name,
                           'variation_id': x.variation_id, 'variation_name': x.variation_name}},
            'context': {_CONTEXT}}})
    end::varchar || chr(10) as line
from e
join devices d on d.idx = e.device
left join products p on p.idx = e.product
left join experiments x on x.exp = e.exp and x.variation = e.variation
"""


@dataclass
class FileStat:
    file: str
    lines: int
    events: int
    malformed: int


@dataclass
class TrackerLog:
    """Everything the writer learned while writing, for the truth."""

    files: list[FileStat] = field(default_factory=list)
    malformed: list[dict] = field(default_factory=list)
    labels: list[pa.Table] = field(default_factory=list)
    events_written: int = 0
    events_lost_outage: int = 0
    events_lost_adblock: int = 0
    orders_tracked: list[np.ndarray] = field(default_factory=list)


class TrackerWriter:
    """Writes day after day; events arriving after the current day wait in a buffer for their hour."""

    def __init__(self, out_dir: Path, world: World, seed: int):
        self.root = out_dir / "tracker"
        self.root.mkdir(parents=True, exist_ok=True)
        self.world, self.seed = world, seed
        self.log = TrackerLog()
        self.pending: pa.Table | None = None
        self.con = duckdb.connect()
        self.con.execute("set threads to 2")
        self._register_static()
        self.pool = ThreadPoolExecutor(max_workers=2)
        self._written: set[str] = set()
        self._jobs: list = []
        out = world.trouble.outage
        t0 = world.cal.start_ms + out["day"] * DAY_MS
        self.outage = (t0 + out["hours"][0] * HOUR_MS, t0 + out["hours"][1] * HOUR_MS)

    def _register_people(self, sessions: pa.Table) -> None:
        """Register only the devices and users of the day's sessions (joins stay O(day), not O(population))."""
        pop = self.world.pop
        dev = np.unique(sessions.column("device").to_numpy())
        usr = np.unique(sessions.column("user").to_numpy())
        usr = usr[usr >= 0]
        take_d, take_u = pa.array(dev), pa.array(usr)

        def col(arr, idx):
            out = arr.take(idx)
            return out.dictionary_decode() if isinstance(out, pa.DictionaryArray) else out

        self.con.register("devices", pa.table({
            "idx": dev, "anonymous_id": col(pop.device_anonymous_id, take_d), "device_id": col(pop.device_id, take_d),
            "ip": col(pop.device_ip, take_d), "user_agent": col(pop.device_user_agent, take_d),
            "timezone": col(pop.device_timezone, take_d), "locale": col(pop.device_locale, take_d)}))
        currency = np.array([c.currency for c in spec.COUNTRIES])[pop.country[usr]]
        self.con.register("users", pa.table({"idx": usr, "customer_id": col(pop.customer_id, take_u),
                                             "email": col(pop.email, take_u), "currency": currency}))

    def _register_static(self) -> None:
        self.con.register("products", pa.table({
            "idx": np.arange(len(spec.PRODUCTS)), "product_id": [p[0].replace("sku-", "p") for p in spec.PRODUCTS],
            "sku": [p[0] for p in spec.PRODUCTS], "name": [p[1] for p in spec.PRODUCTS]}))
        rows = [(i, cur, p[2] if cur == "USD" else round(p[2] / rate) - 0.01)
                for i, p in enumerate(spec.PRODUCTS) for cur, rate in spec.FX_BASE.items()]
        self.con.register("prices", pa.table({"product": [r[0] for r in rows], "currency": [r[1] for r in rows],
                                              "local_price": [r[2] for r in rows]}))
        xr = [(e, v, x.experiment_id, x.name, x.variations[v], x.variations[v])
              for e, x in enumerate(spec.EXPERIMENTS) for v in range(len(x.variations))]
        self.con.register("experiments", pa.table({
            "exp": [r[0] for r in xr], "variation": [r[1] for r in xr], "experiment_id": [r[2] for r in xr],
            "experiment_name": [r[3] for r in xr], "variation_id": [f"{r[2]}:{r[4]}" for r in xr],
            "variation_name": [r[5] for r in xr]}))

    # --------------------------------------------------------------------------------------------- per day
    def add_day(self, res: DayResult, ev: DayEvents, order_ids: np.ndarray) -> None:
        rng = stream(self.seed, "tracker", res.day)
        o = res.orders
        items = pa.table({"item": np.arange(len(o["item_order"])), "order_local": o["item_order"],
                          "product": o["item_product"], "quantity": o["item_qty"], "price": o["item_price"]})
        self.con.register("items", items)
        self.con.register("orders_base", pa.table({
            "order_local": np.arange(len(o["order"])), "order_id": order_ids, "revenue": o["revenue"],
            "currency": o["currency"]}))
        self.con.execute("""
            create or replace temp table orders as
            select b.order_local, b.order_id, b.revenue, b.currency,
                   list({'product_id': p.product_id, 'sku': p.sku, 'name': p.name, 'price': i.price,
                         'quantity': i.quantity} order by i.item) filter (where i.product is not null) as products
            from orders_base b left join items i using (order_local)
            left join products p on p.idx = i.product
            group by all""")
        events = ev.events
        n = events.num_rows
        sess = events.column("sess").to_numpy()
        late = ev.sessions.column("late_ms").to_numpy()[sess]
        latency = rng.exponential(250.0, n).astype(np.int64) + 20
        recv = events.column("ts").to_numpy() + latency + late
        dup = rng.random(n) < self.world.trouble.duplicate_share
        page_names = np.array(["Home", "Collection", "Product", "Cart", "Checkout", "Order Confirmation"], dtype=object)
        base_cols = {"eidx": np.arange(n) + res.day * 10_000_000,
                     "recv": recv, "is_dup": np.zeros(n, bool),
                     "page_name": page_names[events.column("page_kind").to_numpy()]}
        table = events
        for k, v in base_cols.items():
            table = table.append_column(k, pa.array(v))
        dups = table.filter(pa.array(dup))
        if dups.num_rows:
            extra = rng.integers(1000, 600_000, dups.num_rows)
            dups = dups.set_column(dups.schema.get_field_index("recv"), "recv",
                                   pa.array(dups.column("recv").to_numpy() + extra))
            dups = dups.set_column(dups.schema.get_field_index("is_dup"), "is_dup", pa.array(np.ones(dups.num_rows, bool)))
            table = pa.concat_tables([table, dups])
        self.con.register("events", table)
        self.con.register("sessions", ev.sessions)
        self._register_people(ev.sessions)
        # events of ad-blocked users and events received during the outage never reach the log
        o0, o1 = self.outage
        lost_adblock, lost_outage = self.con.execute(
            f"select count(*) filter (where s.adblock), "
            f"count(*) filter (where not s.adblock and e.recv >= {o0} and e.recv < {o1}) "
            f"from events e join sessions s using (sess)").fetchall()[0]
        self.log.events_lost_adblock += int(lost_adblock)
        self.log.events_lost_outage += int(lost_outage)
        query = (LINE_SQL.replace("$seed", f"'{int(self.seed)}'").replace("$outage_start", str(o0))
                 .replace("$outage_end", str(o1)))
        kept = self.con.sql(f"select * from ({query}) order by recv, message_id, is_dup").to_arrow_table()
        self._labels(res.day, kept)
        tracked = kept.filter(pc.equal(kept.column("kind"), 5)).column("order_id")
        self.log.orders_tracked.append(np.unique(tracked.to_numpy(zero_copy_only=False).astype(str)))
        lines = kept.select(["recv", "line"])
        self.pending = lines if self.pending is None else pa.concat_tables([self.pending, lines])
        self._flush(self.world.cal.start_ms + (res.day + 1) * DAY_MS)

    def _labels(self, day: int, kept: pa.Table) -> None:
        """One row per (event, label): `duplicate` (the second copy), `fraud`, `late` (an event may have several)."""
        flags = {"duplicate": kept.column("is_dup").to_numpy(zero_copy_only=False),
                 "fraud": kept.column("fraud").to_numpy(zero_copy_only=False),
                 "late": kept.column("late_ms").to_numpy() > 0}
        for label, m in flags.items():
            if not m.any():
                continue
            sub = kept.filter(pa.array(m))
            self.log.labels.append(pa.table({
                "message_id": sub.column("message_id"), "label": pa.array(np.full(sub.num_rows, label)),
                "session": sub.column("sess"), "day": pa.array(np.full(sub.num_rows, day, np.int32)),
                "late_ms": sub.column("late_ms"), "is_duplicate_copy": sub.column("is_dup")}))

    def close(self) -> None:
        if self.pending is not None and self.pending.num_rows:
            self._flush(None)
        for job in self._jobs:
            self._collect(job)
        self._jobs = []
        self.pool.shutdown(wait=True)
        self.con.close()

    # --------------------------------------------------------------------------------------------- files
    def _flush(self, before_ms: int | None) -> None:
        if self.pending is None or self.pending.num_rows == 0:
            return
        order = np.argsort(self.pending.column("recv").to_numpy(), kind="stable")
        table = self.pending.take(pa.array(order))
        recv = table.column("recv").to_numpy()
        cut = len(recv) if before_ms is None else int(np.searchsorted(recv, before_ms, side="left"))
        ready, self.pending = table.slice(0, cut), table.slice(cut)
        if cut == 0:
            return
        hours = recv[:cut] // HOUR_MS
        bounds = np.flatnonzero(np.diff(hours)) + 1
        starts = np.concatenate([[0], bounds])
        ends = np.concatenate([bounds, [cut]])
        col = ready.column("line").combine_chunks()
        if col.type != pa.large_string():
            col = col.cast(pa.large_string())
        offsets = np.frombuffer(col.buffers()[1], dtype=np.int64)[col.offset: col.offset + len(col) + 1]
        data = memoryview(col.buffers()[2])
        for a, b in zip(starts, ends):
            rel = self._path(int(hours[a]) * HOUR_MS)
            if rel in self._written:
                raise RuntimeError(f"{rel} would be written twice")
            self._written.add(rel)
            rng = stream(self.seed, "malformed", int(hours[a]))
            blob = bytes(data[offsets[a]:offsets[b]])
            line_offsets = offsets[a:b + 1] - offsets[a]
            self._jobs.append(self.pool.submit(self._write_file, rel, blob, line_offsets, rng))
        # compression runs beside the generation of the next day; keep a bounded backlog
        while len(self._jobs) > MAX_BACKLOG or (self._jobs and self._jobs[0].done()):
            self._collect(self._jobs.pop(0))

    def _collect(self, job) -> None:
        stat = job.result()
        self.log.files.append(stat)
        self.log.events_written += stat.events

    def _path(self, hour_ms: int) -> str:
        t = datetime.fromtimestamp(hour_ms / 1000, tz=timezone.utc)
        return f"tracker/{t:%Y/%m/%d}/{t:%Y-%m-%dT%H}.jsonl.gz"

    def _write_file(self, rel: str, blob: bytes, line_offsets: np.ndarray, rng: np.random.Generator) -> FileStat:
        n_good = len(line_offsets) - 1
        n_bad = int(rng.poisson(self.world.trouble.malformed_per_file))
        if n_bad == 0:
            payload = blob
        else:
            chunks = []
            positions = np.sort(rng.integers(0, n_good + 1, n_bad))
            prev = 0
            for j, pos in enumerate(positions):
                chunks.append(blob[line_offsets[prev]:line_offsets[pos]])
                src = blob[line_offsets[min(pos, n_good - 1)]:line_offsets[min(pos, n_good - 1) + 1]].rstrip(b"\n")
                kind = MALFORMED_KINDS[int(rng.integers(0, len(MALFORMED_KINDS)))]
                chunks.append(_corrupt(src, kind, rng) + b"\n")
                line_no = int(pos) + j + 1
                self.log.malformed.append({"file": rel, "line": line_no, "kind": kind})
                prev = pos
            chunks.append(blob[line_offsets[prev]:])
            payload = b"".join(chunks)
        path = self.root.parent / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(gzip.compress(payload, compresslevel=GZIP_LEVEL, mtime=0))
        return FileStat(file=rel, lines=n_good + n_bad, events=n_good, malformed=n_bad)


def _corrupt(line: bytes, kind: str, rng: np.random.Generator) -> bytes:
    """A malformed copy of a good line (never a valid event; a wrong-type copy gets its own messageId)."""
    if kind == "truncated_json":
        return line[: max(5, int(len(line) * rng.uniform(0.2, 0.8)))]
    if kind == "binary_junk":
        junk = rng.integers(0, 256, int(rng.integers(16, 96))).astype(np.uint8).tobytes()
        return b"\xff\xfe" + junk.replace(b"\n", b"\x00").replace(b"\r", b"\x01")
    obj = json.loads(line)
    if kind == "missing_field":
        obj.pop("messageId", None)
        obj.pop("type", None)
    else:  # wrong_type: timestamp as a number, properties as a string
        obj["messageId"] = "malformed-" + rng.bytes(6).hex()
        obj["timestamp"] = int(rng.integers(1_700_000_000_000, 1_800_000_000_000))
        obj["properties"] = "not-an-object"
    return json.dumps(obj, separators=(",", ":")).encode()


__all__ = ["TrackerWriter", "TrackerLog", "FileStat", "TRACK_NAMES", "MALFORMED_KINDS"]

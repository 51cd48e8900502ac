"""The day-by-day causal simulation: platform delivery, visits, orders and their true causes.

Each call of `World.step(day)` draws one UTC day and returns its sessions and orders as NumPy columns
(`DayResult`); the platform-side delivery is accumulated per account-local date. Nothing here writes files.

Causal story of a day (docs/world.md, "Causal model"):
1. every channel's planned USD spend is split over its units (campaign x ad group x ad [x keyword]) and hours;
   CPC units buy clicks at their price, CPM units buy impressions whose CTR decays with frequency (fatigue);
2. clicks become tracked visits (7% are lost before the page loads), chosen among the users the account targets
   (the Meta holdout never sees Meta ads);
3. each channel's expected incremental orders are the Hill curve of its adstocked spend; the realized count is
   Poisson. An incremental order converts in one of that day's visits from the channel (`same_session` share)
   or in a later direct/organic visit of a recent clicker; CTV and voice orders (view-only channels) arrive as
   direct/organic visits of people in the audience they reach, not of their few clickers;
4. baseline first orders (a share via brand-search clicks: paid, not incremental) and repeat orders of
   customers come on top. Site experiments multiply the chance that a user is the one who orders.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

import numpy as np

from adledger.simulator import spec
from adledger.simulator.catalog import Catalog, build_catalog
from adledger.simulator.plan import (DAY_MS, HOUR_MS, PAD, Calendar, Trouble, budget_plan, fx_series, trouble_plan)
from adledger.simulator.population import Population, build_population
from adledger.simulator.response import adstock_step, hill
from adledger.simulator.rng import stream, weighted_draw, weighted_sample

ORGANIC = tuple(spec.ORGANIC_SOURCES)
#: traffic source codes: the channels first (same index as spec.CHANNELS), then the unpaid sources
SOURCES = tuple(c.key for c in spec.CHANNELS) + ORGANIC
SRC = {s: i for i, s in enumerate(SOURCES)}
DIURNAL = np.array(spec.DIURNAL) / sum(spec.DIURNAL)
DELIVERY_PLATFORMS = ("google_ads", "microsoft_ads", "meta_ads", "tiktok_ads", "vendor")
CLICK_LOSS = 0.07
RECENT_DAYS = 14
EMAIL_WEEKDAYS = (1, 4)
#: influencer contract length in days; the fee is amortized over it to drive the response curve
CONTRACT_DAYS = 30


@dataclass
class DayResult:
    """Sessions and orders of one UTC day (session/order ids are global and increasing)."""

    day: int
    sessions: dict[str, np.ndarray]
    orders: dict[str, np.ndarray]
    channel_truth: dict[str, np.ndarray]


class World:
    """State carried from day to day; `step` must be called for days 0, 1, 2 ... in order."""

    def __init__(self, seed: int, cal: Calendar, scale: float):
        self.seed, self.cal, self.scale = seed, cal, scale
        self.pop: Population = build_population(seed, scale)
        self.cat: Catalog = build_catalog(seed)
        self.fx = fx_series(seed, cal)
        self.budget = budget_plan(seed, cal, scale)
        self.trouble: Trouble = trouble_plan(cal, scale)
        u = self.cat.units
        self.n_local = cal.days + 2 * PAD
        self.u_channel = u["channel"].map(spec.CHANNEL_INDEX).to_numpy()
        self.u_account = u["account"].to_numpy()
        self.u_price = u["price"].to_numpy(float)
        self.u_ctr = u["ctr"].to_numpy(float)
        self.u_weight = u["weight"].to_numpy(float)
        self.u_creative = u["creative_uplift"].to_numpy(float)
        self.u_brand = u["brand"].to_numpy(bool)
        self.u_cpm = np.array([spec.CHANNELS[c].cost_model == "cpm" for c in self.u_channel])
        self.u_delivery = u["platform"].isin(DELIVERY_PLATFORMS).to_numpy()
        self.u_social = u["platform"].isin(["meta_ads", "tiktok_ads"]).to_numpy()
        n_units = len(u)
        shape = (n_units, self.n_local)
        self.imp = np.zeros(shape, np.int64)
        self.clk = np.zeros(shape, np.int64)
        self.fraud_clk = np.zeros(shape, np.int64)
        self.spend = np.zeros(shape)            # account currency
        self.claimed = np.zeros(shape, np.int64)
        self.claimed_value = np.zeros(shape)    # account currency
        self.cum_imp = np.zeros(n_units)
        self.audience = self._audiences()
        self.adstock = np.array([c.budget * scale for c in spec.CHANNELS], dtype=float)
        self.spend_spike_units = self._spike_units()
        self.recent: list[deque] = [deque(maxlen=RECENT_DAYS) for _ in spec.CHANNELS]
        self._pools: dict = {}
        n, nd = self.pop.n_users, len(self.pop.device_user)
        rng = stream(seed, "state")
        self.customer_since = np.where(self.pop.registered, -rng.integers(20, 720, n), np.iinfo(np.int64).max // 4)
        self.customer_since = self.customer_since.astype(np.int64)  # world day of the first order (negative: before)
        self.login_day = np.full(nd, np.iinfo(np.int32).max, dtype=np.int64)
        registered_first = self.pop.user_first_device[self.pop.registered]
        self.login_day[registered_first] = -1
        self.last_aff_ms = np.full(n, -1, dtype=np.int64)
        self.last_aff_unit = np.full(n, -1, dtype=np.int64)
        self.exposure_lost = np.zeros((len(spec.EXPERIMENTS), n), dtype=bool)
        for e, exp in enumerate(spec.EXPERIMENTS):
            if exp.exposure_loss:
                loss = np.array(exp.exposure_loss)[self.pop.variant[e]]
                self.exposure_lost[e] = rng.random(n) < loss
        self.consent_changes = self._consent_schedule(rng)
        self.influencers = self._influencer_contracts(rng)
        self.email_campaigns: list[dict] = []
        self.affiliate_actions: list[dict[str, np.ndarray]] = []
        self.next_session = 0
        self.next_order = 0
        self.sessions_lost = 0

    # ----------------------------------------------------------------------------------------------- set-up
    def _audiences(self) -> np.ndarray:
        counts = np.bincount(self.pop.country, minlength=len(spec.COUNTRIES))
        aud = np.zeros(len(self.cat.units))
        for i, acc in enumerate(self.cat.accounts):
            reach = sum(counts[spec.COUNTRY_INDEX[c]] for c in acc.countries) * 0.25
            aud[self.u_account == i] = reach
        return aud

    def _spike_units(self) -> dict[int, tuple[np.ndarray, dict]]:
        out = {}
        units = self.cat.units
        for sp in self.trouble.spend_spikes:
            m = (units["channel"] == sp["channel"]) & (units["campaign_name"] == sp["campaign"])
            first_acc = units.loc[m, "account"].min()
            m &= units["account"] == first_acc
            out[sp["day"]] = out.get(sp["day"], []) + [(np.flatnonzero(m.to_numpy()), sp)]
        return out

    def _consent_schedule(self, rng: np.random.Generator) -> dict[str, np.ndarray]:
        n = self.pop.n_users
        who = np.flatnonzero(rng.random(n) < 0.02)
        day = rng.integers(1, max(2, self.cal.days), len(who))
        adv = rng.random(len(who)) < 0.25           # most changes withdraw advertising consent
        ana = rng.random(len(who)) < 0.7
        order = np.argsort(day, kind="stable")
        return {"user": who[order], "day": day[order], "advertising": adv[order], "analytics": ana[order]}

    def _influencer_contracts(self, rng: np.random.Generator) -> dict[str, np.ndarray]:
        idx = self.cat.channel_units("influencer")
        k = len(idx)
        start = np.sort(rng.integers(0, max(1, int(self.cal.days * 0.8)), k))
        fee_usd = spec.CHANNELS[spec.CHANNEL_INDEX["influencer"]].budget * self.scale * CONTRACT_DAYS * \
            self.u_weight[idx] * k / 2.0
        currency = np.array(["USD", "EUR", "GBP", "USD", "AUD", "EUR", "USD", "GBP"])[:k]
        fx0 = np.array([spec.FX_BASE[c] for c in currency])
        fee = np.round(fee_usd / fx0 / 50.0) * 50.0
        fee = np.maximum(fee, 250.0)
        return {"unit": idx, "start_day": start, "fee": fee, "currency": currency,
                "activation_ms": np.full(k, -1, dtype=np.int64)}

    # ----------------------------------------------------------------------------------------------- helpers
    def _pool(self, countries: tuple[str, ...], exclude_holdout: bool) -> tuple[np.ndarray, np.ndarray]:
        key = (countries, exclude_holdout)
        if key not in self._pools:
            codes = [spec.COUNTRY_INDEX[c] for c in countries]
            m = np.isin(self.pop.country, codes)
            if exclude_holdout:
                m &= ~self.pop.holdout
            users = np.flatnonzero(m)
            self._pools[key] = (users, np.cumsum(self.pop.activity[users]))
        return self._pools[key]

    def _devices(self, rng: np.random.Generator, users: np.ndarray, primary: float = 0.7) -> np.ndarray:
        n_dev = self.pop.user_n_devices[users]
        offset = np.where(rng.random(len(users)) < primary, 0, rng.integers(0, 1 << 30, len(users)) % n_dev)
        return self.pop.user_first_device[users] + offset

    def _multipliers(self, day: int) -> np.ndarray:
        """Each user's relative chance to be the one who orders today (product over running experiments)."""
        mult = np.ones(self.pop.n_users)
        for e, exp in enumerate(spec.EXPERIMENTS):
            if self.experiment_active(e, day):
                w = np.array(exp.weights) / sum(exp.weights)
                m = (1.0 + np.array(exp.uplift)) / float(np.dot(w, 1.0 + np.array(exp.uplift)))
                mult *= m[self.pop.variant[e]]
        return mult

    def experiment_active(self, e: int, day: int) -> bool:
        exp = spec.EXPERIMENTS[e]
        return int(exp.start_frac * self.cal.days) <= day <= max(int(exp.start_frac * self.cal.days),
                                                                 int(exp.end_frac * self.cal.days) - 1)

    def _to_account(self, account: int, amount_usd: np.ndarray, local_idx: np.ndarray) -> np.ndarray:
        cur = self.cat.accounts[account].currency
        return amount_usd / self.fx[cur][local_idx]

    # ----------------------------------------------------------------------------------------------- the day
    def step(self, day: int) -> DayResult:
        rng = stream(self.seed, "day", day)
        t0 = self.cal.start_ms + day * DAY_MS
        self._apply_consent_changes(day)
        sess: dict[str, list] = {k: [] for k in ("user", "device", "start", "source", "unit", "fraud", "campaign")}
        spend_usd = self._deliver(day, rng, t0, sess)
        spend_usd += self._affiliate_clicks(day, rng, t0, sess)
        spend_usd += self._influencer_clicks(day, rng, t0, sess)
        spend_usd += self._email(day, rng, t0, sess)
        self._organic(day, rng, t0, sess)
        s = {k: np.concatenate(v) if v else np.empty(0) for k, v in sess.items()}
        s["user"] = s["user"].astype(np.int64)
        s["device"] = s["device"].astype(np.int64)
        s["start"] = s["start"].astype(np.int64)
        s["source"] = s["source"].astype(np.int16)
        s["unit"] = s["unit"].astype(np.int64)
        s["fraud"] = s["fraud"].astype(bool)
        s["campaign"] = s["campaign"].astype(object)
        s["order"] = np.full(len(s["user"]), -1, dtype=np.int64)
        self._remember_clicks(s)
        orders, truth = self._orders(day, rng, t0, s, spend_usd)
        s = self._finish_sessions(day, rng, s)
        self._flood_clicks(day, t0, s)
        return DayResult(day=day, sessions=s, orders=orders, channel_truth=truth)

    def _flood_clicks(self, day: int, t0: int, s: dict) -> None:
        """Click flooding (cookie stuffing), the bulk: the flooding partner fires its affiliate link in the browsers
        of random people (by activity) at the hours people browse, `clicks_per_day` at scale 1. The person never
        sees the page (one page, no order in it: `fraud`). The clicks its cookies turn into claimed orders are
        planted before orders in `events.py`. Own random stream: the rest of the day is drawn as without it."""
        flood = self.trouble.click_flooding
        if day < flood["day"]:
            return
        rng = stream(self.seed, "click_flooding", day)
        pool, cum = self._pool(tuple(x.code for x in spec.COUNTRIES), False)
        users = pool[weighted_draw(rng, cum, int(rng.poisson(flood["clicks_per_day"] * self.scale)))]
        start = t0 + weighted_draw(rng, np.cumsum(DIURNAL), len(users)) * HOUR_MS + rng.integers(0, HOUR_MS, len(users))
        self.add_hidden_clicks(s, users, self._devices(rng, users), start, self.affiliate_unit(flood["partner_id"]))

    def affiliate_unit(self, partner_id: str) -> int:
        """Unit index of the affiliate partner `partner_id`."""
        units = self.cat.units
        return int(np.flatnonzero((units["channel"] == "affiliate").to_numpy()
                                  & (units["adgroup_id"] == partner_id).to_numpy())[0])

    def add_hidden_clicks(self, s: dict, users: np.ndarray, devices: np.ndarray, start: np.ndarray, unit: int) -> None:
        """Append to the finished sessions `s` one fraudulent one-page affiliate click of `unit` per person `users` on
        their device `devices` at `start` (ms): no order, no lateness, normal tags."""
        k = len(users)
        added = {"user": users, "device": devices, "start": start,
                 "source": np.full(k, spec.CHANNEL_INDEX["affiliate"], np.int16), "unit": np.full(k, unit, np.int64),
                 "fraud": np.ones(k, bool), "campaign": np.full(k, None, dtype=object),
                 "order": np.full(k, -1, np.int64), "pages": np.ones(k, np.int64),
                 "session": self.next_session + np.arange(k), "late_ms": np.zeros(k, np.int64),
                 "tag": np.zeros(k, np.int8)}
        self.next_session += k
        for key, values in added.items():
            s[key] = np.concatenate([s[key], values])

    def _apply_consent_changes(self, day: int) -> None:
        c = self.consent_changes
        m = c["day"] == day
        self.pop.consent_advertising[c["user"][m]] = c["advertising"][m]
        self.pop.consent_analytics[c["user"][m]] = c["analytics"][m]

    def _add_sessions(self, sess: dict, users, devices, starts, source, units, fraud=False, campaign=None) -> None:
        n = len(users)
        sess["user"].append(np.asarray(users))
        sess["device"].append(np.asarray(devices))
        sess["start"].append(np.asarray(starts))
        sess["source"].append(np.broadcast_to(np.asarray(source), (n,)).copy())
        sess["unit"].append(np.broadcast_to(np.asarray(units), (n,)).copy())
        sess["fraud"].append(np.full(n, fraud))
        sess["campaign"].append(np.full(n, None, dtype=object) if campaign is None
                                else np.broadcast_to(np.asarray(campaign, dtype=object), (n,)).copy())

    def _deliver(self, day: int, rng: np.random.Generator, t0: int, sess: dict) -> np.ndarray:
        """Impressions, clicks and spend of every CPC/CPM unit, accumulated per account-local date."""
        units = np.flatnonzero(self.u_delivery)
        ch = self.u_channel[units]
        spend_plan = self.budget[day, ch] * self.u_weight[units] * rng.lognormal(0.0, 0.15, len(units))
        price = self.u_price[units] * rng.lognormal(0.0, 0.08, len(units))
        click_mult = np.ones(len(units))
        for unit_idx, sp in self.spend_spike_units.get(day, []):
            m = np.isin(units, unit_idx)
            spend_plan[m] *= sp["spend_mult"]
            click_mult[m] = sp["click_mult"]
            price[m] *= sp["spend_mult"] / sp["click_mult"]
        cpm = self.u_cpm[units]
        fatigue = np.where(self.u_social[units], np.exp(-spec.FATIGUE_RATE * self.cum_imp[units] /
                                                         np.maximum(self.audience[units], 1.0)), 1.0)
        ctr = np.minimum(self.u_ctr[units] * self.u_creative[units] * fatigue, 0.5)
        hourly = DIURNAL[None, :]
        # CPM units buy impressions; CPC units buy clicks (with spikes, price rises faster than clicks)
        exp_imp = np.where(cpm, spend_plan / price * 1000.0, 0.0)
        imp = rng.poisson(exp_imp[:, None] * hourly)
        clk_cpm = rng.binomial(imp, ctr[:, None])
        exp_clk = np.where(cpm, 0.0, spend_plan / (price * np.where(click_mult > 1, click_mult, 1.0)) * click_mult)
        clk_cpc = rng.poisson(exp_clk[:, None] * hourly)
        imp = np.where(cpm[:, None], imp, rng.poisson(clk_cpc / np.maximum(ctr[:, None], 1e-6)) + clk_cpc)
        clk = np.where(cpm[:, None], clk_cpm, clk_cpc)
        cost_usd = np.where(cpm[:, None], imp * price[:, None] / 1000.0, clk * price[:, None])
        fraud = np.zeros_like(clk)
        for burst in self.trouble.fraud_bursts:
            if burst["day"] != day:
                continue
            m = (self.cat.units["channel"].to_numpy()[units] == burst["channel"]) & \
                (self.cat.units["campaign_name"].to_numpy()[units] == burst["campaign"])
            target = np.flatnonzero(m)[np.argmax(self.u_weight[units][m])]
            h0, h1 = burst["hours"]
            fraud[target, h0:h1] = rng.multinomial(burst["clicks"], np.full(h1 - h0, 1.0 / (h1 - h0)))
        imp = imp + fraud
        clk = clk + fraud
        cost_usd = cost_usd + np.where(cpm[:, None], 0.0, fraud * price[:, None])
        self.cum_imp[units] += imp.sum(axis=1)
        spend_by_channel = np.bincount(ch, weights=cost_usd.sum(axis=1), minlength=len(spec.CHANNELS))
        # accumulate per account-local date (account currency at that date's rate)
        for a in np.unique(self.u_account[units]):
            rows = np.flatnonzero(self.u_account[units] == a)
            li = self.cal.local_index(self.cat.accounts[a].timezone, day)
            for k in np.unique(li):
                hours = li == k
                uu = units[rows]
                self.imp[uu, k] += imp[rows][:, hours].sum(axis=1)
                self.clk[uu, k] += clk[rows][:, hours].sum(axis=1)
                self.fraud_clk[uu, k] += fraud[rows][:, hours].sum(axis=1)
                self.spend[uu, k] += self._to_account(a, cost_usd[rows][:, hours].sum(axis=1), np.full(len(rows), k))
        # tracked visits: genuine clicks lose CLICK_LOSS before the page loads; bots always load it
        genuine = rng.binomial(clk - fraud, 1.0 - CLICK_LOSS)
        for kind, counts in (("genuine", genuine), ("fraud", fraud)):
            flat = counts.ravel()
            if flat.sum() == 0:
                continue
            cell = np.repeat(np.arange(flat.size), flat)
            uidx = units[cell // 24]
            starts = t0 + (cell % 24) * HOUR_MS + rng.integers(0, HOUR_MS, len(cell))
            if kind == "fraud":
                bots = self.pop.bot_devices
                dev = bots[rng.integers(0, 6, len(cell)) % len(bots)]
                self._add_sessions(sess, np.full(len(cell), -1), dev, starts, self.u_channel[uidx], uidx, fraud=True)
                continue
            users = np.empty(len(cell), dtype=np.int64)
            for a in np.unique(self.u_account[uidx]):
                m = self.u_account[uidx] == a
                acc = self.cat.accounts[a]
                excl = spec.CHANNELS[self.u_channel[uidx[m][0]]].key == spec.HOLDOUT_CHANNEL
                pool, cum = self._pool(acc.countries, excl)
                users[m] = pool[weighted_draw(rng, cum, int(m.sum()))]
            self._add_sessions(sess, users, self._devices(rng, users), starts, self.u_channel[uidx], uidx)
        return spend_by_channel

    def _affiliate_clicks(self, day: int, rng: np.random.Generator, t0: int, sess: dict) -> np.ndarray:
        c = spec.CHANNEL_INDEX["affiliate"]
        units = self.cat.channel_units("affiliate")
        expected = self.budget[day, c] / spec.CHANNELS[c].price * self.u_weight[units]
        counts = rng.poisson(expected)
        uidx = np.repeat(units, counts)
        pool, cum = self._pool(spec.CHANNELS[c].accounts[0].countries, False)
        users = pool[weighted_draw(rng, cum, len(uidx))]
        starts = t0 + weighted_draw(rng, np.cumsum(DIURNAL), len(uidx)) * HOUR_MS + rng.integers(0, HOUR_MS, len(uidx))
        self._add_sessions(sess, users, self._devices(rng, users), starts, c, uidx)
        out = np.zeros(len(spec.CHANNELS))
        out[c] = self.budget[day, c]  # the curve's driver: planned partner promotion (the cost is commission)
        return out

    def _influencer_clicks(self, day: int, rng: np.random.Generator, t0: int, sess: dict) -> np.ndarray:
        c = spec.CHANNEL_INDEX["influencer"]
        inf = self.influencers
        age = day - inf["start_day"]
        active = (age >= 0) & (age < CONTRACT_DAYS)
        fee_usd = inf["fee"] * np.array([spec.FX_BASE[x] for x in inf["currency"]])
        expected = np.where(active, fee_usd / 12.0 * np.exp(-np.maximum(age, 0) / 8.0) / 8.0, 0.0)
        counts = rng.poisson(expected)
        uidx = np.repeat(inf["unit"], counts)
        pool, cum = self._pool(tuple(x.code for x in spec.COUNTRIES), False)
        users = pool[weighted_draw(rng, cum, len(uidx))]
        starts = t0 + weighted_draw(rng, np.cumsum(DIURNAL), len(uidx)) * HOUR_MS + rng.integers(0, HOUR_MS, len(uidx))
        self._add_sessions(sess, users, self._devices(rng, users, 0.85), starts, c, uidx)
        for k in np.flatnonzero((counts > 0) & (inf["activation_ms"] < 0)):
            inf["activation_ms"][k] = int(starts[np.flatnonzero(uidx == inf["unit"][k])].min())
        out = np.zeros(len(spec.CHANNELS))
        out[c] = float(np.sum(np.where(active, fee_usd / CONTRACT_DAYS, 0.0)))
        return out

    def _email(self, day: int, rng: np.random.Generator, t0: int, sess: dict) -> np.ndarray:
        c = spec.CHANNEL_INDEX["email"]
        out = np.zeros(len(spec.CHANNELS))
        if self.cal.day_of(day).weekday() not in EMAIL_WEEKDAYS:
            return out
        recipients = np.flatnonzero((self.customer_since <= day) & self.pop.email_opt_in)
        sent = len(recipients)
        if sent == 0:
            return out
        campaign_id = rng.bytes(5).hex()
        send_ms = t0 + 9 * HOUR_MS + int(rng.integers(0, HOUR_MS))
        clicks = int(rng.binomial(sent, spec.CHANNELS[c].ctr))
        clickers = recipients[rng.choice(sent, size=min(clicks, sent), replace=False)]
        opens = int(rng.binomial(sent, 0.34))
        starts = send_ms + rng.exponential(2.5 * HOUR_MS, len(clickers)).astype(np.int64)
        starts = np.minimum(starts, t0 + DAY_MS - 1)
        unit = self.cat.channel_units("email")[0]
        self._add_sessions(sess, clickers, self._devices(rng, clickers, 0.5), starts, c, unit, campaign=campaign_id)
        cost = sent * spec.CHANNELS[c].price
        self.email_campaigns.append(dict(
            id=campaign_id, day=day, send_ms=send_ms, emails_sent=sent, unique_opens=min(opens, sent),
            opens_total=int(opens * 1.6), unique_clicks=len(clickers), clicks_total=int(len(clickers) * 1.3),
            unsubscribed=int(rng.binomial(sent, 0.002)), hard_bounces=int(rng.binomial(sent, 0.003)),
            cost_usd=round(cost, 2)))
        out[c] = cost
        return out

    def _organic(self, day: int, rng: np.random.Generator, t0: int, sess: dict) -> None:
        wk = spec.BASELINE.weekday[self.cal.day_of(day).weekday()]
        pool, cum = self._pool(tuple(x.code for x in spec.COUNTRIES), False)
        for name, cfg in spec.ORGANIC_SOURCES.items():
            k = int(rng.poisson(cfg["sessions"] * self.scale * wk))
            users = pool[weighted_draw(rng, cum, k)]
            starts = t0 + weighted_draw(rng, np.cumsum(DIURNAL), k) * HOUR_MS + rng.integers(0, HOUR_MS, k)
            self._add_sessions(sess, users, self._devices(rng, users), starts, SRC[name], -1)

    def _remember_clicks(self, s: dict) -> None:
        ok = ~s["fraud"] & (s["source"] < len(spec.CHANNELS))
        for c in range(len(spec.CHANNELS)):
            m = ok & (s["source"] == c)
            self.recent[c].append((s["user"][m], s["unit"][m]))

    # ----------------------------------------------------------------------------------------------- orders
    def _orders(self, day: int, rng: np.random.Generator, t0: int, s: dict, spend_usd: np.ndarray):
        wk = spec.BASELINE.weekday[self.cal.day_of(day).weekday()]
        mult = self._multipliers(day)
        decay = np.array([c.adstock for c in spec.CHANNELS])
        self.adstock = adstock_step(self.adstock, spend_usd, decay)
        beta = np.array([c.beta for c in spec.CHANNELS]) * self.scale
        k_half = np.array([c.half_saturation for c in spec.CHANNELS]) * self.scale
        shape = np.array([c.hill_n for c in spec.CHANNELS])
        expected = hill(self.adstock, beta, k_half, shape)
        realized = rng.poisson(expected)
        new: dict[str, list] = {k: [] for k in ("user", "device", "start", "source", "unit")}
        picks: list[tuple] = []   # (session index or -1 for new, cause, incremental, unit, new-session slot)
        all_pool, all_cum = self._pool(tuple(x.code for x in spec.COUNTRIES), False)
        free = (s["order"] < 0) & ~s["fraud"]

        def new_visits(users: np.ndarray, cause: str, incremental: bool, units: np.ndarray, sources=None) -> None:
            if len(users) == 0:
                return
            src = sources if sources is not None else np.where(rng.random(len(users)) < 0.6, SRC["direct"],
                                                              SRC["organic_search"])
            slot0 = sum(len(x) for x in new["user"])
            new["user"].append(users)
            new["device"].append(self._devices(rng, users, 0.55))
            new["start"].append(t0 + weighted_draw(rng, np.cumsum(DIURNAL), len(users)) * HOUR_MS +
                                rng.integers(0, HOUR_MS, len(users)))
            new["source"].append(src)
            new["unit"].append(np.full(len(users), -1))
            for j in range(len(users)):
                picks.append((-1, cause, incremental, int(units[j]), slot0 + j))

        def in_session(candidates: np.ndarray, k: int, cause: str, incremental: bool) -> int:
            chosen = candidates[weighted_sample(rng, mult[s["user"][candidates]], k)]
            free[chosen] = False
            for i in chosen:
                picks.append((int(i), cause, incremental, int(s["unit"][i]), -1))
            return len(chosen)

        for c, ch in enumerate(spec.CHANNELS):
            n = int(realized[c])
            if n == 0:
                continue
            n_same = int(rng.binomial(n, ch.same_session))
            cand = np.flatnonzero(free & (s["source"] == c))
            done = in_session(cand, n_same, ch.key, True) if n_same else 0
            rest = n - done
            if rest <= 0:
                continue
            recent = self.recent[c] if not ch.view_only else ()
            hist_users = np.concatenate([x[0] for x in recent]) if recent else np.empty(0, np.int64)
            hist_units = np.concatenate([x[1] for x in recent]) if recent else np.empty(0, np.int64)
            if len(hist_users):
                idx = weighted_draw(rng, np.cumsum(mult[hist_users]), rest)
                new_visits(hist_users[idx], ch.key, True, hist_units[idx])
            else:  # view-only channels (CTV, voice) and channels without clicks yet: the audience reached
                pool, cum = self._pool(ch.accounts[0].countries if ch.accounts else tuple(spec.COUNTRY_INDEX), False)
                users = pool[weighted_draw(rng, np.cumsum(self.pop.activity[pool] * mult[pool]), rest)]
                new_visits(users, ch.key, True, np.full(rest, -1))

        n_base = int(rng.poisson(spec.BASELINE.new_orders * self.scale * wk))
        n_brand = int(rng.binomial(n_base, spec.BASELINE.via_brand_search))
        brand = np.flatnonzero(free & (s["unit"] >= 0) & self.u_brand[np.maximum(s["unit"], 0)])
        done = in_session(brand, n_brand, "baseline_brand_search", False) if n_brand else 0
        rest = n_base - done
        users = all_pool[weighted_draw(rng, np.cumsum(self.pop.activity[all_pool] * mult[all_pool]), rest)]
        src = np.array([SRC["direct"], SRC["organic_search"], SRC["referral"], SRC["organic_social"]])
        new_visits(users, "baseline", False, np.full(rest, -1), src[rng.choice(4, rest, p=[0.45, 0.4, 0.1, 0.05])])

        cust = np.flatnonzero(self.customer_since < day)
        age = day - self.customer_since[cust]
        hazard = spec.BASELINE.repeat_hazard * wk * 0.5 ** (age / spec.BASELINE.repeat_half_life_days) * mult[cust]
        rep = cust[rng.random(len(cust)) < hazard]
        new_visits(rep, "repeat", False, np.full(len(rep), -1))

        # materialize the new visits and number the orders
        if new["user"]:
            for k in new:
                new[k] = np.concatenate(new[k]).astype(np.int64)
            base = len(s["user"])
            s["user"] = np.concatenate([s["user"], new["user"]])
            s["device"] = np.concatenate([s["device"], new["device"]])
            s["start"] = np.concatenate([s["start"], new["start"]])
            s["source"] = np.concatenate([s["source"], new["source"].astype(np.int16)])
            s["unit"] = np.concatenate([s["unit"], new["unit"]])
            s["fraud"] = np.concatenate([s["fraud"], np.zeros(len(new["user"]), bool)])
            s["campaign"] = np.concatenate([s["campaign"], np.full(len(new["user"]), None, dtype=object)])
            s["order"] = np.concatenate([s["order"], np.full(len(new["user"]), -1, dtype=np.int64)])
        else:
            base = len(s["user"])
        sess_idx = np.array([p[0] if p[0] >= 0 else base + p[4] for p in picks], dtype=np.int64)
        order_ids = self.next_order + np.arange(len(picks))
        self.next_order += len(picks)
        s["order"][sess_idx] = order_ids
        orders = self._order_columns(day, rng, s, sess_idx, order_ids, picks)
        truth = {"spend_usd": spend_usd, "adstock": self.adstock.copy(), "expected_incremental": expected,
                 "realized_incremental": realized}
        return orders, truth

    def _order_columns(self, day: int, rng: np.random.Generator, s: dict, sess_idx: np.ndarray,
                       order_ids: np.ndarray, picks: list[tuple]) -> dict[str, np.ndarray]:
        n = len(order_ids)
        users = s["user"][sess_idx]
        country = self.pop.country[users]
        currency = np.array([spec.COUNTRIES[c].currency for c in range(len(spec.COUNTRIES))])[country]
        n_items = rng.choice([1, 2, 3, 4], size=n, p=[0.5, 0.3, 0.15, 0.05])
        item_order = np.repeat(np.arange(n), n_items)
        product = rng.integers(0, len(spec.PRODUCTS), len(item_order))
        qty = np.where(rng.random(len(item_order)) < 0.85, 1, 2)
        usd_price = np.array([p[2] for p in spec.PRODUCTS])[product]
        fx0 = np.array([spec.FX_BASE[c] for c in currency])[item_order]
        price = np.where(fx0 == 1.0, usd_price, np.round(usd_price / fx0) - 0.01)
        revenue = np.round(np.bincount(item_order, weights=price * qty, minlength=n), 2)
        first = self.customer_since[users] > day
        # the session ends with checkout: the order happens a few minutes after the session start (events.py)
        causes = np.array([p[1] for p in picks], dtype=object)
        first_order_users = users[first]
        self.customer_since[first_order_users] = np.minimum(self.customer_since[first_order_users], day)
        self.login_day[s["device"][sess_idx]] = np.minimum(self.login_day[s["device"][sess_idx]], day)
        return {
            "order": order_ids, "session": sess_idx, "user": users, "device": s["device"][sess_idx],
            "cause": causes, "incremental": np.array([p[2] for p in picks], dtype=bool),
            "unit": np.array([p[3] for p in picks], dtype=np.int64), "currency": currency.astype(str),
            "revenue": revenue, "first_order": first, "item_order": item_order, "item_product": product,
            "item_qty": qty, "item_price": price,
        }

    def _finish_sessions(self, day: int, rng: np.random.Generator, s: dict) -> dict:
        n = len(s["user"])
        s["pages"] = np.where(s["fraud"], 1, rng.geometric(0.5, n).clip(max=9)).astype(np.int64)
        s["session"] = self.next_session + np.arange(n)
        self.next_session += n
        s["late_ms"] = np.where(rng.random(n) < self.trouble.late_session_share,
                                rng.integers(HOUR_MS, 72 * HOUR_MS, n), 0).astype(np.int64)
        drift = self.trouble.drift
        tag = np.zeros(n, dtype=np.int8)  # 0: normal UTM, 1: drifted UTM values, 2: UTM parameters dropped
        if day >= drift["day"]:
            m = s["source"] == spec.CHANNEL_INDEX[drift["channel"]]
            tag[m] = np.where(rng.random(int(m.sum())) < drift["untagged_share"], 2, 1)
        s["tag"] = tag
        return s

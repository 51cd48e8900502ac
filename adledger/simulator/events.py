"""Turn a day's sessions and orders into tracker events (columnar, one row per event).

A session is: optional `identify` (logged-in device), the landing `page` (URL with the UTM/click-id query),
`Experiment Viewed` for each running experiment, more pages with `Product Viewed` on product pages, and for a
converting session the cart, checkout and confirmation pages with `Product Added`, `identify` (login at
checkout), `Checkout Started` and `Order Completed`. Timestamps are the session start plus exponential gaps.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from adledger.simulator import spec
from adledger.simulator.rng import stream
from adledger.simulator.world import SOURCES, DayResult, World

#: event kinds (column `kind`)
PAGE, IDENTIFY, PRODUCT_VIEWED, PRODUCT_ADDED, CHECKOUT_STARTED, ORDER_COMPLETED, EXPERIMENT_VIEWED = range(7)
TRACK_NAMES = {PRODUCT_VIEWED: "Product Viewed", PRODUCT_ADDED: "Product Added",
               CHECKOUT_STARTED: "Checkout Started", ORDER_COMPLETED: "Order Completed",
               EXPERIMENT_VIEWED: "Experiment Viewed"}
COLLECTIONS = ("footwear", "apparel", "packs", "accessories")
PAGE_NAMES = ("Home", "Collection", "Product", "Cart", "Checkout", "Order Confirmation")
HOME, COLLECTION, PRODUCT, CART, CHECKOUT, CONFIRMATION = range(6)
#: chance that a running experiment's element is seen (and `Experiment Viewed` fires) in a session
EXPOSURE_PROB = 0.25


def _slug(name: str) -> str:
    return name.lower().replace(" ", "-")


PRODUCT_SLUGS = np.array([_slug(p[1]) for p in spec.PRODUCTS], dtype=object)
PRODUCT_NAMES = np.array([p[1] for p in spec.PRODUCTS], dtype=object)


@dataclass
class DayEvents:
    """The events of one day plus what the writer and the truth need."""

    sessions: pa.Table
    events: pa.Table
    order_ms: np.ndarray            # Order Completed timestamp per order of the day (same order as DayResult.orders)
    injected: dict[str, np.ndarray]  # click-injection sessions: order index -> injected session id
    flooded: dict[str, np.ndarray]   # click-flooding clicks planted before orders, same columns


def _unit_strings(world: World) -> dict[str, np.ndarray]:
    u = world.cat.units
    match = u["match_type"].map({"EXACT": "e", "PHRASE": "p", "BROAD": "b"}) if "match_type" in u else None
    return {
        "campaign": u["campaign_id"].astype(object).to_numpy(),
        "adgroup": u["adgroup_id"].astype(object).to_numpy(),
        "ad": u["ad_id"].astype(object).to_numpy(),
        "keyword": u["keyword_text"].astype(object).to_numpy() if "keyword_text" in u else None,
        "keyword_id": u["keyword_id"].astype(object).to_numpy() if "keyword_id" in u else None,
        "match": match.astype(object).to_numpy() if match is not None else None,
    }


def landing_columns(world: World, s: dict[str, np.ndarray], rng: np.random.Generator) -> dict[str, np.ndarray]:
    """UTM parameters, click-id parameter name, extra query and referrer of each session's landing page."""
    n = len(s["user"])
    us = getattr(world, "_unit_strings", None)
    if us is None:
        us = world._unit_strings = _unit_strings(world)
    unit = np.maximum(s["unit"], 0)
    has_unit = s["unit"] >= 0
    empty = np.full(n, None, dtype=object)
    cols = {k: empty.copy() for k in ("utm_source", "utm_medium", "utm_campaign", "utm_content", "utm_term",
                                      "click_param", "extra", "referrer")}
    src = s["source"]
    for c, ch in enumerate(spec.CHANNELS):
        m = (src == c) & has_unit
        if not m.any():
            continue
        cols["utm_source"][m] = ch.utm_source
        cols["utm_medium"][m] = ch.utm_medium
        cols["utm_campaign"][m] = us["campaign"][unit[m]]
        cols["click_param"][m] = ch.click_id
        cols["referrer"][m] = ch.referrer
        if ch.platform in ("google_ads", "microsoft_ads"):
            cols["utm_content"][m] = us["ad"][unit[m]]
            cols["utm_term"][m] = np.char.replace(us["keyword"][unit[m]].astype(str), " ", "%20").astype(object)
            cols["extra"][m] = np.char.add(np.char.add("kwid=", us["keyword_id"][unit[m]].astype(str)),
                                           np.char.add("&matchtype=", us["match"][unit[m]].astype(str))).astype(object)
        elif ch.platform in ("meta_ads", "tiktok_ads"):
            cols["utm_content"][m] = us["ad"][unit[m]]
            cols["utm_term"][m] = us["adgroup"][unit[m]]
        elif ch.key == "affiliate":
            cols["utm_content"][m] = us["adgroup"][unit[m]]
            cols["referrer"][m] = np.char.add("https://partners.example.net/", us["adgroup"][unit[m]].astype(str)).astype(object)
        elif ch.key == "email":
            cols["utm_campaign"][m] = s["campaign"][m]
    # attribution drift: Meta tags change, and part of the clicks lose their UTM parameters (fbclid stays)
    drift = world.trouble.drift
    m1 = s["tag"] == 1
    cols["utm_source"][m1] = drift["utm_source"]
    cols["utm_medium"][m1] = drift["utm_medium"]
    m2 = s["tag"] == 2
    for k in ("utm_source", "utm_medium", "utm_campaign", "utm_content", "utm_term"):
        cols[k][m2] = None
    for name, cfg in spec.ORGANIC_SOURCES.items():
        m = src == SOURCES.index(name)
        refs = np.array(cfg["referrers"], dtype=object)
        cols["referrer"][m] = refs[rng.integers(0, len(refs), int(m.sum()))]
    cols["referrer"] = np.where(cols["referrer"] == None, "", cols["referrer"]).astype(object)  # noqa: E711
    return cols


def build_day_events(world: World, res: DayResult, seed: int) -> DayEvents:
    """Expand the sessions of `res` into events; add click-injection and click-flooding visits before some orders."""
    rng = stream(seed, "events", res.day)
    s, o = res.sessions, res.orders
    injected = _inject_clicks(world, res, rng)
    flooded = _flood_orders(world, res, injected["order_local"])
    n = len(s["user"])
    converting = s["order"] >= 0
    pages = s["pages"]
    # landing page: product for paid/affiliate/influencer, home for direct and brand search
    land_kind = np.where((s["source"] == SOURCES.index("direct")) | world.u_brand[np.maximum(s["unit"], 0)] & (s["unit"] >= 0),
                         HOME, PRODUCT)
    n_pages = pages + np.where(converting, 3, 0)
    sess_of_page = np.repeat(np.arange(n), n_pages)
    first_page = np.concatenate([[0], np.cumsum(n_pages)[:-1]])
    page_no = np.arange(len(sess_of_page)) - first_page[sess_of_page]
    browse = page_no < pages[sess_of_page]
    kind = np.where(page_no == 0, land_kind[sess_of_page],
                    np.where(rng.random(len(page_no)) < 0.6, PRODUCT, np.where(rng.random(len(page_no)) < 0.5, COLLECTION, HOME)))
    after = page_no - pages[sess_of_page]
    kind = np.where(browse, kind, CART + after)
    product = rng.integers(0, len(spec.PRODUCTS), len(page_no))
    collection = rng.integers(0, len(COLLECTIONS), len(page_no))
    gaps = np.where(page_no == 0, 0, rng.exponential(40_000, len(page_no))).astype(np.int64)
    csum = np.cumsum(gaps)
    page_ms = s["start"][sess_of_page] + csum - csum[first_page[sess_of_page]]
    # ---- page paths
    path = np.full(len(page_no), "/", dtype=object)
    path[kind == PRODUCT] = np.char.add("/products/", PRODUCT_SLUGS[product[kind == PRODUCT]].astype(str)).astype(object)
    path[kind == COLLECTION] = np.char.add("/collections/", np.array(COLLECTIONS)[collection[kind == COLLECTION]]).astype(object)
    path[kind == CART] = "/cart"
    path[kind == CHECKOUT] = "/checkout"
    path[kind == CONFIRMATION] = "/checkout/thank-you"
    title = np.array([f"{n} – Example Shop" for n in PAGE_NAMES], dtype=object)[kind]
    title[kind == PRODUCT] = np.char.add(PRODUCT_NAMES[product[kind == PRODUCT]].astype(str), " – Example Shop").astype(object)
    title[kind == HOME] = "Example Shop – Outdoor gear"
    prev_path = np.empty(len(page_no), dtype=object)
    prev_path[1:] = path[:-1]
    page_ref = np.where(page_no == 0, None, np.char.add(spec.SITE, prev_path.astype(str)).astype(object))

    rows: dict[str, list] = {k: [] for k in ("sess", "kind", "ts", "page", "product", "exp", "order")}

    def add(sess_idx, kinds, ts, page_idx, product_idx=None, exp=None, order=None):
        k = len(sess_idx)
        rows["sess"].append(sess_idx)
        rows["kind"].append(np.broadcast_to(kinds, (k,)).astype(np.int8))
        rows["ts"].append(ts.astype(np.int64))
        rows["page"].append(page_idx)
        rows["product"].append(np.full(k, -1) if product_idx is None else product_idx)
        rows["exp"].append(np.full(k, -1) if exp is None else np.broadcast_to(exp, (k,)))
        rows["order"].append(np.full(k, -1) if order is None else order)

    # converting sessions: cart, checkout, confirmation; the order time is known before any event is added
    conv = np.flatnonzero(converting)
    order_pos = {int(oid): i for i, oid in enumerate(o["order"])}
    order_local = np.array([order_pos[int(x)] for x in s["order"][conv]], dtype=np.int64)
    cart_page = first_page[conv] + pages[conv]
    order_ms_conv = page_ms[cart_page + 2] + 900
    order_ms = np.zeros(len(o["order"]), dtype=np.int64)
    order_ms[order_local] = order_ms_conv
    # click injection and flooding: a one-page affiliate visit on the buyer's device seconds (hours) before the order
    day_start = world.cal.start_ms + res.day * 86_400_000
    for planted in (injected, flooded):
        click_rows = planted["session_row"]
        click_ms = np.maximum(order_ms[planted["order_local"]] - planted["lead_ms"], day_start)
        s["start"][click_rows] = click_ms
        page_ms[first_page[click_rows]] = click_ms
        planted["click_ms"] = click_ms

    all_pages = np.arange(len(page_no))
    add(sess_of_page, PAGE, page_ms, all_pages)
    pv = browse & (kind == PRODUCT) & (rng.random(len(kind)) < 0.7)
    add(sess_of_page[pv], PRODUCT_VIEWED, page_ms[pv] + 1200, all_pages[pv], product[pv])
    # identify at session start for logged-in devices (a third of their sessions) and at checkout
    human = (s["user"] >= 0) & ~s["fraud"]
    logged = (world.login_day[s["device"]] < res.day) & human
    ident = logged & (rng.random(n) < 0.33)
    add(np.flatnonzero(ident), IDENTIFY, s["start"][ident], first_page[ident])
    # experiments: every running experiment fires on the landing page of people's (not bots') sessions
    for e, exp in enumerate(spec.EXPERIMENTS):
        if not world.experiment_active(e, res.day):
            continue
        m = human & ~world.exposure_lost[e][np.maximum(s["user"], 0)] & (rng.random(n) < EXPOSURE_PROB)
        idx = np.flatnonzero(m)
        add(idx, EXPERIMENT_VIEWED, s["start"][idx] + 300 + 50 * e, first_page[idx], exp=e)
    first_item = np.searchsorted(o["item_order"], order_local)
    add(conv, PRODUCT_ADDED, page_ms[cart_page] + 500, cart_page, o["item_product"][first_item])
    add(conv, IDENTIFY, page_ms[cart_page + 1] + 800, cart_page + 1)
    add(conv, CHECKOUT_STARTED, page_ms[cart_page + 1] + 1500, cart_page + 1, order=order_local)
    add(conv, ORDER_COMPLETED, order_ms_conv, cart_page + 2, order=order_local)

    ev = {k: np.concatenate(v) for k, v in rows.items()}
    sess = ev["sess"]
    # the userId is known once the device has logged in (earlier day) or after the checkout identify
    conv_identify_ms = np.full(n, np.iinfo(np.int64).max)
    conv_identify_ms[conv] = page_ms[cart_page + 1] + 800
    ev_logged = logged[sess] | (ev["ts"] >= conv_identify_ms[sess])
    ev_logged &= human[sess]
    ev_logged |= ev["kind"] == IDENTIFY
    user = s["user"][sess]
    events = pa.table({
        "sess": pa.array(sess, pa.int64()),
        "kind": pa.array(ev["kind"], pa.int8()),
        "ts": pa.array(ev["ts"], pa.int64()),
        "page_path": pa.array(path[ev["page"]], pa.string()),
        "page_title": pa.array(title[ev["page"]], pa.string()),
        "page_kind": pa.array(kind[ev["page"]], pa.int8()),
        "page_ref": pa.array(page_ref[ev["page"]], pa.string()),
        "is_landing": pa.array(page_no[ev["page"]] == 0),
        "product": pa.array(np.where(ev["product"] >= 0, ev["product"], product[ev["page"]]), pa.int32()),
        "exp": pa.array(ev["exp"], pa.int32()),
        "variation": pa.array(np.where(ev["exp"] >= 0, world.pop.variant[np.maximum(ev["exp"], 0), np.maximum(user, 0)], -1), pa.int32()),
        "order_local": pa.array(ev["order"], pa.int64()),
        "logged_in": pa.array(ev_logged),
        "consent_advertising": pa.array(np.where(user >= 0, world.pop.consent_advertising[np.maximum(user, 0)], True)),
        "consent_analytics": pa.array(np.where(user >= 0, world.pop.consent_analytics[np.maximum(user, 0)], True)),
    })
    land = landing_columns(world, s, rng)
    sessions = pa.table({
        "sess": pa.array(np.arange(n), pa.int64()),
        "session_id": pa.array(s["session"], pa.int64()),
        "user": pa.array(s["user"], pa.int64()),
        "device": pa.array(s["device"], pa.int64()),
        "source": pa.array(np.array(SOURCES, dtype=object)[s["source"]], pa.string()),
        "unit": pa.array(s["unit"], pa.int64()),
        "fraud": pa.array(s["fraud"]),
        "late_ms": pa.array(s["late_ms"], pa.int64()),
        "adblock": pa.array(np.where(s["user"] >= 0, world.pop.adblock[np.maximum(s["user"], 0)], False)),
        **{k: pa.array(v, pa.string()) for k, v in land.items()},
    })
    return DayEvents(sessions=sessions, events=events, order_ms=order_ms, injected=injected, flooded=flooded)


def _inject_clicks(world: World, res: DayResult, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Add one-page affiliate sessions (partner `click_injection.partner_id`) to a share of today's orders."""
    inj = world.trouble.click_injection
    o = res.orders
    if res.day < inj["day"] or len(o["order"]) == 0:
        return _planted(world, res, np.empty(0, np.int64), np.empty(0, np.int64), inj["partner_id"])
    eligible = np.flatnonzero(o["cause"] != "affiliate")
    chosen = eligible[rng.random(len(eligible)) < inj["share"]]
    lead = rng.integers(1000, inj["max_seconds"] * 1000, len(chosen))
    return _planted(world, res, chosen, lead, inj["partner_id"])


def _flood_orders(world: World, res: DayResult, taken: np.ndarray) -> dict[str, np.ndarray]:
    """Click flooding, the clicks that claim orders: before a share of today's orders placed in a visit that came
    from no ad (direct, organic), at least `lead_hours[0]` after midnight, and caused by no affiliate, the flooding
    partner's cookie was set in the buyer's browser `lead_hours` before the order (the same day). Own random stream."""
    flood = world.trouble.click_flooding
    o = res.orders
    none = np.empty(0, np.int64)
    if res.day < flood["day"] or len(o["order"]) == 0:
        return _planted(world, res, none, none, flood["partner_id"])
    rng = stream(world.seed, "click_flooding_orders", res.day)
    lo, hi = (h * 3_600_000 for h in flood["lead_hours"])
    visit = res.sessions["start"][o["session"]]
    since_midnight = visit - (world.cal.start_ms + res.day * 86_400_000)
    unpaid = res.sessions["unit"][o["session"]] < 0
    eligible = np.setdiff1d(np.flatnonzero(unpaid & (o["cause"] != "affiliate") & (since_midnight >= lo)), taken)
    chosen = eligible[rng.random(len(eligible)) < flood["share"]]
    # the click falls on the same day, at least `lo` before the visit (and so before the order)
    latest = np.minimum(hi, since_midnight[chosen])
    lead = (lo + rng.random(len(chosen)) * (latest - lo)).astype(np.int64)
    return _planted(world, res, chosen, lead, flood["partner_id"])


def _planted(world: World, res: DayResult, orders: np.ndarray, lead_ms: np.ndarray, partner_id: str
             ) -> dict[str, np.ndarray]:
    """One hidden affiliate click of `partner_id` on the device of each order `orders` (indices into the day's
    orders), appended to the sessions; its start is set once the order times are known (`lead_ms` before them)."""
    s, o = res.sessions, res.orders
    base = len(s["user"])
    if len(orders):
        world.add_hidden_clicks(s, o["user"][orders], o["device"][orders], np.zeros(len(orders), np.int64),
                                world.affiliate_unit(partner_id))
    return {"session_row": base + np.arange(len(orders)), "order_local": orders, "lead_ms": lead_ms}


__all__ = ["DayEvents", "build_day_events", "TRACK_NAMES"]

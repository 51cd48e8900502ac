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
    """Expand the sessions of `res` into events; add click-injection visits before some orders."""
    rng = stream(seed, "events", res.day)
    s, o = res.sessions, res.orders
    injected = _inject_clicks(world, res, rng)
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
    # click injection: a one-page affiliate visit on the buyer's device seconds before the order
    inj_sess = injected["session_row"]
    if len(inj_sess):
        day_start = world.cal.start_ms + res.day * 86_400_000
        inj_ms = np.maximum(order_ms[injected["order_local"]] - injected["lead_ms"], day_start)
        s["start"][inj_sess] = inj_ms
        page_ms[first_page[inj_sess]] = inj_ms
        injected["click_ms"] = inj_ms

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
    return DayEvents(sessions=sessions, events=events, order_ms=order_ms, injected=injected)


def _inject_clicks(world: World, res: DayResult, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Add one-page affiliate sessions (partner `click_injection.partner_id`) to a share of today's orders."""
    inj = world.trouble.click_injection
    s, o = res.sessions, res.orders
    empty = {"session_row": np.empty(0, np.int64), "order_local": np.empty(0, np.int64),
             "lead_ms": np.empty(0, np.int64)}
    if res.day < inj["day"] or len(o["order"]) == 0:
        return empty
    eligible = np.flatnonzero(o["cause"] != "affiliate")
    chosen = eligible[rng.random(len(eligible)) < inj["share"]]
    if len(chosen) == 0:
        return empty
    units = world.cat.units
    unit = int(np.flatnonzero((units["channel"] == "affiliate").to_numpy() & (units["adgroup_id"] == inj["partner_id"]).to_numpy())[0])
    k = len(chosen)
    base = len(s["user"])
    for key, val in (("user", o["user"][chosen]), ("device", o["device"][chosen]),
                     ("start", np.zeros(k, np.int64)), ("source", np.full(k, spec.CHANNEL_INDEX["affiliate"], np.int16)),
                     ("unit", np.full(k, unit, np.int64)), ("fraud", np.ones(k, bool)),
                     ("campaign", np.full(k, None, dtype=object)), ("order", np.full(k, -1, np.int64)),
                     ("pages", np.ones(k, np.int64)), ("late_ms", np.zeros(k, np.int64)), ("tag", np.zeros(k, np.int8))):
        s[key] = np.concatenate([s[key], val])
    s["session"] = np.concatenate([s["session"], world.next_session + np.arange(k)])
    world.next_session += k
    lead = rng.integers(1000, inj["max_seconds"] * 1000, k)
    return {"session_row": base + np.arange(k), "order_local": chosen, "lead_ms": lead}


__all__ = ["DayEvents", "build_day_events", "TRACK_NAMES"]

"""What the advertiser bought: campaigns, ad groups, ads and keywords on every platform, as delivery units.

A *unit* is the finest thing that receives spend: (account, campaign, ad group, ad[, keyword]). Search units
carry a keyword and an ad, so keyword reports and ad reports both sum to the same spend. Affiliate partners and
influencers are units too (no account currency of their own beyond the channel's account).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from adledger.simulator import spec
from adledger.simulator.rng import stream

SEARCH_ADGROUPS = {
    "Brand": [("Brand - Exact", ["example shop", "exampleshop", "example shop outdoor", "example shop sale"]),
              ("Brand - Misspellings", ["exmaple shop", "example shpo", "examples shop", "exampel shop"])],
    "Generic - Footwear": [("Trail running shoes", ["trail running shoes", "best trail shoes", "running shoes women", "waterproof trail shoes"]),
                           ("Hiking socks", ["merino hiking socks", "hiking socks", "wool socks", "blister free socks"])],
    "Generic - Apparel": [("Rain jackets", ["rain jacket", "waterproof jacket", "lightweight rain shell", "hiking rain jacket"]),
                          ("Base layers", ["merino base layer", "thermal base layer", "base layer women", "base layer men"])],
    "Competitor": [("Competitor terms", ["rei alternative", "patagonia sale", "outdoor gear store", "cheap hiking gear"])],
}
MATCH_TYPES = ("EXACT", "PHRASE", "BROAD")
SOCIAL_CAMPAIGNS = ("Prospecting - Broad", "Retargeting - Site visitors", "Catalog - Dynamic products")
SOCIAL_ADSETS = ("Lookalike 1%", "Interests - Outdoor")
SOCIAL_ADS = ("Video - Trail day", "Carousel - Best sellers", "Static - Rain shell")
AFFILIATE_PARTNERS = (("1000101", "CouponCorner", 0.06), ("1000102", "TrailReviews Blog", 0.10),
                      ("1000103", "CashbackKing", 0.05), ("1000104", "GearGuide Magazine", 0.09),
                      ("1000105", "DealsDaily", 0.06), ("1000106", "OutdoorForum", 0.08))
#: a partner in the program that sends no genuine visitors: its only clicks are the click flooding of the trouble plan
FLOODING_PARTNER = ("1000107", "PromoSpark Rewards", 0.07)
INFLUENCERS = (("@trailtara", "tara"), ("@summitsam", "sam"), ("@rainyrosa", "rosa"), ("@peakpaul", "paul"),
               ("@campcarla", "carla"), ("@hikehugo", "hugo"), ("@wildwill", "will"), ("@zoeoutdoors", "zoe"))


@dataclass
class Catalog:
    """All delivery units (one DataFrame row each) and the accounts they belong to."""

    accounts: list[spec.Account]
    units: pd.DataFrame

    def channel_units(self, channel: str) -> np.ndarray:
        return np.flatnonzero(self.units["channel"].to_numpy() == channel)


def _id(base: int, i: int) -> str:
    return str(base + i)


def _search_units(ch: spec.Channel, rng: np.random.Generator, acc_index: dict[str, int], ids: dict) -> list[dict]:
    rows = []
    google = ch.platform == "google_ads"
    for acc in ch.accounts:
        for camp_name, groups in SEARCH_ADGROUPS.items():
            if not google and camp_name == "Competitor":
                continue
            ids["campaign"] += 1
            campaign_id = _id(21_000_000_000 if google else 410_000_000, ids["campaign"])
            brand = camp_name == "Brand"
            camp_weight = {"Brand": 0.35, "Competitor": 0.1}.get(camp_name, 0.275)
            for ag_name, keywords in groups:
                ids["adgroup"] += 1
                adgroup_id = _id(140_000_000_000 if google else 13_000_000_000, ids["adgroup"])
                ad_ids = []
                for _ in range(2):
                    ids["ad"] += 1
                    ad_ids.append(_id(690_000_000_000 if google else 82_000_000_000, ids["ad"]))
                kw_w = rng.dirichlet(np.full(len(keywords), 2.0))
                for k, text in enumerate(keywords):
                    ids["keyword"] += 1
                    keyword_id = _id(31_000_000_000 if google else 7_700_000_000, ids["keyword"])
                    match = MATCH_TYPES[k % 3]
                    quality = int(rng.integers(7, 11) if brand else rng.integers(3, 9))
                    cpc = ch.price * (0.45 if brand else rng.uniform(0.9, 1.6)) * (1.25 if camp_name == "Competitor" else 1.0)
                    ctr = ch.ctr * (3.0 if brand else rng.uniform(0.6, 1.1))
                    for a, ad_id in enumerate(ad_ids):
                        rows.append(dict(
                            channel=ch.key, platform=ch.platform, account=acc_index[acc.account_id],
                            account_id=acc.account_id, campaign_id=campaign_id, campaign_name=camp_name,
                            adgroup_id=adgroup_id, adgroup_name=ag_name, ad_id=ad_id,
                            ad_name=f"RSA {a + 1} - {ag_name}", keyword_id=keyword_id, keyword_text=text,
                            match_type=match, quality_score=quality, cpc_bid_micros=int(round(cpc * 1.3, 2) * 1_000_000),
                            weight=acc.share * camp_weight / len(groups) * kw_w[k] * (0.6 if a == 0 else 0.4),
                            price=cpc, ctr=ctr, brand=brand, creative_uplift=1.0, audience=0.0))
    return rows


def _social_units(ch: spec.Channel, rng: np.random.Generator, acc_index: dict[str, int], ids: dict) -> list[dict]:
    rows = []
    meta = ch.platform == "meta_ads"
    base = (120_210_000_000_000_000, 120_210_000_000_100_000, 120_210_000_000_200_000) if meta else \
        (1_780_000_000_000_000_000, 1_780_000_000_000_100_000, 1_780_000_000_000_200_000)
    for acc in ch.accounts:
        camps = SOCIAL_CAMPAIGNS if meta else SOCIAL_CAMPAIGNS[:2]
        for c, camp_name in enumerate(camps):
            ids["campaign"] += 1
            campaign_id = _id(base[0], ids["campaign"])
            for s, set_name in enumerate(SOCIAL_ADSETS):
                ids["adgroup"] += 1
                adgroup_id = _id(base[1], ids["adgroup"])
                ad_w = rng.dirichlet(np.full(len(SOCIAL_ADS), 3.0))
                for a, ad_name in enumerate(SOCIAL_ADS):
                    ids["ad"] += 1
                    uplift = 1.0 + spec.CREATIVE_TEST_CTR_UPLIFT if (meta and s == 0 and a == 1) else 1.0
                    rows.append(dict(
                        channel=ch.key, platform=ch.platform, account=acc_index[acc.account_id],
                        account_id=acc.account_id, campaign_id=campaign_id, campaign_name=camp_name,
                        adgroup_id=adgroup_id, adgroup_name=f"{set_name} - {camp_name.split(' - ')[0]}",
                        ad_id=_id(base[2], ids["ad"]), ad_name=ad_name, keyword_id=None, keyword_text=None,
                        match_type=None, quality_score=None, cpc_bid_micros=None,
                        weight=acc.share / len(camps) / len(SOCIAL_ADSETS) * ad_w[a],
                        price=ch.price * rng.uniform(0.8, 1.25) * (1.4 if c == 1 else 1.0),
                        ctr=ch.ctr * rng.uniform(0.7, 1.3) * (1.8 if c == 1 else 1.0),
                        brand=False, creative_uplift=uplift, audience=0.0))
    return rows


def _partner(ch: spec.Channel, acc_index: dict[str, int], partner: tuple[str, str, float], weight: float) -> dict:
    """The unit of one affiliate partner (`partner`: id, name, commission rate) with its share of the traffic."""
    pid, name, rate = partner
    acc = ch.accounts[0]
    return dict(channel=ch.key, platform=ch.platform, account=acc_index[acc.account_id], account_id=acc.account_id,
                campaign_id="12345", campaign_name="Example Shop program", adgroup_id=pid, adgroup_name=name,
                ad_id=pid, ad_name=name, commission_rate=rate, weight=weight, price=ch.price, ctr=1.0)


def _simple_units(ch: spec.Channel, rng: np.random.Generator, acc_index: dict[str, int]) -> list[dict]:
    rows = []
    if ch.key == "affiliate":
        w = rng.dirichlet(np.full(len(AFFILIATE_PARTNERS), 3.0))
        for k, partner in enumerate(AFFILIATE_PARTNERS):
            rows.append(_partner(ch, acc_index, partner, w[k]))
    elif ch.key == "influencer":
        w = rng.dirichlet(np.full(len(INFLUENCERS), 2.0))
        for k, (handle, short) in enumerate(INFLUENCERS):
            rows.append(dict(channel=ch.key, platform=ch.platform, account=-1, account_id="",
                             campaign_id=f"inf-{short}", campaign_name=handle, adgroup_id=f"inf-{short}",
                             adgroup_name=handle, ad_id=f"inf-{short}", ad_name=handle, weight=w[k], price=0.0, ctr=1.0))
    elif ch.key == "email":
        acc = ch.accounts[0]
        rows.append(dict(channel=ch.key, platform=ch.platform, account=acc_index[acc.account_id],
                         account_id=acc.account_id, campaign_id="newsletter", campaign_name="Newsletter",
                         adgroup_id="newsletter", adgroup_name="Newsletter", ad_id="newsletter", ad_name="Newsletter",
                         weight=1.0, price=ch.price, ctr=ch.ctr))
    else:  # vendors
        acc = ch.accounts[0]
        short = acc.account_id.split("_")[0]
        names = ("Prospecting", "Retargeting")
        w = rng.dirichlet(np.full(len(names), 3.0))
        for k, name in enumerate(names):
            cid = f"{short}-cmp-{k + 1:02d}"
            rows.append(dict(channel=ch.key, platform=ch.platform, account=acc_index[acc.account_id],
                             account_id=acc.account_id, campaign_id=cid, campaign_name=f"{name} - {ch.key}",
                             adgroup_id=cid, adgroup_name=name, ad_id=cid, ad_name=name, weight=w[k],
                             price=ch.price * rng.uniform(0.85, 1.15), ctr=ch.ctr * rng.uniform(0.8, 1.2)))
    return rows


def build_catalog(seed: int) -> Catalog:
    """The campaign structure of every channel (independent of scale: budgets scale, structures do not)."""
    rng = stream(seed, "catalog")
    accounts = [acc for ch in spec.CHANNELS for acc in ch.accounts]
    acc_index = {acc.account_id: i for i, acc in enumerate(accounts)}
    ids = {"campaign": 0, "adgroup": 0, "ad": 0, "keyword": 0}
    rows: list[dict] = []
    for ch in spec.CHANNELS:
        if ch.platform in ("google_ads", "microsoft_ads"):
            rows += _search_units(ch, rng, acc_index, ids)
        elif ch.platform in ("meta_ads", "tiktok_ads"):
            rows += _social_units(ch, rng, acc_index, ids)
        else:
            rows += _simple_units(ch, rng, acc_index)
    # the flooding partner comes last, so the other units keep their index whatever the trouble plan does
    rows.append(_partner(spec.CHANNELS[spec.CHANNEL_INDEX["affiliate"]], acc_index, FLOODING_PARTNER, 0.0))
    units = pd.DataFrame(rows)
    units["weight"] = units["weight"] / units.groupby("channel")["weight"].transform("sum")
    for col, default in (("brand", False), ("creative_uplift", 1.0), ("audience", 0.0), ("commission_rate", 0.0)):
        units[col] = units[col].fillna(default) if col in units else default
    units["brand"] = units["brand"].astype(bool)
    units["unit"] = np.arange(len(units))
    return Catalog(accounts=accounts, units=units)

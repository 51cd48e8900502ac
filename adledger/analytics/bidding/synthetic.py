"""Seeded click logs of the simulated world's search keywords, with a known conversion probability per click.

Keywords, ad groups, match types, quality scores, CTRs and CPCs are the simulated world's search catalog
(`adledger.simulator.catalog`, Google and Microsoft search); clicks per keyword follow its share of the channel's
budget over its CPC, spread over the day by the world's hourly traffic shape (`spec.DIURNAL`). Each click
converts with probability `sigmoid(logit)`, where

    logit = -4.2 + 1.5 brand + 0.12 (quality - 6) + match {EXACT 0.3, PHRASE 0, BROAD -0.35}
            + 0.4 cos(2 pi (hour - 20) / 24) + device {desktop 0.3, mobile -0.3, tablet 0}
            - 0.3 (position - 1) + keyword effect ~ N(0, 0.35) + 0.15 weekend

— keyword-level effects a historical CVR sees, and click-level ones (hour, device, position, weekday) it cannot. Revenue per conversion is lognormal around a keyword mean of 60-140 USD.
`true_p` in the output is the probability each click was drawn with, so models can be graded against it.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

from adledger.simulator import spec
from adledger.simulator.catalog import build_catalog

DEVICES = ("desktop", "mobile", "tablet")
DEVICE_SHARE = (0.42, 0.50, 0.08)
DEVICE_EFFECT = np.array([0.3, -0.3, 0.0])
MATCH_EFFECT = {"EXACT": 0.3, "PHRASE": 0.0, "BROAD": -0.35}


def search_keywords(seed: int) -> pd.DataFrame:
    """One row per search keyword of the world's catalog: ids, match type, quality score, CPC, CTR, click share."""
    units = build_catalog(seed).units
    search = units[units["platform"].isin(["google_ads", "microsoft_ads"])]
    budget = {c.key: c.budget for c in spec.CHANNELS}
    keywords = search.groupby("keyword_id", sort=True).agg(
        channel=("channel", "first"), campaign=("campaign_name", "first"), ad_group_id=("adgroup_id", "first"),
        keyword_text=("keyword_text", "first"), match_type=("match_type", "first"),
        quality_score=("quality_score", "first"), cpc=("price", "first"), ctr=("ctr", "first"),
        brand=("brand", "first"), weight=("weight", "sum")).reset_index()
    keywords["clicks_per_day"] = keywords["weight"] * keywords["channel"].map(budget) / keywords["cpc"]
    keywords["quality_score"] = keywords["quality_score"].astype(int)
    return keywords


def synthetic_clicks(days: int = 60, seed: int = 7, scale: float = 1.0,
                     start: date = spec.DEFAULT_START) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(clicks, keyword_days) for `days` days of the world's search keywords at `scale`.

    clicks: `day`, `hour`, `keyword_id`, `ad_group_id`, `device`, `match_type`, `quality_score`, `position`,
    `cost` (USD), `converted` (0/1), `value` (USD revenue, 0 when not converted), `true_p`.
    keyword_days: `day`, `keyword_id`, `impressions`, `clicks`.
    """
    rng = np.random.default_rng(seed)
    kw = search_keywords(seed)
    k = len(kw)
    kw_effect = rng.normal(0.0, 0.35, k)
    kw_value = rng.uniform(60.0, 140.0, k)
    base_logit = (-4.2 + 1.5 * kw["brand"].to_numpy(float) + 0.12 * (kw["quality_score"].to_numpy(float) - 6)
                  + kw["match_type"].map(MATCH_EFFECT).to_numpy(float) + kw_effect)
    hourly = np.asarray(spec.DIURNAL) / sum(spec.DIURNAL)
    days_index = pd.date_range(pd.Timestamp(start), periods=days, freq="D")
    weekday = days_index.weekday.to_numpy()
    expected = kw["clicks_per_day"].to_numpy(float)[None, :, None] * scale * hourly[None, None, :]
    counts = rng.poisson(np.broadcast_to(expected, (days, k, 24)))
    cell = np.repeat(np.arange(counts.size), counts.ravel())
    day_i, kw_i, hour = cell // (k * 24), (cell // 24) % k, cell % 24
    n = len(cell)
    device = rng.choice(len(DEVICES), size=n, p=DEVICE_SHARE)
    # better quality and brand terms sit higher; position 1 (top) .. 4
    position = np.clip(1.0 + rng.gamma(2.0, 0.35, n) * (11 - kw["quality_score"].to_numpy(float)[kw_i]) / 6, 1.0, 4.0)
    logit = (base_logit[kw_i] + 0.4 * np.cos(2 * np.pi * (hour - 20) / 24) + DEVICE_EFFECT[device]
             - 0.3 * (position - 1.0) + 0.15 * (weekday[day_i] >= 5))
    p = 1.0 / (1.0 + np.exp(-logit))
    converted = (rng.random(n) < p).astype(np.int8)
    value = np.where(converted == 1, np.round(kw_value[kw_i] * rng.lognormal(-0.125, 0.5, n), 2), 0.0)
    cost = np.round(kw["cpc"].to_numpy(float)[kw_i] * rng.lognormal(0.0, 0.2, n), 2)
    clicks = pd.DataFrame({
        "day": days_index[day_i], "hour": hour.astype(np.int16), "keyword_id": kw["keyword_id"].to_numpy()[kw_i],
        "ad_group_id": kw["ad_group_id"].to_numpy()[kw_i], "device": np.asarray(DEVICES)[device],
        "match_type": kw["match_type"].to_numpy()[kw_i], "quality_score": kw["quality_score"].to_numpy()[kw_i],
        "position": np.round(position, 1), "cost": cost, "converted": converted, "value": value, "true_p": p,
    })
    per_day = counts.sum(axis=2)
    impressions = rng.poisson(per_day / kw["ctr"].to_numpy(float)[None, :]) + per_day
    keyword_days = pd.DataFrame({
        "day": np.repeat(days_index, k), "keyword_id": np.tile(kw["keyword_id"].to_numpy(), days),
        "impressions": impressions.ravel(), "clicks": per_day.ravel(),
    })
    return clicks.sort_values(["day", "hour"], kind="stable").reset_index(drop=True), keyword_days

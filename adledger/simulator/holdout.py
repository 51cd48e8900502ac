"""The Meta user holdout as a lift study: the advertiser's assignment export and the true effect it measures.

`spec.HOLDOUT_SHARE` of all users never see ads of `spec.HOLDOUT_CHANNEL`; the study population is everyone its
accounts target (their countries). `write_holdout_assignments` writes `first_party/holdout_assignments.csv`, one
row per targeted person, as a platform's conversion-lift study hands it over (Meta Conversion Lift: a randomized
test and control group of the campaign's audience; control people are withheld from the ads).

`holdout_truth` gives the effect the study estimates, by construction of the world: the intent-to-treat lift in
orders per person, treated minus held out. Ads change orders in two ways here:

* orders the channel causes (`cause == HOLDOUT_CHANNEL`); they go only to people who saw its ads;
* later orders that need the person to be a customer, of people the channel made customers (it caused their
  orders of the day they became one): repeat orders (a customer's repeat hazard) and orders from the newsletter
  (sent to customers). Without the ads these people would not have been customers, so these orders would not
  exist. (E-mail orders are a fixed total shared by the newsletter's clickers, so the acquired customers' share
  is taken from treated and held-out people alike: the treated-minus-held-out difference still counts it once.)

Every other order is drawn regardless of the holdout. The truth counts the treated people's orders of both kinds;
the true lift in orders per person is that count over the treated people. Not modelled: a person the ads
acquired who would have become a customer later anyway (a baseline first order within the world's days, about
1-2 % of people); their repeat orders after that day are counted as the ads' effect.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from adledger.simulator import spec
from adledger.simulator.world import World

#: orders that exist only because the person is a customer (repeat hazard; newsletter to customers)
CUSTOMER_ONLY_CAUSES = ("repeat", "email")


def study_channel() -> spec.Channel:
    """The channel of the holdout study (`spec.HOLDOUT_CHANNEL`)."""
    return spec.CHANNELS[spec.CHANNEL_INDEX[spec.HOLDOUT_CHANNEL]]


def study_countries() -> list[str]:
    """Countries the study channel's accounts target, sorted."""
    return sorted({c for a in study_channel().accounts for c in a.countries})


def targeted_users(world: World) -> np.ndarray:
    """Boolean per user: in the study population (lives in a country the channel's accounts target)."""
    codes = [spec.COUNTRY_INDEX[c] for c in study_countries()]
    return np.isin(world.pop.country, codes)


def write_holdout_assignments(out: Path, world: World) -> None:
    """`first_party/holdout_assignments.csv`: `customer_id`, `platform` (the channel's platform, e.g. `meta_ads`),
    `is_holdout`, `assigned_at` (the study start, the world's first instant, ISO UTC), one row per targeted person,
    ordered by customer id."""
    users = np.flatnonzero(targeted_users(world))
    start = np.datetime_as_string(np.datetime64(world.cal.start_ms, "ms"), unit="ms", timezone="UTC")
    path = out / "first_party" / "holdout_assignments.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    pd.DataFrame({
        "customer_id": world.pop.strings("customer_id", users), "platform": study_channel().platform,
        "is_holdout": np.where(world.pop.holdout[users], "true", "false"), "assigned_at": start,
    }).to_csv(path, index=False, lineterminator="\n")


def incremental_orders(orders: pd.DataFrame, channel: str = spec.HOLDOUT_CHANNEL) -> np.ndarray:
    """Boolean per order: the order exists because of `channel` (caused by it, or a customer-only order of a person
    the channel made a customer). `orders`: columns `user`, `cause`, `first_order`.

    A person's `first_order` orders are their orders on the day they became a customer; the channel made them a
    customer when it caused all of those (another cause that day would have made them one anyway)."""
    cause = orders["cause"].astype(str)
    first = orders["first_order"].to_numpy(bool)
    only_channel = (cause[first] == channel).groupby(orders.loc[first, "user"].to_numpy()).all()
    acquired = only_channel.index[only_channel.to_numpy()]
    follow_on = cause.isin(CUSTOMER_ONLY_CAUSES) & orders["user"].isin(acquired)
    return ((cause == channel) | follow_on).to_numpy()


def holdout_truth(world: World, orders: pd.DataFrame) -> dict:
    """The study's truth for `truth/manifest.json` → `holdout` (definition in the module docstring).

    `orders`: every order of the world with `user`, `cause`, `first_order`. Keys: `treated_users`,
    `holdout_users`; treated people's orders `treated_orders_caused_by_channel`, `treated_orders_follow_on`,
    `treated_orders_incremental` (their sum: the true incremental orders), `treated_orders_other`;
    `true_lift_per_person` (incremental orders per treated person: the study's lift in orders per person) and
    `true_lift` (relative: incremental / other orders of the treated people).
    """
    ch = study_channel()
    targeted = targeted_users(world)
    treated = targeted & ~world.pop.holdout
    mine = treated[orders["user"].to_numpy()]
    incremental = incremental_orders(orders, ch.key)[mine]
    caused = int((orders.loc[mine, "cause"].astype(str) == ch.key).sum())
    total_incremental = int(incremental.sum())
    other = int(mine.sum()) - total_incremental
    n_treated = int(treated.sum())
    return {"channel": ch.key, "platform": ch.platform, "share": spec.HOLDOUT_SHARE, "countries": study_countries(),
            "assignments": "first_party/holdout_assignments.csv",
            "treated_users": n_treated, "holdout_users": int((targeted & world.pop.holdout).sum()),
            "treated_orders_caused_by_channel": caused, "treated_orders_follow_on": total_incremental - caused,
            "treated_orders_incremental": total_incremental, "treated_orders_other": other,
            "true_lift_per_person": total_incremental / n_treated if n_treated else None,
            "true_lift": total_incremental / other if other else None,
            "definition": "intent to treat among targeted people: orders per person, treated (not held out) minus "
                          "held out; incremental orders = orders the channel caused + repeat and newsletter orders "
                          "of the customers it made (it caused every order of the day they became customers)"}

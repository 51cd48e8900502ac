"""A simulated auction market for budget pacing, shaped like the simulated world's traffic.

A day has `slots_per_hour * 24` decision slots. In slot s of hour h, `Poisson(opportunities_per_day * shape[h] /
slots_per_hour * daily_factor)` auctions arrive, `shape` being the world's hourly traffic shape (`spec.DIURNAL`,
normalized) and `daily_factor ~ lognormal(0, daily_noise)`. Each auction's highest competing bid is
`lognormal(log(price * price_by_hour[h]), price_sigma)` (USD per click); the advertiser bids `bid`, wins when its
bid is at least the competing bid and pays the competing bid (second price; Vickrey 1961), and the click converts
with probability `cvr * cvr_by_hour[h]`. The ad server stops serving the moment the next win would exceed the
slot's spend cap (what is left of the budget, or a pacer's allowance).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from adledger.simulator import spec


def world_traffic_shape() -> np.ndarray:
    """The simulated world's sessions per UTC hour, as 24 shares summing to 1."""
    shape = np.asarray(spec.DIURNAL, float)
    return shape / shape.sum()


@dataclass(frozen=True)
class SlotResult:
    """What one slot delivered."""

    auctions: int
    wins: int
    spend: float
    conversions: int
    #: the spend cap stopped the slot before its last winnable auction
    capped: bool = False


@dataclass
class AuctionEnvironment:
    """Auctions per slot, competing prices and conversion rates; see the module docstring for the model."""

    opportunities_per_day: float = 40_000.0
    price: float = 1.0
    price_sigma: float = 0.6
    cvr: float = 0.05
    slots_per_hour: int = 4
    daily_noise: float = 0.1
    hourly_shape: np.ndarray = field(default_factory=world_traffic_shape)
    price_by_hour: np.ndarray = field(default_factory=lambda: np.ones(24))
    cvr_by_hour: np.ndarray = field(default_factory=lambda: np.ones(24))

    @property
    def slots(self) -> int:
        return 24 * self.slots_per_hour

    def hour_of(self, slot: int) -> int:
        return slot // self.slots_per_hour

    def day_factor(self, rng: np.random.Generator) -> float:
        """This day's traffic multiplier."""
        return float(rng.lognormal(0.0, self.daily_noise))

    def run_slot(self, slot: int, bid: float, cap: float, rng: np.random.Generator, day_factor: float = 1.0) -> SlotResult:
        """Run the auctions of `slot` with a max-CPC `bid` (USD) and a spend cap `cap` (USD)."""
        h = self.hour_of(slot)
        n = int(rng.poisson(self.opportunities_per_day * self.hourly_shape[h] / self.slots_per_hour * day_factor))
        competing = rng.lognormal(np.log(self.price * self.price_by_hour[h]), self.price_sigma, n)
        converts = rng.random(n) < self.cvr * self.cvr_by_hour[h]
        winnable = competing <= bid
        cost = np.where(winnable, competing, 0.0)
        served = np.cumsum(cost) <= max(cap, 0.0)           # in arrival order until the cap would be exceeded
        won = winnable & served
        return SlotResult(auctions=n, wins=int(won.sum()), spend=float(cost[won].sum()),
                          conversions=int((won & converts).sum()), capped=bool((winnable & ~served).any()))

    def expected_day(self, bid: float) -> tuple[float, float]:
        """Expected (spend, conversions) of a whole day at a constant `bid` without a budget (for sizing tests).

        With competing bids lognormal(mu, sigma): P(c <= b) = Phi(z), E[c; c <= b] = exp(mu + sigma^2/2) Phi(z - sigma),
        z = (ln b - mu) / sigma.
        """
        from scipy.stats import norm

        spend = conversions = 0.0
        for h in range(24):
            n = self.opportunities_per_day * self.hourly_shape[h]
            mu = np.log(self.price * self.price_by_hour[h])
            z = (np.log(bid) - mu) / self.price_sigma
            spend += n * np.exp(mu + self.price_sigma**2 / 2) * norm.cdf(z - self.price_sigma)
            conversions += n * norm.cdf(z) * self.cvr * self.cvr_by_hour[h]
        return float(spend), float(conversions)

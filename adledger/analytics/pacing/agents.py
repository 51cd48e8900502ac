"""Pacing agents: each slot they set a max-CPC bid and a spend cap; they see what the slot delivered.

* `EvenPacing` — the baseline: a fixed bid, throttled so cumulative spend never runs ahead of an even split of the
  budget over the day (a slot may spend what earlier slots left unspent).
* `PIDPacer` — a fixed value bid times a multiplier set by a PID controller on the pacing error: the gap between
  the spend plan (the budget spread over the day like the traffic, learned from the auctions seen on earlier days)
  and actual spend, as a share of the budget. Velocity form, `log m += kp (e_k - e_{k-1}) + ki e_k + kd (...)`, so
  the learned level carries over from day to day (Åström & Hägglund 1995, "PID Controllers", ch. 3).
* `ThompsonPacer` — Thompson sampling (Thompson 1933; Russo et al. 2018, "A tutorial on Thompson sampling") over
  discrete bid multipliers, per block of hours: posteriors of each arm's win rate and cost per auction and of the
  hours' conversion rate; a slot plays the arm with the best sampled `conversions - lambda * cost` per auction,
  the Lagrangian of "most conversions within the budget". The budget's shadow price `lambda` (conversions per USD) is set by the same
  PID pacing error (dual-based pacing: Balseiro & Gur 2019, "Learning in repeated auctions with budgets",
  Management Science 65(9)): behind plan lowers lambda, so richer arms win.
"""

from __future__ import annotations

import numpy as np

from adledger.analytics.pacing.auction import SlotResult


class _SpendPlan:
    """Cumulative share of the day's auctions before each slot, learned (EWMA over days) from observed auctions."""

    def __init__(self, slots: int, memory: float = 0.3):
        self.shape = np.full(slots, 1.0 / slots)
        self.memory = memory
        self.today = np.zeros(slots)

    def before(self, slot: int) -> float:
        return float(self.shape[:slot].sum())

    def observe(self, slot: int, auctions: int) -> None:
        self.today[slot] = auctions

    def end_day(self) -> None:
        if self.today.sum() > 0:
            self.shape = (1 - self.memory) * self.shape + self.memory * self.today / self.today.sum()
        self.today[:] = 0.0


class Pacer:
    """Common day bookkeeping; subclasses choose `decide`."""

    name = "pacer"

    def __init__(self, slots: int):
        self.slots = slots
        self.budget = 0.0
        self.spent = 0.0

    def start_day(self, budget: float) -> None:
        self.budget, self.spent = float(budget), 0.0

    def decide(self, slot: int) -> tuple[float, float]:  # pragma: no cover - interface
        raise NotImplementedError

    def observe(self, slot: int, result: SlotResult) -> None:
        self.spent += result.spend

    def end_day(self) -> None:
        pass


class EvenPacing(Pacer):
    """Fixed bid, cumulative spend capped at `budget * (slot + 1) / slots`."""

    name = "even"

    def __init__(self, slots: int, bid: float):
        super().__init__(slots)
        self.bid = bid

    def decide(self, slot: int) -> tuple[float, float]:
        return self.bid, self.budget * (slot + 1) / self.slots - self.spent


class _Controller:
    """Velocity-form PID on the pacing error e = (plan - spent) / budget; `value` is the controlled log-level."""

    def __init__(self, kp: float, ki: float, kd: float, low: float, high: float):
        self.kp, self.ki, self.kd, self.low, self.high = kp, ki, kd, low, high
        self.value = 0.0
        self.e1 = self.e2 = 0.0

    def reset_day(self) -> None:
        self.e1 = self.e2 = 0.0

    def update(self, e: float) -> float:
        self.value += self.kp * (e - self.e1) + self.ki * e + self.kd * (e - 2 * self.e1 + self.e2)
        self.value = min(max(self.value, self.low), self.high)
        self.e2, self.e1 = self.e1, e
        return self.value


class PIDPacer(Pacer):
    """Bid = `bid * exp(PID output)`; the spend plan follows the learned traffic shape; cap = budget left."""

    name = "pid"

    def __init__(self, slots: int, bid: float, kp: float = 2.0, ki: float = 0.4, kd: float = 0.0):
        super().__init__(slots)
        self.base = bid
        self.plan = _SpendPlan(slots)
        self.pid = _Controller(kp, ki, kd, np.log(0.05), np.log(5.0))

    def start_day(self, budget: float) -> None:
        super().start_day(budget)
        self.pid.reset_day()

    def error(self, slot: int) -> float:
        """log(budget left / budget the plan leaves for the rest of the day), clipped to [-1, 1]: > 0 behind plan."""
        remaining_share = max(1.0 - self.plan.before(slot), 1.0 / self.slots)
        left = max(self.budget - self.spent, 1e-9 * self.budget)
        return float(np.clip(np.log(left / (self.budget * remaining_share)), -1.0, 1.0))

    def decide(self, slot: int) -> tuple[float, float]:
        level = self.pid.update(self.error(slot))
        return self.base * float(np.exp(level)), self.budget - self.spent

    def observe(self, slot: int, result: SlotResult) -> None:
        super().observe(slot, result)
        self.plan.observe(slot, result.auctions)

    def end_day(self) -> None:
        self.plan.end_day()


class ThompsonPacer(PIDPacer):
    """Thompson sampling over bid multipliers with a PID-paced budget shadow price (see the module docstring).

    Conversions per auction of an arm = its win rate x the context's conversion rate. Win rate and cost per
    auction depend on the bid and are measured on every auction of a slot (Gaussian posteriors per context and
    arm); the conversion rate of a click does not depend on the bid, so one Beta posterior per context pools the
    clicks of all arms — sparse conversions are learned from every click, not arm by arm.
    """

    name = "thompson"

    def __init__(self, slots: int, bid: float, arms: tuple[float, ...] = (0.3, 0.4, 0.5, 0.6, 0.7, 0.85, 1.0, 1.2),
                 hours_per_context: int = 4, kp: float = 2.0, ki: float = 0.4, seed: int = 0):
        super().__init__(slots, bid, kp, ki)
        self.arms = np.asarray(arms, float)
        self.slots_per_hour = slots // 24
        self.hours_per_context = hours_per_context
        shape = (24 // hours_per_context, len(self.arms))
        # per (context, arm): plays and running sums of wins/auction and cost/auction and their squares
        self.n = np.zeros(shape)
        self.win, self.win2 = np.zeros(shape), np.zeros(shape)
        self.cost, self.cost2 = np.zeros(shape), np.zeros(shape)
        # per context: clicks and conversions (Beta(1 + conversions, 1 + clicks - conversions) posterior)
        self.clicks, self.conversions = np.zeros(shape[0]), np.zeros(shape[0])
        self.pid = _Controller(kp, ki, 0.0, -20.0, 20.0)     # controls -log(lambda / lambda0)
        self.shadow0: float | None = None
        self.rng = np.random.default_rng(seed)
        self.played: int | None = None

    def _context(self, slot: int) -> int:
        return slot // self.slots_per_hour // self.hours_per_context

    def _gaussian_draw(self, total: np.ndarray, squares: np.ndarray, c: int) -> np.ndarray:
        n = self.n[c]
        pooled = total.sum(axis=0) / np.maximum(self.n.sum(axis=0), 1)
        mean = np.where(n > 0, total[c] / np.maximum(n, 1), pooled)      # unplayed here: the arm's mean elsewhere
        var = np.maximum(squares[c] / np.maximum(n, 1) - mean**2, (0.1 * mean) ** 2 + 1e-12)
        return mean + np.sqrt(var / (n + 1.0)) * self.rng.standard_normal(len(n))

    def decide(self, slot: int) -> tuple[float, float]:
        cap = self.budget - self.spent
        untried = np.flatnonzero(self.n.sum(axis=0) == 0)
        if len(untried) or self.shadow0 is None:               # play every arm once before sampling
            arm = int(untried[0]) if len(untried) else int(self.rng.integers(len(self.arms)))
        else:
            c = self._context(slot)
            shadow = self.shadow0 * float(np.exp(-self.pid.update(self.error(slot))))
            cvr = self.rng.beta(1.0 + self.conversions[c], 1.0 + self.clicks[c] - self.conversions[c])
            win = self._gaussian_draw(self.win, self.win2, c)
            cost = self._gaussian_draw(self.cost, self.cost2, c)
            arm = int(np.argmax(cvr * win - shadow * cost))
        self.played = arm
        return self.base * float(self.arms[arm]), cap

    def observe(self, slot: int, result: SlotResult) -> None:
        super().observe(slot, result)
        c = self._context(slot)
        self.clicks[c] += result.wins
        self.conversions[c] += result.conversions
        if self.played is None or result.auctions == 0 or result.capped:
            return                                             # a slot cut short by the budget is not a clean sample
        a = self.played
        win, cost = result.wins / result.auctions, result.spend / result.auctions
        self.n[c, a] += 1
        self.win[c, a] += win
        self.win2[c, a] += win**2
        self.cost[c, a] += cost
        self.cost2[c, a] += cost**2
        if self.shadow0 is None and self.cost.sum() > 0 and self.conversions.sum() > 0:
            # start at the average conversions per USD seen so far
            self.shadow0 = float(self.conversions.sum() / max(self.spent, 1e-9))


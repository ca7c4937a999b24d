"""Households: needs, budgets, holdings and quality memory, held as arrays for bulk work.

Every household is also a Mesa agent (`abm.economy.agents.Consumer`), a thin view on one row of
these arrays, so the model scales to 100,000 households while Mesa's tools still see agents.
"""

from __future__ import annotations

import numpy as np

from abm.economy.formulas import demand_multiplier
from abm.economy.market import Shoppers
from abm.economy.modes import MODES

NOBODY = -1


class Households:
    """State and bulk behaviour of all households."""

    def __init__(self, p: dict, rng: np.random.Generator) -> None:
        n = p["n_consumers"]
        self.p = p
        self.rng = rng
        self.x = rng.integers(0, p["grid_width"], n)
        self.y = rng.integers(0, p["grid_height"], n)
        side = p["neighbourhood_cells"]
        blocks_x = -(-p["grid_width"] // side)
        self.neighbourhood = (self.y // side) * blocks_x + self.x // side
        spread = p["savings_dispersion"]  # a mean-one lognormal, as below
        self.cash = p["initial_savings"] * rng.lognormal(-(spread**2) / 2, spread, n)
        self.holdings = np.zeros(n, dtype=np.int64)
        self.pending = np.zeros(n, dtype=bool)  # an open need, not yet ordered
        self.awaiting = np.zeros(n, dtype=bool)  # ordered from a workshop, not yet delivered
        self.waiting_days = np.zeros(n, dtype=np.int64)
        self.custom = np.zeros(n, dtype=bool)
        self.turned_away = np.zeros(n, dtype=bool)  # an empty shelf already met this need
        spread = p["preference_dispersion"]

        def draw(mean: float) -> np.ndarray:
            return mean * rng.lognormal(-(spread**2) / 2, spread, n)

        self.logit_scale = draw(p["logit_scale"])
        self.defect_hassle = draw(p["defect_hassle_cost"])
        self.impatience = draw(p["impatience_per_day"])
        self.mismatch_cost = draw(p["custom_mismatch_cost"])
        self.defect_belief = np.full((n, len(MODES)), p["prior_defect_belief"])
        self.employer = np.full(n, NOBODY, dtype=np.int64)  # unique_id of factory or workshop
        self.owns_workshop = np.zeros(n, dtype=bool)
        self.injured_days = np.zeros(n, dtype=np.int64)  # working days still to miss
        self.out_today = np.zeros(n, dtype=bool)  # injured: does not work today
        self.last_mode = np.full(n, NOBODY, dtype=np.int64)
        self.income_today = np.zeros(n)
        self.surplus_today = np.zeros(len(MODES))
        # tastes that belong to the need (taste_shocks=per_need): each open need's key to its
        # shocks (`abm.economy.taste`), and the surplus of the purchase a refund would undo
        self.shocks_per_need = p["taste_shocks"] == "per_need"
        self.taste_key = np.zeros(n, dtype=np.uint64)
        self.purchase_surplus = np.zeros(n)
        self.purchases_today = 0
        self.purchases_above_today = 0  # bought at a price above willingness to pay + taste
        self.needs_today = 0  # needs that arose today
        self.unmet_today = 0  # needs given up today
        # needs opened and given up a day, smoothed over entry_demand_memory_days: entrants see
        self.needs_rate = np.full(n, p["need_rate"])  # them (opened: new or reopened)
        self.given_up_rate = np.zeros(n)

    def __len__(self) -> int:
        return len(self.cash)

    # --- the day's books: income is written by the ledger (`Ledger.pay`), surplus here ---
    def start_day(self) -> None:
        """Today's income, consumer surplus and purchases start from zero."""
        self.income_today[:] = 0.0
        self.surplus_today[:] = 0.0
        self.purchases_today = 0
        self.purchases_above_today = 0

    def add_surplus(self, mode: int, idx: np.ndarray, paid, taste) -> None:
        """Households `idx` bought from `mode` at `paid`, with `taste` ($) for the offer: the
        day's consumer surplus grows by willingness to pay plus taste less the price (the
        utility the choice maximized, in $), which each buyer keeps until the sale is undone;
        under taste_shocks=daily, by willingness to pay less the price (version 0.3.1). Counts
        the purchases, and those at a price above willingness to pay plus taste."""
        willingness = self.willingness_to_pay(idx)
        worth = willingness + taste
        self.purchases_today += len(idx)
        self.purchases_above_today += int(np.count_nonzero(paid > worth))
        if self.shocks_per_need:
            surplus = np.subtract(worth, paid)
            self.purchase_surplus[idx] = surplus
        else:
            surplus = willingness - paid
        self.surplus_today[mode] += float(np.sum(surplus))

    def take_back_surplus(self, mode: int, idx: np.ndarray, refunded) -> None:
        """Households `idx` got `refunded` back for a unit they do not keep: the surplus their
        purchase added is taken back, the same amount (a household has one purchase open at a
        time); under taste_shocks=daily, willingness to pay now less the refund (0.3.1)."""
        if self.shocks_per_need:
            self.surplus_today[mode] -= float(np.sum(self.purchase_surplus[idx]))
            self.purchase_surplus[idx] = 0.0
            return
        self.surplus_today[mode] -= float(np.sum(self.willingness_to_pay(idx) - refunded))

    # --- work and health ---
    def hire(self, idx: np.ndarray, employer: int | np.ndarray) -> None:
        """Households `idx` work for `employer` (a firm's unique_id, or one per household)."""
        self.employer[idx] = employer

    def lay_off(self, idx: np.ndarray) -> None:
        self.employer[idx] = NOBODY

    def open_workshop(self, owner: int) -> None:
        """The owner works in its own workshop from now on, not in a factory."""
        self.owns_workshop[owner] = True
        self.employer[owner] = NOBODY

    def close_workshop(self, owner: int) -> None:
        self.owns_workshop[owner] = False

    def healthy(self, idx: np.ndarray) -> np.ndarray:
        """Which of households `idx` can work today (not recovering from an injury)."""
        return ~self.out_today[idx]

    def injure(self, idx: np.ndarray, lost_days: int) -> None:
        """Households `idx` are hurt at work: they miss the next `lost_days` working days
        (the day of the injury, which they worked, is not one of them)."""
        self.injured_days[idx] = lost_days

    def start_shift(self) -> None:
        """Who is out today: every household with injury days left, which uses one of them."""
        self.out_today = self.injured_days > 0
        self.injured_days[self.out_today] -= 1

    def willingness_to_pay(self, idx: np.ndarray) -> np.ndarray:
        """Diminishing marginal utility: each unit held lowers the value of one more."""
        return self.p["good_value"] * self.p["marginal_utility_decay"] ** self.holdings[idx]

    def wear_out(self) -> None:
        """Held units break at random, each with chance 1/lifetime a day; a broken unit no
        longer counts.

        Drawn as the number of units that break among all held, then which ones (uniformly,
        without replacement): the same law as a binomial per household, and a few thousand
        draws a day instead of one per household."""
        held = np.cumsum(self.holdings)
        units = int(held[-1]) if len(held) else 0
        broken = int(self.rng.binomial(units, 1.0 / self.p["good_lifetime_days"]))
        if broken == 0:
            return
        which = self.rng.choice(units, size=broken, replace=False)
        owner = np.searchsorted(held, which, side="right")  # unit u belongs to the first
        self.holdings -= np.bincount(owner, minlength=len(self))  # household whose cumsum > u

    def arrive_needs(self, day: int) -> int:
        """New needs at the day's demand-pattern rate; returns how many arrived. Under
        taste_shocks=per_need each new need draws the key to its taste shocks."""
        p = self.p
        rate = p["need_rate"] * demand_multiplier(
            day, p["demand_cycle_days"], p["demand_peak_days"], p["peak_to_mean"]
        )
        free = ~(self.pending | self.awaiting)
        new = free & (self.rng.random(len(self)) < min(rate, 1.0))
        self.pending |= new
        self.waiting_days[new] = 0
        self.turned_away[new] = False
        self.custom[new] = self.rng.random(int(new.sum())) < p["custom_share"]
        self.needs_today = int(new.sum())
        if self.shocks_per_need:
            self.taste_key[new] = self.rng.integers(
                0, np.iinfo(np.uint64).max, self.needs_today, dtype=np.uint64, endpoint=True
            )
        return self.needs_today

    def expire_needs(self) -> int:
        """Needs open longer than households' patience are given up: unmet demand. Each
        household's rates of needs opened (new today, or reopened since yesterday's count by a
        return or a cancelled order) and given up are smoothed exponentially over
        `entry_demand_memory_days` days."""
        opened = self.pending & (self.waiting_days == 0)
        self.waiting_days[self.pending] += 1
        gone = self.pending & (self.waiting_days > self.p["need_patience_days"])
        self.pending[gone] = False
        memory = self.p["entry_demand_memory_days"]
        self.needs_rate += (opened - self.needs_rate) / memory
        self.given_up_rate += (gone - self.given_up_rate) / memory
        self.unmet_today = int(gone.sum())
        return self.unmet_today

    # --- a need's way through the market ---
    def first_tries(self, idx: np.ndarray) -> np.ndarray:
        """Which shoppers `idx` meet a shelf with this need for the first time (demand counts
        each need once, however often it comes back)."""
        return ~self.turned_away[idx]

    def turn_away(self, idx: np.ndarray) -> None:
        """An empty shelf met these shoppers; their needs stay open for tomorrow."""
        self.turned_away[idx] = True

    def bought_from_store(self, idx: np.ndarray) -> None:
        self.pending[idx] = False

    def ordered_from_workshop(self, idx: np.ndarray) -> None:
        """Paid and queued: the need waits for its unit, no longer shops."""
        self.pending[idx] = False
        self.awaiting[idx] = True

    def order_cancelled(self, idx: np.ndarray) -> None:
        """The workshop closed and refunded the order: the need opens afresh (patience anew),
        with its own tastes (its taste key is kept: the same need shops again)."""
        self.turned_away[idx] = False
        self.awaiting[idx] = False
        self.pending[idx] = True
        self.waiting_days[idx] = 0

    def units_arrived(self, idx: np.ndarray) -> None:
        """Ordered units reached these households (`receive` books what they got)."""
        self.awaiting[idx] = False

    def shoppers(self, idx: np.ndarray) -> Shoppers:
        """The choice-relevant view of households `idx`."""
        return Shoppers(
            budget=self.cash[idx],
            willingness_to_pay=self.willingness_to_pay(idx),
            logit_scale=self.logit_scale[idx],
            defect_hassle=self.defect_hassle[idx],
            impatience=self.impatience[idx],
            mismatch_cost=self.mismatch_cost[idx],
            custom=self.custom[idx],
            defect_belief=self.defect_belief[idx],
            taste_key=self.taste_key[idx] if self.shocks_per_need else None,
        )

    def receive(self, idx: np.ndarray, mode: int, defective: np.ndarray) -> None:
        """Households get units: remember their quality; keep the good ones, reopen the rest
        (the need of a returned unit keeps its taste key: the same need, shopping again)."""
        rate = self.p["memory_learning_rate"]
        belief = self.defect_belief[idx, mode]
        self.defect_belief[idx, mode] = (1 - rate) * belief + rate * defective
        kept = idx[~defective]
        self.holdings[kept] += 1
        self.last_mode[idx] = mode
        returned = idx[defective]
        self.pending[returned] = True
        self.waiting_days[returned] = 0
        self.turned_away[idx] = False

    def spread_word_of_mouth(self) -> None:
        """Each household's memory moves toward its neighbourhood's mean opinion."""
        w = self.p["word_of_mouth_rate"]
        if w == 0:
            return
        count = np.bincount(self.neighbourhood)
        for m in range(len(MODES)):
            total = np.bincount(self.neighbourhood, weights=self.defect_belief[:, m])
            mean = total[self.neighbourhood] / count[self.neighbourhood]
            self.defect_belief[:, m] += w * (mean - self.defect_belief[:, m])

    def available_workers(self) -> np.ndarray:
        """Households free to take a job (in a factory or as a workshop's helper)."""
        return np.flatnonzero((self.employer == NOBODY) & ~self.owns_workshop)

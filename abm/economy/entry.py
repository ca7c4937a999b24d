"""Entry: new firms of either mode come into the market.

- Workshops: households with savings and no job imitate the workshops within their reach when
  those show a recent yearly return above `workshop_hurdle_return` (the rate of
  `workshop_entry_rate` a day who consider it).
- Factories: at each `factory_entry_review_days` review, investors build a factory where recent
  unmet needs promise `factory_hurdle_rate` on its capital.

Each function takes the model (`ProductionEconomy`) whose day it is.
"""

from __future__ import annotations

import numpy as np

from abm.economy.agents import CentralFactory, HomeWorkshop, RetailStore
from abm.economy.formulas import DAYS_PER_YEAR
from abm.economy.households import NOBODY
from abm.economy.ledger import OUTSIDE, HouseholdAccounts
from abm.economy.tally import Count


def enter_workshops(model) -> None:
    """Households with savings imitate profitable workshops within reach."""
    p = model.p
    hh = model.households
    arrays = model.workshop_arrays
    rows = arrays.live()
    if len(rows) == 0 or p["workshop_entry_rate"] == 0:
        return
    stake = p["workshop_initial_cash"]  # capital is financed by a daily charge
    considering = np.flatnonzero(
        (model.rng.random(len(hh)) < p["workshop_entry_rate"])
        & ~hh.owns_workshop
        & (hh.employer == NOBODY)
        & (hh.cash >= stake)
    )
    if len(considering) == 0:
        return
    # the workshops within reach of each household considering: its offers from workshops
    recent_return = np.full(len(model.reach), np.nan)
    recent_return[arrays.offer_id[rows]] = arrays.yearly_returns(rows)
    k, j = model.reach.pairs(considering)
    seen = recent_return[j]
    k, seen = k[~np.isnan(seen)], seen[~np.isnan(seen)]
    near = np.bincount(k, minlength=len(considering))
    total = np.bincount(k, weights=seen, minlength=len(considering))
    with np.errstate(invalid="ignore", divide="ignore"):
        imitating = (near > 0) & (total / near >= p["workshop_hurdle_return"])
    for i in considering[imitating].tolist():
        owner = HouseholdAccounts(i)
        workshop = HomeWorkshop(model, model.cell_of(i), i, investor=owner)
        workshop.count(Count.ENTRIES)


def enter_factories(model) -> None:
    """Investors build a factory when unmet demand promises the hurdle rate on its capital."""
    p = model.p
    window = p["factory_entry_review_days"]
    unmet_per_day = (model.unmet_total - model.unmet_at_review) / window
    model.unmet_at_review = model.unmet_total
    capacity = p["factory_capacity"]
    if unmet_per_day < p["factory_entry_min_demand"] * capacity:
        return
    probe = CentralFactory(model, model.random_cell(), capacity)  # investors' plan
    sales = min(unmet_per_day, capacity * p["normal_utilization"])
    margin = (probe.price - probe.unit_cost()) * sales - probe.fixed_cost_per_day()
    expected_return = margin * DAYS_PER_YEAR / max(probe.capital, 1.0)
    if expected_return < p["factory_hurdle_rate"]:
        model.ledger.pay(probe, OUTSIDE, probe.cash, "equity")  # plan dropped
        probe.remove()
        return
    probe.buy_opening_feedstock(probe.feedstock_lot)
    sites = np.flatnonzero(model.households.pending)
    per_store = unmet_per_day / p["stores_per_factory"]
    for _ in range(p["stores_per_factory"]):
        site = (
            int(model.rng.choice(sites))
            if len(sites)
            else int(model.rng.integers(len(model.households)))
        )
        RetailStore(model, model.cell_of(site), probe, per_store, stocked=False)
    probe.staff()
    probe.count(Count.ENTRIES)

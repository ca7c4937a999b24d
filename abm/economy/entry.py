"""Entry and exit: new firms of either mode come into the market, and firms long in loss leave.

`entry_rule` = "expected_return" (the default; ODD §7.29): a potential entrant of either mode
looks at what the market pays where it would locate (the prices of today's offers the
households within its reach see, their needs and the needs they give up) against its own
entry-scale costs, and enters with a chance that rises with the expected yearly return over
its hurdle rate (`abm.economy.expected_return`).

- Workshops: each day, each household with `workshop_initial_cash` in cash, no job and no
  workshop considers opening one at its home, at `workshop_entry_rate` a day, and does with the
  chance its site promises; whether or not any workshop is alive.
- Factories: at each `factory_entry_review_days` review, investors compare
  `entry_factory_sites` plans (each a set of store sites) and build the best one with the
  chance it promises, against incumbents of either mode.
- Voluntary exit: at each `exit_review_days` review, a firm whose trailing net cash flow
  (before owner dividends) has been negative at `exit_loss_reviews` reviews in a row closes and
  pays out its cash (counted apart from bankruptcies).

`entry_rule` = "legacy" (version 0.3.1, ODD §7.22-7.23): households imitate
workshops within reach that show a recent yearly return above `workshop_hurdle_return`;
investors build a factory where recent unmet needs promise `factory_hurdle_rate`; no
voluntary exit.

Each function takes the model (`ProductionEconomy`) whose day it is.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from abm.economy.agents import (
    CentralFactory,
    HomeWorkshop,
    RetailStore,
    factory_capital,
    factory_feedstock_lot,
    factory_process,
    factory_unit_cost,
)
from abm.economy.expected_return import (
    entry_probability,
    entry_scale_sales,
    expected_sales,
    price_weight,
    site_price,
    yearly_return,
)
from abm.economy.formulas import DAYS_PER_YEAR
from abm.economy.households import NOBODY
from abm.economy.ledger import OUTSIDE, HouseholdAccounts
from abm.economy.production import capital_charge_per_day, feedstock_quote
from abm.economy.solvency import days_in_the_red
from abm.economy.tally import Count
from abm.economy.trading import todays_offers
from abm.economy.workshops import workshop_technology

LEGACY = "legacy"


def enter_workshops(model) -> None:
    """Households open workshops, by the model's `entry_rule`."""
    if model.p["entry_rule"] == LEGACY:
        imitate_workshops(model)
    else:
        enter_workshops_on_return(model)


def enter_factories(model) -> None:
    """Investors build a factory, by the model's `entry_rule` (at a review)."""
    if model.p["entry_rule"] == LEGACY:
        enter_factories_on_unmet_needs(model)
    else:
        enter_factories_on_return(model)


# --- what an entrant sees and what entry costs it ---------------------------------------------


class EntryScale(NamedTuple):
    """The costs of one new firm at entry scale, as its investors reckon them."""

    variable_cost: float  # $ per unit sold: labour, feedstock, shipping, less any subsidy
    fixed_cost_per_day: float  # $: capital charge (depreciation and interest) and overhead
    capacity: float  # units a day
    investment: float  # $: capital plus opening cash


def workshop_entry_scale(model) -> EntryScale:
    """One workshop at initial experience and today's printing technology: the owner's hours at
    her wage, feedstock in small lots, less today's subsidy per unit; capital charge and
    overhead; capital plus the opening cash she pays in."""
    p = model.p
    arrays = model.workshop_arrays
    tech = workshop_technology(np.array([p["workshop_initial_experience"]]), model.steps, p)
    feed = tech.process(p).feedstock_drawn * feedstock_quote(p, p["workshop_feedstock_lot"])
    labour = float(tech.labour_hours[0]) * p["workshop_wage_per_hour"]
    return EntryScale(
        variable_cost=labour + feed - arrays.subsidy(model.steps),
        fixed_cost_per_day=arrays.capital_charge() + p["workshop_overhead_per_day"],  # a station
        capacity=float(tech.capacity[0]),
        investment=p["workshop_capital"] + p["workshop_initial_cash"],
    )


def factory_entry_scale(model) -> EntryScale:
    """A factory of `factory_capacity` at initial experience, costed as `CentralFactory` costs
    itself: labour staffed for normal utilization, feedstock in its lots, shipping; capital by
    the six-tenths rule, its charge and the overhead; capital plus opening cash."""
    p = model.p
    capacity = p["factory_capacity"]
    capital = factory_capital(p, capacity)
    process = factory_process(p, p["factory_initial_experience"])
    feedstock_price = feedstock_quote(p, factory_feedstock_lot(p, capacity))
    charge = capital_charge_per_day(capital, p["factory_capital_life_years"], p["interest_rate"])
    return EntryScale(
        variable_cost=factory_unit_cost(p, process, feedstock_price),
        fixed_cost_per_day=charge + p["factory_overhead_per_day"],
        capacity=capacity,
        investment=capital + p["factory_initial_cash"],
    )


def site_prospects(
    model, sites: np.ndarray, plan: np.ndarray, n_plans: int, reach: float
) -> tuple[np.ndarray, np.ndarray]:
    """Expected demand (units a day) and price of each of `n_plans` plans, where plan[k] would
    open an offer reaching `reach` cells at the home of household sites[k] (a workshop: one
    offer at its owner's home; a factory plan: its stores).

    A site's view is what the household living there sees today: the lowest price among its
    offers (`site_price`; if it sees none, each household pays at most its willingness to pay)
    and their price weights against it (`price_weight`). Each household within reach of a
    plan's offers counts once: its needs a day, of which the plan expects all it gives up and
    its offers' share of the rest against the site's view (`expected_sales`), split evenly
    among the plan's offers that reach it. A plan's price is the mean over its households'
    prices weighed by their expected sales (0 where it expects none)."""
    hh = model.households
    k, h = model.reach.within(hh.x[sites].astype(float), hh.y[sites].astype(float), reach)
    _, which, reaching = np.unique(plan[k] * len(hh) + h, return_inverse=True, return_counts=True)
    own = reaching[which]  # the plan's offers that reach the household (each pair's)
    seen_by, offer = model.reach.pairs(sites)
    seen = np.bincount(seen_by, minlength=len(sites))
    lowest = np.full(len(sites), np.nan)
    rivals = np.zeros(len(sites))
    if len(offer):
        prices = todays_offers(model).price[offer]
        starts = np.cumsum(seen) - seen
        lowest[seen > 0] = np.minimum.reduceat(prices, starts[seen > 0])
        weights = price_weight(prices, lowest[seen_by], hh.logit_scale[sites][seen_by])
        rivals = np.bincount(seen_by, weights=weights, minlength=len(sites))
    price = site_price(lowest[k], hh.willingness_to_pay(h))
    sales = expected_sales(hh.needs_rate[h], hh.given_up_rate[h], own, rivals[k]) / own
    demand = np.bincount(plan[k], weights=sales, minlength=n_plans)
    revenue = np.bincount(plan[k], weights=sales * price, minlength=n_plans)
    mean_price = np.divide(revenue, demand, out=np.zeros(n_plans), where=demand > 0)
    return demand, mean_price


def site_returns(model, scale: EntryScale, demand: np.ndarray, price: np.ndarray):
    """(expected sales, expected yearly return) of an entrant of `scale` at sites with this
    `demand` and `price`."""
    sales = entry_scale_sales(demand, scale.capacity, model.p["normal_utilization"])
    returns = yearly_return(
        price, scale.variable_cost, scale.fixed_cost_per_day, sales, scale.investment
    )
    return sales, returns


# --- entry on expected return -----------------------------------------------------------------


def enter_workshops_on_return(model) -> None:
    """Households considering a workshop open one at home with the chance their site promises:
    `workshop_entry_rate` x (1 - exp(-(R - h) / s)), one draw per household a day."""
    p = model.p
    hh = model.households
    rate = p["workshop_entry_rate"]
    if rate == 0:
        return
    draws = model.rng.random(len(hh))
    considering = np.flatnonzero(
        (draws < rate)
        & ~hh.owns_workshop
        & (hh.employer == NOBODY)
        & (hh.cash >= p["workshop_initial_cash"])
    )
    if len(considering) == 0:
        return
    scale = workshop_entry_scale(model)
    plans = np.arange(len(considering))
    demand, price = site_prospects(model, considering, plans, len(plans), p["workshop_reach"])
    _, returns = site_returns(model, scale, demand, price)
    chance = entry_probability(rate, returns, p["workshop_hurdle_return"], p["entry_return_scale"])
    entering = considering[draws[considering] < chance]
    for i in entering.tolist():
        HomeWorkshop(model, model.cell_of(i), i, investor=HouseholdAccounts(i)).count(Count.ENTRIES)
    arrays = model.workshop_arrays
    if len(entering):  # priced now, so that today's later entrants see them at their price
        arrays.set_prices(arrays.live()[-len(entering) :], model.steps)


def enter_factories_on_return(model) -> None:
    """Investors compare `entry_factory_sites` plans, each with `stores_per_factory` store
    sites at the homes of households with an open need (of any household if none), and build
    the best with the chance it promises: `entry_factory_rate` x (1 - exp(-(R - h) / s))."""
    p = model.p
    hh = model.households
    plans, per_plan = p["entry_factory_sites"], p["stores_per_factory"]
    waiting = np.flatnonzero(hh.pending)
    sites = model.rng.choice(waiting if len(waiting) else len(hh), size=(plans, per_plan))
    plan_of = np.repeat(np.arange(plans), per_plan)
    scale = factory_entry_scale(model)
    demand, price = site_prospects(model, sites.ravel(), plan_of, plans, p["store_reach"])
    sales, returns = site_returns(model, scale, demand, price)
    best = int(np.argmax(returns))
    chance = entry_probability(
        p["entry_factory_rate"], returns[best], p["factory_hurdle_rate"], p["entry_return_scale"]
    )
    if model.rng.random() >= chance:
        return
    factory = CentralFactory(model, model.random_cell(), scale.capacity)
    factory.buy_opening_feedstock(factory.feedstock_lot)
    open_stores(model, factory, sites[best].tolist(), sales[best] / per_plan)


def open_stores(model, factory: CentralFactory, sites: list[int], per_store: float) -> None:
    """A new factory's stores open empty at the homes `sites`, each expecting `per_store` a
    day; it hires its staff and counts as an entry."""
    for site in sites:
        RetailStore(model, model.cell_of(site), factory, per_store, stocked=False)
    factory.staff()
    factory.count(Count.ENTRIES)


# --- voluntary exit ---------------------------------------------------------------------------


class LossRecord:
    """Each firm's run of exit reviews at which its trailing net cash flow was negative, and a
    factory's cash at the last review (its flow is the change since)."""

    def __init__(self) -> None:
        self.factory_cash: dict[CentralFactory, float] = {}
        self.factory_losses: dict[CentralFactory, int] = {}
        self.workshop_losses = np.zeros(0, dtype=np.int64)  # by workshop row

    def review_factories(self, factories: list[CentralFactory]) -> list[int]:
        """Each factory's run of losing reviews, counting today's (none at its first review)."""
        runs = [
            int(days_in_the_red(f.cash - self.factory_cash[f], self.factory_losses[f]))
            if f in self.factory_cash
            else 0
            for f in factories
        ]
        self.factory_cash = {f: f.cash for f in factories}
        self.factory_losses = dict(zip(factories, runs, strict=True))
        return runs

    def review_workshops(self, rows: np.ndarray, flows: np.ndarray, opened: int) -> np.ndarray:
        """Workshop rows' runs of losing reviews, counting today's net cash `flows`."""
        runs = np.zeros(opened, dtype=np.int64)
        runs[: len(self.workshop_losses)] = self.workshop_losses
        runs[rows] = days_in_the_red(flows, runs[rows])
        self.workshop_losses = runs
        return runs[rows]


def exit_unprofitable_firms(model) -> None:
    """At an exit review, firms in funds whose trailing net cash flow has been negative at
    `exit_loss_reviews` reviews in a row close and pay out their cash (a factory's flow: its
    cash change since the last review; a workshop's: its last `imitation_window_days` days of
    net cash flow, before owner dividends). A firm in the red is left to the bankruptcy rule.
    No voluntary exit under the legacy rule."""
    p = model.p
    if p["entry_rule"] == LEGACY or model.steps % p["exit_review_days"]:
        return
    record: LossRecord = model.loss_record
    factories = model.factories()
    runs = record.review_factories(factories)
    for factory, run in zip(factories, runs, strict=True):
        if run >= p["exit_loss_reviews"] and factory.cash >= 0:
            factory.close(Count.EXITS)
    arrays = model.workshop_arrays
    rows = arrays.live()
    flows = arrays.cash_flow[rows].sum(axis=1)
    runs = record.review_workshops(rows, flows, arrays.rows)
    leaving = rows[(runs >= p["exit_loss_reviews"]) & (arrays.cash[rows] >= 0)]
    model.close_workshops(leaving, Count.EXITS)


# --- the legacy rules (version 0.3.1) ---------------------------------------------------------


def imitate_workshops(model) -> None:
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


def enter_factories_on_unmet_needs(model) -> None:
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
    waiting = np.flatnonzero(model.households.pending)
    sites = [
        int(model.rng.choice(waiting))
        if len(waiting)
        else int(model.rng.integers(len(model.households)))
        for _ in range(p["stores_per_factory"])
    ]
    open_stores(model, probe, sites, unmet_per_day / p["stores_per_factory"])

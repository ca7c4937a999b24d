"""ProductionEconomy: the Mesa model that owns the schedule of one simulated day."""

from __future__ import annotations

import mesa
import numpy as np
import pandas as pd
from mesa.discrete_space import OrthogonalVonNeumannGrid

from abm.economy import entry, trading
from abm.economy.agents import (
    CentralFactory,
    Consumer,
    FeedstockSupplier,
    HomeWorkshop,
    RetailStore,
)
from abm.economy.households import NOBODY, Households
from abm.economy.ledger import OUTSIDE, FirmList, GoodsAccount, HouseholdAccounts, Ledger
from abm.economy.market import ReachIndex
from abm.economy.metrics import METRICS, History, measure, verdict
from abm.economy.modes import FACTORY, MODES, WORKSHOP
from abm.economy.parameters import validate
from abm.economy.pricing import market_shares
from abm.economy.production import BatchOutcome
from abm.economy.tally import Count, Tally
from abm.economy.workshops import WorkshopArrays


class ProductionEconomy(mesa.Model):
    """Households buy from factory stores or home workshops; firms live or die by it.

    Every parameter of `abm.economy.parameters` is a keyword argument; `rng` is Mesa's seed
    argument, so `mesa.batch_run(ProductionEconomy, parameters={...}, rng=[...])` works unchanged.
    """

    def __init__(self, rng=None, **params) -> None:
        super().__init__(rng=rng)
        self.p = validate(params)
        p = self.p
        # the map: the model uses no cell neighbourhoods, so the grid quickest to build
        self.grid = OrthogonalVonNeumannGrid(
            (p["grid_width"], p["grid_height"]), random=self.random
        )
        self.households = Households(p, self.rng)
        self.reach = ReachIndex(self.households.x, self.households.y)
        self.sellers: list = []  # every store and workshop ever opened, by offer id
        self.ledger = Ledger(self.households.cash, self.households.income_today)
        self.goods = [GoodsAccount(mode) for mode in MODES]
        self.tally = Tally()  # what each mode did, today and since the start
        self.unmet_total = 0  # needs given up, cumulative
        self.unmet_at_review = 0.0
        self.loss_record = entry.LossRecord()  # firms' runs of losses, for voluntary exit
        self.feedstock = FeedstockSupplier(self)
        self.workshop_arrays = WorkshopArrays(p)
        hh = self.households
        Consumer.create_agents(
            self,
            len(hh),
            cell=[self.grid[(int(x), int(y))] for x, y in zip(hh.x, hh.y, strict=True)],
            index=np.arange(len(hh)),
        )
        owners = self.rng.choice(len(hh), size=min(p["n_workshops"], len(hh)), replace=False)
        for owner in owners:
            HomeWorkshop(self, self.cell_of(owner), int(owner))
        self.workshop_arrays.set_prices(self.workshop_arrays.live(), self.steps)
        self._place_factories(p["n_factories"])  # they hire among households without a workshop
        self.reach.take_in()  # the opening offers' reach, found with the map
        self.ledger.open_books(self.firm_cash())
        self.history = History()  # trailing windows behind shares, lead times and bullwhip
        self._last = measure(self)
        self.datacollector = mesa.DataCollector(
            model_reporters={name: _reporter(name) for name in METRICS}
        )
        self.datacollector.collect(self)

    # --- places on the map ---
    def cell_of(self, household: int):
        return self.grid[(int(self.households.x[household]), int(self.households.y[household]))]

    def random_cell(self):
        x = int(self.rng.integers(self.p["grid_width"]))
        y = int(self.rng.integers(self.p["grid_height"]))
        return self.grid[(x, y)]

    def _place_factories(self, n: int) -> None:
        """The first factories, of dispersed sizes, each with stores among households."""
        p = self.p
        spread = p["firm_size_dispersion"]
        sizes = p["factory_capacity"] * self.rng.lognormal(-(spread**2) / 2, spread, n)
        # stores open stocked for an even split of the whole market's expected demand
        per_store = p["n_consumers"] * p["need_rate"] / max(n * p["stores_per_factory"], 1)
        for capacity in sizes:
            factory = CentralFactory(self, self.random_cell(), float(capacity))
            factory.buy_opening_feedstock(factory.feedstock_lot)
            for _ in range(p["stores_per_factory"]):
                site = self.cell_of(int(self.rng.integers(p["n_consumers"])))
                RetailStore(self, site, factory, per_store * capacity / p["factory_capacity"])
            factory.staff()

    # --- views ---
    def factories(self) -> list[CentralFactory]:
        return list(self.agents_by_type.get(CentralFactory, []))

    def stores(self) -> list[RetailStore]:
        return list(self.agents_by_type.get(RetailStore, []))

    def workshops(self) -> list[HomeWorkshop]:
        return list(self.agents_by_type.get(HomeWorkshop, []))

    def firms(self) -> list:
        return self.factories() + self.workshops()

    def firm_cash(self) -> float:
        """Cash of every firm in business."""
        arrays = self.workshop_arrays
        return sum(f.cash for f in self.factories()) + float(arrays.cash[arrays.live()].sum())

    def open_offer(self, seller, reach: float) -> int:
        """A store or workshop opens to households within `reach` cells; returns its offer id."""
        x, y = seller.cell.coordinate
        self.sellers.append(seller)
        return self.reach.add(x, y, reach)

    def record_batches(self, mode: int, out: BatchOutcome, payers) -> None:
        """Book production batches (one producer's numbers, or arrays of many): goods made and
        scrapped, defects, hours and injuries; `payers` pay for disposing of the waste."""
        goods = self.goods[mode]
        goods.made += int(np.sum(out.made))
        goods.scrapped += int(np.sum(out.caught))
        for what, amounts in (
            (Count.MADE, out.made),
            (Count.DEFECTS_MADE, out.defects),
            (Count.DEFECTS_CAUGHT, out.caught),
            (Count.DEFECTS_ESCAPED, out.escaped),
            (Count.LABOUR_HOURS, out.labour_hours),
            (Count.INJURIES, out.injuries),
        ):
            self.tally.add(mode, what, np.sum(amounts).item())
        self.dispose(payers, mode, out.waste_kg)

    def treat_injuries(self, payers, hurt: np.ndarray, injuries) -> None:
        """Households `hurt` at work are out for `injury_lost_days`; `payers` pay the medical
        cost of their `injuries` (one count per payer)."""
        self.households.injure(hurt, self.p["injury_lost_days"])
        self.ledger.pay(payers, OUTSIDE, injuries * self.p["injury_medical_cost"], "injuries")

    def dispose(self, payers, mode: int, waste_kg) -> None:
        """Scrap leaves the model at the disposal fee per kg (one amount or one per payer)."""
        self.tally.add(mode, Count.WASTE_KG, np.sum(waste_kg).item())
        self.ledger.pay(payers, OUTSIDE, waste_kg * self.p["disposal_fee"], "disposal")

    # --- the day ---
    def step(self) -> None:
        """One day: needs, deliveries, choice, replenishment, production, books, exit/entry."""
        self.tally.start_day()
        hh = self.households
        hh.start_day()
        hh.start_shift()
        self.pay_household_budgets()
        hh.wear_out()
        hh.arrive_needs(self.steps)
        self.unmet_total += hh.expire_needs()
        self.feedstock.deliver()
        arrays = self.workshop_arrays
        trading.deliver_workshop_units(self, arrays.arrivals(self.steps))
        trading.trade(self)
        self.replenish()
        for factory in self.factories():
            factory.produce()
        self.work_in_workshops()
        for factory in self.factories():
            factory.receive_shipments()  # after hours: an L-day shipment covers L days of sales
        self.pay_daily_costs()
        self.close_workshop_books()
        self.exit_bankrupt_firms()
        entry.exit_unprofitable_firms(self)
        entry.enter_workshops(self)
        if self.steps % self.p["factory_entry_review_days"] == 0:
            entry.enter_factories(self)
        self.review_workshop_stations()
        self.review_capacity()
        self.review_policies()
        hh.spread_word_of_mouth()
        self.observe_buffers()
        self.close_store_days()
        self.check_identities()
        self._last = measure(self)
        self.datacollector.collect(self)

    def pay_household_budgets(self) -> None:
        """Base income comes in from outside; households spend a share of savings outside."""
        hh = self.households
        everyone = HouseholdAccounts(slice(None))
        base = np.full(len(hh), self.p["base_income_per_day"])
        self.ledger.pay(OUTSIDE, everyone, base, "base income")
        spent = np.maximum(hh.cash, 0.0) * self.p["other_spending_rate"]
        self.ledger.pay(everyone, OUTSIDE, spent, "other household spending")

    def pay_daily_costs(self) -> None:
        """Factories pay wages, capital charge, overhead and carrying costs; workshops their
        capital charge and overhead. One payment per kind of bill for all firms of a mode."""
        factories = self.factories()
        if factories:
            bills = [factory.daily_costs() for factory in factories]
            workers = np.concatenate([workers for workers, _, _ in bills])
            wages = np.concatenate([wages for _, wages, _ in bills])
            employer = np.repeat(np.arange(len(factories)), [len(w) for w, _, _ in bills])
            payers = FirmList(factories, employer, FACTORY)
            self.ledger.pay(payers, HouseholdAccounts(workers), wages, "wages")
            each = FirmList(factories, np.arange(len(factories)), FACTORY)
            for category in bills[0][2]:
                amounts = np.array([costs[category] for _, _, costs in bills])
                self.ledger.pay(each, OUTSIDE, amounts, category)
        arrays = self.workshop_arrays
        arrays.pay_fixed_costs(arrays.live(), self.ledger)

    def work_in_workshops(self) -> None:
        """Every workshop's capacity counts; those with orders and a healthy worker build."""
        arrays = self.workshop_arrays
        rows = arrays.live()
        if len(rows) == 0:
            return
        tech = arrays.technology(rows, self.steps)
        self.tally.add(WORKSHOP, Count.CAPACITY, arrays.count_capacity(rows, tech))
        crew = arrays.crew(rows, self.households)
        working = (arrays.queue_length[rows] > 0) & (crew != NOBODY).any(axis=1)
        arrays.work(rows[working], tech.take(working), crew[working], self)

    def replenish(self) -> None:
        """Stores order by their pull policy; under push, factories release their plan."""
        push = self.p["replenishment_policy"] == "push"
        for store in self.stores():
            store.replenish()
        if push:
            for factory in self.factories():
                if (self.steps - 1) % self.p["push_plan_days"] == 0 or factory.push_rate == 0:
                    factory.plan_push()
                factory.push_orders()

    def review_workshop_stations(self) -> None:
        """At each growth review, under the "stations" rule, workshops add a station (a machine
        and a hired helper) or drop one (`WorkshopArrays.review_stations`)."""
        p = self.p
        if p["workshop_growth_rule"] != "stations" or self.steps % p["workshop_growth_review_days"]:
            return
        arrays = self.workshop_arrays
        arrays.review_stations(arrays.live(), self)

    def review_capacity(self) -> None:
        """Factories service the loans of retired capacity, review their capacity at review
        points (abm.economy.capacity), and finished modules come on line; before prices and
        staffing, which follow capacity. Under capacity_rule="fixed" capacity is for life."""
        if self.p["capacity_rule"] == "fixed":
            return
        review = self.steps % self.p["capacity_review_days"] == 0
        for factory in self.factories():
            factory.service_stranded_loan()
            if review:
                factory.review_capacity()
            factory.commission()

    def review_policies(self) -> None:
        """Markups at their reviews, then prices daily; lot sizes, reorder points, cards and
        staffing at review points."""
        if self.steps % self.p["markup_review_days"] == 0:
            self.review_markups()
        review = self.steps % self.p["policy_review_days"] == 0
        for factory in self.factories():
            factory.set_price()
            if review:
                for store in factory.stores:
                    store.resize_policy()
                factory.staff()
        arrays = self.workshop_arrays
        rows = arrays.live()
        arrays.set_prices(rows, self.steps)
        if review:
            arrays.pay_out_profit(rows, self.ledger)

    def review_markups(self) -> None:
        """Every firm's share of the units all firms in business sold in the review window, of
        both modes; each firm's markup follows its share (`abm.economy.pricing`)."""
        factories = self.factories()
        arrays = self.workshop_arrays
        rows = arrays.live()
        sales = np.concatenate([[f.window_sales for f in factories], arrays.window_sales[rows]])
        shares = market_shares(sales)
        window_start = self.steps - self.p["markup_review_days"]
        for factory, share in zip(factories, shares[: len(factories)].tolist(), strict=True):
            factory.review_markup(share, window_start)
        arrays.review_markups(rows, shares[len(factories) :], window_start)

    # --- exit and entry ---
    def close_workshop_books(self) -> None:
        """Each workshop's day of net cash flow joins the window imitators look at."""
        self.workshop_arrays.close_books(self.workshop_arrays.live())

    def exit_bankrupt_firms(self) -> None:
        """Firms whose cash has stayed negative for `bankruptcy_days` close."""
        for factory in self.factories():
            if factory.insolvent():
                factory.go_bankrupt()
        arrays = self.workshop_arrays
        self.close_workshops(arrays.insolvent(arrays.live()))

    def close_workshops(self, rows: np.ndarray, why: Count = Count.BANKRUPTCIES) -> None:
        """Workshops `rows` close (`why`: bankrupt, or a voluntary exit): what is on its way is
        delivered, queued orders are refunded (their households shop again), then each pays out
        or writes off and leaves."""
        if len(rows) == 0:
            return
        hh = self.households
        arrays = self.workshop_arrays
        trading.deliver_workshop_units(self, arrays.all_on_the_way(rows))
        orders = arrays.cancel_orders(rows)
        trading.refund(self, arrays.account(orders.row), orders.household, orders.paid)
        hh.order_cancelled(orders.household)
        for row in rows.tolist():
            arrays.agents[row].close(why)

    # --- identities and results ---
    def observe_buffers(self) -> None:
        """End of day: every buffer's level for the flow meters (Little's law)."""
        for store in self.stores():
            store.shelf.meter.observe(store.on_hand)
        for factory in self.factories():
            factory.wip_meter.observe(factory.in_process())
        self.workshop_arrays.observe_queues(self.workshop_arrays.live())

    def close_store_days(self) -> None:
        """Stores learn the fill rate shoppers expect from today, and log the day."""
        for store in self.stores():
            store.learn_fill_rate()
            store.log_day()

    def check_identities(self) -> None:
        """Goods by mode and money as a whole: raise at once if anything went astray."""
        factories, stores = self.factories(), self.stores()
        arrays = self.workshop_arrays
        self.goods[FACTORY].check(
            in_stock=sum(s.on_hand for s in stores),
            in_transit=sum(f.in_transit() for f in factories),
            in_process=sum(f.in_process() for f in factories),
            step=self.steps,
        )
        self.goods[WORKSHOP].check(
            in_stock=0,
            in_transit=int(arrays.in_transit[arrays.live()].sum()),
            in_process=0,
            step=self.steps,
        )
        self.ledger.check_money(self.firm_cash(), self.steps)

    def metric(self, name: str) -> float:
        return self._last.get(name, 0.0)

    def dataframe(self):
        """The per-step table (one row per day, columns as documented in abm.economy.metrics)."""
        df = self.datacollector.get_model_vars_dataframe()
        df.index.name = "day"
        return df

    def verdict(self, df: pd.DataFrame | None = None) -> dict:
        """Which modes survive, which dominates and since which day (from `df`, the run's
        `dataframe()`, when the caller has it already)."""
        return verdict(self.dataframe() if df is None else df, self.p)


def _reporter(name: str):
    return lambda model: model.metric(name)


__all__ = ["ProductionEconomy"]

"""The agents: households (thin views), central factories with their stores, home workshops,
and the central feedstock supplier. Each firm owns its behaviour; the model owns the schedule.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass, field

import numpy as np
from mesa import Agent
from mesa.discrete_space import FixedAgent

from abm.economy import capacity as investment
from abm.economy.flow import FifoStock, FlowMeter
from abm.economy.formulas import DAYS_PER_YEAR, six_tenths_capital, unit_labour
from abm.economy.inventory import DemandForecast, make_policy
from abm.economy.ledger import OUTSIDE, HouseholdAccounts
from abm.economy.market import public_defect_record
from abm.economy.modes import FACTORY, WORKSHOP
from abm.economy.pricing import floored_price, reviewed_markups
from abm.economy.production import (
    BatchOutcome,
    Process,
    capital_charge_per_day,
    feedstock_quote,
    injury_rate_per_hour,
    make_units,
    normal_cost_price,
)
from abm.economy.solvency import bankrupt, days_in_the_red
from abm.economy.tally import Count
from abm.economy.workshops import workshop_technology


class Consumer(FixedAgent):
    """A household on the map; its state lives in row `index` of the model's Households."""

    def __init__(self, model, cell, index: int) -> None:
        super().__init__(model)
        self.cell = cell
        self.index = index

    @property
    def cash(self) -> float:
        return float(self.model.households.cash[self.index])

    @property
    def holdings(self) -> int:
        return int(self.model.households.holdings[self.index])

    @property
    def last_mode(self) -> int:
        """0 factory, 1 workshop, -1 has not bought yet."""
        return int(self.model.households.last_mode[self.index])


class FeedstockSupplier(Agent):
    """Central feedstock maker: prices fall with lot size, and every lot takes a lead time."""

    def __init__(self, model) -> None:
        super().__init__(model)
        self.deliveries: list[tuple[int, Firm, float]] = []

    def quote(self, lot_kg: float) -> float:
        return feedstock_quote(self.model.p, lot_kg)

    def sell(self, buyer: Firm, lot_kg: float) -> None:
        """The buyer pays now (to outside the model); the lot arrives after the lead time."""
        self.model.ledger.pay(buyer, OUTSIDE, lot_kg * self.quote(lot_kg), "feedstock")
        arrival = self.model.steps + self.model.p["feedstock_lead_time"]
        self.deliveries.append((arrival, buyer, lot_kg))
        buyer.feedstock_on_order += lot_kg

    def deliver(self) -> None:
        due = [d for d in self.deliveries if d[0] <= self.model.steps]
        self.deliveries = [d for d in self.deliveries if d[0] > self.model.steps]
        for _, buyer, kg in due:
            buyer.feedstock_kg += kg
            buyer.feedstock_on_order -= kg


class Firm(FixedAgent):
    """What factories and workshops share: feedstock, production books, exit.

    A firm has `cash`, `feedstock_kg`, `feedstock_on_order`, `experience` (cumulative
    output) and the public record behind its defect rate (`delivered_count`, `returns_count`):
    plain attributes of a factory, a row of the model's `WorkshopArrays` for a workshop.
    """

    mode = FACTORY

    def __init__(self, model, cell, capital: float) -> None:
        super().__init__(model)
        self.cell = cell
        self.capital = capital

    def count(self, what: Count, amount: float = 1.0) -> None:
        self.model.tally.add(self.mode, what, amount)

    def record_batch(self, out: BatchOutcome) -> None:
        """Book a production batch (`ProductionEconomy.record_batches`) and what it used."""
        self.model.record_batches(self.mode, out, self)
        self.experience += out.made
        self.feedstock_kg -= out.feedstock_kg

    def buy_opening_feedstock(self, lot_kg: float) -> None:
        """A new firm buys its first feedstock lot at once (from its opening cash)."""
        price = self.model.feedstock.quote(lot_kg)
        self.model.ledger.pay(self, OUTSIDE, lot_kg * price, "feedstock")
        self.feedstock_kg += lot_kg

    def reorder_feedstock(self, process: Process, units_per_day: float, lot_kg: float) -> None:
        """(r, Q) on feedstock: order a lot when stock on hand and on order covers too few days."""
        p = self.model.p
        cover_days = p["feedstock_lead_time"] + p["feedstock_extra_cover_days"]
        if process.reorder_due(
            self.feedstock_kg, self.feedstock_on_order, units_per_day, cover_days
        ):
            self.model.feedstock.sell(self, lot_kg)

    def settle_and_leave(self, owner, why: Count = Count.BANKRUPTCIES) -> None:
        """Exit: positive cash goes to the owner, a negative balance is written off outside;
        counted as `why` (a bankruptcy, or a voluntary exit)."""
        if self.cash >= 0:
            self.model.ledger.pay(self, owner, self.cash, "exit payout")
        else:
            self.model.ledger.pay(OUTSIDE, self, -self.cash, "bankruptcy write-off")
        self.count(why)
        self.remove()


# ----------------------------------------------------------------------------------------------
# Central factories and their retail stores
# ----------------------------------------------------------------------------------------------


@dataclass
class Lot:
    """A store order in production: production kanban for `quantity` units."""

    store: RetailStore
    quantity: int
    ordered: int  # day the store placed the order
    done: int = 0
    defective: int = 0
    made: list[tuple[int, int]] = field(default_factory=list)  # (day, units finished)


@dataclass
class Shipment:
    """A finished lot on its way from the factory to its store."""

    arrival: int
    lot: Lot


def factory_capital(p: dict, capacity: float) -> float:
    """Capital of a factory of `capacity` units a day: the six-tenths rule from the reference."""
    return six_tenths_capital(
        p["factory_reference_capital"],
        p["reference_capacity"],
        capacity,
        p["capital_scale_exponent"],
    )


def factory_feedstock_lot(p: dict, capacity: float) -> float:
    """kg a factory of `capacity` buys per feedstock lot: `factory_feedstock_days` of use."""
    return p["factory_feedstock_days"] * capacity * p["feedstock_per_unit"]


def factory_process(p: dict, experience: float) -> Process:
    """A factory's process at cumulative output `experience`: labour per unit falls with it
    (Wright's law)."""
    relative = experience / p["factory_initial_experience"]
    return Process(
        labour_hours=unit_labour(p["factory_labour_hours"], relative, p["progress_ratio"]),
        feedstock_per_unit=p["feedstock_per_unit"],
        waste_share=p["factory_scrap_share"],
        error_probability=p["error_probability"],
        poka_yoke=p["poka_yoke"],
        inspection=p["inspection"],
        injury_rate_per_hour=injury_rate_per_hour(p["injury_rate"]),
    )


def factory_unit_cost(p: dict, process: Process, feedstock_price: float) -> float:
    """Variable cost of a factory unit before carrying: labour staffed for normal utilization,
    feedstock at `feedstock_price` a kg, shipping to the store."""
    feed = process.feedstock_drawn * feedstock_price
    wages = process.labour_hours * p["wage_per_hour"] / p["normal_utilization"]
    return wages + feed + p["shipping_cost_per_unit"]


class CentralFactory(Firm):
    """Large capital, hired workers, learning, poka-yoke and inspection, lots against orders."""

    mode = FACTORY

    def __init__(self, model, cell, capacity: float) -> None:
        p = model.p
        super().__init__(model, cell, factory_capital(p, capacity))
        self.cash = 0.0
        self.feedstock_kg = 0.0
        self.feedstock_on_order = 0.0
        self.delivered_count = 0.0
        self.returns_count = 0.0
        self.days_negative = 0
        cash = p["factory_initial_cash"] * capacity / p["factory_capacity"]
        model.ledger.pay(OUTSIDE, self, cash, "equity")
        self.capacity = capacity
        self.experience = p["factory_initial_experience"]
        self._costs_at: tuple[float, tuple[Process, float]] | tuple[None, None] = (None, None)
        self.stores: list[RetailStore] = []
        self.lots: deque[Lot] = deque()
        self.shipments: list[Shipment] = []
        self.workers = np.empty(0, dtype=np.int64)  # households employed, in hiring order
        self.feedstock_lot = factory_feedstock_lot(p, capacity)
        self.push_rate = 0.0
        self.wip_meter = FlowMeter()  # finished units of unfinished lots
        self.learning: list[tuple[float, float]] = []  # (cumulative output, labour per unit)
        self.capacity_today = 0.0
        self.markup = p["price_markup"]  # over normal full unit cost; reviewed by pricing
        self.window_sales = 0  # units sold since the last markup review
        self.market_share = np.nan  # share of units sold in the last whole review window
        self.opened_day = model.steps
        self.construction: deque[tuple[int, float]] = deque()  # (day on line, units/day)
        self.stranded_loan = 0.0  # unrecovered loan of retired modules
        self.stranded_instalment = 0.0  # its daily repayment
        self.set_price()

    # --- technology and cost ---
    def labour_per_unit(self) -> float:
        return self.process().labour_hours

    def process(self) -> Process:
        """Today's process: labour per unit falls with cumulative output (Wright's law)."""
        return self._costs()[0]

    def _costs(self) -> tuple[Process, float]:
        """(process, unit cost before carrying) at today's cumulative output: worked out again
        only when output has grown, as production, prices, staffing and costs all ask."""
        if self._costs_at[0] != self.experience:
            p = self.model.p
            process = factory_process(p, self.experience)
            unit_cost = factory_unit_cost(
                p, process, self.model.feedstock.quote(self.feedstock_lot)
            )
            self._costs_at = (self.experience, (process, unit_cost))
        return self._costs_at[1]

    def unit_cost(self) -> float:
        """Variable cost of one unit at the store: labour (staffed for normal utilization),
        feedstock, shipping, and the carrying cost of the days it spends in transit."""
        return self.unit_cost_ex_carrying() * (1.0 + self.carrying_share())

    def unit_cost_ex_carrying(self) -> float:
        """Labour (staffed for normal utilization), feedstock and shipping of one unit."""
        return self._costs()[1]

    def carrying_share(self) -> float:
        """Carrying cost per unit as a share of its cost: the rate times the replenishment days.

        Latency costs money here: every day between order and shelf is a day of inventory to
        finance. (Stock on the shelf is paid for in cash as it is held, not priced in, so that a
        slump in sales does not feed back into higher prices.)
        """
        if not self.stores:
            return 0.0
        days = sum(s.lead_time() for s in self.stores) / len(self.stores)
        return self.model.p["holding_cost_rate"] * days / DAYS_PER_YEAR

    def defect_record(self) -> float:
        """The factory's public defect record (its stores show it)."""
        p = self.model.p
        return public_defect_record(
            self.returns_count,
            self.delivered_count,
            p["prior_defect_belief"],
            p["prior_weight_units"],
        )

    def capital_charge(self) -> float:
        """Depreciation and interest on the factory's capital, per day."""
        p = self.model.p
        return capital_charge_per_day(
            self.capital, p["factory_capital_life_years"], p["interest_rate"]
        )

    def fixed_cost_per_day(self) -> float:
        return self.capital_charge() + self.model.p["factory_overhead_per_day"]

    def set_price(self) -> None:
        """Its markup over normal full unit cost, never below its variable unit cost."""
        p = self.model.p
        variable = self.unit_cost()
        full = normal_cost_price(
            variable,
            self.fixed_cost_per_day(),
            self.capacity,
            p["normal_utilization"],
            self.markup,
        )
        self.price = float(floored_price(full, variable))

    def review_markup(self, share: float, window_start: int) -> None:
        """Markup review (`abm.economy.pricing`): `share` is its share of the units all firms
        sold since `window_start` (unknown if it opened after that day); under the market-share
        rule its markup follows the change from the window before. Its count starts afresh."""
        p = self.model.p
        if self.opened_day > window_start:
            share = np.nan
        self.markup = float(reviewed_markups(p, self.markup, share, self.market_share))
        self.market_share = share
        self.window_sales = 0

    def shipping_days(self, store: RetailStore) -> int:
        p = self.model.p
        (fx, fy), (sx, sy) = self.cell.coordinate, store.cell.coordinate
        distance = math.hypot(fx - sx, fy - sy)
        return p["shipping_lead_time"] + round(p["shipping_days_per_cell"] * distance)

    # --- workforce ---
    def staff(self) -> None:
        """Hire or lay off: staff for the stores' demand at normal utilization, plus the backlog."""
        p = self.model.p
        hh = self.model.households
        demand = sum(s.demand_forecast.mean for s in self.stores)
        backlog = sum(lot.quantity - lot.done for lot in self.lots) / p["backlog_clearance_days"]
        planned = min(self.capacity, demand / p["normal_utilization"] + backlog)
        wanted = max(1, math.ceil(planned * self.labour_per_unit() / p["hours_per_day"]))
        if len(self.workers) > wanted:  # the last hired go first
            hh.lay_off(self.workers[wanted:])
            self.workers = self.workers[:wanted]
        if len(self.workers) < wanted:
            free = hh.available_workers()
            hires = self.model.rng.permutation(free)[: wanted - len(self.workers)]
            hh.hire(hires, self.unique_id)
            self.workers = np.concatenate([self.workers, hires])

    # --- capacity investment (abm.economy.capacity) ---
    def capacity_building(self) -> float:
        """Capacity under construction, units/day."""
        return sum(units for _, units in self.construction)

    def review_capacity(self) -> None:
        """Order modules, or retire some, toward the capacity at which the stores' expected
        demand (their forecasts: each need once, lost sales included) runs at the target
        utilization; only outside the band, and never retiring while building."""
        p = self.model.p
        module = p["capacity_module"]
        demand = sum(s.demand_forecast.mean for s in self.stores)
        desired = investment.desired_capacity(demand, p["normal_utilization"])
        planned = self.capacity + self.capacity_building()
        change = investment.modules_to_change(planned, desired, module, p["capacity_band"])
        if change > 0:
            self.construction.append((self.model.steps + p["construction_days"], change * module))
        elif change < 0 and not self.construction:
            retired = investment.modules_to_retire(
                -change, self.capacity, module, p["capacity_retire_max"]
            )
            if retired:
                self.retire(retired * module)

    def commission(self) -> None:
        """Modules whose construction is done come on line, bought on a loan on hand-over:
        the lender pays the builder for the factory, and the capital charge services the loan
        from then on."""
        today = self.model.steps
        while self.construction and self.construction[0][0] <= today:
            _, units = self.construction.popleft()
            cost = self._resize(units)
            self.model.ledger.pay(OUTSIDE, self, cost, "investment loan")
            self.model.ledger.pay(self, OUTSIDE, cost, "capacity investment")

    def retire(self, units: float) -> None:
        """Retire `units`/day of capacity: sell its modules at the salvage share of their
        capital, the proceeds repaying their loan; the rest of it stays as a stranded loan."""
        released = -self._resize(-units)
        salvage = self.model.p["capacity_salvage_share"] * released
        self.model.ledger.pay(OUTSIDE, self, salvage, "capital salvage")
        self.model.ledger.pay(self, OUTSIDE, salvage, "loan repayment")
        unrecovered = released - salvage
        self.stranded_loan += unrecovered
        self.stranded_instalment += investment.loan_instalment(
            unrecovered, self.model.p["factory_capital_life_years"]
        )

    def _resize(self, units: float) -> float:
        """Change capacity by `units`/day (negative: retire); returns the capital this adds.

        Capital stays the six-tenths capital of the capacity; the feedstock lot follows, and
        with it the feedstock price in the unit cost; so do the staffing ceiling, and the
        fixed cost the price spreads over normal output (the price is set after this phase).
        """
        p = self.model.p
        change = investment.module_capital(
            self.capacity,
            units,
            p["factory_reference_capital"],
            p["reference_capacity"],
            p["capital_scale_exponent"],
        )
        self.capacity += units
        self.capital = factory_capital(p, self.capacity)
        self.feedstock_lot = factory_feedstock_lot(p, self.capacity)
        self._costs_at = (None, None)
        self.staff()
        return change

    def service_stranded_loan(self) -> None:
        """Pay today's interest and repayment on the stranded loan of retired modules."""
        if self.stranded_loan == 0.0:
            return
        payment, principal = investment.loan_payment(
            self.stranded_loan, self.stranded_instalment, self.model.p["interest_rate"]
        )
        self.model.ledger.pay(self, OUTSIDE, payment, "stranded capital")
        self.stranded_loan -= principal
        if self.stranded_loan == 0.0:
            self.stranded_instalment = 0.0

    # --- orders and production ---
    def receive_order(self, store: RetailStore, quantity: int) -> None:
        if quantity > 0:
            self.lots.append(Lot(store, quantity, self.model.steps))
            store.on_order += quantity
            store.ordered_today += quantity
            self.model.ledger.pay(self, OUTSIDE, self.model.p["order_cost"], "ordering")
            self.count(Count.ORDERS_UPSTREAM, quantity)

    def plan_push(self) -> None:
        """Make-to-forecast: a level daily rate from the stores' forecasts, netted for stock."""
        p = self.model.p
        forecast = sum(s.demand_forecast.mean for s in self.stores)
        cover = sum(s.lead_time() + p["push_plan_days"] for s in self.stores) / len(self.stores)
        target = forecast * cover
        position = sum(s.inventory_position() for s in self.stores)
        self.push_rate = max(0.0, forecast + (target - position) / p["push_plan_days"])

    def push_orders(self) -> None:
        """Release today's planned output to the stores in proportion to their forecasts."""
        weights = np.array([s.demand_forecast.mean for s in self.stores]) + 1e-9
        for store, q in zip(self.stores, self._allot(self.push_rate, weights), strict=True):
            self.receive_order(store, int(q))

    def _allot(self, total: float, weights: np.ndarray) -> np.ndarray:
        whole = int(total) + int(self.model.rng.random() < total - int(total))
        return self.model.rng.multinomial(whole, weights / weights.sum())

    def produce(self) -> None:
        """Make units for the lots in order, up to capacity, labour and feedstock."""
        p = self.model.p
        hh = self.model.households
        process = self.process()
        healthy = self.workers[hh.healthy(self.workers)]
        by_labour = len(healthy) * p["hours_per_day"] / process.labour_hours
        by_feedstock = process.units_from(self.feedstock_kg)
        self.capacity_today = min(self.capacity, by_labour)
        backlog = sum(lot.quantity - lot.done for lot in self.lots)
        n = int(min(self.capacity_today, by_feedstock, backlog))
        shift_hours = len(healthy) * p["hours_per_day"]
        out = make_units(n, process, self.model.rng, hours=shift_hours)
        if n:
            self.learning.append((self.experience, process.labour_hours))
        self.record_batch(out)
        self.count(Count.CAPACITY, self.capacity)  # machine capacity, as utilization statistics use
        self.injure(out.injuries, healthy)
        self._fill_lots(out.passed, out.escaped)
        self.reorder_feedstock(process, self.capacity, self.feedstock_lot)

    def injure(self, injuries: int, healthy: np.ndarray) -> None:
        """Today's `injuries` fall on workers drawn among the `healthy` who worked."""
        if injuries == 0 or len(healthy) == 0:
            return
        hurt = self.model.rng.choice(healthy, size=min(injuries, len(healthy)), replace=False)
        self.model.treat_injuries(self, hurt, injuries)

    def _fill_lots(self, passed: int, escaped: int) -> None:
        """Put today's passed units into the lots, first come first served; ship full lots."""
        good = passed - escaped
        while passed > 0 and self.lots:
            lot = self.lots[0]
            k = min(passed, lot.quantity - lot.done)
            bad = int(self.model.rng.hypergeometric(escaped, good, k)) if escaped else 0
            lot.done += k
            lot.defective += bad
            lot.made.append((self.model.steps, k))
            passed -= k
            escaped -= bad
            good -= k - bad
            if lot.done == lot.quantity:
                self.lots.popleft()
                self.ship(lot)

    def ship(self, lot: Lot) -> None:
        for day, units in lot.made:
            self.wip_meter.depart(units, day, self.model.steps)
        cv = self.model.p["shipping_time_cv"]
        days = self.shipping_days(lot.store) * self.model.rng.lognormal(-(cv**2) / 2, cv)
        self.shipments.append(Shipment(self.model.steps + round(days), lot))
        cost = lot.done * self.model.p["shipping_cost_per_unit"]
        self.model.ledger.pay(self, OUTSIDE, cost, "shipping")

    def receive_shipments(self) -> None:
        today = self.model.steps
        for shipment in [s for s in self.shipments if s.arrival <= today]:
            shipment.lot.store.receive(shipment.lot)
        self.shipments = [s for s in self.shipments if s.arrival > today]

    # --- goods in the pipeline, for the identity ---
    def in_transit(self) -> int:
        return sum(s.lot.done for s in self.shipments)

    def in_process(self) -> int:
        return sum(lot.done for lot in self.lots)

    def daily_costs(self) -> tuple[np.ndarray, np.ndarray, dict[str, float]]:
        """Today's bills, which the model pays for all factories at once: wages (workers and
        their pay; sick pay for the injured), and the capital charge, the overhead, and the
        carrying cost of the units at its stores and on their way there."""
        p = self.model.p
        workers = self.workers
        daily = p["wage_per_hour"] * p["hours_per_day"]
        healthy = self.model.households.healthy(workers)
        wages = np.where(healthy, daily, daily * p["sick_pay_share"])
        per_unit_day = p["holding_cost_rate"] * self.unit_cost_ex_carrying() / DAYS_PER_YEAR
        units = sum(s.on_hand for s in self.stores) + self.in_transit()
        return (
            workers,
            wages,
            {
                "capital charge": self.capital_charge(),
                "overhead": p["factory_overhead_per_day"],
                "holding": units * per_unit_day,
            },
        )

    def insolvent(self) -> bool:
        """Count the days of negative cash; True once there have been `bankruptcy_days` in a
        row (the factory has gone bankrupt)."""
        self.days_negative = int(days_in_the_red(self.cash, self.days_negative))
        return bool(bankrupt(self.days_negative, self.model.p["bankruptcy_days"]))

    def go_bankrupt(self) -> None:
        self.close(Count.BANKRUPTCIES)

    def close(self, why: Count) -> None:
        """Close the stores, write off all stock, release the workers, leave (`why`: a
        bankruptcy, or a voluntary exit)."""
        goods = self.model.goods[self.mode]
        goods.liquidated += self.in_transit() + self.in_process()
        for store in self.stores:
            goods.liquidated += store.on_hand
            self.model.reach.remove(store.offer_id)
            store.remove()
        self.model.households.lay_off(self.workers)
        self.workers = self.workers[:0]
        self.settle_and_leave(OUTSIDE, why)


class RetailStore(FixedAgent):
    """Holds its factory's goods near households and replenishes by a demand-pull policy."""

    mode = FACTORY

    def __init__(
        self, model, cell, factory: CentralFactory, expected_demand: float, stocked: bool = True
    ) -> None:
        super().__init__(model)
        p = model.p
        self.cell = cell
        self.factory = factory
        factory.stores.append(self)
        self.offer_id = model.open_offer(self, p["store_reach"])
        self.demand_forecast = DemandForecast(
            p["forecast_window"], expected_demand, sd_window=p["demand_sd_days"]
        )
        self.policy = make_policy(p["replenishment_policy"], p)
        shipping = self.factory.shipping_days(self)
        self.observed_lead_time = shipping + 1.0  # what the carrier quotes, then experience
        self.lead_time_variance = (p["shipping_time_cv"] * shipping) ** 2
        opening_days = self.observed_lead_time + p["initial_stock_days"]
        self.on_hand = round(expected_demand * opening_days) if stocked else 0
        self.shelf = FifoStock(FlowMeter())
        self.shelf.put(model.steps, self.on_hand)
        self.cycles: list[tuple[int, bool]] = []  # per lot received: (day, shelf ran empty?)
        self.stocked_out = False
        self.defective_on_hand = 0
        self.on_order = 0
        self.fill_rate = 1.0  # smoothed share of shoppers served at once
        self.demand_today = 0
        self.shoppers_today = 0
        self.served_today = 0
        self.ordered_today = 0
        self.log: list[tuple[int, int, int, int]] = []  # day, demand, ordered, position
        self.resize_policy()
        model.goods[FACTORY].made += self.on_hand  # opening stock counts as made before day 1

    @property
    def price(self) -> float:
        return self.factory.price

    @property
    def cash(self) -> float:
        return self.factory.cash

    def lead_time(self) -> float:
        """Days from an order to its arrival, as the store has experienced them lately."""
        return self.observed_lead_time

    def expected_wait(self) -> float:
        """Days a shopper expects to wait: the chance the shelf is empty times the
        replenishment time. Long shipping reaches households only through stock-outs."""
        return (1.0 - self.fill_rate) * self.lead_time()

    def receive(self, lot: Lot) -> None:
        """A lot arrives: stock up and learn how long replenishment really takes."""
        self.on_hand += lot.done
        self.shelf.put(self.model.steps, lot.done)
        self.defective_on_hand += lot.defective
        self.on_order -= lot.done
        self.cycles.append((self.model.steps, self.stocked_out))
        self.stocked_out = False
        weight = self.model.p["lead_time_smoothing"]
        error = self.model.steps - lot.ordered - self.observed_lead_time
        self.observed_lead_time += weight * error
        self.lead_time_variance = (1 - weight) * (self.lead_time_variance + weight * error**2)

    def inventory_position(self) -> int:
        return self.on_hand + self.on_order

    def resize_policy(self) -> None:
        self.policy.resize(
            self.demand_forecast,
            self.lead_time(),
            self.factory.unit_cost_ex_carrying(),
            math.sqrt(self.lead_time_variance),
        )

    def serve(self, shoppers: int, new_needs: int) -> np.ndarray:
        """Serve today's `shoppers` (of whom `new_needs` came with a need not yet counted)
        from stock in arrival order; returns which of the served units are defective."""
        k = min(shoppers, self.on_hand)
        self.demand_today += new_needs
        self.shoppers_today += shoppers
        bad = 0
        if k and self.defective_on_hand:
            good = self.on_hand - self.defective_on_hand
            bad = int(self.model.rng.hypergeometric(self.defective_on_hand, good, k))
        defective = np.zeros(k, dtype=bool)
        if bad:
            defective[self.model.rng.permutation(k)[:bad]] = True
        self.on_hand -= k
        self.factory.window_sales += k
        self.shelf.take(self.model.steps, k)
        self.stocked_out |= k < shoppers
        self.defective_on_hand -= bad
        self.served_today += k
        return defective

    def replenish(self) -> None:
        """Record the day's demand and order by the policy (push stores wait for the plan)."""
        self.demand_forecast.record(self.demand_today)
        self.factory.count(Count.DEMAND, self.demand_today)
        self.factory.receive_order(
            self, self.policy.order(self.inventory_position(), self.demand_forecast)
        )

    def learn_fill_rate(self) -> None:
        """Update the fill rate shoppers expect from today's share of shoppers served.

        A day without shoppers still tells: a stocked shelf would have served them."""
        if self.shoppers_today:
            available = self.served_today / self.shoppers_today
        else:
            available = 1.0 if self.on_hand > 0 else 0.0
        self.fill_rate += self.model.p["lead_time_smoothing"] * (available - self.fill_rate)

    def log_day(self) -> None:
        """Log the day (demand seen, units ordered, position at day end); start afresh."""
        self.log.append(
            (self.model.steps, self.demand_today, self.ordered_today, self.inventory_position())
        )
        self.demand_today = 0
        self.shoppers_today = 0
        self.served_today = 0
        self.ordered_today = 0


# ----------------------------------------------------------------------------------------------
# Home workshops
# ----------------------------------------------------------------------------------------------


class _Row:
    """A workshop attribute kept in the workshop's row of the model's `WorkshopArrays`."""

    def __set_name__(self, owner, name: str) -> None:
        self.name = name

    def __get__(self, workshop, owner=None):
        if workshop is None:
            return self
        return getattr(workshop.model.workshop_arrays, self.name)[workshop.row].item()

    def __set__(self, workshop, value) -> None:
        getattr(workshop.model.workshop_arrays, self.name)[workshop.row] = value


class HomeWorkshop(Firm):
    """A household's workshop: small capital, local build-to-order, custom goods.

    Its numbers and its queue of orders live in row `row` of `model.workshop_arrays`, where the
    model prices, quotes, charges, runs, queues and checks all workshops at once; the agent
    opens the workshop and, when it closes, settles its cash and leaves.
    """

    mode = WORKSHOP
    cash = _Row()
    experience = _Row()
    feedstock_kg = _Row()
    feedstock_on_order = _Row()
    price = _Row()
    markup = _Row()
    progress_hours = _Row()
    stations = _Row()
    delivered_count = _Row()
    returns_count = _Row()

    def __init__(self, model, cell, owner: int, investor=OUTSIDE) -> None:
        p = model.p
        super().__init__(model, cell, p["workshop_capital"])
        self.owner = owner
        self.arrays = model.workshop_arrays
        x, y = cell.coordinate
        self.row = self.arrays.open(self, owner, x, y, p["workshop_initial_cash"], model.steps)
        self.arrays.offer_id[self.row] = model.open_offer(self, p["workshop_reach"])
        model.households.open_workshop(owner)
        model.ledger.pay(investor, self, p["workshop_initial_cash"], "equity")
        self.buy_opening_feedstock(p["workshop_feedstock_lot"])
        # its price is set with every workshop's, before it first meets a shopper

    # --- technology and cost ---
    def process(self) -> Process:
        """Today's process at today's experience."""
        p = self.model.p
        experience = np.array([self.experience])
        return workshop_technology(experience, self.model.steps, p).take(0).process(p)

    def capacity(self) -> float:
        """Units a day its stations' hours allow with today's process."""
        hours = self.stations * self.model.p["workshop_hours_per_day"]
        return hours / self.process().labour_hours

    @property
    def queue_meter(self) -> FlowMeter:
        return self.arrays.meter(self.row)

    def restart_queue_meter(self) -> None:
        self.arrays.restart_meter(self.row, self.model.steps)

    def close(self, why: Count) -> None:
        """Pay out or write off, and leave (`ProductionEconomy.close_workshops` has delivered
        what was on its way and refunded the queue); `why`: a bankruptcy or a voluntary exit.
        Its helpers are laid off."""
        self.model.households.lay_off(self.arrays.release_helpers(self.row))
        self.model.households.close_workshop(self.owner)
        self.settle_and_leave(HouseholdAccounts(self.owner), why)
        self.model.reach.remove(int(self.arrays.offer_id[self.row]))
        self.arrays.close(self.row)

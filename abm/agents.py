"""The agents: households (thin views), central factories with their stores, home workshops,
and the central feedstock supplier. Each firm owns its behaviour; the model owns the schedule.
"""

from __future__ import annotations

import functools
import math
from collections import defaultdict, deque
from dataclasses import dataclass, field

import numpy as np
from mesa import Agent
from mesa.discrete_space import FixedAgent

from abm import formulas
from abm.flow import FifoStock, FlowMeter
from abm.formulas import six_tenths_capital, unit_labour
from abm.households import NOBODY
from abm.inventory import DAYS_PER_YEAR, DemandForecast, make_policy
from abm.ledger import OUTSIDE, Households
from abm.production import BatchOutcome, Process, make_units, normal_cost_price

FACTORY, WORKSHOP = 0, 1

# Pure formulas that firms ask every day with the same arguments: remember their answers.
capital_charge_per_day = functools.cache(formulas.capital_charge_per_day)
feedstock_unit_price = functools.cache(formulas.feedstock_unit_price)
injury_rate_per_hour = functools.cache(formulas.injury_rate_per_hour)


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
        p = self.model.p
        return feedstock_unit_price(
            lot_kg,
            p["feedstock_bulk_price"],
            p["feedstock_small_lot_premium"],
            p["feedstock_half_discount_lot"],
        )

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
    """What factories and workshops share: cash and books, feedstock, bankruptcy."""

    mode = FACTORY

    def __init__(self, model, cell, capital: float, cash: float, investor=OUTSIDE) -> None:
        super().__init__(model)
        self.cell = cell
        self.capital = capital
        self.cash = 0.0
        self.books: defaultdict[str, float] = defaultdict(float)
        self.feedstock_kg = 0.0
        self.feedstock_on_order = 0.0
        self.days_negative = 0
        self.price = 0.0
        self.experience = 0.0
        self.cash_flow = deque([0.0], maxlen=30)  # daily net cash flow, last 30 days
        self._cash_at_day_start = cash
        model.ledger.pay(investor, self, cash, "equity")

    def count(self, key: str, amount: float = 1.0) -> None:
        self.model.count(self.mode, key, amount)

    def record_batch(self, out: BatchOutcome) -> None:
        """Book a production batch: goods made and scrapped, defects, hours, injuries, waste."""
        goods = self.model.goods[self.mode]
        goods.made += out.made
        goods.scrapped += out.caught
        self.count("made", out.made)
        self.count("defects_made", out.defects)
        self.count("defects_caught", out.caught)
        self.count("defects_escaped", out.escaped)
        self.count("labour_hours", out.labour_hours)
        self.count("injuries", out.injuries)
        self.experience += out.made
        self.feedstock_kg -= out.feedstock_kg
        self.dispose(out.waste_kg)

    def buy_opening_feedstock(self, lot_kg: float) -> None:
        """A new firm buys its first feedstock lot at once (from its opening cash)."""
        price = self.model.feedstock.quote(lot_kg)
        self.model.ledger.pay(self, OUTSIDE, lot_kg * price, "feedstock")
        self.feedstock_kg += lot_kg

    def reorder_feedstock(self, daily_use: float, lot_kg: float) -> None:
        """(r, Q) on feedstock: order a lot when stock on hand and on order covers too few days."""
        cover = daily_use * (self.model.p["feedstock_lead_time"] + 2)
        if self.feedstock_kg + self.feedstock_on_order < cover:
            self.model.feedstock.sell(self, lot_kg)

    def dispose(self, waste_kg: float) -> None:
        self.count("waste_kg", waste_kg)
        self.model.ledger.pay(self, OUTSIDE, waste_kg * self.model.p["disposal_fee"], "disposal")

    def pay_fixed_costs(self, life_years: float, overhead: float) -> None:
        p = self.model.p
        charge = capital_charge_per_day(self.capital, life_years, p["interest_rate"])
        self.model.ledger.pay(self, OUTSIDE, charge, "capital charge")
        self.model.ledger.pay(self, OUTSIDE, overhead, "overhead")

    def close_day(self) -> bool:
        """Track cash flow and solvency; True if the firm has gone bankrupt."""
        self.cash_flow.append(self.cash - self._cash_at_day_start)
        self._cash_at_day_start = self.cash
        self.days_negative = self.days_negative + 1 if self.cash < 0 else 0
        return self.days_negative >= self.model.p["bankruptcy_days"]

    def yearly_return(self) -> float:
        """Recent net cash flow, annualized, over capital: what neighbours see."""
        mean_flow = sum(self.cash_flow) / len(self.cash_flow)
        return mean_flow * DAYS_PER_YEAR / max(self.capital, 1.0)

    def settle_and_leave(self, owner) -> None:
        """Exit: positive cash goes to the owner, a negative balance is written off outside."""
        if self.cash >= 0:
            self.model.ledger.pay(self, owner, self.cash, "exit payout")
        else:
            self.model.ledger.pay(OUTSIDE, self, -self.cash, "bankruptcy write-off")
        self.count("bankruptcies")
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


class CentralFactory(Firm):
    """Large capital, hired workers, learning, poka-yoke and inspection, lots against orders."""

    mode = FACTORY

    def __init__(self, model, cell, capacity: float) -> None:
        p = model.p
        capital = six_tenths_capital(
            p["factory_reference_capital"],
            p["reference_capacity"],
            capacity,
            p["capital_scale_exponent"],
        )
        cash = p["factory_initial_cash"] * capacity / p["factory_capacity"]
        super().__init__(model, cell, capital, cash)
        self.capacity = capacity
        self.experience = p["factory_initial_experience"]
        self.stores: list[RetailStore] = []
        self.lots: deque[Lot] = deque()
        self.shipments: list[Shipment] = []
        self.workers: list[int] = []
        self.feedstock_lot = p["factory_feedstock_days"] * capacity * p["feedstock_per_unit"]
        self.push_rate = 0.0
        self.wip_meter = FlowMeter()  # finished units of unfinished lots
        self.learning: list[tuple[float, float]] = []  # (cumulative output, labour per unit)
        self.capacity_today = 0.0
        self.set_price()

    # --- technology and cost ---
    def labour_per_unit(self) -> float:
        p = self.model.p
        relative = self.experience / p["factory_initial_experience"]
        return unit_labour(p["factory_labour_hours"], relative, p["progress_ratio"])

    def process(self) -> Process:
        p = self.model.p
        return Process(
            labour_hours=self.labour_per_unit(),
            feedstock_per_unit=p["feedstock_per_unit"],
            waste_share=p["factory_scrap_share"],
            error_probability=p["error_probability"],
            poka_yoke=p["poka_yoke"],
            inspection=p["inspection"],
            injury_rate_per_hour=injury_rate_per_hour(p["injury_rate"]),
        )

    def unit_cost(self) -> float:
        """Variable cost of one unit at the store: labour (staffed for normal utilization),
        feedstock, shipping, and the carrying cost of the days it spends in transit."""
        return self.unit_cost_ex_carrying() * (1.0 + self.carrying_share())

    def unit_cost_ex_carrying(self) -> float:
        p = self.model.p
        feed = self.process().feedstock_drawn * self.model.feedstock.quote(self.feedstock_lot)
        labour = self.labour_per_unit() * p["wage_per_hour"] / p["normal_utilization"]
        return labour + feed + p["shipping_cost_per_unit"]

    def carrying_share(self) -> float:
        """Carrying cost per unit as a share of its cost: the rate times the replenishment days.

        Latency costs money here: every day between order and shelf is a day of inventory to
        finance. (Stock on the shelf is paid for in cash as it is held, not priced in, so that a
        slump in sales does not feed back into higher prices.)
        """
        if not self.stores:
            return 0.0
        days = np.mean([s.lead_time() for s in self.stores])
        return self.model.p["holding_cost_rate"] * days / DAYS_PER_YEAR

    def fixed_cost_per_day(self) -> float:
        p = self.model.p
        charge = capital_charge_per_day(
            self.capital, p["factory_capital_life_years"], p["interest_rate"]
        )
        return charge + p["factory_overhead_per_day"]

    def set_price(self) -> None:
        p = self.model.p
        self.price = normal_cost_price(
            self.unit_cost(),
            self.fixed_cost_per_day(),
            self.capacity,
            p["normal_utilization"],
            p["price_markup"],
        )

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
        backlog = sum(lot.quantity - lot.done for lot in self.lots) / p["policy_review_days"]
        planned = min(self.capacity, demand / p["normal_utilization"] + backlog)
        wanted = max(1, math.ceil(planned * self.labour_per_unit() / p["hours_per_day"]))
        while len(self.workers) > wanted:
            hh.employer[self.workers.pop()] = NOBODY
        if len(self.workers) < wanted:
            free = hh.available_workers()
            hires = self.model.rng.permutation(free)[: wanted - len(self.workers)]
            hh.employer[hires] = self.unique_id
            self.workers.extend(int(i) for i in hires)

    def pay_wages(self) -> None:
        p = self.model.p
        hh = self.model.households
        idx = np.array(self.workers, dtype=np.int64)
        if len(idx) == 0:
            return
        daily = p["wage_per_hour"] * p["hours_per_day"]
        pay = np.where(hh.injured_days[idx] > 0, daily * p["sick_pay_share"], daily)
        self.model.ledger.pay(self, Households(idx), pay, "wages")
        hh.income_today[idx] += pay

    # --- orders and production ---
    def receive_order(self, store: RetailStore, quantity: int) -> None:
        if quantity > 0:
            self.lots.append(Lot(store, quantity, self.model.steps))
            store.on_order += quantity
            store.ordered_today += quantity
            self.model.ledger.pay(self, OUTSIDE, self.model.p["order_cost"], "ordering")
            self.count("orders_upstream", quantity)

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
        healthy = [w for w in self.workers if hh.injured_days[w] == 0]
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
        self.count("capacity", self.capacity)  # machine capacity, as utilization statistics use
        self.injure(out.injuries, healthy)
        self._fill_lots(out.passed, out.escaped)
        daily_use = self.capacity * process.feedstock_drawn
        self.reorder_feedstock(daily_use, self.feedstock_lot)

    def injure(self, injuries: int, healthy: list[int]) -> None:
        p = self.model.p
        if injuries == 0 or not healthy:
            return
        hurt = self.model.rng.choice(healthy, size=min(injuries, len(healthy)), replace=False)
        self.model.households.injured_days[hurt] = p["injury_lost_days"]
        self.model.ledger.pay(self, OUTSIDE, injuries * p["injury_medical_cost"], "injuries")

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

    def in_transit_to(self, store: RetailStore) -> int:
        return sum(s.lot.done for s in self.shipments if s.lot.store is store)

    def in_process(self) -> int:
        return sum(lot.done for lot in self.lots)

    def pay_daily_costs(self) -> None:
        p = self.model.p
        self.pay_wages()
        self.pay_fixed_costs(p["factory_capital_life_years"], p["factory_overhead_per_day"])
        for store in self.stores:
            store.carry_inventory()

    def go_bankrupt(self) -> None:
        """Close the stores, write off all stock, release the workers, leave."""
        goods = self.model.goods[self.mode]
        goods.liquidated += self.in_transit() + self.in_process()
        for store in self.stores:
            goods.liquidated += store.on_hand
            store.remove()
        self.model.households.employer[self.workers] = NOBODY
        self.workers = []
        self.settle_and_leave(OUTSIDE)


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
        self.demand_forecast = DemandForecast(
            p["forecast_window"], expected_demand, sd_window=p["policy_review_days"]
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

    def sell(self, buyers: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Serve buyers from stock in arrival order; returns (served, defective flags).

        A shopper turned away who comes back tomorrow is one need, not two: demand and lost
        sales count each need once, so retries do not inflate the forecast.
        """
        hh = self.model.households
        served = buyers[: self.on_hand]
        k = len(served)
        turned_away = buyers[k:]
        first_time = turned_away[~hh.turned_away[turned_away]]
        new_needs = int((~hh.turned_away[served]).sum()) + len(first_time)
        hh.turned_away[turned_away] = True
        self.demand_today += new_needs
        self.shoppers_today += len(buyers)
        bad = 0
        if k and self.defective_on_hand:
            good = self.on_hand - self.defective_on_hand
            bad = int(self.model.rng.hypergeometric(self.defective_on_hand, good, k))
        defective = np.zeros(k, dtype=bool)
        defective[self.model.rng.permutation(k)[:bad]] = True
        self.on_hand -= k
        self.shelf.take(self.model.steps, k)
        self.stocked_out |= k < len(buyers)
        self.defective_on_hand -= bad
        self.factory.count("lost_sales", len(first_time))
        self.served_today += k
        return served, defective

    def replenish(self) -> None:
        """Record the day's demand and order by the policy (push stores wait for the plan)."""
        self.demand_forecast.record(self.demand_today)
        self.factory.count("demand", self.demand_today)
        self.factory.receive_order(
            self, self.policy.order(self.inventory_position(), self.demand_forecast)
        )

    def close_day(self) -> None:
        """Update the fill rate shoppers expect, log the day (demand seen, units ordered,
        position at day end) and start afresh.

        A day without shoppers still tells: a stocked shelf would have served them."""
        if self.shoppers_today:
            available = self.served_today / self.shoppers_today
        else:
            available = 1.0 if self.on_hand > 0 else 0.0
        self.fill_rate += self.model.p["lead_time_smoothing"] * (available - self.fill_rate)
        self.log.append(
            (self.model.steps, self.demand_today, self.ordered_today, self.inventory_position())
        )
        self.demand_today = 0
        self.shoppers_today = 0
        self.served_today = 0
        self.ordered_today = 0

    def carry_inventory(self) -> None:
        """Pay the carrying cost of the units on hand and on their way to this store."""
        p = self.model.p
        value = self.factory.unit_cost_ex_carrying()
        per_unit_day = p["holding_cost_rate"] * value / DAYS_PER_YEAR
        units = self.on_hand + self.factory.in_transit_to(self)
        self.model.ledger.pay(self.factory, OUTSIDE, units * per_unit_day, "holding")


# ----------------------------------------------------------------------------------------------
# Home workshops
# ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Order:
    """A household's paid order in a workshop's queue."""

    household: int
    day: int
    price: float
    waited_before: int = 0  # days the need was open before this order


@dataclass(frozen=True)
class Delivery:
    """A finished workshop unit on its way to the household who ordered it."""

    arrival: int
    order: Order
    defective: bool


class HomeWorkshop(Firm):
    """A household's workshop: small capital, local build-to-order, custom goods."""

    mode = WORKSHOP

    def __init__(self, model, cell, owner: int, investor=OUTSIDE) -> None:
        p = model.p
        super().__init__(model, cell, p["workshop_capital"], p["workshop_initial_cash"], investor)
        self.owner = owner
        model.households.owns_workshop[owner] = True
        model.households.employer[owner] = NOBODY
        self.experience = p["workshop_initial_experience"]
        self.queue: deque[Order] = deque()
        self.deliveries: list[Delivery] = []
        self.progress_hours = 0.0
        self.queue_meter = FlowMeter()
        self._process: tuple[tuple[int, float], Process, float] | None = None
        self.buy_opening_feedstock(p["workshop_feedstock_lot"])
        self.set_price()

    # --- technology and cost ---
    def technology_factor(self) -> float:
        """3D-printing progress: labour, waste and errors fall by a share each year."""
        return (1.0 - self.model.p["printing_progress"]) ** (self.model.steps / DAYS_PER_YEAR)

    def experience_factor(self) -> float:
        """Own learning: Wright's law on this workshop's cumulative output."""
        p = self.model.p
        relative = self.experience / p["workshop_initial_experience"]
        return unit_labour(1.0, relative, p["workshop_progress_ratio"])

    def process(self) -> Process:
        """Today's process at today's experience (cached: prices, quotes and work all ask)."""
        return self._todays_process()[1]

    def capacity(self) -> float:
        """Units a day the owner's hours allow with today's process."""
        return self._todays_process()[2]

    def _todays_process(self) -> tuple[tuple[int, float], Process, float]:
        key = (self.model.steps, self.experience)
        if self._process is None or self._process[0] != key:
            process = self._make_process()
            capacity = self.model.p["workshop_hours_per_day"] / process.labour_hours
            self._process = (key, process, capacity)
        return self._process

    def _make_process(self) -> Process:
        """The factory's rates times workshop multipliers whose excess shrinks with learning."""
        p = self.model.p
        improve = self.technology_factor() * self.experience_factor()

        def excess(multiplier: float) -> float:
            return 1.0 + (multiplier - 1.0) * improve if multiplier > 1.0 else multiplier

        error = min(1.0, p["error_probability"] * excess(p["workshop_defect_multiplier"]))
        injury = injury_rate_per_hour(p["injury_rate"]) * excess(p["workshop_injury_multiplier"])
        return Process(
            labour_hours=p["workshop_labour_hours"] * improve,
            feedstock_per_unit=p["feedstock_per_unit"],
            waste_share=p["workshop_waste_share"] * self.technology_factor(),
            error_probability=error,
            poka_yoke=p["workshop_poka_yoke"],
            inspection=p["workshop_inspection"],
            injury_rate_per_hour=injury,
        )

    def subsidy(self) -> float:
        p = self.model.p
        return p["workshop_subsidy_per_unit"] if self.model.steps < p["subsidy_sunset_day"] else 0.0

    def set_price(self) -> None:
        p = self.model.p
        process = self.process()
        feed = process.feedstock_drawn * self.model.feedstock.quote(p["workshop_feedstock_lot"])
        charge = capital_charge_per_day(
            self.capital, p["workshop_capital_life_years"], p["interest_rate"]
        )
        full = normal_cost_price(
            process.labour_hours * p["workshop_wage_per_hour"] + feed,
            charge + p["workshop_overhead_per_day"],
            self.capacity(),
            p["normal_utilization"],
            p["price_markup"],
        )
        self.price = max(full - self.subsidy(), 0.01)

    def lead_time(self) -> float:
        """Quoted days to delivery: the queue ahead, the build, local delivery."""
        return (len(self.queue) + 1) / self.capacity() + self.model.p[
            "workshop_local_delivery_days"
        ]

    # --- orders, work and delivery ---
    def take_orders(self, buyers: np.ndarray) -> None:
        self.count("demand", len(buyers))
        waited = self.model.households.waiting_days[buyers]
        for b, w in zip(buyers, waited, strict=True):
            self.queue.append(Order(int(b), self.model.steps, self.price, int(w)))

    def work(self) -> None:
        """Build queued orders with the owner's hours; feedstock limits output."""
        p = self.model.p
        hh = self.model.households
        self.count("capacity", self.capacity())
        if hh.injured_days[self.owner] > 0 or not self.queue:
            return
        process = self.process()
        hours = p["workshop_hours_per_day"]
        lpu = process.labour_hours
        by_feedstock = process.units_from(self.feedstock_kg)
        n = int(min((self.progress_hours + hours) // lpu, by_feedstock, len(self.queue)))
        if n < len(self.queue) and n < by_feedstock:
            used = hours  # the day ends part-way through the next unit
        else:
            used = max(0.0, n * lpu - self.progress_hours)  # out of orders or feedstock
        self.progress_hours = max(0.0, self.progress_hours + used - n * lpu)
        out = make_units(n, process, self.model.rng, hours=used)
        self.record_batch(out)
        self.model.ledger.pay(
            self, Households(self.owner), used * p["workshop_wage_per_hour"], "owner pay"
        )
        hh.income_today[self.owner] += used * p["workshop_wage_per_hour"]
        if out.injuries:
            hh.injured_days[self.owner] = p["injury_lost_days"]
            self.model.ledger.pay(
                self, OUTSIDE, out.injuries * p["injury_medical_cost"], "injuries"
            )
        self._dispatch(out.passed, out.escaped)
        self.reorder_feedstock(
            self.capacity() * process.feedstock_drawn, p["workshop_feedstock_lot"]
        )

    def _dispatch(self, passed: int, escaped: int) -> None:
        """Passed units leave for their buyers, first in first out; caught ones are remade."""
        if passed == 0:
            return
        bad = np.zeros(passed, dtype=bool)
        bad[self.model.rng.permutation(passed)[:escaped]] = True
        arrival = self.model.steps + self.model.p["workshop_local_delivery_days"]
        for flag in bad:
            order = self.queue.popleft()
            self.queue_meter.depart(1, order.day, self.model.steps)
            self.deliveries.append(Delivery(arrival, order, bool(flag)))
        subsidy = self.subsidy() * passed
        self.model.ledger.pay(OUTSIDE, self, subsidy, "subsidy")
        self.count("subsidies", subsidy)

    def due_deliveries(self, everything: bool = False) -> list[Delivery]:
        today = self.model.steps
        due = [d for d in self.deliveries if everything or d.arrival <= today]
        self.deliveries = [d for d in self.deliveries if not (everything or d.arrival <= today)]
        return due

    def in_transit(self) -> int:
        return len(self.deliveries)

    def pay_daily_costs(self) -> None:
        p = self.model.p
        self.pay_fixed_costs(p["workshop_capital_life_years"], p["workshop_overhead_per_day"])

    def restart_queue_meter(self) -> None:
        self.queue_meter.restart(self.model.steps)

    def pay_out_profit(self) -> None:
        """Cash beyond the starting working capital goes home: workshop profit is income."""
        surplus = self.cash - self.model.p["workshop_initial_cash"]
        if surplus > 0:
            self.model.ledger.pay(self, Households(self.owner), surplus, "owner dividend")
            self.model.households.income_today[self.owner] += surplus
            self._cash_at_day_start -= surplus  # a payout, not a loss, in tomorrow's cash flow

    def go_bankrupt(self) -> None:
        """Refund queued orders, deliver what is on its way, pay out or write off, leave."""
        hh = self.model.households
        self.model.deliver_workshop_units(self, self.due_deliveries(everything=True))
        for order in self.queue:
            self.model.ledger.pay(self, Households(order.household), order.price, "refunds")
            self.count("sales_value", -order.price)
            hh.surplus_today[self.mode] -= hh.willingness_to_pay(order.household) - order.price
            hh.turned_away[order.household] = False
            hh.awaiting[order.household] = False
            hh.pending[order.household] = True
            hh.waiting_days[order.household] = 0
        self.queue.clear()
        hh.owns_workshop[self.owner] = False
        self.settle_and_leave(Households(self.owner))

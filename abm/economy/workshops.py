"""Home workshops' state, held as arrays so that a day of thousands of workshops is a few
numpy operations: their technology, stations and helpers, prices, quotes, fixed costs, solvency
and queue meters.

Every workshop is also a Mesa agent (`abm.economy.agents.HomeWorkshop`), a view on one row of these
arrays, as `Consumer` is on the households'. Rows are never moved or reused: a closed
workshop's row stays, with `alive` False, so an agent's row is fixed for its life and row order
is the order in which workshops opened. The day's work of all workshops with orders is one
batch too, and their queues of paid orders are one table (`Orders`), sorted by row.

A workshop runs `stations` (a machine each, worked by the owner or a hired helper: the table
`helpers`, one column per station after the owner's); under the "stations" growth rule it adds
and drops them at its growth reviews (`review_stations`, the rule in `shop_growth`).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from abm.economy import formulas, shop_growth
from abm.economy.flow import FlowMeter, FlowMeters
from abm.economy.formulas import DAYS_PER_YEAR
from abm.economy.households import NOBODY
from abm.economy.ledger import OUTSIDE, FirmRows, HouseholdAccounts, Ledger
from abm.economy.market import public_defect_record
from abm.economy.modes import WORKSHOP
from abm.economy.pricing import floored_price, reviewed_markups
from abm.economy.production import (
    BatchOutcome,
    Process,
    capital_charge_per_day,
    feedstock_quote,
    injury_rate_per_hour,
    make_batches,
    normal_cost_price,
)
from abm.economy.solvency import bankrupt, days_in_the_red
from abm.economy.tally import Count

FIRST_ROWS = 16  # rows allocated before the first workshop opens; the arrays double as needed

# one entry per workshop row: dtype and the value of a row not yet opened
COLUMNS: dict[str, tuple[type, float]] = {
    "alive": (bool, False),
    "owner": (np.int64, -1),
    "offer_id": (np.int64, -1),  # in the model's ReachIndex
    "x": (float, 0.0),
    "y": (float, 0.0),
    "cash": (float, 0.0),
    "cash_at_day_start": (float, 0.0),
    "days_negative": (np.int64, 0),
    "experience": (float, 0.0),
    "feedstock_kg": (float, 0.0),
    "feedstock_on_order": (float, 0.0),
    "price": (float, 0.0),
    "markup": (float, 0.0),  # over normal full unit cost (abm.economy.pricing)
    "window_sales": (np.int64, 0),  # units sold since the last markup review
    "market_share": (float, np.nan),  # share of units sold in the last whole review window
    "opened_day": (np.int64, 0),
    "progress_hours": (float, 0.0),  # hours already spent on the next unit
    "delivered_count": (float, 0.0),  # units delivered, ever: the public defect record's base
    "returns_count": (float, 0.0),  # escaped defects returned, ever
    "queue_length": (np.int64, 0),
    "in_transit": (np.int64, 0),
    "flow_days": (np.int64, 1),  # entries in the cash-flow window (it opens with one zero)
    "flow_next": (np.int64, 1),  # the window's slot for tomorrow's entry
    "stations": (np.int64, 0),  # machines, each with its worker: the owner's and helpers'
    # since the last growth review: day ends, their queue lengths, units made, capacity counted
    "window_days": (np.int64, 0),
    "window_queue": (float, 0.0),
    "window_made": (float, 0.0),
    "window_capacity": (float, 0.0),
}


class Technology(NamedTuple):
    """Per-unit technology of a set of workshops today, one array entry per workshop."""

    labour_hours: np.ndarray  # h per unit attempted
    capacity: np.ndarray  # units a day the stations' hours allow
    error_probability: np.ndarray
    injury_rate_per_hour: np.ndarray
    waste_share: float  # the same for every workshop: it moves with 3D-printing progress only

    def process(self, p: dict) -> Process:
        """The production process of these workshops (of one, for a scalar entry)."""
        return Process(
            labour_hours=self.labour_hours,
            feedstock_per_unit=p["feedstock_per_unit"],
            waste_share=self.waste_share,
            error_probability=self.error_probability,
            poka_yoke=p["workshop_poka_yoke"],
            inspection=p["workshop_inspection"],
            injury_rate_per_hour=self.injury_rate_per_hour,
        )

    def take(self, which) -> Technology:
        """The entries of the workshops `which` selects (an index gives one workshop's)."""
        return self._replace(
            labour_hours=self.labour_hours[which],
            capacity=self.capacity[which],
            error_probability=self.error_probability[which],
            injury_rate_per_hour=self.injury_rate_per_hour[which],
        )


def technology_factor(day: int, printing_progress: float) -> float:
    """3D-printing progress: labour, waste and errors fall by a share each year."""
    return (1.0 - printing_progress) ** (day / DAYS_PER_YEAR)


def workshop_technology(experience: np.ndarray, day: int, p: dict, stations=1) -> Technology:
    """The factory's rates times workshop multipliers whose excess shrinks with learning; the
    capacity of `stations` stations (one number, or one per workshop) of a worker's hours each.

    Improvement is 3D-printing progress (`technology_factor`) times own learning (Wright's law
    on the workshop's cumulative output, `formulas.unit_labour`).
    """
    progress = technology_factor(day, p["printing_progress"])
    relative = np.maximum(1.0, experience / p["workshop_initial_experience"])
    improve = progress * relative ** -formulas.learning_exponent(p["workshop_progress_ratio"])

    def excess(multiplier: float) -> np.ndarray:
        if multiplier > 1.0:
            return 1.0 + (multiplier - 1.0) * improve
        return np.full(improve.shape, multiplier)

    labour_hours = p["workshop_labour_hours"] * improve
    return Technology(
        labour_hours=labour_hours,
        capacity=stations * p["workshop_hours_per_day"] / labour_hours,
        error_probability=np.minimum(
            1.0, p["error_probability"] * excess(p["workshop_defect_multiplier"])
        ),
        injury_rate_per_hour=injury_rate_per_hour(p["injury_rate"])
        * excess(p["workshop_injury_multiplier"]),
        waste_share=p["workshop_waste_share"] * progress,
    )


class Orders(NamedTuple):
    """Paid orders waiting in workshops' queues, one array entry per order."""

    row: np.ndarray  # the workshop it waits at
    household: np.ndarray
    ordered: np.ndarray  # day of the order
    paid: np.ndarray  # the price paid with the order
    waited_before: np.ndarray  # days the need was open before the order


class Units(NamedTuple):
    """Finished workshop units on their way to the households who ordered them, one array
    entry per unit."""

    row: np.ndarray  # the workshop that made it
    household: np.ndarray
    defective: np.ndarray  # an escaped defect: it will come back
    paid: np.ndarray  # the price paid with the order
    ordered: np.ndarray  # day of the order
    waited_before: np.ndarray  # days the need was open before the order
    arrival: np.ndarray  # day it reaches the household


FLOAT_COLUMNS = {"paid"}  # of `Orders` and `Units`; "defective" is bool, the rest whole numbers


def no_entries(table: type[Orders] | type[Units]) -> Orders | Units:
    """An `Orders` or `Units` table with no entries."""
    kinds = {"defective": bool} | {name: float for name in FLOAT_COLUMNS}
    return table(*(np.empty(0, dtype=kinds.get(name, np.int64)) for name in table._fields))


def entries(table: Orders | Units, which) -> Orders | Units:
    """The entries of `table` that `which` (a mask or positions) selects."""
    return type(table)(*(column[which] for column in table))


def joined(tables: list) -> Orders | Units:
    """The entries of `tables` (of one kind), one after the other."""
    return type(tables[0])(*(np.concatenate(columns) for columns in zip(*tables, strict=True)))


class WorkshopArrays:
    """State and bulk behaviour of all workshops, one row each."""

    def __init__(self, p: dict) -> None:
        self.p = p
        self.growing = p["workshop_growth_rule"] == "stations"  # stations come and go
        self.rows = 0  # rows opened so far
        for name, (dtype, empty) in COLUMNS.items():
            setattr(self, name, np.full(FIRST_ROWS, empty, dtype=dtype))
        # daily net cash flow over the last imitation_window_days (what imitators see), a ring
        self.cash_flow = np.zeros((FIRST_ROWS, p["imitation_window_days"]))
        # the helper working each station after the owner's, in hiring order (NOBODY: none)
        self.helpers = np.full((FIRST_ROWS, p["workshop_max_stations"] - 1), NOBODY)
        self.queue_meters = FlowMeters(FIRST_ROWS)  # each row's order queue (Little's law)
        self.agents: list = []  # the HomeWorkshop of each row
        self.orders = no_entries(Orders)  # every queue: by row, oldest first within a row
        self.on_their_way = no_entries(Units)  # units dispatched, not yet arrived
        self.dispatched: list[Units] = []  # today's dispatches, joined at the next arrivals

    def open(self, agent, owner: int, x: float, y: float, opening_cash: float, day: int) -> int:
        """A new row for `agent`, opening on `day`: returns its index."""
        if self.rows == len(self.alive):
            self._grow()
        row = self.rows
        self.rows += 1
        self.alive[row] = True
        self.owner[row] = owner
        self.stations[row] = 1  # the owner's
        self.x[row], self.y[row] = x, y
        self.experience[row] = self.p["workshop_initial_experience"]
        self.markup[row] = self.p["price_markup"]
        self.opened_day[row] = day
        self.cash_at_day_start[row] = opening_cash  # its first day's flow counts from the equity
        self.agents.append(agent)
        return row

    def _grow(self) -> None:
        size = 2 * len(self.alive)
        for name, (dtype, empty) in COLUMNS.items():
            grown = np.full(size, empty, dtype=dtype)
            grown[: self.rows] = getattr(self, name)[: self.rows]
            setattr(self, name, grown)
        self.queue_meters.grow(size)
        flows = np.zeros((size, self.p["imitation_window_days"]))
        flows[: self.rows] = self.cash_flow[: self.rows]
        self.cash_flow = flows
        helpers = np.full((size, self.helpers.shape[1]), NOBODY)
        helpers[: self.rows] = self.helpers[: self.rows]
        self.helpers = helpers

    def close(self, row: int) -> None:
        self.alive[row] = False
        self.agents[row] = None

    def account(self, rows: np.ndarray) -> FirmRows:
        """Workshops `rows` as a payer or payee of the ledger (a row per amount)."""
        return FirmRows(self.cash, rows, WORKSHOP)

    def live(self) -> np.ndarray:
        """Rows of the workshops in business, in the order they opened."""
        return np.flatnonzero(self.alive[: self.rows])

    # --- what every workshop does each day ---
    def technology(self, rows: np.ndarray, day: int) -> Technology:
        return workshop_technology(self.experience[rows], day, self.p, self.stations[rows])

    def lead_times(self, rows: np.ndarray, tech: Technology) -> np.ndarray:
        """Quoted days to delivery: the queue ahead, the build, local delivery."""
        build = (self.queue_length[rows] + 1) / tech.capacity
        return build + self.p["workshop_local_delivery_days"]

    def subsidy(self, day: int) -> float:
        p = self.p
        return p["workshop_subsidy_per_unit"] if day < p["subsidy_sunset_day"] else 0.0

    def capital_charge(self) -> float:
        """Depreciation and interest on one station's capital, per day."""
        p = self.p
        life, rate = p["workshop_capital_life_years"], p["interest_rate"]
        return capital_charge_per_day(p["workshop_capital"], life, rate)

    def capital(self, rows: np.ndarray) -> np.ndarray:
        """Capital of workshops `rows`: a machine per station."""
        return self.p["workshop_capital"] * self.stations[rows]

    def fixed_costs_per_day(self, rows: np.ndarray) -> np.ndarray:
        """Capital charge and overhead of workshops `rows`, by their stations."""
        p = self.p
        return shop_growth.fixed_costs_per_day(
            self.stations[rows], self.capital_charge(), p["workshop_overhead_per_day"]
        )

    def wage_per_hour(self, rows: np.ndarray) -> np.ndarray:
        """Pay per hour worked at workshops `rows`, over the owner's and the helpers' stations."""
        p = self.p
        return shop_growth.mean_wage(
            self.stations[rows], p["workshop_wage_per_hour"], p["workshop_helper_wage_per_hour"]
        )

    def feedstock_lot(self, rows: np.ndarray) -> np.ndarray:
        """kg a workshop buys per feedstock order: `workshop_feedstock_lot` for each station."""
        return self.p["workshop_feedstock_lot"] * self.stations[rows]

    def feedstock_price(self, rows: np.ndarray) -> np.ndarray:
        """$/kg of the lots workshops `rows` buy: a bigger shop's bigger lot costs less a kg."""
        p = self.p
        per_stations = [
            feedstock_quote(p, p["workshop_feedstock_lot"] * stations)
            for stations in range(1, p["workshop_max_stations"] + 1)
        ]
        return np.array(per_stations)[self.stations[rows] - 1]

    def set_prices(self, rows: np.ndarray, day: int) -> None:
        """Each workshop's markup over its normal full unit cost at today's process, less the
        subsidy; never below its variable unit cost less the subsidy, nor the price floor."""
        p = self.p
        tech = self.technology(rows, day)
        feed = tech.process(p).feedstock_drawn * self.feedstock_price(rows)
        variable = tech.labour_hours * self.wage_per_hour(rows) + feed
        full = normal_cost_price(
            variable,
            self.fixed_costs_per_day(rows),
            tech.capacity,
            p["normal_utilization"],
            self.markup[rows],
        )
        self.price[rows] = floored_price(full, variable, self.subsidy(day), p["price_floor"])

    def review_markups(self, rows: np.ndarray, shares: np.ndarray, window_start: int) -> None:
        """Markup review (`abm.economy.pricing`) of workshops `rows`: `shares` are their shares
        of the units all firms sold since `window_start` (unknown for those that opened after
        it); under the market-share rule their markups follow the change from the window before.
        Their counts start afresh."""
        p = self.p
        shares = np.where(self.opened_day[rows] > window_start, np.nan, shares)
        self.markup[rows] = reviewed_markups(p, self.markup[rows], shares, self.market_share[rows])
        self.market_share[rows] = shares
        self.window_sales[rows] = 0

    def defect_records(self, rows: np.ndarray) -> np.ndarray:
        """The workshops' public defect records (`market.public_defect_record`)."""
        p = self.p
        return public_defect_record(
            self.returns_count[rows],
            self.delivered_count[rows],
            p["prior_defect_belief"],
            p["prior_weight_units"],
        )

    def pay_fixed_costs(self, rows: np.ndarray, ledger: Ledger) -> None:
        """Each station's capital charge and overhead (`shop_growth.fixed_costs_per_day`)."""
        payers, each = self.account(rows), self.stations[rows]
        ledger.pay(payers, OUTSIDE, self.capital_charge() * each, "capital charge")
        ledger.pay(payers, OUTSIDE, self.p["workshop_overhead_per_day"] * each, "overhead")

    def close_books(self, rows: np.ndarray) -> None:
        """End of day: each workshop's net cash flow joins its window (for `yearly_returns`)."""
        cash = self.cash[rows]
        self.cash_flow[rows, self.flow_next[rows]] = cash - self.cash_at_day_start[rows]
        window = self.p["imitation_window_days"]
        self.flow_next[rows] = (self.flow_next[rows] + 1) % window
        self.flow_days[rows] = np.minimum(self.flow_days[rows] + 1, window)
        self.cash_at_day_start[rows] = cash

    def insolvent(self, rows: np.ndarray) -> np.ndarray:
        """Count each workshop's days of negative cash; returns the rows that have gone
        bankrupt (`bankruptcy_days` in a row)."""
        self.days_negative[rows] = days_in_the_red(self.cash[rows], self.days_negative[rows])
        return rows[bankrupt(self.days_negative[rows], self.p["bankruptcy_days"])]

    def yearly_returns(self, rows: np.ndarray) -> np.ndarray:
        """Recent net cash flow, annualized, over capital: what neighbours see."""
        mean_flow = self.cash_flow[rows].sum(axis=1) / self.flow_days[rows]
        return mean_flow * DAYS_PER_YEAR / np.maximum(self.capital(rows), 1.0)

    def pay_out_profit(self, rows: np.ndarray, ledger: Ledger) -> None:
        """Cash beyond what the workshop keeps (`kept_cash`) goes home: workshop profit is
        income."""
        surplus = self.cash[rows] - self.kept_cash(rows)
        paying, surplus = rows[surplus > 0], surplus[surplus > 0]
        if len(paying) == 0:
            return
        owners = self.owner[paying]
        payers = self.account(paying)
        ledger.pay(payers, HouseholdAccounts(owners), surplus, "owner dividend")
        self.cash_at_day_start[paying] -= surplus  # a payout, not a loss, in tomorrow's cash flow

    def kept_cash(self, rows: np.ndarray):
        """Cash workshops `rows` keep at a payout: the starting working capital and, where
        workshops grow, their customers' prepayments for the orders in their queues (owed work,
        not profit: paid out, a shop that grows to clear its backlog would pay for that work
        with cash it no longer has)."""
        if not self.growing:
            return self.p["workshop_initial_cash"]
        prepaid = np.bincount(self.orders.row, weights=self.orders.paid, minlength=len(self.cash))
        return self.p["workshop_initial_cash"] + prepaid[rows]

    def observe_queues(self, rows: np.ndarray) -> None:
        """End of day: each order queue's length for its flow meter (Little's law) and for the
        backlog its next growth review reads."""
        self.queue_meters.observe(rows, self.queue_length[rows])
        self.window_queue[rows] += self.queue_length[rows]
        self.window_days[rows] += 1

    # --- the order queues ---
    def take_orders(self, rows: np.ndarray, households: np.ndarray, day: int, paid, waited):
        """Paid orders join the queues of workshops `rows`, which come sorted (a row's orders
        in the order they came)."""
        new = Orders(rows, households, np.full(len(rows), day), paid, waited)
        queues = joined([self.orders, new])  # two runs sorted by row: a stable sort merges them
        self.orders = entries(queues, np.argsort(queues.row, kind="stable"))
        taken = np.bincount(rows, minlength=len(self.queue_length))
        self.queue_length += taken
        self.window_sales += taken

    def cancel_orders(self, rows: np.ndarray) -> Orders:
        """Every order in the queues of workshops `rows`, taken out (they are closing)."""
        return self._leave_queues(self._oldest(rows, self.queue_length[rows]))

    def _oldest(self, rows: np.ndarray, counts: np.ndarray) -> np.ndarray:
        """Where in `orders` the counts[k] oldest orders of workshop rows[k] are."""
        starts = np.searchsorted(self.orders.row, rows)  # each row's oldest order
        return np.repeat(starts - (np.cumsum(counts) - counts), counts) + np.arange(counts.sum())

    def _leave_queues(self, where: np.ndarray) -> Orders:
        leaving = entries(self.orders, where)
        staying = np.ones(len(self.orders.row), dtype=bool)
        staying[where] = False
        self.orders = entries(self.orders, staying)
        self.queue_length -= np.bincount(leaving.row, minlength=len(self.queue_length))
        return leaving

    # --- the day's work, and units on their way ---
    def count_capacity(self, rows: np.ndarray, tech: Technology) -> float:
        """Today's capacity of workshops `rows` (their stations'), counted toward the
        utilization their next growth review reads; returns it in all."""
        self.window_capacity[rows] += tech.capacity
        return float(tech.capacity.sum())

    def crew(self, rows: np.ndarray, households) -> np.ndarray:
        """Who works at workshops `rows` today, one row each and one column per station (the
        owner's first, then the helpers' in hiring order): the household, or NOBODY where the
        station has no worker or its worker is out injured (the station stands idle)."""
        team = np.column_stack([self.owner[rows], self.helpers[rows]])
        present = team != NOBODY
        present[present] = households.healthy(team[present])
        return np.where(present, team, NOBODY)

    def work(self, rows: np.ndarray, tech: Technology, crew: np.ndarray, model) -> None:
        """Workshops `rows` (with orders and someone at work: `crew`, one row each) build with
        their workers' hours at today's technology; feedstock limits output. Passed units leave
        for their buyers, first in first out; caught ones are remade. Each worker is paid an
        equal share of the hours used; injuries fall on workers who worked. Then feedstock is
        reordered as needed."""
        p = self.p
        process = tech.process(p)
        present = crew != NOBODY
        workers = present.sum(axis=1)
        hours, lpu = workers * p["workshop_hours_per_day"], tech.labour_hours
        by_feedstock = process.units_from(self.feedstock_kg[rows])
        queued, progress = self.queue_length[rows], self.progress_hours[rows]
        n = np.minimum(np.minimum((progress + hours) // lpu, by_feedstock), queued).astype(int)
        mid_unit = (n < queued) & (n < by_feedstock)  # else out of orders or of feedstock
        used = np.where(mid_unit, hours, np.maximum(0.0, n * lpu - progress))
        self.progress_hours[rows] = np.maximum(0.0, progress + used - n * lpu)
        out = make_batches(n, process, model.rng, hours=used)
        self._record(rows, out, model)
        self._pay_workers(rows, crew, used / workers, model.ledger)
        hit = out.injuries > 0
        hurt = self._injured(crew[hit], out.injuries[hit], model.rng)
        model.treat_injuries(self.account(rows[hit]), hurt, out.injuries[hit])
        self._dispatch(rows, out, model)
        # feedstock for a few days at the capacity their output has taught them
        learned = self.technology(rows, model.steps).capacity
        on_hand, on_order = self.feedstock_kg[rows], self.feedstock_on_order[rows]
        cover_days = p["feedstock_lead_time"] + p["feedstock_extra_cover_days"]
        due = process.reorder_due(on_hand, on_order, learned, cover_days)
        ordering, lot = rows[due], self.feedstock_lot(rows[due])
        lots = np.ones(len(ordering), dtype=np.int64)
        if self.growing:  # (r, nQ): as many lots as restore the cover, for a shop that grew
            short = process.feedstock_cover(learned[due], cover_days) - on_hand[due] - on_order[due]
            lots = np.ceil(short / lot).astype(np.int64)
        for row, kg, n in zip(ordering.tolist(), lot.tolist(), lots.tolist(), strict=True):
            for _ in range(n):
                model.feedstock.sell(self.agents[row], kg)

    def _pay_workers(self, rows, crew: np.ndarray, shift: np.ndarray, ledger: Ledger) -> None:
        """Each worker present at workshops `rows` worked `shift` hours (one per workshop): the
        owner is paid owner pay, each helper `workshop_helper_wage_per_hour` as wages."""
        p = self.p
        owner_hours = np.where(crew[:, 0] != NOBODY, shift, 0.0)
        owner_pay = owner_hours * p["workshop_wage_per_hour"]
        ledger.pay(self.account(rows), HouseholdAccounts(self.owner[rows]), owner_pay, "owner pay")
        helping = crew[:, 1:] != NOBODY
        if not helping.any():
            return
        per_row = helping.sum(axis=1)  # helpers at work, row by row as boolean indexing reads
        wages = np.repeat(shift, per_row) * p["workshop_helper_wage_per_hour"]
        helpers = HouseholdAccounts(crew[:, 1:][helping])
        ledger.pay(self.account(np.repeat(rows, per_row)), helpers, wages, "wages")

    @staticmethod
    def _injured(crew: np.ndarray, injuries: np.ndarray, rng) -> np.ndarray:
        """The households hurt by `injuries` (one count per row of `crew`): as many as there
        are injuries, drawn without replacement among the row's workers present, at random when
        there is more than one (no draw otherwise)."""
        present = crew != NOBODY
        if (present.sum(axis=1) > 1).any():
            priority = np.where(present, rng.random(crew.shape), np.inf)
        else:
            priority = np.where(present, 0.0, np.inf)
        rank = np.argsort(np.argsort(priority, axis=1, kind="stable"), axis=1, kind="stable")
        return crew[present & (rank < injuries[:, None])]

    def _record(self, rows: np.ndarray, out: BatchOutcome, model) -> None:
        """Book the batches (`ProductionEconomy.record_batches`) and what they used."""
        model.record_batches(WORKSHOP, out, self.account(rows))
        self.experience[rows] += out.made
        self.window_made[rows] += out.made
        self.feedstock_kg[rows] -= out.feedstock_kg

    def _dispatch(self, rows: np.ndarray, out: BatchOutcome, model) -> None:
        """Each workshop's passed units go to its oldest orders; which of them carry its
        escaped defects is drawn at random (uniformly among its passed units)."""
        sending = out.passed > 0
        rows, passed, escaped = rows[sending], out.passed[sending], out.escaped[sending]
        if len(rows) == 0:
            return
        today = model.steps
        unit_row = np.repeat(rows, passed)
        first = np.repeat(np.cumsum(passed) - passed, passed)  # each unit's workshop's first
        rank = np.empty(len(unit_row), dtype=np.int64)  # random rank within its workshop
        rank[np.lexsort((model.rng.random(len(unit_row)), unit_row))] = np.arange(len(unit_row))
        defective = rank - first < np.repeat(escaped, passed)
        orders = self._leave_queues(self._oldest(rows, passed))
        self.queue_meters.depart(unit_row, 1, orders.ordered, today)
        self.in_transit[rows] += passed
        self.dispatched.append(
            Units(
                row=unit_row,
                household=orders.household,
                defective=defective,
                paid=orders.paid,
                ordered=orders.ordered,
                waited_before=orders.waited_before,
                arrival=np.full(len(unit_row), today + self.p["workshop_local_delivery_days"]),
            )
        )
        subsidy = self.subsidy(today) * passed
        model.ledger.pay(OUTSIDE, self.account(rows), subsidy, "subsidy")
        model.tally.add(WORKSHOP, Count.SUBSIDIES, float(subsidy.sum()))

    def arrivals(self, day: int) -> Units:
        """Units that reach their households by `day`, taken off the way."""
        return self._take(self._on_their_way().arrival <= day)

    def all_on_the_way(self, rows: np.ndarray) -> Units:
        """Every unit workshops `rows` have on their way (delivered at once when they close)."""
        return self._take(np.isin(self._on_their_way().row, rows))

    def _on_their_way(self) -> Units:
        if self.dispatched:
            self.on_their_way = joined([self.on_their_way, *self.dispatched])
            self.dispatched = []
        return self.on_their_way

    def _take(self, which: np.ndarray) -> Units:
        units = entries(self.on_their_way, which)
        self.on_their_way = entries(self.on_their_way, ~which)
        np.subtract.at(self.in_transit, units.row, 1)
        return units

    def count_deliveries(self, rows: np.ndarray, defective: np.ndarray) -> None:
        """Units of workshops `rows` delivered, `defective` ones returned: the public record."""
        np.add.at(self.delivered_count, rows, 1)
        np.add.at(self.returns_count, rows[defective], 1)

    # --- stations and helpers ---
    def review_stations(self, rows: np.ndarray, model) -> None:
        """Growth review of workshops `rows`: each adds a station, drops one or keeps them by
        the window since its last review (`shop_growth.station_change`); then the window starts
        afresh."""
        p = self.p
        days = np.maximum(self.window_days[rows], 1)
        tech = self.technology(rows, model.steps)
        change = shop_growth.station_change(
            shop_growth.backlog_days(self.window_queue[rows] / days, tech.capacity),
            shop_growth.window_utilization(self.window_made[rows], self.window_capacity[rows]),
            self.cash[rows],
            self.stations[rows],
            p["workshop_growth_queue_days"],
            p["workshop_shrink_utilization"],
            p["workshop_station_setup_cost"],
            p["workshop_max_stations"],
        )
        self._drop_stations(rows[change == shop_growth.DROP], model.households)
        self._add_stations(rows[change == shop_growth.ADD], model)
        self.window_days[rows] = 0
        self.window_queue[rows] = self.window_made[rows] = self.window_capacity[rows] = 0.0

    def _add_stations(self, rows: np.ndarray, model) -> None:
        """Workshops `rows` each hire a helper among the households free to work and pay the
        station's set-up; if too few are free, the first rows (the oldest workshops) get them."""
        hh = model.households
        free = hh.available_workers()
        rows = rows[: len(free)]
        if len(rows) == 0:
            return
        hires = model.rng.choice(free, size=len(rows), replace=False)
        hh.hire(hires, np.array([self.agents[row].unique_id for row in rows.tolist()]))
        self.helpers[rows, self.stations[rows] - 1] = hires
        self.stations[rows] += 1
        setup = np.full(len(rows), self.p["workshop_station_setup_cost"])
        model.ledger.pay(self.account(rows), OUTSIDE, setup, "station set-up")

    def _drop_stations(self, rows: np.ndarray, households) -> None:
        """Workshops `rows` each give up their last station: its helper, the last hired, is
        laid off and its machine goes back (its capital charge stops)."""
        last = self.stations[rows] - 2  # the helper's column
        households.lay_off(self.helpers[rows, last])
        self.helpers[rows, last] = NOBODY
        self.stations[rows] -= 1

    def release_helpers(self, row: int) -> np.ndarray:
        """The helpers of workshop `row`, which is closing: they leave its books (the caller
        lays them off)."""
        helpers = self.helpers[row][self.helpers[row] != NOBODY]
        self.helpers[row] = NOBODY
        return helpers

    # --- one row ---
    def meter(self, row: int) -> FlowMeter:
        """The row's queue meter (a copy: read it, do not feed it)."""
        return self.queue_meters.meter(row)

    def restart_meter(self, row: int, today: int) -> None:
        """Measure afresh from the end of today (after a warm-up)."""
        self.queue_meters.restart(row, today)

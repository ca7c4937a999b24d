"""Home workshops' state, held as arrays so that a day of thousands of workshops is a few
numpy operations: their technology, prices, quotes, fixed costs, solvency and queue meters.

Every workshop is also a Mesa agent (`abm.economy.agents.HomeWorkshop`), a view on one row of these
arrays, as `Consumer` is on the households'. Rows are never moved or reused: a closed
workshop's row stays, with `alive` False, so an agent's row is fixed for its life and row order
is the order in which workshops opened. The day's work of all workshops with orders is one
batch too, and their queues of paid orders are one table (`Orders`), sorted by row.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from abm.economy import formulas
from abm.economy.flow import FlowMeter, FlowMeters
from abm.economy.formulas import DAYS_PER_YEAR
from abm.economy.ledger import OUTSIDE, FirmRows, HouseholdAccounts, Ledger
from abm.economy.market import public_defect_record
from abm.economy.modes import WORKSHOP
from abm.economy.pricing import floored_price, revised_markups
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
}


class Technology(NamedTuple):
    """Per-unit technology of a set of workshops today, one array entry per workshop."""

    labour_hours: np.ndarray  # h per unit attempted
    capacity: np.ndarray  # units a day the owner's hours allow
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


def workshop_technology(experience: np.ndarray, day: int, p: dict) -> Technology:
    """The factory's rates times workshop multipliers whose excess shrinks with learning.

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
        capacity=p["workshop_hours_per_day"] / labour_hours,
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
        self.rows = 0  # rows opened so far
        for name, (dtype, empty) in COLUMNS.items():
            setattr(self, name, np.full(FIRST_ROWS, empty, dtype=dtype))
        # daily net cash flow over the last imitation_window_days (what imitators see), a ring
        self.cash_flow = np.zeros((FIRST_ROWS, p["imitation_window_days"]))
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
        return workshop_technology(self.experience[rows], day, self.p)

    def lead_times(self, rows: np.ndarray, tech: Technology) -> np.ndarray:
        """Quoted days to delivery: the queue ahead, the build, local delivery."""
        build = (self.queue_length[rows] + 1) / tech.capacity
        return build + self.p["workshop_local_delivery_days"]

    def subsidy(self, day: int) -> float:
        p = self.p
        return p["workshop_subsidy_per_unit"] if day < p["subsidy_sunset_day"] else 0.0

    def capital_charge(self) -> float:
        """Depreciation and interest on one workshop's capital, per day."""
        p = self.p
        life, rate = p["workshop_capital_life_years"], p["interest_rate"]
        return capital_charge_per_day(p["workshop_capital"], life, rate)

    def fixed_cost_per_day(self) -> float:
        return self.capital_charge() + self.p["workshop_overhead_per_day"]

    def set_prices(self, rows: np.ndarray, day: int) -> None:
        """Each workshop's markup over its normal full unit cost at today's process, less the
        subsidy; never below its variable unit cost less the subsidy, nor the price floor."""
        p = self.p
        tech = self.technology(rows, day)
        feed = tech.process(p).feedstock_drawn * feedstock_quote(p, p["workshop_feedstock_lot"])
        variable = tech.labour_hours * p["workshop_wage_per_hour"] + feed
        full = normal_cost_price(
            variable,
            self.fixed_cost_per_day(),
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
        if p["pricing_rule"] == "market_share":
            self.markup[rows] = revised_markups(
                self.markup[rows],
                shares,
                self.market_share[rows],
                p["markup_sensitivity"],
                p["markup_share_growth_cap"],
                p["markup_min"],
                p["markup_max"],
            )
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
        payers, each = self.account(rows), np.ones(len(rows))
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
        return mean_flow * DAYS_PER_YEAR / max(self.p["workshop_capital"], 1.0)

    def pay_out_profit(self, rows: np.ndarray, ledger: Ledger) -> None:
        """Cash beyond the starting working capital goes home: workshop profit is income."""
        surplus = self.cash[rows] - self.p["workshop_initial_cash"]
        paying, surplus = rows[surplus > 0], surplus[surplus > 0]
        if len(paying) == 0:
            return
        owners = self.owner[paying]
        payers = self.account(paying)
        ledger.pay(payers, HouseholdAccounts(owners), surplus, "owner dividend")
        self.cash_at_day_start[paying] -= surplus  # a payout, not a loss, in tomorrow's cash flow

    def observe_queues(self, rows: np.ndarray) -> None:
        """End of day: each order queue's length for its flow meter (Little's law)."""
        self.queue_meters.observe(rows, self.queue_length[rows])

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
    def work(self, rows: np.ndarray, tech: Technology, model) -> None:
        """Workshops `rows` (with orders, owner healthy) build with the owner's hours at
        today's technology; feedstock limits output. Passed units leave for their buyers, first
        in first out; caught ones are remade. Then feedstock is reordered as needed."""
        p = self.p
        process = tech.process(p)
        hours, lpu = p["workshop_hours_per_day"], tech.labour_hours
        by_feedstock = process.units_from(self.feedstock_kg[rows])
        queued, progress = self.queue_length[rows], self.progress_hours[rows]
        n = np.minimum(np.minimum((progress + hours) // lpu, by_feedstock), queued).astype(int)
        mid_unit = (n < queued) & (n < by_feedstock)  # else out of orders or of feedstock
        used = np.where(mid_unit, hours, np.maximum(0.0, n * lpu - progress))
        self.progress_hours[rows] = np.maximum(0.0, progress + used - n * lpu)
        out = make_batches(n, process, model.rng, hours=used)
        self._record(rows, out, model)
        owners = self.owner[rows]
        wages = used * p["workshop_wage_per_hour"]
        model.ledger.pay(self.account(rows), HouseholdAccounts(owners), wages, "owner pay")
        hurt = out.injuries > 0
        model.treat_injuries(self.account(rows[hurt]), owners[hurt], out.injuries[hurt])
        self._dispatch(rows, out, model)
        # feedstock for a few days at the capacity their output has taught them
        learned = self.technology(rows, model.steps).capacity
        on_hand, on_order = self.feedstock_kg[rows], self.feedstock_on_order[rows]
        cover_days = p["feedstock_lead_time"] + p["feedstock_extra_cover_days"]
        due = process.reorder_due(on_hand, on_order, learned, cover_days)
        for row in rows[due].tolist():
            model.feedstock.sell(self.agents[row], p["workshop_feedstock_lot"])

    def _record(self, rows: np.ndarray, out: BatchOutcome, model) -> None:
        """Book the batches (`ProductionEconomy.record_batches`) and what they used."""
        model.record_batches(WORKSHOP, out, self.account(rows))
        self.experience[rows] += out.made
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

    # --- one row ---
    def meter(self, row: int) -> FlowMeter:
        """The row's queue meter (a copy: read it, do not feed it)."""
        return self.queue_meters.meter(row)

    def restart_meter(self, row: int, today: int) -> None:
        """Measure afresh from the end of today (after a warm-up)."""
        self.queue_meters.restart(row, today)

"""The production process: what making units costs in labour, material, defects and injuries.

A `Process` describes one producer's current technology; `make_units` draws the outcome of a
batch (Shingo's error -> defect -> caught/escaped chain, material waste, injuries per labour
hour). `normal_cost_price` is the normal full-cost price on which every producer sets its markup
(`abm.economy.pricing`).
"""

from __future__ import annotations

import functools
import sys
from dataclasses import dataclass

import numpy as np

from abm.economy import formulas

NO_FEEDSTOCK_LIMIT = sys.maxsize  # units from any stock, when a unit needs no feedstock

# Pure formulas that producers ask every day with the same arguments: remember their answers.
capital_charge_per_day = functools.cache(formulas.capital_charge_per_day)
feedstock_unit_price = functools.cache(formulas.feedstock_unit_price)
injury_rate_per_hour = functools.cache(formulas.injury_rate_per_hour)


def feedstock_quote(p: dict, lot_kg: float) -> float:
    """The feedstock supplier's unit price ($/kg) for a lot of `lot_kg` (its price schedule)."""
    return feedstock_unit_price(
        lot_kg,
        p["feedstock_bulk_price"],
        p["feedstock_small_lot_premium"],
        p["feedstock_half_discount_lot"],
    )


@dataclass(frozen=True)
class Process:
    """Per-unit technology of one producer today (or of many: `make_batches` takes arrays for
    labour hours, error probability and injury rate)."""

    labour_hours: float  # h per unit attempted
    feedstock_per_unit: float  # kg in one finished unit
    waste_share: float  # share of the feedstock drawn per unit that is scrapped
    error_probability: float
    poka_yoke: float
    inspection: float
    injury_rate_per_hour: float

    @property
    def feedstock_drawn(self) -> float:
        """kg of feedstock drawn per unit attempted, scrap included."""
        return self.feedstock_per_unit / (1.0 - self.waste_share)

    def units_from(self, feedstock_kg):
        """Whole units that `feedstock_kg` of feedstock allows (no limit if units need none);
        takes one stock or an array of stocks."""
        if self.feedstock_drawn == 0:
            return NO_FEEDSTOCK_LIMIT
        if isinstance(feedstock_kg, np.ndarray):
            return np.trunc(feedstock_kg / self.feedstock_drawn).astype(np.int64)
        return int(feedstock_kg / self.feedstock_drawn)

    def feedstock_cover(self, units_per_day, cover_days: int):
        """kg of feedstock that `cover_days` days of use at `units_per_day` draw. Scalars or
        arrays."""
        return units_per_day * self.feedstock_drawn * cover_days

    def reorder_due(self, on_hand_kg, on_order_kg, units_per_day, cover_days: int):
        """(r, Q) on feedstock: a lot is due when stock on hand and on order covers fewer than
        `cover_days` days of use (the supplier's lead time plus a margin). Scalars or arrays."""
        return on_hand_kg + on_order_kg < self.feedstock_cover(units_per_day, cover_days)


@dataclass(frozen=True)
class BatchOutcome:
    """What a batch of attempted units produced: one producer's numbers, or arrays with one
    entry per producer (`make_batches`)."""

    made: int  # units that came off the line (every attempt)
    defects: int  # defective units made
    caught: int  # defective units caught by inspection and scrapped
    escaped: int  # defective units that passed inspection
    labour_hours: float
    feedstock_kg: float
    waste_kg: float  # scrap share of every unit plus the whole of each caught unit
    injuries: int

    @property
    def passed(self) -> int:
        """Units that leave for the customer (escaped defects among them)."""
        return self.made - self.caught


def make_batches(
    n: np.ndarray | int,
    process: Process,
    rng: np.random.Generator,
    hours: np.ndarray | float,
) -> BatchOutcome:
    """Draw the outcome of attempting n[k] units with the k-th entries of `process`, with
    hours[k] of labour exposed to injury risk, for many producers at once.

    Shingo's chain: an error becomes a defect unless poka-yoke prevents it
    (`formulas.defect_probability`, elementwise); inspection catches a share of the
    defects; the rest escape. Waste is the scrap share of every unit plus each caught unit.
    """
    injuries = rng.poisson(process.injury_rate_per_hour * hours)
    p_defect = formulas.defect_probability(process.error_probability, process.poka_yoke)
    defects = rng.binomial(n, p_defect)
    caught = rng.binomial(defects, process.inspection)
    drawn = n * process.feedstock_drawn
    waste = (drawn - n * process.feedstock_per_unit) + caught * process.feedstock_per_unit
    return BatchOutcome(n, defects, caught, defects - caught, hours, drawn, waste, injuries)


def make_units(
    n: int, process: Process, rng: np.random.Generator, hours: float | None = None
) -> BatchOutcome:
    """`make_batches` for one producer attempting `n` units: the same draws, in scalars.

    `hours` is the labour exposed to injury risk (default: the hours the units take); a
    factory's paid shift is exposed whether or not it is busy.
    """
    hours = n * process.labour_hours if hours is None else float(hours)
    return make_batches(n, process, rng, hours)


def normal_cost_price(
    variable_cost: float | np.ndarray,
    fixed_cost_per_day: float,
    capacity_per_day: float | np.ndarray,
    normal_utilization: float,
    markup: float,
) -> float | np.ndarray:
    """Full-cost price: markup over variable cost plus fixed cost spread over normal output.

    Spreading fixed costs over output at normal utilization (not current sales) is the
    normal-cost pricing of industrial economics; it keeps prices from chasing a falling volume.
    Takes one producer's figures or arrays of many producers'.
    """
    normal_output = np.maximum(capacity_per_day * normal_utilization, 1e-9)
    return (1.0 + markup) * (variable_cost + fixed_cost_per_day / normal_output)

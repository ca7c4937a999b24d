"""Workshop growth: a home workshop grows into a small shop with hired help, and shrinks back.

A workshop runs stations, each a machine (`workshop_capital`, financed by its daily capital
charge) worked by one person for `workshop_hours_per_day`: the owner the first station, a hired
helper each further one, up to `workshop_max_stations`. At every growth review
(`workshop_growth_review_days`) each workshop looks back over the window since the last one:

- it adds a station when its mean order backlog would take more than
  `workshop_growth_queue_days` days at its stations' capacity (the build part of the lead time
  it quotes) and its cash covers the set-up (`workshop_station_setup_cost`);
- it drops its last station when its utilization over the window (units made over the units its
  stations could have made) stayed below `workshop_shrink_utilization`.

The rule reads the two signals a job shop has of its own capacity, its order backlog and its
utilization; its thresholds are estimates ([E] in the schema). These are the rule's formulas as
pure functions on arrays, one entry per workshop; the workshops
(`WorkshopArrays.review_stations`) call them, then hire or lay off.
"""

from __future__ import annotations

import numpy as np

ADD, KEEP, DROP = 1, 0, -1


def backlog_days(mean_queue: np.ndarray, capacity: np.ndarray) -> np.ndarray:
    """Days of work in the mean order queue at the stations' capacity (units a day).

    Why: it is what the queue adds to the lead time the workshop quotes (ODD §7.17), so a shop
    whose backlog days stay long loses impatient buyers and has work for another station.
    """
    return np.asarray(mean_queue, dtype=float) / np.asarray(capacity, dtype=float)


def window_utilization(made: np.ndarray, capacity_units: np.ndarray) -> np.ndarray:
    """Units made over the units the stations could have made in the window; NaN where no
    capacity was counted yet (a workshop opened on the review day): no evidence either way.

    Why: a station that stood idle most of the window costs its capital charge for nothing.
    """
    made = np.asarray(made, dtype=float)
    capacity_units = np.asarray(capacity_units, dtype=float)
    return np.divide(
        made,
        capacity_units,
        out=np.full(made.shape, np.nan),
        where=capacity_units > 0,
    )


def station_change(
    backlog: np.ndarray,
    utilization: np.ndarray,
    cash: np.ndarray,
    stations: np.ndarray,
    growth_queue_days: float,
    shrink_utilization: float,
    setup_cost: float,
    max_stations: int,
) -> np.ndarray:
    """ADD (+1), KEEP (0) or DROP (-1) one station, per workshop.

    Add when the backlog days exceed `growth_queue_days`, cash covers `setup_cost` and the
    workshop is below `max_stations`; otherwise drop when utilization is below
    `shrink_utilization` and it runs more than the owner's station. A long backlog wins over a
    low utilization (its workers were out, say): another station is what clears it. One station
    a review at most: capacity moves in lumps, and the next window shows what this one did.
    """
    add = (
        (np.asarray(backlog) > growth_queue_days)
        & (np.asarray(cash) >= setup_cost)
        & (np.asarray(stations) < max_stations)
    )
    with np.errstate(invalid="ignore"):
        idle = np.asarray(utilization) < shrink_utilization  # NaN: not idle
    drop = idle & (np.asarray(stations) > 1) & ~add
    return np.where(add, ADD, np.where(drop, DROP, KEEP))


def mean_wage(stations: np.ndarray, owner_wage: float, helper_wage: float) -> np.ndarray:
    """Wage per hour worked, averaged over a workshop's stations: the owner's pay on the first,
    a helper's wage on each further one (every station works the same hours)."""
    stations = np.asarray(stations)
    return (owner_wage + (stations - 1) * helper_wage) / stations


def fixed_costs_per_day(stations: np.ndarray, capital_charge: float, overhead: float):
    """A workshop's fixed costs a day: each station its machine's capital charge and its share
    of space and power (the overhead of the one-station home workshop), so a bigger shop gets no
    scale economy the model has no source for."""
    return np.asarray(stations) * (capital_charge + overhead)

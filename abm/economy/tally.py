"""The tally: what each production mode did today and since the start, by kind of event.

`Count` names every kind of event the model counts (a misspelt name fails at once, where a
string key read zero); `Tally` holds one row per mode of today's and the cumulative counts, read as
arrays indexed by (mode, Count). The per-day table (`metrics.measure`) is read from it.
"""

from __future__ import annotations

from enum import IntEnum

import numpy as np

from abm.economy.modes import MODES


class Count(IntEnum):
    """The kinds of events counted per mode (units, $, hours, kg or days, as named)."""

    MADE = 0  # units that came off the line
    DEFECTS_MADE = 1
    DEFECTS_CAUGHT = 2  # by inspection, scrapped
    DEFECTS_ESCAPED = 3  # passed inspection: they come back
    LABOUR_HOURS = 4  # hours exposed to injury risk
    INJURIES = 5
    WASTE_KG = 6
    CAPACITY = 7  # units a day the producers could have made
    DEMAND = 8  # needs that met the mode's offers, each once (stores) or orders (workshops)
    LOST_SALES = 9  # needs an empty shelf turned away, each once
    ORDERS_UPSTREAM = 10  # units stores ordered from their factories
    SALES_VALUE = 11  # $ paid, net of refunds
    UNITS_SOLD = 12  # delivered and kept
    RETURNS = 13  # escaped defects returned for a refund
    DELIVERIES = 14  # units delivered, returns included
    LEAD_TIME_DAYS = 15  # days from need to delivery, summed over deliveries
    SUBSIDIES = 16  # $ paid to producers from outside
    ENTRIES = 17
    BANKRUPTCIES = 18
    EXITS = 19  # voluntary: closed after a run of losses, not bankrupt


class Tally:
    """Today's and cumulative counts per mode: `today[mode, Count.X]`, `total[mode, Count.X]`.

    Kept as Python lists, since a day adds to them a few thousand times one number at a time
    (a list is several times quicker at that than an array); read as arrays."""

    def __init__(self) -> None:
        self._today = [[0.0] * len(Count) for _ in MODES]
        self._total = [[0.0] * len(Count) for _ in MODES]

    def add(self, mode: int, what: Count, amount: float = 1.0) -> None:
        self._today[mode][what] += amount
        self._total[mode][what] += amount

    def start_day(self) -> None:
        self._today = [[0.0] * len(Count) for _ in MODES]

    @property
    def today(self) -> np.ndarray:
        return np.array(self._today)

    @property
    def total(self) -> np.ndarray:
        return np.array(self._total)

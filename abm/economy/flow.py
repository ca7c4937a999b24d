"""Flow meters: what enters and leaves a buffer and how long it stayed, for Little's law.

Every buffer (a store's shelf, a factory's unfinished lots, a workshop's order queue) is metered.
The model observes every buffer's level once a day, at the end of the day; a unit that arrives
on day a and leaves on day d was seen at d - a day ends, which is its recorded time in the
buffer. Over a long steady run, mean level = throughput x mean time in the buffer.

The rule is written once, on arrays (`FlowMeters`, one row per buffer: all workshops' queues
are one), and a single buffer's `FlowMeter` is a `FlowMeters` of one row.
"""

from __future__ import annotations

from collections import deque

import numpy as np


class FlowMeters:
    """Daily levels, departures and days spent in many buffers, one row each.

    Columns: `since` (day measuring began: earlier days in the buffer do not count),
    `level_days` (sum over observed day ends of the units in the buffer), `days` (day ends
    observed), `departures` and `days_in_buffer` (sum over departed units of their days in it).
    """

    def __init__(self, rows: int = 0) -> None:
        self.since = np.zeros(rows, dtype=np.int64)
        self.level_days = np.zeros(rows)
        self.days = np.zeros(rows, dtype=np.int64)
        self.departures = np.zeros(rows, dtype=np.int64)
        self.days_in_buffer = np.zeros(rows)

    def grow(self, rows: int) -> None:
        """Room for `rows` buffers; new rows start unmeasured."""
        for name in ("since", "level_days", "days", "departures", "days_in_buffer"):
            old = getattr(self, name)
            grown = np.zeros(rows, dtype=old.dtype)
            grown[: len(old)] = old
            setattr(self, name, grown)

    def observe(self, rows, levels) -> None:
        """The day-end levels of buffers `rows`."""
        self.level_days[rows] += levels
        self.days[rows] += 1

    def depart(self, rows, units, arrived, today: int) -> None:
        """units[k] that arrived in buffer rows[k] on day arrived[k] leave today (a row may
        repeat). One buffer's departure (scalars) skips the array machinery: shelves take
        many small batches a day."""
        if np.ndim(rows) == 0:
            since = int(self.since[rows])
            self.departures[rows] += units
            self.days_in_buffer[rows] += units * (today - max(arrived, since))
            return
        waited = today - np.maximum(arrived, self.since[rows])
        np.add.at(self.departures, rows, units)
        np.add.at(self.days_in_buffer, rows, units * waited)

    def restart(self, rows, today: int) -> None:
        """Measure buffers `rows` afresh from the end of today (after a warm-up)."""
        self.since[rows] = today
        self.level_days[rows] = self.days_in_buffer[rows] = 0.0
        self.days[rows] = self.departures[rows] = 0

    def mean_level(self, rows):
        return np.divide(
            self.level_days[rows],
            self.days[rows],
            where=self.days[rows] > 0,
            out=np.zeros(np.shape(rows)),
        )

    def throughput(self, rows):
        return np.divide(
            self.departures[rows],
            self.days[rows],
            where=self.days[rows] > 0,
            out=np.zeros(np.shape(rows)),
        )

    def mean_time(self, rows):
        return np.divide(
            self.days_in_buffer[rows],
            self.departures[rows],
            where=self.departures[rows] > 0,
            out=np.zeros(np.shape(rows)),
        )


class FlowMeter:
    """The meter of one buffer: row 0 of its own `FlowMeters`, or one row of a shared one."""

    def __init__(self, meters: FlowMeters | None = None, row: int = 0) -> None:
        self.meters = FlowMeters(1) if meters is None else meters
        self.row = row

    def observe(self, level: float) -> None:
        self.meters.observe(self.row, level)

    def depart(self, units: int, arrived: int, today: int) -> None:
        """`units` that arrived on day `arrived` leave today."""
        self.meters.depart(self.row, units, arrived, today)

    def restart(self, today: int) -> None:
        """Measure afresh from the end of today (after a warm-up)."""
        self.meters.restart(self.row, today)

    @property
    def days(self) -> int:
        return int(self.meters.days[self.row])

    @property
    def level_days(self) -> float:
        return float(self.meters.level_days[self.row])

    @property
    def days_in_buffer(self) -> float:
        return float(self.meters.days_in_buffer[self.row])

    @property
    def departures(self) -> int:
        return int(self.meters.departures[self.row])

    @property
    def mean_level(self) -> float:
        return float(self.meters.mean_level(self.row))

    @property
    def throughput(self) -> float:
        return float(self.meters.throughput(self.row))

    @property
    def mean_time(self) -> float:
        return float(self.meters.mean_time(self.row))


class FifoStock:
    """Units on a shelf in arrival order, so each sale knows how long its unit waited."""

    def __init__(self, meter: FlowMeter) -> None:
        self.batches: deque[list[int]] = deque()  # [arrival day, units]
        self.meter = meter

    def put(self, day: int, units: int) -> None:
        if units > 0:
            self.batches.append([day, units])

    def take(self, day: int, units: int) -> None:
        while units > 0 and self.batches:
            batch = self.batches[0]
            k = min(units, batch[1])
            self.meter.depart(k, batch[0], day)
            batch[1] -= k
            units -= k
            if batch[1] == 0:
                self.batches.popleft()

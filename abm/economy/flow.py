"""Flow meters: what enters and leaves a buffer and how long it stayed, for Little's law.

Every buffer (a store's shelf, a factory's unfinished lots, a workshop's order queue) is metered.
The model observes every buffer's level once a day, at the end of the day; a unit that arrives
on day a and leaves on day d was seen at d - a day ends, which is its recorded time in the
buffer. Over a long steady run, mean level = throughput x mean time in the buffer.

The rule is written once (`days_held`), for the meters of many buffers at once
(`FlowMeters`, one row per buffer: all workshops' order queues) and of one (`FlowMeter`).
"""

from __future__ import annotations

from collections import deque

import numpy as np


def days_held(arrived, since, today: int):
    """A departing unit's days in its buffer: day ends seen since it arrived, or since measuring
    began (`since`) if that was later. Scalars (one buffer) or arrays (many)."""
    if isinstance(arrived, np.ndarray) or isinstance(since, np.ndarray):
        return today - np.maximum(arrived, since)
    return today - max(arrived, since)


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
        repeat)."""
        np.add.at(self.departures, rows, units)
        np.add.at(self.days_in_buffer, rows, units * days_held(arrived, self.since[rows], today))

    def restart(self, rows, today: int) -> None:
        """Measure buffers `rows` afresh from the end of today (after a warm-up)."""
        self.since[rows] = today
        self.level_days[rows] = self.days_in_buffer[rows] = 0.0
        self.days[rows] = self.departures[rows] = 0

    def meter(self, row: int) -> FlowMeter:
        """Row `row` as a `FlowMeter` (a copy: read it, do not feed it)."""
        meter = FlowMeter(since=int(self.since[row]))
        meter.level_days = float(self.level_days[row])
        meter.days = int(self.days[row])
        meter.departures = int(self.departures[row])
        meter.days_in_buffer = float(self.days_in_buffer[row])
        return meter

    def throughput(self, rows):
        return np.divide(
            self.departures[rows],
            self.days[rows],
            where=self.days[rows] > 0,
            out=np.zeros(np.shape(rows)),
        )


class FlowMeter:
    """The meter of one buffer (a store's shelf, a factory's unfinished lots), in Python numbers:
    a shelf takes many small batches a day, and a row of `FlowMeters` would cost an array
    lookup each time. The rule is the same, `days_held`."""

    def __init__(self, since: int = 0) -> None:
        self.since = since
        self.level_days = 0.0
        self.days = 0
        self.departures = 0
        self.days_in_buffer = 0.0

    def observe(self, level: float) -> None:
        self.level_days += level
        self.days += 1

    def depart(self, units: int, arrived: int, today: int) -> None:
        """`units` that arrived on day `arrived` leave today."""
        self.departures += units
        self.days_in_buffer += units * days_held(arrived, self.since, today)

    def restart(self, today: int) -> None:
        """Measure afresh from the end of today (after a warm-up)."""
        self.__init__(since=today)

    @property
    def mean_level(self) -> float:
        return self.level_days / self.days if self.days else 0.0

    @property
    def throughput(self) -> float:
        return self.departures / self.days if self.days else 0.0

    @property
    def mean_time(self) -> float:
        return self.days_in_buffer / self.departures if self.departures else 0.0


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

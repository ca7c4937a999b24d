"""Flow meters: what enters and leaves a buffer and how long it stayed, for Little's law.

Each buffer (a store's shelf, a factory's unfinished lots, a workshop's order queue) has a
`FlowMeter`. The model observes every buffer's level once a day, at the end of the day; a unit
that arrives on day a and leaves on day d was seen at d - a day ends, which is its recorded
time in the buffer. Over a long steady run, mean level = throughput x mean time in the buffer.
"""

from __future__ import annotations

from collections import deque


class FlowMeter:
    """Daily levels, departures and days spent in one buffer."""

    def __init__(self, since: int = 0) -> None:
        self.since = since  # day measuring began: earlier days in the buffer do not count
        self.level_days = 0.0  # sum over observed day ends of the units in the buffer
        self.days = 0
        self.departures = 0
        self.days_in_buffer = 0.0  # sum over departed units of their days in the buffer

    def observe(self, level: float) -> None:
        self.level_days += level
        self.days += 1

    def depart(self, units: int, arrived: int, today: int) -> None:
        """`units` that arrived on day `arrived` leave today."""
        self.departures += units
        self.days_in_buffer += units * (today - max(arrived, self.since))

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

"""Solvency: a firm whose cash stays negative for `bankruptcy_days` days in a row goes bankrupt.

One rule for every firm, written on arrays: a factory's single run of days is the same call with
scalars.
"""

from __future__ import annotations

import numpy as np


def days_in_the_red(cash, days_before):
    """Consecutive day ends with negative cash, counting today's: one more than before while
    cash is negative, back to zero as soon as it is not. Scalars or arrays."""
    return np.where(cash < 0, days_before + 1, 0)


def bankrupt(days_in_red, bankruptcy_days: int):
    """Whether a run of `days_in_red` negative day ends makes a firm bankrupt."""
    return days_in_red >= bankruptcy_days

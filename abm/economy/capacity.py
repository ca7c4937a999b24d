"""Capacity investment: how a factory sizes its capacity to expected demand, as pure functions.

A factory wants the capacity at which its expected demand runs at the target utilization; it
adds or retires capacity in lumpy modules, and only when the gap leaves a band around its
capacity (an inaction region, as under costly reversibility: Abel & Eberly 1994, *AER*
84(5):1369-1384; Eberly & Van Mieghem 1997, *JET* 75(2):345-387). A module's capital is the
increment of the six-tenths rule within the factory's technology (Williams 1947), so a larger
factory adds capacity more cheaply per unit. Capital is financed as in 0.3: a loan at its user
cost, the daily capital charge (interest plus the depreciation that keeps it whole); a retired
module is sold at a salvage share of its capital (Ramey & Shapiro 2001, *JPE* 109(5):958-992)
and the unrecovered rest of its loan is paid off over the capital's life, interest plus equal
instalments (what the capital charge would have been, its depreciation now repaying the loan).
"""

from __future__ import annotations

import math

from abm.economy.formulas import DAYS_PER_YEAR, six_tenths_capital

# relative tolerance when counting modules, so float noise (2.0000000001 modules) is not rounded
# up to an extra one (or 1.9999999999 down to one fewer)
_MODULE_REL_TOL = 1e-9


def desired_capacity(expected_demand: float, target_utilization: float) -> float:
    """Capacity at which `expected_demand` (units/day) runs at `target_utilization`: D / u*.

    Why: capacity held at the utilization firms aim for leaves the slack that absorbs peaks
    and keeps queues short (Kingman: delay grows with u/(1-u)); US manufacturing averaged 79.6%
    in 1972-2008 (Federal Reserve G.17).
    """
    if not 0.0 < target_utilization <= 1.0:
        raise ValueError(f"target_utilization={target_utilization} must be in (0, 1]")
    if expected_demand < 0.0:
        raise ValueError(f"expected_demand={expected_demand} must be >= 0")
    return expected_demand / target_utilization


def _whole(x: float, up: bool) -> int:
    """`x` rounded up (or down) to a whole number, float noise aside."""
    nearest = round(x)
    if math.isclose(x, nearest, rel_tol=_MODULE_REL_TOL, abs_tol=_MODULE_REL_TOL):
        return int(nearest)
    return math.ceil(x) if up else math.floor(x)


def modules_to_change(capacity: float, desired: float, module: float, band: float) -> int:
    """Modules to add (> 0) or retire (< 0) to bring `capacity` (built and building) toward
    `desired`; 0 while the gap stays within `band` x capacity.

    Above the band: the fewest modules that reach the desired capacity, ceil(gap / module).
    Below it: the most that keep capacity at or above it, floor(-gap / module). So a factory
    that has just grown sits within one module above its desired capacity and does not shed
    what it built at the next review (no flapping), whatever the band; the band keeps
    forecast noise from triggering either.
    """
    if module <= 0.0:
        raise ValueError(f"module={module} must be > 0")
    if band < 0.0:
        raise ValueError(f"band={band} must be >= 0")
    gap = desired - capacity
    if abs(gap) <= band * capacity:
        return 0
    if gap > 0:
        return _whole(gap / module, up=True)
    return -_whole(-gap / module, up=False)


def modules_to_retire(wanted: int, installed: float, module: float, most: int) -> int:
    """Modules a factory of `installed` capacity retires at one review when it wants to shed
    `wanted`: at most `most` (idle capacity goes gradually: disinvestment is slow and costly),
    and never its last module, so no more than floor(installed / module) - 1."""
    if module <= 0.0:
        raise ValueError(f"module={module} must be > 0")
    keeps_one = _whole(installed / module, up=False) - 1
    return max(min(wanted, most, keeps_one), 0)


def module_capital(
    capacity: float,
    change: float,
    reference_capital: float,
    reference_capacity: float,
    exponent: float,
) -> float:
    """Capital of going from `capacity` to `capacity + change` within the technology:
    C(K + m) - C(K), C the six-tenths rule (negative when capacity is retired).

    Why: the capital of a plant of capacity K is C(K) = C_ref (K / K_ref)^n; growing it by a
    module costs the difference, so the factory's capital stays C(K) whatever path led to K,
    and each added unit of capacity costs n times the plant's average (0.6 x).
    """
    before = six_tenths_capital(reference_capital, reference_capacity, capacity, exponent)
    after = six_tenths_capital(reference_capital, reference_capacity, capacity + change, exponent)
    return after - before


def loan_instalment(loan: float, life_years: float) -> float:
    """Daily repayment that pays off `loan` in equal instalments over `life_years`:
    loan / (life x 365), the straight-line depreciation of the capital it financed."""
    if life_years <= 0.0:
        raise ValueError(f"life_years={life_years} must be > 0")
    return loan / (life_years * DAYS_PER_YEAR)


def loan_payment(balance: float, instalment: float, interest_rate: float) -> tuple[float, float]:
    """(today's payment, principal repaid) on a loan of `balance` repaid by `instalment` a day:
    the interest balance x r / 365 plus the instalment (the rest of the balance, at the end).

    Why: the unrecovered loan of retired capital is paid off as capital in use is charged,
    interest plus depreciation (`formulas.capital_charge_per_day`), on the first day exactly
    so; with no capital left to keep whole, the depreciation part now repays the loan.
    """
    if balance < 0.0 or instalment < 0.0 or interest_rate < 0.0:
        raise ValueError(
            f"balance={balance}, instalment={instalment}, interest_rate={interest_rate} "
            "must be >= 0"
        )
    principal = min(instalment, balance)
    return balance * interest_rate / DAYS_PER_YEAR + principal, principal

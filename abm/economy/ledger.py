"""Accounting: where every dollar and every unit is, and the identities that prove it.

Money moves only through `Ledger.pay`, between firms (objects with `cash` and `mode`), groups
of firms (`FirmList` of objects, `FirmRows` of one cash array: the workshops), households
(`HouseholdAccounts`: indices into the households' cash array; what they earn is also written to
their income of the day) and OUTSIDE (everything beyond the model's boundary:
base income, subsidies, feedstock and capital suppliers, lenders, disposal). Goods are counted by
production mode in a `GoodsAccount`. `check_identities` raises `IdentityViolation` the moment a
step loses or creates a dollar or a unit.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import numpy as np

from abm.economy.modes import MODES

OUTSIDE = "outside"

# tolerance of the money identity, relative to the money in the model
MONEY_TOLERANCE = 1e-9


class IdentityViolation(RuntimeError):
    """A goods or money identity failed: something was lost or created."""


# what households earn (`Households.income_today`): every other payment to them is a transfer back
INCOME = frozenset({"base income", "wages", "owner pay", "owner dividend"})
# what producing costs a firm (the unit cost of the per-day table), in the order it is summed
COSTS = (
    "wages",
    "owner pay",
    "feedstock",
    "overhead",
    "capital charge",
    "holding",
    "ordering",
    "shipping",
    "disposal",
    "injuries",
    "returns",
    "station set-up",
    "stranded capital",
)
# every kind of payment: a name outside this set is a typo, and `Ledger.pay` refuses it
CATEGORIES = (
    INCOME
    | set(COSTS)
    | {
        "other household spending",
        "sales",
        "refunds",
        "equity",
        "exit payout",
        "bankruptcy write-off",
        "subsidy",
        # capacity investment (abm.economy.capacity): a module is bought with a loan, a retired
        # one sold and its sale repays its loan; both pairs cross the model's boundary
        "investment loan",
        "capacity investment",
        "capital salvage",
        "loan repayment",
    }
)


@dataclass(frozen=True)
class HouseholdAccounts:
    """A group of households as a payer or payee: their indices into the cash array."""

    index: np.ndarray | int | slice  # a slice: each household in it once (slice(None): all)


@dataclass(frozen=True)
class FirmRows:
    """Firms of one mode whose cash lives in one array, as a payer or payee: one row of `cash`
    per amount (a row may repeat), so one payment moves the money of thousands of workshops."""

    cash: np.ndarray
    index: np.ndarray
    mode: int


@dataclass(frozen=True)
class FirmList:
    """Firms held as objects, as a payer or payee: amount k is `firms[index[k]]`'s, so one
    payment settles the sales of every factory at once."""

    firms: list
    index: np.ndarray
    mode: int


class Ledger:
    """Money flows, by category, with the boundary of the model kept apart."""

    def __init__(self, household_cash: np.ndarray, household_income: np.ndarray) -> None:
        self.household_cash = household_cash
        self.household_income = household_income  # today's, for the categories in INCOME
        self.inflows: defaultdict[str, float] = defaultdict(float)
        self.outflows: defaultdict[str, float] = defaultdict(float)
        self.mode_books = [defaultdict(float) for _ in MODES]  # flows of all firms, by mode
        self.initial_money = 0.0

    def pay(self, payer, payee, amount, category: str) -> None:
        """Move `amount` from payer to payee (a firm, firms, HouseholdAccounts or OUTSIDE), as a
        payment of kind `category` (one of CATEGORIES)."""
        if category not in CATEGORIES:
            raise ValueError(f"unknown payment category {category!r}: one of {sorted(CATEGORIES)}")
        if isinstance(amount, (int, float)):  # one payment: skip the array machinery
            signed = total = float(amount)
        else:
            signed = np.asarray(amount, dtype=float)
            total = float(np.sum(signed))
        if total == 0.0:
            return
        self._move(payer, -signed, category, total, incoming=False)
        self._move(payee, signed, category, total, incoming=True)

    def _move(self, who, signed, category: str, total: float, incoming: bool) -> None:
        if who == OUTSIDE:
            (self.outflows if incoming else self.inflows)[category] += total
        elif isinstance(who, HouseholdAccounts):
            accounts = [self.household_cash]
            if incoming and category in INCOME:
                accounts.append(self.household_income)
            for account in accounts:
                if isinstance(who.index, slice):  # each household in it once
                    account[who.index] += signed
                elif isinstance(who.index, (int, np.integer)):
                    account[who.index] += np.sum(signed)
                else:
                    np.add.at(account, who.index, signed)
        elif isinstance(who, FirmRows):
            np.add.at(who.cash, who.index, signed)
            self.mode_books[who.mode][category] += total if incoming else -total
        elif isinstance(who, FirmList):
            per_firm = np.bincount(who.index, weights=signed, minlength=len(who.firms))
            for firm, change in zip(who.firms, per_firm.tolist(), strict=True):
                firm.cash += change
            self.mode_books[who.mode][category] += total if incoming else -total
        else:
            change = signed if isinstance(signed, float) else float(np.sum(signed))
            who.cash += change
            self.mode_books[who.mode][category] += change

    def net_boundary_inflow(self) -> float:
        return sum(self.inflows.values()) - sum(self.outflows.values())

    def money_inside(self, firm_cash: float) -> float:
        """Households' cash plus `firm_cash`, the cash of every firm in business."""
        return float(self.household_cash.sum()) + firm_cash

    def open_books(self, firm_cash: float) -> None:
        """Take the money in the model now as the base of the money identity."""
        self.initial_money = self.money_inside(firm_cash)
        self.inflows.clear()
        self.outflows.clear()

    def check_money(self, firm_cash: float, step: int) -> None:
        """Sum of cash changes equals the net flow across the boundary."""
        inside = self.money_inside(firm_cash) - self.initial_money
        across = self.net_boundary_inflow()
        scale = max(1.0, abs(self.initial_money), sum(self.inflows.values()))
        if abs(inside - across) > MONEY_TOLERANCE * scale:
            raise IdentityViolation(
                f"money identity broken at step {step}: cash inside changed by {inside:,.6f} "
                f"but net boundary inflow is {across:,.6f} (difference {inside - across:,.6f})"
            )


@dataclass
class GoodsAccount:
    """Cumulative unit flows of one production mode."""

    mode: str
    made: int = 0
    sold: int = 0  # delivered to households, net of returns
    scrapped: int = 0  # caught defects and returned units
    liquidated: int = 0  # stock written off when its firm exits

    def check(self, in_stock: int, in_transit: int, in_process: int, step: int) -> None:
        """made = sold + in stock + in transit + in process + scrapped + liquidated."""
        accounted = self.sold + in_stock + in_transit + in_process + self.scrapped + self.liquidated
        if self.made != accounted:
            raise IdentityViolation(
                f"goods identity broken for the {self.mode} mode at step {step}: "
                f"made {self.made} but sold {self.sold} + in stock {in_stock} + in transit "
                f"{in_transit} + in process {in_process} + scrapped {self.scrapped} "
                f"+ liquidated {self.liquidated} = {accounted}"
            )

"""The ledger alone, by hand: every kind of payer and payee, the books by mode and category,
the boundary flows, household income, and the identities that must fire on a lost dollar or unit.

Every expected number is worked out in the test from the amounts paid, never read back from the
ledger's own sums.
"""

from dataclasses import dataclass

import numpy as np
import pytest

from abm.economy.ledger import (
    OUTSIDE,
    FirmList,
    FirmRows,
    GoodsAccount,
    HouseholdAccounts,
    IdentityViolation,
    Ledger,
)
from abm.economy.modes import FACTORY, WORKSHOP


@dataclass
class Firm:
    cash: float
    mode: int = FACTORY


def books(n: int = 4, cash: float = 100.0) -> Ledger:
    return Ledger(np.full(n, cash), np.zeros(n))


def test_one_firm_pays_outside_and_is_paid_by_households():
    ledger, firm = books(), Firm(50.0)
    ledger.pay(firm, OUTSIDE, 20.0, "overhead")
    ledger.pay(HouseholdAccounts(2), firm, 7.5, "sales")
    assert firm.cash == 50.0 - 20.0 + 7.5
    assert ledger.household_cash.tolist() == [100.0, 100.0, 92.5, 100.0]
    assert dict(ledger.outflows) == {"overhead": 20.0}  # money that left the model
    assert dict(ledger.inflows) == {}
    assert dict(ledger.mode_books[FACTORY]) == {"overhead": -20.0, "sales": 7.5}
    assert dict(ledger.mode_books[WORKSHOP]) == {}
    assert ledger.household_income.tolist() == [0.0] * 4  # a purchase is nobody's income


def test_outside_pays_households_in_a_slice_and_counts_income_by_category():
    ledger = books(3, cash=10.0)
    ledger.pay(OUTSIDE, HouseholdAccounts(slice(None)), np.array([1.0, 2.0, 3.0]), "base income")
    ledger.pay(OUTSIDE, HouseholdAccounts(np.array([0, 0])), np.array([5.0, 6.0]), "refunds")
    assert ledger.household_cash.tolist() == [10 + 1 + 5 + 6, 12.0, 13.0]
    assert ledger.household_income.tolist() == [1.0, 2.0, 3.0]  # refunds are not income
    assert dict(ledger.inflows) == {"base income": 6.0, "refunds": 11.0}
    assert ledger.net_boundary_inflow() == 17.0


@pytest.mark.parametrize("category", ["wages", "owner pay", "owner dividend", "base income"])
def test_every_earning_category_is_income(category):
    ledger, firm = books(3), Firm(1000.0, WORKSHOP)
    ledger.pay(firm, HouseholdAccounts(np.array([2, 2, 0])), np.array([4.0, 6.0, 1.0]), category)
    assert ledger.household_income.tolist() == [1.0, 0.0, 10.0]  # repeats add up
    assert ledger.household_cash.tolist() == [101.0, 100.0, 110.0]


def test_a_household_paying_earns_nothing():
    ledger = books(2)
    ledger.pay(HouseholdAccounts(1), OUTSIDE, 30.0, "wages")  # outgoing, whatever its name
    assert ledger.household_income.tolist() == [0.0, 0.0]
    assert ledger.household_cash.tolist() == [100.0, 70.0]


def test_an_int_household_pays_the_sum_of_an_array():
    ledger = books(2)
    ledger.pay(HouseholdAccounts(0), OUTSIDE, np.array([1.5, 2.5]), "other household spending")
    assert ledger.household_cash.tolist() == [96.0, 100.0]
    assert dict(ledger.outflows) == {"other household spending": 4.0}


def test_firm_rows_pay_by_row_and_book_the_mode():
    ledger = books()
    cash = np.array([10.0, 20.0, 30.0])
    rows = FirmRows(cash, np.array([2, 0, 2]), WORKSHOP)
    ledger.pay(rows, OUTSIDE, np.array([1.0, 2.0, 3.0]), "capital charge")
    assert cash.tolist() == [8.0, 20.0, 26.0]
    ledger.pay(OUTSIDE, FirmRows(cash, np.array([1]), WORKSHOP), np.array([5.0]), "subsidy")
    assert cash.tolist() == [8.0, 25.0, 26.0]
    assert dict(ledger.mode_books[WORKSHOP]) == {"capital charge": -6.0, "subsidy": 5.0}
    assert dict(ledger.mode_books[FACTORY]) == {}


def test_a_firm_list_settles_each_firm_its_own_amounts():
    ledger = books(3)
    firms = [Firm(0.0), Firm(0.0)]
    buyers = HouseholdAccounts(np.array([0, 1, 2]))
    sellers = FirmList(firms, np.array([1, 0, 1]), FACTORY)
    ledger.pay(buyers, sellers, np.array([10.0, 20.0, 30.0]), "sales")
    assert [f.cash for f in firms] == [20.0, 40.0]
    assert ledger.household_cash.tolist() == [90.0, 80.0, 70.0]
    ledger.pay(sellers, buyers, np.array([10.0, 0.0, 0.0]), "refunds")
    assert [f.cash for f in firms] == [20.0, 30.0]
    assert dict(ledger.mode_books[FACTORY]) == {"sales": 60.0, "refunds": -10.0}


def test_nothing_moves_when_the_amounts_sum_to_zero():
    ledger, firm = books(), Firm(5.0)
    ledger.pay(firm, OUTSIDE, 0.0, "overhead")
    ledger.pay(firm, OUTSIDE, np.zeros(3), "overhead")
    assert firm.cash == 5.0
    assert dict(ledger.outflows) == {} and dict(ledger.mode_books[FACTORY]) == {}


def test_money_identity_holds_for_true_books_and_fires_on_a_lost_dollar():
    ledger, firm = books(2, cash=50.0), Firm(100.0)
    ledger.open_books(firm.cash)
    assert ledger.initial_money == 200.0
    ledger.pay(OUTSIDE, HouseholdAccounts(slice(None)), np.array([3.0, 4.0]), "base income")
    ledger.pay(HouseholdAccounts(0), firm, 10.0, "sales")
    ledger.pay(firm, OUTSIDE, 2.0, "overhead")
    ledger.check_money(firm.cash, step=1)  # inside: +7 - 2 = +5 = net boundary inflow
    firm.cash -= 1.0  # a dollar lost outside the ledger
    with pytest.raises(IdentityViolation, match="money identity broken at step 2"):
        ledger.check_money(firm.cash, step=2)


def test_open_books_forgets_earlier_boundary_flows():
    ledger = books(1)
    ledger.pay(OUTSIDE, HouseholdAccounts(0), 5.0, "base income")
    ledger.open_books(0.0)
    assert ledger.initial_money == 105.0
    assert ledger.net_boundary_inflow() == 0.0
    ledger.check_money(0.0, step=0)


def test_goods_identity_balances_and_names_what_is_missing():
    goods = GoodsAccount("factory", made=10, sold=4, scrapped=1, liquidated=1)
    goods.check(in_stock=2, in_transit=1, in_process=1, step=3)  # 4 + 2 + 1 + 1 + 1 + 1 = 10
    with pytest.raises(IdentityViolation, match="factory mode at step 4: made 10 but"):
        goods.check(in_stock=1, in_transit=1, in_process=1, step=4)
    with pytest.raises(IdentityViolation, match="= 11"):
        goods.check(in_stock=3, in_transit=1, in_process=1, step=5)


def test_money_identity_tolerates_rounding_relative_to_the_money_in_the_model():
    """The tolerance is 1e-9 of the money in the model (or of the inflows, if larger): with
    $1e12 inside, a $1e-4 rounding error passes and a $1e4 hole does not."""
    ledger = books(1, cash=1e12)
    ledger.open_books(0.0)
    ledger.household_cash[0] += 1e-4
    ledger.check_money(0.0, step=1)
    ledger.household_cash[0] += 1e4
    with pytest.raises(IdentityViolation):
        ledger.check_money(0.0, step=2)
    small = books(1, cash=0.0)  # no money inside: the scale is at least $1
    small.open_books(0.0)
    small.household_cash[0] += 5e-10
    small.check_money(0.0, step=1)
    small.household_cash[0] += 5e-9
    with pytest.raises(IdentityViolation):
        small.check_money(0.0, step=2)


def test_books_add_up_over_repeated_payments_of_one_category():
    ledger, firm = books(), Firm(100.0)
    cash = np.array([10.0, 10.0])
    for _ in range(3):
        ledger.pay(firm, OUTSIDE, 2.0, "overhead")
        ledger.pay(FirmRows(cash, np.array([0, 1]), WORKSHOP), OUTSIDE, np.ones(2), "overhead")
        ledger.pay(OUTSIDE, FirmList([firm], np.array([0]), FACTORY), np.array([4.0]), "subsidy")
    assert dict(ledger.mode_books[FACTORY]) == {"overhead": -6.0, "subsidy": 12.0}
    assert dict(ledger.mode_books[WORKSHOP]) == {"overhead": -6.0}
    assert firm.cash == 100.0 - 6.0 + 12.0 and cash.tolist() == [7.0, 7.0]


def test_one_firm_pays_the_sum_of_an_array():
    ledger, firm = books(2), Firm(20.0)
    ledger.pay(firm, HouseholdAccounts(np.array([0, 1])), np.array([3.0, 4.0]), "refunds")
    assert firm.cash == 13.0 and isinstance(firm.cash, float)
    assert dict(ledger.mode_books[FACTORY]) == {"refunds": -7.0}


def test_a_firm_list_rejects_an_amount_for_a_firm_it_does_not_hold():
    ledger = books(2)
    with pytest.raises(ValueError, match="zip"):  # zip(strict=True) finds a second amount
        ledger.pay(OUTSIDE, FirmList([Firm(0.0)], np.array([0, 1]), FACTORY), np.ones(2), "subsidy")


def test_books_that_were_never_opened_start_from_no_money():
    ledger = books(2, cash=0.0)
    ledger.check_money(0.0, step=0)  # nothing inside, nothing across
    ledger.household_cash[0] += 1.0
    with pytest.raises(IdentityViolation):
        ledger.check_money(0.0, step=1)


def test_money_tolerance_scales_with_inflows_and_is_inclusive():
    """The scale is the largest of $1, the opening money and the inflows: with $1e6 of inflows
    a $1e-4 error passes although the model opened with no money; an error of exactly 1e-9 of
    a $1 scale passes, a little more does not."""
    ledger = books(1, cash=0.0)
    ledger.open_books(0.0)
    ledger.pay(OUTSIDE, HouseholdAccounts(0), 1e6, "base income")
    ledger.household_cash[0] += 1e-4
    ledger.check_money(0.0, step=1)
    edge = books(1, cash=0.0)
    edge.open_books(0.0)
    edge.household_cash[0] = 1e-9  # exactly the tolerance of a $1 scale
    edge.check_money(0.0, step=1)
    edge.household_cash[0] = 1.5e-9
    with pytest.raises(IdentityViolation):
        edge.check_money(0.0, step=2)


def test_a_payment_of_an_unknown_kind_is_refused_before_any_money_moves():
    """Categories are names: a typo would open a new book that nothing reads (the unit cost
    sums COSTS by name), so the ledger refuses any name outside CATEGORIES."""
    from abm.economy.ledger import CATEGORIES, COSTS, INCOME

    ledger, firm = books(), Firm(10.0)
    with pytest.raises(ValueError, match="unknown payment category 'overheads'"):
        ledger.pay(firm, OUTSIDE, 1.0, "overheads")
    assert firm.cash == 10.0 and dict(ledger.outflows) == {}
    assert INCOME <= CATEGORIES and set(COSTS) <= CATEGORIES

"""Capacity investment: the formulas against hand-worked numbers, the books of a module bought
and retired, and factories' capacity following demand in small real runs.

The runs are factories only (no workshops, no entry of either mode), so that what moves capacity
is the investment rule and nothing else; model.p is the run's parameter dict, and setting one of
its entries between steps (model.p["need_rate"] = 0.2) changes that parameter from the next day
on, which is how the runs change demand mid-run.
"""

import math

import pytest

from abm import ProductionEconomy
from abm.economy import capacity as investment
from abm.economy.production import normal_cost_price

# --------------------------------------------------------------------------------------------
# the formulas
# --------------------------------------------------------------------------------------------


def test_desired_capacity_runs_expected_demand_at_the_target_utilization():
    # 72 units a day at 80%: 72 / 0.8 = 90
    assert investment.desired_capacity(72.0, 0.8) == pytest.approx(90.0)
    assert investment.desired_capacity(0.0, 0.8) == 0.0
    with pytest.raises(ValueError, match="target_utilization=0"):
        investment.desired_capacity(72.0, 0.0)


@pytest.mark.parametrize(
    ("capacity", "desired", "module", "band", "modules"),
    [
        (100.0, 125.0, 10.0, 0.1, 3),  # gap 25 > 10: ceil(25 / 10) = 3, capacity 130 >= 125
        (100.0, 108.0, 10.0, 0.1, 0),  # gap 8 within the band of 0.1 x 100 = 10
        (100.0, 110.0, 10.0, 0.1, 0),  # gap 10: on the band's edge, still inside
        (100.0, 75.0, 10.0, 0.1, -2),  # gap -25: floor(25 / 10) = 2, capacity 80 >= 75
        (100.0, 85.0, 10.0, 0.1, -1),  # gap -15: floor(1.5) = 1
        (100.0, 95.0, 10.0, 0.0, 0),  # no band: 5 of excess is less than a module
        (1.0, 1.3, 0.1, 0.0, 3),  # 0.3 / 0.1 = 3.0000000000000004 in floats: 3, not 4
        (130.0, 125.0, 10.0, 0.0, 0),  # just grown by ceil: within a module above, stays
    ],
)
def test_modules_to_change(capacity, desired, module, band, modules):
    assert investment.modules_to_change(capacity, desired, module, band) == modules


def test_a_factory_that_has_grown_does_not_shed_at_the_next_review():
    """No flapping: for any desired capacity, growing by the modules asked for leaves the
    factory within one module above it, where no band asks for a retirement."""
    for desired in (101.0, 109.5, 110.0, 137.0, 250.0):
        grown = 100.0 + 10.0 * investment.modules_to_change(100.0, desired, 10.0, 0.0)
        assert investment.modules_to_change(grown, desired, 10.0, 0.0) == 0


@pytest.mark.parametrize(
    ("wanted", "installed", "most", "retired"),
    [
        (5, 100.0, 1, 1),  # one module at a review
        (5, 100.0, 3, 3),
        (2, 35.0, 5, 2),  # floor(35 / 10) - 1 = 2 may go: 15 left, more than one module
        (5, 35.0, 5, 2),
        (5, 20.0, 5, 1),  # two modules: one may go
        (5, 15.0, 5, 0),  # one and a half modules: the last one stays
        (0, 100.0, 5, 0),
    ],
)
def test_modules_to_retire_keeps_one_module(wanted, installed, most, retired):
    assert investment.modules_to_retire(wanted, installed, 10.0, most) == retired


def test_module_capital_is_the_six_tenths_increment():
    """C(K) = 1.5 M x (K / 100)^0.6.  0.8^0.6 = exp(0.6 ln 0.8) = exp(-0.1338861) = 0.8746896,
    0.9^0.6 = exp(-0.0632163) = 0.9387404: C(80) = 1,312,034, C(90) = 1,408,111, so ten units a
    day on a factory of 80 cost 96,076, about 0.6 x the plant's average of 1,312,034 / 80 =
    16,400 per unit a day (x 10 = 98,403; the curve bends over the module). Retiring them
    releases as much; two steps of ten from 80 cost C(100) - C(80) = 1,500,000 - 1,312,034."""
    args = (1_500_000.0, 100.0, 0.6)
    assert investment.module_capital(80.0, 10.0, *args) == pytest.approx(96_076, rel=1e-5)
    assert investment.module_capital(90.0, -10.0, *args) == pytest.approx(-96_076, rel=1e-5)
    two_steps = investment.module_capital(80.0, 10.0, *args) + investment.module_capital(
        90.0, 10.0, *args
    )
    assert two_steps == pytest.approx(187_966, rel=1e-5)


def test_the_stranded_loan_is_paid_like_capital_then_repaid_in_instalments():
    """365,000 over 10 years: 365,000 / 3,650 = 100 a day of principal; the first day's payment
    is interest 365,000 x 0.05 / 365 = 50 plus 100 = 150, the capital charge of 365,000
    (365,000 x (0.1 + 0.05) / 365 = 150). The last payment takes what is left."""
    assert investment.loan_instalment(365_000.0, 10.0) == pytest.approx(100.0)
    payment, principal = investment.loan_payment(365_000.0, 100.0, 0.05)
    assert (payment, principal) == (pytest.approx(150.0), pytest.approx(100.0))
    payment, principal = investment.loan_payment(60.0, 100.0, 0.05)
    assert principal == 60.0
    assert payment == pytest.approx(60.0 + 60.0 * 0.05 / 365)
    with pytest.raises(ValueError, match="life_years=0"):
        investment.loan_instalment(1.0, 0.0)


# --------------------------------------------------------------------------------------------
# one factory's books when it grows and shrinks
# --------------------------------------------------------------------------------------------


def one_factory(**overrides) -> ProductionEconomy:
    """One factory of exactly 100 units a day (the reference capacity: capital $1.5 M)."""
    return ProductionEconomy(
        rng=3,
        n_consumers=400,
        n_factories=1,
        n_workshops=0,
        workshop_entry_rate=0.0,
        firm_size_dispersion=0.0,
        factory_capacity=100.0,
        **overrides,
    )


def test_a_module_on_line_is_bought_on_a_loan_and_everything_follows_capacity():
    """Ten units a day on 100: 1.1^0.6 = exp(0.6 x 0.0953102) = 1.0588529, so the module costs
    1.5 M x 0.0588529 = 88,279, lent and paid to the builder on the same day (cash unchanged);
    the feedstock lot is 30 days x 110 x 1 kg, and the price spreads the fixed cost over 110."""
    model = one_factory()
    (factory,) = model.factories()
    cash = factory.cash
    factory.construction.append((model.steps, 10.0))
    factory.commission()
    assert factory.capacity == 110.0
    assert factory.capital == pytest.approx(1_588_279, rel=1e-6)
    assert model.ledger.inflows["investment loan"] == pytest.approx(88_279, rel=1e-5)
    assert model.ledger.outflows["capacity investment"] == model.ledger.inflows["investment loan"]
    assert factory.cash == pytest.approx(cash)
    assert factory.feedstock_lot == 30 * 110.0
    factory.set_price()
    p = model.p
    spread = normal_cost_price(
        factory.unit_cost(),
        factory.fixed_cost_per_day(),
        110.0,
        p["normal_utilization"],
        p["price_markup"],
    )
    assert factory.price == pytest.approx(spread)
    model.check_identities()


def test_a_retired_module_is_sold_at_salvage_and_the_rest_of_its_loan_is_paid_off():
    """Ten units a day off 100: C(100) - C(90) = 1,500,000 - 1,408,111 = 91,889 released, sold
    for 0.3 x 91,889 = 27,567, which repays that much of its loan at once (cash unchanged); the
    other 64,323 is paid off over 10 years: 64,323 x (0.1 + 0.05) / 365 = 26.43 on the first
    day. Staff is cut to what 90 units a day need at most: ceil(90 x 0.5 h / 8 h) = 6."""
    model = one_factory()
    (factory,) = model.factories()
    cash = factory.cash
    factory.retire(10.0)
    assert factory.capacity == 90.0
    assert factory.capital == pytest.approx(1_408_111, rel=1e-6)
    assert model.ledger.inflows["capital salvage"] == pytest.approx(27_567, rel=1e-4)
    assert model.ledger.outflows["loan repayment"] == model.ledger.inflows["capital salvage"]
    assert factory.cash == pytest.approx(cash)
    assert factory.stranded_loan == pytest.approx(64_323, rel=1e-4)
    assert factory.feedstock_lot == 30 * 90.0
    assert len(factory.workers) <= math.ceil(90.0 * factory.labour_per_unit() / 8.0)
    factory.service_stranded_loan()
    assert model.ledger.outflows["stranded capital"] == pytest.approx(26.43, rel=1e-3)
    assert factory.cash == pytest.approx(cash - 26.43, rel=1e-6)
    assert factory.stranded_loan == pytest.approx(64_323 - 64_323 / 3650, rel=1e-4)
    model.check_identities()


# --------------------------------------------------------------------------------------------
# capacity follows demand (factories only, one factory, no entry)
# --------------------------------------------------------------------------------------------

ALONE = dict(
    n_consumers=1000,
    n_workshops=0,
    workshop_entry_rate=0.0,
    n_factories=1,
    factory_entry_review_days=3650,
    firm_size_dispersion=0.0,
)
SHOCK, CALM, END = 241, 491, 730  # need rate doubled on day 241, back to 0.1 on day 491
TARGET = 0.8


def demand_shock_run(seed: int, rule: str) -> tuple[dict[int, float], object]:
    """One factory of 120 units a day for 1000 households (about 80 needs a day reach its
    stores); the need rate doubles from 0.1 to 0.2 on day 241 and halves back on day 491.
    Returns the capacity in business by day (0 once the factory has closed) and the per-day
    table."""
    model = ProductionEconomy(rng=seed, factory_capacity=120.0, capacity_rule=rule, **ALONE)
    capacity = {}
    for day in range(1, END + 1):
        if day == SHOCK:
            model.p["need_rate"] = 0.2
        if day == CALM:
            model.p["need_rate"] = 0.1
        model.step()
        capacity[day] = sum(factory.capacity for factory in model.factories())
    return capacity, model.dataframe()


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_capacity_follows_demand_up_and_down(seed):
    """Doubling the need rate raises the demand at the stores by about 35% (from about 80 to
    110 a day over the next 250 days: households' willingness to pay falls with the units they
    hold), and slowly, as needs accumulate. Measured, seeds 0-7: capacity was 100-110 on day
    240; the first modules came on line on day 390 in 7 seeds (shock, 29 days to the review on
    day 270, 120 days of construction), on day 420 in one (its forecast was still inside the
    band on day 270); by day 490 capacity was 120-150 (+2 to +4 modules). After the need rate
    halves back, the first review retires a module, then one a month, to 100-110 by day 730,
    where the demand of days 611-730 (79-84 a day) asks for 98-105 at 0.8: within the band
    (x 1.1) plus a module of rounding. Under the fixed rule capacity stays at 120, so every
    assertion on a change fails. ("Capacity or firm numbers fall", the issue says: in seed 2 the
    factory, left with 130 units a day for about 80 needs, runs three monthly reviews at a loss
    and exits voluntarily, and the capacity in business is then 0.)"""
    module, band = 10.0, 0.1
    capacity, df = demand_shock_run(seed, "target_utilization")
    before = capacity[SHOCK - 1]
    # up: on line within the construction delay plus two reviews, two modules by the calm
    assert capacity[SHOCK + 29 + 120 + 30] > before
    assert capacity[CALM - 1] >= before + 2 * module
    # down: capacity falls back toward what the calmer demand asks for
    desired = df.loc[611:END, "demand_factory"].mean() / TARGET
    assert capacity[END] < capacity[CALM - 1]
    assert capacity[END] <= desired * (1 + band) + module


def test_fixed_capacity_does_not_follow_demand():
    """The legacy rule: the same shock, and capacity stays what it was built."""
    capacity, _ = demand_shock_run(0, "fixed")
    # 120 while the factory is in business (0 once it has closed, if it does)
    assert set(capacity.values()) - {0.0} == {120.0}


def long_run(seed: int, rule: str) -> object:
    """One factory built too large: 160 units a day for about 85 needs a day (utilization 0.53);
    enough cash to survive two years of it under the fixed rule, and no voluntary exit (under
    the fixed rule its losses would close it within a quarter: the comparison needs it)."""
    model = ProductionEconomy(
        rng=seed,
        factory_capacity=160.0,
        factory_initial_cash=1e6,
        capacity_rule=rule,
        exit_loss_reviews=1000,
        **ALONE,
    )
    model.run_for(END)
    return model


def utilization(df, start: int, end: int) -> float:
    """Units made over capacity, summed over days start to end (the utilization column is each
    day's ratio)."""
    days = df.loc[start:end]
    return float((days["utilization_factory"] * days["capacity_factory"]).sum()) / float(
        days["capacity_factory"].sum()
    )


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_utilization_settles_near_the_target(seed):
    """The factory retires a module a month to 100 units a day (six modules of excess less the
    band: capacity 160 -> 100 by about day 180); in its second year units made over capacity
    were 0.76 to 0.83 in seeds 0-7 (fixed rule: 0.52 to 0.54). The tolerance is the band: with
    steady demand the rule leaves utilization anywhere in u*(1 - b) to u*(1 + b) = 0.72 to 0.88
    (demand / capacity within b of the target), so 0.8 +- 0.08; the fixed rule is far outside.
    The books show the retirements: salvage received, its loan repaid, the stranded loan paid."""
    model = long_run(seed, "target_utilization")
    df = model.dataframe()
    assert abs(utilization(df, 366, END) - TARGET) <= TARGET * model.p["capacity_band"]
    ledger = model.ledger
    assert ledger.inflows["capital salvage"] > 0
    assert ledger.outflows["loan repayment"] == pytest.approx(ledger.inflows["capital salvage"])
    assert ledger.outflows["stranded capital"] > 0
    assert ledger.mode_books[0]["stranded capital"] < 0  # a factory cost


def test_a_fixed_factory_built_too_large_stays_underused():
    model = long_run(0, "fixed")
    assert utilization(model.dataframe(), 366, END) < TARGET - 0.2
    assert model.ledger.inflows["capital salvage"] == 0
    assert model.ledger.outflows["capacity investment"] == 0

"""Entry of new firms (abm/economy/entry.py), pinned by hand-worked cases.

Workshops: every household with the stake in cash, no job and no workshop of its own considers
opening one (entry rate 1); it does when the mean recent yearly return of the workshops within
its reach is at least the hurdle. The returns are set through the workshops' cash-flow windows
(one day of net cash flow F and capital $365 give a yearly return of exactly F), and who enters
is worked out in the test from the map, not from the reach index.

Factories: investors divide the needs given up since the last review by the review's days and
build when that clears the minimum demand and the planned factory's return clears the hurdle.
With no wages and no feedstock a unit costs only its shipping, so the plan's price, margin and
return are hand-worked from the parameters (ODD §7.18, §7.23).
"""

import warnings

import numpy as np
import pytest

from abm import ProductionEconomy
from abm.economy import entry
from abm.economy.modes import FACTORY, WORKSHOP
from abm.economy.tally import Count

STAKE = 100.0
WORKSHOP_ECONOMY = dict(
    n_consumers=400,
    n_factories=0,
    n_workshops=2,
    grid_width=30,
    grid_height=30,
    workshop_reach=6.0,
    workshop_capital=365.0,
    workshop_initial_cash=STAKE,
    workshop_entry_rate=1.0,
    workshop_hurdle_return=0.15,
)


def workshop_economy(returns, seed=6, **overrides):
    """An economy whose live workshops show the yearly `returns` (one per workshop)."""
    model = ProductionEconomy(rng=seed, **{**WORKSHOP_ECONOMY, **overrides})
    arrays = model.workshop_arrays
    rows = arrays.live()
    assert len(rows) == len(returns)
    arrays.cash_flow[rows] = 0.0
    arrays.cash_flow[rows, 0] = returns  # one day of net cash flow F: F x 365 / $365 a year
    arrays.flow_days[rows] = 1
    return model


def within_reach(model, household: int) -> list[int]:
    """The live workshops' rows within workshop_reach of a household, from the map."""
    hh, arrays = model.households, model.workshop_arrays
    reach = model.p["workshop_reach"]
    return [
        int(r)
        for r in arrays.live()
        if np.hypot(hh.x[household] - arrays.x[r], hh.y[household] - arrays.y[r]) <= reach
    ]


def test_households_imitate_when_the_mean_return_within_reach_clears_the_hurdle():
    """Returns 0.30 and 0.0: a household that sees only the first enters, one that sees only the
    second does not, one that sees both (mean 0.15, exactly the hurdle) enters, one that sees
    none does not. Households with less than the stake, a job, or a workshop stay out."""
    model = workshop_economy(np.array([0.30, 0.0]))
    hh, arrays = model.households, model.workshop_arrays
    first, second = arrays.live().tolist()
    hh.cash[:] = 1000.0
    hh.cash[::7] = STAKE  # exactly the stake: enough
    hh.cash[1::7] = STAKE - 0.01
    hh.hire(np.arange(2, 400, 11), employer=99)
    owners = arrays.owner[arrays.live()].tolist()
    seen = {h: within_reach(model, h) for h in range(400)}
    eligible = [
        h for h in range(400) if hh.cash[h] >= STAKE and hh.employer[h] == -1 and h not in owners
    ]
    expected = sorted(
        h
        for h in eligible
        if seen[h] and np.mean([[0.30, 0.0][[first, second].index(r)] for r in seen[h]]) >= 0.15
    )
    kinds = {tuple(seen[h]) for h in eligible}
    assert {(first,), (second,), (first, second), ()} <= kinds  # every case occurs
    assert any(hh.cash[h] == STAKE for h in expected)
    before = set(arrays.owner[arrays.live()].tolist())
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a household with no workshop near divides 0 by 0
        entry.enter_workshops(model)
    entrants = sorted(set(arrays.owner[arrays.live()].tolist()) - before)
    assert entrants == expected
    assert model.tally.today[WORKSHOP, Count.ENTRIES] == len(expected)
    assert model.tally.today.sum() == len(expected)  # entries, and nothing else, were counted
    assert hh.owns_workshop[expected].all()


def test_one_workshop_and_one_candidate_are_enough():
    """A single live workshop with a return above the hurdle, a single household with the
    stake within its reach: that household enters."""
    model = workshop_economy(np.array([0.5]), n_workshops=1)
    hh, arrays = model.households, model.workshop_arrays
    (row,) = arrays.live().tolist()
    near = [h for h in range(400) if within_reach(model, h) == [row] and h != arrays.owner[row]]
    hh.cash[:] = 0.0
    hh.cash[near[0]] = STAKE
    entry.enter_workshops(model)
    assert arrays.owner[arrays.live()].tolist() == [arrays.owner[row], near[0]]


def test_two_neighbours_are_averaged_not_summed():
    """Returns 0.2 and 0.0 for a household that sees both: mean 0.1, below the hurdle 0.15 (a
    sum, or a sum times the count, would clear it)."""
    model = workshop_economy(np.array([0.2, 0.0]))
    hh, arrays = model.households, model.workshop_arrays
    both = [h for h in range(400) if len(within_reach(model, h)) == 2]
    assert both
    hh.cash[:] = 0.0
    hh.cash[both] = 1000.0
    hh.owns_workshop[arrays.owner[arrays.live()]] = True
    entry.enter_workshops(model)
    assert len(arrays.live()) == 2


def test_no_entry_draws_no_random_numbers_when_nobody_may_enter():
    """With an entry rate of 0 the rule returns before drawing, so the day's later draws are
    those of a model without entry."""
    model = workshop_economy(np.array([0.3, 0.3]), workshop_entry_rate=0.0)
    state = model.rng.bit_generator.state
    entry.enter_workshops(model)
    assert model.rng.bit_generator.state == state
    assert len(model.workshop_arrays.live()) == 2


# --- factories --------------------------------------------------------------------------------
# capacity 100 = reference capacity: capital K = $365,000; charge K (1/10 + 0)/365 = $100/day,
# overhead $50: fixed cost $150/day. Unit cost = shipping $10 (no wages, no feedstock).
# Price = 1.2 x (10 + 150 / (100 x 0.8)) = 1.2 x 11.875 = $14.25; margin $4.25 a unit.
FACTORY_ECONOMY = dict(
    n_consumers=200,
    n_factories=0,
    n_workshops=3,
    grid_width=20,
    grid_height=20,
    workshop_entry_rate=0.0,
    factory_capacity=100.0,
    reference_capacity=100.0,
    factory_reference_capital=365_000.0,
    factory_capital_life_years=10.0,
    interest_rate=0.0,
    factory_overhead_per_day=50.0,
    shipping_cost_per_unit=10.0,
    wage_per_hour=0.0,
    feedstock_per_unit=0.0,
    price_markup=0.2,
    normal_utilization=0.8,
    factory_entry_review_days=10,
    factory_entry_min_demand=0.3,
    stores_per_factory=2,
)


def planned_return(unmet_per_day: float) -> float:
    """The investors' yearly return, by hand: ((price - unit cost) x sales - fixed) x 365 / K."""
    sales = min(unmet_per_day, 100.0 * 0.8)
    return ((14.25 - 10.0) * sales - 150.0) * 365.0 / 365_000.0


def factory_economy(unmet_since_review: float, hurdle: float, unmet_before: float = 40.0):
    model = ProductionEconomy(rng=2, factory_hurdle_rate=hurdle, **FACTORY_ECONOMY)
    model.unmet_at_review = unmet_before
    model.unmet_total = unmet_before + unmet_since_review
    return model


@pytest.mark.parametrize(
    ("unmet", "hurdle", "builds"),
    [
        (400.0, 0.0, True),  # 40 a day: return (4.25 x 40 - 150) x 365 / 365,000 = 0.02
        (400.0, 0.021, False),  # ... which misses a hurdle of 0.021
        (900.0, 0.1899, True),  # 90 a day, sales capped at 80: (340 - 150) / 1000 = 0.19
        (900.0, 0.1901, False),  # (uncapped, 90 a day would promise 0.2325)
        (290.0, -1.0, False),  # 29 a day is below 0.3 x 100: no plan, whatever the return
        (310.0, -1.0, True),  # 31 a day clears it
    ],
)
def test_investors_build_when_unmet_needs_promise_the_hurdle(unmet, hurdle, builds):
    assert planned_return(90.0) == pytest.approx(0.19)
    model = factory_economy(unmet, hurdle)
    entry.enter_factories(model)
    assert len(model.factories()) == int(builds)
    assert model.unmet_at_review == model.unmet_total  # the next review counts afresh
    assert model.tally.today[FACTORY, Count.ENTRIES] == int(builds)
    assert model.tally.today.sum() == int(builds)  # the entry, and nothing else, was counted


def test_the_plan_is_the_hand_worked_factory():
    model = factory_economy(400.0, 0.0)
    entry.enter_factories(model)
    (factory,) = model.factories()
    assert factory.capital == pytest.approx(365_000.0)
    assert factory.price == pytest.approx(14.25)
    assert factory.unit_cost() == pytest.approx(10.0, rel=0.01)  # + carrying its stores' days
    assert planned_return(40.0) == pytest.approx(0.02)


def test_new_stores_open_empty_where_needs_go_unmet_sized_for_their_share():
    """Stores open at households with an open need, without stock, each expecting its share of
    the unmet needs a day (40 / 2 = 20)."""
    model = factory_economy(400.0, 0.0)
    hh = model.households
    hh.pending[:] = False
    hh.pending[[17, 123]] = True
    places = {model.cell_of(h).coordinate for h in (17, 123)}
    entry.enter_factories(model)
    stores = model.stores()
    assert len(stores) == 2
    for store in stores:
        assert store.cell.coordinate in places
        assert store.on_hand == 0
        assert store.demand_forecast.mean == pytest.approx(20.0)


def test_a_tiny_plan_still_counts_its_capital():
    """Capital $1.50 (a reference capital scaled to nothing) and shipping $0.001 a unit: the
    return is over $1.50, not over a floor of $2 (the floor of $1 only guards against dividing
    by zero). By hand: charge 1.5 x 0.1 / 365 a day, price 1.2 x (0.001 + charge / 80), margin
    at 40 a day (price - 0.001) x 40 - charge, return margin x 365 / 1.5 (about 1.91; over $2 it
    would be about 1.43)."""
    tiny = {
        **FACTORY_ECONOMY,
        "factory_reference_capital": 1.5,
        "factory_overhead_per_day": 0.0,
        "shipping_cost_per_unit": 0.001,
    }
    charge = 1.5 * 0.1 / 365.0
    price = 1.2 * (0.001 + charge / 80.0)
    expected = ((price - 0.001) * 40.0 - charge) * 365.0 / 1.5
    assert 1.8 < expected < 2.0
    for hurdle, builds in ((expected * 0.9, True), (expected * 1.01, False)):
        model = ProductionEconomy(rng=2, **{**tiny, "factory_hurdle_rate": hurdle})
        model.unmet_total = 400.0
        entry.enter_factories(model)
        assert len(model.factories()) == int(builds)
        if builds:
            assert model.factories()[0].capital == pytest.approx(1.5)

"""Prices that compete (abm.economy.pricing): the K+S markup rule against hand-worked numbers,
the floor at variable cost, the legacy fixed markup, and a price war in a small economy.

Hand-worked numbers use v = 0.04 (markup_sensitivity), a growth cap of 1 (a doubling) and
bounds [0, 1] unless a test says otherwise.
"""

import numpy as np
import pytest

from abm import ParameterError, ProductionEconomy
from abm.economy.parameters import validate
from abm.economy.pricing import floored_price, market_shares, revised_markups, share_growth
from tests.conftest import SMALL as CONFTEST_SMALL

V, CAP, LOW, HIGH = 0.04, 1.0, 0.0, 1.0


def revised(markup, now, before, low=LOW, high=HIGH):
    return float(revised_markups(markup, now, before, V, CAP, low, high))


# --- the rule ----------------------------------------------------------------------------------


def test_shares_of_units_sold():
    # 30 + 10 + 0 + 60 = 100 units
    assert market_shares(np.array([30, 10, 0, 60])) == pytest.approx([0.3, 0.1, 0.0, 0.6])
    assert np.isnan(market_shares(np.zeros(3))).all()  # nobody sold: no share is known


def test_markup_rises_with_share():
    # g = (0.30 - 0.25) / 0.25 = 0.2; mu = 0.2 x (1 + 0.04 x 0.2) = 0.2 x 1.008 = 0.2016
    assert revised(0.2, 0.30, 0.25) == pytest.approx(0.2016)


def test_markup_falls_with_share():
    # g = (0.10 - 0.40) / 0.40 = -0.75; mu = 0.2 x (1 - 0.03) = 0.194
    assert revised(0.2, 0.10, 0.40) == pytest.approx(0.194)
    # every customer lost: g = -1; mu = 0.2 x 0.96 = 0.192
    assert revised(0.2, 0.0, 0.30) == pytest.approx(0.192)


def test_unchanged_share_keeps_markup():
    assert revised(0.2, 0.3, 0.3) == pytest.approx(0.2)


def test_share_growth_is_capped():
    # g = (0.5 - 0.1) / 0.1 = 4, counted as 1: mu = 0.2 x 1.04 = 0.208
    assert revised(0.2, 0.5, 0.1) == pytest.approx(0.208)


def test_zero_previous_share():
    # sold nothing before, sells now: counted as the cap, a doubling: 0.2 x 1.04 = 0.208
    assert share_growth(0.05, 0.0, CAP) == 1.0
    assert revised(0.2, 0.05, 0.0) == pytest.approx(0.208)
    # sold nothing in either window: no change
    assert share_growth(0.0, 0.0, CAP) == 0.0
    assert revised(0.2, 0.0, 0.0) == 0.2


def test_unknown_share_keeps_markup():
    # a firm not in business for a whole window, or a window nobody sold in
    for now, before in ((0.3, np.nan), (np.nan, 0.3), (np.nan, 0.0), (0.0, np.nan)):
        assert np.isnan(share_growth(now, before, CAP))
        assert revised(0.2, now, before) == 0.2


def test_markup_stays_within_bounds():
    # 0.99 x 1.04 = 1.0296 > 1: held at markup_max = 1
    assert revised(0.99, 0.5, 0.1) == 1.0
    # 0.101 x 0.96 = 0.09696 < 0.1: held at markup_min = 0.1
    assert revised(0.101, 0.0, 0.3, low=0.1) == 0.1


def test_rule_works_on_arrays():
    markups = revised_markups([0.2, 0.2, 0.2], [0.3, 0.1, np.nan], [0.25, 0.4, 0.2], V, CAP, 0, 1)
    assert markups == pytest.approx([0.2016, 0.194, 0.2])


def test_opening_markup_must_lie_within_the_bounds():
    with pytest.raises(ParameterError, match=r"price_markup=0.5 must lie in .*\[0.0, 0.4\]"):
        validate({"price_markup": 0.5, "markup_max": 0.4})
    # the legacy rule does not use the bounds
    validate({"price_markup": 0.5, "markup_max": 0.4, "pricing_rule": "fixed_markup"})


# --- the floor ---------------------------------------------------------------------------------


def test_price_never_below_variable_cost():
    assert floored_price(50.0, 40.0) == 50.0  # a markup price above variable cost stands
    assert floored_price(30.0, 40.0) == 40.0  # below it: variable cost, no clearance sale
    # a subsidy of $15 a unit comes off the floor too: 40 - 15 = 25
    assert floored_price(30.0, 40.0, subsidy=15.0) == 25.0
    # and a subsidy above cost leaves the price floor: max(40 - 45, 0.01) = 0.01
    assert floored_price(30.0, 40.0, subsidy=45.0, price_floor=0.01) == 0.01


def test_firms_apply_the_floor():
    """Even a markup of -90% cannot take a price below variable cost: the factory's is its
    unit cost; a workshop's on day 0 is labour $37.50 + feedstock $19.07 = $56.57 (ODD §7.18),
    less a $10 subsidy = $46.57."""
    model = ProductionEconomy(rng=0, n_consumers=200, n_workshops=2, workshop_subsidy_per_unit=10)
    factory = model.factories()[0]
    factory.markup = -0.9
    factory.set_price()
    assert factory.price == factory.unit_cost()
    arrays = model.workshop_arrays
    rows = arrays.live()
    arrays.markup[rows] = -0.9
    arrays.set_prices(rows, model.steps)
    assert arrays.price[rows] == pytest.approx(56.57 - 10.0, abs=0.01)


# --- in the model -------------------------------------------------------------------------------

SMALL = CONFTEST_SMALL | {"markup_review_days": 28}  # the small economy, monthly reviews


def markups(model) -> np.ndarray:
    arrays = model.workshop_arrays
    return np.concatenate([[f.markup for f in model.factories()], arrays.markup[arrays.live()]])


def test_fixed_markup_keeps_every_markup_at_price_markup():
    """The legacy rule: reviews come and go, every markup stays price_markup; under the
    market-share rule the same run moves them. (Entry on the 0.3.1 rules, without voluntary
    exit: in this small economy every firm runs at a loss and, with voluntary exit, all have
    left by day 120, leaving no markup to look at.)"""
    legacy = ProductionEconomy(rng=3, pricing_rule="fixed_markup", entry_rule="legacy", **SMALL)
    legacy.run_for(120)  # four reviews
    assert (markups(legacy) == 0.2).all()
    assert legacy.dataframe()["markup_factory"].iloc[-1] == pytest.approx(0.2)
    competing = ProductionEconomy(rng=3, entry_rule="legacy", **SMALL)
    competing.run_for(120)
    assert (markups(competing) != 0.2).sum() >= 2


def test_each_review_shares_the_market_and_counts_afresh():
    """At a review the firms' shares of the window's units add up to one (no firm left or
    came in), and every count starts again from zero."""
    model = ProductionEconomy(
        rng=1, **{**SMALL, "workshop_entry_rate": 0.0, "bankruptcy_days": 999}
    )
    model.run_for(56)
    arrays = model.workshop_arrays
    rows = arrays.live()
    shares = [f.market_share for f in model.factories()] + arrays.market_share[rows].tolist()
    assert sum(shares) == pytest.approx(1.0)
    assert all(f.window_sales == 0 for f in model.factories())
    assert (arrays.window_sales[rows] == 0).all()


def test_newcomers_keep_their_opening_markup_until_two_whole_windows():
    """A workshop opened after the start of the last window has no share yet and keeps
    price_markup; one present for two whole windows has been revised (most have moved)."""
    # newcomers by the 0.3.1 imitation rule, which any return will do
    entry = {"entry_rule": "legacy", "workshop_entry_rate": 0.002, "workshop_hurdle_return": -1.0}
    model = ProductionEconomy(rng=2, **SMALL, **entry)
    model.run_for(84)  # a review day
    arrays = model.workshop_arrays
    rows = arrays.live()
    new = rows[arrays.opened_day[rows] > 84 - 2 * 28]
    assert len(new) > 0
    assert (arrays.markup[new] == 0.2).all()
    assert np.isnan(arrays.market_share[rows[arrays.opened_day[rows] > 84 - 28]]).all()
    old = rows[arrays.opened_day[rows] == 0]
    assert (arrays.markup[old] != 0.2).mean() > 0.5


# --- the price war ------------------------------------------------------------------------------

FACTORIES_ONLY = {
    "n_consumers": 1000,
    "n_factories": 3,
    "n_workshops": 0,
    "workshop_entry_rate": 0.0,
    "factory_entry_min_demand": 10.0,  # no investor ever sees that much unmet demand
    # entry and exit by the 0.3.1 rules (no voluntary exit): the rivals stay to show their
    # markups, where with voluntary exit a rival losing money for a quarter leaves
    "entry_rule": "legacy",
    "grid_width": 30,
    "grid_height": 30,
    "markup_review_days": 28,
    # capacity for life: a factory that grows or shrinks moves shares (and so markups) by itself,
    # and the test isolates what a rival's price cut does
    "capacity_rule": "fixed",
}
CUT_DAY, REVIEWS_AFTER = 56, 3


def price_war(seed: int, cut: bool) -> np.ndarray:
    """(market share, markup) of the three factories at the review on CUT_DAY and at each of
    the next reviews. With `cut`, on CUT_DAY the first factory's cumulative output is taken
    16-fold (a leap in learning: its labour per unit falls to 0.8^4 = 41%, its price by about a
    quarter)."""
    model = ProductionEconomy(rng=seed, **FACTORIES_ONLY)
    model.run_for(CUT_DAY)
    factories = model.factories()
    seen = [[(f.market_share, f.markup) for f in factories]]
    if cut:
        factories[0].experience *= 16
    for _ in range(REVIEWS_AFTER):
        model.run_for(FACTORIES_ONLY["markup_review_days"])
        seen.append([(f.market_share, f.markup) for f in factories])
    return np.array(seen)  # review x factory x (share, markup)


@pytest.mark.parametrize("seed", range(5))
def test_price_war_rivals_lose_share_and_cut_markups(seed):
    """When a rival's price falls, a firm's share falls and its markup follows within a few
    review periods; without the cut, markups do not move far from where they were."""
    war, peace = price_war(seed, cut=True), price_war(seed, cut=False)
    share, markup = war[..., 0], war[..., 1]
    rivals = [1, 2]
    # at the first review after the cut, every rival sold a smaller share and cut its markup
    assert (share[1, rivals] < share[0, rivals]).all()
    assert (markup[1, rivals] < markup[0, rivals]).all()
    # the price cutter's share grew, and so did its markup
    assert share[1, 0] > share[0, 0] and markup[1, 0] > markup[0, 0]
    # three reviews on, the rivals' markups are still below where they were, and below their
    # markups in the same economy without the cut
    assert markup[-1, rivals].mean() < markup[0, rivals].mean()
    assert markup[-1, rivals].mean() < peace[-1, rivals, 1].mean()
    # without the cut the rivals' markups drift (their shares move a little by chance), by less
    # than the cut moves them (seeds 0-4: drift up to 0.006 over the run, one review's fall
    # after the cut about 0.005)
    drift = np.abs(peace[-1, rivals, 1] - peace[0, rivals, 1]).mean()
    assert drift < markup[0, rivals].mean() - markup[-1, rivals].mean()

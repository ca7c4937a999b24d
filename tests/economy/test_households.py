"""Households' bulk behaviour against the law it stands for."""

import numpy as np
import pytest
from scipy import stats

from abm.economy.households import Households
from abm.economy.parameters import validate


def test_wear_out_breaks_each_unit_with_chance_one_over_lifetime():
    """Per household, breaks ~ Binomial(held, 1/lifetime): mean and variance match."""
    p = validate({"n_consumers": 40, "good_lifetime_days": 4.0})
    households = Households(p, np.random.default_rng(7))
    held = np.arange(40) % 9
    reps = 3000
    broken = np.empty((reps, 40))
    for r in range(reps):
        households.holdings[:] = held
        households.wear_out()
        broken[r] = held - households.holdings
    q = 1 / 4.0
    assert (broken >= 0).all() and (broken <= held).all()
    # mean within 4.5 standard errors per household; variance of the pooled count too
    se = np.sqrt(held * q * (1 - q) / reps)
    assert (np.abs(broken.mean(axis=0) - held * q) <= 4.5 * se + 1e-12).all()
    total = broken.sum(axis=1)
    expected_var = held.sum() * q * (1 - q)
    chi2 = (reps - 1) * total.var(ddof=1) / expected_var
    assert stats.chi2.cdf(chi2, reps - 1) > 1e-4 and stats.chi2.sf(chi2, reps - 1) > 1e-4


def households(n: int = 20_000, seed: int = 3, **overrides) -> Households:
    return Households(validate({"n_consumers": n, **overrides}), np.random.default_rng(seed))


def test_savings_and_tastes_are_mean_one_lognormal_draws_around_their_parameters():
    """Starting cash is initial_savings x LN(-s^2/2, s) with s = savings_dispersion, so its mean
    is initial_savings and the log-sd is s; each taste is its parameter x LN(-d^2/2, d), d =
    preference_dispersion. 20,000 draws: the means within 3% (about 6 standard errors of a
    log-sd 0.5 lognormal mean, 0.5%), the log-sds within 0.02."""
    hh = households(initial_savings=600.0, savings_dispersion=0.5, preference_dispersion=0.3)
    assert hh.cash.mean() == pytest.approx(600.0, rel=0.03)
    assert np.log(hh.cash).std() == pytest.approx(0.5, abs=0.02)
    for taste, mean in (
        (hh.logit_scale, 6.0),
        (hh.defect_hassle, 30.0),
        (hh.impatience, 1.5),
        (hh.mismatch_cost, 20.0),
    ):
        assert taste.mean() == pytest.approx(mean, rel=0.03)
        assert np.log(taste).std() == pytest.approx(0.3, abs=0.02)


def test_households_live_on_every_cell_of_the_map():
    hh = households(n=2_000, grid_width=7, grid_height=5)
    assert set(hh.x.tolist()) == set(range(7)) and set(hh.y.tolist()) == set(range(5))


def test_a_new_household_owes_nothing_and_needs_nothing():
    hh = households(n=50)
    assert hh.needs_today == 0 and hh.unmet_today == 0
    assert hh.healthy(np.arange(50)).all()  # nobody is injured before the first day
    assert not hh.pending.any() and not hh.awaiting.any() and hh.holdings.sum() == 0


def test_a_single_unit_held_with_a_one_day_life_breaks():
    hh = households(n=10, good_lifetime_days=1.0)
    hh.holdings[4] = 1
    hh.wear_out()
    assert hh.holdings.tolist() == [0] * 10


def test_receiving_moves_memory_by_the_learning_rate_and_reopens_returned_needs():
    """Memory 0.5 and rate 0.3: a defective unit moves it to 0.7 x 0.5 + 0.3 = 0.65, a good one
    to 0.35; the good unit is kept, the defective one's need reopens with waiting days 0."""
    hh = households(n=10, memory_learning_rate=0.3, prior_defect_belief=0.5)
    hh.waiting_days[:] = 6
    hh.turned_away[:] = True
    hh.receive(np.array([2, 3]), 1, np.array([True, False]))
    assert hh.defect_belief[2, 1] == pytest.approx(0.65)
    assert hh.defect_belief[3, 1] == pytest.approx(0.35)
    assert hh.defect_belief[2, 0] == hh.defect_belief[3, 0] == 0.5  # the other mode untouched
    assert hh.holdings[[2, 3]].tolist() == [0, 1]
    assert hh.pending[[2, 3]].tolist() == [True, False]
    assert hh.waiting_days[[2, 3]].tolist() == [0, 6]
    assert hh.turned_away[[2, 3]].tolist() == [False, False]
    assert hh.last_mode[[2, 3]].tolist() == [1, 1]


def test_word_of_mouth_at_rate_one_takes_the_neighbourhood_mean():
    hh = households(
        n=40, grid_width=5, grid_height=5, neighbourhood_cells=5, word_of_mouth_rate=1.0
    )
    hh.defect_belief[:, 0] = np.linspace(0.0, 1.0, 40)  # one neighbourhood: the whole map
    hh.spread_word_of_mouth()
    assert hh.defect_belief[:, 0] == pytest.approx(np.full(40, 0.5))


def test_only_households_with_neither_a_job_nor_a_workshop_are_free_to_hire():
    hh = households(n=10)
    hh.hire(np.array([1, 2]), employer=7)
    hh.open_workshop(3)
    hh.open_workshop(2)  # a worker who opens a workshop leaves the factory
    assert hh.available_workers().tolist() == [0, 4, 5, 6, 7, 8, 9]
    hh.close_workshop(3)
    hh.lay_off(np.array([1]))
    assert hh.available_workers().tolist() == [0, 1, 3, 4, 5, 6, 7, 8, 9]


def test_shoppers_carry_each_household_s_own_need():
    hh = households(n=10)
    hh.custom[[1, 4]] = True
    assert hh.shoppers(np.array([4, 0, 1])).custom.tolist() == [True, False, True]

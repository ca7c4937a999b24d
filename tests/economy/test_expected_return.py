"""The formulas of entry on expected return (abm/economy/expected_return.py), against numbers
worked by hand (the arithmetic is written out; nothing is computed with the code under test)."""

import math

import numpy as np
import pytest

from abm.economy.expected_return import (
    entry_probability,
    entry_scale_sales,
    expected_sales,
    price_weight,
    site_price,
    yearly_return,
)


def test_the_site_price_is_the_lowest_offer_or_where_none_is_seen_the_willingness_to_pay():
    """Lowest offers 40 and 50 against willingness to pay 80 and 45: 40, and 50 (the price to
    meet, even above what that household would pay: it is what the market asks); no offer
    seen: the willingness to pay, 72."""
    got = site_price(np.array([40.0, 50.0, np.nan]), np.array([80.0, 45.0, 72.0]))
    assert got.tolist() == [40.0, 50.0, 72.0]


def test_price_weights_are_logit_odds_against_the_lowest_price():
    """Scale 6: an offer at the lowest price weighs 1; $6 dearer exp(-1) = 0.36788; $12 dearer
    exp(-2) = 0.13534."""
    got = price_weight(np.array([46.0, 52.0, 58.0]), 46.0, 6.0)
    assert got == pytest.approx([1.0, 0.36788, 0.13534], abs=1e-5)


@pytest.mark.parametrize(
    ("needs", "given_up", "own", "rivals", "expected"),
    [
        (0.1, 0.02, 1, 3.0, 0.04),  # 0.02 + 0.08 x 1/4
        (0.1, 0.0, 1, 0.0, 0.1),  # no rival: all its needs
        (0.1, 0.3, 1, 3.0, 0.1),  # gives up more than it needs (smoothing): clipped to 0.1
        (0.1, -0.01, 1, 3.0, 0.025),  # below 0: clipped to 0, 0.1 x 1/4
        (0.1, 0.02, 3, 1.5, 0.02 + 0.08 * 3 / 4.5),  # three own offers, 1.5 weight of rivals
    ],
)
def test_expected_sales_are_the_needs_given_up_plus_a_share_of_the_rest(
    needs, given_up, own, rivals, expected
):
    assert expected_sales(needs, given_up, own, rivals) == pytest.approx(expected)


def test_expected_sales_work_on_arrays_entry_by_entry():
    got = expected_sales(np.array([0.1, 0.2]), np.array([0.0, 0.1]), np.array([1, 2]), 2.0)
    assert got == pytest.approx([0.1 / 3, 0.1 + 0.1 * 2 / 4])


def test_sales_are_capped_at_normal_output():
    """Capacity 80 at 80% normal utilization: 64 a day at most."""
    got = entry_scale_sales(np.array([70.0, 50.0]), 80.0, 0.8)
    assert got.tolist() == [64.0, 50.0]


def test_yearly_return_by_hand():
    """Price 50, variable cost 30, 10 a day, fixed $100 a day: (20 x 10 - 100) x 365 = $36,500
    a year on $73,000: 0.5. Five a day: (100 - 100) x 365 = 0. Two a day: -60 x 365 / 73,000 =
    -0.3."""
    got = yearly_return(50.0, 30.0, 100.0, np.array([10.0, 5.0, 2.0]), 73_000.0)
    assert got == pytest.approx([0.5, 0.0, -0.3])


def test_yearly_return_with_nothing_invested_is_unbounded_by_the_sign_of_profit():
    got = yearly_return(50.0, 30.0, 100.0, np.array([10.0, 5.0, 2.0]), 0.0)
    assert got.tolist() == [math.inf, 0.0, -math.inf]


@pytest.mark.parametrize(
    ("expected_return", "chance"),
    [
        (0.35, 0.5 * (1 - math.exp(-1))),  # excess 0.25 = one scale: 0.5 x 0.63212 = 0.31606
        (0.85, 0.5 * (1 - math.exp(-3))),  # three scales: 0.5 x 0.95021 = 0.47511
        (0.1, 0.0),  # at the hurdle
        (-2.0, 0.0),  # below it
        (math.inf, 0.5),  # bounded by the base rate
        (-math.inf, 0.0),
    ],
)
def test_entry_probability_rises_with_the_excess_return_to_the_base_rate(expected_return, chance):
    assert entry_probability(0.5, expected_return, 0.1, 0.25) == pytest.approx(chance)


def test_entry_probability_on_arrays():
    got = entry_probability(0.002, np.array([0.15, 0.4, 100.0]), 0.15, 0.25)
    assert got == pytest.approx([0.0, 0.002 * (1 - math.exp(-1)), 0.002])

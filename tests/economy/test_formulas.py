"""Tests for abm.economy.formulas against textbook numbers, plus property tests."""

from __future__ import annotations

import math
import re
from statistics import NormalDist

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from abm.economy import formulas as f

N01 = NormalDist()


# --------------------------------------------------------------------------------------------
# service level, EOQ
# --------------------------------------------------------------------------------------------


def test_z_for_service_level_known_values():
    assert f.z_for_service_level(0.5) == pytest.approx(0.0, abs=1e-12)
    assert f.z_for_service_level(0.95) == pytest.approx(1.644854, abs=1e-6)
    assert f.z_for_service_level(0.975) == pytest.approx(1.959964, abs=1e-6)
    assert f.z_for_service_level(0.05) == pytest.approx(-1.644854, abs=1e-6)


@given(st.floats(min_value=1e-6, max_value=1 - 1e-6))
def test_z_for_service_level_inverts_cdf(sl):
    assert N01.cdf(f.z_for_service_level(sl)) == pytest.approx(sl, abs=1e-9)


def test_eoq_snyder_shen_example():
    # Snyder & Shen (2019) Example 3.1 / stockpyl docs: K=8, h=0.225, D=1300.
    assert round(f.eoq(8, 1300, 0.225), 3) == 304.047
    assert round(f.eoq_annual_cost(8, 1300, 0.225), 3) == 68.411


def test_eoq_zero_demand():
    assert f.eoq(8, 0, 0.225) == 0.0
    assert f.eoq_annual_cost(8, 0, 0.225) == 0.0


@given(
    k=st.floats(min_value=0.01, max_value=1e4),
    d=st.floats(min_value=0.01, max_value=1e6),
    h=st.floats(min_value=0.01, max_value=1e3),
    factor=st.floats(min_value=0.1, max_value=10),
)
def test_eoq_minimises_annual_cost(k, d, h, factor):
    def cost(q):
        return k * d / q + h * q / 2

    q_star = f.eoq(k, d, h)
    assert cost(q_star) == pytest.approx(f.eoq_annual_cost(k, d, h), rel=1e-9)
    assert cost(q_star * factor) >= cost(q_star) * (1 - 1e-12)


# --------------------------------------------------------------------------------------------
# safety stock, reorder point, kanban
# --------------------------------------------------------------------------------------------


def test_safety_stock():
    assert f.safety_stock(2.0, 3.0, 4.0) == pytest.approx(12.0)
    assert f.safety_stock(1.64, 5.0, 0.0) == 0.0
    assert f.safety_stock(-1.0, 3.0, 4.0) == pytest.approx(-6.0)


def test_reorder_point_textbook():
    # d=2/day, L=12 days, sigma of lead-time demand 20, z=1.64 -> r = 24 + 32.8 = 56.8.
    r = f.reorder_point(2.0, 20.0 / math.sqrt(12.0), 12.0, 1.64)
    assert r == pytest.approx(56.8, abs=1e-9)


def test_reorder_point_with_lead_time_variability():
    # sigma_LTD = sqrt(L sd^2 + d^2 sd_L^2): L=12, sd_d=5, d=2, sd_L=1 -> sqrt(300 + 4) = 17.436
    assert f.lead_time_demand_sd(2.0, 5.0, 12.0, 1.0) == pytest.approx(math.sqrt(304.0))
    r = f.reorder_point(2.0, 5.0, 12.0, 1.645, lead_time_sd_days=1.0)
    assert r == pytest.approx(24.0 + 1.645 * math.sqrt(304.0))


def test_reorder_point_is_mean_plus_safety_stock():
    assert f.reorder_point(10, 3, 4, 1.5) == pytest.approx(40 + f.safety_stock(1.5, 3, 4))


def test_kanban_textbook():
    # D=480/day, L=1.5 days, alpha=0.15, C=40 -> 828/40 = 20.7 -> 21 cards.
    assert f.kanban_cards(480, 1.5, 0.15, 40) == 21


def test_kanban_float_noise_does_not_round_up():
    # 0.1 * 3 * 200 / 3 = 20.000000000000004 in floating point
    assert 0.1 * 3 * (1 + 0.0) * 200 / 3 != 20
    assert f.kanban_cards(0.1 * 3, 200, 0.0, 3) == 20
    assert f.kanban_cards(100, 1, 0.2, 6) == 20  # 120/6
    assert f.kanban_cards(100, 1, 0.2, 6.0001) == 20
    assert f.kanban_cards(100, 1, 0.2, 5.9999) == 21


def test_kanban_at_least_one():
    assert f.kanban_cards(0, 1, 0.1, 10) == 1
    assert f.kanban_cards(1, 0.1, 0, 100) == 1


@given(
    d=st.floats(min_value=0, max_value=1e4),
    lt=st.floats(min_value=0, max_value=30),
    alpha=st.floats(min_value=0, max_value=1),
    c=st.floats(min_value=0.5, max_value=500),
)
def test_kanban_covers_lead_time_demand(d, lt, alpha, c):
    n = f.kanban_cards(d, lt, alpha, c)
    need = d * lt * (1 + alpha)
    assert isinstance(n, int) and n >= 1
    assert n * c >= need * (1 - 1e-9)
    assert n == 1 or (n - 1) * c < need


# --------------------------------------------------------------------------------------------
# newsvendor
# --------------------------------------------------------------------------------------------


def _newsvendor_cost(s, mu, sd, h, p):
    """h*E[(S-D)+] + p*E[(D-S)+] for D ~ N(mu, sd^2), via the standard normal loss function."""
    z = (s - mu) / sd
    loss = N01.pdf(z) - z * (1 - N01.cdf(z))
    return h * (s - mu) + (h + p) * sd * loss


@pytest.mark.parametrize(
    ("mu", "sd", "h", "p", "s_star", "cost"),
    [
        (50, 8, 0.18, 0.70, 56.604, 1.998),  # Snyder & Shen Example 4.1
        (120, 10, 2, 18, 132.816, 35.100),  # stockpyl docs
    ],
)
def test_newsvendor_textbook(mu, sd, h, p, s_star, cost):
    assert round(f.newsvendor_base_stock(mu, sd, h, p), 3) == s_star
    assert round(_newsvendor_cost(f.newsvendor_base_stock(mu, sd, h, p), mu, sd, h, p), 3) == cost


def test_newsvendor_zero_sd():
    assert f.newsvendor_base_stock(100, 0, 1, 9) == 100


@given(
    mu=st.floats(min_value=-100, max_value=1000),
    sd=st.floats(min_value=0.1, max_value=100),
    h=st.floats(min_value=0.01, max_value=100),
    p=st.floats(min_value=0.01, max_value=100),
    delta=st.floats(min_value=-3, max_value=3),
)
def test_newsvendor_is_optimal(mu, sd, h, p, delta):
    s_star = f.newsvendor_base_stock(mu, sd, h, p)
    g_star = _newsvendor_cost(s_star, mu, sd, h, p)
    other = _newsvendor_cost(s_star + delta * sd, mu, sd, h, p)
    assert other >= g_star - 1e-9 * (1 + abs(g_star) + (h + p) * (abs(mu) + sd))


# --------------------------------------------------------------------------------------------
# learning curve, six-tenths rule
# --------------------------------------------------------------------------------------------


def test_learning_exponent():
    assert f.learning_exponent(0.8) == pytest.approx(0.321928, abs=1e-6)
    assert f.learning_exponent(1.0) == 0.0
    assert f.learning_exponent(0.5) == pytest.approx(1.0)


def test_unit_labour_doublings():
    c1 = 100.0
    assert f.unit_labour(c1, 1, 0.8) == pytest.approx(c1)
    assert f.unit_labour(c1, 2, 0.8) == pytest.approx(0.8 * c1)
    assert f.unit_labour(c1, 4, 0.8) == pytest.approx(0.64 * c1)
    assert f.unit_labour(c1, 8, 0.8) == pytest.approx(0.512 * c1)


def test_unit_labour_clips_below_one():
    assert f.unit_labour(100.0, 0, 0.8) == 100.0
    assert f.unit_labour(100.0, 0.5, 0.8) == 100.0


@given(
    c1=st.floats(min_value=0.01, max_value=1e4),
    n=st.floats(min_value=1, max_value=1e7),
    pr=st.floats(min_value=0.5, max_value=1.0),
)
def test_unit_labour_doubling_property(c1, n, pr):
    assert f.unit_labour(c1, 2 * n, pr) == pytest.approx(pr * f.unit_labour(c1, n, pr), rel=1e-9)
    assert f.unit_labour(c1, n, pr) <= c1 * (1 + 1e-12)


def test_six_tenths_doubling_and_splitting():
    assert f.six_tenths_capital(1.0, 1.0, 2.0) == pytest.approx(2**0.6)
    assert round(f.six_tenths_capital(1.0, 1.0, 2.0), 4) == 1.5157
    # ten plants of capacity S/10 versus one plant of capacity S
    one_big = f.six_tenths_capital(1e6, 100.0, 100.0)
    ten_small = 10 * f.six_tenths_capital(1e6, 100.0, 10.0)
    assert ten_small / one_big == pytest.approx(10**0.4)
    assert round(ten_small / one_big, 3) == 2.512


def test_six_tenths_other_exponent():
    assert f.six_tenths_capital(5.0, 2.0, 4.0, exponent=1.0) == pytest.approx(10.0)
    assert f.six_tenths_capital(5.0, 2.0, 0.0) == 0.0


# --------------------------------------------------------------------------------------------
# Shingo quality chain
# --------------------------------------------------------------------------------------------


def test_shingo_chain():
    assert f.defect_probability(0.035, 0.9) == pytest.approx(0.0035)


def test_shingo_chain_on_arrays():
    """Many producers at once (the workshops' path): elementwise, the same as one by one."""
    errors = np.array([0.035, 0.2, 1.0, 0.0])
    assert f.defect_probability(errors, 0.9) == pytest.approx([0.0035, 0.02, 0.1, 0.0])
    with pytest.raises(ValueError, match=r"error_probability=1.5 must be in \[0, 1\]"):
        f.defect_probability(np.array([0.1, 1.5]), 0.9)


@given(st.floats(0, 1), st.floats(0, 1))
def test_shingo_defects_never_exceed_errors(pe, py):
    assert 0 <= f.defect_probability(pe, py) <= pe


# --------------------------------------------------------------------------------------------
# rates
# --------------------------------------------------------------------------------------------


def test_injury_rates():
    assert f.injury_rate_per_hour(2.8) == pytest.approx(1.4e-5)
    assert f.injuries_per_100_fte(2.8, 200_000) == pytest.approx(2.8)
    assert f.injuries_per_100_fte(3, 0) == 0.0
    assert f.injury_rate_per_hour(2.8, hours_per_fte_year=1800) == pytest.approx(2.8 / 180_000)


@given(
    cases=st.floats(0, 100),
    hours_per_fte=st.floats(500, 4000),
    labour_hours=st.floats(1, 1e8),
)
def test_injury_round_trip(cases, hours_per_fte, labour_hours):
    rate = f.injury_rate_per_hour(cases, hours_per_fte)
    expected_injuries = rate * labour_hours
    back = f.injuries_per_100_fte(expected_injuries, labour_hours, hours_per_fte)
    assert back == pytest.approx(cases, rel=1e-9, abs=1e-12)


def test_per_million():
    assert f.per_million(3, 1_000_000) == pytest.approx(3.0)
    assert f.per_million(1, 250) == pytest.approx(4000.0)
    assert f.per_million(5, 0) == 0.0


# --------------------------------------------------------------------------------------------
# feedstock price, capital charge
# --------------------------------------------------------------------------------------------


def test_feedstock_unit_price_anchor_points():
    bulk, prem, q_half = 10.0, 0.5, 100.0
    assert f.feedstock_unit_price(0, bulk, prem, q_half) == pytest.approx(15.0)
    assert f.feedstock_unit_price(q_half, bulk, prem, q_half) == pytest.approx(12.5)
    assert f.feedstock_unit_price(1e12, bulk, prem, q_half) == pytest.approx(bulk, rel=1e-9)


@given(
    lot=st.floats(0, 1e6),
    extra=st.floats(1e-3, 1e6),
    bulk=st.floats(0.01, 1e4),
    prem=st.floats(0, 5),
    q_half=st.floats(0.1, 1e5),
)
def test_feedstock_unit_price_monotone_decreasing(lot, extra, bulk, prem, q_half):
    small = f.feedstock_unit_price(lot, bulk, prem, q_half)
    large = f.feedstock_unit_price(lot + extra, bulk, prem, q_half)
    assert large <= small
    assert bulk <= large <= bulk * (1 + prem)


def test_capital_charge_per_day():
    # 365,000 over 10 years at 5%: (36,500 + 18,250)/365 = 150 per day
    assert f.capital_charge_per_day(365_000, 10, 0.05) == pytest.approx(150.0)
    assert f.capital_charge_per_day(365_000, 10, 0.0) == pytest.approx(100.0)


# --------------------------------------------------------------------------------------------
# demand pattern
# --------------------------------------------------------------------------------------------


def test_demand_multiplier_80_20():
    values = [f.demand_multiplier(day, 5, 1, 4.0) for day in range(10)]
    assert values == pytest.approx([4, 0.25, 0.25, 0.25, 0.25] * 2)
    assert values[0] / sum(values[:5]) == pytest.approx(0.8)


def test_demand_multiplier_flat_and_extreme():
    assert all(f.demand_multiplier(d, 7, 2, 1.0) == pytest.approx(1.0) for d in range(14))
    assert all(f.demand_multiplier(d, 7, 0, 3.0) == pytest.approx(1.0) for d in range(14))
    p_max = f.max_peak_to_mean(7, 2)
    assert p_max == pytest.approx(3.5)
    assert [f.demand_multiplier(d, 7, 2, p_max) for d in range(7)] == pytest.approx(
        [3.5, 3.5, 0, 0, 0, 0, 0]
    )


@st.composite
def _valid_pattern(draw):
    cycle = draw(st.integers(2, 60))
    peak = draw(st.integers(0, cycle - 1))
    upper = cycle / peak if peak else 10.0
    ratio = draw(st.floats(1.0, upper))
    start = draw(st.integers(0, 10_000))
    return cycle, peak, ratio, start


@given(_valid_pattern())
def test_demand_multiplier_mean_is_one(args):
    cycle, peak, ratio, start = args
    first_day_of_cycle = start * cycle
    values = [f.demand_multiplier(first_day_of_cycle + i, cycle, peak, ratio) for i in range(cycle)]
    assert math.fsum(values) / cycle == pytest.approx(1.0, rel=1e-9)
    assert all(v >= 0 for v in values)
    assert values[:peak] == [ratio] * peak


@given(st.integers(2, 100), st.integers(1, 99))
def test_demand_multiplier_rejects_too_high_peak(cycle, peak):
    assume(peak < cycle)
    with pytest.raises(ValueError, match="peak_to_mean"):
        f.demand_multiplier(0, cycle, peak, cycle / peak * 1.01)


# --------------------------------------------------------------------------------------------
# validation messages
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("call", "name", "value"),
    [
        (lambda: f.z_for_service_level(1.0), "service_level", "1.0"),
        (lambda: f.z_for_service_level(0), "service_level", "0"),
        (lambda: f.eoq(8, 1300, -1), "holding_cost", "-1"),
        (lambda: f.eoq(-8, 1300, 1), "setup_cost", "-8"),
        (lambda: f.eoq_annual_cost(8, -1, 1), "annual_demand", "-1"),
        (lambda: f.safety_stock(1.6, -2, 4), "demand_sd_per_day", "-2"),
        (lambda: f.reorder_point(2, 1, -3, 1.6), "lead_time_days", "-3"),
        (lambda: f.kanban_cards(480, 1.5, 0.15, 0), "container_size", "0"),
        (lambda: f.kanban_cards(480, 1.5, -0.1, 40), "safety_factor", "-0.1"),
        (lambda: f.newsvendor_base_stock(50, 8, 0.18, 0), "stockout_cost", "0"),
        (lambda: f.newsvendor_base_stock(50, -8, 0.18, 0.7), "sd", "-8"),
        (lambda: f.learning_exponent(1.2), "progress_ratio", "1.2"),
        (lambda: f.learning_exponent(0), "progress_ratio", "0"),
        (lambda: f.unit_labour(-1, 5, 0.8), "first_unit_labour", "-1"),
        (lambda: f.six_tenths_capital(1, 0, 2), "reference_scale", "0"),
        (lambda: f.defect_probability(1.5, 0.9), "error_probability", "1.5"),
        (lambda: f.defect_probability(0.1, 2), "poka_yoke", "2"),
        (lambda: f.injury_rate_per_hour(2.8, 0), "hours_per_fte_year", "0"),
        (lambda: f.injuries_per_100_fte(-1, 100), "injuries", "-1"),
        (lambda: f.per_million(1, -5), "units", "-5"),
        (lambda: f.feedstock_unit_price(10, 5, 0.3, 0), "half_discount_lot", "0"),
        (lambda: f.capital_charge_per_day(1000, 0, 0.05), "life_years", "0"),
        (lambda: f.demand_multiplier(0, 5, 1, 0.5), "peak_to_mean", "0.5"),
        (lambda: f.demand_multiplier(0, 5, 1, 6.0), "peak_to_mean", "6.0"),
        (lambda: f.demand_multiplier(0, 5, 5, 1.0), "peak_days", "5"),
        (lambda: f.demand_multiplier(-1, 5, 1, 2.0), "day", "-1"),
        (lambda: f.max_peak_to_mean(5, 0), "peak_days", "0"),
        (lambda: f.eoq(8, float("nan"), 1), "annual_demand", "nan"),
        (lambda: f.eoq(8, float("inf"), 1), "annual_demand", "inf"),
    ],
)
def test_bad_inputs_raise_value_error_naming_argument(call, name, value):
    with pytest.raises(ValueError, match=rf"\b{re.escape(name)}={re.escape(value)} must be"):
        call()


def test_error_message_format():
    with pytest.raises(ValueError) as exc:
        f.eoq(8, 1300, -1)
    assert str(exc.value) == "holding_cost=-1 must be > 0"
    with pytest.raises(ValueError) as exc:
        f.z_for_service_level(1.5)
    assert str(exc.value) == "service_level=1.5 must be in (0, 1)"


def test_non_numbers_raise_type_error():
    with pytest.raises(TypeError, match="holding_cost"):
        f.eoq(8, 1300, "1")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="cycle_days"):
        f.max_peak_to_mean(7.0, 2)  # type: ignore[arg-type]


def test_expected_undershoot_of_daily_review():
    # Poisson(2) demand: E[D^2]/E[D] = (2 + 4)/2 = 3, so (3 - 1)/2 = 1 unit below r on average
    assert f.expected_undershoot(2.0, math.sqrt(2.0)) == pytest.approx(1.0)
    # unit demand every day never undershoots
    assert f.expected_undershoot(1.0, 0.0) == 0.0
    assert f.expected_undershoot(0.0, 0.0) == 0.0


def test_undershoot_variance():
    # Poisson(10): E[D^3]/(3E[D]) - (E[D^2]/(2E[D]))^2 = 130/3 - 5.5^2 = 13.083
    assert f.undershoot_variance(10.0, math.sqrt(10.0)) == pytest.approx(130 / 3 - 30.25)
    assert f.undershoot_variance(0.0, 0.0) == 0.0

"""Nothing is lost: the model checks goods and money every step, and the checks can fail."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from abm import ProductionEconomy
from abm.economy.ledger import IdentityViolation
from abm.economy.parameters import REPLENISHMENT_POLICIES, TASTE_SHOCKS

parameter_sets = st.fixed_dictionaries(
    {
        "n_consumers": st.integers(50, 400),
        "n_factories": st.integers(0, 3),
        "n_workshops": st.integers(1, 30),
        "grid_width": st.integers(8, 30),
        "grid_height": st.integers(8, 30),
        "need_rate": st.floats(0.0, 0.5),
        "custom_share": st.floats(0.0, 1.0),
        "error_probability": st.floats(0.0, 0.5),
        "poka_yoke": st.floats(0.0, 1.0),
        "inspection": st.floats(0.0, 1.0),
        "workshop_defect_multiplier": st.floats(0.0, 5.0),
        "injury_rate": st.floats(0.0, 50.0),
        "workshop_subsidy_per_unit": st.floats(0.0, 50.0),
        "subsidy_sunset_day": st.integers(0, 60),
        "bankruptcy_days": st.integers(1, 20),
        "factory_initial_cash": st.floats(0.0, 50_000.0),
        "workshop_initial_cash": st.floats(0.0, 500.0),
        "workshop_entry_rate": st.floats(0.0, 0.05),
        "factory_entry_review_days": st.integers(5, 30),
        "factory_entry_min_demand": st.floats(0.0, 0.5),
        "replenishment_policy": st.sampled_from(REPLENISHMENT_POLICIES),
        "shipping_lead_time": st.integers(0, 20),
        "peak_to_mean": st.floats(1.0, 3.0),
        "taste_shocks": st.sampled_from(TASTE_SHOCKS),
    }
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(params=parameter_sets, seed=st.integers(0, 2**32 - 1))
def test_identities_hold_for_random_valid_parameters(params, seed):
    model = ProductionEconomy(rng=seed, **params)
    model.run_for(60)  # raises IdentityViolation on any leak
    assert model.steps == 60


def test_lost_unit_is_caught_with_step_and_amounts(baseline_run):
    model = baseline_run
    model.goods[0].made += 1
    with pytest.raises(
        IdentityViolation,
        match=rf"goods identity broken for the factory mode at step {model.steps}",
    ):
        model.check_identities()
    model.goods[0].made -= 1


def test_created_money_is_caught(baseline_run):
    model = baseline_run
    model.households.cash[0] += 5.0
    with pytest.raises(
        IdentityViolation, match=r"money identity broken at step \d+.*difference 5\.0+\)"
    ):
        model.check_identities()
    model.households.cash[0] -= 5.0
    model.check_identities()

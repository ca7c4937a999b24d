"""Nothing is lost: the model checks goods and money every step, and the checks can fail."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from abm import ProductionEconomy
from abm.economy.ledger import IdentityViolation
from abm.economy.parameters import (
    CAPACITY_RULES,
    ENTRY_RULES,
    REPLENISHMENT_POLICIES,
    TASTE_SHOCKS,
    WORKSHOP_GROWTH_RULES,
)
from abm.economy.pricing import PRICING_RULES

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
        "pricing_rule": st.sampled_from(PRICING_RULES),
        "markup_sensitivity": st.floats(0.0, 1.0),
        "markup_min": st.floats(0.0, 0.2),  # around the default price_markup, 0.2
        "markup_max": st.floats(0.2, 3.0),
        "markup_share_growth_cap": st.floats(0.0, 5.0),
        "markup_review_days": st.integers(1, 30),
        "workshop_growth_rule": st.sampled_from(WORKSHOP_GROWTH_RULES),
        "workshop_max_stations": st.integers(1, 6),
        "workshop_growth_review_days": st.integers(1, 30),
        "workshop_growth_queue_days": st.floats(0.0, 10.0),
        "workshop_shrink_utilization": st.floats(0.0, 1.0),
        "workshop_station_setup_cost": st.floats(0.0, 2000.0),
        "workshop_helper_wage_per_hour": st.floats(0.0, 60.0),
        # capacity investment: short reviews and construction, so modules come and go in 60 days
        "factory_capacity": st.floats(5.0, 120.0),
        "capacity_rule": st.sampled_from(CAPACITY_RULES),
        "capacity_review_days": st.integers(1, 30),
        "capacity_module": st.floats(1.0, 40.0),
        "capacity_band": st.floats(0.0, 0.5),
        "capacity_retire_max": st.integers(1, 5),
        "capacity_salvage_share": st.floats(0.0, 1.0),
        "construction_days": st.integers(0, 30),
        "entry_rule": st.sampled_from(ENTRY_RULES),
        "entry_return_scale": st.floats(0.001, 2.0),
        "entry_factory_sites": st.integers(1, 5),
        "entry_factory_rate": st.floats(0.0, 1.0),
        "entry_demand_memory_days": st.integers(1, 60),
        "exit_review_days": st.integers(1, 30),
        "exit_loss_reviews": st.integers(1, 4),
        "workshop_hurdle_return": st.floats(-1.0, 2.0),
        "factory_hurdle_rate": st.floats(-1.0, 1.0),
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

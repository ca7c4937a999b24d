"""Replenishment policies order what their formulas say."""

import math

import pytest

from abm.economy.formulas import (
    eoq,
    expected_undershoot,
    kanban_cards,
    undershoot_variance,
    z_for_service_level,
)
from abm.economy.inventory import (
    DemandForecast,
    KanbanPolicy,
    OrderUpToPolicy,
    ReorderPointPolicy,
)
from tests.conftest import SMALL, run


def steady_forecast(mean: float, sd: float = 0.0, window: int = 10) -> DemandForecast:
    forecast = DemandForecast(window, mean)
    for i in range(window):
        forecast.record(mean + (sd if i % 2 else -sd))
    return forecast


def test_rq_orders_eoq_lots_at_the_reorder_point():
    policy = ReorderPointPolicy(order_cost=8.0, holding_cost_rate=0.225, service_level=0.95)
    forecast = steady_forecast(1300 / 365)
    policy.resize(forecast, lead_time=4.0, unit_cost=1.0)
    assert policy.lot_size == round(eoq(8.0, 1300, 0.225)) == 304
    d, sd = forecast.mean, forecast.sd
    spread = math.sqrt(4.0 * sd**2 + undershoot_variance(d, sd))
    z = z_for_service_level(0.95)
    assert policy.reorder_point == pytest.approx(4.0 * d + z * spread + expected_undershoot(d, sd))
    assert policy.order(policy.reorder_point + 1, forecast) == 0
    assert policy.order(policy.reorder_point, forecast) == 304
    assert policy.order(policy.reorder_point - 304.5, forecast) == 2 * 304


def test_kanban_never_lets_position_exceed_cards_times_container():
    policy = KanbanPolicy(container=40, safety_factor=0.15)
    forecast = steady_forecast(480.0)
    policy.resize(forecast, lead_time=1.5, unit_cost=1.0)
    assert policy.cards == kanban_cards(480, 1.5, 0.15, 40) == 21
    for position in range(0, 21 * 40 + 1, 7):
        order = policy.order(position, forecast)
        assert order % 40 == 0
        assert position + order <= 21 * 40
        assert position + order > 21 * 40 - 40


def test_order_up_to_tracks_the_moving_average():
    policy = OrderUpToPolicy(service_level=0.5)  # z = 0: S = (L + 1) * mean
    forecast = steady_forecast(10.0, window=5)
    policy.resize(forecast, lead_time=2.0, unit_cost=1.0)
    assert policy.order(0, forecast) == 30
    forecast.record(20.0)  # the 5-day average moves up by 2, S by 6, plus the day's demand
    assert policy.order(30 - 20, forecast) == 20 + 6
    assert math.isclose(policy.order_up_to_level(forecast), 36.0)


@pytest.mark.parametrize("policy", ["rq", "kanban", "order_up_to", "push"])
def test_every_policy_keeps_stores_supplied(policy):
    model = run(90, seed=2, replenishment_policy=policy, **SMALL)
    df = model.dataframe()
    assert df["units_sold_factory"].loc[30:].sum() > 0
    assert df["fill_rate_factory"].iloc[-1] > 0.6


def test_kanban_caps_store_inventory_position():
    model = run(60, seed=3, replenishment_policy="kanban", **SMALL)
    for store in model.stores():
        assert store.inventory_position() <= max(store.policy.wip_cap, store.on_hand)

"""Store replenishment policies: how a store turns its stock and demand into orders.

Each policy is sized at review points from the demand forecast (`resize`) and asked each day how
much to order given the store's inventory position (on hand + on order). Pull policies order
only when consumption has drawn stock down; push is handled by the factory's plan instead.
"""

from __future__ import annotations

import math
from collections import deque

import numpy as np

from abm.economy.formulas import (
    DAYS_PER_YEAR,
    eoq,
    expected_undershoot,
    kanban_cards,
    lead_time_demand_sd,
    undershoot_variance,
    z_for_service_level,
)


class DemandForecast:
    """Moving average of the last `window` days of demand, and the standard deviation of
    daily demand over the last `sd_window` days (a p-day window is too short to size safety
    stock on: five days give a very noisy sigma)."""

    def __init__(self, window: int, initial_mean: float, sd_window: int | None = None) -> None:
        self.window = window
        self.history: deque[float] = deque([initial_mean] * window, maxlen=window)
        self.longer: deque[float] = deque(maxlen=max(window, sd_window or window))
        self.longer.extend(self.history)

    def record(self, demand: float) -> None:
        self.history.append(demand)
        self.longer.append(demand)

    @property
    def mean(self) -> float:
        return float(np.mean(self.history))

    @property
    def sd(self) -> float:
        return float(np.std(self.longer, ddof=1)) if len(self.longer) > 1 else 0.0


class ReplenishmentPolicy:
    """Base: orders nothing. Subclasses size themselves at review and order each day."""

    name = "push"

    def resize(
        self,
        forecast: DemandForecast,
        lead_time: float,
        unit_cost: float,
        lead_time_sd: float = 0.0,
    ) -> None:
        """Recompute the policy's parameters from the demand forecast and the lead time."""

    def order(self, inventory_position: float, forecast: DemandForecast) -> int:
        """Units to order today."""
        return 0


class ReorderPointPolicy(ReplenishmentPolicy):
    """(r, Q): order lots of the EOQ whenever the inventory position is at or below r.

    r = d·L + E[U] + z·sqrt(σ_LTD² + Var(U)), where U is the undershoot of daily review below
    r, so that the share of replenishment cycles with a stock-out is 1 − Φ(z), as under
    continuous review.
    """

    name = "rq"

    def __init__(self, order_cost: float, holding_cost_rate: float, service_level: float):
        self.order_cost = order_cost
        self.holding_cost_rate = holding_cost_rate
        self.z = z_for_service_level(service_level)
        self.lot_size = 1
        self.reorder_point = 0.0

    def resize(self, forecast, lead_time, unit_cost, lead_time_sd=0.0):
        holding = max(self.holding_cost_rate * unit_cost, 1e-9)
        annual = forecast.mean * DAYS_PER_YEAR
        self.lot_size = max(1, round(eoq(self.order_cost, annual, holding)))
        d, sd = forecast.mean, forecast.sd
        spread = math.hypot(
            lead_time_demand_sd(d, sd, lead_time, lead_time_sd),
            math.sqrt(undershoot_variance(d, sd)),
        )
        self.reorder_point = d * lead_time + self.z * spread + expected_undershoot(d, sd)

    def order(self, inventory_position, forecast):
        if inventory_position > self.reorder_point:
            return 0
        lots = math.floor((self.reorder_point - inventory_position) / self.lot_size) + 1
        return lots * self.lot_size


class KanbanPolicy(ReplenishmentPolicy):
    """Kanban: N cards of C units; an emptied container sends its card back as an order."""

    name = "kanban"

    def __init__(self, container: float, safety_factor: float, fixed_cards: int = 0):
        self.container = int(container)
        self.safety_factor = safety_factor
        self.fixed_cards = fixed_cards
        self.cards = max(1, fixed_cards)

    def resize(self, forecast, lead_time, unit_cost, lead_time_sd=0.0):
        """Size the card count by Toyota's rule, unless it is fixed by parameter."""
        if self.fixed_cards:
            return
        self.cards = kanban_cards(forecast.mean, lead_time, self.safety_factor, self.container)

    @property
    def wip_cap(self) -> int:
        return self.cards * self.container

    def order(self, inventory_position, forecast):
        free_cards = math.floor((self.wip_cap - inventory_position) / self.container)
        return max(0, free_cards) * self.container


class OrderUpToPolicy(ReplenishmentPolicy):
    """Order-up-to with a p-day moving-average forecast, reviewed daily (Chen et al. 2000).

    S_t = (L + 1) * forecast_t + safety stock: the protection interval is the lead time plus
    the one-day review period. The safety stock z * sigma_LTD (lead-time variability included)
    is sized at review points, so between reviews the order is exactly
    D_t + ((L + 1)/p)(D_t - D_{t-p}), the rule whose bullwhip Chen et al. give in closed form.
    Negative orders are not allowed (no returns upstream).
    """

    name = "order_up_to"

    def __init__(self, service_level: float):
        self.z = z_for_service_level(service_level)
        self.protection = 1.0
        self.safety_stock = 0.0

    def resize(self, forecast, lead_time, unit_cost, lead_time_sd=0.0):
        self.protection = lead_time + 1.0
        spread = lead_time_demand_sd(forecast.mean, forecast.sd, self.protection, lead_time_sd)
        self.safety_stock = self.z * spread

    def order_up_to_level(self, forecast: DemandForecast) -> float:
        return self.protection * forecast.mean + self.safety_stock

    def order(self, inventory_position, forecast):
        return max(0, round(self.order_up_to_level(forecast) - inventory_position))


def make_policy(name: str, params: dict) -> ReplenishmentPolicy:
    """The replenishment policy called `name`, configured from the model parameters."""
    if name == "rq":
        return ReorderPointPolicy(
            params["order_cost"], params["holding_cost_rate"], params["service_level"]
        )
    if name == "kanban":
        return KanbanPolicy(
            params["kanban_container"], params["kanban_safety_factor"], params["kanban_cards"]
        )
    if name == "order_up_to":
        return OrderUpToPolicy(params["service_level"])
    return ReplenishmentPolicy()

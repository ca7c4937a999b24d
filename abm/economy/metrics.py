"""What is measured each day, by production mode, and the verdict at the end of a run.

`METRICS` names every column of the per-step table with its unit and meaning (documented in
docs/ODD.md); `measure` computes one row; `verdict` reads the table and says which modes survive.
"""

from __future__ import annotations

from collections import deque

import numpy as np
import pandas as pd

from abm.economy.formulas import DAYS_PER_YEAR, injuries_per_100_fte, per_million
from abm.economy.ledger import COSTS
from abm.economy.modes import MODES
from abm.economy.tally import Count

SHARE_WINDOW = 7  # days behind the trailing market shares and lead times
BULLWHIP_WINDOW = 91  # days behind the bullwhip ratio

_PER_MODE = {
    "units_sold": ("units/day", "units delivered to households and kept (returns deducted)"),
    "sales_value": ("$/day", "revenue net of refunds"),
    "share_units": ("share", f"share of units sold over the last {SHARE_WINDOW} days"),
    "share_value": ("share", f"share of sales value over the last {SHARE_WINDOW} days"),
    "active_firms": ("firms", "factories (with their stores) or workshops in business"),
    "entries": ("firms/day", "firms that entered today"),
    "bankruptcies": ("firms/day", "firms that went bankrupt today"),
    "exits": ("firms/day", "firms that closed voluntarily today, after a run of losses"),
    "price": ("$/unit", "mean posted price"),
    "markup": (
        "share",
        "mean markup over normal full unit cost of the firms in business (plain, not weighted)",
    ),
    "unit_cost": (
        "$/unit",
        "cash costs per unit made, cumulative (wages, feedstock, capital, ...)",
    ),
    "defects_made_ppm": ("per million", "defective units made per million made, cumulative"),
    "defects_caught_ppm": ("per million", "defects caught by inspection per million made"),
    "defects_escaped_ppm": ("per million", "defects that passed inspection per million made"),
    "defects_escaped": ("units", "defective units that passed inspection, cumulative"),
    "injuries": ("cases", "injuries at work, cumulative"),
    "injuries_per_100fte": ("cases/100 FTE/yr", "injuries per 100 full-time workers per year"),
    "waste_per_unit": ("kg/unit", "material scrapped per unit made, cumulative"),
    "waste_kg": ("kg", "material scrapped, cumulative"),
    "capital": ("$", "capital stock of active firms"),
    "capital_per_unit": (
        "$/(unit/yr)",
        "capital per unit of yearly output at the rate of the last verdict_window days",
    ),
    "capacity": ("units/day", "machine capacity today (workshops: what the stations' hours allow)"),
    "capacity_building": ("units/day", "capacity under construction, not yet on line"),
    "utilization": ("share", "units made today over machine capacity (workshops: stations' hours)"),
    "fill_rate": ("share", "share of demand served at once, cumulative (build-to-order: 1)"),
    "lost_sales": ("units/day", "needs turned away by an empty store (each need once)"),
    "demand": ("units/day", "needs that reached the mode's stores or workshops today (each once)"),
    "orders_upstream": ("units/day", "units the stores ordered from their factory today"),
    "lead_time": (
        "days",
        f"mean days from need to delivery (retries, queue, transit), last {SHARE_WINDOW} days",
    ),
    "inventory": ("units", "finished goods on hand in stores"),
    "in_transit": ("units", "goods shipped, not yet arrived"),
    "wip": ("units", "factory: finished units of unfinished lots; workshop: queued orders"),
    "bullwhip": ("ratio", f"var(orders upstream)/var(demand), last {BULLWHIP_WINDOW} days"),
    "employment": ("people", "factory workers, or workshop owners and their hired helpers"),
    "consumer_surplus": (
        "$/day",
        "willingness to pay plus taste for the offer minus price, of today's purchases, less the "
        "same amount for each purchase undone today (taste_shocks=daily: without the taste)",
    ),
    "subsidies": ("$/day", "subsidies paid today"),
}
_MARKET = {
    "needs": ("needs/day", "needs that arrived today"),
    "unmet_needs": ("needs/day", "needs given up after households' patience ran out"),
    "household_income": ("$/household/day", "mean household income today"),
    "money_inside": ("$", "cash held by households and firms"),
    "purchases_above_wtp": (
        "share",
        "share of today's purchases at a price above the buyer's willingness to pay plus its "
        "taste for the offer in $ (0 under taste_shocks=per_need, which forbids them; under "
        "daily the taste is the day's draw); nan on a day without purchases",
    ),
}

METRICS: dict[str, tuple[str, str]] = {
    f"{key}_{mode}": spec for key, spec in _PER_MODE.items() for mode in MODES
} | _MARKET


class History:
    """Trailing windows of daily figures that rates and ratios need."""

    def __init__(self) -> None:
        self.series: dict[str, deque] = {}

    def add(self, name: str, value: float, window: int) -> np.ndarray:
        series = self.series.setdefault(name, deque(maxlen=window))
        series.append(value)
        return np.asarray(series)


def measure(model) -> dict[str, float]:
    """One row of the per-step table."""
    history: History = model.history
    row: dict[str, float] = {}
    factories = model.factories()
    arrays = model.workshop_arrays
    rows = arrays.live()  # the workshops in business
    firms_by_mode = (  # (firms in business, their prices, their markups, their capital)
        (
            len(factories),
            [f.price for f in factories],
            [f.markup for f in factories],
            float(sum(f.capital for f in factories)),
        ),
        (
            len(rows),
            arrays.price[rows],
            arrays.markup[rows],
            model.p["workshop_capital"] * _workers(arrays, rows),
        ),
    )
    today_by_mode, total_by_mode = model.tally.today, model.tally.total
    units = [today_by_mode[m, Count.UNITS_SOLD] for m in range(len(MODES))]
    values = [today_by_mode[m, Count.SALES_VALUE] for m in range(len(MODES))]
    trailing_units = [history.add(f"u{m}", units[m], SHARE_WINDOW).sum() for m in range(2)]
    trailing_values = [history.add(f"v{m}", values[m], SHARE_WINDOW).sum() for m in range(2)]
    for m, mode in enumerate(MODES):
        today, total = today_by_mode[m], total_by_mode[m]
        active, prices, markups, capital = firms_by_mode[m]
        made = total[Count.MADE]
        row[f"units_sold_{mode}"] = units[m]
        row[f"sales_value_{mode}"] = values[m]
        row[f"share_units_{mode}"] = _share(trailing_units, m)
        row[f"share_value_{mode}"] = _share(trailing_values, m)
        row[f"active_firms_{mode}"] = active
        row[f"entries_{mode}"] = today[Count.ENTRIES]
        row[f"bankruptcies_{mode}"] = today[Count.BANKRUPTCIES]
        row[f"exits_{mode}"] = today[Count.EXITS]
        row[f"price_{mode}"] = float(np.mean(prices)) if active else np.nan
        row[f"markup_{mode}"] = float(np.mean(markups)) if active else np.nan
        costs = -sum(model.ledger.mode_books[m][c] for c in COSTS)
        row[f"unit_cost_{mode}"] = costs / made if made else np.nan
        row[f"defects_made_ppm_{mode}"] = per_million(total[Count.DEFECTS_MADE], made)
        row[f"defects_caught_ppm_{mode}"] = per_million(total[Count.DEFECTS_CAUGHT], made)
        row[f"defects_escaped_ppm_{mode}"] = per_million(total[Count.DEFECTS_ESCAPED], made)
        row[f"defects_escaped_{mode}"] = total[Count.DEFECTS_ESCAPED]
        row[f"injuries_{mode}"] = total[Count.INJURIES]
        row[f"injuries_per_100fte_{mode}"] = injuries_per_100_fte(
            total[Count.INJURIES], total[Count.LABOUR_HOURS]
        )
        row[f"waste_per_unit_{mode}"] = total[Count.WASTE_KG] / made if made else 0.0
        row[f"waste_kg_{mode}"] = total[Count.WASTE_KG]
        recent_made = history.add(f"made{m}", today[Count.MADE], model.p["verdict_window"]).mean()
        row[f"capital_{mode}"] = capital
        row[f"capital_per_unit_{mode}"] = (
            capital / (recent_made * DAYS_PER_YEAR) if recent_made else np.nan
        )
        row[f"capacity_{mode}"] = today[Count.CAPACITY]
        row[f"utilization_{mode}"] = (
            today[Count.MADE] / today[Count.CAPACITY] if today[Count.CAPACITY] else 0.0
        )
        demand = total[Count.DEMAND]
        row[f"fill_rate_{mode}"] = 1.0 - total[Count.LOST_SALES] / demand if demand else 1.0
        row[f"lost_sales_{mode}"] = today[Count.LOST_SALES]
        row[f"demand_{mode}"] = today[Count.DEMAND]
        row[f"orders_upstream_{mode}"] = today[Count.ORDERS_UPSTREAM]
        waited = history.add(f"lt{m}", today[Count.LEAD_TIME_DAYS], SHARE_WINDOW).sum()
        delivered = history.add(f"d{m}", today[Count.DELIVERIES], SHARE_WINDOW).sum()
        row[f"lead_time_{mode}"] = waited / delivered if delivered else np.nan
        row[f"bullwhip_{mode}"] = _variance_ratio(
            history.add(f"up{m}", today[Count.ORDERS_UPSTREAM], BULLWHIP_WINDOW),
            history.add(f"dem{m}", today[Count.DEMAND], BULLWHIP_WINDOW),
        )
        row[f"consumer_surplus_{mode}"] = float(model.households.surplus_today[m])
        row[f"subsidies_{mode}"] = today[Count.SUBSIDIES]
    stores = model.stores()
    row["inventory_factory"] = sum(s.on_hand for s in stores)
    row["inventory_workshop"] = 0
    row["in_transit_factory"] = sum(f.in_transit() for f in factories)
    row["in_transit_workshop"] = int(arrays.in_transit[rows].sum())
    row["wip_factory"] = sum(f.in_process() for f in factories)
    row["wip_workshop"] = int(arrays.queue_length[rows].sum())
    row["capacity_building_factory"] = sum(f.capacity_building() for f in factories)
    row["capacity_building_workshop"] = 0.0
    row["employment_factory"] = sum(len(f.workers) for f in factories)
    row["employment_workshop"] = _workers(arrays, rows)
    hh = model.households
    row["needs"] = float(model.households.needs_today)
    row["unmet_needs"] = hh.unmet_today
    row["household_income"] = float(hh.income_today.mean())
    row["money_inside"] = model.ledger.money_inside(model.firm_cash())
    bought = hh.purchases_today
    row["purchases_above_wtp"] = hh.purchases_above_today / bought if bought else np.nan
    return row


def _workers(arrays, rows: np.ndarray) -> int:
    """Workshops' stations: their owners and hired helpers, and as many machines."""
    return int(arrays.stations[rows].sum())


def _share(amounts: list[float], m: int) -> float:
    total = sum(amounts)
    return amounts[m] / total if total else np.nan


def _variance_ratio(orders: np.ndarray, demand: np.ndarray) -> float:
    if len(demand) < 2:
        return np.nan
    var_demand = float(np.var(demand, ddof=1))
    return float(np.var(orders, ddof=1)) / var_demand if var_demand > 0 else np.nan


HEADLINE = (
    "active_firms",
    "price",
    "unit_cost",
    "defects_escaped_ppm",
    "injuries_per_100fte",
    "waste_per_unit",
    "utilization",
    "fill_rate",
    "lead_time",
)


def verdict(df: pd.DataFrame, p: dict) -> dict:
    """Which modes survive, which dominates, and since which day.

    A mode survives if it still has firms and at least `survival_share` of the units sold over
    the last `verdict_window` days. It dominates if it sold the most units in that window; it
    has dominated since the first day from which its trailing-window share stayed above half.
    """
    window = p["verdict_window"]
    days = df.index[df.index > 0]
    sold = df.loc[days, [f"units_sold_{m}" for m in MODES]].to_numpy(dtype=float)
    if len(sold) == 0:
        return {"days": 0, "survivors": [], "dominant": None, "dominant_since_day": None}
    final = sold[-window:].sum(axis=0)
    total = final.sum()
    share = final / total if total else np.zeros(len(MODES))
    last = df.iloc[-1]
    survivors = [
        mode
        for m, mode in enumerate(MODES)
        if last[f"active_firms_{mode}"] > 0 and share[m] >= p["survival_share"] and total
    ]
    dominant = MODES[int(np.argmax(share))] if total else None
    since = None
    if dominant is not None:
        rolling = pd.DataFrame(sold).rolling(window, min_periods=1).sum().to_numpy()
        with np.errstate(invalid="ignore", divide="ignore"):
            lead = rolling[:, MODES.index(dominant)] / rolling.sum(axis=1) > 0.5
        if lead[-1]:
            behind = np.flatnonzero(~lead)
            since = int(days[behind[-1] + 1]) if len(behind) else int(days[0])
    headline = {
        mode: {"final_share": float(share[m])}
        | {key: _clean(last[f"{key}_{mode}"]) for key in HEADLINE}
        | {
            "entries_total": int(df[f"entries_{mode}"].sum()),
            "bankruptcies_total": int(df[f"bankruptcies_{mode}"].sum()),
            "subsidies_total": float(df[f"subsidies_{mode}"].sum()),
        }
        for m, mode in enumerate(MODES)
    }
    return {
        "days": int(days[-1]),
        "survivors": survivors,
        "dominant": dominant,
        "dominant_since_day": since,
        "by_mode": headline,
    }


def _clean(value) -> float | None:
    value = float(value)
    return None if np.isnan(value) else value

"""Prices that compete: each producer's markup follows its own market share, and its price is that
markup over its normal full unit cost, never below its variable unit cost.

The markup rule is that of the consumption-good firms of Dosi, Fagiolo and Roventini (2010,
"Schumpeter meeting Keynes", JEDC 34; also Dosi et al. 2013), the K+S model:

    mu_t = mu_{t-1} * (1 + v * (f_{t-1} - f_{t-2}) / f_{t-2}),

with f the firm's share of the units all firms sold in the last two review windows and v the
markup sensitivity. A firm that gains customers raises its margin; one that loses them cuts it.
Here the markup is also kept within [markup_min, markup_max], and a firm's relative share change
is counted at most as a `markup_share_growth_cap`-fold rise (so that a firm that sold nothing in
the window before, f_{t-2} = 0, has a defined, bounded change). Under `pricing_rule =
"fixed_markup"` every markup stays at `price_markup` (the rule of version 0.3.1).

Pure functions on arrays (one entry per firm); the firms call them (`CentralFactory`,
`WorkshopArrays`), the model's review phase says when.
"""

from __future__ import annotations

import numpy as np

PRICING_RULES = ("market_share", "fixed_markup")


def market_shares(units_sold: np.ndarray) -> np.ndarray:
    """Each firm's share of the units all the firms sold in a window (NaN for every firm when
    nobody sold anything: no share is known)."""
    units_sold = np.asarray(units_sold, dtype=float)
    total = units_sold.sum()
    if total == 0:
        return np.full(units_sold.shape, np.nan)
    return units_sold / total


def share_growth(share_now, share_before, cap: float) -> np.ndarray:
    """Relative change of a firm's market share from one window to the next,
    (f_{t-1} - f_{t-2}) / f_{t-2}, counted at most as `cap`.

    A share cannot fall below zero, so a fall is at least -1 (all customers lost). A firm that
    sold nothing in the window before and sells now has an infinite relative rise: it counts as
    `cap`; one that sold nothing in either window, as no change. NaN where either share is
    unknown (a firm not yet in business for a whole window, or a window without sales).
    """
    now = np.asarray(share_now, dtype=float)
    before = np.asarray(share_before, dtype=float)
    unknown = np.isnan(now) | np.isnan(before)
    with np.errstate(divide="ignore", invalid="ignore"):
        relative = (now - before) / before
    from_nothing = np.where(now > 0, cap, 0.0)
    growth = np.minimum(np.where(before > 0, relative, from_nothing), cap)
    return np.where(unknown, np.nan, growth)


def revised_markups(
    markup,
    share_now,
    share_before,
    sensitivity: float,
    cap: float,
    low: float,
    high: float,
) -> np.ndarray:
    """The K+S markup rule: mu_t = mu_{t-1} (1 + v g), g the share growth (`share_growth`),
    kept within [low, high]. A firm whose share growth is unknown keeps its markup (as the K+S
    code lets "just entered firms keep it")."""
    markup = np.asarray(markup, dtype=float)
    growth = share_growth(share_now, share_before, cap)
    revised = np.clip(markup * (1.0 + sensitivity * np.nan_to_num(growth)), low, high)
    return np.where(np.isnan(growth), markup, revised)


def floored_price(markup_price, variable_cost, subsidy=0.0, price_floor: float = 0.0):
    """The posted price: the markup price (markup over normal full unit cost), never below the
    variable unit cost, less the per-unit subsidy, and never below `price_floor`.

    No clearance sales: a firm that cannot sell at its variable cost does not sell below it (its
    stock waits, or it goes out of business). With markups of at least zero the floor is a guard,
    since the full unit cost is never below the variable cost. Scalars or arrays.
    """
    return np.maximum(np.maximum(markup_price, variable_cost) - subsidy, price_floor)


def reviewed_markups(p: dict, markup, share_now, share_before):
    """The markups after a review under the model's `pricing_rule`: the K+S rule with its
    parameters (`revised_markups`), or unchanged under "fixed_markup"."""
    if p["pricing_rule"] != "market_share":
        return markup
    return revised_markups(
        markup,
        share_now,
        share_before,
        p["markup_sensitivity"],
        p["markup_share_growth_cap"],
        p["markup_min"],
        p["markup_max"],
    )

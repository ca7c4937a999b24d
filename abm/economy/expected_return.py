"""Expected return on entry: what a potential entrant expects to sell at a site, the yearly
return that promises on the capital it would put in, and how likely it is then to enter.

Pure functions on scalars or numpy arrays (one entry per household, site or candidate); the
entry phase (`abm.economy.entry`) feeds them what the entrant sees: today's prices, the needs
of the households within its reach, and its own entry-scale costs. Nothing here knows which
production mode is which, or which is winning.

Sources: the entry decision as a comparison of expected profit with a hurdle rate, with entry
rising in the excess (Orr 1974, *Review of Economics and Statistics* 56(1):58-66; Geroski 1995,
*International Journal of Industrial Organization* 13(4):421-440); an entrant's sales as its
share of the market with the rivals already there, equal among equals (the symmetric-firms rule
of Bresnahan & Reiss 1991, *Journal of Political Economy* 99(5):977-1009), weighed by price as
the households' logit choice weighs it (McFadden 1974).
"""

from __future__ import annotations

import numpy as np

from abm.economy.formulas import DAYS_PER_YEAR


def site_price(lowest_offer_price, willingness_to_pay):
    """The price an entrant expects a household to pay: the lowest price among the offers it
    sees today (the price to meet); where it sees no offer (NaN), its willingness to pay for one
    more unit (what it pays at most)."""
    lowest = np.asarray(lowest_offer_price, dtype=float)
    return np.where(np.isnan(lowest), willingness_to_pay, lowest)


def price_weight(price, lowest_price, logit_scale):
    """How much of a household's choice an offer at `price` draws against one at the lowest
    price it sees, on price alone: the logit odds exp(-(price - lowest) / scale). An offer at
    the lowest price weighs 1; one a logit scale dearer, 1/e."""
    return np.exp(-(np.asarray(price) - lowest_price) / logit_scale)


def expected_sales(need_rate, given_up_rate, own_offers, rival_weight):
    """Units a day an entrant expects from one household: every need the household now gives
    up, plus its offers' share of the needs now served,

        u + (nu - u) * m / (w + m),    u = given_up_rate clipped to [0, nu],

    with nu the household's needs a day, m the entrant's offers within its reach (each at the
    lowest price the household sees) and w the price weights of the offers it sees today, of
    either mode alike (`price_weight`; w is their number when all ask the same price)."""
    given_up = np.clip(given_up_rate, 0.0, need_rate)
    own = np.asarray(own_offers, dtype=float)
    return given_up + (need_rate - given_up) * own / (rival_weight + own)


def entry_scale_sales(demand, capacity, normal_utilization):
    """Expected sales: the demand at the site, at most the entry-scale capacity run at normal
    utilization (the output at which its costs are reckoned)."""
    return np.minimum(demand, capacity * normal_utilization)


def yearly_return(price, variable_cost, fixed_cost_per_day, sales, investment):
    """Expected yearly return on the capital put in:

        ((price - variable cost) * sales - fixed cost a day) * 365 / investment.

    The fixed cost includes the capital charge (depreciation and interest), so the return is
    what the plan earns beyond the interest rate. With nothing invested, any profit is an
    infinite return and any loss an infinitely negative one (no profit: 0)."""
    profit = ((price - variable_cost) * sales - fixed_cost_per_day) * DAYS_PER_YEAR
    if investment > 0:
        return profit / investment
    return np.where(profit > 0, np.inf, np.where(profit < 0, -np.inf, 0.0))


def entry_probability(base_rate, expected_return, hurdle_rate, return_scale):
    """Chance of entry: the base rate times 1 - exp(-(R - h) / s) for an expected return R above
    the hurdle h, 0 at or below it. It rises with the excess return and is bounded by the base
    rate: an excess of s gives 1 - 1/e (63%) of it, 3s gives 95%."""
    excess = np.maximum(np.asarray(expected_return, dtype=float) - hurdle_rate, 0.0)
    return base_rate * -np.expm1(-excess / return_scale)

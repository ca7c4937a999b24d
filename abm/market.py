"""Consumer choice: a logit choice on perceived total cost among the offers a household can see.

Perceived cost of supplier j to household i:
    price_j + E[defect]_ij * (price_j + hassle_i) + impatience_i * lead_time_j
            + mismatch_i * [custom need and j makes only standard goods]
Household i buys from j with logit probability against the outside option of not buying, whose
value is the household's willingness to pay for one more unit. Done in bulk with numpy over the
(household, supplier) pairs within reach, never a Python loop over pairs.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.spatial import cKDTree

NO_CHOICE = -1
REACH_SLACK = 0.5  # cells added to the tree search radius before the exact distance test


@dataclass(frozen=True)
class Offers:
    """Everything households see of the suppliers today, one array entry per supplier."""

    x: np.ndarray
    y: np.ndarray
    reach: np.ndarray  # cells
    price: np.ndarray  # $
    lead_time: np.ndarray  # days
    mode: np.ndarray  # 0 factory store, 1 workshop
    makes_custom: np.ndarray  # bool
    defect_record: np.ndarray  # public returned-defect rate

    def __len__(self) -> int:
        return len(self.price)


@dataclass(frozen=True)
class Shoppers:
    """The households with an open need today and what drives their choice."""

    x: np.ndarray
    y: np.ndarray
    budget: np.ndarray  # cash at hand
    willingness_to_pay: np.ndarray
    logit_scale: np.ndarray
    defect_hassle: np.ndarray
    impatience: np.ndarray
    mismatch_cost: np.ndarray
    custom: np.ndarray  # bool: this need is for a custom good
    defect_belief: np.ndarray  # (n, 2) own + neighbours' memory per mode

    def __len__(self) -> int:
        return len(self.x)


def reachable_pairs(shoppers: Shoppers, offers: Offers) -> tuple[np.ndarray, np.ndarray]:
    """(shopper, offer) index pairs with the shopper inside the offer's reach and budget.

    A k-d tree per reach class finds the pairs, so the work grows with the pairs that exist
    (a few dozen per shopper), not with shoppers x offers. The order is the tree's: fixed for
    given inputs, so draws made along the pairs are reproducible.
    """
    shop_xy = np.column_stack([shoppers.x, shoppers.y])
    shop_tree = cKDTree(shop_xy)
    found_i, found_j = [], []
    for reach in np.unique(offers.reach):
        members = np.flatnonzero(offers.reach == reach)
        offer_tree = cKDTree(np.column_stack([offers.x[members], offers.y[members]]))
        near = shop_tree.sparse_distance_matrix(
            offer_tree, reach + REACH_SLACK, output_type="ndarray"
        )
        i, j = near["i"].astype(np.int64), members[near["j"]]
        dx, dy = shoppers.x[i] - offers.x[j], shoppers.y[i] - offers.y[j]
        keep = dx * dx + dy * dy <= reach * reach  # exact test, as the tree's is in floats
        found_i.append(i[keep])
        found_j.append(j[keep])
    i, j = np.concatenate(found_i), np.concatenate(found_j)
    affordable = offers.price[j] <= shoppers.budget[i]
    return i[affordable], j[affordable]


def perceived_cost(
    shoppers: Shoppers, offers: Offers, own_weight: float, i: np.ndarray, j: np.ndarray
) -> np.ndarray:
    """Perceived total cost in dollars of offer j[k] to shopper i[k], for each pair k."""
    belief = shoppers.defect_belief[i, offers.mode[j]]
    expected_defect = own_weight * belief + (1.0 - own_weight) * offers.defect_record[j]
    price = offers.price[j]
    mismatch = shoppers.mismatch_cost[i] * (shoppers.custom[i] & ~offers.makes_custom[j])
    return (
        price
        + expected_defect * (price + shoppers.defect_hassle[i])
        + shoppers.impatience[i] * offers.lead_time[j]
        + mismatch
    )


def choose(
    shoppers: Shoppers, offers: Offers, own_weight: float, rng: np.random.Generator
) -> np.ndarray:
    """Index of the offer each shopper picks, or NO_CHOICE (buy nothing today).

    Sampling uses the Gumbel-max trick: argmax of utility plus Gumbel noise is an exact draw
    from the multinomial logit, with the outside option (utility 0) as one more alternative.
    """
    n = len(shoppers)
    chosen = np.full(n, NO_CHOICE, dtype=np.int64)
    if n == 0 or len(offers) == 0:
        return chosen
    i, j = reachable_pairs(shoppers, offers)
    surplus = shoppers.willingness_to_pay[i] - perceived_cost(shoppers, offers, own_weight, i, j)
    utility = surplus / shoppers.logit_scale[i] + rng.gumbel(size=len(i))
    outside = rng.gumbel(size=n)
    best = np.full(n, -np.inf)
    np.maximum.at(best, i, utility)  # each shopper's best offer: ties have probability zero
    top = utility == best[i]
    chosen[i[top]] = j[top]
    chosen[best <= outside] = NO_CHOICE
    return chosen

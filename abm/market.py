"""Consumer choice: a logit choice on perceived total cost among the offers a household can see.

Perceived cost of supplier j to household i:
    price_j + E[defect]_ij * (price_j + hassle_i) + impatience_i * lead_time_j
            + mismatch_i * [custom need and j makes only standard goods]
Household i buys from j with logit probability against the outside option of not buying, whose
value is the household's willingness to pay for one more unit. Done in bulk with numpy: one
(households x suppliers) block at a time, never a Python loop over pairs.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

NO_CHOICE = -1
CHUNK = 4096  # households per block: bounds memory at (CHUNK x suppliers) floats


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


def perceived_cost(shoppers: Shoppers, offers: Offers, own_weight: float) -> np.ndarray:
    """(shoppers x offers) matrix of perceived total cost in dollars."""
    belief = shoppers.defect_belief[:, offers.mode]
    expected_defect = own_weight * belief + (1.0 - own_weight) * offers.defect_record[None, :]
    price = offers.price[None, :]
    mismatch = np.outer(shoppers.mismatch_cost * shoppers.custom, ~offers.makes_custom)
    return (
        price
        + expected_defect * (price + shoppers.defect_hassle[:, None])
        + np.outer(shoppers.impatience, offers.lead_time)
        + mismatch
    )


def visible(shoppers: Shoppers, offers: Offers) -> np.ndarray:
    """Offers within reach that the household can afford."""
    dx = shoppers.x[:, None] - offers.x[None, :]
    dy = shoppers.y[:, None] - offers.y[None, :]
    in_reach = dx * dx + dy * dy <= (offers.reach * offers.reach)[None, :]
    return in_reach & (offers.price[None, :] <= shoppers.budget[:, None])


def choose(
    shoppers: Shoppers, offers: Offers, own_weight: float, rng: np.random.Generator
) -> np.ndarray:
    """Index of the offer each shopper picks, or NO_CHOICE (buy nothing today).

    Sampling uses the Gumbel-max trick: argmax of utility plus Gumbel noise is an exact draw
    from the multinomial logit.
    """
    n = len(shoppers)
    chosen = np.full(n, NO_CHOICE, dtype=np.int64)
    if n == 0 or len(offers) == 0:
        return chosen
    for start in range(0, n, CHUNK):
        part = slice(start, min(start + CHUNK, n))
        block = Shoppers(*(getattr(shoppers, f)[part] for f in Shoppers.__dataclass_fields__))
        surplus = block.willingness_to_pay[:, None] - perceived_cost(block, offers, own_weight)
        utility = surplus / block.logit_scale[:, None]
        utility[~visible(block, offers)] = -np.inf
        utility += rng.gumbel(size=utility.shape)
        outside = rng.gumbel(size=len(block))
        best = np.argmax(utility, axis=1)
        buys = utility[np.arange(len(block)), best] > outside
        chosen[part] = np.where(buys, best, NO_CHOICE)
    return chosen

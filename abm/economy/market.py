"""Consumer choice: a logit choice on perceived total cost among the offers a household can see.

Perceived cost of supplier j to household i:
    price_j + E[defect]_ij * (price_j + hassle_i) + impatience_i * lead_time_j
            + mismatch_i * [custom need and j makes only standard goods]
Household i's utility of j is (willingness to pay_i - perceived cost_ij) / logit scale_i plus a
standard Gumbel taste shock e_ij; buying nothing today has utility e_i0; the household takes the
best. Under `taste_shocks=per_need` (the default) the shocks belong to the need: drawn once when
it arrives, as a hash of the need's key and the offer (`abm.economy.taste`), and kept on every
day it shops, so a need that waits re-evaluates today's offers (prices, lead times, records)
with the same tastes instead of drawing again; and no household buys at a price above its
willingness to pay plus its taste for the offer in $ (logit scale_i x e_ij): such offers are left
out, as unaffordable ones are. Under `taste_shocks=daily` (version 0.3.1) every shopper draws
fresh shocks every day, an exact draw from the multinomial logit each day. Done in bulk with
numpy over the (household, supplier) pairs within reach (found once per supplier,
`ReachIndex`), never a Python loop over pairs.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
from scipy.spatial import cKDTree

from abm.economy.taste import OUTSIDE_SLOT, offer_slot, taste_shock

NO_CHOICE = -1
REACH_SLACK = 0.5  # cells added to the tree search radius before the exact distance test
ROW_ROOM = 0.25  # spare slots in a household's row of the reach index, as a share of its offers
ROW_ROOM_MIN = 4  # ...and at least this many, so that new offers rarely move the rows
DEAD_SHARE = 0.25  # closed offers' share of the index's pairs at which the rows are laid out


@dataclass(frozen=True)
class Offers:
    """Everything households see of the suppliers today, one array entry per offer id
    (`ReachIndex`); entries of closed offers are never looked at."""

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

    budget: np.ndarray  # cash at hand
    willingness_to_pay: np.ndarray
    logit_scale: np.ndarray
    defect_hassle: np.ndarray
    impatience: np.ndarray
    mismatch_cost: np.ndarray
    custom: np.ndarray  # bool: this need is for a custom good
    defect_belief: np.ndarray  # (n, 2) own + neighbours' memory per mode
    taste_key: np.ndarray | None = None  # uint64 key of each need's shocks; None: daily draws

    def __len__(self) -> int:
        return len(self.budget)


@dataclass(frozen=True)
class Choice:
    """What each shopper chose, and how much it liked it beyond its perceived cost."""

    offer: np.ndarray  # offer id picked, or NO_CHOICE
    taste: np.ndarray  # $: logit scale x taste shock of the picked offer (nan if none)


class ReachIndex:
    """Which households each offer reaches, found once: households and sellers never move.

    The (household, offer) pairs within reach are held by household, each household's offers
    in the order the offers opened, so a day's pairs are gathered for the shoppers alone,
    without a search, and come out in one canonical order however the index grew. Each
    household's row keeps spare room (ROW_ROOM), so a new offer is written into the rows it
    reaches without moving the others; rows are laid out again only when one runs out of room
    or closed offers' pairs (`remove`) are DEAD_SHARE of the index.
    """

    def __init__(self, x: np.ndarray, y: np.ndarray) -> None:
        self.x, self.y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
        self.tree = cKDTree(np.column_stack([self.x, self.y]))
        n = len(self.x)
        self.start = np.zeros(n + 1, dtype=np.int64)  # row h: slots start[h]:start[h + 1]
        self.count = np.zeros(n, dtype=np.int64)  # row h: offer[start[h]:start[h] + count[h]]
        self.offer = np.empty(0, dtype=np.int64)
        self.alive = np.empty(0, dtype=bool)  # by offer id
        self.pair_count = np.empty(0, dtype=np.int64)  # by offer id
        self.dead_pairs = 0
        self.waiting: list[tuple[int, float, float, float]] = []  # opened, not yet indexed

    def __len__(self) -> int:
        """Offer ids handed out so far."""
        return len(self.alive)

    def add(self, x: float, y: float, reach: float) -> int:
        """Open an offer at (x, y) that reaches `reach` cells; returns its id. The index takes
        it in with the next `pairs` (or `take_in`), with every other offer opened meanwhile."""
        offer_id = len(self)
        self.alive = np.append(self.alive, True)
        self.pair_count = np.append(self.pair_count, 0)
        self.waiting.append((offer_id, x, y, reach))
        return offer_id

    def take_in(self) -> None:
        """Find the households within reach of every offer opened since the last time."""
        waiting = np.array([w for w in self.waiting if self.alive[w[0]]], dtype=float)
        self.waiting = []
        if len(waiting) == 0:
            return
        ids = waiting[:, 0].astype(np.int64)
        x, y, reach = waiting[:, 1], waiting[:, 2], waiting[:, 3]
        found_h, found_k = [], []
        for r in np.unique(reach):  # one tree search per reach (stores, workshops)
            members = np.flatnonzero(reach == r)
            k, h = self.within(x[members], y[members], r)
            found_h.append(h)
            found_k.append(members[k])
        h, k = np.concatenate(found_h), np.concatenate(found_k)
        order = np.argsort(h * len(ids) + k)  # by household, then by offer id (k is in id order)
        h, k = h[order], k[order]
        new = np.bincount(h, minlength=len(self.x))
        if np.any(self.count + new > np.diff(self.start)):
            self._lay_out(room_for=new)
        # new ids are the largest: written after each household's offers, order kept
        rank = np.arange(len(h)) - np.searchsorted(h, h)  # place among the household's new
        self.offer[self.start[h] + self.count[h] + rank] = ids[k]
        self.count += new
        self.pair_count[ids] = np.bincount(k, minlength=len(ids))

    def within(self, x: np.ndarray, y: np.ndarray, reach: float) -> tuple[np.ndarray, np.ndarray]:
        """(k, household) for every household within `reach` cells of the point (x[k], y[k])."""
        near = self.tree.query_ball_point(np.column_stack([x, y]), reach + REACH_SLACK)
        counts = np.fromiter(map(len, near), dtype=np.int64, count=len(near))
        h = np.fromiter(itertools.chain.from_iterable(near), dtype=np.int64, count=counts.sum())
        k = np.repeat(np.arange(len(near)), counts)
        dx, dy = self.x[h] - x[k], self.y[h] - y[k]
        keep = dx * dx + dy * dy <= reach * reach  # exact test, as the tree's is in floats
        return k[keep], h[keep]

    def _lay_out(self, room_for: np.ndarray) -> None:
        """Rows again: open offers only, with room for `room_for[h]` more in row h and spare."""
        h = np.repeat(np.arange(len(self.x)), self.count)
        offer = self.offer[_positions(self.start[:-1], self.count)]
        keep = self.alive[offer]
        h, offer = h[keep], offer[keep]
        self.count = np.bincount(h, minlength=len(self.x))
        needed = self.count + room_for
        room = needed + np.ceil(ROW_ROOM * needed).astype(np.int64) + ROW_ROOM_MIN
        self.start[1:] = np.cumsum(room)
        self.offer = np.empty(int(self.start[-1]), dtype=np.int64)
        self.offer[_positions(self.start[:-1], self.count)] = offer
        self.pair_count[~self.alive] = 0
        self.dead_pairs = 0

    def remove(self, ids) -> None:
        """Close offers: their pairs no longer count, and go when they are DEAD_SHARE of the
        index (each day's pairs are gathered with the dead ones, then sifted)."""
        ids = np.atleast_1d(ids)
        self.alive[ids] = False
        self.dead_pairs += int(self.pair_count[ids].sum())
        if self.dead_pairs > DEAD_SHARE * self.count.sum():
            self._lay_out(room_for=np.zeros_like(self.count))

    def pairs(self, households: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(k, offer id) for each open offer reaching households[k], grouped by k in order."""
        self.take_in()
        counts = self.count[households]
        k = np.repeat(np.arange(len(households)), counts)
        j = self.offer[_positions(self.start[households], counts)]
        if self.dead_pairs == 0:
            return k, j
        live = self.alive[j]
        return k[live], j[live]


def _positions(starts: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """starts[0], ..., starts[0] + counts[0] - 1, starts[1], ...: the slots of those rows."""
    ends = np.cumsum(counts)
    total = int(ends[-1]) if len(ends) else 0
    return np.repeat(starts - (ends - counts), counts) + np.arange(total)


def public_defect_record(returns, delivered, prior_belief: float, prior_units: float):
    """The defect rate all households see: returned defects per unit delivered, pulled toward a
    prior belief worth `prior_units` units (one firm's counts, or arrays of many firms')."""
    return (returns + prior_belief * prior_units) / np.maximum(delivered + prior_units, 1)


def expected_defect(own_belief, defect_record, own_weight: float):
    """The defect rate a shopper expects of an offer: its own memory of the offer's mode,
    weighed against the offer's public record."""
    return own_weight * own_belief + (1.0 - own_weight) * defect_record


def perceived_cost(price, expected_defect, defect_hassle, impatience, lead_time, mismatch):
    """Perceived total cost in dollars of an offer to a shopper (scalars, or arrays with one
    entry per pair): a defect costs the price again plus the hassle; waiting costs impatience
    per day of lead time; `mismatch` is what a standard good costs a custom need (else 0)."""
    cost = expected_defect * (price + defect_hassle)
    cost += price  # in place: over a day's pairs, each temporary costs as much as a sum
    cost += impatience * lead_time
    cost += mismatch
    return cost


def gumbel_noise(rng: np.random.Generator, size: int) -> np.ndarray:
    """Standard Gumbel draws as minus the log of exponential ones (the same law as
    `Generator.gumbel`, at half its cost: one logarithm a draw instead of two)."""
    draws = rng.standard_exponential(size)
    np.log(draws, out=draws)
    return np.negative(draws, out=draws)


def choose(
    shoppers: Shoppers,
    offers: Offers,
    own_weight: float,
    rng: np.random.Generator,
    pairs: tuple[np.ndarray, np.ndarray],
) -> Choice:
    """The offer each shopper picks (or NO_CHOICE: buy nothing today), with its taste for it.

    `pairs` are the (shopper, offer) pairs within reach, grouped by shopper
    (`ReachIndex.pairs`); an offer the shopper cannot afford is left out. The pick is the
    argmax of utility plus a Gumbel taste shock, against the outside option's shock (utility
    0). With `shoppers.taste_key` the shocks are the needs' own (`taste.taste_shock`, the same
    every day) and an offer priced above willingness to pay plus the taste in $ is left out
    too; without, they are drawn from `rng`, so the pick is an exact draw from the multinomial
    logit (the Gumbel-max trick).
    """
    n = len(shoppers)
    chosen = np.full(n, NO_CHOICE, dtype=np.int64)
    taste = np.full(n, np.nan)
    if n == 0 or len(offers) == 0:
        return Choice(chosen, taste)
    k, j = pairs
    counts = np.bincount(k, minlength=n)

    def each(values: np.ndarray) -> np.ndarray:  # a shopper's value on each of its pairs
        return np.repeat(values, counts)

    # what depends on the shopper or the offer alone is worked out once, then spread to pairs
    n_modes = shoppers.defect_belief.shape[1]
    own_part = expected_defect(shoppers.defect_belief, 0.0, own_weight).ravel()
    public_part = expected_defect(0.0, offers.defect_record, own_weight)
    defect = own_part[each(np.arange(0, n * n_modes, n_modes)) + offers.mode[j]]
    defect += public_part[j]
    custom_mismatch = np.where(shoppers.custom, shoppers.mismatch_cost, 0.0)
    price = offers.price[j]
    cost = perceived_cost(
        price,
        defect,
        each(shoppers.defect_hassle),
        each(shoppers.impatience),
        offers.lead_time[j],
        each(custom_mismatch) * ~offers.makes_custom[j],
    )
    willingness = each(shoppers.willingness_to_pay)
    scale = each(shoppers.logit_scale)
    utility = np.subtract(willingness, cost, out=cost)
    utility /= scale
    keys = shoppers.taste_key
    shock = gumbel_noise(rng, len(k)) if keys is None else taste_shock(each(keys), offer_slot(j))
    utility += shock
    utility[price > each(shoppers.budget)] = -np.inf
    outside = gumbel_noise(rng, n) if keys is None else taste_shock(keys, OUTSIDE_SLOT)
    starts = np.cumsum(counts) - counts
    best = np.full(n, -np.inf)  # each shopper's best offer; ties have probability 0
    shopping = counts > 0
    if len(k):
        best[shopping] = np.maximum.reduceat(utility, starts[shopping])
    top = np.flatnonzero(utility == each(best))  # a few per shopper: index, not mask, after
    if keys is not None:
        # The ceiling: no offer priced above what the shopper's tastes make it worth in $. The
        # best offer under it is the best of all wherever the pick is under it, so it is
        # checked on the picks, and only shoppers whose pick is above it and beats the outside
        # option choose again, among their offers under it.
        worth = shock[top] * scale[top]
        worth += willingness[top]
        over = (price[top] > worth) & (best[k[top]] > outside[k[top]])
        again = np.unique(k[top[over]])
        if len(again):
            rows = _positions(starts[again], counts[again])
            ceiling = shock[rows] * scale[rows]
            ceiling += willingness[rows]
            utility[rows[price[rows] > ceiling]] = -np.inf
            best[again] = np.maximum.reduceat(
                utility[rows], np.cumsum(counts[again]) - counts[again]
            )
            redone = np.zeros(n, dtype=bool)
            redone[again] = True
            picks = rows[utility[rows] == np.repeat(best[again], counts[again])]
            top = np.concatenate([top[~redone[k[top]]], picks])
    chosen[k[top]] = j[top]
    taste[k[top]] = shock[top] * scale[top]
    gone = best <= outside
    chosen[gone] = NO_CHOICE
    taste[gone] = np.nan
    return Choice(chosen, taste)

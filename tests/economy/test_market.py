"""The choice: pairs within reach found by the index, and logit shares against the formula."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from abm.economy.market import (
    NO_CHOICE,
    Offers,
    ReachIndex,
    Shoppers,
    choose,
    expected_defect,
    gumbel_noise,
    perceived_cost,
)


def brute_force_pairs(hx, hy, ox, oy, reach, alive, households):
    """Every (k, offer) with households[k] within reach of a live offer, by k then offer."""
    out = []
    for k, h in enumerate(households):
        for j in range(len(ox)):
            if alive[j] and (hx[h] - ox[j]) ** 2 + (hy[h] - oy[j]) ** 2 <= reach[j] ** 2:
                out.append((k, j))
    return out


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    n_households=st.integers(1, 60),
    n_offers=st.integers(1, 25),
    batches=st.integers(1, 4),
)
def test_reach_index_finds_exactly_the_pairs_within_reach_in_one_order(
    seed, n_households, n_offers, batches
):
    rng = np.random.default_rng(seed)
    hx, hy = rng.integers(0, 20, n_households), rng.integers(0, 20, n_households)
    ox, oy = rng.integers(0, 20, n_offers), rng.integers(0, 20, n_offers)
    reach = rng.choice([0.0, 1.0, 3.0, 7.5], n_offers)
    closed = rng.random(n_offers) < 0.3
    shoppers = rng.permutation(n_households)[: rng.integers(0, n_households + 1)]

    at_once = ReachIndex(hx, hy)  # every offer opened before the first query
    in_batches = ReachIndex(hx, hy)  # offers opened between queries, closed along the way
    for j in range(n_offers):
        assert at_once.add(ox[j], oy[j], reach[j]) == j
    cuts = np.array_split(np.arange(n_offers), batches)
    for cut in cuts:
        for j in cut:
            in_batches.add(ox[j], oy[j], reach[j])
        in_batches.pairs(shoppers)
        for j in cut[closed[cut]]:
            in_batches.remove(j)
    at_once.remove(np.flatnonzero(closed))

    expected = brute_force_pairs(hx, hy, ox, oy, reach, ~closed, shoppers)
    for index in (at_once, in_batches):
        k, j = index.pairs(shoppers)
        assert list(zip(k.tolist(), j.tolist(), strict=True)) == expected


def offers(price, lead_time=None, custom=None, record=None) -> Offers:
    n = len(price)
    custom = np.zeros(n, dtype=bool) if custom is None else np.asarray(custom)
    return Offers(
        price=np.asarray(price, dtype=float),
        lead_time=np.zeros(n) if lead_time is None else np.asarray(lead_time, dtype=float),
        mode=custom.astype(int),
        makes_custom=custom,
        defect_record=np.zeros(n) if record is None else np.asarray(record, dtype=float),
    )


def shoppers(n, wtp=100.0, budget=1e9, scale=10.0, keys=None) -> Shoppers:
    """Shoppers who see price alone (no defects, no waiting, standard needs); `keys`: their
    needs' taste keys (None: daily taste shocks)."""
    return Shoppers(
        budget=np.full(n, budget),
        willingness_to_pay=np.full(n, wtp),
        logit_scale=np.full(n, scale),
        defect_hassle=np.zeros(n),
        impatience=np.zeros(n),
        mismatch_cost=np.zeros(n),
        custom=np.zeros(n, dtype=bool),
        defect_belief=np.zeros((n, 2)),
        taste_key=keys,
    )


def all_pairs(n_shoppers, n_offers):
    k = np.repeat(np.arange(n_shoppers), n_offers)
    return k, np.tile(np.arange(n_offers), n_shoppers)


def test_choice_shares_are_the_multinomial_logit_with_an_outside_option():
    """P(j) = exp(v_j) / (1 + sum exp(v)), v = (wtp - price) / scale: the textbook logit."""
    n, prices, scale = 200_000, np.array([80.0, 90.0]), 10.0
    chosen = choose(
        shoppers(n, scale=scale), offers(prices), 1.0, np.random.default_rng(1), all_pairs(n, 2)
    ).offer
    v = np.exp((100.0 - prices) / scale)
    expected = np.append(v, 1.0) / (1.0 + v.sum())
    observed = [np.mean(chosen == 0), np.mean(chosen == 1), np.mean(chosen == NO_CHOICE)]
    assert np.allclose(observed, expected, atol=0.005)


def test_nobody_buys_what_is_out_of_reach_or_out_of_budget():
    n = 1000
    reach_nothing = (np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64))
    rng = np.random.default_rng(2)
    assert (choose(shoppers(n), offers([1.0]), 1.0, rng, reach_nothing).offer == NO_CHOICE).all()
    poor = shoppers(n, budget=50.0)
    assert (choose(poor, offers([60.0]), 1.0, rng, all_pairs(n, 1)).offer == NO_CHOICE).all()


def test_perceived_cost_adds_expected_defects_waiting_and_mismatch():
    """$100 price, 10% expected defects (half own memory, half public record), $20 hassle,
    3 days at $2 a day, a $10 mismatch: 100 + 0.1 * (100 + 20) + 3 * 2 + 10 = $128."""
    defect = expected_defect(own_belief=0.15, defect_record=0.05, own_weight=0.5)
    assert defect == pytest.approx(0.1)
    cost = perceived_cost(
        price=100.0,
        expected_defect=defect,
        defect_hassle=20.0,
        impatience=2.0,
        lead_time=3.0,
        mismatch=10.0,
    )
    assert cost == pytest.approx(128.0)
    assert perceived_cost(100.0, defect, 20.0, 2.0, 3.0, mismatch=0.0) == pytest.approx(118.0)


def test_gumbel_noise_has_the_standard_gumbel_law():
    draws = gumbel_noise(np.random.default_rng(3), 200_000)
    assert np.mean(draws) == pytest.approx(np.euler_gamma, abs=0.01)
    assert np.var(draws) == pytest.approx(np.pi**2 / 6, abs=0.02)
    below = np.mean(draws <= 1.0)
    assert below == pytest.approx(np.exp(-np.exp(-1.0)), abs=0.005)  # the Gumbel CDF at 1

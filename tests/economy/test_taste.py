"""Taste shocks that belong to the need (`taste_shocks=per_need`): the hash behind them, the
choice that keeps them while a need waits and never pays above willingness to pay plus taste,
and what that does in a real run, against the legacy daily draws (`taste_shocks=daily`).

Planted bugs the tests were seen to fail on (each planted in a scratch copy of abm/):
- the hash: a mix shift off by one (29 for 30); the outside option on the offers' first slot
  (also caught by the independence test); the uniform from the low 52 bits; the shock as
  the log of u (caught by the laws' test).
- the choice: the outside shock taken from the shopper's first pair; the ceiling without the
  taste (willingness to pay alone); per-need shocks drawn from a generator each day.
- the runs: the ceiling left out (purchases above under per_need); a returned unit's need
  given another key.
"""

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from abm import ProductionEconomy
from abm.economy.market import NO_CHOICE, Offers, choose
from abm.economy.taste import (
    GOLDEN_GAMMA,
    MIX_MULTIPLIERS,
    OUTSIDE_SLOT,
    offer_slot,
    splitmix64,
    taste_shock,
    taste_uniform,
)
from tests.economy.test_market import shoppers

MASK = 2**64 - 1

# ----------------------------------------------------------------------------------------------
# The hash: SplitMix64, value for value
# ----------------------------------------------------------------------------------------------


def reference_next(state: int) -> tuple[int, int]:
    """Vigna's splitmix64.c next(), in Python integers: (new state, output)."""
    state = (state + 0x9E3779B97F4A7C15) & MASK
    z = state
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
    return state, z ^ (z >> 31)


def test_constants_are_splitmix64s():
    """The increment is the odd integer nearest 2**64 / golden ratio = 2**63 (sqrt 5 - 1):
    isqrt(5 * 2**126) - 2**63 = 11400714819323198485 = 0x9E3779B97F4A7C15, odd. The two
    multipliers are those of Vigna's splitmix64.c (Stafford's Mix13)."""
    nearest = math.isqrt(5 << 126) - 2**63
    assert nearest == 11400714819323198485 == 0x9E3779B97F4A7C15
    assert int(GOLDEN_GAMMA) == nearest and nearest % 2 == 1
    assert [int(m) for m in MIX_MULTIPLIERS] == [0xBF58476D1CE4E5B9, 0x94D049BB133111EB]


def test_outputs_are_splitmix64s_reference_values():
    """The first four outputs from states 0 and 42, as printed by Vigna's C code
    (prng.di.unimi.it/splitmix64.c, compiled with gcc); the same from the Python-integer
    transcription above, and for keys near 2**64, where the sums wrap."""
    published = {
        0: [0xE220A8397B1DCDAF, 0x6E789E6AA1B965F4, 0x06C45D188009454F, 0xF88BB8A8724C81EC],
        42: [0xBDD732262FEB6E95, 0x28EFE333B266F103, 0x47526757130F9F52, 0x581CE1FF0E4AE394],
    }
    for key, outputs in published.items():
        got = splitmix64(np.full(4, key, dtype=np.uint64), np.arange(1, 5))
        assert [int(v) for v in got] == outputs
    keys = np.array([0, 42, 2**63 + 5, MASK], dtype=np.uint64)
    for key in keys.tolist():
        state, expected = key, []
        for _ in range(6):
            state, out = reference_next(state)
            expected.append(out)
        assert [int(v) for v in splitmix64(np.uint64(key), np.arange(1, 7))] == expected


def test_uniform_and_shock_by_hand():
    """Key 0, outside option (slot 1): output 0xE220A8397B1DCDAF; its top 52 bits m =
    0xE220A8397B1DC = 3978078226723292; u = (2m + 1) / 2**53 = 7956156453446585 / 2**53 =
    0.88331080821364...; the shock -log(-log u) = -log(0.1240781...) = 2.0868437... Offer id 3
    takes slot 5 (the fifth output)."""
    m = 0xE220A8397B1DCDAF >> 12
    assert m == 0xE220A8397B1DC == 3978078226723292
    u = (2 * m + 1) / 2**53
    assert 2 * m + 1 == 7956156453446585
    assert u == pytest.approx(0.8833108082136, abs=1e-12)
    assert taste_uniform(np.uint64(0), OUTSIDE_SLOT)[0] == u  # exact: no rounding on the way
    assert taste_shock(np.uint64(0), OUTSIDE_SLOT)[0] == pytest.approx(-math.log(-math.log(u)))
    assert -math.log(u) == pytest.approx(0.1240781, abs=1e-7)
    assert -math.log(-math.log(u)) == pytest.approx(2.0868437, abs=1e-7)
    assert offer_slot(np.array([0, 3])).tolist() == [2, 5]
    state = 0
    for _ in range(5):
        state, fifth = reference_next(state)
    expected = (2 * (fifth >> 12) + 1) / 2**53
    assert taste_uniform(np.uint64(0), offer_slot(3))[0] == expected


def test_uniforms_and_shocks_have_their_laws():
    """Across needs (keys from a seeded generator, one slot) and across offers (one key, many
    slots): the uniforms pass Kolmogorov-Smirnov against U(0, 1) and the shocks against the
    standard Gumbel (mean Euler's gamma 0.5772, variance pi^2/6 = 1.6449). Fixed seeds, so
    the p-values are fixed numbers (seen: 0.77, 0.20 and 0.77)."""
    keys = np.random.default_rng(7).integers(0, MASK, 200_000, dtype=np.uint64, endpoint=True)
    across_needs = taste_uniform(keys, 9)
    across_offers = taste_uniform(np.uint64(12345), np.arange(2, 200_002))
    for u in (across_needs, across_offers):
        assert (u > 0).all() and (u < 1).all()
        assert stats.kstest(u, "uniform").pvalue > 0.01
    shocks = taste_shock(keys, 9)
    assert stats.kstest(shocks, "gumbel_r").pvalue > 0.01
    assert shocks.mean() == pytest.approx(np.euler_gamma, abs=0.01)  # sd of the mean 0.003
    assert shocks.var() == pytest.approx(np.pi**2 / 6, abs=0.03)


def test_shocks_are_independent_across_offers_and_the_outside_option():
    """For 100,000 needs: the shocks of neighbouring offers (ids 0 and 1), of two far apart,
    and of an offer and the outside option are uncorrelated (|r| < 4 / sqrt(n) = 0.0126), and
    the uniforms of offers 0 and 1 fill a 10 x 10 grid evenly (chi-square test of independence);
    so do neighbouring keys (k and k + 1) at one offer."""
    n = 100_000
    keys = np.random.default_rng(8).integers(0, MASK, n, dtype=np.uint64, endpoint=True)
    first, second = taste_shock(keys, offer_slot(0)), taste_shock(keys, offer_slot(1))
    far, outside = taste_shock(keys, offer_slot(5000)), taste_shock(keys, OUTSIDE_SLOT)
    for a, b in ((first, second), (first, far), (first, outside), (second, outside)):
        assert abs(np.corrcoef(a, b)[0, 1]) < 4 / math.sqrt(n)
    neighbours = taste_uniform(keys + np.uint64(1), offer_slot(0))
    for b in (taste_uniform(keys, offer_slot(1)), neighbours):
        a = taste_uniform(keys, offer_slot(0))
        table = np.histogram2d(a, b, bins=10, range=[[0, 1], [0, 1]])[0]
        assert stats.chi2_contingency(table).pvalue > 0.01


# ----------------------------------------------------------------------------------------------
# The choice with a need's own shocks
# ----------------------------------------------------------------------------------------------


def offers(prices) -> Offers:
    n = len(prices)
    return Offers(
        price=np.asarray(prices, dtype=float),
        lead_time=np.zeros(n),
        mode=np.zeros(n, dtype=int),
        makes_custom=np.zeros(n, dtype=bool),
        defect_record=np.zeros(n),
    )


def every_pair(n_shoppers, offer_ids):
    k = np.repeat(np.arange(n_shoppers), len(offer_ids))
    return k, np.tile(np.asarray(offer_ids), n_shoppers)


def random_keys(n, seed):
    return np.random.default_rng(seed).integers(0, MASK, n, dtype=np.uint64, endpoint=True)


def test_a_waiting_need_keeps_its_shock_for_an_offer_as_prices_and_offers_change():
    """Day 1: offer 0 at $20, the only one. Day 2: offer 0 at $30 and a new offer 1 at $500
    (nobody takes it). Willingness to pay $1000: everybody buys offer 0 both days, with the
    same taste for it, 10 x the shock of (key, slot 2). Daily draws give other tastes."""
    n = 2000
    keys = random_keys(n, 1)
    day1 = choose(
        shoppers(n, keys=keys, wtp=1000),
        offers([20.0]),
        0.5,
        np.random.default_rng(0),
        every_pair(n, [0]),
    )
    day2 = choose(
        shoppers(n, keys=keys, wtp=1000),
        offers([30.0, 500.0]),
        0.5,
        np.random.default_rng(1),
        every_pair(n, [0, 1]),
    )
    assert (day1.offer == 0).all() and (day2.offer == 0).all()
    np.testing.assert_array_equal(day1.taste, day2.taste)
    np.testing.assert_array_equal(day1.taste, 10.0 * taste_shock(keys, offer_slot(0)))
    daily = [
        choose(
            shoppers(n, wtp=1000), offers([20.0]), 0.5, np.random.default_rng(s), every_pair(n, [0])
        )
        for s in (0, 1)
    ]
    assert np.mean(daily[0].taste == daily[1].taste) < 0.01


def test_a_need_whose_outside_shock_beats_every_offer_does_not_buy_while_offers_stay():
    """Two offers at $95 and $100, willingness to pay $100, scale $10. With the need's own
    shocks the same offers give the same choice on each of 14 days: who did not buy on day 1
    never buys, and who bought buys the same offer. With daily draws most of the day-1
    non-buyers buy on some later day (V = 0.5 and 0: each day's chance of buying is
    (e^0.5 + 1) / (1 + e^0.5 + 1) = 2.6487 / 3.6487 = 0.726, so all but 0.274^13 buy within 14
    days). With the need's own shocks 1/3.6487 = 0.274 stay out, a little more where no offer
    is worth its price: (1 - 0.274) x e^-3.6487 = 0.019 more."""
    n, days = 5000, 14
    prices, pairs = offers([95.0, 100.0]), every_pair(n, [0, 1])
    keys = random_keys(n, 2)
    own = [choose(shoppers(n, keys=keys), prices, 0.5, None, pairs).offer for _ in range(days)]
    for chosen in own[1:]:
        np.testing.assert_array_equal(chosen, own[0])
    assert 0.2 < np.mean(own[0] == NO_CHOICE) < 0.6  # the case is not empty (seen: 0.29)
    rng = np.random.default_rng(3)
    daily = np.array([choose(shoppers(n), prices, 0.5, rng, pairs).offer for _ in range(days)])
    stayed_out = daily[0] == NO_CHOICE
    bought_later = (daily[1:, stayed_out] != NO_CHOICE).any(axis=0)
    assert bought_later.mean() > 0.95  # seen: all


def test_no_purchase_above_willingness_to_pay_plus_taste_and_its_shares_by_hand():
    """Offers at $100 and $105, willingness to pay $100, scale $10: V = 0 and -0.5. Leaving out
    offers priced above wtp + 10 x shock removes exactly the draws where the best utility M
    (a Gumbel at log S, S = 1 + e^0 + e^-0.5 = 2.60653) is below 0, independent of which
    alternative is best: P(j) = e^V_j / S x (1 - e^-S), 1 - e^-S = 1 - 0.07379 = 0.92621; so
    0.38365 x 0.92621 = 0.35534 and 0.23270 x 0.92621 = 0.21553, nothing 0.42913 (the plain
    logit's: 0.38365, 0.23270, 0.38365). 200,000 needs:
    each share's sd is at most 0.0011, the tolerance 0.005. Every buyer's price is at most
    wtp + taste; with daily draws some are above."""
    n = 200_000
    prices, pairs = offers([100.0, 105.0]), every_pair(n, [0, 1])
    own = choose(shoppers(n, keys=random_keys(n, 4)), prices, 0.5, None, pairs)
    s = 1 + 1 + math.exp(-0.5)
    assert s == pytest.approx(2.60653, abs=1e-5)
    buys = 1 - math.exp(-s)
    expected = [1 / s * buys, math.exp(-0.5) / s * buys, 1 - (s - 1) / s * buys]
    assert expected == pytest.approx([0.35534, 0.21553, 0.42913], abs=1e-5)
    observed = [np.mean(own.offer == 0), np.mean(own.offer == 1), np.mean(own.offer == NO_CHOICE)]
    assert observed == pytest.approx(expected, abs=0.005)
    bought = own.offer != NO_CHOICE
    assert (prices.price[own.offer[bought]] <= 100.0 + own.taste[bought]).all()
    daily = choose(shoppers(n), prices, 0.5, np.random.default_rng(5), pairs)
    bought = daily.offer != NO_CHOICE
    above = prices.price[daily.offer[bought]] > 100.0 + daily.taste[bought]
    assert above.mean() > 0.03  # the plain logit buys above (seen: 0.075)


# ----------------------------------------------------------------------------------------------
# A real run
# ----------------------------------------------------------------------------------------------

SMALL = {
    "n_consumers": 600,
    "grid_width": 20,
    "grid_height": 20,
    "n_factories": 1,
    "stores_per_factory": 2,
    "n_workshops": 25,
    "custom_share": 0.3,
    "workshop_reach": 8.0,
}
DAYS = 300


def run(taste_shocks: str, seed: int = 0, days: int = DAYS, watch=None) -> pd.DataFrame:
    model = ProductionEconomy(rng=seed, taste_shocks=taste_shocks, **SMALL)
    for _ in range(days):
        model.step()
        if watch:
            watch(model)
    return model.dataframe()


def test_per_need_buys_nothing_above_wtp_plus_taste_and_surplus_is_never_negative():
    """A few hundred days with both modes selling: under per_need no purchase at a price above
    willingness to pay plus taste on any day, every open purchase's surplus is >= 0 every day,
    and each mode's consumer surplus summed from the start never falls below 0 (refunds take
    back only what their purchases added). Under daily the share above is clearly positive."""
    lowest = {"open purchase": 0.0, "factory": 0.0, "workshop": 0.0}
    running = np.zeros(2)

    def watch(model):
        hh = model.households
        lowest["open purchase"] = min(lowest["open purchase"], hh.purchase_surplus.min())
        running[:] += hh.surplus_today
        lowest["factory"] = min(lowest["factory"], running[0])
        lowest["workshop"] = min(lowest["workshop"], running[1])

    df = run("per_need", watch=watch).loc[1:]
    bought = df["purchases_above_wtp"].notna()
    assert bought.sum() > 0.9 * DAYS
    assert (df.loc[bought, "purchases_above_wtp"] == 0).all()
    assert lowest == {"open purchase": 0.0, "factory": 0.0, "workshop": 0.0}
    for mode in ("factory", "workshop"):
        assert df[f"units_sold_{mode}"].sum() > 1000  # both modes sell (seen: 6095, 3812)
        assert df[f"consumer_surplus_{mode}"].mean() > 0
    daily = run("daily").loc[1:]
    assert daily["purchases_above_wtp"].mean() > 0.02  # seen: 0.064


def test_a_need_keeps_its_key_while_it_waits_and_a_new_need_draws_one():
    """Day by day in a real run: a need still open (or reopened by a return or a cancelled
    order) keeps its key; a need that arrived today has a new one. Under daily no key is
    drawn."""
    seen = {"kept": 0, "new": 0}
    before = {}

    def watch(model):
        hh = model.households
        if before:
            carried = hh.pending & (before["pending"] | before["awaiting"])
            arrived = hh.pending & ~(before["pending"] | before["awaiting"])
            assert (hh.taste_key[carried] == before["key"][carried]).all()
            assert (hh.taste_key[arrived] != before["key"][arrived]).all()
            seen["kept"] += int(carried.sum())
            seen["new"] += int(arrived.sum())
        before.update(
            pending=hh.pending.copy(), awaiting=hh.awaiting.copy(), key=hh.taste_key.copy()
        )

    run("per_need", days=60, watch=watch)
    assert seen["kept"] > 1000 and seen["new"] > 300, seen  # seen: 4599 and 687
    keys_daily = []
    run("daily", days=20, watch=lambda m: keys_daily.append(m.households.taste_key.any()))
    assert not any(keys_daily)


def test_same_seed_same_result():
    a, b, c = run("per_need", 5, days=80), run("per_need", 5, days=80), run("per_need", 6, days=80)
    pd.testing.assert_frame_equal(a, b)
    assert not a.equals(c)

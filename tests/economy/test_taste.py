"""Taste shocks that belong to the need: the hash behind them (SplitMix64), value for value,
and the laws of its uniforms and Gumbel shocks.

Planted bugs the tests were seen to fail on (each planted in a scratch copy of abm/):
- a mix shift off by one (29 for 30); the outside option on the offers' first slot (also
  caught by the independence test); the uniform from the low 52 bits; the shock as the log of
  u (caught by the laws' test).
"""

import math

import numpy as np
import pytest
from scipy import stats

from abm.economy.taste import (
    GOLDEN_GAMMA,
    MIX_MULTIPLIERS,
    OUTSIDE_SLOT,
    offer_slot,
    splitmix64,
    taste_shock,
    taste_uniform,
)

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

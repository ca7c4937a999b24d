"""Households' bulk behaviour against the law it stands for."""

import numpy as np
from scipy import stats

from abm.economy.households import Households
from abm.economy.parameters import validate


def test_wear_out_breaks_each_unit_with_chance_one_over_lifetime():
    """Per household, breaks ~ Binomial(held, 1/lifetime): mean and variance match."""
    p = validate({"n_consumers": 40, "good_lifetime_days": 4.0})
    households = Households(p, np.random.default_rng(7))
    held = np.arange(40) % 9
    reps = 3000
    broken = np.empty((reps, 40))
    for r in range(reps):
        households.holdings[:] = held
        households.wear_out()
        broken[r] = held - households.holdings
    q = 1 / 4.0
    assert (broken >= 0).all() and (broken <= held).all()
    # mean within 4.5 standard errors per household; variance of the pooled count too
    se = np.sqrt(held * q * (1 - q) / reps)
    assert (np.abs(broken.mean(axis=0) - held * q) <= 4.5 * se + 1e-12).all()
    total = broken.sum(axis=1)
    expected_var = held.sum() * q * (1 - q)
    chi2 = (reps - 1) * total.var(ddof=1) / expected_var
    assert stats.chi2.cdf(chi2, reps - 1) > 1e-4 and stats.chi2.sf(chi2, reps - 1) > 1e-4

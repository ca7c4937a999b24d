"""The competition report's own arithmetic: shares over a window, and the words it puts on the
stylized facts (its checks run the real model in `make validation`, not in the suite)."""

from __future__ import annotations

import pandas as pd
import pytest

from abm.reports.competition import facts_discussion, share_of
from abm.reports.stylized_facts import Facts


def test_share_of_a_window():
    df = pd.DataFrame(
        {"units_sold_factory": [5, 3, 1, 0], "units_sold_workshop": [5, 1, 3, 4]},
        index=[1, 2, 3, 4],
    )
    assert share_of(df, "workshop", 2) == pytest.approx(8 / 12)
    assert share_of(df, "factory", 1, 2) == pytest.approx(8 / 14)
    assert share_of(df.iloc[:0], "factory", 1) == 0.0


def facts(**changes) -> Facts:
    base = dict(
        firms_seen=100,
        size_skewness=1.2,
        size_mean_over_median=1.3,
        growth_count=500,
        growth_excess_kurtosis=2.0,
        laplace_minus_normal_loglik=10.0,
        entry_exit_correlation=0.4,
        mean_entry_rate=0.1,
        mean_exit_rate=0.1,
        peak_firms=100,
        peak_day=0,
        final_firms=60,
    )
    return Facts(**(base | changes))


def test_the_words_follow_the_numbers():
    text = facts_discussion(facts())
    assert "Right-skewed sizes: yes" in text
    assert "Laplace fits better than the normal): yes" in text
    assert "above 0.2): yes" in text
    assert "of it): no" in text  # a fall from day 0 is no shakeout after a rise
    text = facts_discussion(
        facts(laplace_minus_normal_loglik=-3.0, entry_exit_correlation=-0.2, peak_day=180)
    )
    assert "Laplace fits better than the normal): no" in text
    assert "above 0.2): no" in text
    assert "of it): yes" in text

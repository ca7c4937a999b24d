"""The stylized-facts measurements on a hand-made panel of firms."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from abm.reports.stylized_facts import facts, growth_rates, sizes, turnover

# firm 1 delivers 10 then 20 units a period; firm 2 enters at day 30 and leaves after day 60;
# firm 3 sells nothing in its last period; firm 4 enters at day 60
PANEL = pd.DataFrame(
    [
        (0, 1, "workshop", 0.0),
        (30, 1, "workshop", 10.0),
        (60, 1, "workshop", 30.0),
        (30, 2, "workshop", 0.0),
        (60, 2, "workshop", 40.0),
        (0, 3, "factory", 100.0),
        (30, 3, "factory", 500.0),
        (60, 3, "factory", 500.0),
        (60, 4, "workshop", 0.0),
    ],
    columns=["day", "firm", "mode", "delivered"],
)


def test_sizes_are_units_delivered_per_period() -> None:
    table = sizes(PANEL).set_index(["firm", "day"])["size"]
    assert table.to_dict() == {
        (1, 30): 10.0,
        (1, 60): 20.0,
        (2, 60): 40.0,
        (3, 30): 400.0,
        (3, 60): 0.0,
    }


def test_growth_rates_are_centred_log_ratios_of_firms_selling_in_both_periods() -> None:
    growth = growth_rates(sizes(PANEL))
    # only firm 1 sells in two successive periods: log(20/10), centred on itself -> 0
    assert growth["firm"].tolist() == [1]
    assert growth["growth"].iloc[0] == pytest.approx(0.0)


def test_turnover_counts_entrants_and_exits_over_firms_at_the_start() -> None:
    flows = turnover(PANEL).set_index("day")
    assert flows.loc[30, ["firms", "entries", "exits"]].tolist() == [2, 1, 0]  # firm 2 enters
    assert flows.loc[60, ["firms", "entries", "exits"]].tolist() == [3, 1, 0]  # firm 4 enters
    assert flows.loc[30, "entry_rate"] == pytest.approx(1 / 2)


def test_facts_tell_a_tent_from_a_parabola() -> None:
    """A panel whose growth rates are Laplace draws: kurtosis near 3, the Laplace fits better;
    with normal draws, the normal does."""
    rng = np.random.default_rng(0)

    def panel_with(draws: np.ndarray) -> pd.DataFrame:
        # 500 firms, two periods: size 100 then 100 * exp(g)
        firms = np.arange(len(draws))
        rows = [(0, f, "workshop", 0.0) for f in firms]
        rows += [(30, f, "workshop", 100.0) for f in firms]
        rows += [
            (60, f, "workshop", 100.0 + 100.0 * np.exp(g))
            for f, g in zip(firms, draws, strict=True)
        ]
        return pd.DataFrame(rows, columns=["day", "firm", "mode", "delivered"])

    tent = facts(panel_with(rng.laplace(0, 0.3, 4000)))
    assert tent.growth_excess_kurtosis == pytest.approx(3.0, abs=0.8)
    assert tent.laplace_minus_normal_loglik > 0
    bell = facts(panel_with(rng.normal(0, 0.3, 4000)))
    assert abs(bell.growth_excess_kurtosis) < 0.5
    assert bell.laplace_minus_normal_loglik < 0

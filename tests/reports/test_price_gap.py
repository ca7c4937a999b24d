"""The price-gap report: its arithmetic on hand-made runs, and the gap read from a real sweep."""

from __future__ import annotations

import pandas as pd
import pytest

from abm.economy.model import ProductionEconomy
from abm.economy.scenarios import load_scenario
from abm.reports.price_gap import opening_gaps, prediction
from abm.sweep.driver import run_sweep
from abm.sweep.spec import load_spec
from abm.sweep.store import load_results, load_series


def test_prediction_counts_agreement_and_ranks_gaps() -> None:
    gaps = pd.DataFrame(
        {
            "gap": [-5.0, -1.0, 2.0, 4.0, 9.0],
            "favoured": ["workshop", "workshop", "factory", "factory", "factory"],
            "dominant": ["workshop", "factory", "workshop", "factory", "factory"],
            "share_workshop": [0.9, 0.2, 0.6, 0.1, 0.0],
            "both_survive": [False, True, True, False, False],
        }
    )
    result = prediction(gaps)
    assert result.runs == 5
    assert result.agree == 3  # runs 1, 4 and 5
    assert result.accuracy == pytest.approx(0.6)
    # factory-dominated gaps {-1, 4, 9} against the others {-5, 2}: of the 6 pairs the factory
    # gap is larger in -1>-5, 4>-5, 4>2, 9>-5, 9>2 -> 5/6
    assert result.auc == pytest.approx(5 / 6)
    assert result.contested == pytest.approx(0.4)
    low, high = result.interval
    assert low < 0.6 < high


def test_opening_gap_is_the_day0_price_difference_less_the_custom_cost(tmp_path) -> None:
    spec = {
        "name": "gap",
        "base": "baseline",
        "steps": 3,
        "replications": 1,
        "seed": 5,
        "keep_series_every": 3,
        "series": ["price_factory", "price_workshop"],
        "set": {"n_consumers": 300, "n_workshops": 10, "custom_share": 0.5},
        "sweep": {"workshop_wage_per_hour": [10.0, 40.0]},
    }
    run_sweep(spec, tmp_path, workers=1, progress=False)
    results, series = load_results(tmp_path), load_series(tmp_path)
    gaps = opening_gaps(load_spec(spec), results, series)
    for run_id, row in results.set_index("run_id").iterrows():
        params = load_scenario("baseline").overrides | spec["set"]
        params["workshop_wage_per_hour"] = row["workshop_wage_per_hour"]
        model = ProductionEconomy(rng=int(row["seed"]), **params)
        day0 = model.dataframe().iloc[0]
        custom = 0.5 * model.p["custom_mismatch_cost"]
        expected = day0["price_workshop"] - day0["price_factory"] - custom
        assert gaps.loc[run_id, "gap"] == pytest.approx(expected)
    assert gaps["gap"].is_monotonic_increasing  # a dearer owner's hour, a dearer workshop


def test_the_two_sweeps_differ_in_the_rules_alone() -> None:
    from abm.economy.parameters import RULES_0_3
    from abm.reports.price_gap import SWEEPS

    old, new = (load_spec(path) for path in SWEEPS.values())
    assert old.fixed == RULES_0_3 and new.fixed == {}
    same = {"name": old.name, "description": old.description, "set": {}}
    assert old.normalized() | same == new.normalized() | same

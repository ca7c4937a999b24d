"""The model as Mesa sees it: agents, space, data collection, batch_run; and reproducibility."""

import mesa
import numpy as np
import pandas as pd
from mesa.agentset import AbstractAgentSet
from mesa.discrete_space import OrthogonalVonNeumannGrid

from abm import ProductionEconomy
from abm.economy.agents import (
    CentralFactory,
    Consumer,
    FeedstockSupplier,
    HomeWorkshop,
    RetailStore,
)
from abm.economy.metrics import HEADLINE, METRICS, verdict
from abm.economy.parameters import DEFAULTS
from tests.conftest import SMALL, run


def test_agents_are_mesa_agents_on_a_discrete_grid(baseline_run):
    model = baseline_run
    assert isinstance(model.grid, OrthogonalVonNeumannGrid)
    for cls in (Consumer, CentralFactory, RetailStore, HomeWorkshop, FeedstockSupplier):
        assert issubclass(cls, mesa.Agent)
    consumers = model.agents_by_type[Consumer]
    assert isinstance(consumers, AbstractAgentSet)
    assert len(consumers) == SMALL["n_consumers"]
    one = consumers[0]
    assert one.cell.coordinate == (model.households.x[one.index], model.households.y[one.index])
    assert one.cash == model.households.cash[one.index]
    for store in model.stores():
        assert store in store.cell.agents


def test_data_collector_has_every_documented_column(baseline_run):
    df = baseline_run.dataframe()
    assert list(df.columns) == list(METRICS)
    assert len(df) == baseline_run.steps + 1  # the opening row plus one per day
    assert df.index.name == "day"


def test_same_seed_same_series_other_seed_other_series():
    a = run(40, seed=11, **SMALL).dataframe()
    b = run(40, seed=11, **SMALL).dataframe()
    c = run(40, seed=12, **SMALL).dataframe()
    pd.testing.assert_frame_equal(a, b)
    assert not a.equals(c)


def test_verdict_reports_survivors_dominant_and_figures(baseline_run):
    v = baseline_run.verdict()
    assert v["days"] == baseline_run.steps
    assert v["dominant"] in ("factory", "workshop")
    assert set(v["survivors"]) <= {"factory", "workshop"}
    assert v["dominant"] in v["survivors"] or not v["survivors"]
    shares = [v["by_mode"][m]["final_share"] for m in ("factory", "workshop")]
    assert np.isclose(sum(shares), 1.0)
    assert 1 <= v["dominant_since_day"] <= v["days"]


def test_verdict_since_day_follows_a_takeover():
    df = pd.DataFrame(
        {
            "units_sold_factory": [0] + [10] * 50 + [1] * 50,
            "units_sold_workshop": [0] + [1] * 50 + [10] * 50,
            **{
                f"{k}_{m}": 1.0
                for k in ("entries", "bankruptcies", "subsidies", *HEADLINE)
                for m in ("factory", "workshop")
            },
        }
    )
    v = verdict(df, {**DEFAULTS, "verdict_window": 10})
    assert v["dominant"] == "workshop"
    assert v["dominant_since_day"] == 56  # first day the 10-day window leans to workshops
    assert v["survivors"] == ["factory", "workshop"]


def test_batch_run_works_unchanged():
    results = mesa.batch_run(
        ProductionEconomy,
        parameters={**SMALL, "n_consumers": 200, "poka_yoke": [0.0, 0.9]},
        rng=[1, 2],
        max_steps=5,
        number_processes=1,
        display_progress=False,
    )
    assert len(results) == 4
    assert {r["poka_yoke"] for r in results} == {0.0, 0.9}
    assert all(r["Step"] == 5 for r in results)
    assert "share_units_factory" in results[0]

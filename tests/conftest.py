"""Shared helpers: small, fast economies for tests."""

from __future__ import annotations

import pandas as pd
import pytest

from abm import ProductionEconomy
from abm.economy.scenarios import load_scenario

SMALL = {
    "n_consumers": 600,
    "n_workshops": 30,
    "n_factories": 2,
    "grid_width": 30,
    "grid_height": 30,
}


def run(days: int, seed: int = 0, scenario: str = "baseline", **overrides) -> ProductionEconomy:
    """A model of `scenario` with `overrides`, stepped `days` times."""
    model = ProductionEconomy(rng=seed, **{**load_scenario(scenario).overrides, **overrides})
    model.run_for(days)
    return model


def units_share(df: pd.DataFrame, mode: str, start: int = 1) -> float:
    """Share of `mode` in units sold from day `start` on."""
    sold = df.loc[start:, ["units_sold_factory", "units_sold_workshop"]].sum()
    return float(sold[f"units_sold_{mode}"] / sold.sum())


@pytest.fixture(scope="session")
def baseline_run() -> ProductionEconomy:
    return run(120, seed=7, **SMALL)

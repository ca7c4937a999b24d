"""Figures of sweeps: produced, non-empty, and drawn from the right numbers."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from matplotlib.image import imread

from abm.cli import main as abm_cli
from abm.sweep import load_spec, run_sweep
from abm.sweep.plots import (
    MAP_BINS,
    cells,
    groups,
    plot_sweep,
    regime_map,
    survival_table,
    wilson,
)
from tests.sweep.conftest import FAST

FACTORIAL = {
    "name": "plots",
    "steps": 30,
    "replications": 2,
    "seed": 11,
    "keep_series_every": 5,
    "set": FAST,
    "sweep": {"workshop_subsidy_per_unit": [0.0, 30.0], "poka_yoke": [0.5, 0.9]},
}
SOBOL = {
    "name": "sobol",
    "design": "sobol",
    "samples": 4,
    "steps": 20,
    "seed": 2,
    "set": {**FAST, "n_consumers": 200, "n_workshops": 10},
    "sweep": {
        "workshop_subsidy_per_unit": {"low": 0.0, "high": 40.0},
        "workshop_defect_multiplier": {"low": 1.0, "high": 8.0},
    },
}
MIN_BYTES = 1000


@pytest.fixture(scope="module")
def factorial_sweep(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("factorial")
    run_sweep(FACTORIAL, out, workers=1, progress=False)
    return out


def _drawn(path: Path) -> None:
    """A real picture: a file of some size, and a PNG that is not one flat colour."""
    assert path.stat().st_size > MIN_BYTES
    if path.suffix == ".png":
        pixels = imread(path)
        assert pixels.ndim == 3 and pixels.shape[0] > 100 and pixels.std() > 0.01
    if path.suffix == ".svg":
        assert path.read_text().lstrip().startswith("<?xml")


def test_factorial_sweep_gets_map_survival_and_series_as_png_and_svg(factorial_sweep):
    written = plot_sweep(factorial_sweep)
    names = {p.name for p in written}
    for figure in ("regime-map", "survival", "share"):
        assert {f"{figure}.png", f"{figure}.svg"} <= names
    for path in written:
        _drawn(path)


def test_sobol_sweep_gets_index_bars_and_a_table(tmp_path):
    run_sweep(SOBOL, tmp_path, workers=1, progress=False)
    written = plot_sweep(tmp_path, formats=("png",))
    names = {p.name for p in written}
    assert {"sobol.png", "sobol-indices.csv", "regime-map.png", "survival.png"} <= names
    indices = pd.read_csv(tmp_path / "figures" / "sobol-indices.csv", index_col="parameter")
    assert set(indices.index) == set(SOBOL["sweep"])
    assert {"S1", "S1_conf", "ST", "ST_conf"} <= set(indices.columns)
    _drawn(tmp_path / "figures" / "sobol.png")


def test_abm_plot_command(factorial_sweep, tmp_path, capsys):
    assert abm_cli(["plot", str(factorial_sweep)]) == 0
    assert "regime-map.png" in capsys.readouterr().out
    assert abm_cli(["plot", str(tmp_path)]) == 2
    assert "not a sweep directory" in capsys.readouterr().err


# --- the numbers behind the figures ------------------------------------------------------------
def fake_runs(spec, outcomes: dict[int, list[tuple[str, float]]]) -> pd.DataFrame:
    """A runs table: for each design point, (dominant mode, workshop share) per replication."""
    rows = []
    for point, results in outcomes.items():
        values = spec.points.iloc[point].to_dict()
        for replication, (dominant, share) in enumerate(results):
            rows.append(
                {
                    "run_id": len(rows),
                    "point": point,
                    "replication": replication,
                    **values,
                    "status": "ok",
                    "dominant": dominant,
                    "share_workshop": share,
                    "share_factory": 1 - share,
                    "survives_workshop": share >= 0.05,
                    "survives_factory": share <= 0.95,
                }
            )
    return pd.DataFrame(rows)


def test_cells_pool_replications_and_count_disagreement():
    spec = load_spec({"replications": 3, "sweep": {"poka_yoke": [0.5, 0.9], "inspection": [0.5]}})
    runs = fake_runs(
        spec,
        {
            0: [("workshop", 0.9), ("workshop", 0.7), ("factory", 0.2)],
            1: [("factory", 0.0), ("factory", 0.1), ("factory", 0.2)],
        },
    )
    table = cells(runs, spec, "poka_yoke", "inspection").set_index("x")
    assert table.loc[0, "winner"] == "workshop" and table.loc[0, "wins"] == 2
    assert table.loc[0, "runs"] == 3 and table.loc[0, "share"] == pytest.approx(0.6)
    assert table.loc[1, "winner"] == "factory" and table.loc[1, "wins"] == 3
    assert table.loc[1, "share"] == pytest.approx(0.9)
    survival = survival_table(runs, spec, "poka_yoke").set_index(["group", "mode"])
    assert survival.loc[("0.5", "workshop"), "survived"] == 3
    assert survival.loc[("0.9", "workshop"), "p"] == pytest.approx(2 / 3)


def test_sampled_parameters_are_binned_on_the_map():
    spec = load_spec(
        {
            "design": "lhs",
            "samples": 40,
            "sweep": {
                "poka_yoke": {"low": 0.0, "high": 1.0},
                "shipping_lead_time": {"low": 1, "high": 60},
            },
        }
    )
    rng = np.random.default_rng(0)
    runs = fake_runs(
        spec,
        {p: [("workshop" if rng.random() < 0.5 else "factory", rng.random())] for p in range(40)},
    )
    codes, labels, positions = groups(runs, "poka_yoke", spec)
    assert len(labels) == len(positions) == MAP_BINS and codes.between(0, MAP_BINS - 1).all()
    fig = regime_map(runs, spec, "poka_yoke", "shipping_lead_time")
    assert fig.axes[0].get_images()[0].get_array().shape[:2] == (MAP_BINS, MAP_BINS)


def test_wilson_interval():
    low, high = wilson(0, 10)
    assert low == pytest.approx(0.0, abs=1e-12) and high == pytest.approx(0.2775, abs=1e-4)
    low, high = wilson(5, 10)
    assert low == pytest.approx(1 - high)


def test_no_successful_run_means_no_figure(tmp_path):
    def broken(params, seed, steps):
        raise RuntimeError("no model today")

    spec = {**FACTORIAL, "replications": 1, "keep_series_every": 0}
    run_sweep(spec, tmp_path, workers=1, simulate=broken, progress=False)
    assert plot_sweep(tmp_path) == []

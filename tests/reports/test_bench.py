"""The benchmark's smoke version: every figure is produced (its times are not checked here)."""

import json
import math
from pathlib import Path

from abm.economy.parameters import DEFAULTS, validate
from abm.reports.bench import run_benchmark, scaled_parameters
from abm.viz.screenshot import CHROMIUM


def test_scaled_economy_keeps_the_defaults_densities():
    p = scaled_parameters(100_000)
    assert p["n_workshops"] / p["n_consumers"] == DEFAULTS["n_workshops"] / DEFAULTS["n_consumers"]
    assert p["n_factories"] == 50 * DEFAULTS["n_factories"]
    density = DEFAULTS["n_consumers"] / (DEFAULTS["grid_width"] * DEFAULTS["grid_height"])
    assert math.isclose(
        p["n_consumers"] / (p["grid_width"] * p["grid_height"]), density, rel_tol=0.01
    )
    validate(p)


def test_quick_benchmark_prints_and_saves_every_figure(tmp_path, capsys):
    figures_path = tmp_path / "bench.json"
    plot_path = tmp_path / "cost.png"
    assert run_benchmark(quick=True, json_path=str(figures_path), plot_path=str(plot_path)) == 0
    table = capsys.readouterr().out
    for figure in (
        "Boltzmann",
        "per consumer-day",
        "peak memory",
        "runs/min",
        "scaling",
        "share of their time running runs",
        "time per run over",
        "2 plain loops at once",
        "overhead",
        "driver memory",
        "browser app",
    ):
        assert figure in table
    figures = json.loads(figures_path.read_text())
    assert figures["baseline"]["us_per_agent_step"] > 0
    assert all(run["run_s"] > 0 and run["peak_mb"] > 0 for run in figures["economy"])
    assert all(t > 0 for t in figures["sweep"]["sweep_s"].values())
    assert figures["app"]["server_step_ms"] > 0
    if Path(CHROMIUM).exists():  # CI installs it
        assert figures["app"]["browser_step_ms"] > 0
    assert plot_path.stat().st_size > 0

"""Batch parameter sweeps: a spec, its runs and seeds, an executor, and a Parquet dataset.

    from abm.sweep import run_sweep, load_results
    summary = run_sweep("runs/sweeps/peak-latency.toml")   # all local cores
    df = load_results(summary.out)                          # one row per run

Modules: `spec` (the sweep file and its validation), `runs` (seeds, one run, a chunk of runs on
a worker), `backends` (the Executor seam: in-process, local processes, Dask), `store` (the
Parquet dataset and its metadata), `driver` (`run_sweep`), `cli` (`abm sweep`, `abm plot`),
`designs` (factorial, Latin hypercube, Sobol), `plots` (the figures). See docs/sweeps.md.

May import: abm.economy, abm.style, abm.stats. Not the page (abm.viz) or the reports.
"""

from abm.sweep.cli import (
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_RUNS_FAILED,
    add_sweep_commands,
)
from abm.sweep.driver import IN_FLIGHT_PER_SLOT, SweepBroken, SweepSummary, run_sweep
from abm.sweep.runs import ABORTED, FAILED, OK, run_seed, simulate
from abm.sweep.spec import SweepSpec, load_spec
from abm.sweep.store import FIGURES_DIR, load_results, load_series, load_sweep_spec

__all__ = [
    "ABORTED",
    "EXIT_INTERRUPTED",
    "EXIT_OK",
    "EXIT_RUNS_FAILED",
    "FAILED",
    "FIGURES_DIR",
    "IN_FLIGHT_PER_SLOT",
    "OK",
    "SweepBroken",
    "SweepSpec",
    "SweepSummary",
    "add_sweep_commands",
    "load_results",
    "load_series",
    "load_spec",
    "load_sweep_spec",
    "run_seed",
    "run_sweep",
    "simulate",
]

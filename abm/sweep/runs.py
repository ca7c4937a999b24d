"""Runs and their seeds, and what a worker does with a chunk of them.

One run is (design point, replication). Its model seed comes from
`SeedSequence(base_seed, spawn_key=(point, replication))`: stored with the run, it reproduces
the run alone (`abm run ... --seed SEED`, the row's `command`), whatever ran it. A run that raises
becomes a row with its traceback; the chunk goes on.
"""

from __future__ import annotations

import math
import shlex
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pandas as pd

from abm.economy.metrics import METRICS
from abm.economy.modes import MODES
from abm.economy.parameters import validate
from abm.sweep.spec import SweepSpec, _point_values, derived_seed

OK, FAILED, ABORTED = "ok", "failed", "aborted"


@dataclass(frozen=True)
class Run:
    """One run: a design point, a replication, and the seed derived from both."""

    run_id: int
    point: int
    replication: int
    seed: int
    values: dict[str, Any]


def run_seed(base_seed: int, point: int, replication: int) -> int:
    """The model seed of one run, keyed by (point, replication): stable if replications grow."""
    return derived_seed(base_seed, (point, replication))


def make_run(spec: SweepSpec, run_id: int) -> Run:
    point, replication = divmod(run_id, spec.replications)
    seed = run_seed(spec.seed, point, replication)
    return Run(run_id, point, replication, seed, _point_values(spec.points, point))


# ================================================================================================
# One run, and a chunk of runs (executed on a worker)
# ================================================================================================
def simulate(params: dict[str, Any], seed: int, steps: int):
    """The default model run: a ProductionEconomy seeded with `seed`, stepped `steps` days.

    `run_sweep(simulate=...)` takes any importable function of the same signature that returns an
    object with `dataframe()` and `verdict(df)` (e.g. a subclass of ProductionEconomy).
    """
    from abm.economy.model import ProductionEconomy

    model = ProductionEconomy(rng=seed, **params)
    model.run_for(steps)
    return model


@dataclass(frozen=True)
class RunContext:
    """What every run of a sweep shares; sent to the workers with each chunk."""

    base: str
    base_overrides: dict[str, Any]
    fixed: dict[str, Any]
    steps: int
    seed_entropy: int
    keep_series_every: int
    series: tuple[str, ...]
    simulate: Callable[[dict[str, Any], int, int], Any] = simulate


@dataclass
class ChunkResult:
    """Rows of the runs table, and the per-step series (or None), of one chunk of runs."""

    rows: list[dict[str, Any]]
    series: pd.DataFrame | None


def run_chunk(context: RunContext, runs: list[Run]) -> ChunkResult:
    """Run each run of the chunk; a run that raises is recorded, and the next one goes on."""
    rows, series = [], []
    for run in runs:
        row, table = run_one(context, run)
        rows.append(row)
        if table is not None:
            series.append(table)
    return ChunkResult(rows, pd.concat(series, ignore_index=True) if series else None)


def identity(context: RunContext, run: Run) -> dict[str, Any]:
    """The columns that say which run a row is and how to reproduce it."""
    return {
        "run_id": run.run_id,
        "point": run.point,
        "replication": run.replication,
        **run.values,
        "seed": run.seed,
        "seed_entropy": context.seed_entropy,
        "seed_spawn_key": f"({run.point}, {run.replication})",
        "command": reproduce_command(context, run),
    }


def run_one(context: RunContext, run: Run) -> tuple[dict[str, Any], pd.DataFrame | None]:
    """One run as a row of the runs table (and its kept series), or its traceback if it raised."""
    start = time.perf_counter()
    row = identity(context, run) | {"status": OK, "error": None}
    series = None
    try:
        params = validate({**context.base_overrides, **context.fixed, **run.values})
        model = context.simulate(params, run.seed, context.steps)
        df = model.dataframe()
        row |= verdict_columns(model.verdict(df))
        row |= {f"final_{name}": _number(df[name].iloc[-1]) for name in METRICS}
        if context.keep_series_every:
            series = series_table(df, run.run_id, context.keep_series_every, context.series)
    except Exception:
        row["status"] = FAILED
        row["error"] = traceback.format_exc()
    row["duration_s"] = time.perf_counter() - start
    return row, series


def reproduce_command(context: RunContext, run: Run) -> str:
    """The `abm run` command line that reproduces this run alone."""
    sets = [f"{k}={v}" for k, v in {**context.fixed, **run.values}.items()]
    words = ["abm", "run", "--scenario", context.base]
    words += [w for pair in sets for w in ("--set", pair)]
    words += ["--steps", str(context.steps), "--seed", str(run.seed)]
    return shlex.join(words)


def verdict_columns(verdict: dict[str, Any]) -> dict[str, Any]:
    """The verdict flattened into columns of the runs table."""
    row: dict[str, Any] = {
        "days": verdict["days"],
        "dominant": verdict["dominant"],
        "dominant_since_day": verdict["dominant_since_day"],
    }
    for mode in MODES:
        figures = verdict.get("by_mode", {}).get(mode, {})
        row[f"survives_{mode}"] = mode in verdict["survivors"]
        row[f"share_{mode}"] = figures.get("final_share", 0.0)
        for key in ("entries_total", "bankruptcies_total", "subsidies_total"):
            row[f"{key}_{mode}"] = figures.get(key, 0)
    return row


def series_table(df: pd.DataFrame, run_id: int, every: int, columns: tuple[str, ...]):
    """Every `every`-th day of the per-step table (and the last), for the kept columns."""
    days = list(df.index[::every])
    if days[-1] != df.index[-1]:
        days.append(df.index[-1])
    table = df.loc[days, list(columns)].astype(float).reset_index()
    table.insert(0, "run_id", run_id)
    return table


def _number(value: Any) -> float:
    return float(value) if value is not None else math.nan

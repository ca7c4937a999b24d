"""Sampling designs: which parameter values a sweep visits, as a table of design points.

Three designs, each a pure function from the swept parameters to a DataFrame with one row per
design point and one column per swept parameter:

- `factorial`: every combination of the listed values (full factorial), in the order given;
- `latin_hypercube`: `n` points spread over the ranges (scipy.stats.qmc.LatinHypercube);
- `sobol`: Saltelli's scheme for Sobol indices (SALib.sample.sobol), rows in SALib's order so
  the outputs, one per row, pass unchanged to `sobol_indices` (SALib.analyze.sobol).

Whole-number parameters are rounded after sampling; SALib's analysis only needs the outputs in
row order, so rounding does not disturb it.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from abm.economy.parameters import PARAMETERS

FACTORIAL = "factorial"
LATIN_HYPERCUBE = "lhs"
SOBOL = "sobol"
DESIGNS = (FACTORIAL, LATIN_HYPERCUBE, SOBOL)
CONTINUOUS_DESIGNS = (LATIN_HYPERCUBE, SOBOL)
SOBOL_RESAMPLES = 1000  # bootstrap resamples behind SALib's confidence intervals
SOBOL_CONFIDENCE = 0.95


@dataclass(frozen=True)
class Range:
    """A swept parameter's interval [low, high] for the continuous designs (or `levels` evenly
    spaced values for a factorial design)."""

    low: float
    high: float
    levels: int | None = None

    def values(self, name: str) -> list[Any]:
        """The `levels` evenly spaced values, rounded for whole-number parameters."""
        grid = np.linspace(self.low, self.high, self.levels or 2)
        return [_typed(name, v) for v in grid]


def _typed(name: str, value: float) -> Any:
    """A sampled number as the parameter's own type (whole numbers rounded)."""
    if PARAMETERS[name].kind is int:
        return int(round(float(value)))
    return float(value)


def factorial(levels: Mapping[str, Sequence[Any]]) -> pd.DataFrame:
    """Every combination of the values, the last parameter varying fastest."""
    names = list(levels)
    rows = list(itertools.product(*(levels[n] for n in names)))
    return _table(names, rows)


def latin_hypercube(ranges: Mapping[str, Range], n: int, seed: int) -> pd.DataFrame:
    """`n` points of a Latin hypercube over the ranges (scipy.stats.qmc)."""
    from scipy.stats import qmc

    names = list(ranges)
    unit = qmc.LatinHypercube(d=len(names), rng=np.random.default_rng(seed)).random(n)
    lows = [ranges[k].low for k in names]
    highs = [ranges[k].high for k in names]
    return _sampled(names, qmc.scale(unit, lows, highs))


def salib_problem(ranges: Mapping[str, Range]) -> dict[str, Any]:
    """The SALib problem dictionary of the swept ranges."""
    return {
        "num_vars": len(ranges),
        "names": list(ranges),
        "bounds": [[r.low, r.high] for r in ranges.values()],
    }


def sobol_points(n: int, dimensions: int, second_order: bool) -> int:
    """Design points of Saltelli's scheme: N(2D+2) with second-order indices, else N(D+2)."""
    return n * (2 * dimensions + 2 if second_order else dimensions + 2)


def sobol(ranges: Mapping[str, Range], n: int, seed: int, second_order: bool) -> pd.DataFrame:
    """Saltelli's sample for Sobol indices (SALib.sample.sobol), in SALib's row order."""
    from SALib.sample import sobol as saltelli

    matrix = saltelli.sample(salib_problem(ranges), n, calc_second_order=second_order, seed=seed)
    return _sampled(list(ranges), matrix)


def sobol_indices(
    ranges: Mapping[str, Range], outputs: Sequence[float], second_order: bool, seed: int
) -> pd.DataFrame:
    """First-order (S1) and total-order (ST) indices with confidence half-widths, by parameter.

    `outputs` holds one value per design point of `sobol(...)`, in its row order.
    """
    from SALib.analyze import sobol as analysis

    y = np.asarray(outputs, dtype=float)
    if np.isnan(y).any():
        raise ValueError("Sobol analysis needs an output for every design point")
    with np.errstate(divide="ignore", invalid="ignore"):
        found = analysis.analyze(
            salib_problem(ranges),
            y,
            calc_second_order=second_order,
            num_resamples=SOBOL_RESAMPLES,
            conf_level=SOBOL_CONFIDENCE,
            seed=seed,
        )
    return pd.DataFrame(
        {key: found[key] for key in ("S1", "S1_conf", "ST", "ST_conf")}, index=list(ranges)
    )


def is_power_of_two(n: int) -> bool:
    return n > 0 and math.log2(n).is_integer()


def _sampled(names: list[str], matrix: np.ndarray) -> pd.DataFrame:
    """Sampled rows as a table, each value in its parameter's type."""
    rows = [[_typed(k, v) for k, v in zip(names, row, strict=True)] for row in matrix]
    return _table(names, rows)


def _table(names: list[str], rows: Sequence[Sequence[Any]]) -> pd.DataFrame:
    if not names:
        return pd.DataFrame(index=pd.RangeIndex(1, name="point"))
    df = pd.DataFrame([list(r) for r in rows], columns=names)
    for name in names:
        if PARAMETERS[name].kind in (int, float, bool):
            df[name] = df[name].astype(PARAMETERS[name].kind)
    df.index.name = "point"
    return df

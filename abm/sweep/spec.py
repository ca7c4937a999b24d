"""The sweep spec: what is fixed, what varies and how, for how long, from which seed.

A TOML file (or the same as a dict) with a base scenario, `[set]` overrides, `[sweep]` value lists
(full factorial) or ranges (Latin hypercube, Sobol), replications, steps and a base seed.
`load_spec` validates every name and value, and every design point jointly against the schema,
before anything runs; an error names the file and line of the key (or its place in the dict).
"""

from __future__ import annotations

import difflib
import hashlib
import json
import math
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from abm.economy.metrics import METRICS
from abm.economy.modes import MODES
from abm.economy.parameters import PARAMETERS, ParameterError, unknown_name_error, validate
from abm.economy.scenarios import line_of, load_scenario
from abm.sweep.designs import (
    CONTINUOUS_DESIGNS,
    DESIGNS,
    FACTORIAL,
    LATIN_HYPERCUBE,
    SOBOL,
    Range,
    factorial,
    is_power_of_two,
    latin_hypercube,
    sobol,
)

DEFAULT_BASE = "baseline"
DEFAULT_STEPS = 365
DEFAULT_REPLICATIONS = 1
DEFAULT_SEED = 0
MAX_SEED = 2**63 - 1  # seeds are stored as int64
DEFAULT_SERIES = tuple(f"{key}_{mode}" for key in ("share_units", "active_firms") for mode in MODES)
DEFAULT_NAME = "sweep"
DESIGN_STREAM = 0xDE51  # spawn key of the sampling design's seed; runs use (point, replication)


@dataclass(frozen=True)
class SweepSpec:
    """A validated sweep: what is fixed, what varies, how often, for how long, from which seed."""

    name: str
    description: str
    base: str
    base_overrides: dict[str, Any]
    fixed: dict[str, Any]
    swept: dict[str, list[Any] | Range]
    design: str
    samples: int | None
    second_order: bool
    steps: int
    replications: int
    seed: int
    keep_series_every: int
    series: tuple[str, ...]
    source: Path | None = None
    points: pd.DataFrame = field(default_factory=pd.DataFrame, compare=False, repr=False)

    @property
    def total_runs(self) -> int:
        return len(self.points) * self.replications

    def overrides(self, point: int) -> dict[str, Any]:
        """Base scenario, then [set], then the design point's values."""
        return {**self.base_overrides, **self.fixed, **_point_values(self.points, point)}

    def normalized(self) -> dict[str, Any]:
        """The spec as a plain dict (the dict form `load_spec` accepts), base resolved."""
        swept = {k: (v if isinstance(v, list) else _range_dict(v)) for k, v in self.swept.items()}
        out = {
            "name": self.name,
            "description": self.description,
            "base": self.base,
            "steps": self.steps,
            "replications": self.replications,
            "seed": self.seed,
            "design": self.design,
            "keep_series_every": self.keep_series_every,
            "series": list(self.series),
            "set": dict(self.fixed),
            "sweep": swept,
        }
        if self.design in CONTINUOUS_DESIGNS:
            out["samples"] = self.samples
        if self.design == SOBOL:
            out["second_order"] = self.second_order
        return out

    def fingerprint(self) -> dict[str, Any]:
        """What decides the results: compared on resume (the description may change)."""
        spec = {
            k: v for k, v in self.normalized().items() if k not in ("name", "description", "base")
        }
        points = self.points.to_json(orient="split", double_precision=15)
        return {
            "spec": spec,
            "base_overrides": self.base_overrides,
            "points_sha256": hashlib.sha256(points.encode()).hexdigest(),
        }


def _range_dict(r: Range) -> dict[str, Any]:
    out = {"low": r.low, "high": r.high}
    return out | ({"levels": r.levels} if r.levels else {})


def _point_values(points: pd.DataFrame, point: int) -> dict[str, Any]:
    """A design point's values, each in its parameter's type (a row would upcast them)."""
    return {k: _plain(points[k].iat[point]) for k in points.columns}


def _plain(value: Any) -> Any:
    """A numpy scalar as the Python value (for pickling, JSON and `abm run --set`)."""
    return value.item() if isinstance(value, np.generic) else value


@dataclass(frozen=True)
class _Where:
    """Says where a key of the spec sits: its file and line, or its place in the dict."""

    path: Path | None
    text: str | None

    def __call__(self, key: str | None, table: str | None = None) -> str:
        if self.text is None:
            place = ".".join(k for k in (table, key) if k) or "spec"
            return f" (spec key {place!r})" if self.path is None else f" ({self.path}: {place})"
        return f" ({self.path}, line {self.line(key, table)})"

    def line(self, key: str | None, table: str | None) -> int | str:
        """The line of `key` inside `[table]` (top level if None); the table's header if no key."""
        assert self.text is not None
        lines = self.text.splitlines()
        headers = [i for i, s in enumerate(lines) if re.match(r"\s*\[", s)]
        if table is None:
            start, end = 0, (headers[0] if headers else len(lines))
        else:
            own = [i for i in headers if re.match(rf"\s*\[\s*{re.escape(table)}\s*\]", lines[i])]
            if not own:
                return line_of(self.text, key) if key else "?"
            start = own[0] + 1
            end = next((i for i in headers if i > own[0]), len(lines))
            if key is None:
                return own[0] + 1
        found = line_of("\n".join(lines[start:end]), key) if key else "?"
        return found + start if isinstance(found, int) else line_of(self.text, key or "")


_TOP_KEYS = (
    "name",
    "description",
    "base",
    "steps",
    "replications",
    "seed",
    "design",
    "samples",
    "second_order",
    "keep_series_every",
    "series",
    "set",
    "sweep",
)


def load_spec(source: str | Path | Mapping[str, Any]) -> SweepSpec:
    """A sweep spec from a TOML (or JSON) file or a dict, validated in full before any run.

    Raises ParameterError naming the file and line of the first bad key or value.
    """
    if isinstance(source, Mapping):
        return _parse(dict(source), _Where(None, None), Path.cwd())
    path = Path(source)
    if not path.is_file():
        raise ParameterError(f"no sweep file {str(path)!r}")
    text = path.read_text()
    if path.suffix == ".json":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as err:
            raise ParameterError(f"{path}: not valid JSON: {err}") from None
        return _parse(data, _Where(path, None), path.parent, source=path)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise ParameterError(f"{path}: not valid TOML: {err}") from None
    return _parse(data, _Where(path, text), path.parent, source=path)


def _parse(data: dict, where: _Where, folder: Path, source: Path | None = None) -> SweepSpec:
    for key in data:
        if key not in _TOP_KEYS:
            near = difflib.get_close_matches(key, _TOP_KEYS, n=1, cutoff=0.6)
            hint = f"; did you mean {near[0]!r}?" if near else f"; allowed: {', '.join(_TOP_KEYS)}"
            raise ParameterError(f"unknown key {key!r} in the sweep spec{where(key)}{hint}")
    name = data.get("name", source.stem if source else DEFAULT_NAME)
    description = data.get("description", "")
    for key, text in (("name", name), ("description", description)):
        if not isinstance(text, str):
            raise ParameterError(f"{key} must be a string{where(key)}")
    base, base_overrides = _base(data.get("base", DEFAULT_BASE), where, folder)
    steps = _whole(data, "steps", DEFAULT_STEPS, 1, where)
    replications = _whole(data, "replications", DEFAULT_REPLICATIONS, 1, where)
    seed = _whole(data, "seed", DEFAULT_SEED, 0, where, high=MAX_SEED)
    every = _whole(data, "keep_series_every", 0, 0, where)
    series = _series(data.get("series", list(DEFAULT_SERIES)), where)
    fixed = _fixed(data.get("set", {}), where)
    swept = _swept(data.get("sweep", {}), fixed, where)
    design = data.get("design", FACTORIAL)
    if design not in DESIGNS:
        raise ParameterError(
            f"design={design!r} is not known{where('design')}: choose from {', '.join(DESIGNS)}"
        )
    samples, second_order = _design_options(data, design, swept, where)
    points = _points(swept, design, samples, second_order, seed)
    spec = SweepSpec(
        name=name,
        description=description,
        base=base,
        base_overrides=base_overrides,
        fixed=fixed,
        swept=swept,
        design=design,
        samples=samples,
        second_order=second_order,
        steps=steps,
        replications=replications,
        seed=seed,
        keep_series_every=every,
        series=series,
        source=source,
        points=points,
    )
    _check_points(spec, where)
    return spec


def _base(base: Any, where: _Where, folder: Path) -> tuple[str, dict[str, Any]]:
    """The base scenario by name, or by path relative to the spec's folder (stored absolute)."""
    if not isinstance(base, str):
        raise ParameterError(f"base must be a scenario name or a .toml path{where('base')}")
    if base.endswith(".toml"):
        path = Path(base) if Path(base).is_absolute() else folder / base
        if not path.is_file():
            raise ParameterError(f"base scenario file {base!r} not found{where('base')}")
        base = str(path.resolve())
    try:
        scenario = load_scenario(base)
    except ParameterError as err:
        raise ParameterError(f"{err}{where('base')}") from None
    return base, dict(scenario.overrides)


def _whole(
    data: dict, key: str, default: int, low: int, where: _Where, high: int | None = None
) -> int:
    value = data.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        raise ParameterError(f"{key}={value!r} must be a whole number >= {low}{where(key)}")
    if high is not None and value > high:
        raise ParameterError(f"{key}={value!r} must be at most {high}{where(key)}")
    return value


def _series(columns: Any, where: _Where) -> tuple[str, ...]:
    if not isinstance(columns, list) or not all(isinstance(c, str) for c in columns):
        raise ParameterError(f"series must be a list of column names{where('series')}")
    for column in columns:
        if column not in METRICS:
            near = difflib.get_close_matches(column, METRICS, n=1, cutoff=0.5)
            hint = f"; did you mean {near[0]!r}?" if near else "; run `abm metrics` for the list"
            raise ParameterError(f"unknown series column {column!r}{where('series')}{hint}")
    return tuple(dict.fromkeys(columns))


def _fixed(table: Any, where: _Where) -> dict[str, Any]:
    if not isinstance(table, dict):
        raise ParameterError(f"[set] must be a table of NAME = VALUE{where(None, 'set')}")
    fixed = {}
    for name, value in table.items():
        if name not in PARAMETERS:
            raise unknown_name_error(name, where(name, "set"))
        fixed[name] = _check(name, value, where(name, "set"))
    return fixed


def _check(name: str, value: Any, where: str) -> Any:
    try:
        return PARAMETERS[name].check(value)
    except ParameterError as err:
        raise ParameterError(f"{err}{where}") from None


def _swept(table: Any, fixed: dict[str, Any], where: _Where) -> dict[str, list[Any] | Range]:
    if not isinstance(table, dict):
        raise ParameterError(f"[sweep] must be a table of NAME = [values]{where(None, 'sweep')}")
    swept: dict[str, list[Any] | Range] = {}
    for name, entry in table.items():
        here = where(name, "sweep")
        if name not in PARAMETERS:
            raise unknown_name_error(name, here)
        if name in fixed:
            raise ParameterError(f"{name} is both fixed in [set] and swept in [sweep]{here}")
        if isinstance(entry, list):
            swept[name] = _values(name, entry, here)
        elif isinstance(entry, dict):
            swept[name] = _range(name, entry, here)
        else:
            raise ParameterError(
                f"{name} = {entry!r} in [sweep] must be a list of values or a range "
                f"{{ low = ..., high = ... }}; a single value belongs in [set]{here}"
            )
    return swept


def _values(name: str, entry: list, here: str) -> list[Any]:
    if not entry:
        raise ParameterError(f"{name} = [] in [sweep] lists no values{here}")
    values = [_check(name, v, here) for v in entry]
    if len(set(map(repr, values))) != len(values):
        raise ParameterError(f"{name} lists a value twice in [sweep]{here}")
    return values


def _range(name: str, entry: dict, here: str) -> Range:
    param = PARAMETERS[name]
    if param.choices or param.kind is bool:
        raise ParameterError(f"{name} takes {param.range_text()}: sweep it as a list{here}")
    if set(entry) - {"low", "high", "levels"} or not {"low", "high"} <= set(entry):
        raise ParameterError(
            f"{name} = {entry!r} must be {{ low = ..., high = ... }} (optionally levels = N){here}"
        )
    low, high = _check(name, entry["low"], here), _check(name, entry["high"], here)
    if not low < high:
        raise ParameterError(f"{name}: low={low!r} must be below high={high!r}{here}")
    levels = entry.get("levels")
    if levels is not None and (
        isinstance(levels, bool) or not isinstance(levels, int) or levels < 2
    ):
        raise ParameterError(f"{name}: levels={levels!r} must be a whole number >= 2{here}")
    found = Range(float(low), float(high), levels)
    if levels and len(set(found.values(name))) < levels:
        raise ParameterError(
            f"{name}: {levels} levels from {low} to {high} repeat whole numbers: use fewer{here}"
        )
    return found


def _design_options(
    data: dict, design: str, swept: dict[str, list[Any] | Range], where: _Where
) -> tuple[int | None, bool]:
    samples, second_order = data.get("samples"), data.get("second_order", False)
    if design == FACTORIAL:
        for name, entry in swept.items():
            if isinstance(entry, Range) and not entry.levels:
                raise ParameterError(
                    f"{name} is a range without levels: a factorial design needs a list of values "
                    f'or levels = N, or set design = "lhs" or "sobol"{where(name, "sweep")}'
                )
        if samples is not None:
            raise ParameterError(f"samples is for lhs and sobol designs only{where('samples')}")
    else:
        if not swept:
            raise ParameterError(f"design={design!r} needs ranges in [sweep]{where('design')}")
        for name, entry in swept.items():
            if not isinstance(entry, Range) or entry.levels:
                raise ParameterError(
                    f"{name}: design={design!r} samples ranges: write "
                    f"{name} = {{ low = ..., high = ... }}{where(name, 'sweep')}"
                )
        samples = _whole(data, "samples", 0, 1, where)
        if design == SOBOL and not is_power_of_two(samples):
            low = 2 ** int(math.log2(samples))
            raise ParameterError(
                f"samples={samples} must be a power of two for a Sobol design "
                f"(e.g. {low} or {2 * low}){where('samples')}"
            )
    if not isinstance(second_order, bool):
        raise ParameterError(f"second_order must be true or false{where('second_order')}")
    if "second_order" in data and design != SOBOL:
        raise ParameterError(f"second_order is for sobol designs only{where('second_order')}")
    return samples, second_order


def _points(
    swept: dict[str, list[Any] | Range],
    design: str,
    samples: int | None,
    second_order: bool,
    seed: int,
) -> pd.DataFrame:
    """The design's table of points (one row per point, one column per swept parameter)."""
    if design == FACTORIAL:
        levels = {k: (v if isinstance(v, list) else v.values(k)) for k, v in swept.items()}
        return factorial(levels)
    ranges = {k: v for k, v in swept.items() if isinstance(v, Range)}
    design_seed = derived_seed(seed, (DESIGN_STREAM,))
    if design == LATIN_HYPERCUBE:
        return latin_hypercube(ranges, samples or 0, design_seed)
    return sobol(ranges, samples or 0, design_seed, second_order)


def _check_points(spec: SweepSpec, where: _Where) -> None:
    """Every design point with the base and [set], against the schema's joint constraints."""
    for point in range(len(spec.points)):
        try:
            validate(spec.overrides(point))
        except ParameterError as err:
            values = ", ".join(f"{k}={v!r}" for k, v in _point_values(spec.points, point).items())
            table = "sweep" if spec.swept else "set"
            raise ParameterError(
                f"design point {point} ({values or 'no swept values'}): {err}{where(None, table)}"
            ) from None


def derived_seed(entropy: int, spawn_key: tuple[int, ...]) -> int:
    """A 63-bit seed from SeedSequence(entropy, spawn_key): fits int64 and `abm run --seed`."""
    state = np.random.SeedSequence(entropy, spawn_key=spawn_key).generate_state(1, np.uint64)
    return int(state[0]) >> 1

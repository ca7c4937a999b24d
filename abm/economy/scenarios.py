"""Scenarios: named sets of parameter overrides, kept as TOML files.

The presets ship inside the package (abm/economy/presets/*.toml), so an installed copy finds
them from any folder; a user's own named scenarios go in ./runs/scenarios/ of the folder the
command runs in, and override a preset of the same name.

A scenario file has a `description` and a `[set]` table of overrides on the defaults:

    description = "Long shipping lead times (ocean freight) against local production."
    [set]
    shipping_lead_time = 45

`load_scenario("latency")` finds the preset latency.toml; a path to any .toml works too.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from abm.economy.parameters import PARAMETERS, ParameterError, unknown_name_error, validate

PRESETS = Path(__file__).resolve().parent / "presets"


def scenario_dirs() -> list[Path]:
    """Where scenario names are looked up: ./runs/scenarios, then the shipped presets."""
    dirs = [Path.cwd() / "runs" / "scenarios", PRESETS]
    return [d for i, d in enumerate(dirs) if d.is_dir() and d not in dirs[:i]]


@dataclass(frozen=True)
class Scenario:
    name: str
    description: str
    overrides: dict[str, Any] = field(default_factory=dict)
    path: Path | None = None

    def parameters(self, extra: dict[str, Any] | None = None) -> dict[str, Any]:
        """All parameters: defaults, then the scenario's overrides, then `extra`."""
        return validate({**self.overrides, **(extra or {})})


def available() -> dict[str, Path]:
    """Scenario name -> file, for every scenario that can be loaded by name."""
    found: dict[str, Path] = {}
    for d in reversed(scenario_dirs()):
        found.update({p.stem: p for p in sorted(d.glob("*.toml"))})
    return dict(sorted(found.items()))


def load_scenario(name_or_path: str | Path) -> Scenario:
    """A scenario by name (a preset, or ./runs/scenarios/NAME.toml) or by path to a TOML file."""
    path = Path(name_or_path)
    if path.suffix != ".toml" or not path.exists():
        by_name = available()
        if str(name_or_path) not in by_name:
            names = ", ".join(by_name) or "none found"
            raise ParameterError(f"unknown scenario {str(name_or_path)!r}: choose from {names}")
        path = by_name[str(name_or_path)]
    text = path.read_text()
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise ParameterError(f"{path}: not valid TOML: {err}") from None
    overrides = data.get("set", {})
    for key, value in overrides.items():
        where = f" ({path}, line {line_of(text, key)})"
        if key not in PARAMETERS:
            raise unknown_name_error(key, where)
        try:
            PARAMETERS[key].check(value)
        except ParameterError as err:
            raise ParameterError(f"{err}{where}") from None
    scenario = Scenario(path.stem, data.get("description", ""), dict(overrides), path)
    try:
        scenario.parameters()
    except ParameterError as err:
        raise ParameterError(f"{err} ({path})") from None
    return scenario


def line_of(text: str, key: str) -> int | str:
    """The line number of `key = ...` in a TOML text, or "?" (for error messages)."""
    for number, line in enumerate(text.splitlines(), start=1):
        if re.match(rf"\s*{re.escape(key)}\s*=", line):
            return number
    return "?"

"""Agent-based model of distributed production (home workshops) against central factories
running demand-pull production with mistake-proofing. See README.md and docs/ODD.md.

The floor plan, by concern (dependencies run one way, down this list; tests/test_architecture.py
checks them):
- `economy/`: the model itself (agents, market, books, parameters, presets).
- `style`, `stats`: how results look (mode colours, text tables) and their intervals.
- `sweep/`: batch sweeps (designs, runs, backends, the Parquet store, figures).
- `viz/`: the browser page.
- `reports/`: validation, benchmark and the generated docs.
- `cli`: the `abm` command, which reaches all of them.
"""

from abm.economy.model import ProductionEconomy
from abm.economy.parameters import DEFAULTS, PARAMETERS, ParameterError

__all__ = ["ProductionEconomy", "PARAMETERS", "DEFAULTS", "ParameterError"]
# bumped whenever the same seed gives different results (0.2: the speed work of issue 6;
# 0.3.1: injured workers miss injury_lost_days working days, not one fewer)
__version__ = "0.4.0"

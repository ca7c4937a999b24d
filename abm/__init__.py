"""Agent-based model of distributed production (home workshops) against central factories
running demand-pull production with mistake-proofing. See README.md and docs/ODD.md."""

from abm.model import ProductionEconomy
from abm.parameters import DEFAULTS, PARAMETERS, ParameterError

__all__ = ["ProductionEconomy", "PARAMETERS", "DEFAULTS", "ParameterError"]
# bumped whenever the same seed gives different results (0.2: the speed work of issue 6)
__version__ = "0.3.0"

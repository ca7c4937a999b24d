"""Write the per-day tables of the seven presets (seed 0, 365 days) as CSV, for a refactor's
"same results" check: run it before and after, then compare the folders byte for byte.

    python tools/preset_tables.py /tmp/before      # at the commit before the change
    python tools/preset_tables.py /tmp/after       # after it
    diff -r /tmp/before /tmp/after && echo identical

Settings after the folder apply to every preset (name=value), e.g. a new rule's legacy setting,
to check that it reproduces the tables of the version before the rule:

    python tools/preset_tables.py /tmp/after pricing_rule=fixed_markup

CSV writes every float in full (its shortest exact repr), so equal files mean equal tables.
"""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

from abm import ProductionEconomy
from abm.economy.scenarios import available, load_scenario

SEED, DAYS = 0, 365


def main(folder: str, *settings: str) -> None:
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    extra = dict(setting.split("=", 1) for setting in settings)
    for name in available():
        model = ProductionEconomy(rng=SEED, **(load_scenario(name).overrides | extra))
        model.run_for(DAYS)
        text = model.dataframe().to_csv()
        (out / f"{name}.csv").write_text(text)
        print(name, hashlib.sha256(text.encode()).hexdigest()[:16])


if __name__ == "__main__":
    main(*sys.argv[1:])

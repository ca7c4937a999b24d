"""The rules of version 0.3 (`RULES_0_3`: every new rule's legacy setting) reproduce version
0.3.1's runs exactly: the baseline preset's per-day table, seed 0, 365 days, on the columns 0.3.1
had, is the same to the last digit (its SHA-256 was taken from the table 0.3.1 wrote, with
tools/preset_tables.py at commit 8524a59)."""

from __future__ import annotations

import hashlib

from abm import ProductionEconomy
from abm.economy.parameters import RULES_0_3
from abm.economy.scenarios import load_scenario

TABLE_0_3_1 = "0d071073f4fcdaaa2c132f5c284e40b3ee1ba47e3957f0e347d619175d703558"
NEW_COLUMNS = {  # measurements added since 0.3.1
    "exits_factory",
    "exits_workshop",
    "markup_factory",
    "markup_workshop",
    "capacity_factory",
    "capacity_workshop",
    "capacity_building_factory",
    "capacity_building_workshop",
    "purchases_above_wtp",
}


def test_the_0_3_rules_reproduce_0_3_1():
    model = ProductionEconomy(rng=0, **(load_scenario("baseline").overrides | RULES_0_3))
    model.run_for(365)
    df = model.dataframe()
    text = df[[c for c in df.columns if c not in NEW_COLUMNS]].to_csv()
    assert hashlib.sha256(text.encode()).hexdigest() == TABLE_0_3_1

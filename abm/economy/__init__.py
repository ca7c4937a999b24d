"""The economy: households, central factories with their stores, home workshops and the
feedstock supplier, the market that matches them, and the books that account for every unit and
every dollar.

- `model`: `ProductionEconomy`, the day's schedule; its phases: `trading` (the day's market
  clearing) and `entry` (new firms), the rest as methods named after them.
- agents and their state: `households` (household state as arrays, changed only by its own
  methods), `agents` (the Mesa views, factories, stores, feedstock), `workshops` (workshop state
  and bulk behaviour as arrays), `modes` (the two production modes).
- rules: `market` (logit choice over the offers within reach), `inventory` (replenishment
  policies), `production` (defects, waste, injuries, normal cost), `pricing` (markups that
  follow market share), `capacity` (factories' investment in capacity), `shop_growth`
  (workshops' stations), `solvency` (bankruptcy), `formulas` (the textbook formulas as pure
  functions), `flow` (flow meters).
- books and measurements: `ledger` (money and goods identities; money moves only through
  `Ledger.pay`), `tally` (what each mode did, by `Count`), `metrics` (the per-day table and the
  verdict).
- inputs: `parameters` (the schema: unit, range, source of every number), `scenarios` and
  `presets/` (named sets of overrides, shipped with the package).

May import: only abm.economy itself (and numpy, scipy, pandas, Mesa). The page (abm.viz), the
sweeps (abm.sweep) and the reports (abm.reports) use the economy, never the other way round;
tests/test_architecture.py checks it.
"""

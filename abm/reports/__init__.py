"""Reports made from runs of the economy: the documents under docs/ and the benchmark.

- `validation`: the checks against textbook theory (docs/validation.md, `make validation`),
  then `competition`'s (contestability, price war, capacity, stylized facts); both built on
  `checks` (rows, figures, sections); `stylized_facts` measures a panel of firms.
- `price_gap`: how well the opening price gap predicts the verdict (docs/ODD.md).
- `bench`: speed and memory at scale against Mesa's Boltzmann example (`abm bench`).
- `odd_tables`: refreshes the generated tables of docs/ODD.md (`make docs`).
- `sweeps_page`: reruns the documented sweeps and rewrites docs/sweeps.md.

May import: everything else in abm (economy, sweep, viz, style, stats); nothing imports it but
the command line.
"""

"""A sweep from Python: does poka-yoke in factories matter when workshops get a subsidy?

Run it from the project folder: `python runs/sweep_example.py` (under a minute on two cores).
The same spec as a TOML file would run with `abm sweep FILE`; see docs/sweeps.md.
"""

from abm.sweep import load_results, run_sweep
from abm.sweep.plots import plot_sweep

SPEC = {
    "name": "example",
    "description": "Factory poka-yoke x workshop subsidy, in a small economy.",
    "base": "baseline",
    "steps": 120,
    "replications": 2,
    "seed": 1,
    "keep_series_every": 7,
    "set": {"n_consumers": 600, "n_workshops": 30, "grid_width": 30, "grid_height": 30},
    "sweep": {
        "poka_yoke": [0.0, 0.5, 0.9],
        "workshop_subsidy_per_unit": [0.0, 15.0, 30.0],
    },
}

# Worker processes are spawned and import this file: run the sweep only in the main process.
if __name__ == "__main__":
    summary = run_sweep(SPEC, "out/sweeps/example", resume=True)
    print(summary.text())
    runs = load_results(summary.out)  # one row per run, as a pandas DataFrame
    print(runs.groupby(["poka_yoke", "workshop_subsidy_per_unit"])["share_workshop"].mean())
    for path in plot_sweep(summary.out):
        print("figure:", path)

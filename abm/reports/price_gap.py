"""What decides the verdict: how well the opening price gap predicts which mode ends on top.

The opening gap of a run is what a household with a custom need would weigh on day 0:

    gap = mean workshop price - mean factory price - custom_share x custom_mismatch_cost

(negative: workshops are the cheaper offer, positive: factories are). If the verdict were
arithmetic on the opening costs, the sign of the gap would name the dominant mode in nearly
every run. Two sweeps of the same design (runs/sweeps/price-gap*.toml) answer it, one under the
rules of 0.3 (a fixed markup, one-way entry, fixed capacity, daily taste shocks) and one under
today's; `python -m abm.reports.price_gap` runs what is missing of both (resuming), then writes
the figure and prints the Markdown table that docs/ODD.md shows.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.stats import mannwhitneyu

from abm.economy.parameters import validate
from abm.stats import wilson
from abm.style import MODE_COLOURS
from abm.sweep.driver import run_sweep
from abm.sweep.spec import SweepSpec
from abm.sweep.store import load_results, load_series, load_sweep_spec

SWEEPS = {  # label: sweep file
    "0.3 rules": Path("runs/sweeps/price-gap-0.3-rules.toml"),
    "1.0 rules": Path("runs/sweeps/price-gap.toml"),
}
OUT = Path("out/sweeps")
FIGURE = Path("docs/figures/price-gap.png")


def opening_gaps(spec: SweepSpec, results: pd.DataFrame, series: pd.DataFrame) -> pd.DataFrame:
    """One row per finished run of the sweep `spec`: its opening gap, the mode the gap favours,
    the dominant mode at the end, the workshops' final share and whether both modes survive."""
    done = results[results["status"] == "ok"].set_index("run_id")
    day0 = series[series["day"] == 0].set_index("run_id").loc[done.index]
    params = [validate(spec.overrides(int(point))) for point in done["point"]]
    custom_cost = np.array([p["custom_share"] * p["custom_mismatch_cost"] for p in params])
    gap = day0["price_workshop"] - day0["price_factory"] - custom_cost
    return pd.DataFrame(
        {
            "gap": gap,
            "favoured": np.where(gap < 0, "workshop", "factory"),
            "dominant": done["dominant"],
            "share_workshop": done["share_workshop"].astype(float),
            "both_survive": done["survives_factory"].astype(bool)
            & done["survives_workshop"].astype(bool),
        }
    )


@dataclass(frozen=True)
class Prediction:
    """How well the sign of the opening gap names the final dominant mode."""

    runs: int
    agree: int  # runs whose dominant mode is the one the gap favoured
    interval: tuple[float, float]  # Wilson 95% interval of agree / runs
    auc: float  # chance that a run factories dominate has a larger gap than one they do not
    contested: float  # share of runs where both modes survive

    @property
    def accuracy(self) -> float:
        return self.agree / self.runs if self.runs else float("nan")


def prediction(gaps: pd.DataFrame) -> Prediction:
    """Accuracy of the gap's sign, and its rank discrimination (the area under the ROC curve:
    Mann-Whitney U over the pairs), which does not depend on where the threshold is put."""
    runs = len(gaps)
    agree = int((gaps["favoured"] == gaps["dominant"]).sum())
    factory = gaps.loc[gaps["dominant"] == "factory", "gap"]
    other = gaps.loc[gaps["dominant"] != "factory", "gap"]
    auc = float("nan")
    if len(factory) and len(other):
        auc = mannwhitneyu(factory, other).statistic / (len(factory) * len(other))
    return Prediction(
        runs=runs,
        agree=agree,
        interval=wilson(agree, runs) if runs else (float("nan"), float("nan")),
        auc=float(auc),
        contested=float(gaps["both_survive"].mean()) if runs else float("nan"),
    )


def table(results: dict[str, Prediction]) -> str:
    """The Markdown table of docs/ODD.md."""
    lines = [
        "| rules | runs | dominant = the mode the opening gap favours | 95% interval | "
        "AUC of the gap | runs where both survive |",
        "|---|---|---|---|---|---|",
    ]
    for label, p in results.items():
        low, high = p.interval
        lines.append(
            f"| {label} | {p.runs} | {p.accuracy:.0%} | [{low:.0%}, {high:.0%}] | "
            f"{p.auc:.2f} | {p.contested:.0%} |"
        )
    return "\n".join(lines)


def figure(gaps: dict[str, pd.DataFrame], path: Path) -> None:
    """The workshops' final share against the opening gap, one panel per set of rules."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    fig = Figure(figsize=(9, 3.6))
    axes = fig.subplots(1, len(gaps), sharey=True, squeeze=False)[0]
    for ax, (label, df) in zip(axes, gaps.items(), strict=True):
        ax.scatter(df["gap"], df["share_workshop"], s=14, color=MODE_COLOURS["workshop"])
        ax.axvline(0.0, color="grey", lw=0.8)
        ax.axhline(0.5, color="grey", lw=0.8, ls=":")
        ax.set_title(label)
        ax.set_xlabel("opening gap ($): workshop - factory price - custom cost")
    axes[0].set_ylabel("workshops' final share of units")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)


def main(workers: int | None = None) -> str:
    """Run (or resume) both sweeps, write the figure, return the table."""
    gaps, results = {}, {}
    for label, spec in SWEEPS.items():
        out = OUT / spec.stem
        run_sweep(spec, out, workers=workers, resume=out.exists())
        gaps[label] = opening_gaps(load_sweep_spec(out), load_results(out), load_series(out))
        results[label] = prediction(gaps[label])
    figure(gaps, FIGURE)
    return table(results)


if __name__ == "__main__":
    print(main())

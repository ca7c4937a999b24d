"""Figures of a sweep's results: where each production mode survives, and how sure we are.

- `regime_map`: over two swept parameters, the mode that dominates each cell (colour), the
  winner's mean share (shade and number), replications pooled; hatched where runs disagree.
- `survival_curves`: probability that each mode survives along each swept parameter, with
  Wilson confidence intervals.
- `share_series`: workshops' share of units sold over time, median and band across runs.
- `sobol_bars`: first- and total-order Sobol indices of the workshops' final share (SALib).

`plot_sweep(DIR)` (the `abm plot DIR` command) draws the ones that fit the sweep's design and
saves each as PNG and SVG under DIR/figures. Figures are `matplotlib.figure.Figure` objects,
not pyplot state, so they are safe in scripts, notebooks and worker processes.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Sequence
from pathlib import Path

import matplotlib
import numpy as np
import pandas as pd

matplotlib.use("Agg")
from matplotlib.colors import to_rgb  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.patches import Patch, Rectangle  # noqa: E402

from abm.economy.modes import MODES  # noqa: E402
from abm.stats import CONFIDENCE, wilson  # noqa: E402
from abm.style import MODE_COLOURS  # noqa: E402
from abm.sweep.designs import SOBOL, SOBOL_CONFIDENCE, Range, sobol_indices  # noqa: E402
from abm.sweep.runs import OK  # noqa: E402
from abm.sweep.spec import SweepSpec  # noqa: E402
from abm.sweep.store import FIGURES_DIR, load_results, load_series, load_sweep_spec  # noqa: E402

FORMATS = ("png", "svg")
DPI = 120
NO_SALES_COLOUR = "#9e9e9e"
LIGHTEST = 0.2  # shade of a cell whose winner holds half the market (1.0: all of it)
MAP_BINS = 6  # bins per axis when a swept parameter was sampled (lhs, sobol)
CROWDED_TICKS = 6  # more x tick labels than this, or longer ones, are slanted
SHORT_LABEL = 5  # characters: a longer x tick label counts as long
MAX_LEVELS = 12  # more distinct values than this are binned
BAND = (0.1, 0.9)  # quantiles of the band around the median share
MAX_LINES = 5
COLOUR_RANGE = 0.85  # of the viridis map: its last, palest yellow is hard to see
MAX_FACETS = 4
MAX_PANELS_PER_ROW = 3
MAX_SURVIVAL_PANELS = 6
DODGE = 0.01  # horizontal offset of the modes' points, as a share of the axis
SHARE = "share_workshop"  # the workshops' final share (the factories' is one minus it)
SERIES_SHARE = "share_units_workshop"


# --- grouping runs by a swept parameter --------------------------------------------------------
def groups(runs: pd.DataFrame, name: str, spec: SweepSpec) -> tuple[pd.Series, list[str], list]:
    """Each run's group along `name`: its value, or its bin if the parameter was sampled.

    Returns the group code per run, the labels of the groups, and their positions on an axis.
    """
    values = runs[name]
    distinct = sorted(values.dropna().unique())
    entry = spec.swept.get(name)
    if len(distinct) <= MAX_LEVELS or not pd.api.types.is_numeric_dtype(values):
        codes = values.map({v: i for i, v in enumerate(distinct)})
        return codes, [_label(v) for v in distinct], list(distinct)
    low, high = (entry.low, entry.high) if isinstance(entry, Range) else (min(values), max(values))
    edges = np.linspace(low, high, MAP_BINS + 1)
    codes = pd.Series(np.clip(np.digitize(values, edges[1:-1]), 0, MAP_BINS - 1), runs.index)
    labels = [f"{_label(a)}–{_label(b)}" for a, b in zip(edges[:-1], edges[1:], strict=True)]
    return codes, labels, list((edges[:-1] + edges[1:]) / 2)


def _label(value) -> str:
    if isinstance(value, float | np.floating):
        return f"{value:.3g}"
    return str(value)


def _spread(items: Sequence, most: int) -> list[int]:
    """Indices of at most `most` items, evenly spread and keeping both ends."""
    n = len(items)
    if n <= most:
        return list(range(n))
    return sorted({int(round(i)) for i in np.linspace(0, n - 1, most)})


# --- regime map ----------------------------------------------------------------------------------
def cells(runs: pd.DataFrame, spec: SweepSpec, x: str, y: str) -> pd.DataFrame:
    """One row per (x, y) cell: runs, the winner (most runs dominated), its wins and mean share."""
    ok = runs[runs["status"] == OK]
    xs, _, _ = groups(ok, x, spec)
    ys, _, _ = groups(ok, y, spec)
    rows = []
    for (i, j), cell in ok.groupby([xs, ys]):
        wins = cell["dominant"].value_counts()
        if wins.empty:
            rows.append({"x": i, "y": j, "runs": len(cell), "winner": None})
            continue
        top = wins[wins == wins.max()].index
        winner = max(top, key=lambda m: cell.loc[cell["dominant"] == m, f"share_{m}"].mean())
        rows.append(
            {
                "x": i,
                "y": j,
                "runs": len(cell),
                "winner": winner,
                "wins": int(wins[winner]),
                "share": float(cell[f"share_{winner}"].mean()),
            }
        )
    return pd.DataFrame(rows, columns=["x", "y", "runs", "winner", "wins", "share"])


def _shade(mode: str | None, share: float) -> tuple[float, float, float]:
    if mode is None:
        return to_rgb(NO_SALES_COLOUR)
    strength = LIGHTEST + (1 - LIGHTEST) * float(np.clip((share - 0.5) / 0.5, 0, 1))
    colour = np.array(to_rgb(MODE_COLOURS[mode]))
    return tuple(1 - strength * (1 - colour))


def regime_map(runs: pd.DataFrame, spec: SweepSpec, x: str, y: str) -> Figure:
    """Which mode dominates where, over two swept parameters (replications pooled)."""
    table = cells(runs, spec, x, y)
    _, xlabels, _ = groups(runs, x, spec)
    _, ylabels, _ = groups(runs, y, spec)
    image = np.ones((len(ylabels), len(xlabels), 3))
    fig = Figure(figsize=(1.0 + 0.9 * max(len(xlabels), 4), 1.6 + 0.6 * max(len(ylabels), 4)))
    ax = fig.subplots()
    for row in table.itertuples():
        image[row.y, row.x] = _shade(row.winner, row.share)
    ax.imshow(image, origin="lower", aspect="auto")
    small = 9 if len(xlabels) <= 6 else 7
    for row in table.itertuples():
        if row.winner is None:
            ax.text(row.x, row.y, "no sales", ha="center", va="center", fontsize=small)
            continue
        split = row.wins < row.runs
        text = f"{row.share:.2f}" + (f"\n{row.wins}/{row.runs}" if split else "")
        dark = _shade(row.winner, row.share)[0] < 0.5
        ax.text(
            row.x,
            row.y,
            text,
            ha="center",
            va="center",
            fontsize=small,
            color="white" if dark else "black",
        )
        if split:
            ax.add_patch(
                Rectangle(
                    (row.x - 0.5, row.y - 0.5), 1, 1, fill=False, hatch="///", lw=0, alpha=0.5
                )
            )
    crowded = len(xlabels) > CROWDED_TICKS or max(map(len, xlabels)) > SHORT_LABEL
    ax.set_xticks(
        range(len(xlabels)),
        xlabels,
        rotation=30 if crowded else 0,
        ha="right" if crowded else "center",
    )
    ax.set_yticks(range(len(ylabels)), ylabels)
    ax.set_xlabel(x)
    ax.set_ylabel(y)
    others = [n for n in spec.swept if n not in (x, y)]
    seeds = f"{spec.replications} replication{'s' if spec.replications > 1 else ''}"
    pooled = ", ".join([seeds, *others])
    ax.set_title(f"{spec.name}: dominant mode\n({pooled} pooled)", fontsize=10)
    handles = [Patch(color=MODE_COLOURS[m], label=m) for m in MODES]
    handles.append(Patch(facecolor="white", edgecolor="grey", hatch="///", label="runs disagree"))
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1), fontsize=8)
    fig.text(
        0.01,
        0.01,
        "number: the winner's mean final share (darker: larger); k/n: runs it won",
        fontsize=7,
    )
    fig.tight_layout(rect=(0, 0.03, 1, 1))
    return fig


# --- survival probability ------------------------------------------------------------------------
def survival_table(runs: pd.DataFrame, spec: SweepSpec, name: str) -> pd.DataFrame:
    """Per group along `name` and mode: runs, survivals, probability and Wilson interval."""
    ok = runs[runs["status"] == OK]
    codes, labels, positions = groups(ok, name, spec)
    rows = []
    for code, group in ok.groupby(codes):
        n = len(group)
        for mode in MODES:
            k = int(group[f"survives_{mode}"].sum())
            low, high = wilson(k, n)
            rows.append(
                {
                    "group": labels[code],
                    "position": positions[code],
                    "mode": mode,
                    "runs": n,
                    "survived": k,
                    "p": k / n,
                    "low": low,
                    "high": high,
                }
            )
    return pd.DataFrame(rows)


def survival_curves(runs: pd.DataFrame, spec: SweepSpec, names: Sequence[str]) -> Figure:
    """Probability that each mode survives along each parameter (others pooled)."""
    names = list(names)[:MAX_SURVIVAL_PANELS]
    fig = Figure(figsize=(4.2 * len(names), 3.6))
    axes = fig.subplots(1, len(names), sharey=True, squeeze=False)[0]
    for ax, name in zip(axes, names, strict=True):
        table = survival_table(runs, spec, name)
        numeric = pd.api.types.is_numeric_dtype(runs[name]) and runs[name].dtype != bool
        span = np.ptp(table["position"]) if numeric else len(table) / len(MODES)
        for side, mode in zip((-1, 1), MODES, strict=True):
            rows = table[table["mode"] == mode]
            x = rows["position"] if numeric else np.arange(len(rows))
            ax.errorbar(
                np.asarray(x, dtype=float) + side * DODGE * span,
                rows["p"],
                yerr=[rows["p"] - rows["low"], rows["high"] - rows["p"]],
                marker="o" if mode == MODES[0] else "s",
                capsize=3,
                color=MODE_COLOURS[mode],
                label=mode,
            )
        if not numeric:
            labels = table.loc[table["mode"] == MODES[0], "group"]
            ax.set_xticks(np.arange(len(labels)), labels)
        ax.set_xlabel(name)
        ax.set_ylim(-0.05, 1.05)
        ax.grid(alpha=0.3)
    axes[0].set_ylabel(f"P(mode survives), {CONFIDENCE:.0%} Wilson CI")
    axes[0].legend(fontsize=8)
    fig.suptitle(f"{spec.name}: survival probability (other parameters pooled)", fontsize=10)
    fig.tight_layout()
    return fig


# --- share time series -----------------------------------------------------------------------
def share_series(
    series: pd.DataFrame, runs: pd.DataFrame, spec: SweepSpec, by: str, facet: str | None
) -> Figure:
    """Workshops' share of units sold over time: median line and a band across runs,
    one line per value of `by`, one panel per value of `facet`."""
    keep = runs[runs["status"] == OK].set_index("run_id")
    line_codes, line_labels, _ = groups(keep, by, spec)
    if facet is not None:
        facet_codes, facet_labels, _ = groups(keep, facet, spec)
    else:
        facet_codes, facet_labels = pd.Series(0, keep.index), ["all runs"]
    data = series[series["run_id"].isin(keep.index)].assign(
        line=lambda d: d["run_id"].map(line_codes), panel=lambda d: d["run_id"].map(facet_codes)
    )
    panels = _spread(facet_labels, MAX_FACETS)
    lines = _spread(line_labels, MAX_LINES)
    cmap = matplotlib.colormaps["viridis"]
    rows = math.ceil(len(panels) / MAX_PANELS_PER_ROW)
    columns = math.ceil(len(panels) / rows)
    fig = Figure(figsize=(4.4 * columns, 3.2 * rows + 0.6))
    axes = fig.subplots(rows, columns, sharey=True, sharex=True, squeeze=False).ravel()
    for ax, panel in zip(axes, panels, strict=False):  # a grid may have a spare axes
        for rank, line in enumerate(lines):
            part = data[(data["panel"] == panel) & (data["line"] == line)]
            if part.empty:
                continue
            by_day = part.groupby("day")[SERIES_SHARE]
            colour = cmap(COLOUR_RANGE * rank / max(len(lines) - 1, 1))
            ax.fill_between(
                by_day.quantile(BAND[0]).index,
                by_day.quantile(BAND[0]),
                by_day.quantile(BAND[1]),
                color=colour,
                alpha=0.2,
                lw=0,
            )
            ax.plot(by_day.median(), color=colour, label=f"{by}={line_labels[line]}")
        ax.set_title(f"{facet}={facet_labels[panel]}" if facet else facet_labels[panel], fontsize=9)
        ax.set_ylim(-0.02, 1.02)
        ax.grid(alpha=0.3)
    for ax in axes[len(panels) :]:
        ax.set_visible(False)
    for ax in axes[(rows - 1) * columns :]:
        ax.set_xlabel("day")
    for ax in axes[::columns]:
        ax.set_ylabel("workshops' share of units sold")
    axes[0].legend(fontsize=7)
    low, high = (f"{q:.0%}" for q in BAND)
    fig.suptitle(
        f"{spec.name}: workshops' share (factories: one minus it), median and {low}–{high} of runs",
        fontsize=10,
    )
    fig.tight_layout()
    return fig


# --- Sobol indices -------------------------------------------------------------------------------
def sobol_table(runs: pd.DataFrame, spec: SweepSpec) -> pd.DataFrame:
    """S1 and ST of the workshops' final share (mean over replications), by parameter."""
    ok = runs[runs["status"] == OK]
    outputs = ok.groupby("point")[SHARE].mean().reindex(range(len(spec.points)))
    ranges = {k: v for k, v in spec.swept.items() if isinstance(v, Range)}
    return sobol_indices(ranges, outputs.to_numpy(), spec.second_order, spec.seed)


def sobol_bars(indices: pd.DataFrame, spec: SweepSpec) -> Figure:
    """First- and total-order indices as bars with their confidence intervals."""
    order = indices.sort_values("ST", ascending=False)
    x = np.arange(len(order))
    width = 0.38
    fig = Figure(figsize=(1.6 + 1.1 * len(order), 3.8))
    ax = fig.subplots()
    for offset, key, colour in ((-width / 2, "S1", "#4c72b0"), (width / 2, "ST", "#dd8452")):
        ax.bar(
            x + offset,
            order[key],
            width,
            yerr=order[f"{key}_conf"],
            capsize=3,
            color=colour,
            label={"S1": "first order S1", "ST": "total order ST"}[key],
        )
    ax.set_xticks(x, order.index, rotation=20, ha="right")
    ax.set_ylabel("Sobol index of workshops' final share")
    ax.axhline(0, color="black", lw=0.8)
    ax.legend(fontsize=8)
    ax.set_title(
        f"{spec.name}: sensitivity (N={spec.samples}, {len(spec.points)} points, "
        f"{SOBOL_CONFIDENCE:.0%} CI)",
        fontsize=10,
    )
    fig.tight_layout()
    return fig


# --- all figures of a sweep ------------------------------------------------------------------
def map_axes(varied: list[str], indices: pd.DataFrame | None) -> tuple[str, str] | None:
    """The two swept parameters of the regime map: the first two that vary, or the two with the
    largest total-order index if a Sobol analysis (`sobol_table`) is given."""
    if len(varied) < 2:
        return None
    if indices is not None:
        return tuple(indices["ST"].sort_values(ascending=False).index[:2])
    return varied[0], varied[1]


def save(fig: Figure, stem: Path, formats: Sequence[str] = FORMATS) -> list[Path]:
    paths = []
    for fmt in formats:
        path = stem.with_suffix(f".{fmt}")
        fig.savefig(path, dpi=DPI)
        paths.append(path)
    return paths


def plot_sweep(out: str | Path, formats: Sequence[str] = FORMATS) -> list[Path]:
    """Draw every figure that fits the sweep in `out`; return the files written."""
    out = Path(out)
    spec = load_sweep_spec(out)
    runs = load_results(out)
    folder = out / FIGURES_DIR
    folder.mkdir(exist_ok=True)
    written: list[Path] = []
    if not (runs["status"] == OK).any():
        return written
    varied = [n for n in spec.swept if runs[n].nunique() > 1]
    indices = None
    if spec.design == SOBOL:
        with contextlib.suppress(ValueError):  # a design point without an ok run: no analysis
            indices = sobol_table(runs, spec)
    axes = map_axes(varied, indices)
    if axes is not None:
        written += save(regime_map(runs, spec, *axes), folder / "regime-map", formats)
    if varied:
        written += save(survival_curves(runs, spec, varied), folder / "survival", formats)
    series = load_series(out)
    if series is not None and SERIES_SHARE in series.columns and varied:
        by = axes[0] if axes else varied[0]
        facet = axes[1] if axes else None
        written += save(share_series(series, runs, spec, by, facet), folder / "share", formats)
    if indices is not None:
        indices.to_csv(folder / "sobol-indices.csv", index_label="parameter")
        written.append(folder / "sobol-indices.csv")
        written += save(sobol_bars(indices, spec), folder / "sobol", formats)
    return written

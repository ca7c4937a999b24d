"""Checks: what a run measured against what a theory or a claim says, as rows of a report.

A `Check` is a named set of `Row`s, each a comparison of a measurement (with its confidence
interval) with a reference: the theory inside the interval, or the measurement on the stated side
of a reference for a directional claim, or only shown. `section` writes a check as Markdown with
its figure; the validation report (`abm.reports.validation`) is a list of them.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import matplotlib
import numpy as np
from scipy import stats

from abm.stats import wilson

matplotlib.use("Agg")
from matplotlib.figure import Figure  # noqa: E402

CONFIDENCE = 0.999  # per row; with some forty rows, about 96% for the whole family


@dataclass
class Row:
    """One comparison. `expect` says what passes: the theory inside the measured interval,
    or the measurement at most / below / above the reference for a directional claim."""

    label: str
    theory: float
    measured: float
    low: float
    high: float
    expect: str = "inside"

    @property
    def ok(self) -> bool:
        return {
            "inside": self.low <= self.theory <= self.high,
            "at_most": self.measured <= self.theory,
            "below": self.measured < self.theory,
            "above": self.measured > self.theory,
            "report": True,  # shown, not checked: the model does not settle the claim
        }[self.expect]

    @property
    def verdict(self) -> str:
        if self.expect == "report":
            return "shown"
        return "yes" if self.ok else "NO"


def direction(label: str, reference: float, measured: float, expect: str) -> Row:
    """A row for a directional claim: the measurement against a reference value."""
    return Row(label, reference, measured, measured, measured, expect)


@dataclass
class Check:
    name: str
    configuration: str
    theory: str
    rows: list[Row] = field(default_factory=list)
    notes: str = ""
    curve: tuple[str, str, list, list] | None = None  # x label, y label, x, y for the figure
    draw: Callable[[Figure], None] | None = None  # a figure of its own, instead of the rows
    figsize: tuple[float, float] = (10, 4)  # inches, of the figure `draw` draws

    @property
    def passed(self) -> bool:
        return all(row.ok for row in self.rows)


def exact(label: str, theory: float, measured: float, tolerance: float = 1e-6) -> Row:
    """A row for a deterministic quantity: the interval is the stated tolerance."""
    return Row(label, theory, measured, measured - tolerance, measured + tolerance)


def proportion(label: str, theory: float, hits: int, trials: int) -> Row:
    """A row for a share of trials, with its Wilson confidence interval."""
    low, high = wilson(hits, trials, CONFIDENCE)
    return Row(label, theory, hits / trials, low, high)


def batch_means(label: str, theory: float, values: np.ndarray, batches: int = 10) -> Row:
    """A row for a long-run ratio, with a batch-means confidence interval."""
    parts = np.array_split(np.asarray(values, dtype=float), batches)
    means = np.array([part.mean() for part in parts])
    half = stats.t.ppf(0.5 + CONFIDENCE / 2, batches - 1) * means.std(ddof=1) / math.sqrt(batches)
    return Row(label, theory, float(means.mean()), means.mean() - half, means.mean() + half)


def figure(check: Check, path) -> None:
    """A PNG: the check's own drawing if it has one, else its curve if it has one, else each
    row's measurement against theory."""
    if check.draw is not None:
        fig = Figure(figsize=check.figsize)
        check.draw(fig)
        fig.suptitle(check.name)
        fig.tight_layout()
        fig.savefig(path, dpi=110)
        return
    fig = Figure(figsize=(7, 0.45 * len(check.rows) + 1.6) if not check.curve else (7, 4))
    ax = fig.subplots()
    if check.curve:
        xlabel, ylabel, x, y = check.curve
        ax.plot(x, y, marker="o", color="tab:blue", label="model")
        if check.name == "Learning curve":
            ax.set_xscale("log", base=2)
            ax.set_yscale("log", base=2)
            b = -math.log2(0.8)
            ax.plot(x, [y[0] * (xi / x[0]) ** -b for xi in x], "k--", label="Wright, PR 0.8")
        ax.set_xlabel(xlabel)
        ax.set_ylabel(ylabel)
        ax.legend()
    else:
        ys = np.arange(len(check.rows))[::-1]
        for y, row in zip(ys, check.rows, strict=True):
            scale = abs(row.theory) or 1.0
            ax.errorbar(
                row.measured / scale,
                y,
                xerr=[[(row.measured - row.low) / scale], [(row.high - row.measured) / scale]],
                fmt="o",
                color="tab:blue" if row.ok else "tab:red",
                capsize=3,
            )
            ax.plot(1.0 if row.theory else 0.0, y, "k|", markersize=14)
        ax.set_yticks(ys, [row.label for row in check.rows], fontsize=8)
        ax.set_xlabel("measured / theory (black bar: theory; blue: passes, red: fails)")
    ax.set_title(check.name)
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def section(check: Check, figures: Path) -> list[str]:
    """The Markdown lines of one check, its figure written under `figures`."""
    slug = check.name.lower().replace(" ", "-")
    slug = "".join(c for c in slug if c.isalnum() or c == "-")  # a file name on any system
    figure(check, figures / f"{slug}.png")
    lines = [
        f"## {check.name}: {'passes' if check.passed else 'FAILS'}",
        "",
        f"- Configuration: {check.configuration}.",
        f"- Theory: {check.theory}.",
        "",
        "| what | theory | measured | interval | expect | ok |",
        "|---|---|---|---|---|---|",
    ]
    lines += [
        f"| {r.label} | {r.theory:.6g} | {r.measured:.6g} | [{r.low:.6g}, {r.high:.6g}] | "
        f"{r.expect} | {r.verdict} |"
        for r in check.rows
    ]
    if check.notes:
        lines += ["", check.notes]
    return lines + ["", f"![{check.name}]({figures.name}/{slug}.png)", ""]

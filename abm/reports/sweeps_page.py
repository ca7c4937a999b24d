"""Regenerate the results in docs/sweeps.md by running real sweeps:
`python -m abm.reports.sweeps_page`.

Runs the sweep files named in `DOC_SWEEPS` from runs/sweeps/ as they are (about three minutes
on two cores; `--replications N` overrides the files' replications for a quicker look), draws
their figures into docs/sweeps/, and rewrites the blocks between `<!-- sweep:NAME:start -->` and
`<!-- sweep:NAME:end -->` with the run's facts, a table of the regime map and the figures. Prose
outside the blocks is left alone.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import sys
import tomllib
from pathlib import Path

import pandas as pd

from abm.style import text_table
from abm.sweep import OK, SweepSpec, SweepSummary, load_results, load_sweep_spec, run_sweep
from abm.sweep.plots import cells, groups, plot_sweep
from abm.sweep.store import FIGURES_DIR, SWEEP_JSON

SWEEP_FILES = Path(__file__).resolve().parents[2] / "runs" / "sweeps"  # the repository's
DOC_SWEEPS = ("subsidy-sunset", "peak-latency")
FIGURES = ("regime-map", "survival", "share")
OUT = Path("out") / "sweeps-docs"


def run_doc_sweep(
    name: str, out: Path, replications: int | None, workers: int | None
) -> SweepSummary:
    """One sweep file from runs/sweeps, afresh (with `replications` if given)."""
    path = SWEEP_FILES / f"{name}.toml"
    spec = tomllib.loads(path.read_text())
    spec["name"] = name
    if replications is not None:
        spec["replications"] = replications
    shutil.rmtree(out, ignore_errors=True)
    return run_sweep(spec, out, workers=workers)


def regime_table(spec: SweepSpec, runs: pd.DataFrame, table: pd.DataFrame) -> str:
    """The regime map (`table`, from `cells` over the first two swept parameters) as a Markdown
    table: the winner, its mean share, and runs it won."""
    x, y = list(spec.swept)[:2]
    _, xlabels, _ = groups(runs, x, spec)
    _, ylabels, _ = groups(runs, y, spec)
    table = table.set_index(["x", "y"])
    rows = []
    for j in reversed(range(len(ylabels))):
        row = [ylabels[j]]
        for i in range(len(xlabels)):
            if (i, j) not in table.index:
                row.append("")
                continue
            cell = table.loc[(i, j)]
            row.append(
                "no sales"
                if cell["winner"] is None or pd.isna(cell["winner"])
                else f"{cell['winner']} {cell['share']:.2f} ({int(cell['wins'])}/{cell['runs']})"
            )
        rows.append(tuple(row))
    return text_table((f"{y} \\ {x}", *xlabels), rows, markdown=True)


def facts(
    spec: SweepSpec,
    runs: pd.DataFrame,
    table: pd.DataFrame,
    out: Path,
    summary: SweepSummary,
    replications: int | None,
) -> str:
    """What was run, and counts that the prose can lean on (`table`: the regime map's cells)."""
    ok = runs[runs["status"] == OK]
    won = table["winner"].value_counts()
    split = int((table["wins"] < table["runs"]).sum())
    about = json.loads((out / SWEEP_JSON).read_text())
    reps = (
        f"as it is ({spec.replications} replications)"
        if replications is None
        else f"with {spec.replications} replication(s) instead of the file's"
    )
    survive = {m: ok[f"survives_{m}"].mean() for m in ("factory", "workshop")}
    return "\n".join(
        [
            f"- Ran `runs/sweeps/{spec.name}.toml` {reps}: {summary.total} runs of "
            f"{spec.steps} days, {summary.ok} ok, {summary.failed} failed, in "
            f"{summary.seconds / 60:.1f} min on {summary.backend} "
            f"(abm {about['abm_version']}, {about['created_at'][:10]}).",
            f"- Cells won by factories: {won.get('factory', 0)}, by workshops: "
            f"{won.get('workshop', 0)}, of {len(table)}; runs disagree in {split} cells.",
            f"- Share of runs in which each mode survives: factories {survive['factory']:.0%}, "
            f"workshops {survive['workshop']:.0%}.",
        ]
    )


def block(
    name: str, out: Path, summary: SweepSummary, figures: Path, replications: int | None
) -> str:
    """The generated Markdown of one sweep: facts, the regime table, the figures."""
    spec = load_sweep_spec(out)
    runs = load_results(out)
    table = cells(runs, spec, *list(spec.swept)[:2])
    lines = [
        facts(spec, runs, table, out, summary, replications),
        "",
        "Regime map as a table: the mode that dominated most runs of each cell, its mean final "
        "share, and the runs it won.",
        "",
        regime_table(spec, runs, table),
        "",
    ]
    for figure in FIGURES:
        source = out / FIGURES_DIR / f"{figure}.png"
        if source.exists():
            target = figures / f"{name}-{figure}.png"
            shutil.copyfile(source, target)
            lines.append(f"![{name}: {figure}](sweeps/{target.name})")
            lines.append("")
    return "\n".join(lines).strip()


def refresh(doc: Path, replications: int | None = None, workers: int | None = None) -> None:
    """Run every doc sweep and rewrite its block in `doc`."""
    figures = doc.parent / "sweeps"
    figures.mkdir(parents=True, exist_ok=True)
    text = doc.read_text()
    for name in DOC_SWEEPS:
        out = OUT / name
        summary = run_doc_sweep(name, out, replications, workers)
        print(summary.text())
        plot_sweep(out, formats=("png",))
        generated = block(name, out, summary, figures, replications)
        tag = re.escape(name)
        pattern = rf"(<!-- sweep:{tag}:start -->\n).*?(<!-- sweep:{tag}:end -->)"
        text, found = re.subn(
            pattern, lambda m, g=generated: f"{m.group(1)}{g}\n{m.group(2)}", text, flags=re.S
        )
        if not found:
            raise SystemExit(f"{doc} has no block <!-- sweep:{name}:start --> ... :end -->")
        doc.write_text(text)  # after each sweep: a later failure keeps the earlier results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m abm.reports.sweeps_page", description=__doc__)
    parser.add_argument("doc", type=Path, nargs="?", default=Path("docs/sweeps.md"))
    parser.add_argument("--replications", type=int, help="instead of the files' (quicker)")
    parser.add_argument("--workers", type=int, help="local worker processes (default: all)")
    args = parser.parse_args(argv)
    refresh(args.doc, args.replications, args.workers)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""`abm sweep FILE` and `abm plot DIR`: `add_sweep_commands` adds them to the `abm` parser."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from abm.economy.parameters import ParameterError
from abm.sweep.driver import DEFAULT_OUT, SweepBroken, run_sweep
from abm.sweep.spec import load_spec
from abm.sweep.store import SPEC_JSON

EXIT_OK, EXIT_RUNS_FAILED, EXIT_INTERRUPTED = 0, 1, 130


def add_sweep_commands(sub: argparse._SubParsersAction) -> None:
    """Add `sweep` and `plot` to the `abm` command's subparsers."""
    sweep = sub.add_parser(
        "sweep",
        help="run a parameter sweep from a TOML file (exit 1 if any run failed)",
        description="Run every run of a sweep spec; results stream to --out as Parquet, and the "
        "figures are drawn at the end. Exit code: 0 all runs ok, 1 some failed, 2 bad spec.",
    )
    sweep.add_argument(
        "file", type=Path, metavar="FILE", help="sweep spec (.toml), e.g. from runs/sweeps/"
    )
    sweep.add_argument(
        "--workers",
        type=int,
        metavar="N",
        help="local worker processes (default: all cores; 1: in this process)",
    )
    sweep.add_argument(
        "--scheduler", metavar="ADDRESS", help="run on a Dask cluster, e.g. tcp://host:8786"
    )
    sweep.add_argument(
        "--out", type=Path, metavar="DIR", help="results directory (default out/sweeps/NAME)"
    )
    sweep.add_argument("--resume", action="store_true", help="skip the runs already in --out")
    sweep.add_argument(
        "--runs-per-task",
        type=int,
        metavar="N",
        help="runs per task (default: about two seconds of work)",
    )
    sweep.add_argument("--no-plot", action="store_true", help="do not draw the figures at the end")
    sweep.set_defaults(func=cmd_sweep)

    plot = sub.add_parser("plot", help="draw the figures of a sweep's results (PNG and SVG)")
    plot.add_argument("dir", type=Path, metavar="DIR", help="a sweep's results directory")
    plot.set_defaults(func=cmd_plot)


def cmd_sweep(args: argparse.Namespace) -> int:
    """`abm sweep`: 0 if every run finished ok, 1 if any failed, 130 if interrupted."""
    spec = load_spec(args.file)
    out = args.out or DEFAULT_OUT / spec.name
    try:
        summary = run_sweep(
            spec,
            out,
            workers=args.workers,
            scheduler=args.scheduler,
            resume=args.resume,
            runs_per_task=args.runs_per_task,
        )
    except KeyboardInterrupt:
        print(f"\ninterrupted: finished runs are saved in {out}; continue with --resume")
        return EXIT_INTERRUPTED
    except SweepBroken as err:
        print(f"error: {err}", file=sys.stderr)
        return EXIT_RUNS_FAILED
    print(summary.text())
    if not args.no_plot and summary.ok:
        try:
            _plot(out)
        except Exception as err:  # the results are safe on disk; the figures can wait
            print(f"figures failed ({err!r}); draw them with: abm plot {out}", file=sys.stderr)
    return EXIT_RUNS_FAILED if summary.any_failed else EXIT_OK


def _plot(out: Path) -> None:
    from abm.sweep.plots import plot_sweep

    for path in plot_sweep(out):
        print(f"figure: {path}")


def cmd_plot(args: argparse.Namespace) -> int:
    """`abm plot DIR`: the figures that fit the sweep's design, as PNG and SVG."""
    if not (args.dir / SPEC_JSON).exists():
        raise ParameterError(f"{args.dir} is not a sweep directory (no {SPEC_JSON})")
    _plot(args.dir)
    return EXIT_OK

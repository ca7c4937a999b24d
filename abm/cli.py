"""The `abm` command line: run a scenario, list parameters and scenarios."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from tqdm import tqdm

from abm.economy.metrics import HEADLINE
from abm.economy.modes import MODES
from abm.economy.parameters import PARAMETERS, ParameterError, unknown_name_error
from abm.economy.scenarios import available, load_scenario
from abm.reports.bench import add_arguments as bench_arguments
from abm.reports.odd_tables import metric_table, parameter_table
from abm.sweep import add_sweep_commands

DEFAULT_DAYS = 365


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except ParameterError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="abm", description="Which production mode survives: home workshops or factories?"
    )
    sub = parser.add_subparsers(required=True, metavar="COMMAND")

    run = sub.add_parser("run", help="run one scenario and print the verdict")
    run.add_argument("--scenario", default="baseline", help="preset name or path to a .toml")
    run.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="override a parameter (repeatable)",
    )
    run.add_argument("--steps", type=int, default=DEFAULT_DAYS, help="days to simulate")
    run.add_argument("--seed", type=int, default=0, help="random seed")
    run.add_argument("--out", type=Path, help="write the per-step table (.parquet or .csv)")
    run.add_argument("--json", action="store_true", help="print the result as one JSON object")
    run.set_defaults(func=cmd_run)

    params = sub.add_parser("params", help="list every parameter")
    params.add_argument("--markdown", action="store_true", help="as a Markdown table")
    params.set_defaults(func=cmd_params)

    scenarios = sub.add_parser("scenarios", help="list the scenario presets")
    scenarios.set_defaults(func=cmd_scenarios)

    metrics = sub.add_parser("metrics", help="list the columns of the per-step table")
    metrics.add_argument("--markdown", action="store_true", help="as a Markdown table")
    metrics.set_defaults(func=cmd_metrics)

    viz = sub.add_parser("viz", help="watch and steer one run in the browser")
    viz.add_argument(
        "--host",
        default="127.0.0.1",
        help="address to listen on (default 127.0.0.1: the page runs code on this machine, "
        "so expose it only on purpose)",
    )
    viz.add_argument("--port", type=int, help="port (default: a free one)")
    viz.set_defaults(func=cmd_viz)

    bench = sub.add_parser("bench", help="benchmark speed and memory against Mesa's baseline")
    bench_arguments(bench)
    bench.set_defaults(func=cmd_bench)

    add_sweep_commands(sub)  # abm sweep FILE ..., abm plot DIR
    return parser


def parse_overrides(pairs: list[str]) -> dict[str, str]:
    """NAME=VALUE strings into a dict; values are checked by the schema later."""
    overrides = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        name = name.strip()
        if not sep or not name:
            raise ParameterError(f"--set {pair!r} must look like NAME=VALUE")
        if name not in PARAMETERS:
            raise unknown_name_error(name, " (in --set)")
        overrides[name] = value.strip()
    return overrides


def cmd_run(args) -> int:
    from abm.economy.model import ProductionEconomy

    if args.steps < 1:
        raise ParameterError(f"--steps={args.steps} must be at least 1")
    if args.out and args.out.suffix not in (".parquet", ".csv"):
        raise ParameterError(f"--out={args.out} must end in .parquet or .csv")
    scenario = load_scenario(args.scenario)
    overrides = parse_overrides(args.set)
    params = scenario.parameters(overrides)
    model = ProductionEconomy(rng=args.seed, **params)
    show = not args.json and args.steps >= 100
    for _ in tqdm(range(args.steps), desc="days", disable=not show or None, leave=False):
        model.step()
    result = {
        "scenario": scenario.name,
        "seed": args.seed,
        "overrides": {**scenario.overrides, **overrides},
        **model.verdict(),
    }
    if args.out:
        df = model.dataframe()
        args.out.parent.mkdir(parents=True, exist_ok=True)
        df.to_parquet(args.out) if args.out.suffix == ".parquet" else df.to_csv(args.out)
        result["table"] = str(args.out)
    print(json.dumps(result, indent=2) if args.json else format_result(result))
    return 0


def format_result(result: dict) -> str:
    """The verdict and headline figures by mode as a readable table."""
    lines = [
        f"scenario {result['scenario']}, seed {result['seed']}, {result['days']} days",
        f"survivors: {', '.join(result['survivors']) or 'none'}",
        f"dominant:  {result['dominant'] or 'none'}"
        + (f" since day {result['dominant_since_day']}" if result["dominant_since_day"] else ""),
        "",
        f"{'':24}" + "".join(f"{mode:>14}" for mode in MODES),
    ]
    keys = ["final_share", *HEADLINE, "entries_total", "bankruptcies_total", "subsidies_total"]
    for key in keys:
        cells = "".join(f"{_fmt(result['by_mode'][mode][key], key):>14}" for mode in MODES)
        lines.append(f"{key:24}{cells}")
    if "table" in result:
        lines += ["", f"per-step table written to {result['table']}"]
    return "\n".join(lines)


COUNTS = ("active_firms", "entries_total", "bankruptcies_total")


def _fmt(value, key: str = "") -> str:
    if value is None:
        return "-"
    if key in COUNTS:
        return f"{value:,.0f}"
    return f"{value:,.3f}" if abs(value) < 100 else f"{value:,.1f}"


def cmd_params(args) -> int:
    print(parameter_table(args.markdown))
    return 0


def cmd_metrics(args) -> int:
    print(metric_table(args.markdown))
    return 0


def cmd_viz(args) -> int:
    from abm.viz.app import serve

    if args.port is not None and not 1 <= args.port <= 65535:
        raise ParameterError(f"--port={args.port} is out of range: allowed [1, 65535]")
    return serve(args.host, args.port)


def cmd_bench(args) -> int:
    from abm.reports.bench import run_benchmark

    return run_benchmark(quick=args.quick, json_path=args.json, plot_path=args.plot)


def cmd_scenarios(args) -> int:
    for name in available():
        scenario = load_scenario(name)
        print(f"{name}: {scenario.description}")
        for key, value in scenario.overrides.items():
            print(f"    {key} = {value!r}  (default {PARAMETERS[key].default!r})")
    return 0


if __name__ == "__main__":
    sys.exit(main())

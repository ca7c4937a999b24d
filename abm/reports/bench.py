"""The benchmark: speed and memory at scale, with Mesa's own Boltzmann example as the baseline.

    python -m abm.reports.bench            # the full table (about ten minutes on a 2-core machine)
    python -m abm.reports.bench --quick    # a smoke version: checks that every figure is produced

Every figure is measured in this run, on this machine; the baseline is measured beside ours, so
the ratio means something on any machine. Each economy and the baseline run in a fresh process,
so that peak memory (resident set size) belongs to that run alone. Targets (issue 6) are
printed next to the figures; they are never asserted in unit tests, which would be flaky.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import multiprocessing
import resource
import sys
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import astuple, dataclass
from pathlib import Path

from abm.economy.parameters import DEFAULTS
from abm.style import text_table

FULL_SIZES = (1_000, 10_000, 100_000)
QUICK_SIZES = (200, 1_000)
FULL_DAYS = 365
QUICK_DAYS = 5
BOLTZMANN_AGENTS = 10_000  # the size the targets are stated at
BOLTZMANN_STEPS = 50
QUICK_BOLTZMANN = (1_000, 5)  # agents, steps

# Targets of issue 6, on a 2-core machine like CI's.
TARGET_SECONDS_100K_YEAR = 60.0
TARGET_PEAK_MB = 2048.0
TARGET_BASELINE_RATIO = 0.1  # our cost per consumer-day over Boltzmann's per agent-step
TARGET_LINEARITY = 1.2  # cost per consumer-day at 100k over that at 10k


def scaled_parameters(n_consumers: int) -> dict:
    """The default economy grown to `n_consumers`: firms per household and density kept."""
    scale = n_consumers / DEFAULTS["n_consumers"]
    side = max(5, round(DEFAULTS["grid_width"] * scale**0.5))
    return {
        "n_consumers": n_consumers,
        "n_factories": max(1, round(DEFAULTS["n_factories"] * scale)),
        "n_workshops": round(DEFAULTS["n_workshops"] * scale),
        "grid_width": side,
        "grid_height": side,
    }


def _peak_mb() -> float:
    """Peak resident set size of this process, in MB (Linux reports kB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def economy_run(n_consumers: int, days: int, seed: int = 0) -> dict:
    """Build and run the default economy at a size; time and memory of this process."""
    from abm.economy.model import ProductionEconomy

    start = time.perf_counter()
    model = ProductionEconomy(rng=seed, **scaled_parameters(n_consumers))
    built = time.perf_counter()
    model.run_for(days)
    done = time.perf_counter()
    run = done - built
    return {
        "consumers": n_consumers,
        "days": days,
        "build_s": built - start,
        "run_s": run,
        "total_s": done - start,
        "s_per_day": run / days,
        "us_per_consumer_day": run / days / n_consumers * 1e6,
        "peak_mb": _peak_mb(),
        "dominant": model.verdict()["dominant"],
    }


def boltzmann_run(n_agents: int, steps: int, seed: int = 0) -> dict:
    """Mesa's Boltzmann wealth example (shipped with mesa) per agent-step: the baseline."""
    from mesa.examples.basic.boltzmann_wealth_model.model import (
        BoltzmannScenario,
        BoltzmannWealth,
    )

    side = max(10, round(n_agents**0.5))  # one agent per cell on average
    model = BoltzmannWealth(BoltzmannScenario(n=n_agents, width=side, height=side, rng=seed))
    start = time.perf_counter()
    model.run_for(steps)
    run = time.perf_counter() - start
    return {
        "agents": n_agents,
        "steps": steps,
        "run_s": run,
        "us_per_agent_step": run / steps / n_agents * 1e6,
        "peak_mb": _peak_mb(),
    }


def in_fresh_process(fn: Callable[..., dict], *args):
    """Run `fn(*args)` in a new process, so its peak memory is its own."""
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(1, mp_context=context, max_tasks_per_child=1) as pool:
        return pool.submit(fn, *args).result()


@dataclass
class Row:
    figure: str
    value: str
    target: str = ""
    verdict: str = ""


def _check(ok: bool) -> str:
    return "met" if ok else "NOT MET"


def run_economies(sizes, days: int) -> list[dict]:
    """The economy at each size, each in a fresh process."""
    runs = []
    for n in sizes:
        print(f"  economy at {n:,} consumers for {days} days ...", file=sys.stderr, flush=True)
        runs.append(in_fresh_process(economy_run, n, days))
    return runs


def economy_rows(runs: list[dict], days: int, baseline_us: float) -> tuple[list[Row], list[dict]]:
    rows = []
    for r in runs:
        n = r["consumers"]
        rows += [
            Row(f"{n:,} consumers: build", f"{r['build_s']:.2f} s"),
            Row(f"{n:,} consumers: seconds per day", f"{r['s_per_day'] * 1e3:.1f} ms"),
            Row(f"{n:,} consumers: per consumer-day", f"{r['us_per_consumer_day']:.2f} µs"),
            Row(f"{n:,} consumers: peak memory", f"{r['peak_mb']:.0f} MB"),
        ]
    big = runs[-1]
    if big["consumers"] == FULL_SIZES[-1] and days == FULL_DAYS:
        memory = rows[-1]  # the largest economy's peak memory
        memory.target = f"< {TARGET_PEAK_MB:.0f} MB"
        memory.verdict = _check(big["peak_mb"] < TARGET_PEAK_MB)
        seconds = big["total_s"]
        rows.append(
            Row(
                "100,000 consumers x 365 days, one core",
                f"{seconds:.1f} s",
                f"<= {TARGET_SECONDS_100K_YEAR:.0f} s",
                _check(seconds <= TARGET_SECONDS_100K_YEAR),
            )
        )
    ratio = big["us_per_consumer_day"] / baseline_us
    rows.append(
        Row(
            f"per consumer-day at {big['consumers']:,} / Boltzmann per agent-step",
            f"{ratio:.3f}",
            f"<= {TARGET_BASELINE_RATIO}",
            _check(ratio <= TARGET_BASELINE_RATIO),
        )
    )
    if len(runs) >= 2:
        growth = big["us_per_consumer_day"] / runs[-2]["us_per_consumer_day"]
        rows.append(
            Row(
                f"linearity: per consumer-day at {big['consumers']:,} / at "
                f"{runs[-2]['consumers']:,}",
                f"{growth:.2f}",
                f"<= {TARGET_LINEARITY}",
                _check(growth <= TARGET_LINEARITY),
            )
        )
    return rows, runs


# --- sweeps ----------------------------------------------------------------------------------
SWEEP_RUNS = 32  # runs of the throughput sweep: sixteen per worker at two workers, so that
# the wait for the last run (a worker idles while the other finishes) is a small share
SWEEP_CONSUMERS = 1_000  # the run size the overhead target is stated at
QUICK_SWEEP = (4, 200, 10)  # runs, consumers, days
FLAT_MEMORY_RUNS = (100, 10_000)  # sweep sizes whose driver memory is compared
QUICK_FLAT_MEMORY_RUNS = (10, 100)
TINY_RUN = {
    "n_consumers": 10,
    "n_workshops": 1,
    "n_factories": 1,
    "grid_width": 5,
    "grid_height": 5,
}
WARM_UP_DAYS = 30  # a short run first, so neither the plain runs nor the sweep pay for imports
ROUNDS = 3  # the plain loop and the 1- and 2-worker sweeps, alternated; the best of each kept
TARGET_SCALING = 0.9  # speed-up at 2 workers over 2
TARGET_OVERHEAD = 0.05  # sweep time per run over a plain run's time, minus one


def throughput_spec(runs: int, consumers: int, days: int, **extra) -> dict:
    """A fixed small sweep: `runs` replications of the default economy at one size."""
    return {
        "name": "bench",
        "base": "baseline",
        "steps": days,
        "replications": runs,
        "seed": 0,
        "set": {**scaled_parameters(consumers), **extra},
        "sweep": {},
    }


@dataclass(frozen=True)
class SweepTime:
    """Wall time of a sweep, and the time its runs took (the runs table's duration_s)."""

    wall_s: float
    runs_s: float

    def busy(self, workers: int) -> float:
        """Share of the workers' wall time spent running runs (the rest is waiting)."""
        return self.runs_s / (self.wall_s * workers)


def sweep_time(spec: dict, **backend) -> SweepTime:
    """Time one sweep, written to a throwaway directory."""
    import tempfile

    import pyarrow.compute as pc

    from abm.sweep import run_sweep
    from abm.sweep.store import RUNS_DIR, read_parts

    with tempfile.TemporaryDirectory() as out:
        start = time.perf_counter()
        summary = run_sweep(spec, out, progress=False, **backend)
        seconds = time.perf_counter() - start
        if summary.any_failed:
            raise RuntimeError(f"benchmark sweep had failed runs: {summary.text()}")
        durations = read_parts(Path(out) / RUNS_DIR, ["duration_s"])  # one column: memory flat
        return SweepTime(seconds, float(pc.sum(durations["duration_s"]).as_py()))


def _started() -> None:
    """A task that returns once its worker has been set up."""


def local_pool(workers: int) -> ProcessPoolExecutor:
    """Local worker processes, set up as `abm sweep` sets up its own, and started before the
    clock starts (as Dask's are)."""
    from abm.sweep.backends import ProcessBackend

    pool = ProcessBackend.pool(workers)
    for done in [pool.submit(_started) for _ in range(workers)]:
        done.result()
    return pool


def plain_runs_seconds(spec: dict, replications: range | None = None) -> float:
    """The sweep's runs (same parameters, same seeds) in a plain loop: build, step, verdict."""
    from abm.economy.scenarios import load_scenario
    from abm.sweep import run_seed, simulate

    params = load_scenario(spec["base"]).parameters(spec["set"])
    start = time.perf_counter()
    if replications is None:
        replications = range(spec["replications"])
    for replication in replications:
        simulate(params, run_seed(spec["seed"], 0, replication), spec["steps"]).verdict()
    return time.perf_counter() - start


def plain_pair_seconds(spec: dict, pool: ProcessPoolExecutor) -> float:
    """The same runs as two plain loops at once, half in each of the pool's two processes:
    the summed time of their runs. Against the plain loop alone, it is what running two
    processes at once costs on this machine, with no sweep machinery involved."""
    half = spec["replications"] // 2
    halves = [range(half), range(half, spec["replications"])]
    return sum(f.result() for f in [pool.submit(plain_runs_seconds, spec, r) for r in halves])


def sweep_driver_memory(runs: int) -> dict:
    """Peak memory of the process that drives a sweep of `runs` tiny runs (workers apart)."""
    spec = throughput_spec(runs, 10, 1, **TINY_RUN)
    seconds = sweep_time(spec, workers=2).wall_s
    return {"runs": runs, "seconds": seconds, "driver_peak_mb": _peak_mb()}


def sweep_rows(quick: bool) -> tuple[list[Row], dict]:
    from dask.distributed import Client, LocalCluster

    runs, consumers, days = QUICK_SWEEP if quick else (SWEEP_RUNS, SWEEP_CONSUMERS, FULL_DAYS)
    spec = throughput_spec(runs, consumers, days)
    print(f"  sweeps of {runs} runs at {consumers:,} consumers ...", file=sys.stderr, flush=True)
    plain_runs_seconds(throughput_spec(1, consumers, WARM_UP_DAYS))  # imports and caches
    # the plain loop runs in this process, as the 1-worker sweep does; the three are
    # alternated and the best time of each kept, so that a busy moment of a shared machine
    # passes neither for overhead nor for poor scaling (nor hides them)
    slowest = SweepTime(float("inf"), float("inf"))
    plain, pair, one, two = float("inf"), float("inf"), slowest, slowest
    with local_pool(2) as pool:
        for _ in range(ROUNDS):
            plain = min(plain, plain_runs_seconds(spec))
            pair = min(pair, plain_pair_seconds(spec, pool))
            one = min(one, sweep_time(spec, workers=1), key=lambda t: t.wall_s)
            two = min(two, sweep_time(spec, executor=pool, workers=2), key=lambda t: t.wall_s)
    with (
        LocalCluster(
            n_workers=2, threads_per_worker=1, host="127.0.0.1", dashboard_address=":0"
        ) as cluster,
        Client(cluster),
    ):
        dask_two = sweep_time(spec, scheduler=cluster.scheduler_address)
    walls = [("1", one.wall_s), ("2", two.wall_s), ("dask", dask_two.wall_s)]
    per_minute = {name: runs / t * 60 for name, t in walls}
    scaling = one.wall_s / two.wall_s / 2
    overhead = one.wall_s / plain - 1
    # what the scaling is made of: the workers' idle share, and how much longer each run took
    busy = two.busy(2)
    run_time_ratio = two.runs_s / one.runs_s
    pair_ratio = pair / plain  # the same, for two plain loops at once: the machine's part
    small, large = QUICK_FLAT_MEMORY_RUNS if quick else FLAT_MEMORY_RUNS
    print(f"  driver memory at {small:,} and {large:,} runs ...", file=sys.stderr, flush=True)
    memory = [in_fresh_process(sweep_driver_memory, n) for n in (small, large)]
    growth = memory[1]["driver_peak_mb"] / memory[0]["driver_peak_mb"]
    rows = [
        Row(
            f"sweep, 1 local worker ({consumers:,} consumers, {days} days)",
            f"{per_minute['1']:.1f} runs/min",
        ),
        Row("sweep, 2 local workers", f"{per_minute['2']:.1f} runs/min"),
        Row("sweep, Dask LocalCluster with 2 workers", f"{per_minute['dask']:.1f} runs/min"),
        Row(
            "scaling efficiency at 2 workers",
            f"{scaling:.0%}",
            f">= {TARGET_SCALING:.0%}",
            _check(scaling >= TARGET_SCALING),
        ),
        Row("  2 workers: share of their time running runs", f"{busy:.0%}"),
        Row("  2 workers: time per run over the 1-worker sweep's", f"{run_time_ratio:.2f}"),
        Row("  2 plain loops at once: time per run over one loop's", f"{pair_ratio:.2f}"),
        Row(
            "overhead per run (1 worker, against a plain run)",
            f"{overhead:+.1%}",
            f"< {TARGET_OVERHEAD:.0%}",
            _check(overhead < TARGET_OVERHEAD),
        ),
        Row(f"sweep driver memory: {small:,} runs", f"{memory[0]['driver_peak_mb']:.0f} MB"),
        Row(
            f"sweep driver memory: {large:,} runs",
            f"{memory[1]['driver_peak_mb']:.0f} MB",
            "flat (<= 1.1x)",
            _check(growth <= 1.1),
        ),
    ]
    figures = {
        "plain_runs_s": plain,
        "sweep_s": dict(walls),
        "runs_s": {"1": one.runs_s, "2": two.runs_s, "dask": dask_two.runs_s},
        "runs": runs,
        "scaling": scaling,
        "busy_at_2": busy,
        "run_time_ratio_at_2": run_time_ratio,
        "plain_pair_s": pair,
        "plain_pair_ratio": pair_ratio,
        "overhead": overhead,
        "driver_memory": memory,
    }
    return rows, figures


# --- the browser app ---------------------------------------------------------------------------
APP_STEPS = 30
QUICK_APP_STEPS = 3
TARGET_APP_STEP_MS = 200.0


def app_server_step_ms(steps: int) -> float:
    """Median server time of one Step at the default size: the model's step and every
    component of the open tab rendered again (in process, as Mesa's own viz tests drive it)."""
    import statistics

    import ipyvuetify as v
    import solara

    from abm.viz import app

    model = solara.reactive(app.EconomyRun())
    with contextlib.redirect_stdout(io.StringIO()):  # solara prints its widget tree
        page = solara.AppLayout(children=[app.build_page(model)])
        _, rc = solara.render(page, handle_error=False)
    step = rc.find(v.Btn, children=["Step"]).widget
    seconds = []
    for _ in range(steps):
        start = time.perf_counter()
        step.fire_event("click", {})
        seconds.append(time.perf_counter() - start)
    return statistics.median(seconds) * 1e3


def app_browser_step_ms(steps: int) -> float:
    """Median time from a click on Step to the redrawn page, in Debian's chromium: the day
    counter, the map and every chart of the open tab show the new day and a frame of them is
    painted (see abm.viz.screenshot.press_step)."""
    import statistics
    import tempfile

    from abm.viz.screenshot import chromium, open_page, press_step, serving

    with (
        tempfile.TemporaryDirectory() as tmp,
        serving(Path(tmp) / "server.log") as server,
        chromium() as browser,
    ):
        page = open_page(browser, server.url)
        seconds = press_step(page, steps)
    return statistics.median(seconds) * 1e3


def app_rows(quick: bool) -> tuple[list[Row], dict]:
    steps = QUICK_APP_STEPS if quick else APP_STEPS
    print(f"  the browser app, {steps} steps at the default size ...", file=sys.stderr, flush=True)
    from abm.viz.screenshot import CHROMIUM

    server = in_fresh_process(app_server_step_ms, steps)
    rows = [Row("browser app: a step on the server (model + components)", f"{server:.0f} ms")]
    if not Path(CHROMIUM).exists():
        rows.append(
            Row("browser app: click on Step to redrawn page", f"not measured: no {CHROMIUM}")
        )
        return rows, {"server_step_ms": server, "browser_step_ms": None, "steps": steps}
    browser = app_browser_step_ms(steps)
    rows += [
        Row(
            "browser app: click on Step to redrawn page (chromium)",
            f"{browser:.0f} ms ({1e3 / browser:.1f} steps/s)",
            f"< {TARGET_APP_STEP_MS:.0f} ms",
            _check(browser < TARGET_APP_STEP_MS),
        ),
    ]
    return rows, {"server_step_ms": server, "browser_step_ms": browser, "steps": steps}


def plot_cost(runs: list[dict], baseline_us: float, path: str) -> None:
    """Cost per consumer-day against population, with the baseline and the target line."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(6, 4))
    ax = fig.subplots()
    sizes = [r["consumers"] for r in runs]
    ax.plot(
        sizes, [r["us_per_consumer_day"] for r in runs], "o-", label="this model, per consumer-day"
    )
    ax.axhline(baseline_us, color="grey", ls="--", label="Mesa Boltzmann example, per agent-step")
    ax.axhline(
        baseline_us * TARGET_BASELINE_RATIO,
        color="red",
        ls=":",
        label="target: 1/10 of the baseline",
    )
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("consumers (firms scaled with them)")
    ax.set_ylabel("µs per consumer-day")
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3, which="both")
    fig.tight_layout()
    fig.savefig(path, dpi=120)


def run_benchmark(
    quick: bool = False, json_path: str | None = None, plot_path: str | None = None
) -> int:
    """Measure every figure, print the table; optionally save them as JSON and a plot."""
    sizes, days = (QUICK_SIZES, QUICK_DAYS) if quick else (FULL_SIZES, FULL_DAYS)
    agents, steps = QUICK_BOLTZMANN if quick else (BOLTZMANN_AGENTS, BOLTZMANN_STEPS)

    def measure_baseline() -> dict:
        print(f"  Mesa's Boltzmann example at {agents:,} agents ...", file=sys.stderr, flush=True)
        return in_fresh_process(boltzmann_run, agents, steps)

    # the baseline before and after the economy runs, and the faster kept: a slow moment of
    # a shared machine then makes our ratio worse, never better
    before = measure_baseline()
    economy_runs = run_economies(sizes, days)
    after = measure_baseline()
    baseline = min(before, after, key=lambda b: b["us_per_agent_step"])
    baseline["measured_us_per_agent_step"] = [b["us_per_agent_step"] for b in (before, after)]
    rows = [
        Row(
            f"baseline: Boltzmann wealth (mesa) at {agents:,} agents, per agent-step",
            f"{baseline['us_per_agent_step']:.2f} µs",
        )
    ]
    economy, runs = economy_rows(economy_runs, days, baseline["us_per_agent_step"])
    sweeps, sweep_figures = sweep_rows(quick)
    app, app_figures = app_rows(quick)
    rows += economy + sweeps + app
    print(text_table(("figure", "value", "target", ""), [astuple(r) for r in rows]))
    if json_path:
        figures = {
            "baseline": baseline,
            "economy": runs,
            "sweep": sweep_figures,
            "app": app_figures,
        }
        with open(json_path, "w") as f:
            json.dump(figures, f, indent=2)
    if plot_path:
        plot_cost(runs, baseline["us_per_agent_step"], plot_path)
    return 0


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The benchmark's options (for `python -m abm.reports.bench` and `abm bench`)."""
    parser.add_argument("--quick", action="store_true", help="smoke version: small and short")
    parser.add_argument("--json", metavar="FILE", help="also write every figure as JSON")
    parser.add_argument("--plot", metavar="FILE", help="plot cost against population (PNG/SVG)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m abm.reports.bench", description=__doc__.splitlines()[0]
    )
    add_arguments(parser)
    args = parser.parse_args(argv)
    return run_benchmark(args.quick, args.json, args.plot)


if __name__ == "__main__":
    sys.exit(main())

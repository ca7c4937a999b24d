"""The driver: runs a sweep through a backend, streaming each finished chunk to the store.

It submits chunks lazily, a bounded number in flight, and keeps only counters: 10,000 runs need
no more memory than 100. A chunk lost with its worker is split and run again (up to
MAX_ATTEMPTS per run), then recorded as aborted; `resume` runs those again later.
"""

from __future__ import annotations

import concurrent.futures as cf
import itertools
import math
import platform
import time
import traceback
from collections import deque
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from abm.economy.parameters import ParameterError, validate
from abm.sweep.backends import Backend, make_backend
from abm.sweep.runs import (
    ABORTED,
    FAILED,
    OK,
    ChunkResult,
    RunContext,
    identity,
    make_run,
    run_chunk,
    simulate,
)
from abm.sweep.spec import SweepSpec, load_spec
from abm.sweep.store import (
    RUNS_DIR,
    SweepStore,
    final_outcomes,
    read_parts,
    utc_now,
)

DEFAULT_OUT = Path("out") / "sweeps"
TARGET_TASK_SECONDS = 2.0  # a task of runs should last this long, so overhead stays small
TASKS_PER_SLOT = 4  # ...but at most 1/4 of a worker slot's share of the runs left, for balance
IN_FLIGHT_PER_SLOT = 2  # tasks submitted ahead per worker slot (bounded: memory stays flat)
SECONDS_PER_CONSUMER_DAY = 1.5e-6  # rough cost of the model, to size tasks (docs/performance.md)
SECONDS_PER_RUN_SETUP = 0.1
MAX_ATTEMPTS = 3  # tries of a run whose worker died, before it is recorded as aborted
MAX_BREAKS_IN_A_ROW = 3  # pools that break before finishing any task: a cause no retry fixes
MAX_FAILURES_LISTED = 5


class SweepBroken(RuntimeError):
    """The workers keep dying: the sweep stops (finished runs stay on disk)."""


def estimate_run_seconds(spec: SweepSpec) -> float:
    """A rough cost of one run of the spec's median point, to size tasks."""
    params = validate(spec.overrides(len(spec.points) // 2))
    return SECONDS_PER_RUN_SETUP + SECONDS_PER_CONSUMER_DAY * params["n_consumers"] * spec.steps


def task_sizes(spec: SweepSpec, pending: int, slots: int) -> Iterator[int]:
    """Runs per task, task after task: long enough to drown the overhead, and shrinking as the
    sweep nears its end (guided self-scheduling; Polychronopoulos and Kuck 1987), so that no
    worker is left with a long last task while the others idle."""
    by_time = math.ceil(TARGET_TASK_SECONDS / estimate_run_seconds(spec))
    while pending > 0:
        size = max(1, min(by_time, math.ceil(pending / (slots * TASKS_PER_SLOT))))
        yield size
        pending -= size


@dataclass
class SweepSummary:
    """How a sweep went: counts over its whole directory, and this session's time."""

    out: Path
    total: int
    ok: int
    failed: int
    aborted: int
    skipped: int
    seconds: float
    backend: str
    failures: list[dict[str, Any]] = field(default_factory=list)

    @property
    def any_failed(self) -> bool:
        return self.failed > 0 or self.aborted > 0 or self.ok + self.failed < self.total

    def text(self) -> str:
        ran = self.total - self.skipped
        lines = [
            f"{self.total} runs in {self.out}: {self.ok} ok, {self.failed} failed, "
            f"{self.aborted} aborted ({ran} ran in {self.seconds:.1f} s on {self.backend}"
            + (f"; {self.skipped} already done" if self.skipped else "")
            + ")"
        ]
        for failure in self.failures:
            last = (failure["error"] or "").strip().splitlines()[-1:] or ["?"]
            lines.append(f"  run {failure['run_id']} {failure['status']}: {last[0]}")
            lines.append(f"    reproduce: {failure['command']}")
        if self.aborted:
            lines.append("  aborted runs are run again by --resume")
        return "\n".join(lines)


def run_sweep(
    spec: str | Path | Mapping[str, Any] | SweepSpec,
    out: str | Path | None = None,
    *,
    workers: int | None = None,
    scheduler: str | None = None,
    executor: cf.Executor | None = None,
    resume: bool = False,
    runs_per_task: int | None = None,
    progress: bool = True,
    simulate: Callable[[dict[str, Any], int, int], Any] = simulate,
) -> SweepSummary:
    """Run a sweep and stream its results to `out` (default out/sweeps/NAME) as Parquet.

    `workers`: local processes (default: all cores; 1 runs in this process). `scheduler`: the
    address of a Dask scheduler (tcp://HOST:PORT) instead. `executor`: any
    concurrent.futures.Executor instead of both. `resume`: skip runs already in `out`.
    `runs_per_task`: runs per task (default: about two seconds of runs per task, fewer as the
    sweep nears its end).
    `simulate`: the function that runs one model (see `simulate`). A script that uses local
    processes must call this under `if __name__ == "__main__":` (they are spawned).
    """
    spec = spec if isinstance(spec, SweepSpec) else load_spec(spec)
    out = Path(out) if out is not None else DEFAULT_OUT / spec.name
    if runs_per_task is not None and runs_per_task < 1:
        raise ParameterError(f"--runs-per-task={runs_per_task} must be at least 1")
    backend = make_backend(workers, scheduler, executor)
    try:
        store = SweepStore(out, spec)
        finished = store.open(resume)
        started, clock = utc_now(), time.perf_counter()
        context = RunContext(
            base=spec.base,
            base_overrides=spec.base_overrides,
            fixed=spec.fixed,
            steps=spec.steps,
            seed_entropy=spec.seed,
            keep_series_every=spec.keep_series_every,
            series=spec.series,
            simulate=simulate,
        )
        Driver(spec, context, store, backend, progress).run(finished, runs_per_task)
        store.compact()
    except BaseException:
        backend.close(cancel=True)
        raise
    backend.close()
    where = f"{backend.name}, {backend.slots} at once"
    summary = summarize(out, spec.total_runs, len(finished), time.perf_counter() - clock, where)
    store.record_session(
        {
            "started_at": started,
            "finished_at": utc_now(),
            "backend": where,
            "skipped": summary.skipped,
            "ok": summary.ok,
            "failed": summary.failed,
            "aborted": summary.aborted,
            "abm_version": store.metadata["abm_version"],
            "python": platform.python_version(),
            "platform": platform.platform(),
        }
    )
    return summary


class Driver:
    """Submits chunks lazily (a bounded number in flight) and writes each as it finishes.

    It holds counters and the chunks in flight, never the results: memory stays flat.
    """

    def __init__(
        self,
        spec: SweepSpec,
        context: RunContext,
        store: SweepStore,
        backend: Backend,
        progress: bool,
    ) -> None:
        self.spec, self.context, self.store, self.backend = spec, context, store, backend
        self.progress = progress
        self.retry: deque[list[int]] = deque()
        self.attempts: dict[int, int] = {}  # only runs whose worker died
        self.in_flight: dict[cf.Future, list[int]] = {}
        self.counts = {OK: 0, FAILED: 0, ABORTED: 0}
        self.breaks_in_a_row = 0

    def run(self, finished: set[int], per_task: int | None) -> None:
        from tqdm import tqdm

        spec = self.spec
        pending = spec.total_runs - len(finished)
        sizes = (
            itertools.repeat(per_task)
            if per_task
            else task_sizes(spec, pending, self.backend.slots)
        )
        self.fresh = _chunks((i for i in range(spec.total_runs) if i not in finished), sizes)
        self.bar = tqdm(
            total=spec.total_runs,
            initial=len(finished),
            unit="run",
            desc=f"sweep {spec.name}",
            disable=None if self.progress else True,
            dynamic_ncols=True,
        )
        with self.bar:
            self.submit_more()
            while self.in_flight:
                done, _ = cf.wait(self.in_flight, return_when=cf.FIRST_COMPLETED)
                broken = [self.collect(future) for future in done]
                if any(broken):
                    # every task of a broken pool fails: collect them all, then a fresh pool
                    cf.wait(self.in_flight)
                    for future in list(self.in_flight):
                        self.collect(future)
                    self.restart()
                self.submit_more()

    def restart(self) -> None:
        """A fresh pool, unless pools keep breaking before they finish anything."""
        self.breaks_in_a_row += 1
        if self.breaks_in_a_row >= MAX_BREAKS_IN_A_ROW:
            raise SweepBroken(
                f"the worker processes died {self.breaks_in_a_row} times in a row without "
                "finishing a task (their errors are above); finished runs are saved, and "
                "--resume continues once the cause is fixed"
            )
        if not self.backend.restart():
            raise SweepBroken("the executor broke and cannot be restarted")

    def submit_more(self) -> None:
        while len(self.in_flight) < self.backend.slots * IN_FLIGHT_PER_SLOT:
            ids = self.retry.popleft() if self.retry else next(self.fresh, None)
            if ids is None:
                return
            runs = [make_run(self.spec, i) for i in ids]
            self.in_flight[self.backend.submit(run_chunk, self.context, runs)] = ids

    def collect(self, future: cf.Future) -> bool:
        """Write a finished chunk; True if its task was lost with a broken process pool."""
        ids = self.in_flight.pop(future)
        try:
            result = future.result()
        except Exception as err:  # a dead worker or a lost task, not a failed run
            self.lost(ids, err)
            return isinstance(err, cf.process.BrokenProcessPool)
        self.store.write(result)
        self.breaks_in_a_row = 0
        for row in result.rows:
            self.counts[row["status"]] += 1
        self.advance(len(result.rows))
        return False

    def lost(self, ids: list[int], err: BaseException) -> None:
        """A chunk whose task died: its runs go again one by one, up to MAX_ATTEMPTS each."""
        for run_id in ids:
            self.attempts[run_id] = self.attempts.get(run_id, 0) + 1
            if self.attempts[run_id] < MAX_ATTEMPTS:
                self.retry.append([run_id])
                continue
            row = identity(self.context, make_run(self.spec, run_id))
            message = "".join(traceback.format_exception_only(err)).strip()
            row |= {"status": ABORTED, "error": f"worker lost {MAX_ATTEMPTS} times: {message}"}
            self.store.write(ChunkResult([row], None))
            self.counts[ABORTED] += 1
            self.advance(1)

    def advance(self, runs: int) -> None:
        self.bar.update(runs)
        self.bar.set_postfix(ok=self.counts[OK], failed=self.counts[FAILED], refresh=False)


def _chunks(ids: Iterator[int], sizes: Iterator[int]) -> Iterator[list[int]]:
    """The ids in consecutive chunks of the given sizes (the last may be short)."""
    for size in itertools.chain(sizes, itertools.repeat(1)):  # no id is left behind
        chunk = list(itertools.islice(ids, size))
        if not chunk:
            return
        yield chunk


def summarize(
    out: Path, total: int, skipped: int, seconds: float, backend: str = ""
) -> SweepSummary:
    """Counts over everything on disk, and the first failures with their reproducing command."""
    table = read_parts(out / RUNS_DIR, ["run_id", "status"])
    if table is None:
        return SweepSummary(out, total, 0, 0, 0, skipped, seconds, backend)
    df = final_outcomes(table.to_pandas())
    status = df["status"].value_counts()
    first = df.loc[df["status"] != OK, "run_id"].head(MAX_FAILURES_LISTED).tolist()
    failures: list[dict[str, Any]] = []
    if first:  # only the listed failures' tracebacks and commands are read
        columns = ["run_id", "status", "error", "command"]
        found = read_parts(out / RUNS_DIR, columns, filters=[("run_id", "in", first)])
        failures = final_outcomes(found.to_pandas())[columns].to_dict("records")
    return SweepSummary(
        out,
        total,
        int(status.get(OK, 0)),
        int(status.get(FAILED, 0)),
        int(status.get(ABORTED, 0)),
        skipped,
        seconds,
        backend,
        failures,
    )

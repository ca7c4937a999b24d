"""Sweeps end to end: spec validation, seeds, backends, failures, dead workers and resume."""

from __future__ import annotations

import concurrent.futures as cf
import functools
import json
import os
import shlex
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from abm import sweep
from abm.cli import main as abm_cli
from abm.economy.parameters import ParameterError
from abm.sweep import load_results, load_series, load_spec, run_seed, run_sweep
from abm.sweep.designs import Range, latin_hypercube, sobol, sobol_indices, sobol_points
from abm.sweep.driver import task_sizes
from tests.sweep.conftest import FAST

ROOT = Path(__file__).resolve().parents[2]

SPEC = {
    "name": "tiny",
    "base": "baseline",
    "steps": 30,
    "replications": 2,
    "seed": 5,
    "keep_series_every": 10,
    "set": FAST,
    "sweep": {"workshop_subsidy_per_unit": [0.0, 30.0], "poka_yoke": [0.5, 0.9]},
}
SPEC_TOML = """\
# The question: does a per-unit subsidy keep workshops alive, with or without poka-yoke?
name = "tiny"
base = "baseline"
steps = 30
replications = 2
seed = 5
keep_series_every = 10

[set]
n_consumers = 300
n_workshops = 15
grid_width = 30
grid_height = 30

[sweep]
workshop_subsidy_per_unit = [0.0, 30.0]
poka_yoke = [0.5, 0.9]
"""
BROKEN_RUN = (3, 1)  # (point, replication) made to fail or to kill its worker


def comparable(df: pd.DataFrame) -> pd.DataFrame:
    """Results without what legitimately differs between backends (time taken)."""
    return df.drop(columns="duration_s")


@pytest.fixture(scope="module")
def reference(tmp_path_factory) -> Path:
    """The tiny sweep run in this process: the result every other backend must match."""
    out = tmp_path_factory.mktemp("reference")
    summary = run_sweep(SPEC, out, workers=1, progress=False)
    assert (summary.ok, summary.failed, summary.aborted) == (8, 0, 0)
    return out


# --- end to end --------------------------------------------------------------------------------
def test_python_sweep_writes_runs_series_spec_and_metadata(reference):
    df = load_results(reference)
    assert list(df["run_id"]) == list(range(8))
    assert list(df["point"]) == [0, 0, 1, 1, 2, 2, 3, 3]
    assert list(df["replication"]) == [0, 1] * 4
    assert list(df["poka_yoke"]) == [0.5, 0.5, 0.9, 0.9] * 2  # last parameter varies fastest
    assert set(df["status"]) == {"ok"} and df["error"].isna().all()
    assert df["seed"].is_unique and (df["seed_entropy"] == 5).all()
    assert df.loc[7, "seed_spawn_key"] == "(3, 1)" and df.loc[7, "seed"] == run_seed(5, 3, 1)
    assert df[["share_factory", "share_workshop"]].sum(axis=1).round(9).eq(1).all()
    assert {"dominant", "survives_workshop", "final_price_factory", "days"} <= set(df.columns)
    assert (df["days"] == 30).all()
    series = load_series(reference)
    assert list(series.loc[series["run_id"] == 0, "day"]) == [0, 10, 20, 30]
    assert {"share_units_workshop", "active_firms_factory"} <= set(series.columns)
    assert json.loads((reference / "spec.json").read_text())["sweep"] == SPEC["sweep"]
    about = json.loads((reference / "sweep.json").read_text())
    assert about["total_runs"] == 8 and about["sessions"][0]["ok"] == 8
    part = next((reference / "runs").glob("part-*.parquet"))
    meta = json.loads(pq.read_schema(part).metadata[b"abm.sweep"])
    assert meta["spec"]["name"] == "tiny" and meta["abm_version"] and meta["written_at"]


def test_a_run_is_reproduced_alone_by_its_command(reference, capsys):
    row = load_results(reference).iloc[5]
    words = shlex.split(row["command"])
    assert words[:2] == ["abm", "run"] and "--seed" in words
    assert abm_cli([*words[1:], "--json"]) == 0
    alone = json.loads(capsys.readouterr().out)
    assert alone["by_mode"]["workshop"]["final_share"] == row["share_workshop"]
    assert alone["dominant"] == row["dominant"]


def test_cli_sweep_and_plot_end_to_end(tmp_path, capsys):
    spec = tmp_path / "tiny.toml"
    spec.write_text(SPEC_TOML)
    out = tmp_path / "out"
    assert abm_cli(["sweep", str(spec), "--workers", "1", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "8 runs" in printed and "8 ok, 0 failed" in printed and "regime-map.png" in printed
    assert (out / "spec.toml").read_text() == SPEC_TOML
    assert len(load_results(out)) == 8
    assert abm_cli(["plot", str(out)]) == 0
    assert (out / "figures" / "regime-map.svg").stat().st_size > 0


def test_dict_and_toml_specs_are_the_same_sweep(tmp_path):
    path = tmp_path / "tiny.toml"
    path.write_text(SPEC_TOML)
    from_file, from_dict = load_spec(path), load_spec(SPEC)
    assert from_file.fingerprint() == from_dict.fingerprint()
    assert from_file.total_runs == 8


# --- same results whatever runs them -------------------------------------------------------------
def test_two_worker_processes_give_identical_results(reference, tmp_path):
    run_sweep(SPEC, tmp_path, workers=2, runs_per_task=3, progress=False)
    pd.testing.assert_frame_equal(
        comparable(load_results(tmp_path)), comparable(load_results(reference))
    )
    pd.testing.assert_frame_equal(load_series(tmp_path), load_series(reference))


def test_dask_local_cluster_gives_identical_results(reference, tmp_path):
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        dashboard_address=":0",
    ) as cluster:
        summary = run_sweep(SPEC, tmp_path, scheduler=cluster.scheduler_address, progress=False)
    assert summary.backend.startswith("dask tcp://127.0.0.1")
    pd.testing.assert_frame_equal(
        comparable(load_results(tmp_path)), comparable(load_results(reference))
    )
    pd.testing.assert_frame_equal(load_series(tmp_path), load_series(reference))


class CountingExecutor(cf.ThreadPoolExecutor):
    """A thread pool that records the most tasks ever outstanding at once."""

    def __init__(self) -> None:
        super().__init__(max_workers=2)
        self.outstanding = self.most = 0
        self.lock = threading.Lock()

    def submit(self, fn, /, *args, **kwargs):
        with self.lock:
            self.outstanding += 1
            self.most = max(self.most, self.outstanding)
        future = super().submit(fn, *args, **kwargs)
        future.add_done_callback(lambda _: self._done())
        return future

    def _done(self) -> None:
        with self.lock:
            self.outstanding -= 1


def test_tasks_shrink_toward_the_end_so_workers_finish_together():
    spec = load_spec({**SPEC, "steps": 365, "replications": 50})  # 200 runs
    sizes = list(task_sizes(spec, 200, slots=2))
    assert sum(sizes) == 200
    assert sizes == sorted(sizes, reverse=True)
    assert sizes[0] > 1 and sizes[-1] == 1  # at most a run's wait for the last worker


def test_any_executor_works_and_tasks_are_submitted_lazily(reference, tmp_path):
    executor = CountingExecutor()
    with executor:
        run_sweep(SPEC, tmp_path, executor=executor, workers=1, runs_per_task=1, progress=False)
    assert executor.most <= sweep.IN_FLIGHT_PER_SLOT  # 8 tasks, never more than 2 at once
    pd.testing.assert_frame_equal(
        comparable(load_results(tmp_path)), comparable(load_results(reference))
    )


# --- failures -----------------------------------------------------------------------------------
def fragile(params, seed, steps):
    """The normal model, except that one run raises."""
    if seed == run_seed(SPEC["seed"], *BROKEN_RUN):
        raise RuntimeError("boom in this run")
    return sweep.simulate(params, seed, steps)


def dies_once(marker: str, params, seed, steps):
    """The normal model, except that one run kills its worker process the first time."""
    flag = Path(marker) / "died"
    if seed == run_seed(SPEC["seed"], *BROKEN_RUN) and not flag.exists():
        flag.touch()
        os._exit(1)
    return sweep.simulate(params, seed, steps)


def test_a_failing_run_is_recorded_and_the_rest_finish(reference, tmp_path):
    summary = run_sweep(SPEC, tmp_path, workers=1, simulate=fragile, progress=False)
    assert (summary.ok, summary.failed, summary.any_failed) == (7, 1, True)
    assert "boom in this run" in summary.text() and "reproduce: abm run" in summary.text()
    df = load_results(tmp_path)
    bad = df[df["status"] == "failed"].iloc[0]
    assert (bad["point"], bad["replication"]) == BROKEN_RUN
    assert bad["poka_yoke"] == 0.9 and bad["workshop_subsidy_per_unit"] == 30.0
    assert bad["seed"] == run_seed(5, *BROKEN_RUN) and "RuntimeError: boom" in bad["error"]
    assert pd.isna(bad["share_workshop"])
    good = df["status"] == "ok"
    pd.testing.assert_frame_equal(comparable(df[good]), comparable(load_results(reference)[good]))
    assert not (load_series(tmp_path)["run_id"] == bad["run_id"]).any()


def test_cli_exit_code_says_a_run_failed(tmp_path, monkeypatch, capsys):
    spec = tmp_path / "tiny.toml"
    spec.write_text(SPEC_TOML)
    monkeypatch.setattr(sweep.cli, "run_sweep", functools.partial(run_sweep, simulate=fragile))
    out = str(tmp_path / "o")
    assert abm_cli(["sweep", str(spec), "--workers", "1", "--out", out, "--no-plot"]) == 1
    assert "1 failed" in capsys.readouterr().out


def test_a_dead_worker_is_replaced_and_its_runs_redone(reference, tmp_path):
    simulate = functools.partial(dies_once, str(tmp_path))
    summary = run_sweep(
        SPEC, tmp_path / "out", workers=2, runs_per_task=2, simulate=simulate, progress=False
    )
    assert (tmp_path / "died").exists()  # the worker did die
    assert (summary.ok, summary.failed, summary.aborted) == (8, 0, 0)
    pd.testing.assert_frame_equal(
        comparable(load_results(tmp_path / "out")), comparable(load_results(reference))
    )


# --- interruption and resume ---------------------------------------------------------------------
# Sweeps that are interrupted run long enough (a second or more per run) that the signal always
# lands midway, however fast the machine.
SLOW_STEPS = 500  # about a second per run at this size (0.44 s at 200 days)


def _slow_spec(tmp_path: Path) -> Path:
    spec = tmp_path / "tiny.toml"
    spec.write_text(SPEC_TOML.replace("steps = 30", f"steps = {SLOW_STEPS}"))
    return spec


def _start(spec: Path, out: Path) -> subprocess.Popen:
    command = [sys.executable, "-m", "abm", "sweep", str(spec), "--workers", "1"]
    command += ["--runs-per-task", "1", "--out", str(out), "--no-plot"]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen(
        command,
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        text=True,
        preexec_fn=_default_ctrl_c,
    )


def _default_ctrl_c() -> None:
    """Ctrl-C as in a terminal: a shell's background job (CI) starts with SIGINT ignored, which
    the child would inherit, and Python then never raises KeyboardInterrupt."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _wait_for_parts(process: subprocess.Popen, out: Path, parts: int) -> None:
    deadline = time.monotonic() + 60
    while len(list((out / "runs").glob("part-*.parquet"))) < parts:
        assert process.poll() is None, "the sweep ended before it could be interrupted"
        assert time.monotonic() < deadline
        time.sleep(0.02)


def test_a_killed_sweep_resumes_to_the_uninterrupted_result(tmp_path):
    spec = _slow_spec(tmp_path)
    reference = tmp_path / "reference"
    run_sweep(spec, reference, workers=1, progress=False)
    out = tmp_path / "out"
    process = _start(spec, out)
    _wait_for_parts(process, out, 2)
    process.send_signal(signal.SIGKILL)
    process.wait()
    done = len(load_results(out))
    assert 2 <= done < 8
    (out / "runs" / ".part-99999999-deadbeef.parquet.tmp").write_bytes(b"half a file")
    with pytest.raises(ParameterError, match="already holds a sweep"):
        run_sweep(spec, out, workers=1, progress=False)
    summary = run_sweep(spec, out, workers=1, resume=True, progress=False)
    assert summary.skipped == done and summary.ok == 8
    assert not list((out / "runs").glob(".*.tmp"))
    pd.testing.assert_frame_equal(
        comparable(load_results(out)), comparable(load_results(reference))
    )
    pd.testing.assert_frame_equal(load_series(out), load_series(reference))


def test_ctrl_c_stops_cleanly_and_says_how_to_resume(tmp_path):
    spec = _slow_spec(tmp_path)
    out = tmp_path / "out"
    process = _start(spec, out)
    _wait_for_parts(process, out, 1)
    process.send_signal(signal.SIGINT)
    stdout, _ = process.communicate(timeout=60)
    assert process.returncode == sweep.EXIT_INTERRUPTED
    assert "--resume" in stdout
    assert 1 <= len(load_results(out)) < 8


def test_resume_with_another_spec_is_an_error(reference, tmp_path):
    changed = {**SPEC, "steps": 31}
    with pytest.raises(ParameterError, match=r"cannot resume .*steps: 30 -> 31"):
        run_sweep(changed, reference, workers=1, resume=True, progress=False)


# --- bad specs ---------------------------------------------------------------------------------
BAD_SPECS = [
    (
        "[sweep]\npoka_yoka = [0.5, 0.9]\n",
        r"unknown parameter 'poka_yoka' \(.*, line 2\); did you mean 'poka_yoke'",
    ),
    (
        "steps = 10\n[set]\npoka_yoke = 2\n",
        r"poka_yoke=2 is out of range: allowed \[0, 1\].* \(.*, line 3\)",
    ),
    ("[sweep]\npoka_yoke = [0.5, 1.5]\n", r"poka_yoke=1.5 is out of range.*line 2"),
    ("[sweep]\npoka_yoke = 0.5\n", r"must be a list of values or a range.*line 2"),
    ("[sweep]\npoka_yoke = []\n", r"lists no values.*line 2"),
    (
        'design = "grid"\n[sweep]\npoka_yoke = [0.5]\n',
        r"design='grid' is not known \(.*line 1\): choose from factorial, lhs, sobol",
    ),
    (
        'design = "sobol"\nsamples = 100\n[sweep]\npoka_yoke = {low = 0.1, high = 0.9}\n',
        r"samples=100 must be a power of two.*\(e.g. 64 or 128\).*line 2",
    ),
    (
        'design = "lhs"\n[sweep]\npoka_yoke = {low = 0.1, high = 0.9}\n',
        r"samples=0 must be a whole number >= 1",
    ),
    (
        'design = "lhs"\nsamples = 8\n[sweep]\npoka_yoke = [0.1, 0.9]\n',
        r"samples ranges: write poka_yoke = \{ low = \.\.\., high = \.\.\. \}.*line 4",
    ),
    ("[sweep]\npoka_yoke = {low = 0.1, high = 0.9}\n", r"range without levels.*line 2"),
    (
        "[sweep]\npoka_yoke = {low = 0.9, high = 0.1, levels = 3}\n",
        r"low=0.9 must be below high=0.1.*line 2",
    ),
    ("[sweep]\nreplenishment_policy = {low = 1, high = 2}\n", r"sweep it as a list.*line 2"),
    ("replication = 3\n", r"unknown key 'replication'.*line 1\); did you mean 'replications'"),
    ("steps = 0\n", r"steps=0 must be a whole number >= 1.*line 1"),
    ('base = "utopia"\n', r"unknown scenario 'utopia'.*line 1"),
    (
        'series = ["share_units_workshops"]\n',
        r"unknown series column 'share_units_workshops'.*did you mean 'share_units_workshop'",
    ),
    (
        "[set]\npoka_yoke = 0.5\n[sweep]\npoka_yoke = [0.1]\n",
        r"both fixed in \[set\] and swept.*line 4",
    ),
    (
        "[set]\ndemand_cycle_days = 7\n\n[sweep]\ndemand_peak_days = [1, 7]\n",
        r"design point 1 \(demand_peak_days=7\): demand_peak_days=7 must be below "
        r"demand_cycle_days=7 \(.*line 4\)",
    ),
    ("steps = \n", r"not valid TOML"),
]


@pytest.mark.parametrize(("text", "message"), BAD_SPECS)
def test_a_bad_spec_fails_before_anything_runs_naming_its_line(tmp_path, text, message):
    path = tmp_path / "bad.toml"
    path.write_text(text)
    with pytest.raises(ParameterError, match=message):
        run_sweep(path, tmp_path / "out", workers=1, progress=False)
    assert not (tmp_path / "out").exists()


def test_a_bad_dict_spec_names_its_key():
    with pytest.raises(
        ParameterError, match=r"unknown parameter 'poka_yoka' \(spec key 'sweep.poka_yoka'\)"
    ):
        load_spec({"sweep": {"poka_yoka": [0.5]}})


def test_cli_bad_spec_exits_2_with_the_error(tmp_path, capsys):
    path = tmp_path / "bad.toml"
    path.write_text("[sweep]\npoka_yoka = [0.5, 0.9]\n")
    assert abm_cli(["sweep", str(path), "--out", str(tmp_path / "o")]) == 2
    assert "did you mean 'poka_yoke'" in capsys.readouterr().err
    assert abm_cli(["sweep", str(tmp_path / "missing.toml")]) == 2


# --- designs and seeds ---------------------------------------------------------------------------
def test_seeds_are_distinct_stable_and_fit_int64():
    seeds = {run_seed(7, p, r) for p in range(50) for r in range(5)}
    assert len(seeds) == 250 and max(seeds) < 2**63
    assert run_seed(7, 3, 1) == run_seed(7, 3, 1) != run_seed(8, 3, 1)


def test_latin_hypercube_stays_in_range_and_rounds_whole_numbers():
    ranges = {"poka_yoke": Range(0.2, 0.8), "shipping_lead_time": Range(1, 60)}
    points = latin_hypercube(ranges, 20, seed=1)
    assert len(points) == 20 and points["poka_yoke"].between(0.2, 0.8).all()
    assert points["shipping_lead_time"].dtype == np.int64
    # one point per stratum of each parameter
    strata = np.floor((points["poka_yoke"] - 0.2) / 0.6 * 20).astype(int)
    assert sorted(strata) == list(range(20))
    pd.testing.assert_frame_equal(points, latin_hypercube(ranges, 20, seed=1))


def test_sobol_matrix_passes_unchanged_to_salib_analysis():
    ranges = {"poka_yoke": Range(0.0, 1.0), "inspection": Range(0.0, 1.0)}
    points = sobol(ranges, 64, seed=3, second_order=False)
    assert len(points) == sobol_points(64, 2, second_order=False) == 256
    outputs = 4 * points["poka_yoke"] + 0.5 * points["inspection"]
    indices = sobol_indices(ranges, outputs, second_order=False, seed=3)
    assert indices.loc["poka_yoke", "ST"] > 0.9 > 0.1 > indices.loc["inspection", "ST"]


def test_lhs_spec_builds_its_points_from_the_base_seed():
    spec = load_spec(
        {"design": "lhs", "samples": 10, "sweep": {"poka_yoke": {"low": 0.1, "high": 0.9}}}
    )
    again = load_spec(
        {"design": "lhs", "samples": 10, "sweep": {"poka_yoke": {"low": 0.1, "high": 0.9}}}
    )
    other = load_spec(
        {
            "design": "lhs",
            "samples": 10,
            "seed": 1,
            "sweep": {"poka_yoke": {"low": 0.1, "high": 0.9}},
        }
    )
    assert spec.points.equals(again.points) and not spec.points.equals(other.points)


def test_shipped_sweep_files_are_valid_and_say_what_they_ask():
    files = sorted((ROOT / "runs" / "sweeps").glob("*.toml"))
    assert len(files) >= 5
    for path in files:
        spec = load_spec(path)
        assert spec.total_runs > 0
        assert path.read_text().lstrip().startswith("#"), f"{path.name} needs its question"


def always_dies(params, seed, steps):
    """A model run that kills its worker process every time."""
    os._exit(1)


def test_workers_that_keep_dying_stop_the_sweep(tmp_path, monkeypatch, capsys):
    spec = tmp_path / "tiny.toml"
    spec.write_text(SPEC_TOML.replace("replications = 2", "replications = 1"))
    monkeypatch.setattr(sweep.cli, "run_sweep", functools.partial(run_sweep, simulate=always_dies))
    out = str(tmp_path / "o")
    assert abm_cli(["sweep", str(spec), "--workers", "2", "--out", out, "--no-plot"]) == 1
    assert "died 3 times in a row" in capsys.readouterr().err

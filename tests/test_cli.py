"""The `abm` command line end to end, as a user runs it."""

import json
import subprocess
import sys

import pandas as pd
import pytest

from abm.cli import main

FAST = ["--set", "n_consumers=300", "--set", "n_workshops=20", "--steps", "30"]


def test_run_prints_verdict_table(capsys):
    assert main(["run", "--scenario", "baseline", *FAST]) == 0
    out = capsys.readouterr().out
    assert "survivors:" in out and "dominant:" in out
    for row in ("final_share", "price", "defects_escaped_ppm", "injuries_per_100fte"):
        assert row in out


def test_run_json_and_parquet_table(capsys, tmp_path):
    table = tmp_path / "steps.parquet"
    assert (
        main(["run", "--scenario", "latency", *FAST, "--seed", "4", "--json", "--out", str(table)])
        == 0
    )
    result = json.loads(capsys.readouterr().out)
    assert result["scenario"] == "latency" and result["seed"] == 4 and result["days"] == 30
    assert set(result["by_mode"]) == {"factory", "workshop"}
    df = pd.read_parquet(table)
    assert len(df) == 31 and "share_units_workshop" in df.columns


def test_run_csv_and_scenario_by_path(capsys, tmp_path):
    scenario = tmp_path / "mine.toml"
    scenario.write_text('description = "mine"\n[set]\nworkshop_subsidy_per_unit = 10.0\n')
    table = tmp_path / "steps.csv"
    assert main(["run", "--scenario", str(scenario), *FAST, "--out", str(table)]) == 0
    assert pd.read_csv(table)["subsidies_workshop"].sum() > 0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--set", "poka_yoka=0.5"], "did you mean 'poka_yoke'"),
        (["--set", "poka_yoke=2"], "poka_yoke='2' is out of range: allowed [0, 1]"),
        (["--set", "poka_yoke"], "must look like NAME=VALUE"),
        (["--scenario", "utopia"], "unknown scenario 'utopia'"),
        (["--out", "x.xlsx"], "must end in .parquet or .csv"),
    ],
)
def test_bad_input_exits_2_with_a_clear_error(capsys, args, message):
    assert main(["run", *args]) == 2
    assert message in capsys.readouterr().err


def test_params_scenarios_and_metrics_listings(capsys):
    assert main(["params"]) == 0
    out = capsys.readouterr().out
    assert "poka_yoke" in out and "[S]" in out and "[E]" in out
    assert main(["scenarios"]) == 0
    out = capsys.readouterr().out
    assert "subsidy-sunset:" in out and "subsidy_sunset_day = 180" in out
    assert main(["metrics"]) == 0
    assert "bullwhip_factory" in capsys.readouterr().out


def test_installed_command_runs():
    done = subprocess.run(
        [sys.executable, "-m", "abm", "run", *FAST, "--json"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert json.loads(done.stdout)["days"] == 30

"""Where a sweep's results live: a directory with the spec, metadata and a Parquet dataset.

    DIR/spec.toml       the spec file as given (if it came from a file)
    DIR/spec.json       the spec as a dict, base resolved (`load_sweep_spec`)
    DIR/sweep.json      package version, times, what decides the results, one entry per session
    DIR/runs/part-*.parquet     one row per run (`load_results`)
    DIR/series/part-*.parquet   per-step series, if kept (`load_series`)

Each finished chunk is one part, written to a hidden temporary name and renamed, so a crash
never leaves half a file; a runs part commits its series part. At the end of a session the
parts are merged (streaming) into one file per table.
"""

from __future__ import annotations

import json
import os
import secrets
import warnings
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from abm.economy.metrics import METRICS
from abm.economy.modes import MODES
from abm.economy.parameters import PARAMETERS, ParameterError
from abm.sweep.runs import ABORTED, ChunkResult
from abm.sweep.spec import SweepSpec, load_spec

RUNS_DIR, SERIES_DIR = "runs", "series"
SPEC_TOML, SPEC_JSON, SWEEP_JSON = "spec.toml", "spec.json", "sweep.json"
FIGURES_DIR = "figures"
METADATA_KEY = b"abm.sweep"
MERGE_ROWS = 2_000  # rows per row group of a merged file (bounds the memory of merging)


def runs_schema(spec: SweepSpec, metadata: dict[str, Any]) -> pa.Schema:
    """The columns of the runs table, typed up front so every chunk file has the same schema."""
    kinds = {int: pa.int64(), float: pa.float64(), bool: pa.bool_(), str: pa.string()}
    fields = [("run_id", pa.int64()), ("point", pa.int64()), ("replication", pa.int64())]
    fields += [(name, kinds[PARAMETERS[name].kind]) for name in spec.swept]
    fields += [
        ("seed", pa.int64()),
        ("seed_entropy", pa.int64()),
        ("seed_spawn_key", pa.string()),
        ("command", pa.string()),
        ("status", pa.string()),
        ("error", pa.string()),
        ("duration_s", pa.float64()),
        ("days", pa.int64()),
        ("dominant", pa.string()),
        ("dominant_since_day", pa.int64()),
    ]
    for mode in MODES:
        fields += [
            (f"survives_{mode}", pa.bool_()),
            (f"share_{mode}", pa.float64()),
            (f"entries_total_{mode}", pa.int64()),
            (f"bankruptcies_total_{mode}", pa.int64()),
            (f"subsidies_total_{mode}", pa.float64()),
        ]
    fields += [(f"final_{name}", pa.float64()) for name in METRICS]
    return pa.schema(fields, metadata={METADATA_KEY: json.dumps(metadata)})


def series_schema(spec: SweepSpec, metadata: dict[str, Any]) -> pa.Schema:
    fields = [("run_id", pa.int64()), ("day", pa.int64())]
    fields += [(name, pa.float64()) for name in spec.series]
    return pa.schema(fields, metadata={METADATA_KEY: json.dumps(metadata)})


def package_version() -> str:
    """The model's version (`abm.__version__`, which the package metadata is read from)."""
    import abm

    return abm.__version__


class SweepStore:
    """The output directory of a sweep: spec copies, metadata, and the Parquet parts."""

    def __init__(self, out: Path, spec: SweepSpec) -> None:
        self.out = out
        self.spec = spec
        self.runs_dir = out / RUNS_DIR
        self.series_dir = out / SERIES_DIR
        self.metadata = {
            "spec": spec.normalized(),
            "abm_version": package_version(),
            "written_at": None,
        }

    # --- opening ---
    def open(self, resume: bool) -> set[int]:
        """Create or reopen the directory; the run ids already finished (ok or failed)."""
        existing = self.out / SPEC_JSON
        if existing.exists() and not resume:
            raise ParameterError(
                f"{self.out} already holds a sweep: continue it with --resume, or choose "
                "another --out"
            )
        if existing.exists():
            self._check_same_spec()
            self._clean_up()
        else:
            self._create()
        return self.finished_ids()

    def _create(self) -> None:
        self.runs_dir.mkdir(parents=True, exist_ok=True)
        if self.spec.keep_series_every:
            self.series_dir.mkdir(parents=True, exist_ok=True)
        if self.spec.source is not None and self.spec.source.suffix == ".toml":
            _write_text(self.out / SPEC_TOML, self.spec.source.read_text())
        about = {
            "abm_version": self.metadata["abm_version"],
            "created_at": utc_now(),
            "total_runs": self.spec.total_runs,
            "design_points": len(self.spec.points),
            "fingerprint": self.spec.fingerprint(),
            "sessions": [],
        }
        _write_text(self.out / SWEEP_JSON, json.dumps(about, indent=2))
        # spec.json marks a sweep directory: written last, so it is never there without the rest
        _write_text(self.out / SPEC_JSON, json.dumps(self.spec.normalized(), indent=2))

    def _check_same_spec(self) -> None:
        about = json.loads((self.out / SWEEP_JSON).read_text())
        here = self.metadata["abm_version"]
        if about["abm_version"] != here:
            warnings.warn(
                f"{self.out} was started with abm {about['abm_version']}, this is "
                f"{here}: the model may have changed between its runs",
                stacklevel=3,
            )
        stored = about["fingerprint"]
        now = json.loads(json.dumps(self.spec.fingerprint()))
        if stored != now:
            differ = _differences(stored, now)
            raise ParameterError(
                f"cannot resume {self.out}: the spec differs from the one it was started with "
                f"({'; '.join(differ)}); run it with another --out, or restore the spec"
            )

    def _clean_up(self) -> None:
        """Remove what an interrupted write left: temporary files, series without their runs."""
        self.runs_dir.mkdir(parents=True, exist_ok=True)
        for folder in (self.runs_dir, self.series_dir):
            for stray in folder.glob(".*.tmp") if folder.exists() else ():
                stray.unlink()
        if self.series_dir.exists():
            committed = {p.name for p in self.runs_dir.glob("*.parquet")}
            for orphan in self.series_dir.glob("*.parquet"):
                if orphan.name not in committed:
                    orphan.unlink()

    def finished_ids(self) -> set[int]:
        """Run ids on disk with status ok or failed (aborted ones are run again)."""
        table = read_parts(self.runs_dir, ["run_id", "status"])
        if table is None:
            return set()
        df = table.to_pandas()
        return set(df.loc[df["status"] != ABORTED, "run_id"].astype(int))

    # --- writing ---
    def write(self, result: ChunkResult) -> None:
        """One chunk: its series file first, then its runs file (which commits the chunk)."""
        metadata = self.metadata | {"written_at": utc_now()}
        first = min(row["run_id"] for row in result.rows)
        name = f"part-{first:08d}-{secrets.token_hex(4)}.parquet"
        if result.series is not None and len(result.series):
            table = pa.Table.from_pandas(
                result.series, schema=series_schema(self.spec, metadata), preserve_index=False
            )
            _write_atomic(table, self.series_dir / name)
        schema = runs_schema(self.spec, metadata)
        rows = [{k: row.get(k) for k in schema.names} for row in result.rows]
        _write_atomic(pa.Table.from_pylist(rows, schema=schema), self.runs_dir / name)

    def compact(self) -> None:
        """Merge the parts into one file per table, streaming (memory stays flat).

        The merged series file is written first and the merged runs file commits it, as for a
        chunk; a crash in between leaves duplicates of identical rows, which loading drops.
        """
        parts = sorted(self.runs_dir.glob("part-*.parquet"))
        if len(parts) < 2:
            return
        name = f"part-{0:08d}-{secrets.token_hex(4)}.parquet"
        series = sorted(self.series_dir.glob("part-*.parquet")) if self.series_dir.exists() else []
        if series:
            _merge(series, self.series_dir / name)
        _merge(parts, self.runs_dir / name)
        for old in [*series, *parts]:
            old.unlink()

    def record_session(self, session: dict[str, Any]) -> None:
        path = self.out / SWEEP_JSON
        about = json.loads(path.read_text())
        about["sessions"].append(session)
        _write_text(path, json.dumps(about, indent=2))


def _write_atomic(table: pa.Table, path: Path) -> None:
    """Write to a hidden temporary name, flush to disk, then rename: never a half-written part."""
    tmp = path.with_name(f".{path.name}.tmp")
    with open(tmp, "wb") as handle:
        pq.write_table(table, handle)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)


def _merge(parts: list[Path], target: Path) -> None:
    """Stream parts of one schema into a single file, atomically, in row groups of at least
    MERGE_ROWS rows: memory is bounded by one row group, not by the number of parts."""
    tmp = target.with_name(f".{target.name}.tmp")
    schema = pq.read_schema(parts[-1])
    batch: list[pa.Table] = []
    with pq.ParquetWriter(tmp, schema) as writer:
        for part in parts:
            batch.append(pq.read_table(part).replace_schema_metadata(schema.metadata))
            if sum(t.num_rows for t in batch) >= MERGE_ROWS:
                writer.write_table(pa.concat_tables(batch))
                batch = []
        if batch:
            writer.write_table(pa.concat_tables(batch))
    os.replace(tmp, target)


def _write_text(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


def utc_now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _differences(old: Any, new: Any, prefix: str = "") -> list[str]:
    if isinstance(old, dict) and isinstance(new, dict):
        found = []
        for key in sorted(set(old) | set(new)):
            found += _differences(old.get(key), new.get(key), f"{prefix}{key}.")
        return found
    return [] if old == new else [f"{prefix.rstrip('.')}: {old!r} -> {new!r}"]


def read_parts(
    folder: Path, columns: list[str] | None = None, filters: list | None = None
) -> pa.Table | None:
    """All committed parts of a folder as one table (hidden temporary files are skipped)."""
    parts = sorted(folder.glob("part-*.parquet")) if folder.exists() else []
    if not parts:
        return None
    return pa.concat_tables(
        [pq.read_table(p, columns=columns, filters=filters) for p in parts],
        promote_options="default",
    )


# whole numbers and flags stay whole numbers and flags when a failed run leaves them empty
_NULLABLE = {pa.int64(): pd.Int64Dtype(), pa.bool_(): pd.BooleanDtype()}


def load_results(out: str | Path) -> pd.DataFrame:
    """The runs table of a sweep directory as one DataFrame, sorted by run id.

    One row per run: run_id, point, replication, the swept parameters, seed (and how it was
    derived), status (ok/failed/aborted), error, the verdict (dominant, survives_*, share_*...)
    and final_* metrics. A run retried after an abort appears once, with its final outcome.
    Whole-number and true/false columns use pandas' nullable dtypes (empty for failed runs).
    """
    out = Path(out)
    table = read_parts(out / RUNS_DIR)
    if table is None:
        raise FileNotFoundError(f"no results in {out}")
    df = final_outcomes(table.to_pandas(types_mapper=_NULLABLE.get))
    spec_file = out / SPEC_JSON
    if spec_file.exists():
        df.attrs["spec"] = json.loads(spec_file.read_text())
    return df


def final_outcomes(df: pd.DataFrame) -> pd.DataFrame:
    """One row per run, sorted by run id: an aborted attempt gives way to a later outcome."""
    return (
        df.assign(_rank=(df["status"] == ABORTED).astype(int))
        .sort_values(["run_id", "_rank"], kind="stable")
        .drop_duplicates("run_id")
        .drop(columns="_rank")
        .reset_index(drop=True)
    )


def load_series(out: str | Path) -> pd.DataFrame | None:
    """The kept per-step series (run_id, day, columns), sorted, or None if none were kept."""
    table = read_parts(Path(out) / SERIES_DIR)
    if table is None:
        return None
    df = table.to_pandas().drop_duplicates(["run_id", "day"])
    return df.sort_values(["run_id", "day"], kind="stable").reset_index(drop=True)


def load_sweep_spec(out: str | Path) -> SweepSpec:
    """The spec a sweep directory was run with."""
    return load_spec(Path(out) / SPEC_JSON)

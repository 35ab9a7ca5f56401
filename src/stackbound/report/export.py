"""Write a run to a directory, atomically.

Everything is written into a temporary sibling directory which is renamed into place at
the end, so an interrupted run leaves either the previous output or none, never half of
one. An existing directory is replaced only if it holds a stackbound ``manifest.json``.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from stackbound.engine.results import PERCENTILES, RunResult
from stackbound.errors import OutputError
from stackbound.report.summary import summary_document
from stackbound.scenario.inputs import param_inputs, walk_params
from stackbound.scenario.loader import LoadedScenario
from stackbound.scenario.months import format_month
from stackbound.scenario.yamlio import format_path

__all__ = ["atomic_directory", "inputs_table", "write_run", "write_text_atomically"]


def package_version() -> str:
    try:
        return version("stackbound")
    except PackageNotFoundError:
        return "unknown"


@contextmanager
def atomic_directory(target: Path) -> Iterator[Path]:
    """Yield a temporary directory that replaces ``target`` when the block succeeds."""
    target = target.resolve()
    if target.exists() and not (target / "manifest.json").is_file() and (not target.is_dir() or any(target.iterdir())):
        raise OutputError(f"{target} exists and is not a stackbound output; choose another --out")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.partial-", dir=target.parent))
    except OSError as error:
        raise OutputError(f"cannot write to {target.parent}: {error}") from None
    try:
        yield staging
        old = None
        if target.exists():
            old = target.parent / f".{target.name}.old-{os.getpid()}"
            target.rename(old)
        staging.rename(target)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    except OSError as error:
        raise OutputError(f"cannot write {target}: {error}") from None
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)


def write_text_atomically(target: Path, text: str) -> None:
    """Write a file through a temporary sibling and a rename."""
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
        os.replace(temporary, target)
    except OSError as error:
        raise OutputError(f"cannot write {target}: {error}") from None


def inputs_table(loaded: LoadedScenario) -> pd.DataFrame:
    """Every value of the scenario with its unit and provenance (the assumptions register)."""
    rows = []
    for path, param in walk_params(loaded.scenario):
        prov = param.provenance.as_dict() if param.provenance else {}
        rows.append(
            {
                "field": format_path(path),
                "value": param.describe(),
                "unit": param.kind.unit or "1",
                "uncertain": param.uncertain,
                "inputs": len(list(param_inputs(path, param))),
                "source": prov.get("source", ""),
                "date": prov.get("date", ""),
                "grade": prov.get("grade", ""),
                "assumption": prov.get("assumption", ""),
                "note": prov.get("note", ""),
            }
        )
    return pd.DataFrame(rows)


def _quarterly_table(result: RunResult) -> pd.DataFrame:
    rows = []
    for (metric, group), values in result.quarterly.items():
        pct = np.percentile(values.astype(np.float64), PERCENTILES, axis=0)
        for q, quarter in enumerate(result.quarters):
            rows.append(
                {
                    "quarter": quarter,
                    "metric": metric,
                    "group": group,
                    "mean": float(values[:, q].mean()),
                    "p5": pct[0, q],
                    "p50": pct[1, q],
                    "p95": pct[2, q],
                }
            )
    return pd.DataFrame(rows)


def _paths_table(result: RunResult) -> pd.DataFrame:
    """Every kept monthly path, long: sample, month, metric, group, value."""
    assert result.paths is not None
    months = [format_month(m) for m in result.months]
    frames = []
    for (metric, group), values in result.paths.items():
        samples, count = values.shape
        frames.append(
            pd.DataFrame(
                {
                    "sample": np.repeat(np.arange(samples), count),
                    "month": months * samples,
                    "metric": metric,
                    "group": group,
                    "value": values.ravel(),
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


def _write_table(table: pd.DataFrame, folder: Path, name: str) -> list[str]:
    table.to_csv(folder / f"{name}.csv", index=False)
    table.to_parquet(folder / f"{name}.parquet", index=False)
    return [f"{name}.csv", f"{name}.parquet"]


def _write_json(path: Path, document: Any) -> None:
    path.write_text(json.dumps(document, indent=2, ensure_ascii=False, default=str) + "\n", encoding="utf-8")


def _write_one(folder: Path, loaded: LoadedScenario, result: RunResult, settings: dict[str, Any]) -> dict[str, Any]:
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / "scenario.resolved.yaml").open("w", encoding="utf-8") as handle:
        yaml.safe_dump(loaded.data, handle, sort_keys=False, allow_unicode=True)
    files = ["scenario.resolved.yaml"]
    tables: dict[str, Callable[[], pd.DataFrame]] = {
        "annual": result.annual_table,
        "quarterly": lambda: _quarterly_table(result),
        "monthly": result.monthly_table,
        "binding": result.binding_table,
        "inputs": lambda: inputs_table(loaded),
    }
    for name, make in tables.items():
        files += _write_table(make(), folder, name)
    if result.paths is not None:
        _paths_table(result).to_parquet(folder / "paths.parquet", index=False)
        files.append("paths.parquet")
    _write_json(folder / "summary.json", summary_document(result))
    files.append("summary.json")
    return {
        "scenario": result.scenario,
        "digest": result.digest,
        "files_read": list(loaded.files),
        "seed": result.seed,
        "samples": result.samples,
        "exact": result.exact,
        "levers": result.levers,
        "timings": result.timings,
        "outputs": files,
        **settings,
    }


def write_run(target: Path, runs: list[tuple[LoadedScenario, RunResult]], settings: dict[str, Any]) -> Path:
    """Write every run (a folder per scenario when there are several) and a manifest."""
    with atomic_directory(target) as staging:
        entries = []
        names: list[str] = []
        for loaded, result in runs:
            name = result.scenario if result.scenario not in names else f"{result.scenario}-{len(names) + 1}"
            names.append(name)
            folder = staging if len(runs) == 1 else staging / name
            entries.append(_write_one(folder, loaded, result, settings))
        manifest = {
            "stackbound": package_version(),
            "created": datetime.now(UTC).isoformat(timespec="seconds"),
            "python": platform.python_version(),
            "numpy": np.__version__,
            "runs": entries,
        }
        _write_json(staging / "manifest.json", manifest)
    return target

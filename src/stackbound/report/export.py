"""Write a run to a directory, atomically (see :mod:`.atomic`).

Nothing lands outside the directory: a scenario's name becomes a folder name only as a
slug (:func:`folder_name`), and every written path is checked to lie inside. An existing
directory is replaced only if it is a stackbound output whose manifest lists every file.
"""

from __future__ import annotations

import platform
import re
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from stackbound.engine.results import PERCENTILES, RunResult
from stackbound.report.atomic import MANIFEST, atomic_directory, inside, write_manifest, write_text_atomically
from stackbound.report.jsondoc import json_text
from stackbound.report.summary import summary_document
from stackbound.scenario.inputs import needs_source, param_inputs, walk_params
from stackbound.scenario.labels import labels
from stackbound.scenario.loader import LoadedScenario
from stackbound.scenario.months import format_month
from stackbound.scenario.yamlio import format_path

__all__ = [
    "Extra",
    "atomic_directory",
    "folder_name",
    "inputs_table",
    "quarterly_table",
    "write_run",
    "write_text_atomically",
]

Extra = tuple[str, Callable[[Path], object]]
"""A further file of a run: its name in the directory and the function that writes it there."""
UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
LONGEST_NAME = 64


def package_version() -> str:
    try:
        return version("stackbound")
    except PackageNotFoundError:
        return "unknown"


def folder_name(name: str, index: int, used: set[str]) -> str:
    """A safe, new folder name for scenario ``name``, the ``index``-th (from 1) of a run.

    Only ``A-Za-z0-9._-``, no leading dot or dash, at most 64 characters, never one of
    ``used`` (compared case-insensitively; the chosen name is added): ``"../../escaped"``
    becomes ``"escaped"``, an empty result ``"scenario-<index>"``, a repeat ``"<name>-<index>"``.
    """
    slug = UNSAFE.sub("-", name).lstrip(".-")[:LONGEST_NAME].rstrip(".-") or f"scenario-{index}"
    candidate, suffix = slug, index
    while candidate.casefold() in used:
        candidate, suffix = f"{slug}-{suffix}", suffix + 1
    used.add(candidate.casefold())
    return candidate


def inputs_table(loaded: LoadedScenario) -> pd.DataFrame:
    """Every value of the scenario with its field path, its label in words, its value as
    written, its unit and its provenance (the assumptions register); fixed priorities only
    order variants and are not listed."""
    rows, known = [], labels(loaded.scenario)
    for path, param in walk_params(loaded.scenario):
        if not needs_source(param):
            continue
        prov = param.provenance.as_dict() if param.provenance else {}
        rows.append(
            {
                "field": format_path(path),
                "label": known[format_path(path)],
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


def quarterly_table(result: RunResult) -> pd.DataFrame:
    """Per quarter, metric and group kept per quarter: mean, P5, P50, P95 over the samples
    (exact, or within RELATIVE_ERROR when the run kept no per-sample quarterly totals)."""
    rows = []
    for metric, group in result.quarterly_keys:
        mean, pct = result.quarterly_mean(metric), result.quarterly_percentiles(metric, PERCENTILES)
        for q, quarter in enumerate(result.quarters):
            rows.append(
                {
                    "quarter": quarter,
                    "metric": metric,
                    "group": group,
                    "mean": float(mean[q]),
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
    """CSV and Parquet; months (``pandas.Period``) as ``YYYY-MM`` text, which every reader takes."""
    table = table.astype({c: str for c in table.columns if isinstance(table[c].dtype, pd.PeriodDtype)})
    table.to_csv(folder / f"{name}.csv", index=False)
    table.to_parquet(folder / f"{name}.parquet", index=False)
    return [f"{name}.csv", f"{name}.parquet"]


def _write_one(folder: Path, loaded: LoadedScenario, result: RunResult, settings: dict[str, Any]) -> dict[str, Any]:
    folder.mkdir(parents=True, exist_ok=True)
    with np.errstate(all="ignore"):  # extreme inputs: non-finite numbers are reported, not warned
        return _write_tables(folder, loaded, result, settings)


def _write_tables(folder: Path, loaded: LoadedScenario, result: RunResult, settings: dict[str, Any]) -> dict[str, Any]:
    with (folder / "scenario.resolved.yaml").open("w", encoding="utf-8") as handle:
        yaml.safe_dump(loaded.data, handle, sort_keys=False, allow_unicode=True)
    files = ["scenario.resolved.yaml"]
    tables: dict[str, Callable[[], pd.DataFrame]] = {
        "annual": result.annual_table,
        "quarterly": lambda: quarterly_table(result),
        "monthly": result.monthly_table,
        "binding": result.binding_table,
        "inputs": lambda: inputs_table(loaded),
    }
    for name, make in tables.items():
        files += _write_table(make(), folder, name)
    if result.paths is not None:
        _paths_table(result).to_parquet(folder / "paths.parquet", index=False)
        files.append("paths.parquet")
    (folder / "summary.json").write_text(json_text(summary_document(result)), encoding="utf-8")
    files.append("summary.json")
    return {
        "scenario": result.scenario,
        "digest": result.digest,
        "files_read": list(loaded.files),
        "seed": result.seed,
        "samples": result.samples,
        "exact": result.exact,
        "keep": result.keep,
        "levers": result.levers,
        "timings": result.timings,
        "outputs": files,
        **settings,
    }


def write_run(
    target: Path,
    runs: list[tuple[LoadedScenario, RunResult]],
    settings: dict[str, Any],
    extras: Sequence[Extra] = (),
) -> Path:
    """Write every run (a folder per scenario when there are several), the ``extras`` and a
    manifest listing every file, replacing ``target`` whole."""
    with atomic_directory(target) as staging:
        entries = []
        used = {MANIFEST, *(name.casefold() for name, _ in extras)}
        for index, (loaded, result) in enumerate(runs, start=1):
            folder = staging if len(runs) == 1 else inside(staging, folder_name(result.scenario, index, used))
            entries.append(
                {**_write_one(folder, loaded, result, settings), "folder": folder.name if len(runs) > 1 else "."}
            )
        for name, write in extras:
            write(inside(staging, name))
        manifest = {
            "stackbound": package_version(),
            "created": datetime.now(UTC).isoformat(timespec="seconds"),
            "python": platform.python_version(),
            "numpy": np.__version__,
            "runs": entries,
        }
        write_manifest(staging, manifest)
    return target

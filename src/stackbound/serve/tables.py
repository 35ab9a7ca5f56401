"""A run's answers as the API gives them: the JSON summary, and its tables as CSV, Parquet
or Arrow. Every number comes from the library (``summary_document``, ``bottlenecks``,
``run_findings``); this module only chooses and encodes."""

from __future__ import annotations

import contextlib
import io
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
from fastapi import Response

from stackbound.analysis.bottlenecks import bottlenecks
from stackbound.analysis.records import records
from stackbound.engine.results import RunResult
from stackbound.report import findings
from stackbound.report.export import inputs_table, quarterly_table
from stackbound.report.i18n import Lang
from stackbound.report.jsondoc import finite_document, json_text
from stackbound.report.summary import summary_document
from stackbound.scenario.loader import LoadedScenario
from stackbound.serve.schemas import BandRow, FindingsText, RunSummary

__all__ = ["FORMATS", "TABLES", "encode", "json_response", "kept_json", "result_bytes", "run_summary", "table"]

FORMATS: dict[str, str] = {
    "csv": "text/csv; charset=utf-8",
    "parquet": "application/vnd.apache.parquet",
    "arrow": "application/vnd.apache.arrow.file",
}
"""Each table format and its media type (an Accept header may name the type instead)."""

Table = Callable[[LoadedScenario, RunResult], pd.DataFrame]
TABLES: dict[str, Table] = {
    "annual": lambda _, result: result.annual_table(),
    "quarterly": lambda _, result: quarterly_table(result),
    "monthly": lambda _, result: result.monthly_table(),
    "binding": lambda _, result: result.binding_table(),
    "most_likely_binding": lambda _, result: result.most_likely_binding(),
    "stranded": lambda _, result: bottlenecks(result, by="month").stranded_frame(),
    "runway": lambda _, result: bottlenecks(result, by="month").runway_frame(),
    "runout": lambda _, result: bottlenecks(result, by="year").runout_frame(),
    "inputs": lambda loaded, _: inputs_table(loaded),
}
"""Every table of a run by name: the run's own tables, the bottleneck analysis's and the
scenario's inputs (the assumptions register)."""


def result_bytes(result: RunResult) -> int:
    """The memory a result's arrays hold, as the server counts it against its bound."""
    kept = [*result.annual.values(), *result.quarterly.values(), *(result.paths or {}).values()]
    counts = (result.monthly_counts, result.binding_counts, result.starved_counts, result.runout)
    sums = result.monthly_sums.nbytes + result.relief_sums.nbytes
    return int(sum(a.nbytes for a in kept) + sum(a.nbytes for a in counts) + sums)


def table(name: str, loaded: LoadedScenario, result: RunResult) -> pd.DataFrame:
    """The table ``name`` (a key of :data:`TABLES`), months as ``YYYY-MM`` text."""
    with np.errstate(all="ignore"):
        frame = TABLES[name](loaded, result)
    return frame.astype({c: str for c in frame.columns if isinstance(frame[c].dtype, pd.PeriodDtype)})


def encode(frame: pd.DataFrame, fmt: str) -> bytes:
    """A table as CSV, Parquet or Arrow (IPC file) bytes."""
    if fmt == "csv":
        return frame.to_csv(index=False).encode("utf-8")
    if fmt == "parquet":
        return frame.to_parquet(index=False)
    arrow = pa.Table.from_pandas(frame, preserve_index=False)
    sink = io.BytesIO()
    with pa.ipc.new_file(sink, arrow.schema) as writer:
        writer.write_table(arrow)
    return sink.getvalue()


def _json_bytes(document: Any) -> bytes:
    """``document`` as strict JSON bytes. Most documents hold only finite numbers and are
    dumped as they are (``json_text`` refuses NaN and infinities); only one that does not
    is walked by ``finite_document``, which costs as much as the dump."""
    with contextlib.suppress(ValueError):
        return json_text(document).encode()
    finite, found = finite_document(document)
    if found and isinstance(finite, dict):
        finite["non_finite"] = [*finite.get("non_finite", []), *found]
    return json_text(finite).encode()


def json_response(document: Any) -> Response:
    """``document`` as strict JSON: a number that is not finite becomes null and is listed
    under ``non_finite`` (as ``--format json`` writes it), never invalid JSON or a 500."""
    return Response(_json_bytes(document), media_type="application/json")


def kept_json(answers: dict[object, object], key: tuple[object, ...], make: Callable[[], Any]) -> Response:
    """The answer ``make()`` as :func:`json_response`, computed and encoded once per key
    and kept in ``answers`` (a run's), as bytes: asked again, it is only sent."""
    body = answers.get(key)
    if not isinstance(body, bytes):
        body = answers[key] = _json_bytes(make())
    return Response(body, media_type="application/json")


def _bands(rows: list[dict[str, Any]], what: str) -> list[BandRow]:
    return [BandRow(name=r.pop(what), **r) for r in rows]


def run_summary(
    run_id: str, version: str, loaded: LoadedScenario, result: RunResult, metrics: tuple[str, ...] | None, lang: Lang
) -> RunSummary:
    """The summary of a run: the answer in sentences (``run_findings``, as the terminal
    opens), annual P5/P50/P95 of ``metrics`` (None: every metric), the most likely binding
    constraint, the binding timeline, stranded stock, runway and run-out months."""
    with np.errstate(all="ignore"):
        document = summary_document(result, metrics)
        facts = findings.run_findings([loaded], [result])
        yearly = facts.yearly[0]
        timeline = facts.monthly.headlines_document()
        binding = records(result.most_likely_binding())
    text = FindingsText(
        answer=findings.answer(facts, lang),
        years=findings.years_lines(facts, lang),
        binding=findings.binding_lines(facts, lang),
        runout=findings.runout_lines(facts, lang),
    )
    return RunSummary(
        id=run_id,
        scenario=result.scenario,
        seed=result.seed,
        samples=result.samples,
        digest=result.digest,
        version=version,
        levers=result.levers,
        findings=text,
        annual=document["annual"],
        binding=binding,
        timeline=timeline,
        stranded=_bands(records(yearly.stranded_frame()), "component"),
        runway=_bands(records(yearly.runway_frame()), "stockpile"),
        runout=records(yearly.runout_frame()),
        non_finite=document["non_finite"],
    )

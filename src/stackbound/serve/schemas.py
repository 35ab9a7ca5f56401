"""The bodies the API reads and writes, as pydantic models (they make the OpenAPI schema)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, JsonValue, model_validator

__all__ = [
    "MAX_SAMPLES",
    "About",
    "AnalysisRequest",
    "AnnualRow",
    "BandRow",
    "BindingRow",
    "CheckRequest",
    "CheckResult",
    "ErrorBody",
    "FindingsText",
    "InputRow",
    "JobProgress",
    "JobStatus",
    "LeverRow",
    "ProblemRow",
    "RunRequest",
    "RunSummary",
    "RunoutRow",
    "ScenarioEntry",
    "ScenarioSource",
    "ScenarioView",
]

MAX_SAMPLES = 1_000_000
"""No request may ask for more samples than this; a server's own cap may be lower."""


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ProblemRow(BaseModel):
    """One problem of a scenario text, located as the CLI locates it (line 0: the file as a whole)."""

    file: str
    line: int
    column: int
    path: str = Field(description="The field's dotted path, e.g. sources.smic.wafer_starts")
    message: str


class ErrorBody(BaseModel):
    """Every error: a kind, one clear sentence, and a scenario's problems when it has any."""

    error: str = Field(description="The kind: not_found, invalid_scenario, queue_full, forbidden_host, ...")
    message: str
    problems: list[ProblemRow] = []


class ScenarioSource(_Body):
    """A scenario: a built-in name or YAML text (never a file on the server), then changes."""

    scenario: str | None = Field(None, description="A built-in scenario's name (GET /v1/scenarios lists them)")
    yaml: str | None = Field(None, description="A scenario or overlay as YAML text; extends may name built-ins only")
    overrides: dict[str, JsonValue] = Field(
        default_factory=dict, description="Dotted path -> new value, as an overlay's overrides"
    )
    levers: dict[str, JsonValue] = Field(
        default_factory=dict, description="Lever name -> new value (a number or a distribution)"
    )

    @model_validator(mode="after")
    def _one_source(self) -> ScenarioSource:
        if (self.scenario is None) == (self.yaml is None):
            raise ValueError("give exactly one of scenario (a built-in name) and yaml (scenario text)")
        return self


class RunRequest(ScenarioSource):
    """A run: the scenario, the samples and the seed (the same request is the same run)."""

    samples: int = Field(10_000, ge=1, le=MAX_SAMPLES, description="Monte Carlo samples (the server caps them)")
    seed: int = Field(0, ge=0, lt=2**63, description="Random seed; the same seed gives the same numbers")


class CheckRequest(_Body):
    yaml: str = Field(description="A scenario or overlay as YAML text")


class AnalysisRequest(_Body):
    """An analysis of a run's scenario, with the run's seed: which method and of which output."""

    method: Literal["tornado", "sobol", "delta", "marginal", "discover", "report"]
    metric: str = Field("units", description="Annual output, e.g. units or compute_added_h100e")
    group: str = Field("total", description="Product, vendor, origin or component, or total")
    year: int | None = Field(None, description="Year of the output (default: the horizon's last; report: 2027)")
    factors: Literal["group", "curve", "input"] | None = Field(
        None, description="Sensitivity: what counts as one factor (default: the method's)"
    )
    samples: int | None = Field(
        None, ge=1, le=MAX_SAMPLES, description="sobol: base size N; delta, marginal, discover: samples (default: ...)"
    )
    threshold: float | None = Field(None, description="discover: the outcome is the output below this (default P25)")
    sensitivity: bool = Field(False, description="report: include the tornado and Sobol' analyses (slow)")


class ScenarioEntry(BaseModel):
    name: str
    extends: str | None
    story: str


class LeverRow(BaseModel):
    name: str
    description: str
    value: str = Field(description="The lever's value or distribution, as written")


class InputRow(BaseModel):
    """One value of the scenario and its provenance (a row of the assumptions register)."""

    field: str
    label: str
    value: str = Field(description="The value, or the distribution as written")
    unit: str
    uncertain: bool
    inputs: int = Field(description="How many uncertain inputs the value holds (a curve: one per knot)")
    source: str
    date: str
    grade: str
    assumption: str
    note: str
    unsourced: bool = Field(description="Given in a file without a source or an assumption")


class ScenarioView(BaseModel):
    """A resolved scenario: every value with its label, unit, distribution, source and grade."""

    name: str
    description: str
    files: list[str]
    digest: str
    horizon: dict[str, str]
    metric: str
    levers: list[LeverRow]
    uncertain_inputs: int
    inputs: list[InputRow]
    warnings: list[str]


class CheckResult(BaseModel):
    """What ``stackbound check`` says of a text: its problems (none: ok), its values without
    provenance, and when it loads, the resolved scenario."""

    ok: bool
    problems: list[ProblemRow]
    unsourced: list[ProblemRow]
    scenario: ScenarioView | None


class JobProgress(BaseModel):
    done: int
    total: int
    fraction: float


class JobStatus(BaseModel):
    """A run or an analysis: its state, progress and where its answers are."""

    id: str
    kind: Literal["run", "analysis"]
    status: Literal["queued", "running", "done", "failed", "cancelled"]
    progress: JobProgress
    error: str | None
    elapsed_seconds: float | None
    scenario: str
    seed: int
    samples: int
    version: str
    digest: str = Field(description="SHA-256 of the resolved scenario")
    method: str | None = None
    run: str | None = Field(None, description="An analysis: the run it analyses")
    links: dict[str, str]


class FindingsText(BaseModel):
    """The answer in sentences, as the terminal and the report open with it."""

    answer: str
    years: list[str]
    binding: list[str]
    runout: list[str]


class AnnualRow(BaseModel):
    year: int
    metric: str
    group: str
    mean: float | None
    p5: float | None
    p50: float | None
    p95: float | None


class BindingRow(BaseModel):
    variant: str
    year: int
    constraint: str
    probability: float | None
    starved_by_priority: float | None


class BandRow(BaseModel):
    name: str
    period: str
    mean: float | None
    p5: float | None
    p50: float | None
    p95: float | None


class RunoutRow(BaseModel):
    stockpile: str
    probability_runs_out: float | None
    p5: str
    p50: str
    p95: str


class RunSummary(BaseModel):
    """A run's answer: sentences, annual P5/P50/P95, binding constraints, runway, stranded stock."""

    id: str
    scenario: str
    seed: int
    samples: int
    digest: str
    version: str
    levers: dict[str, str]
    findings: FindingsText
    annual: list[AnnualRow]
    binding: list[BindingRow] = Field(description="The constraint most likely to bind, per variant and year")
    timeline: list[dict[str, Any]] = Field(description="Each variant's binding story, month by month, as segments")
    stranded: list[BandRow] = Field(description="Stranded stock per component at the end of each year")
    runway: list[BandRow] = Field(description="Months of runway left in each stockpile at the end of each year")
    runout: list[RunoutRow]
    non_finite: list[dict[str, Any]]


class About(BaseModel):
    """The server: the stackbound version its runs are made with, and its limits."""

    version: str
    max_samples: int = Field(description="The most samples a run or analysis may ask for")
    max_body_bytes: int = Field(description="The largest request body accepted")

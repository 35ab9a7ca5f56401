"""The uncertain inputs of a scenario, and their rank correlations.

Every uncertain number in a scenario is one :class:`Input`, named by its field path
(``sources.smic.wafer_starts@2025-12`` for a curve knot, ``...@launch+6`` for a knot of a
curve written in months after a launch, ``...@shift`` for a curve's shift); inputs of one
curve share a ``group`` (the curve's path), which sensitivity analysis treats as one factor
and correlations may name as a whole.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, TypeVar

import numpy as np
from pydantic import BaseModel

from stackbound.scenario.correlation import is_valid_correlation, nearest_correlation, spearman_to_pearson
from stackbound.scenario.distributions import Distribution
from stackbound.scenario.months import format_month
from stackbound.scenario.provenance import Provenance
from stackbound.scenario.schema import Part, Scenario
from stackbound.scenario.text import excerpt
from stackbound.scenario.units import PRIORITY, Kind
from stackbound.scenario.values import Curve, LaunchCurve, Param, Scalar, knot_suffix
from stackbound.scenario.yamlio import Path, format_path

__all__ = [
    "Copula",
    "Input",
    "collect_inputs",
    "copula",
    "needs_source",
    "parts_of",
    "unsourced_products",
    "walk_params",
    "walk_parts",
]


@dataclass(frozen=True)
class Input:
    """One uncertain number: where it is, how it is distributed, where it comes from."""

    name: str
    group: str
    dist: Distribution
    kind: Kind
    provenance: Provenance | None


@dataclass(frozen=True)
class Copula:
    """A Gaussian copula over the correlated inputs ``members`` (indices into the input
    list): Pearson correlation of normal scores, its Cholesky factor, and whether the
    requested rank matrix had to be repaired."""

    members: tuple[int, ...]
    pearson: np.ndarray
    cholesky: np.ndarray
    repaired: bool


T = TypeVar("T")


def _walk(node: Any, kind: type[T], path: Path = ()) -> Iterator[tuple[Path, T]]:
    """Every node of type ``kind`` in a scenario tree with its path (field aliases, as in files)."""
    if isinstance(node, kind):
        yield path, node
    elif isinstance(node, BaseModel):
        for name, info in type(node).model_fields.items():
            yield from _walk(getattr(node, name), kind, (*path, info.alias or name))
    elif isinstance(node, dict):
        for key, value in node.items():
            yield from _walk(value, kind, (*path, format_month(key) if isinstance(key, int) else key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _walk(value, kind, (*path, i))


def walk_params(node: Any, path: Path = ()) -> Iterator[tuple[Path, Param]]:
    """Every :class:`Param` in a scenario tree with its path (field aliases, as in files)."""
    return _walk(node, Param, path)


def walk_parts(node: Any, path: Path = ()) -> Iterator[tuple[Path, Part]]:
    """Every value written as a share of a total (a :class:`Part`), with its path."""
    return _walk(node, Part, path)


def parts_of(scenario: Scenario) -> dict[str, list[tuple[Path, Part]]]:
    """The parts of each total named by some field (named totals that exist or not), in
    schema order."""
    found: dict[str, list[tuple[Path, Part]]] = {}
    for path, part in walk_parts(scenario):
        found.setdefault(part.share_of, []).append((path, part))
    return found


def needs_source(param: Param) -> bool:
    """Whether a value is a figure that must carry a source or an assumption: every value
    but a fixed priority, which only orders variants (a priority that changes over time or
    is uncertain says when a preference switches, and needs its source)."""
    return not (param.kind is PRIORITY and isinstance(param.value, Scalar) and not param.uncertain)


def unsourced_products(scenario: Scenario) -> list[str]:
    """The products none of whose specs and bills (what they are and what they are made
    of, their variants' own specs included) cites a source: every figure that says what
    they are is an assumption, so no headline should be led by them. A lag or a launch date
    shared with sourced products does not make them sourced."""
    found = []
    for name, product in scenario.products.items():
        defining = [
            *walk_params(product.specs),
            *(pair for v in product.variants.values() for pair in walk_params(v.bill)),
            *(pair for v in product.variants.values() for pair in walk_params(v.specs)),
        ]
        if not any(p.provenance is not None and p.provenance.source for _, p in defining):
            found.append(name)
    return found


def _scalar_inputs(name: str, group: str, scalar: Scalar, param: Param) -> Iterator[Input]:
    if scalar.uncertain:
        assert scalar.dist is not None  # uncertain implies a distribution
        yield Input(name, group, scalar.dist, param.kind, param.provenance)


def param_inputs(path: Path, param: Param) -> Iterator[Input]:
    """The uncertain inputs of one parameter."""
    group = format_path(path)
    value = param.value
    if isinstance(value, Scalar):
        yield from _scalar_inputs(group, group, value, param)
        return
    after = isinstance(value, LaunchCurve)
    curve = value.curve if isinstance(value, LaunchCurve) else value
    for month, knot in curve.knots:
        yield from _scalar_inputs(f"{group}@{knot_suffix(month, after)}", group, knot, param)
    if curve.shift is not None:
        yield from _scalar_inputs(f"{group}@shift", group, curve.shift, param)


def collect_inputs(scenario: Scenario) -> list[Input]:
    """All uncertain inputs, in schema order (the order of the scenario's sections and
    fields, then of the keys in each mapping); each input's random stream is keyed by its
    name, so the order changes no draw."""
    return [i for path, param in walk_params(scenario) for i in param_inputs(path, param)]


def _knot_pairs(scenario: Scenario, index: dict[str, list[int]], names: list[str]) -> Iterator[tuple[int, int, float]]:
    """Pairs of a curve's knots (not its shift) correlated by ``knot_correlation``."""
    for path, param in walk_params(scenario):
        curve = param.value.curve if isinstance(param.value, LaunchCurve) else param.value
        if isinstance(curve, Curve) and curve.knot_correlation is not None:
            members = [i for i in index.get(format_path(path), []) if not names[i].endswith("@shift")]
            for a in members:
                for b in members:
                    if a < b:
                        yield a, b, curve.knot_correlation


def copula(scenario: Scenario, inputs: list[Input]) -> tuple[Copula | None, list[tuple[Path, str]]]:
    """The scenario's Gaussian copula (None when nothing is correlated) and any findings."""
    names = {inp.name: [i] for i, inp in enumerate(inputs)}
    groups: dict[str, list[int]] = {}
    for i, inp in enumerate(inputs):
        groups.setdefault(inp.group, []).append(i)
    index = {**groups, **names}
    findings: list[tuple[Path, str]] = []
    rank = np.eye(len(inputs))
    for a, b, rho in _knot_pairs(scenario, groups, [inp.name for inp in inputs]):
        rank[a, b] = rank[b, a] = rho
    given: dict[tuple[int, int], int] = {}
    for n, corr in enumerate(scenario.correlations):
        sides = []
        for k, ref in enumerate(corr.between):
            if ref not in index:
                findings.append(
                    (("correlations", n, "between", k), f"{excerpt(ref)} is not an uncertain input of this scenario")
                )
            sides.append(index.get(ref, []))
        if set(sides[0]) & set(sides[1]):
            findings.append((("correlations", n), "an input cannot be correlated with itself"))
            continue
        pairs = [(min(a, b), max(a, b)) for a in sides[0] for b in sides[1]]
        earlier = sorted({given[pair] for pair in pairs if pair in given})
        if earlier:
            message = (
                f"this pair (or a part of it) is already correlated by correlations[{earlier[0]}]; give each pair once"
            )
            findings.append((("correlations", n), message))
            continue
        for a, b in pairs:
            given[(a, b)] = n
            rank[a, b] = rank[b, a] = corr.rank
    if findings or np.array_equal(rank, np.eye(len(inputs))):
        return None, findings
    members = tuple(int(i) for i in np.flatnonzero((rank != np.eye(len(inputs))).any(axis=1)))
    pearson = spearman_to_pearson(rank[np.ix_(members, members)])
    np.fill_diagonal(pearson, 1.0)
    repaired = not is_valid_correlation(pearson)
    if repaired:
        if scenario.correlation_repair == "error":
            findings.append(
                (("correlations",), "the correlations are inconsistent (the matrix is not positive semi-definite)")
            )
            return None, findings
        pearson = nearest_correlation(pearson)
    try:
        cholesky = np.linalg.cholesky(pearson + 1e-12 * np.eye(len(members)))
    except np.linalg.LinAlgError:  # valid within tolerance but singular: lift it just enough to factor
        pearson = nearest_correlation(pearson)
        cholesky = np.linalg.cholesky(pearson)
    return Copula(members, pearson, cholesky, repaired), findings

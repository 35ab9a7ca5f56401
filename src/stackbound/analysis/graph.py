"""The model as a graph: sources → components → variants → packaging lines, each edge
labelled with what flows along it (a bill's count per unit), each node with the inputs
that describe it and, for a run, how often it binds.

How often a node binds is read from the run's binding counts, over the sample-months in
which the variants that use it are active: a component binds a variant when it sets that
variant's output; a packaging line when ``packaging`` does for a variant on that line.
Sources and variants are not constraints of their own (a source's supply binds as its
component), so they carry no share.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any, Literal

from stackbound.engine.results import RunResult
from stackbound.scenario.labels import named
from stackbound.scenario.schema import Scenario

__all__ = ["Edge", "ModelGraph", "Node", "model_graph"]

NodeKind = Literal["source", "component", "variant", "packaging"]
KINDS: tuple[NodeKind, ...] = ("source", "component", "variant", "packaging")
"""The columns of the graph, left to right."""


@dataclass(frozen=True)
class Node:
    id: str
    """``kind:name``, e.g. ``component:hbm2e_foreign`` or ``variant:ascend910c/hbm2e``."""
    kind: NodeKind
    name: str
    label: str
    fields: tuple[str, ...]
    """The field paths of the inputs that describe it (the register's ``field`` column); a
    component's include those of the sources that make it (for a fab line making several
    dies, all but the other dies' outputs)."""
    binds: float | None
    """The share of its variants' active sample-months it binds; None: not a constraint, or no run."""


@dataclass(frozen=True)
class Edge:
    source: str
    target: str
    label: str


@dataclass(frozen=True)
class ModelGraph:
    nodes: tuple[Node, ...]
    """Sources, then components, variants and packaging lines (:data:`KINDS`), each in the scenario's order."""
    edges: tuple[Edge, ...]

    def to_document(self) -> dict[str, Any]:
        return {"nodes": [asdict(n) for n in self.nodes], "edges": [asdict(e) for e in self.edges]}


def _owned(fields: Sequence[str], *prefixes: str) -> tuple[str, ...]:
    return tuple(f for f in fields if any(f == p or f.startswith(p + ".") for p in prefixes))


def _source_components(name: str, source: Any) -> list[tuple[str, str, tuple[str, ...]]]:
    """Each component a source supplies: what it supplies it as, and the field paths of the
    source's other die outputs (a fab line's wafers and its own die output set how much of
    it is made; another die's share does not)."""
    if source.kind == "fab_line":
        dies = [f"sources.{name}.dies[{k}]" for k in range(len(source.dies))]
        return [(die.component, "dies", tuple(d for d in dies if d != dies[k])) for k, die in enumerate(source.dies)]
    what = {"memory_line": "stacks made", "stockpile": "stock drawn", "flow": "arrivals"}[source.kind]
    return [(source.component, what, ())]


def _supply_fields(fields: Sequence[str], supplies: list[tuple[str, tuple[str, ...]]]) -> tuple[str, ...]:
    """The fields of the sources that make a component, less their other die outputs'."""
    found = []
    for source, others in supplies:
        found += [f for f in _owned(fields, source) if not _owned([f], *others)]
    return tuple(found)


def _binding_share(result: RunResult | None, constraint: str, variants: list[str]) -> float | None:
    """The share of ``variants``' active sample-months in which ``constraint`` binds them;
    None without a run, or when no variant of the run is bound by it."""
    rows = [result.variants.index(v) for v in variants if v in result.variants] if result is not None else []
    if result is None or constraint not in result.constraint_names or not rows:
        return None
    counts = result.binding_counts  # variants × constraints × months, in samples
    active = result.samples - counts[rows, result.constraint_names.index("inactive"), :]
    months = active.sum()
    return float(counts[rows, result.constraint_names.index(constraint), :].sum() / months) if months > 0 else 0.0


def model_graph(scenario: Scenario, fields: Sequence[str] = (), result: RunResult | None = None) -> ModelGraph:
    """The graph of ``scenario``; ``fields`` (the register's field paths) are shared out to
    the nodes they describe, and ``result``'s binding counts colour them."""
    nodes: list[Node] = []
    edges: list[Edge] = []
    component_users: dict[str, list[str]] = {c: [] for c in scenario.components}
    line_users: dict[str, list[str]] = {line: [] for line in scenario.packaging}
    for product_name, product in scenario.products.items():
        for variant_name, variant in product.variants.items():
            variant_id = f"{product_name}/{variant_name}"
            for component, count in variant.bill.items():
                component_users[component].append(variant_id)
                edges.append(Edge(f"component:{component}", f"variant:{variant_id}", f"{count.describe()} per unit"))
            if variant.packaging is not None:
                line_users[variant.packaging].append(variant_id)
                edges.append(Edge(f"variant:{variant_id}", f"packaging:{variant.packaging}", "packaged on"))
    supplied: dict[str, list[tuple[str, tuple[str, ...]]]] = {c: [] for c in scenario.components}
    for name, source in scenario.sources.items():
        levers = [f"levers.{lever}" for lever in getattr(source, "levers", [])]
        label = named(scenario, "sources", name)
        nodes.append(Node(f"source:{name}", "source", name, label, _owned(fields, f"sources.{name}", *levers), None))
        for component, what, others in _source_components(name, source):
            edges.append(Edge(f"source:{name}", f"component:{component}", what))
            supplied.setdefault(component, []).append((f"sources.{name}", others))
    for name in scenario.components:
        label = named(scenario, "components", name)
        own = _owned(fields, f"components.{name}") + _supply_fields(fields, supplied[name])
        binds = _binding_share(result, name, component_users[name])
        nodes.append(Node(f"component:{name}", "component", name, label, own, binds))
    for product_name, product in scenario.products.items():
        for variant_name in product.variants:
            variant_id = f"{product_name}/{variant_name}"
            own = _owned(fields, f"products.{product_name}.variants.{variant_name}")
            common = tuple(
                f
                for f in _owned(fields, f"products.{product_name}")
                if not f.startswith(f"products.{product_name}.variants.")
            )
            label = f"{named(scenario, 'products', product_name)} ({variant_name})"
            nodes.append(Node(f"variant:{variant_id}", "variant", variant_id, label, common + own, None))
    for name, line in scenario.packaging.items():
        levers = [f"levers.{lever}" for lever in line.levers]
        label = named(scenario, "packaging", name)
        fields_of = _owned(fields, f"packaging.{name}", *levers)
        binds = _binding_share(result, "packaging", line_users[name])  # None: no variant uses it
        nodes.append(Node(f"packaging:{name}", "packaging", name, label, fields_of, binds))
    known = {n.id for n in nodes}
    return ModelGraph(tuple(nodes), tuple(e for e in edges if e.source in known and e.target in known))

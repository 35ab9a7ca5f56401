"""The model graph (analysis/graph.py) and its Sankey chart (report/sankey.py): the nodes
and edges of the example scenario, the register's fields shared out to the nodes they
describe, how often each node binds (a known answer on a tiny scenario, and the example's
shares recomputed by hand from the binding counts), and the chart's colours and order."""

from __future__ import annotations

import textwrap

import numpy as np
import pytest

from stackbound.analysis.graph import ModelGraph, Node, model_graph
from stackbound.engine.results import RunResult
from stackbound.engine.run import run
from stackbound.report.export import inputs_table
from stackbound.report.interactive import literal
from stackbound.report.sankey import binding_colour, sankey_json
from stackbound.scenario.loader import LoadedScenario, load_scenario, load_scenario_text
from stackbound.serve.scenarios import scenario_view

SAMPLES = 64

TINY = textwrap.dedent(
    """\
    stackbound: 1
    name: tiny
    horizon: {start: 2025-01, end: 2025-12}
    levers:
      logic_boost: {value: 1.0}
      pkg_boost: {value: 1.0}
    components:
      logic: {kind: logic_die}
      hbm: {kind: hbm_stack}
      spare: {kind: memory}
    sources:
      logic_flow: {kind: flow, component: logic, rate: {uniform: [900, 1100]}, levers: [logic_boost]}
      logic_flow_spare: {kind: flow, component: spare, rate: 10}
      hbm_flow: {kind: flow, component: hbm, rate: 1e12}
    packaging:
      pkg_a: {capacity: 1e12, yield: 1.0, levers: [pkg_boost]}
      pkg_a_small: {capacity: {uniform: [90, 110]}, yield: 1.0}
    products:
      alpha:
        vendor: A
        origin: domestic
        launch: 2025-04
        specs: {dense_bf16: 1000 TFLOPS}
        variants:
          main: {priority: 1, bill: {logic: 1, hbm: 8}, packaging: pkg_a}
          main_x: {priority: 3, bill: {logic: 1, hbm: {uniform: [6, 10]}}, packaging: pkg_a, slots: 2}
      alpha_b:
        vendor: B
        origin: domestic
        variants:
          main: {priority: 2, bill: {hbm: 4}, packaging: pkg_a_small}
    """
)
"""About 1,000 logic dies a month against ample HBM: logic binds both alpha variants in every
month they are active (April on: 9 of 12 months), HBM never; alpha_b's 90–110 packages a
month bind it on pkg_a_small always, pkg_a (ample) never. ``spare`` is in no bill.
Names that start with another's name (logic_flow_spare, alpha_b, pkg_a_small, main_x) catch
a field shared out by a bare string prefix."""

TINY_FIELDS = (
    "reference.dense_bf16",
    "levers.logic_boost.value",
    "levers.pkg_boost.value",
    "sources.logic_flow.rate",
    "sources.logic_flow_spare.rate",
    "sources.hbm_flow.rate",
    "packaging.pkg_a.capacity",
    "packaging.pkg_a.yield",
    "packaging.pkg_a_small.capacity",
    "products.alpha.specs.dense_bf16",
    "products.alpha.launch",
    "products.alpha.variants.main.bill.logic",
    "products.alpha.variants.main_x.bill.hbm",
    "products.alpha.variants.main_x.slots",
    "products.alpha_b.variants.main.bill.hbm",
    "market_demand.units",
)
"""Field paths as the register writes them (the tiny scenario's register has these and more)."""


@pytest.fixture(scope="module")
def tiny() -> LoadedScenario:
    return load_scenario_text(TINY, "tiny.yaml")


@pytest.fixture(scope="module")
def tiny_run(tiny: LoadedScenario) -> RunResult:
    return run(tiny, samples=SAMPLES, seed=1)


@pytest.fixture(scope="module")
def example() -> LoadedScenario:
    return load_scenario("example")


@pytest.fixture(scope="module")
def example_run(example: LoadedScenario) -> RunResult:
    return run(example, samples=1_024, seed=3)


def by_id(graph: ModelGraph) -> dict[str, Node]:
    return {node.id: node for node in graph.nodes}


# ------------------------------------------------------------------ structure


def test_the_example_has_a_node_per_source_component_variant_and_line_in_columns(example: LoadedScenario) -> None:
    graph = model_graph(example.scenario)
    assert [n.id for n in graph.nodes] == [
        "source:fab",
        "source:die_bank",
        "source:hbm_stockpile",
        "source:hbm_smuggled",
        "source:hbm3_line",
        "component:logic_die",
        "component:hbm2e",
        "component:hbm3",
        "variant:accel_a/hbm2e",
        "variant:accel_a/hbm3",
        "variant:accel_b/hbm2e",
        "packaging:cowos_like",
    ]  # import_gpu has no variants (it is bought, not built): no node
    assert all(n.id == f"{n.kind}:{n.name}" for n in graph.nodes)
    assert by_id(graph)["component:hbm2e"].label == "HBM2E"
    assert by_id(graph)["variant:accel_b/hbm2e"].label == "accel b (hbm2e)"


def test_each_source_feeds_the_component_it_supplies(example: LoadedScenario) -> None:
    graph = model_graph(example.scenario)
    supplied = {(e.source, e.target, e.label) for e in graph.edges if e.source.startswith("source:")}
    assert supplied == {
        ("source:fab", "component:logic_die", "dies"),
        ("source:die_bank", "component:logic_die", "stock drawn"),
        ("source:hbm_stockpile", "component:hbm2e", "stock drawn"),
        ("source:hbm_smuggled", "component:hbm2e", "arrivals"),
        ("source:hbm3_line", "component:hbm3", "stacks made"),
    }


def test_each_bill_entry_is_an_edge_labelled_with_its_count_and_each_variant_goes_to_its_line(
    example: LoadedScenario,
) -> None:
    graph = model_graph(example.scenario)
    bills = {(e.source, e.target, e.label) for e in graph.edges if e.source.startswith("component:")}
    assert bills == {
        ("component:logic_die", "variant:accel_a/hbm2e", "1 per unit"),
        ("component:hbm2e", "variant:accel_a/hbm2e", "6 per unit"),
        ("component:logic_die", "variant:accel_a/hbm3", "1 per unit"),
        ("component:hbm3", "variant:accel_a/hbm3", "4 per unit"),
        ("component:logic_die", "variant:accel_b/hbm2e", "2 per unit"),
        ("component:hbm2e", "variant:accel_b/hbm2e", "8 per unit"),
    }
    packaged = {(e.source, e.target) for e in graph.edges if e.source.startswith("variant:")}
    assert packaged == {
        (f"variant:{v}", "packaging:cowos_like") for v in ("accel_a/hbm2e", "accel_a/hbm3", "accel_b/hbm2e")
    }
    assert len(graph.edges) == 5 + 6 + 3


def test_an_uncertain_bill_count_is_described_on_its_edge(tiny: LoadedScenario) -> None:
    labels = {(e.source, e.target): e.label for e in model_graph(tiny.scenario).edges}
    assert labels[("component:hbm", "variant:alpha/main_x")] == "6 to 10 (uniform) per unit"
    assert labels[("component:hbm", "variant:alpha_b/main")] == "4 per unit"
    assert ("component:spare", "variant:alpha/main") not in labels


def test_the_document_is_plain_data_with_every_edge_between_known_nodes(example: LoadedScenario) -> None:
    document = model_graph(example.scenario).to_document()
    ids = [n["id"] for n in document["nodes"]]
    assert len(ids) == len(set(ids))
    assert all(e["source"] in ids and e["target"] in ids for e in document["edges"])
    assert set(document["nodes"][0]) == {"id", "kind", "name", "label", "fields", "binds"}


def test_a_component_made_on_a_fab_line_gets_that_die_outputs_inputs_only(example: LoadedScenario) -> None:
    fields = [row.field for row in scenario_view(example).inputs]
    nodes = {n.id: n for n in model_graph(example.scenario, fields).nodes}
    logic = nodes["component:logic_die"].fields
    assert any(f.startswith("sources.fab.dies[0].") for f in logic)
    assert any(f.startswith("sources.die_bank.") for f in logic)
    assert "sources.fab.wafer_starts" in logic  # the line's wafers set how many dies it makes
    assert not any(f.startswith("sources.hbm") for f in logic)


def test_without_a_run_or_fields_no_node_binds_or_has_inputs(example: LoadedScenario) -> None:
    graph = model_graph(example.scenario)
    assert all(n.binds is None for n in graph.nodes)
    assert all(n.fields == () for n in graph.nodes)


# ------------------------------------------------------------------ fields


def test_fields_go_to_the_node_they_describe_and_never_to_a_namesake(tiny: LoadedScenario) -> None:
    fields = {n.id: n.fields for n in model_graph(tiny.scenario, TINY_FIELDS).nodes}
    assert fields == {
        "source:logic_flow": ("levers.logic_boost.value", "sources.logic_flow.rate"),
        "source:logic_flow_spare": ("sources.logic_flow_spare.rate",),
        "source:hbm_flow": ("sources.hbm_flow.rate",),
        # a component's: its supply's (a flow's whole source), never a namesake's
        "component:logic": ("sources.logic_flow.rate",),
        "component:hbm": ("sources.hbm_flow.rate",),
        "component:spare": ("sources.logic_flow_spare.rate",),
        # the product's own fields first, then the variant's
        "variant:alpha/main": (
            "products.alpha.specs.dense_bf16",
            "products.alpha.launch",
            "products.alpha.variants.main.bill.logic",
        ),
        "variant:alpha/main_x": (
            "products.alpha.specs.dense_bf16",
            "products.alpha.launch",
            "products.alpha.variants.main_x.bill.hbm",
            "products.alpha.variants.main_x.slots",
        ),
        "variant:alpha_b/main": ("products.alpha_b.variants.main.bill.hbm",),
        "packaging:pkg_a": ("levers.pkg_boost.value", "packaging.pkg_a.capacity", "packaging.pkg_a.yield"),
        "packaging:pkg_a_small": ("packaging.pkg_a_small.capacity",),
    }


def test_the_examples_register_is_shared_out_by_its_field_paths(example: LoadedScenario) -> None:
    register = [str(f) for f in inputs_table(example)["field"]]
    nodes = by_id(model_graph(example.scenario, register))
    assert "sources.fab.dies[0].defect_density" in nodes["source:fab"].fields
    assert nodes["source:hbm_smuggled"].fields == ("levers.smuggling_enforcement.value", "sources.hbm_smuggled.rate")
    accel_b = nodes["variant:accel_b/hbm2e"].fields
    assert "products.accel_b.launch" in accel_b
    assert "products.accel_b.variants.hbm2e.slots" in accel_b
    assert not any(f.startswith("products.accel_a.") for f in accel_b)
    accel_a = nodes["variant:accel_a/hbm2e"].fields
    assert "products.accel_a.demand_cap" in accel_a
    assert "products.accel_a.variants.hbm2e.bill.hbm2e" in accel_a
    assert not any(".variants.hbm3." in f for f in accel_a)
    assert nodes["packaging:cowos_like"].fields == (
        "packaging.cowos_like.capacity",
        "packaging.cowos_like.yield",
        "packaging.cowos_like.lag",
    )
    # inputs of no node (imports, rental, demand, the reference chip) are left out, never misplaced
    placed = {f for n in nodes.values() for f in n.fields}
    assert not any(f.startswith(("imports.", "offshore_rental.", "market_demand.", "reference.")) for f in placed)
    assert placed <= set(register)


# ------------------------------------------------------------------ how often each binds


def test_known_answer_one_component_always_binds_and_another_never(tiny: LoadedScenario, tiny_run: RunResult) -> None:
    nodes = by_id(model_graph(tiny.scenario, (), tiny_run))
    assert nodes["component:logic"].binds == 1.0  # over alpha's active months only (9 of 12)
    assert nodes["component:hbm"].binds == 0.0
    assert nodes["packaging:pkg_a_small"].binds == 1.0
    assert nodes["packaging:pkg_a"].binds == 0.0
    assert nodes["component:spare"].binds is None  # in no bill: not a constraint
    assert all(n.binds is None for n in nodes.values() if n.kind in ("source", "variant"))


def test_the_tiny_run_is_what_the_known_answer_says(tiny_run: RunResult) -> None:
    """The premise of the known answer: alpha is inactive January to March."""
    inactive = tiny_run.constraint_names.index("inactive")
    alpha = tiny_run.variants.index("alpha/main")
    assert tiny_run.binding_counts[alpha, inactive].tolist() == [SAMPLES] * 3 + [0] * 9


def hand_share(result: RunResult, variants: list[str], constraint: str) -> float:
    """Sample-months ``constraint`` binds ``variants`` over the sample-months they are active."""
    rows = [result.variants.index(v) for v in variants]
    counts = result.binding_counts[rows].astype(np.float64)
    bound = counts[:, result.constraint_names.index(constraint), :].sum()
    active = (
        result.samples * counts.shape[0] * counts.shape[2]
        - counts[:, result.constraint_names.index("inactive"), :].sum()
    )
    return float(bound / active)


def test_the_examples_shares_are_its_binding_counts_over_active_sample_months(
    example: LoadedScenario, example_run: RunResult
) -> None:
    nodes = by_id(model_graph(example.scenario, (), example_run))
    expected = {
        "component:logic_die": hand_share(example_run, ["accel_a/hbm2e", "accel_a/hbm3", "accel_b/hbm2e"], "logic_die"),
        "component:hbm2e": hand_share(example_run, ["accel_a/hbm2e", "accel_b/hbm2e"], "hbm2e"),
        "component:hbm3": hand_share(example_run, ["accel_a/hbm3"], "hbm3"),
        "packaging:cowos_like": hand_share(
            example_run, ["accel_a/hbm2e", "accel_a/hbm3", "accel_b/hbm2e"], "packaging"
        ),
    }
    assert {k: nodes[k].binds for k in expected} == pytest.approx(expected, rel=1e-12)
    assert 0.05 < expected["component:hbm2e"] < 0.95  # a share, not an edge case


# ------------------------------------------------------------------ the Sankey chart


@pytest.mark.parametrize(
    ("share", "colour"),
    [(None, "#b8c2cc"), (0.0, "#e8eef4"), (1.0, "#c0392b"), (-0.5, "#e8eef4"), (7.0, "#c0392b")],
    ids=["not a constraint: grey", "never: pale", "always: red", "below 0: pale", "above 1: red"],
)
def test_binding_colour_runs_from_pale_to_red_with_grey_for_no_constraint(share: float | None, colour: str) -> None:
    assert binding_colour(share) == colour


def test_binding_colour_grows_redder_with_the_share() -> None:
    def redness(share: float) -> int:
        hexes = binding_colour(share)
        red, blue = int(hexes[1:3], 16), int(hexes[5:7], 16)
        return red - blue

    shares = [0.0, 0.01, 0.1, 0.5, 0.9, 1.0]
    assert [redness(s) for s in shares] == sorted(redness(s) for s in shares)
    assert len({binding_colour(s) for s in shares}) == len(shares)


def test_the_sankey_has_the_graphs_nodes_in_order_and_its_edges_by_index(
    tiny: LoadedScenario, tiny_run: RunResult
) -> None:
    graph = model_graph(tiny.scenario, TINY_FIELDS, tiny_run)
    chart = sankey_json(graph, "tiny: the model")
    assert chart["key"] == "graph"
    assert chart["title"] == "tiny: the model"
    [sankey] = chart["data"]
    assert sankey["type"] == "sankey"
    node, link = sankey["node"], sankey["link"]
    assert node["label"] == [literal(n.label) for n in graph.nodes]
    assert node["color"] == [binding_colour(n.binds) for n in graph.nodes]
    ids = [n.id for n in graph.nodes]
    assert [(ids[s], ids[t]) for s, t in zip(link["source"], link["target"], strict=True)] == [
        (e.source, e.target) for e in graph.edges
    ]
    assert link["customdata"] == [e.label for e in graph.edges]
    # one column per kind, left to right
    column = {n.kind: x for n, x in zip(graph.nodes, node["x"], strict=True)}
    assert column["source"] < column["component"] < column["variant"] < column["packaging"]
    hover = dict(zip(ids, node["customdata"], strict=True))
    assert "binds 100% of active months" in hover["component:logic"]
    assert "binds 0% of active months" in hover["component:hbm"]
    assert "not a constraint" in hover["component:spare"]
    assert chart["config"]["displaylogo"] is False

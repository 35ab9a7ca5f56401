"""Inputs in words (scenario/labels.py) and values as written (scenario/display.py), and
their use in the register, sensitivity factors, marginal inputs and charts."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pytest

from stackbound.analysis.features import feature_matrix, sample_inputs
from stackbound.analysis.marginal import supply_inputs
from stackbound.analysis.sensitivity.common import factors
from stackbound.analysis.sensitivity.sobol import SobolIndex
from stackbound.analysis.sensitivity.tornado import Bar, effect
from stackbound.engine.plan import build_plan
from stackbound.report.charts import _short
from stackbound.report.export import inputs_table
from stackbound.report.figures import Figure, Series, _detail, _unique, wrapped
from stackbound.report.interactive import _horizontal, fragment
from stackbound.report.register import missing_provenance, register_markdown
from stackbound.scenario.labels import factor_label, label, labels
from stackbound.scenario.loader import LoadedScenario, load_scenario
from stackbound.scenario.units import FRACTION, SIGNED, WAFER_RATE
from stackbound.scenario.values import MONTH, parse_param
from support import AMPLE, load, product, scenario


@cache
def china() -> LoadedScenario:
    return load_scenario("china")


def _small(tmp_path: Path, rate: object) -> LoadedScenario:
    components = {"logic": {"kind": "logic_die"}, "hbm": {"kind": "hbm_stack"}}
    sources = {
        "logic_flow": {"kind": "flow", "component": "logic", "rate": rate, "description": "CXMT logic (assumed)"},
        "hbm_flow": {"kind": "flow", "component": "hbm", "rate": AMPLE},
    }
    packaging = {"pkg": {"capacity": AMPLE, "yield": 1.0}}
    products = {"accel": product({"logic": 1, "hbm": 1})}
    return load(scenario(components=components, sources=sources, packaging=packaging, products=products), tmp_path)


# ------------------------------------------------------------------ labels


def test_china_inputs_are_labelled_by_the_things_they_belong_to() -> None:
    known = labels(china().scenario)
    assert known["sources.smic_n2.dies[4].die_area"] == "SMIC N+2 · other domestic die · die area"
    assert known["sources.smic_n2.wafer_starts"] == "SMIC N+2 · wafer starts"
    assert known["totals.tsmc_die_bank.value"] == "total · TSMC die bank"
    tranche = "TSMC die bank · arrivals · 2024-05 · share of TSMC die bank"
    assert known["sources.tsmc_die_bank.arrivals.2024-05.share"] == tranche
    assert known["levers.tool_controls.value"] == "lever · tool controls"
    assert known["initial.installed_base[3].units"] == "installed base · Ascend 910B · units"
    assert known["products.ascend910c.variants.hbm3.bill.hbm3_cxmt"] == "Ascend 910C · HBM3 · CXMT HBM3 per unit"
    assert label(china().scenario, ("packaging", "osat_2p5d", "capacity")) == "2.5D packaging at OSATs · capacity"


def test_every_label_is_words_not_a_path() -> None:
    for path, text in labels(china().scenario).items():
        assert text != path, path
        assert "_" not in text, (path, text)
        assert "[" not in text, (path, text)


def test_a_label_beside_a_value_overrides_the_derived_one(tmp_path: Path) -> None:
    loaded = _small(tmp_path, {"value": {"to": [1000, 2000]}, "assumption": "a guess", "label": "logic  from CXMT"})
    assert labels(loaded.scenario)["sources.logic_flow.rate"] == "logic from CXMT"
    draws = sample_inputs(loaded, 10, 0)
    features, _ = feature_matrix(loaded, draws)
    assert [f.label for f in features] == ["logic from CXMT"]


def test_a_label_alone_is_no_provenance(tmp_path: Path) -> None:
    loaded = _small(tmp_path, {"value": 1000, "label": "logic"})
    assert "sources.logic_flow.rate" in [p.path for p in missing_provenance(loaded)]


def test_a_label_must_be_one_line_of_text() -> None:
    with pytest.raises(ValueError, match="label must be non-empty text"):
        parse_param({"value": 1000, "label": 3}, WAFER_RATE)
    with pytest.raises(ValueError, match="unknown key"):
        parse_param({"value": 1000, "labels": "x", "source": "s"}, WAFER_RATE)


def test_a_derived_label_uses_the_description_start_or_the_key_in_words(tmp_path: Path) -> None:
    loaded = _small(tmp_path, 1000)
    known = labels(loaded.scenario)
    assert known["sources.logic_flow.rate"] == "CXMT logic · rate"  # the description's start names it
    assert known["sources.hbm_flow.rate"] == "hbm flow · rate"  # no description: the key in words


def test_factors_of_many_curves_get_a_short_label() -> None:
    known = {f"a.{k}": f"SMIC N+2 · die {k} · yield" for k in range(12)}
    assert factor_label(known, list(known), [1] * 12) == "SMIC N+2 · 12 inputs"
    two = {"a": "Huawei fabs · start", "b": "Huawei fabs · wafer starts"}
    assert factor_label(two, ["a", "b"], [1, -1]) == "Huawei fabs · start - wafer starts"
    assert factor_label({"a": "x · y"}, ["a"], [1]) == "x · y"
    grouped = [f for f in factors(china()) if len({i.split("@")[0] for i in f.inputs}) > 3]
    assert grouped
    assert all(f.label.endswith(" inputs") for f in grouped)
    assert all("sources." in f.name for f in grouped)


def test_factors_by_input_are_labelled_per_knot() -> None:
    found = {f.name: f.label for f in factors(china(), "input")}
    assert found["sources.smic_n2.wafer_starts@2025-12"] == "SMIC N+2 · wafer starts at 2025-12"


def test_marginal_inputs_are_named_in_words() -> None:
    found = {item.name: item.label for item in supply_inputs(build_plan(china()))}
    assert found["smic_n2:ascend950_die die yield"] == "SMIC N+2 · Ascend 950 compute die · die yield"
    assert found["hbm2e_foreign supply"] == "Foreign HBM2E supply"
    assert found["osat_2p5d packaging capacity"] == "2.5D packaging at OSATs · packaging capacity"


def test_tornado_effects_speak_of_the_label() -> None:
    bar = Bar("sources.a.rate", ("sources.a.rate",), 1.0, 1.0, False, False, "A · rate")
    assert effect(bar).factor == "A · rate"


# ------------------------------------------------------------------ values as written


@pytest.mark.parametrize(
    ("raw", "kind", "shown"),
    [
        ({"to": ["30k", "60k"]}, WAFER_RATE, "30k to 60k (90%) → lognormal(median 42.4k, σ 0.21)"),
        (
            {"value": {"to": ["30k", "60k"]}, "source": "s"},
            WAFER_RATE,
            "30k to 60k (90%) → lognormal(median 42.4k, σ 0.21)",
        ),
        ({"uniform": ["2025-05", "2026-05"]}, MONTH, "2025-05 to 2026-05"),
        ({"pert": ["2025-01", "2025-06", "2026-01"]}, MONTH, "pert(2025-01, 2025-06, 2026-01)"),
        ({"uniform": [0.1, 0.3]}, FRACTION, "0.1 to 0.3 (uniform)"),
        ({"normal": {"mean": 5, "sd": 2, "min": 0}}, WAFER_RATE, "normal(mean 5, sd 2, min 0)"),
        ({"lognormal": {"median": "40k", "sigma": 0.2}}, WAFER_RATE, "lognormal(median 40k, σ 0.2)"),
        ({"bernoulli": 0.3}, FRACTION, "bernoulli(0.3)"),
        ({"to": [-1, 1]}, SIGNED, "-1 to 1 (90%) → normal(mean 0, sd 0.608)"),
        ("2025-05", MONTH, "2025-05"),
        (
            {"2024-01": 1000, "2025-12": {"to": [1000, 4000]}},
            WAFER_RATE,
            "{2024-01: 1000, 2025-12: 1000 to 4000 (90%) → lognormal(median 2k, σ 0.42)}",
        ),
    ],
)
def test_values_are_shown_as_written(raw: object, kind: object, shown: str) -> None:
    assert parse_param(raw, kind).describe() == shown  # type: ignore[arg-type]


def test_the_register_shows_labels_beside_fields_and_months_as_months() -> None:
    table = inputs_table(china())
    assert list(table.columns[:3]) == ["field", "label", "value"]
    row = table[table["field"] == "sources.smic_n2.dies[4].die_area"].iloc[0]
    assert row["label"] == "SMIC N+2 · other domestic die · die area"
    assert not table["value"].str.contains(r"uniform\(\d{5}").any()  # no month indices
    assert "| SMIC N+2 · other domestic die · die area | `sources.smic_n2.dies[4].die_area` |" in register_markdown(
        china()
    )


# ------------------------------------------------------------------ charts


def test_long_labels_wrap_into_two_short_lines() -> None:
    long = "SMIC N+2 · Ascend 910B-class compute die · defect density at 2026-12"
    lines = wrapped(long)
    assert len(lines) == 2
    assert all(len(line) <= 30 for line in lines)
    assert lines[-1].endswith("…")
    assert wrapped("short") == ("short",)
    assert _short(long) == "\n".join(lines)


def test_repeated_category_labels_stay_apart() -> None:
    assert _unique(["a", "b", "a"]) == ("a", "b", "a (2)")


def test_bars_show_labels_and_hover_the_paths() -> None:
    name, paths = "SMIC N+2 · 12 inputs", "sources.smic_n2.dies[0].yield + sources.smic_n2.dies[1].yield"
    detail = (_detail(name, paths),)
    series = (Series("first", (name,), (0.3,), detail=detail), Series("total", (name,), (0.5,), detail=detail))
    figure = Figure("sobol", "bars", "Sobol", "index", "", series, "note")
    first = _horizontal(figure)[0]
    assert list(first.y) == ["SMIC N+2 · 12 inputs"]
    assert list(first.customdata[0]) == [
        "0.3",
        "SMIC N+2 · 12 inputs<br>sources.smic_n2.dies[0].yield<br>+ sources.smic_n2.dies[1].yield",
    ]
    assert "chart-sobol" in fragment(figure)


def test_sensitivity_frames_carry_the_label_column() -> None:
    index = SobolIndex("sources.a.rate", ("sources.a.rate",), 0.1, 0.01, 0.2, 0.01, "A · rate")
    assert index.label == "A · rate"

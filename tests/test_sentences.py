"""Generated sentences, one test per sentence form in each language, with the exact
expected sentence: the binding story (``Headline.text`` / ``report.dutch.headline_nl``),
scenario discovery (``Condition``, ``Outcome``, ``Box``, ``Verdict``, ``Discovery`` /
``report.dutch``), a tornado factor's effect (``Effect`` / ``report.dutch.effect_nl``) and the
report's own lines (``report.findings``)."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any, cast

import pandas as pd
import pytest

from stackbound.analysis.bottlenecks import Headline, Runout, Segment
from stackbound.analysis.discover import Box, Condition, Discovery, Outcome, Verdict
from stackbound.analysis.features import Feature
from stackbound.analysis.sensitivity.tornado import Bar, Effect, effect
from stackbound.report import dutch
from stackbound.report.findings import discovery_lines, question, register_line, runout_lines, validation_line
from stackbound.report.gather import ReportData
from stackbound.scenario.months import parse_month
from stackbound.scenario.units import COUNT_RATE, FRACTION, SIGNED
from stackbound.scenario.values import MONTH


def month(label: str) -> int:
    return parse_month(label)


def report_data(**fields: Any) -> ReportData:
    """Only the fields a sentence reads."""
    return cast(ReportData, SimpleNamespace(**fields))


# ------------------------------------------------------------------ the binding story

PACKAGING = Segment("packaging", month("2025-01"), month("2025-06"), 0.93, 0.0)
HBM = Segment("hbm2e", month("2025-07"), month("2026-12"), 0.5, 0.0)
INACTIVE = Segment("inactive", month("2025-01"), month("2025-02"), 1.0, 0.0)
LOGIC = Segment("logic", month("2025-03"), month("2025-08"), 1.0, 0.0)
STARVED = Segment("hbm", month("2025-09"), month("2026-12"), 0.05, 0.6)


@pytest.mark.parametrize(
    ("segments", "english", "dutch_text"),
    [
        pytest.param(
            (PACKAGING,),
            "v/a: packaging (P≥0.9) throughout",
            "v/a: packaging (P≥0,9) de hele periode",
            id="one-segment",
        ),
        pytest.param(
            (PACKAGING, HBM),
            "v/a: packaging (P≥0.9) until 2025-06, then hbm2e (P≥0.5) from 2025-07",
            "v/a: packaging (P≥0,9) tot 2025-06, dan hbm2e (P≥0,5) vanaf 2025-07",
            id="two-segments",
        ),
        pytest.param(
            (INACTIVE, LOGIC, STARVED),
            "v/a: inactive until 2025-02, then logic (P=1) 2025-03 to 2025-08, "
            "then hbm (P<0.1, starved by priority) from 2025-09",
            "v/a: inactief tot 2025-02, dan logic (P=1) van 2025-03 tot 2025-08, "
            "dan hbm (P<0,1, verdrongen door hogere prioriteit) vanaf 2025-09",
            id="inactive-middle-and-starved",
        ),
    ],
)
def test_headline(segments: tuple[Segment, ...], english: str, dutch_text: str) -> None:
    headline = Headline("v/a", "v", segments)
    assert headline.text == english
    assert dutch.headline_nl(headline) == dutch_text


@pytest.mark.parametrize(
    ("probability", "english", "dutch_text"),
    [(1.0, "P=1", "P=1"), (0.999, "P≥0.9", "P≥0,9"), (0.3, "P≥0.3", "P≥0,3"), (0.0999, "P<0.1", "P<0,1")],
)
def test_probability_of_a_segment(probability: float, english: str, dutch_text: str) -> None:
    headline = Headline("v/a", "v", (Segment("logic", 0, 11, probability, 0.0),))
    assert headline.text == f"v/a: logic ({english}) throughout"
    assert dutch.headline_nl(headline) == f"v/a: logic ({dutch_text}) de hele periode"


# ------------------------------------------------------------------ scenario discovery

START = Feature("m", "cxmt_hbm3 start", MONTH, "months")
RATE = Feature("s", "hbm_smuggled rate", COUNT_RATE, "stacks/month")
SHARE = Feature("f", "fab die share", FRACTION, "")
DENSITY = Feature("d", "defect density", SIGNED, "/cm^2")
PLAIN = Feature("x", "shift", SIGNED, "")
BAN = Feature("b", "lever import_ban", SIGNED, "", (0.0, 1.0))
STACKS = Feature("h", "ascend950dt/huawei_hbm hbm_huawei per unit", SIGNED, "", (4.0, 6.0, 8.0))
SEPTEMBER = float(month("2026-09"))


@pytest.mark.parametrize(
    ("condition", "english", "dutch_text"),
    [
        pytest.param(
            Condition(RATE, 1_000.0, 25_000.0),
            "hbm_smuggled rate is between 1k and 25k stacks/month",
            "hbm_smuggled rate tussen 1k en 25k stacks/month ligt",
            id="between-numbers",
        ),
        pytest.param(
            Condition(START, float(month("2026-01")), float(month("2026-06"))),
            "cxmt_hbm3 start is from 2026-01 to 2026-06",
            "cxmt_hbm3 start tussen 2026-01 en 2026-06 ligt",
            id="between-months",
        ),
        pytest.param(
            Condition(SHARE, 0.125, 0.4),
            "fab die share is between 12.5% and 40%",
            "fab die share tussen 12,5% en 40% ligt",
            id="between-fractions",
        ),
        pytest.param(
            Condition(START, SEPTEMBER + 0.2, None),
            "cxmt_hbm3 start is after 2026-08",
            "cxmt_hbm3 start na 2026-08 ligt",
            id="after-a-month",
        ),
        pytest.param(
            Condition(RATE, 1_500.0, None),
            "hbm_smuggled rate is over 1.5k stacks/month",
            "hbm_smuggled rate boven 1,5k stacks/month ligt",
            id="over-a-number",
        ),
        pytest.param(
            Condition(START, None, SEPTEMBER - 0.2),
            "cxmt_hbm3 start is before 2026-10",
            "cxmt_hbm3 start vóór 2026-10 ligt",
            id="before-a-month",
        ),
        pytest.param(
            Condition(RATE, None, 250.0),
            "hbm_smuggled rate is under 250 stacks/month",
            "hbm_smuggled rate onder 250 stacks/month ligt",
            id="under-a-number",
        ),
        pytest.param(
            Condition(DENSITY, 0.1, None),
            "defect density is over 0.1/cm^2",
            "defect density boven 0,1/cm^2 ligt",
            id="per-unit",
        ),
        pytest.param(
            Condition(PLAIN, None, -0.5),
            "shift is under -0.5",
            "shift onder -0,5 ligt",
            id="no-unit",
        ),
        pytest.param(
            Condition(BAN, None, 0.0),
            "lever import_ban is 0 (off)",
            "lever import_ban 0 (uit) is",
            id="switch-off",
        ),
        pytest.param(
            Condition(BAN, 1.0, None),
            "lever import_ban is 1 (on)",
            "lever import_ban 1 (aan) is",
            id="switch-on",
        ),
        pytest.param(
            Condition(STACKS, 8.0, None),
            "ascend950dt/huawei_hbm hbm_huawei per unit is 8",
            "ascend950dt/huawei_hbm hbm_huawei per unit 8 is",
            id="one-of-several-values",
        ),
        pytest.param(
            Condition(STACKS, None, 6.0),
            "ascend950dt/huawei_hbm hbm_huawei per unit is 4 or 6",
            "ascend950dt/huawei_hbm hbm_huawei per unit 4 of 6 is",
            id="two-of-several-values",
        ),
    ],
)
def test_condition(condition: Condition, english: str, dutch_text: str) -> None:
    assert condition.describe() == english
    assert dutch._condition(condition) == dutch_text


@pytest.mark.parametrize(
    ("outcome", "english", "dutch_text"),
    [
        pytest.param(
            Outcome("units", 2027, "below", 300_000.0),
            "2027 units fall below 300k",
            "2027 eenheden onder 300k",
            id="below",
        ),
        pytest.param(
            Outcome("units", 2027, "above", 1_200_000.0, "Huawei"),
            "2027 units of Huawei rise above 1.2M",
            "2027 eenheden van Huawei boven 1,2 mln",
            id="above-of-a-group",
        ),
        pytest.param(
            Outcome("compute_added_h100e", 2026, "below", 999_600.0),
            "2026 compute added H100e fall below 1M",
            "2026 compute added H100e onder 1 mln",
            id="h100e",
        ),
    ],
)
def test_outcome(outcome: Outcome, english: str, dutch_text: str) -> None:
    assert outcome.describe() == english
    assert dutch._outcome(outcome) == dutch_text


OUTCOME = Outcome("units", 2027, "below", 300_000.0)
ONE = Box("chosen", (Condition(START, SEPTEMBER + 0.2, None),), 0.8, 0.95, 0.1, 1e-9)
THREE = Box(
    "next",
    (Condition(START, SEPTEMBER + 0.2, None), Condition(RATE, None, 250.0), Condition(SHARE, 0.125, 0.4)),
    0.15,
    0.9,
    0.02,
    1e-6,
)
EMPTY = Box("chosen", (), 1.0, 0.12, 1.0, 0.5)
LOOSE = Box("chosen", (Condition(RATE, 1_500.0, None),), 0.65, 0.156, 0.5, 0.02)


@pytest.mark.parametrize(
    ("box", "english", "dutch_text"),
    [
        pytest.param(
            ONE,
            "2027 units fall below 300k in 95% of the runs where cxmt_hbm3 start is after 2026-08 "
            "(80% of the runs with that outcome; 10% of all runs)",
            "2027 eenheden onder 300k in 95% van de runs waarin cxmt_hbm3 start na 2026-08 ligt "
            "(80% van de runs met die uitkomst; 10% van alle runs)",
            id="one-condition",
        ),
        pytest.param(
            THREE,
            "2027 units fall below 300k in 90% of the runs where cxmt_hbm3 start is after 2026-08, "
            "hbm_smuggled rate is under 250 stacks/month and fab die share is between 12.5% and 40% "
            "(15% of the runs with that outcome; 2% of all runs)",
            "2027 eenheden onder 300k in 90% van de runs waarin cxmt_hbm3 start na 2026-08 ligt, "
            "hbm_smuggled rate onder 250 stacks/month ligt en fab die share tussen 12,5% en 40% ligt "
            "(15% van de runs met die uitkomst; 2% van alle runs)",
            id="three-conditions",
        ),
        pytest.param(
            EMPTY,
            "2027 units fall below 300k in 12% of all runs; no range of inputs makes it much likelier",
            "2027 eenheden onder 300k in 12% van alle runs; geen invoerbereik maakt het veel waarschijnlijker",
            id="no-condition",
        ),
    ],
)
def test_box(box: Box, english: str, dutch_text: str) -> None:
    assert box.describe(OUTCOME) == english
    assert dutch._box(box, OUTCOME) == dutch_text


def discovery(cases: int, boxes: tuple[Box, ...]) -> Discovery:
    return Discovery("china", 1, 2_000, OUTCOME, "curves", cases, 0.12, "rule", boxes)


@pytest.mark.parametrize(
    ("verdict", "english", "dutch_text"),
    [
        pytest.param(
            Verdict("strong", 7.9, 0.95, 0.8, 1e-9, 0.12, 240, 2_000),
            "a strong finding: 7.9× as likely as overall (quasi-p-value <0.001)",
            "een sterke bevinding: 7,9× zo waarschijnlijk als gemiddeld (quasi-p-waarde <0,001)",
            id="strong",
        ),
        pytest.param(
            Verdict("weak", 1.7, 0.09, 0.42, 0.0031, 0.05, 102, 2_000),
            "a weak finding: 1.7× as likely as overall (quasi-p-value 0.003), but a strong one needs "
            "density of at least 50% and coverage of at least 30%",
            "een zwakke bevinding: 1,7× zo waarschijnlijk als gemiddeld (quasi-p-waarde 0,003), maar een sterke "
            "vraagt een dichtheid van minstens 50% en een dekking van minstens 30%",
            id="weak",
        ),
        pytest.param(
            Verdict("none", 1.3, 0.156, 0.65, 0.02, 0.12, 1_240, 10_000),
            "No box worth reporting: no range of inputs makes 2027 units fall below 300k much more likely than its "
            "base rate of 12% (1,240 of 10,000 runs; chosen box: 1.3× as likely, density 16%, coverage 65%, "
            "quasi-p-value 0.020)",
            "Geen box het vermelden waard: geen invoerbereik maakt 2027 eenheden onder 300k veel waarschijnlijker "
            "dan gemiddeld, 12% van de runs (1.240 van 10.000; gekozen box: 1,3× zo waarschijnlijk, dichtheid 16%, "
            "dekking 65%, quasi-p-waarde 0,020)",
            id="none",
        ),
    ],
)
def test_verdict(verdict: Verdict, english: str, dutch_text: str) -> None:
    assert verdict.describe(OUTCOME) == english
    assert dutch.verdict_nl(verdict, OUTCOME) == dutch_text


@pytest.mark.parametrize(
    ("box", "strength"),
    [
        pytest.param(ONE, "strong", id="strong"),
        pytest.param(Box("chosen", ONE.conditions, 0.8, 0.95, 0.1, 0.06), "none", id="not-significant"),
        pytest.param(Box("chosen", ONE.conditions, 0.29, 0.95, 0.1, 1e-9), "weak", id="coverage-short"),
        pytest.param(Box("chosen", ONE.conditions, 0.8, 0.49, 0.1, 1e-9), "weak", id="density-short"),
        pytest.param(Box("chosen", ONE.conditions, 0.8, 0.179, 0.1, 1e-9), "none", id="lift-short"),
        pytest.param(Box("chosen", ONE.conditions, 0.3, 0.5, 0.1, 0.05), "strong", id="every-threshold-met"),
        pytest.param(EMPTY, "none", id="no-bound"),
    ],
)
def test_verdict_rule(box: Box, strength: str) -> None:
    """Lift ≥ 1.5 (0.18 ÷ 0.12), density ≥ 50%, coverage ≥ 30%, quasi-p-value ≤ 0.05."""
    assert box.strength(0.12) == strength


def test_discovery_with_boxes() -> None:
    found = discovery(240, (ONE, THREE))
    chosen_en = ONE.describe(OUTCOME)
    chosen_nl = dutch._box(ONE, OUTCOME)
    verdict = "a strong finding: 7.9× as likely as overall (quasi-p-value <0.001)"
    assert found.summary() == f"{chosen_en}; overall 12% of runs — {verdict}"
    assert discovery_lines(report_data(discovery=found), "en") == [
        f"{chosen_en}; overall 12% of runs — {verdict}",
        f"next: {THREE.describe(OUTCOME)}",
    ]
    verdict_nl = "een sterke bevinding: 7,9× zo waarschijnlijk als gemiddeld (quasi-p-waarde <0,001)"
    assert dutch.discovery_nl(found) == [
        f"{chosen_nl}; in totaal 12% van de runs — {verdict_nl}",
        f"next: {dutch._box(THREE, OUTCOME)}",
    ]
    assert discovery_lines(report_data(discovery=found), "nl") == dutch.discovery_nl(found)


def test_discovery_with_no_box_worth_reporting_does_not_state_the_box() -> None:
    found = discovery(240, (LOOSE,))
    assert found.verdict == Verdict("none", 0.156 / 0.12, 0.156, 0.65, 0.02, 0.12, 240, 2_000)
    assert found.summary() == (
        "No box worth reporting: no range of inputs makes 2027 units fall below 300k much more likely than its "
        "base rate of 12% (240 of 2,000 runs; chosen box: 1.3× as likely, density 16%, coverage 65%, "
        "quasi-p-value 0.020)"
    )
    assert dutch.discovery_nl(found) == [
        "Geen box het vermelden waard: geen invoerbereik maakt 2027 eenheden onder 300k veel waarschijnlijker "
        "dan gemiddeld, 12% van de runs (240 van 2.000; gekozen box: 1,3× zo waarschijnlijk, dichtheid 16%, "
        "dekking 65%, quasi-p-waarde 0,020)"
    ]


def test_discovery_without_a_case() -> None:
    found = discovery(0, ())
    assert discovery_lines(report_data(discovery=found), "en") == [
        "2027 units fall below 300k in none of the 2,000 runs"
    ]
    assert discovery_lines(report_data(discovery=found), "nl") == ["2027 eenheden onder 300k in geen van de 2.000 runs"]


def test_discovery_not_run() -> None:
    assert discovery_lines(report_data(discovery=None), "en") == ["Scenario discovery was not run."]
    assert discovery_lines(report_data(discovery=None), "nl") == ["Scenario-ontdekking is niet uitgevoerd."]


# ------------------------------------------------------------------ a tornado factor's effect

STILL = Bar("sources.gddr_supply.rate", ("sources.gddr_supply.rate",), 1.38e6, 1.38e6, moves=False)


@pytest.mark.parametrize(
    ("found", "english", "dutch_text"),
    [
        pytest.param(
            effect(Bar("imports.smuggled.units", ("imports.smuggled.units",), 1.2e6, 1.45e6)),
            "1.2M at P10, 1.45M at P90 (swing 250k)",
            "1,2 mln bij P10, 1,45 mln bij P90 (uitslag 250k)",
            id="swing",
        ),
        pytest.param(
            effect(STILL, 0.296),
            "no one-at-a-time effect; its total Sobol index of 0.30 means it acts through interactions with "
            "other inputs",
            "geen effect als enige factor; de totale Sobol-index van 0,30 betekent dat het werkt via wisselwerking "
            "met andere invoer",
            id="interactions",
        ),
        pytest.param(
            effect(STILL, 0.001),
            "no effect: no one-at-a-time effect and a total Sobol index of only 0.001",
            "geen effect: geen effect als enige factor en een totale Sobol-index van slechts 0,001",
            id="none",
        ),
        pytest.param(
            effect(STILL),
            "no one-at-a-time effect (it may still act through interactions with other inputs; its total Sobol "
            "index would show it)",
            "geen effect als enige factor (het kan nog werken via wisselwerking met andere invoer; de totale "
            "Sobol-index zou dat tonen)",
            id="alone",
        ),
        pytest.param(
            effect(Bar("levers.ban.value", ("levers.ban.value",), 1.0, 1.0, moves=False, flat=True), 0.4),
            "no effect shown: its P10 equals its P90, so a tornado cannot show what it does",
            "geen effect zichtbaar: P10 is gelijk aan P90, dus een tornado kan niet tonen wat het doet",
            id="flat",
        ),
    ],
)
def test_tornado_effect(found: Effect, english: str, dutch_text: str) -> None:
    assert found.describe() == english
    assert dutch.effect_nl(found) == dutch_text


def test_interaction_threshold_is_inclusive() -> None:
    assert effect(STILL, 0.05).kind == "interactions"
    assert effect(STILL, 0.0499).kind == "none"


# ------------------------------------------------------------------ the report's own lines


def test_question() -> None:
    data = report_data(base=SimpleNamespace(scenario="china"))
    assert question(data, "en") == (
        "How many AI accelerators can china actually build, month by month, when logic wafers, HBM stacks, "
        "packaging, stockpiles and imports run short at different times, and which input binds?"
    )
    assert question(data, "nl") == (
        "Hoeveel AI-versnellers kan china werkelijk bouwen, maand na maand, als logische wafers, HBM-stacks, "
        "packaging, voorraden en import op verschillende momenten opraken, en welke factor beperkt?"
    )


def _runouts(*runouts: Runout) -> ReportData:
    no_sources = SimpleNamespace(scenario=SimpleNamespace(sources={}))  # names stay as given
    return report_data(monthly=SimpleNamespace(runouts=runouts), loaded=[no_sources])


def test_a_runout_names_the_stockpile_in_words() -> None:
    from stackbound.scenario.labels import named
    from stackbound.scenario.loader import load_scenario

    china = load_scenario("china")
    data = report_data(
        monthly=SimpleNamespace(runouts=(Runout("hbm2e_stockpile", 0.9, None, None, None),)), loaded=[china]
    )
    (line,) = runout_lines(data, "en")
    name = named(china.scenario, "sources", "hbm2e_stockpile")
    assert line.startswith(f"{name} runs empty")
    assert "_" not in name


def test_runout_within_the_horizon() -> None:
    data = _runouts(Runout("hbm_stock", 0.97, month("2025-11"), month("2026-03"), month("2026-09")))
    assert runout_lines(data, "en") == [
        "hbm_stock runs empty within the horizon with probability 97%: P50 2026-03 (P5 2025-11, P95 2026-09)."
    ]
    assert runout_lines(data, "nl") == [
        "hbm_stock raakt binnen de periode leeg met kans 97%: P50 2026-03 (P5 2025-11, P95 2026-09)."
    ]


def test_runout_that_may_never_come() -> None:
    data = _runouts(Runout("die_bank", 0.3, month("2027-01"), None, None))
    assert runout_lines(data, "en") == [
        "die_bank runs empty within the horizon with probability 30%: P50 never (P5 2027-01, P95 never)."
    ]
    assert runout_lines(data, "nl") == [
        "die_bank raakt binnen de periode leeg met kans 30%: P50 nooit (P5 2027-01, P95 nooit)."
    ]


def test_runout_names_are_not_translated() -> None:
    data = _runouts(Runout("never_used", 0.3, month("2027-01"), None, None))
    assert runout_lines(data, "nl") == [
        "never_used raakt binnen de periode leeg met kans 30%: P50 nooit (P5 2027-01, P95 nooit)."
    ]


def test_validation_line() -> None:
    cases = [SimpleNamespace(inside=inside) for inside in (True, False, True)]
    data = report_data(validation=cases)
    assert validation_line(data, "en") == "2 of 3 published estimates overlap the model's P5–P95 range."
    assert (
        validation_line(data, "nl") == "2 van 3 gepubliceerde schattingen overlappen het P5–P95-bereik van het model."
    )


def test_register_line() -> None:
    inputs = pd.DataFrame(
        {"grade": ["A", "B", "B", "C", "", ""], "assumption": ["", "", "", "", "why", "because"]},
    )
    data = report_data(inputs=inputs)
    assert register_line(data, "en") == "6 values: 1 grade A, 2 grade B, 1 grade C, 2 assumptions."
    assert register_line(data, "nl") == "6 waarden: 1 graad A, 2 graad B, 1 graad C, 2 aannames."

"""Dutch wording of the analyses' generated sentences: the binding story of each variant,
the scenario-discovery boxes with their verdict, and a tornado factor's effect. Names of
inputs, products and constraints stay as the scenario writes them; the English wording is
the analyses' own ``describe``/``text``."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from stackbound.analysis.bottlenecks import INACTIVE, MOSTLY, Headline, Segment
from stackbound.report.i18n import number
from stackbound.scenario.months import format_month
from stackbound.scenario.units import FRACTION
from stackbound.scenario.values import MONTH

if TYPE_CHECKING:  # discovery and the tornado (the engine, SciPy, SALib) load only where they are used
    from stackbound.analysis.discover import Box, Condition, Discovery, Outcome, Verdict
    from stackbound.analysis.sensitivity.tornado import Effect

__all__ = ["discovery_nl", "effect_nl", "headline_nl", "verdict_nl"]


def _chance(p: float) -> str:
    """0.93 -> 'P≥0,9'; 1 -> 'P=1' (as the English headline rounds it)."""
    if p >= 1.0 - 1e-12:
        return "P=1"
    tenths = math.floor(p * 10 + 1e-9) / 10
    return f"P≥{tenths:.1f}".replace(".", ",") if tenths > 0 else "P<0,1"


def _segment(segment: Segment) -> str:
    if segment.label == INACTIVE:
        return "inactief"
    starved = ", verdrongen door hogere prioriteit" if segment.starved >= MOSTLY else ""
    return f"{segment.label} ({_chance(segment.probability)}{starved})"


def headline_nl(headline: Headline) -> str:
    """'ascend910c/hbm2e: packaging (P≥0,9) tot 2025-06, dan hbm2e (P≥0,5) vanaf 2025-07'."""
    segments = headline.segments
    if len(segments) == 1:
        return f"{headline.variant}: {_segment(segments[0])} de hele periode"
    parts = []
    for i, s in enumerate(segments):
        if i == 0:
            parts.append(f"{_segment(s)} tot {format_month(s.last)}")
        elif i == len(segments) - 1:
            parts.append(f"dan {_segment(s)} vanaf {format_month(s.first)}")
        else:
            parts.append(f"dan {_segment(s)} van {format_month(s.first)} tot {format_month(s.last)}")
    return f"{headline.variant}: " + ", ".join(parts)


def _number(value: float) -> str:
    return number(value, "nl")


def _value(condition: Condition, value: float, unit: bool = True) -> str:
    """A bound as the Dutch text writes it; ``unit=False`` for the lower end of a range, whose
    unit the upper end carries (as the English ``Condition.describe`` does)."""
    feature = condition.feature
    if feature.kind is MONTH:
        return format_month(round(value))
    if feature.kind is FRACTION:
        return f"{100 * value:.3g}%".replace(".", ",")
    shown = feature.unit if unit else ""
    return _number(value) + ("" if not shown else shown if shown.startswith("/") else f" {shown}")


def _condition(c: Condition) -> str:
    month = c.feature.kind is MONTH
    if admitted := c.admitted():
        words = [f"{v:g} ({'aan' if v else 'uit'})" if c.feature.switch else _value(c, v) for v in admitted]
        either = words[0] if len(words) == 1 else ", ".join(words[:-1]) + " of " + words[-1]
        return f"{c.feature.label} {either} is"
    if c.low is not None and c.high is not None:
        return f"{c.feature.label} tussen {_value(c, c.low, unit=False)} en {_value(c, c.high)} ligt"
    if c.low is not None:
        after = f"na {format_month(round(c.low) - 1)}" if month else f"boven {_value(c, c.low)}"
        return f"{c.feature.label} {after} ligt"
    assert c.high is not None  # a condition bounds at least one side
    before = f"vóór {format_month(round(c.high) + 1)}" if month else f"onder {_value(c, c.high)}"
    return f"{c.feature.label} {before} ligt"


def _outcome(outcome: Outcome) -> str:
    words = outcome.metric_words.replace("units", "eenheden")
    of = "" if outcome.group == "total" else f" van {outcome.group}"
    verb = "onder" if outcome.direction == "below" else "boven"
    return f"{outcome.year} {words}{of} {verb} {_number(outcome.threshold)}"


def _box(box: Box, outcome: Outcome) -> str:
    if not box.conditions:
        return (
            f"{_outcome(outcome)} in {box.density:.0%} van alle runs; geen invoerbereik maakt het veel waarschijnlijker"
        )
    parts = [_condition(c) for c in box.conditions]
    where = parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " en " + parts[-1]
    return (
        f"{_outcome(outcome)} in {box.density:.0%} van de runs waarin {where} "
        f"({box.coverage:.0%} van de runs met die uitkomst; {box.mass:.0%} van alle runs)"
    )


def _count(n: int) -> str:
    return f"{n:,}".replace(",", ".")


def _p_value(p: float) -> str:
    return "<0,001" if p < 0.001 else f"{p:.3f}".replace(".", ",")


def _times(lift: float) -> str:
    return f"{lift:.1f}×".replace(".", ",")


def verdict_nl(verdict: Verdict, outcome: Outcome) -> str:
    """The verdict on the chosen box, in Dutch (as :meth:`Verdict.describe` words it)."""
    p, times = _p_value(verdict.p_value), _times(verdict.lift)
    if verdict.strength == "strong":
        return f"een sterke bevinding: {times} zo waarschijnlijk als gemiddeld (quasi-p-waarde {p})"
    if verdict.strength == "weak":
        from stackbound.analysis.discover import STRONG_COVERAGE, STRONG_DENSITY  # loaded with the verdict already

        return (
            f"een zwakke bevinding: {times} zo waarschijnlijk als gemiddeld (quasi-p-waarde {p}), maar een sterke "
            f"vraagt een dichtheid van minstens {STRONG_DENSITY:.0%} en een dekking van minstens {STRONG_COVERAGE:.0%}"
        )
    return (
        f"Geen box het vermelden waard: geen invoerbereik maakt {_outcome(outcome)} veel waarschijnlijker dan "
        f"gemiddeld, {verdict.base_rate:.0%} van de runs ({_count(verdict.cases)} van {_count(verdict.samples)}; "
        f"gekozen box: {times} zo waarschijnlijk, dichtheid {verdict.density:.0%}, dekking {verdict.coverage:.0%}, "
        f"quasi-p-waarde {p})"
    )


def discovery_nl(found: Discovery) -> list[str]:
    """The discovery's summary with its verdict and the runner-up boxes, in Dutch."""
    verdict = found.verdict
    if found.cases == 0 or found.box is None or verdict is None:
        return [f"{_outcome(found.outcome)} in geen van de {_count(found.samples)} runs"]
    if verdict.strength == "none":
        head = verdict_nl(verdict, found.outcome)
    else:
        head = (
            f"{_box(found.box, found.outcome)}; in totaal {found.base_rate:.0%} van de runs — "
            f"{verdict_nl(verdict, found.outcome)}"
        )
    return [head, *(f"{b.role}: {_box(b, found.outcome)}" for b in found.boxes[1:])]


def effect_nl(effect: Effect) -> str:
    """A tornado factor's effect in Dutch (as :meth:`Effect.describe` words it)."""
    if effect.kind == "swing":
        swing = _number(abs(effect.high - effect.low))
        return f"{_number(effect.low)} bij P10, {_number(effect.high)} bij P90 (uitslag {swing})"
    if effect.kind == "flat":
        return "geen effect zichtbaar: P10 is gelijk aan P90, dus een tornado kan niet tonen wat het doet"
    if effect.kind == "interactions":
        total = f"{effect.total:.2f}".replace(".", ",")
        return (
            f"geen effect als enige factor; de totale Sobol-index van {total} betekent dat het werkt via "
            "wisselwerking met andere invoer"
        )
    if effect.kind == "none":
        total = f"{effect.total:.3f}".replace(".", ",")
        return f"geen effect: geen effect als enige factor en een totale Sobol-index van slechts {total}"
    return (
        "geen effect als enige factor (het kan nog werken via wisselwerking met andere invoer; "
        "de totale Sobol-index zou dat tonen)"
    )

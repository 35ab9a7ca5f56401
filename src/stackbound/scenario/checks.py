"""Cross-reference checks run once the scenario's shapes are valid.

Each check yields ``(path, message)`` pairs; the loader locates them in the file. All are
run, so a user sees every broken reference at once.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Iterator

from stackbound.scenario.schema import FabLine, Flow, MemoryLine, Scenario, Stockpile
from stackbound.scenario.values import Scalar
from stackbound.scenario.yamlio import Path

__all__ = ["check_references", "feeds"]

Finding = tuple[Path, str]


def _unknown(what: str, name: str, known: Iterable[str]) -> str:
    known = sorted(known)
    close = difflib.get_close_matches(name, known, n=1)
    hint = f"; did you mean {close[0]!r}?" if close else (f"; known: {', '.join(known)}" if known else "")
    return f"unknown {what} {name!r}{hint}"


def feeds(scenario: Scenario) -> dict[str, list[str]]:
    """For each component, the sources that supply it, in declaration order."""
    fed: dict[str, list[str]] = {name: [] for name in scenario.components}
    for name, source in scenario.sources.items():
        targets = [d.component for d in source.dies] if isinstance(source, FabLine) else [source.component]
        for component in targets:
            fed.setdefault(component, []).append(name)
    return fed


def _source_refs(scenario: Scenario) -> Iterator[Finding]:
    for name, source in scenario.sources.items():
        base: Path = ("sources", name)
        if isinstance(source, FabLine):
            seen: set[str] = set()
            for i, die in enumerate(source.dies):
                if die.component not in scenario.components:
                    yield (*base, "dies", i, "component"), _unknown("component", die.component, scenario.components)
                if die.component in seen:
                    yield (*base, "dies", i, "component"), f"component {die.component!r} appears twice on this line"
                seen.add(die.component)
        elif source.component not in scenario.components:
            yield (*base, "component"), _unknown("component", source.component, scenario.components)
        if isinstance(source, FabLine | MemoryLine | Flow):
            for j, lever in enumerate(source.levers):
                if lever not in scenario.levers:
                    yield (*base, "levers", j), _unknown("lever", lever, scenario.levers)


def _draw_orders(scenario: Scenario) -> Iterator[Finding]:
    fed = feeds(scenario)
    for name, component in scenario.components.items():
        path: Path = ("components", name)
        if not fed.get(name):
            yield path, f"component {name!r} has no source (no fab line, memory line, stockpile or flow makes it)"
        if component.draw_order is None:
            continue
        order, expected = component.draw_order, fed.get(name, [])
        if sorted(order) != sorted(expected) or len(set(order)) != len(order):
            yield (
                (*path, "draw_order"),
                (f"draw_order must list each source of {name!r} once: expected {sorted(expected)}, got {order}"),
            )


def _product_refs(scenario: Scenario) -> Iterator[Finding]:
    priorities: dict[int, Path] = {}
    for name, product in scenario.products.items():
        base: Path = ("products", name)
        if product.platform is not None and product.platform not in scenario.platforms:
            yield (*base, "platform"), _unknown("platform", product.platform, scenario.platforms)
        for vname, variant in product.variants.items():
            vpath: Path = (*base, "variants", vname)
            for component in variant.bill:
                if component not in scenario.components:
                    yield (*vpath, "bill", component), _unknown("component", component, scenario.components)
            if variant.packaging is not None and variant.packaging not in scenario.packaging:
                yield (*vpath, "packaging"), _unknown("packaging line", variant.packaging, scenario.packaging)
            if variant.slots is not None and variant.packaging is None:
                yield (*vpath, "slots"), "slots need a packaging line"
            if variant.priority in priorities:
                other = ".".join(str(p) for p in priorities[variant.priority])
                yield (*vpath, "priority"), f"priority {variant.priority} is already used by {other}"
            priorities[variant.priority] = vpath


def _other_refs(scenario: Scenario) -> Iterator[Finding]:
    for name, imp in scenario.imports.items():
        if imp.product not in scenario.products:
            yield ("imports", name, "product"), _unknown("product", imp.product, scenario.products)
    for section, entries in (("imports", scenario.imports), ("offshore_rental", scenario.offshore_rental)):
        for name, entry in entries.items():
            for j, lever in enumerate(entry.levers):
                if lever not in scenario.levers:
                    yield (section, name, "levers", j), _unknown("lever", lever, scenario.levers)
    for name, line in scenario.packaging.items():
        for j, lever in enumerate(line.levers):
            if lever not in scenario.levers:
                yield ("packaging", name, "levers", j), _unknown("lever", lever, scenario.levers)
    for key in ("installed_base", "work_in_progress"):
        for i, entry in enumerate(getattr(scenario.initial, key)):
            if entry.product not in scenario.products:
                yield ("initial", key, i, "product"), _unknown("product", entry.product, scenario.products)


def _stockpile_arrivals(scenario: Scenario) -> Iterator[Finding]:
    for name, source in scenario.sources.items():
        if isinstance(source, Stockpile):
            for month in source.arrivals:
                if not scenario.horizon.start <= month <= scenario.horizon.end:
                    yield ("sources", name, "arrivals"), "a scheduled arrival lies outside the horizon"


def _initial(scenario: Scenario) -> Iterator[Finding]:
    start, end = scenario.horizon.start, scenario.horizon.end
    for i, entry in enumerate(scenario.initial.work_in_progress):
        if not start <= entry.completes <= end:
            yield ("initial", "work_in_progress", i, "completes"), "work in progress must complete within the horizon"
    for i, base in enumerate(scenario.initial.installed_base):
        if base.installed > start:
            yield (
                ("initial", "installed_base", i, "installed"),
                "the installed base is what is in service at the start: installed must not be after the horizon start",
            )


def _shares(scenario: Scenario) -> Iterator[Finding]:
    """Fixed shares of one fab line's wafer starts cannot add up to more than all of them."""
    for name, source in scenario.sources.items():
        if isinstance(source, FabLine):
            fixed = [
                d.share.value.value
                for d in source.dies
                if d.share is not None and isinstance(d.share.value, Scalar) and not d.share.uncertain
            ]
            if sum(fixed) > 1.0 + 1e-9:
                yield (
                    ("sources", name, "dies"),
                    f"the dies' shares of wafer starts add up to {sum(fixed):.0%}, over 100%",
                )


def check_references(scenario: Scenario) -> list[Finding]:
    """Every broken cross-reference in ``scenario``."""
    checks = (_source_refs, _draw_orders, _product_refs, _other_refs, _stockpile_arrivals, _initial, _shares)
    return [finding for check in checks for finding in check(scenario)]

"""Cross-reference checks run once the scenario's shapes are valid.

Each check yields ``(path, message)`` pairs; the loader locates them in the file. All are
run, so a user sees every broken reference at once.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Iterator

import numpy as np

from stackbound.scenario.inputs import parts_of, walk_params
from stackbound.scenario.schema import (
    METRIC_SPECS,
    REST,
    SHARED,
    Allocation,
    FabLine,
    Flow,
    MemoryLine,
    Owned,
    Part,
    Scenario,
    Stockpile,
)
from stackbound.scenario.values import TAILS, LaunchCurve, Param, Scalar
from stackbound.scenario.yamlio import Path, format_path

__all__ = ["check_references", "feeds", "name_hint", "owners_of", "share_upper_bound", "unknown_name", "vendors"]

Finding = tuple[Path, str]


def name_hint(name: str, known: Iterable[str]) -> str:
    """How an error about the unknown ``name`` ends: ``; did you mean 'logic'?`` (the nearest
    ``known`` name), else ``; known: hbm3e, logic``, or nothing when none are known."""
    known = sorted(known)
    close = difflib.get_close_matches(name, known, n=1)
    return f"; did you mean {close[0]!r}?" if close else (f"; known: {', '.join(known)}" if known else "")


def unknown_name(what: str, name: str, known: Iterable[str]) -> str:
    """A reference to an undeclared ``what``: ``unknown component 'logik'; did you mean 'logic'?``."""
    return f"unknown {what} {name!r}{name_hint(name, known)}"


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
                    yield (*base, "dies", i, "component"), unknown_name("component", die.component, scenario.components)
                if die.component in seen:
                    yield (*base, "dies", i, "component"), f"component {die.component!r} appears twice on this line"
                seen.add(die.component)
        elif source.component not in scenario.components:
            yield (*base, "component"), unknown_name("component", source.component, scenario.components)
        if isinstance(source, FabLine | MemoryLine | Flow):
            for j, lever in enumerate(source.levers):
                if lever not in scenario.levers:
                    yield (*base, "levers", j), unknown_name("lever", lever, scenario.levers)


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
    priorities: dict[float, Path] = {}
    for name, product in scenario.products.items():
        base: Path = ("products", name)
        if product.platform is not None and product.platform not in scenario.platforms:
            yield (*base, "platform"), unknown_name("platform", product.platform, scenario.platforms)
        for vname, variant in product.variants.items():
            vpath: Path = (*base, "variants", vname)
            for component in variant.bill:
                if component not in scenario.components:
                    yield (*vpath, "bill", component), unknown_name("component", component, scenario.components)
            if variant.packaging is not None and variant.packaging not in scenario.packaging:
                yield (*vpath, "packaging"), unknown_name("packaging line", variant.packaging, scenario.packaging)
            if variant.slots is not None and variant.packaging is None:
                yield (*vpath, "slots"), "slots need a packaging line"
            if variant.packaging_yield is not None and variant.packaging is None:
                yield (*vpath, "yield"), "a variant's packaging yield needs its packaging line"
            priority = variant.priority.value
            if variant.priority.uncertain or not isinstance(priority, Scalar):
                continue  # varying priorities that meet are ordered as declared
            fixed = priority.value
            if fixed in priorities:
                other = ".".join(str(p) for p in priorities[fixed])
                yield (*vpath, "priority"), f"priority {fixed:g} is already used by {other}"
            priorities[fixed] = vpath


def _other_refs(scenario: Scenario) -> Iterator[Finding]:
    for name, imp in scenario.imports.items():
        if imp.product not in scenario.products:
            yield ("imports", name, "product"), unknown_name("product", imp.product, scenario.products)
    for section, entries in (("imports", scenario.imports), ("offshore_rental", scenario.offshore_rental)):
        for name, entry in entries.items():
            for j, lever in enumerate(entry.levers):
                if lever not in scenario.levers:
                    yield (section, name, "levers", j), unknown_name("lever", lever, scenario.levers)
    for name, line in scenario.packaging.items():
        for j, lever in enumerate(line.levers):
            if lever not in scenario.levers:
                yield ("packaging", name, "levers", j), unknown_name("lever", lever, scenario.levers)
    for key in ("installed_base", "work_in_progress"):
        for i, entry in enumerate(getattr(scenario.initial, key)):
            if entry.product not in scenario.products:
                yield ("initial", key, i, "product"), unknown_name("product", entry.product, scenario.products)


def _rentals(scenario: Scenario) -> Iterator[Finding]:
    """Rented units name a product whose spec on the scenario's metric converts them."""
    for name, rental in scenario.offshore_rental.items():
        if rental.product is None:
            continue
        path: Path = ("offshore_rental", name, "product")
        product = scenario.products.get(rental.product)
        if product is None:
            yield path, unknown_name("product", rental.product, scenario.products)
            continue
        specs = METRIC_SPECS[scenario.metric]
        if all(getattr(product.specs, spec) is None for spec in specs):
            yield (
                path,
                (
                    f"product {rental.product!r} has no {' or '.join(specs)} spec, so its units cannot be "
                    f"converted to H100e on the scenario's metric ({scenario.metric})"
                ),
            )


def _variant_specs(scenario: Scenario) -> Iterator[Finding]:
    """A variant's specs replace its product's field by field, so the product gives every
    field a variant gives: it is the figure of the units made without that variant (other
    variants, work in progress, the installed base, imports, rented units)."""
    for pname, product in scenario.products.items():
        given = product.specs.given()
        for vname, variant in product.variants.items():
            for field in variant.specs.given() if variant.specs is not None else []:
                if field not in given:
                    yield (
                        ("products", pname, "variants", vname, "specs", field),
                        (
                            f"a variant's {field} replaces its product's, and product {pname!r} gives none: "
                            f"give {field} in the product's specs too (the figure of its units made without "
                            f"variant {vname!r}: other variants, work in progress, installed base, imports)"
                        ),
                    )


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
                if isinstance(d.share, Param) and isinstance(d.share.value, Scalar) and not d.share.uncertain
            ]
            if sum(fixed) > 1.0 + 1e-9:
                yield (
                    ("sources", name, "dies"),
                    f"the dies' shares of wafer starts add up to {sum(fixed):.0%}, over 100%",
                )


def vendors(scenario: Scenario) -> list[str]:
    """The vendors of the scenario's products, in declaration order."""
    return list(dict.fromkeys(product.vendor for product in scenario.products.values()))


def share_upper_bound(share: Param) -> float:
    """The most a share can be: its value, or its distribution's 99.99% quantile, over every
    knot of a curve."""
    value = share.value.curve if isinstance(share.value, LaunchCurve) else share.value
    scalars = [value] if isinstance(value, Scalar) else [k for _, k in value.knots]
    return max(
        float(s.dist.ppf(np.array([TAILS[1]]))[0]) if s.uncertain and s.dist is not None else s.value for s in scalars
    )


def _split_check(shares: dict[str, Param | str], what: str) -> str | None:
    """Why shares of one whole cannot sum to exactly 1 in every sample, or None."""
    given = {name: share for name, share in shares.items() if isinstance(share, Param)}
    most = sum(share_upper_bound(share) for share in given.values())
    if len(given) < len(shares):  # one is the rest
        if most > 1.0 + 1e-9:
            return f"the {what} other than 'rest' can add up to {most:.4g} (their upper bounds), over 1"
        return None
    if any(share.uncertain or not isinstance(share.value, Scalar) for share in given.values()):
        return f"uncertain or varying {what} cannot be checked to sum to 1: write one of them as 'rest'"
    if abs(most - 1.0) > 1e-9:
        return f"the {what} add up to {most:.4g}, not 1: write one of them as 'rest'"
    return None


def owners_of(owned: Owned, default: Owned | None = None) -> dict[str, Param | str]:
    """The owner → share map of a source, a die output (``default``: its line) or a line."""
    if owned.owner is None and owned.owners is None and default is not None:
        return default.shares()
    return owned.shares()


def _owned_things(scenario: Scenario) -> Iterator[tuple[Path, Owned, dict[str, Param | str], list[str]]]:
    """(path, thing, owners, components it holds) of every source, die output and line."""
    for name, source in scenario.sources.items():
        path: Path = ("sources", name)
        if isinstance(source, FabLine):
            for i, die in enumerate(source.dies):
                yield (*path, "dies", i), die, owners_of(die, source), [die.component]
        else:
            yield path, source, owners_of(source), [source.component]
    for name, line in scenario.packaging.items():
        yield ("packaging", name), line, owners_of(line), []


def _ownership(scenario: Scenario) -> Iterator[Finding]:
    known = vendors(scenario)
    for path, thing, owners, _ in _owned_things(scenario):
        for owner in owners:
            if owner != SHARED and owner not in known:
                field = "owner" if thing.owners is None else "owners"
                yield (*path, field), unknown_name("vendor", owner, [*known, SHARED])
        problem = _split_check(owners, "owners' shares")
        if problem is not None:
            yield (*path, "owners"), problem
        if thing.allocation is not None and SHARED not in owners:
            yield (*path, "allocation"), "allocation splits a shared pool, and nothing of this one is shared"
        if thing.allocation is not None:
            yield from _weights(scenario, (*path, "allocation"), thing.allocation)
    for name, component in scenario.components.items():
        if component.allocation is not None:
            yield from _weights(scenario, ("components", name, "allocation"), component.allocation)


def _weights(scenario: Scenario, path: Path, allocation: Allocation) -> Iterator[Finding]:
    known = vendors(scenario)
    for vendor in allocation.weights or {}:
        if vendor not in known:
            yield (*path, "weights", vendor), unknown_name("vendor", vendor, known)


def _die_shares(scenario: Scenario) -> Iterator[Finding]:
    """Die shares with a 'rest' sum to exactly 1; the others' upper bounds must leave room."""
    for name, source in scenario.sources.items():
        if not isinstance(source, FabLine):
            continue
        shares = {d.component: d.share for d in source.dies if d.share is not None}
        rests = [c for c, share in shares.items() if share == REST]
        if len(rests) > 1:
            yield ("sources", name, "dies"), f"only one die's share may be 'rest', got {len(rests)}"
        elif rests:
            given = [share for share in shares.values() if isinstance(share, Param)]
            most = sum(share_upper_bound(share) for share in given)
            if most > 1.0 + 1e-9:
                yield (
                    ("sources", name, "dies"),
                    f"the dies' shares other than 'rest' can add up to {most:.4g} (their upper bounds), over 1",
                )


def _access(scenario: Scenario) -> Iterator[Finding]:
    """Every variant's vendor may draw on some source of each component in its bill and on
    its packaging line."""
    holders: dict[str, set[str]] = {}
    for _, _, owners, components in _owned_things(scenario):
        for component in components:
            holders.setdefault(component, set()).update(owners)
    for pname, product in scenario.products.items():
        for vname, variant in product.variants.items():
            vpath: Path = ("products", pname, "variants", vname)
            for component in variant.bill:
                held = holders.get(component, set())
                if held and SHARED not in held and product.vendor not in held:
                    holders_text = ", ".join(sorted(held))
                    yield (
                        (*vpath, "bill", component),
                        f"{product.vendor} owns no part of any source of {component!r} (owned by {holders_text})",
                    )
            line = scenario.packaging.get(variant.packaging or "")
            if line is not None:
                owners = owners_of(line)
                if SHARED not in owners and product.vendor not in owners:
                    yield (
                        (*vpath, "packaging"),
                        f"{product.vendor} owns no part of packaging line {variant.packaging!r} "
                        f"(owned by {', '.join(sorted(owners))})",
                    )


def _reserves(scenario: Scenario) -> Iterator[Finding]:
    for name, source in scenario.sources.items():
        if not isinstance(source, Stockpile) or source.reserve is None:
            continue
        users = {
            p
            for p, product in scenario.products.items()
            if any(source.component in v.bill for v in product.variants.values())
        }
        for j, product in enumerate(source.reserve.products):
            if product not in scenario.products:
                yield ("sources", name, "reserve", "products", j), unknown_name("product", product, scenario.products)
            elif product not in users:
                yield (
                    ("sources", name, "reserve", "products", j),
                    f"product {product!r} does not use {source.component!r}: a reserve for it would never be drawn",
                )


def _launch_curves(scenario: Scenario) -> Iterator[Finding]:
    """A curve written after a launch follows a product that exists and has a launch: the
    one named by ``relative_to``, else the product the value belongs to."""
    for path, param in walk_params(scenario):
        if not isinstance(param.value, LaunchCurve):
            continue
        named = param.value.relative_to
        if named is not None and named not in scenario.products:
            yield path, unknown_name("product", named, scenario.products) + " (relative_to)"
            continue
        product = named or (str(path[1]) if path[0] == "products" else None)
        if product is None:
            yield path, "a curve after_launch outside a product needs relative_to: the product whose launch it follows"
        elif scenario.products[product].launch is None:
            yield path, f"product {product!r} has no launch, so a curve after its launch has nothing to follow"


def _totals(scenario: Scenario) -> Iterator[Finding]:
    """Every share names a total; every total has parts of its own kind, at most one of
    them ``rest``, and the others' upper bounds cannot add up above 1."""
    parts = parts_of(scenario)
    for name, found in parts.items():
        if name not in scenario.totals:
            for path, _ in found:
                yield (*path, "share_of"), unknown_name("total", name, scenario.totals)
    for name, total in scenario.totals.items():
        yield from _total_parts(name, total.value, parts.get(name, []))


def _total_parts(name: str, total: Param, found: list[tuple[Path, Part]]) -> Iterator[Finding]:
    path: Path = ("totals", name)
    if not found:
        yield (
            path,
            f"no value is a share of total {name!r}: write a source's arrivals as {{share_of: {name}, share: …}}",
        )
        return
    first = format_path(found[0][0])
    for where, part in found:
        if part.kind != total.kind:
            yield (
                where,
                f"this field is {part.kind.describe()}, but total {name!r} is {total.kind.describe()} "
                f"(as {first} uses it): the parts of one total count the same thing",
            )
    rests = [format_path(where) for where, part in found if part.share == REST]
    if len(rests) > 1:
        yield path, f"only one share of total {name!r} may be 'rest', got {len(rests)}: {', '.join(rests)}"
    given = [part.share for _, part in found if isinstance(part.share, Param)]
    most = sum(share_upper_bound(share) for share in given)
    if most > 1.0 + 1e-9:
        yield path, f"the shares of total {name!r} can add up to {most:.4g} (their upper bounds), over 1"


def check_references(scenario: Scenario) -> list[Finding]:
    """Every broken cross-reference in ``scenario``."""
    checks = (
        _source_refs,
        _draw_orders,
        _product_refs,
        _other_refs,
        _stockpile_arrivals,
        _initial,
        _shares,
        _die_shares,
        _ownership,
        _access,
        _reserves,
        _rentals,
        _variant_specs,
        _launch_curves,
        _totals,
    )
    return [finding for check in checks for finding in check(scenario)]

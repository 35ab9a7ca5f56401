"""The static structure of a scenario, in the engine's index order.

A :class:`Plan` is built once per run from a loaded scenario: components, the inventory
pools (one per source and component) and the order they are drawn in, variants sorted by
priority, products, packaging lines, and the names of binding constraints.

Binding-constraint codes, in tie-break precedence after ``inactive``: each component in
declaration order, then packaging capacity, then the product's demand cap, then market
demand. When two limits are equal the first in this order is named.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from stackbound.scenario.checks import feeds
from stackbound.scenario.loader import LoadedScenario
from stackbound.scenario.schema import FabLine, Stockpile

__all__ = ["Plan", "PlanArrays", "PoolSpec", "VariantSpec", "build_plan"]


@dataclass(frozen=True)
class PoolSpec:
    """One inventory: what one source holds of one component."""

    name: str
    source: str
    component: int
    stockpile: bool
    die_index: int | None = None


@dataclass(frozen=True)
class VariantSpec:
    """One bill of materials of one product, at its priority."""

    name: str
    product: int
    key: str
    priority: int
    components: tuple[int, ...]
    packaging: int | None


@dataclass(frozen=True)
class PlanArrays:
    """The structure as the flat integer arrays the compiled kernels take (lists padded
    with −1), built once per plan."""

    pool_component: NDArray[np.int64]  # (pools,)
    draw_order: NDArray[np.int64]  # (components, most pools of one component)
    bill_components: NDArray[np.int64]  # (variants, most components of one bill)
    variant_product: NDArray[np.int64]  # (variants,)
    variant_line: NDArray[np.int64]  # (variants,) packaging line, −1 for none
    variant_domestic: NDArray[np.bool_]  # (variants,)


@dataclass(frozen=True)
class Plan:
    loaded: LoadedScenario
    months: NDArray[np.int64]
    components: tuple[str, ...]
    component_kinds: tuple[str, ...]
    pools: tuple[PoolSpec, ...]
    draw_order: tuple[tuple[int, ...], ...]
    products: tuple[str, ...]
    variants: tuple[VariantSpec, ...]
    packaging: tuple[str, ...]
    arrays: PlanArrays

    @property
    def constraint_names(self) -> tuple[str, ...]:
        return ("inactive", *self.components, "packaging", "demand cap", "market demand")

    @property
    def code_packaging(self) -> int:
        return len(self.components) + 1

    @property
    def code_demand(self) -> int:
        return len(self.components) + 2

    @property
    def code_market(self) -> int:
        return len(self.components) + 3

    @property
    def lines(self) -> tuple[int, ...]:
        """Pools filled by production (fab and memory lines), not by stock or flows."""
        sources = self.loaded.scenario.sources
        return tuple(i for i, p in enumerate(self.pools) if sources[p.source].kind in ("fab_line", "memory_line"))

    @property
    def stockpiles(self) -> tuple[int, ...]:
        return tuple(i for i, p in enumerate(self.pools) if p.stockpile)


def _pools(loaded: LoadedScenario, components: list[str]) -> list[PoolSpec]:
    pools = []
    for name, source in loaded.scenario.sources.items():
        if isinstance(source, FabLine):
            for i, die in enumerate(source.dies):
                label = name if len(source.dies) == 1 else f"{name}:{die.component}"
                pools.append(PoolSpec(label, name, components.index(die.component), False, i))
        else:
            pools.append(PoolSpec(name, name, components.index(source.component), isinstance(source, Stockpile)))
    return pools


def _draw_order(loaded: LoadedScenario, components: list[str], pools: list[PoolSpec]) -> list[tuple[int, ...]]:
    fed = feeds(loaded.scenario)
    orders = []
    for c, name in enumerate(components):
        declared = loaded.scenario.components[name].draw_order
        if declared is None:
            fresh = [s for s in fed[name] if not isinstance(loaded.scenario.sources[s], Stockpile)]
            declared = fresh + [s for s in fed[name] if s not in fresh]
        orders.append(
            tuple(next(i for i, p in enumerate(pools) if p.source == s and p.component == c) for s in declared)
        )
    return orders


def _padded(rows: list[tuple[int, ...]]) -> NDArray[np.int64]:
    width = max((len(r) for r in rows), default=0)
    table = np.full((len(rows), max(width, 1)), -1, dtype=np.int64)
    for i, row in enumerate(rows):
        table[i, : len(row)] = row
    return table


def _arrays(
    loaded: LoadedScenario,
    products: list[str],
    pools: list[PoolSpec],
    order: list[tuple[int, ...]],
    variants: list[VariantSpec],
) -> PlanArrays:
    specs = loaded.scenario.products
    return PlanArrays(
        pool_component=np.array([p.component for p in pools], dtype=np.int64),
        draw_order=_padded(order),
        bill_components=_padded([v.components for v in variants]),
        variant_product=np.array([v.product for v in variants], dtype=np.int64),
        variant_line=np.array([-1 if v.packaging is None else v.packaging for v in variants], dtype=np.int64),
        variant_domestic=np.array([specs[products[v.product]].origin == "domestic" for v in variants], dtype=bool),
    )


def build_plan(loaded: LoadedScenario) -> Plan:
    scenario = loaded.scenario
    components = list(scenario.components)
    pools = _pools(loaded, components)
    products = list(scenario.products)
    packaging = list(scenario.packaging)
    variants = []
    for p, (pname, product) in enumerate(scenario.products.items()):
        for key, variant in product.variants.items():
            used = tuple(sorted(components.index(c) for c in variant.bill))
            line = packaging.index(variant.packaging) if variant.packaging is not None else None
            variants.append(VariantSpec(f"{pname}/{key}", p, key, variant.priority, used, line))
    variants.sort(key=lambda v: v.priority)
    horizon = scenario.horizon
    order = _draw_order(loaded, components, pools)
    return Plan(
        loaded=loaded,
        months=np.arange(horizon.start, horizon.end + 1, dtype=np.int64),
        components=tuple(components),
        component_kinds=tuple(c.kind for c in scenario.components.values()),
        pools=tuple(pools),
        draw_order=tuple(order),
        products=tuple(products),
        variants=tuple(variants),
        packaging=tuple(packaging),
        arrays=_arrays(loaded, products, pools, order, variants),
    )

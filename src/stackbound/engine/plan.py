"""The static structure of a scenario, in the engine's index order.

A :class:`Plan` is built once per run from a loaded scenario: components, the inventory
pools (one per source and component) and the order they are drawn in, variants sorted by
priority, products, packaging lines, and the names of binding constraints.

Ownership splits a pool or a packaging line into **accounts**, one per owner (a vendor, or
the shared part anyone may draw on); each month an account is offered in **slices**: one,
or a reserved and a free slice (a stockpile's reserve), or one per claimant vendor (a pool
split proportionally). A variant's **uses** are its bill's components and its packaging
line; each use lists the slices the variant may draw on, in draw order: the component's
sources in ``draw_order``, within a source the vendor's own account before the shared one,
within a reserve the reserved slice (for the named products) before the free one.

Binding-constraint codes, in tie-break precedence after ``inactive``: each component in
declaration order, then packaging capacity, then the product's demand cap, then market
demand. When two limits are equal the first in this order is named.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
from numpy.typing import NDArray

from stackbound.scenario.checks import feeds, owners_of, vendors
from stackbound.scenario.inputs import parts_of
from stackbound.scenario.loader import LoadedScenario
from stackbound.scenario.schema import NEED, SHARED, Allocation, FabLine, Part, Scenario, Stockpile
from stackbound.scenario.values import Param
from stackbound.scenario.yamlio import Path

__all__ = ["AccountSpec", "Plan", "PlanArrays", "PoolSpec", "SliceSpec", "VariantSpec", "build_plan", "origin_groups"]

PLAIN, RESERVED, FREE, CLAIM = 0, 1, 2, 3
"""Slice kinds: the whole account; a reserve's reserved and free parts; one claimant's part
of a proportional account."""


@dataclass(frozen=True)
class PoolSpec:
    """One inventory: what one source holds of one component."""

    name: str
    source: str
    component: int
    stockpile: bool
    die_index: int | None = None


@dataclass(frozen=True)
class AccountSpec:
    """What one owner (``None``: the shared part) holds of a pool, or of a packaging line's
    capacity (``line``); ``share`` is its part of the whole (``None``: what the other shares
    leave); ``policy`` says how a shared account is split among claimant vendors."""

    name: str
    pool: int  # a pool index, or a packaging line index when ``line``
    line: bool
    component: int  # −1 for a packaging line
    owner: str | None
    share: Param | None
    share_path: Path
    policy: str  # "priority", "proportional" or "reserve"
    claimants: tuple[int, ...] = ()  # vendor indices, for "proportional"
    weights: tuple[Param | None, ...] = ()  # per claimant; None: its need
    weight_paths: tuple[Path, ...] = ()
    reserve_products: tuple[int, ...] = ()


@dataclass(frozen=True)
class SliceSpec:
    """One part of an account offered in a month."""

    account: int
    kind: int  # PLAIN, RESERVED, FREE or CLAIM
    vendor: int = -1  # the claimant of a CLAIM slice


@dataclass(frozen=True)
class VariantSpec:
    """One bill of materials of one product, at its priority (a representative value: the
    median at the first knot, for ordering tables; the engine orders by month)."""

    name: str
    product: int
    key: str
    priority: float
    components: tuple[int, ...]
    packaging: int | None
    vendor: int = 0


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
    account_pool: NDArray[np.int64]  # (accounts,) pool, or packaging line for line accounts
    account_line: NDArray[np.bool_]  # (accounts,)
    account_component: NDArray[np.int64]  # (accounts,) −1 for line accounts
    account_policy: NDArray[np.int64]  # (accounts,) 0 priority, 1 reserve, 2 proportional
    account_slices: NDArray[np.int64]  # (accounts, most slices of one account) padded −1
    slice_account: NDArray[np.int64]  # (slices,)
    slice_kind: NDArray[np.int64]  # (slices,)
    slice_vendor: NDArray[np.int64]  # (slices,) −1 unless a claimant's slice
    use_slices: NDArray[np.int64]  # (variants, uses, most slices of one use) padded −1
    use_code: NDArray[np.int64]  # (variants, uses) binding code, −1 past the last use
    use_component: NDArray[np.int64]  # (variants, uses) component, −1 for packaging or none
    use_origin: NDArray[np.int64]  # (variants, most slices of one use): origin of each die slice
    die_use: NDArray[np.int64]  # (variants,) the use of the variant's first logic die, −1 for none
    variant_vendor: NDArray[np.int64]  # (variants,)


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
    vendors: tuple[str, ...] = ()
    accounts: tuple[AccountSpec, ...] = ()
    slices: tuple[SliceSpec, ...] = ()
    origins: tuple[tuple[str, ...], ...] = ()
    """Per variant, the sources its dies can come from (its die slices' origins, in order)."""

    @cached_property
    def parts(self) -> dict[str, list[tuple[Path, Part]]]:
        """The values written as shares of each named total, with their paths (walked once
        per plan, not per chunk)."""
        return parts_of(self.loaded.scenario)

    @property
    def component_accounts(self) -> tuple[int, ...]:
        """Accounts that hold components (not packaging capacity): the first ones, packaging
        lines' accounts come after them."""
        return tuple(a for a, spec in enumerate(self.accounts) if not spec.line)

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


def _policy(scenario: Scenario, pool: PoolSpec | None, line: str | None) -> Allocation | None:
    """The allocation of a shared account: its source's (or die's, or line's), else its
    component's."""
    if line is not None:
        return scenario.packaging[line].allocation
    assert pool is not None
    source = scenario.sources[pool.source]
    own = source.dies[pool.die_index].allocation if isinstance(source, FabLine) and pool.die_index is not None else None
    chosen = own or source.allocation
    return chosen or scenario.components[list(scenario.components)[pool.component]].allocation


def _claimants(scenario: Scenario, vendor_names: list[str], component: str | None, line: str | None) -> tuple[int, ...]:
    """Vendors with a variant that draws on ``component`` (or packages on ``line``)."""
    found = []
    for product in scenario.products.values():
        for variant in product.variants.values():
            uses = component in variant.bill if component is not None else variant.packaging == line
            if uses:
                found.append(vendor_names.index(product.vendor))
    return tuple(dict.fromkeys(found))


def _account(
    scenario: Scenario,
    vendor_names: list[str],
    common: tuple[str, int, bool, int, Path],
    owner: str,
    share: Param | str,
    allocation: Allocation | None,
    reserve: tuple[int, ...],
) -> AccountSpec:
    name, index, line, component, path = common
    shared = owner == SHARED
    label = name if owner == SHARED else f"{name}@{owner}"
    share_param = share if isinstance(share, Param) else None
    share_path: Path = (*path, "owners", owner)
    if not shared or allocation is None or allocation.policy == "priority":
        policy = "reserve" if shared and reserve else "priority"
        return AccountSpec(
            label,
            index,
            line,
            component,
            None if shared else owner,
            share_param,
            share_path,
            policy,
            reserve_products=reserve,
        )
    component_name = None if line else list(scenario.components)[component]
    claimants = _claimants(scenario, vendor_names, component_name, name if line else None)
    weights = allocation.weights or {}
    chosen = [weights.get(vendor_names[j], NEED) for j in claimants]
    alloc_path: Path = (*path, "allocation", "weights")
    return AccountSpec(
        label,
        index,
        line,
        component,
        None,
        share_param,
        share_path,
        "proportional",
        claimants,
        tuple(w if isinstance(w, Param) else None for w in chosen),
        tuple((*alloc_path, vendor_names[j]) for j in claimants),
    )


def _pool_path(scenario: Scenario, pool: PoolSpec) -> Path:
    source = scenario.sources[pool.source]
    if isinstance(source, FabLine) and pool.die_index is not None:
        return ("sources", pool.source, "dies", pool.die_index)
    return ("sources", pool.source)


def _accounts(scenario: Scenario, vendor_names: list[str], pools: list[PoolSpec]) -> list[AccountSpec]:
    accounts = []
    products = list(scenario.products)
    for p, pool in enumerate(pools):
        source = scenario.sources[pool.source]
        owned = source.dies[pool.die_index] if isinstance(source, FabLine) and pool.die_index is not None else source
        owners = owners_of(owned, source if owned is not source else None)
        reserve: tuple[int, ...] = ()
        if isinstance(source, Stockpile) and source.reserve is not None:
            reserve = tuple(products.index(name) for name in source.reserve.products)
        path = _pool_path(scenario, pool)
        common = (pool.name, p, False, pool.component, path)
        for owner, share in owners.items():
            allocation = _policy(scenario, pool, None)
            accounts.append(
                _account(scenario, vendor_names, common, owner, share, allocation, reserve if owner == SHARED else ())
            )
    for i, (name, line) in enumerate(scenario.packaging.items()):
        common = (name, i, True, -1, ("packaging", name))
        for owner, share in owners_of(line).items():
            accounts.append(_account(scenario, vendor_names, common, owner, share, line.allocation, ()))
    return accounts


def _slices(accounts: list[AccountSpec]) -> list[SliceSpec]:
    slices = []
    for a, account in enumerate(accounts):
        if account.policy == "reserve":
            slices += [SliceSpec(a, RESERVED), SliceSpec(a, FREE)]
        elif account.policy == "proportional":
            slices += [SliceSpec(a, CLAIM, j) for j in account.claimants]
        else:
            slices.append(SliceSpec(a, PLAIN))
    return slices


def _may_draw(account: AccountSpec, piece: SliceSpec, vendor: int, product: int, vendor_names: list[str]) -> bool:
    if account.owner is not None and account.owner != vendor_names[vendor]:
        return False
    if piece.kind == CLAIM:
        return piece.vendor == vendor
    if piece.kind == RESERVED:
        return product in account.reserve_products
    return True


def _use_slices(
    accounts: list[AccountSpec],
    slices: list[SliceSpec],
    order: list[int],
    line: bool,
    vendor: int,
    product: int,
    vendor_names: list[str],
) -> list[int]:
    """The slices one variant may draw on for one use, in draw order: ``order`` lists the
    pools (or the one line); own accounts before shared ones; reserved before free."""
    found = []
    for index in order:
        held = [a for a, acc in enumerate(accounts) if acc.line == line and acc.pool == index]
        held.sort(key=lambda a: accounts[a].owner is None)
        for a in held:
            found += [
                s
                for s, piece in enumerate(slices)
                if piece.account == a and _may_draw(accounts[a], piece, vendor, product, vendor_names)
            ]
    return found


def _arrays(
    loaded: LoadedScenario,
    products: list[str],
    pools: list[PoolSpec],
    order: list[tuple[int, ...]],
    variants: list[VariantSpec],
    layout: tuple[list[str], list[AccountSpec], list[SliceSpec]],
    codes: tuple[int, int],
) -> tuple[PlanArrays, tuple[tuple[str, ...], ...]]:
    vendor_names, accounts, slices = layout
    specs = loaded.scenario.products
    uses: list[list[list[int]]] = []
    use_codes: list[list[int]] = []
    use_components: list[list[int]] = []
    origins: list[list[int]] = []
    origin_names: list[tuple[str, ...]] = []
    for v in variants:
        rows, row_codes, row_components = [], [], []
        die = next((c for c in v.components if loaded.scenario.components[_name(loaded, c)].kind == "logic_die"), None)
        for c in v.components:
            rows.append(_use_slices(accounts, slices, list(order[c]), False, v.vendor, v.product, vendor_names))
            row_codes.append(c + 1)
            row_components.append(c)
        if v.packaging is not None:
            rows.append(_use_slices(accounts, slices, [v.packaging], True, v.vendor, v.product, vendor_names))
            row_codes.append(codes[0])
            row_components.append(-1)
        uses.append(rows)
        use_codes.append(row_codes)
        use_components.append(row_components)
        if die is None:
            origins.append([])
            origin_names.append(())
        else:
            die_slices = rows[v.components.index(die)]
            sources = list(dict.fromkeys(pools[accounts[slices[s].account].pool].source for s in die_slices))
            origins.append([sources.index(pools[accounts[slices[s].account].pool].source) for s in die_slices])
            origin_names.append(tuple(sources))
    width = max((len(r) for r in uses), default=1)
    depth = max((len(s) for r in uses for s in r), default=1)
    use_slices = np.full((len(variants), max(width, 1), max(depth, 1)), -1, dtype=np.int64)
    use_code = np.full((len(variants), max(width, 1)), -1, dtype=np.int64)
    use_component = np.full((len(variants), max(width, 1)), -1, dtype=np.int64)
    for index, rows in enumerate(uses):
        for k, row in enumerate(rows):
            use_slices[index, k, : len(row)] = row
            use_code[index, k] = use_codes[index][k]
            use_component[index, k] = use_components[index][k]
    arrays = PlanArrays(
        pool_component=np.array([p.component for p in pools], dtype=np.int64),
        draw_order=_padded(order),
        bill_components=_padded([v.components for v in variants]),
        variant_product=np.array([v.product for v in variants], dtype=np.int64),
        variant_line=np.array([-1 if v.packaging is None else v.packaging for v in variants], dtype=np.int64),
        variant_domestic=np.array([specs[products[v.product]].origin == "domestic" for v in variants], dtype=bool),
        account_pool=np.array([a.pool for a in accounts], dtype=np.int64),
        account_line=np.array([a.line for a in accounts], dtype=bool),
        account_component=np.array([a.component for a in accounts], dtype=np.int64),
        account_policy=np.array(
            [{"priority": 0, "reserve": 1, "proportional": 2}[a.policy] for a in accounts], dtype=np.int64
        ),
        account_slices=_padded(
            [tuple(s for s, piece in enumerate(slices) if piece.account == a) for a in range(len(accounts))]
        ),
        slice_account=np.array([s.account for s in slices], dtype=np.int64),
        slice_kind=np.array([s.kind for s in slices], dtype=np.int64),
        slice_vendor=np.array([s.vendor for s in slices], dtype=np.int64),
        use_slices=use_slices,
        use_code=use_code,
        use_component=use_component,
        use_origin=_padded([tuple(o) for o in origins]),
        die_use=np.array([_die_use(loaded, v) for v in variants], dtype=np.int64),
        variant_vendor=np.array([v.vendor for v in variants], dtype=np.int64),
    )
    return arrays, tuple(origin_names)


def _die_use(loaded: LoadedScenario, variant: VariantSpec) -> int:
    kinds = [loaded.scenario.components[_name(loaded, c)].kind for c in variant.components]
    return kinds.index("logic_die") if "logic_die" in kinds else -1


def origin_groups(plan: Plan) -> list[tuple[str, str]]:
    """(product, source of its dies) pairs that units by die source are kept for."""
    pairs = [
        (plan.products[spec.product], source)
        for spec, sources in zip(plan.variants, plan.origins, strict=True)
        for source in sources
    ]
    return list(dict.fromkeys(pairs))


def _name(loaded: LoadedScenario, component: int) -> str:
    return list(loaded.scenario.components)[component]


def build_plan(loaded: LoadedScenario) -> Plan:
    scenario = loaded.scenario
    components = list(scenario.components)
    pools = _pools(loaded, components)
    products = list(scenario.products)
    packaging = list(scenario.packaging)
    vendor_names = vendors(scenario)
    variants = []
    for p, (pname, product) in enumerate(scenario.products.items()):
        for key, variant in product.variants.items():
            used = tuple(sorted(components.index(c) for c in variant.bill))
            line = packaging.index(variant.packaging) if variant.packaging is not None else None
            vendor = vendor_names.index(product.vendor)
            spec = VariantSpec(f"{pname}/{key}", p, key, variant.priority.median(), used, line, vendor)
            variants.append(spec)
    variants.sort(key=lambda v: v.priority)
    horizon = scenario.horizon
    order = _draw_order(loaded, components, pools)
    accounts = _accounts(scenario, vendor_names, pools)
    slices = _slices(accounts)
    codes = (len(components) + 1, len(components) + 2)
    arrays, origins = _arrays(loaded, products, pools, order, variants, (vendor_names, accounts, slices), codes)
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
        arrays=arrays,
        vendors=tuple(vendor_names),
        accounts=tuple(accounts),
        slices=tuple(slices),
        origins=origins,
    )

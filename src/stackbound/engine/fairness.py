"""Weighted max-min fairness across proportional pools, by progressive filling (exact mode).

The fast path splits each proportional pool on its own: a claimant's need on one pool is
computed with every other proportional pool wholly its own, so a vendor held back by one
pool keeps a part of the other that it cannot use, and that part stays in the pool (held by
policy). When some bill draws on two or more proportional pools, the exact mode splits all
of a month's proportional pools together instead, as linear programs over every sample of
the block at once (the samples' problems are independent blocks of one sparse LP):

- A vendor's **level** is the least, over the pools it claims with a positive weight, of
  what it draws on the pool ÷ its weight there (a weight given as ``need`` is the vendor's
  need on that pool: the most it could draw on it alone, the pool unlimited and every other
  proportional pool wholly its own, as on the fast path but solved as an LP).
- **Progressive filling**: every vendor's level rises together (one LP: the highest common
  level every vendor still rising can reach at once, each vendor's variants limited by
  every other limit as the month opens, seen whole, as for a need). A vendor that cannot
  rise further while the others keep that level (one LP per vendor) is frozen there; the
  others go on rising, so what a frozen vendor cannot use of one pool goes to the rest in
  the same month. Claimants of weight 0 then take what is left, in claimant order.
- Each claimant's slice is what it draws at the end (one last LP: the most drawn on the
  proportional pools with every level held). Inside its slices a vendor's variants keep
  their priority order (:mod:`stackbound.engine.exact`).

With one proportional pool per bill this is water-filling, which the opening already did,
so the slices are left as they are. A sample whose pools or needs are unbounded (an
infinite stock, a claimant that nothing else limits) keeps the opening's slices too.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy import sparse
from scipy.optimize import linprog

from stackbound.engine.plan import Plan
from stackbound.errors import SimulationError

__all__ = ["Claim", "Fairness", "Month", "coupled_pools"]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
BoolArray = NDArray[np.bool_]

PROPORTIONAL = 2
NEED_CAP = 1e9
"""A need above this many times the pool is taken as unlimited (the sample keeps the
opening's slices)."""
STUCK = 1e-9
"""A vendor whose level cannot rise by more than this (relative) is frozen."""


def coupled_pools(plan: Plan) -> bool:
    """Whether some variant draws on two or more proportional pools (then the exact mode
    splits them together)."""
    arrays = plan.arrays
    for v in range(len(plan.variants)):
        slices = arrays.use_slices[v][arrays.use_slices[v] >= 0]
        accounts = {int(arrays.slice_account[s]) for s in slices}
        if sum(arrays.account_policy[a] == PROPORTIONAL for a in accounts) >= 2:
            return True
    return False


@dataclass(frozen=True)
class Claim:
    account: int
    slice: int
    vendor: int


@dataclass(frozen=True)
class Month:
    """One month's inputs, per sample (the last axis)."""

    coef: FloatArray  # (variants, uses, n): what one attempt draws on each use
    size: FloatArray  # (slices, n) as the month opens
    drawable: FloatArray  # (accounts, n)
    cap: FloatArray  # (products, n)
    market: FloatArray | None  # (n,)
    active: BoolArray  # (variants, n)
    good: FloatArray  # (variants, n): good packages per attempt
    weight: FloatArray  # (claims, n); nan for ``need``


class _Rows:
    """Rows of a batched LP: each call adds one row per sample; column ``c`` of sample
    ``i`` is ``c * n + i``. Rows whose bound is not finite limit nothing and are dropped."""

    def __init__(self, n: int) -> None:
        self.n = n
        self.rows: list[IntArray] = []
        self.cols: list[IntArray] = []
        self.vals: list[FloatArray] = []
        self.bounds: list[FloatArray] = []

    def add(self, entries: list[tuple[int, FloatArray | float]], bound: FloatArray | float) -> None:
        n, first = self.n, len(self.bounds) * self.n
        samples = np.arange(n)
        for column, value in entries:
            self.rows.append(first + samples)
            self.cols.append(column * n + samples)
            self.vals.append(np.broadcast_to(np.asarray(value, dtype=np.float64), (n,)))
        self.bounds.append(np.broadcast_to(np.asarray(bound, dtype=np.float64), (n,)))

    def matrix(self, columns: int) -> tuple[sparse.csr_matrix | None, FloatArray | None]:
        if not self.bounds:
            return None, None
        bound = np.concatenate(self.bounds)
        keep = np.isfinite(bound)
        renumber = np.cumsum(keep) - 1
        rows, cols, vals = np.concatenate(self.rows), np.concatenate(self.cols), np.concatenate(self.vals)
        mine = keep[rows]
        shape = (int(keep.sum()), columns * self.n)
        return sparse.csr_matrix((vals[mine], (renumber[rows[mine]], cols[mine])), shape=shape), bound[keep]


class Fairness:
    """The progressive filling of one plan's proportional pools (built once per block)."""

    def __init__(self, plan: Plan) -> None:
        arrays = plan.arrays
        self.plan = plan
        self.V = len(plan.variants)
        self.vendor_of = arrays.variant_vendor
        flows: list[tuple[int, int, int]] = []
        for v in range(self.V):
            for k in range(arrays.use_code.shape[1]):
                if arrays.use_code[v, k] < 0:
                    continue
                flows += [(v, k, int(s)) for s in arrays.use_slices[v, k] if s >= 0]
        self.flows = flows
        self.uses: dict[tuple[int, int], list[int]] = {}  # (variant, use) → its flow columns
        self.into: dict[int, list[tuple[int, int]]] = {}  # slice → (flow column, vendor) drawing on it
        for f, (v, k, s) in enumerate(flows):
            self.uses.setdefault((v, k), []).append(self.V + f)
            self.into.setdefault(s, []).append((self.V + f, int(self.vendor_of[v])))
        self.claims = [
            Claim(a, int(s), int(arrays.slice_vendor[s]))
            for a in range(len(plan.accounts))
            if arrays.account_policy[a] == PROPORTIONAL
            for s in arrays.account_slices[a]
            if s >= 0
        ]
        self.proportional = sorted({c.account for c in self.claims})
        self.vendors = sorted({c.vendor for c in self.claims})
        self.level = self.V + len(flows)  # the column of the level λ
        self.width = self.level + 1

    # ---------------------------------------------------------------- the linear programs

    def _into(self, s: int, vendors: set[int] | None = None) -> Iterator[int]:
        """Flow columns into slice ``s`` (from ``vendors``' variants only, if given)."""
        for column, vendor in self.into.get(s, []):
            if vendors is None or vendor in vendors:
                yield column

    def _solve(
        self,
        month: Month,
        objective: list[int],
        vendors: set[int],
        *,
        unlimited: int = -1,
        cap: FloatArray | None = None,
        rising: FloatArray | None = None,
        lower: FloatArray | None = None,
    ) -> FloatArray:
        """Maximise the sum of the ``objective`` columns, per sample, over the attempts of
        ``vendors``' variants (each vendor seeing every non-proportional limit whole) and
        their flows; proportional account ``unlimited`` is bounded by ``cap`` instead of
        what it may give. Claim c's flows are at least ``rising[c]·λ + lower[c]``."""
        n = month.size.shape[1]
        ub, eq = _Rows(n), _Rows(n)
        for (v, k), columns in sorted(self.uses.items()):
            eq.add([*((column, 1.0) for column in columns), (v, -month.coef[v, k])], 0.0)
        arrays = self.plan.arrays
        for s in sorted(self.into):
            a = int(arrays.slice_account[s])
            if arrays.account_policy[a] == PROPORTIONAL:
                continue
            for j in vendors:  # every vendor sees the slice whole
                columns = list(self._into(s, {j}))
                if columns:
                    ub.add([(c, 1.0) for c in columns], month.size[s])
        for a in self.proportional:
            columns = [c for claim in self.claims if claim.account == a for c in self._into(claim.slice, vendors)]
            if columns:
                bound = month.drawable[a] if a != unlimited else cap
                assert bound is not None
                ub.add([(c, 1.0) for c in columns], bound)
        products = arrays.variant_product
        for p in range(month.cap.shape[0]):
            mine = [v for v in range(self.V) if products[v] == p and int(self.vendor_of[v]) in vendors]
            if mine:
                ub.add([(v, month.good[v]) for v in mine], month.cap[p])
        if month.market is not None:
            for j in vendors:
                mine = [v for v in range(self.V) if arrays.variant_domestic[v] and int(self.vendor_of[v]) == j]
                if mine:
                    ub.add([(v, month.good[v]) for v in mine], month.market)
        if rising is not None and lower is not None:
            for c, claim in enumerate(self.claims):
                if claim.vendor in vendors:
                    into = [(col, -1.0) for col in self._into(claim.slice)]
                    ub.add([*into, (self.level, rising[c])], -lower[c])
        A_ub, b_ub = ub.matrix(self.width)
        A_eq, b_eq = eq.matrix(self.width)
        cost = np.zeros((self.width, n))
        cost[objective] = -1.0
        upper = np.full((self.width, n), np.inf)
        allowed = np.array([int(self.vendor_of[v]) in vendors for v in range(self.V)])
        upper[: self.V] = np.where(month.active & allowed[:, None], np.inf, 0.0)
        climbs = rising is not None and self.level in objective
        upper[self.level] = np.where(climbs and rising is not None and (rising > 0).any(axis=0), np.inf, 0.0)
        result = linprog(
            cost.ravel(),
            A_ub=A_ub,
            b_ub=b_ub,
            A_eq=A_eq,
            b_eq=b_eq,
            bounds=np.column_stack([np.zeros(upper.size), upper.ravel()]),
            method="highs",
        )
        if result.status != 0:
            raise SimulationError(f"exact mode: the fairness linear program failed: {result.message}")
        return np.asarray(result.x, dtype=np.float64).reshape(self.width, n)

    def _drawn(self, x: FloatArray, s: int) -> FloatArray:
        return np.asarray(sum((x[c] for c in self._into(s)), np.zeros(x.shape[1])))

    # ---------------------------------------------------------------- progressive filling

    def _needs(self, month: Month) -> FloatArray:
        """Each claimant's need on each pool it claims: the most it could draw there alone."""
        needs = np.empty((len(self.claims), month.size.shape[1]))
        for c, claim in enumerate(self.claims):
            cap = NEED_CAP * np.maximum(month.drawable[claim.account], 1.0)
            x = self._solve(month, list(self._into(claim.slice)), {claim.vendor}, unlimited=claim.account, cap=cap)
            got = self._drawn(x, claim.slice)
            needs[c] = np.where(got >= cap * (1 - STUCK), np.inf, got)
        return needs

    def slices(self, month: Month) -> tuple[FloatArray, BoolArray]:
        """Each claim's slice, per sample, and which samples were split fairly (the others
        keep the opening's slices)."""
        n = month.size.shape[1]
        finite: BoolArray = np.asarray(np.isfinite(month.drawable[self.proportional]).all(axis=0))
        finite &= np.isfinite(month.coef).all(axis=(0, 1)) & np.isfinite(month.good).all(axis=0)
        sizes = month.size[[c.slice for c in self.claims]].copy()
        if not finite.any():
            return sizes, finite
        month = _only(month, finite)
        needs = self._needs(month)
        weight = np.where(np.isnan(month.weight[:, finite]), needs, month.weight[:, finite])
        fair = np.isfinite(weight).all(axis=0)
        weight = np.where(np.isfinite(weight), np.maximum(weight, 0.0), 0.0)
        weight = np.where(needs > 0.0, weight, 0.0)
        x = self._fill(month, weight, needs)
        drawn = np.stack([self._drawn(x, claim.slice) for claim in self.claims])
        where = np.flatnonzero(finite)[fair]
        sizes[:, where] = drawn[:, fair]
        done = np.zeros(n, dtype=np.bool_)
        done[where] = True
        return sizes, done

    def _fill(self, month: Month, weight: FloatArray, needs: FloatArray) -> FloatArray:
        C, n = weight.shape
        everyone = set(self.vendors)
        owner = np.array([claim.vendor for claim in self.claims])
        weighted = np.stack([(weight[owner == j] > 0).any(axis=0) for j in self.vendors])  # (J, n)
        rising, level = weighted.copy(), np.zeros((len(self.vendors), n))

        def bounds(rise: BoolArray, at: FloatArray) -> tuple[FloatArray, FloatArray]:
            per_claim = np.stack([rise[self.vendors.index(v)] for v in owner])
            held = np.stack([at[self.vendors.index(v)] for v in owner])
            return np.where(per_claim, weight, 0.0), np.where(per_claim, 0.0, held * weight)

        for _ in range(len(self.vendors)):
            if not rising.any():
                break
            rise, low = bounds(rising, level)
            lam = self._solve(month, [self.level], everyone, rising=rise, lower=low)[self.level]
            frozen = np.zeros_like(rising)
            held = np.where(rising, lam, level)
            for j in range(len(self.vendors)):
                if not rising[j].any():
                    continue
                alone = np.zeros_like(rising)
                alone[j] = rising[j]
                rise, low = bounds(alone, held)
                mu = self._solve(month, [self.level], everyone, rising=rise, lower=low)[self.level]
                frozen[j] = rising[j] & (mu <= lam * (1 + STUCK) + STUCK)
            stuck = frozen.any(axis=0)
            frozen[:, ~stuck] = rising[:, ~stuck]  # nobody stuck (round-off): all stop here
            level = np.where(frozen, lam, level)
            rising &= ~frozen
        lower = np.stack([level[self.vendors.index(v)] for v in owner]) * weight
        for c, claim in enumerate(self.claims):  # weight 0: what the others leave, in order
            if not ((weight[c] == 0.0) & (needs[c] > 0.0)).any():
                continue
            x = self._solve(month, list(self._into(claim.slice)), everyone, rising=np.zeros((C, n)), lower=lower)
            lower[c] = np.where(weight[c] == 0.0, self._drawn(x, claim.slice) * (1 - STUCK), lower[c])
        columns = [col for claim in self.claims for col in self._into(claim.slice)]
        return self._solve(month, columns, everyone, rising=np.zeros((C, n)), lower=lower * (1 - STUCK))


def _only(month: Month, keep: BoolArray) -> Month:
    return Month(
        coef=month.coef[:, :, keep],
        size=month.size[:, keep],
        drawable=month.drawable[:, keep],
        cap=month.cap[:, keep],
        market=None if month.market is None else month.market[keep],
        active=month.active[:, keep],
        good=month.good[:, keep],
        weight=month.weight[:, keep],
    )

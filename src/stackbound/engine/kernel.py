"""The compiled inner loop of one month (numba), over the samples of a block.

:func:`open_month` adds month ``t``'s arrivals to every account and works out the slices
each offers; :func:`close_month` allocates by priority, draws each variant's uses from its
slices in order and keeps the ledger of what every account made, gave and holds. Both
loop over samples inside compiled code and read and write the block's (things, months,
samples) arrays in place at month ``t``. Sample ``i`` only ever touches column ``i``, so
results do not depend on how samples are grouped.

``static`` is the plan's structure and ``block`` the block's exogenous arrays, as tuples
whose order :func:`stackbound.engine.allocate.kernel_inputs` fixes.
"""

from __future__ import annotations

import numpy as np

from stackbound.engine.compiled import njit

__all__ = [
    "SLACK",
    "TINY",
    "ZERO",
    "all_months",
    "close_month",
    "interpolate",
    "open_month",
    "priority_ranks",
    "take_lagged",
    "waterfill",
]

TINY = 1e-12
"""Floor on a divisor (a bill quantity, slots, a yield)."""
ZERO = 1e-9
"""Limits below this many attempts are rounding residue and count as zero."""
UNLIMITED = 1e15
"""A claimant's need when nothing but the pool limits it (the largest magnitude a scenario
may give): it then weighs as unbounded."""
SLACK = 1e-7
"""An exact solver's answer above the limit by less than this (relative) is trimmed to it."""


@njit(nogil=True, error_model="numpy")
def open_month(t, static, block, inventory, held, drawable, size, outputs):  # type: ignore[no-untyped-def]
    """Month ``t``'s opening, per sample: arrivals into every account (a packaging line's
    account holds its capacity afresh), what may be drawn (the account's holding, within a
    stockpile's ``max_draw`` and planned runway), and each slice's size: the whole
    drawable; a reserve's reserved and free parts; or each claimant's part of a
    proportional account, water-filled on weights and needs (:func:`_claims`)."""
    account_line, account_policy, account_slices, slice_kind = static[0], static[1], static[2], static[4]
    account_in, ration_of, rations, runway_of = block[0], block[1], block[2], block[3]
    runway_left, runway_after, reserve_of, reserve_level = block[4], block[5], block[6], block[7]
    accounts, n = inventory.shape
    for a in range(accounts):
        r_ration, r_runway, line = ration_of[a], runway_of[a], account_line[a]
        if line:  # a packaging line holds its capacity afresh
            for i in range(n):
                inventory[a, i] = account_in[a, t, i]
        else:
            for i in range(n):
                inventory[a, i] += account_in[a, t, i]
        for i in range(n):
            held[a, i] = inventory[a, i]
            drawable[a, i] = max(inventory[a, i], 0.0)
        if r_ration >= 0:
            for i in range(n):
                drawable[a, i] = max(min(inventory[a, i], rations[r_ration, t, i]), 0.0)
        if r_runway >= 0:
            for i in range(n):
                have = inventory[a, i]
                take = have if r_ration < 0 else min(have, rations[r_ration, t, i])
                if runway_left[r_runway, t, i] > 0.0:
                    take = min(take, (have + runway_after[r_runway, t, i]) / runway_left[r_runway, t, i])
                drawable[a, i] = max(take, 0.0)
        for k in range(account_slices.shape[1]):
            s = account_slices[a, k]
            if s < 0:
                break
            size[s, :] = drawable[a, :]
        if account_policy[a] == 1:  # a reserve: the reserved slice, then the free one
            first, second = account_slices[a, 0], account_slices[a, 1]
            if slice_kind[first] != 1:
                first, second = second, first
            row = reserve_of[a]
            for i in range(n):
                kept = min(max(reserve_level[row, t, i], 0.0), drawable[a, i])
                size[first, i] = kept
                size[second, i] = drawable[a, i] - kept
    if static[17]:  # some account is split proportionally
        _claims(t, static, block, drawable, size, outputs)


@njit(nogil=True, error_model="numpy")
def _claims(t, static, block, drawable, size, outputs):  # type: ignore[no-untyped-def]
    """Split every proportional account among its claimant vendors. A claimant's need is
    what its own variants would draw on the account this month were it unlimited for them
    (every other limit as the month opens, other proportional accounts wholly theirs;
    :func:`_allocate` for that vendor alone); the drawable amount is then water-filled: in
    proportion to the weights, nobody above its need, what one cannot use going to the
    others (:func:`waterfill`)."""
    account_policy, account_slices, slice_account, slice_vendor = static[1], static[2], static[3], static[5]
    weight_of, weights = block[8], block[9]
    accounts, n = drawable.shape
    slices = size.shape[0]
    width = account_slices.shape[1]
    left = np.empty((slices, n))
    needs = np.empty((width, n))
    wanted = np.empty((width, n))
    got = np.empty(n)
    out = np.empty(width)
    no_given = np.zeros((1, 1))
    for a in range(accounts):
        if account_policy[a] != 2:
            continue
        count = 0
        for k in range(width):
            s = account_slices[a, k]
            if s < 0:
                break
            vendor = slice_vendor[s]
            for q in range(slices):  # the vendor's view: its own claims whole, no one else's
                b = slice_account[q]
                for i in range(n):
                    if account_policy[b] == 2:
                        left[q, i] = drawable[b, i] if slice_vendor[q] == vendor else 0.0
                    else:
                        left[q, i] = size[q, i]
            left[s, :] = np.inf  # this account unlimited for the claimant
            got[:] = 0.0
            cap_left = block[12][:, t, :].copy()
            market_left = block[13][t, :].copy()
            _allocate(t, static, block, left, size, cap_left, market_left, no_given, False, outputs, vendor, s, got)
            row = weight_of[s]
            for i in range(n):
                need = got[i] if got[i] < UNLIMITED else UNLIMITED  # inf and nan: unbounded
                needs[k, i] = need
                wanted[k, i] = need if row < 0 else max(weights[row, t, i], 0.0)
            count += 1
        for i in range(n):
            waterfill(drawable[a, i], needs[:count, i], wanted[:count, i], out[:count])
            for k in range(count):
                size[account_slices[a, k], i] = out[k]


@njit(nogil=True, error_model="numpy")
def waterfill(total, needs, weights, out):  # type: ignore[no-untyped-def]
    """Split ``total`` in proportion to ``weights``, nobody above its need: claimants whose
    need is below their proportional part get their need, and what they leave is split
    among the rest, until no one left is satisfied. Claimants of weight 0 share what the
    others leave, in order, up to their needs. The parts never sum above ``total``."""
    m = needs.shape[0]
    out[:] = 0.0
    asked = 0.0
    for k in range(m):
        asked += needs[k]
    if asked <= total:
        out[:] = needs
        return
    remaining = total
    open_ = np.ones(m, dtype=np.bool_)
    for k in range(m):
        if weights[k] <= 0.0 or needs[k] <= 0.0:
            open_[k] = False
    for _ in range(m):
        weight = 0.0
        for k in range(m):
            if open_[k]:
                weight += weights[k]
        if weight <= 0.0 or remaining <= 0.0:
            break
        settled = False
        pot = remaining
        for k in range(m):
            if open_[k] and needs[k] <= pot * (weights[k] / weight):
                out[k] = needs[k]
                remaining -= needs[k]
                open_[k] = False
                settled = True
        if not settled:
            for k in range(m):
                if open_[k]:
                    out[k] = pot * (weights[k] / weight)
            remaining = 0.0
            break
    for k in range(m):
        if remaining <= 0.0:
            break
        if weights[k] <= 0.0 and needs[k] > 0.0:
            extra = min(needs[k], remaining)
            out[k] = extra
            remaining -= extra


@njit(nogil=True, inline="always")
def _tighter(candidate, candidate_code, candidate_drawn, best, second, code, drawn):  # type: ignore[no-untyped-def]
    """Fold one more limit into the tightest (``best``, its ``code`` and whether it was
    ``drawn`` down this month) and the next tightest (``second``); the first of equal
    limits stays tightest. Written without branches: which limit binds varies from sample
    to sample, so a branch would be mispredicted often."""
    lower = candidate < best
    second = min(second, max(candidate, best))
    best = min(best, candidate)
    code = candidate_code if lower else code
    drawn = candidate_drawn if lower else drawn
    return best, second, code, drawn


@njit(nogil=True, error_model="numpy")
def close_month(t, static, block, inventory, held, drawable, size, given, use_given, outputs):  # type: ignore[no-untyped-def]
    """Allocate month ``t`` for every sample (:func:`_allocate`); then each account's
    consumption leaves its inventory and what it holds is classified (:func:`_ledger`)."""
    left = size.copy()
    cap_left = block[12][:, t, :].copy()
    market_left = block[13][t, :].copy()
    _allocate(t, static, block, left, size, cap_left, market_left, given, use_given, outputs, -1, -1, left[0])
    _ledger(t, static, block, inventory, held, drawable, left, outputs)


@njit(nogil=True, error_model="numpy")
def _allocate(t, static, block, left, size, cap_left, market_left, given, use_given, outputs, vendor, target, got):  # type: ignore[no-untyped-def]
    """Variants in this month's priority order each start the most package attempts every
    limit allows (or, with ``use_given``, the exact solver's answer) and draw them from
    their slices ``left`` in order, writing ``outputs``. With ``vendor`` ≥ 0 only that
    vendor's variants run, nothing is written, and ``got`` adds up per sample what they
    drew from slice ``target``: a claimant's need. ``relief`` is what the variant would have
    made more (good units) had its binding limit been lifted to the next tightest one (0
    when no other limit is finite).

    One function with its arrays unpacked once and samples innermost: a call per variant
    and sample that passes arrays costs more than the work it does."""
    attempts, good, binding, starved = outputs[0], outputs[1], outputs[2], outputs[3]
    relief, drawn, used, origin = outputs[4], outputs[5], outputs[6], outputs[7]
    use_slices, use_code, use_origin, die_use = static[6], static[7], static[8], static[9]
    variant_product, variant_domestic, slice_account = static[10], static[12], static[3]
    code_demand, code_market, origin_group, variant_lag = static[14], static[15], static[20], block[17]
    months = origin.shape[1]
    coef, vyield, demand_cap, market = block[10], block[11], block[12], block[13]
    has_market, active, order = block[14], block[15], block[16]
    n = left.shape[1]
    variants = variant_product.shape[0]
    uses, depth = use_slices.shape[1], use_slices.shape[2]
    record = vendor < 0
    if record:
        drawn[:, t, :] = 0.0
        used[:, t, :] = 0.0
    best, second, room, whole = np.empty(n), np.empty(n), np.empty(n), np.empty(n)
    took = np.empty(n)
    code = np.empty(n, np.int64)
    reduced = np.empty(n, np.bool_)
    mine = np.ones(n, np.bool_)
    row = 0 if order.shape[0] == 1 else t
    uniform = _one_order(order, row)
    for rank in range(variants):
        for v in range(variants):
            if not record and static[11][v] != vendor:
                continue
            # The samples that have variant v at this rank: all of them, or none, when one
            # order holds for every sample this month; else those whose priorities put it here.
            if uniform:
                if order[row, rank, 0] != v:
                    continue
                mine[:] = True
            else:
                count = 0
                for i in range(n):
                    mine[i] = order[row, rank, i] == v
                    count += mine[i]
                if count == 0:
                    continue
            product = variant_product[v]
            if _idle(active, product, t, mine):  # nothing to start, nothing drawn
                if record:
                    _write_idle(v, t, mine, attempts, good, binding, starved, relief)
                continue
            in_market = has_market and variant_domestic[v]
            best[:] = np.inf
            second[:] = np.inf
            code[:] = 0
            reduced[:] = False
            for k in range(uses):
                c = use_code[v, k]
                if c < 0:
                    break
                if not record:  # a claimant's need: only the attempts matter
                    _tightest(left, coef, use_slices, v, k, best)
                    continue
                if depth == 1 or use_slices[v, k, 1] < 0:  # one slice: read it in place
                    s = use_slices[v, k, 0]
                    for i in range(n):
                        lowered = left[s, i] < size[s, i] * (1.0 - 1e-12)
                        candidate = left[s, i] / max(coef[v, k, i], TINY)
                        best[i], second[i], code[i], reduced[i] = _tighter(
                            candidate, c, lowered, best[i], second[i], code[i], reduced[i]
                        )
                    continue
                room[:] = 0.0
                whole[:] = 0.0
                for j in range(depth):
                    s = use_slices[v, k, j]
                    if s < 0:
                        break
                    for i in range(n):
                        room[i] += left[s, i]
                        whole[i] += size[s, i]
                for i in range(n):
                    lowered = room[i] < whole[i] * (1.0 - 1e-12)
                    candidate = room[i] / max(coef[v, k, i], TINY)
                    best[i], second[i], code[i], reduced[i] = _tighter(
                        candidate, c, lowered, best[i], second[i], code[i], reduced[i]
                    )
            for i in range(n):
                if not mine[i]:
                    continue
                floor = max(vyield[v, t, i], TINY)
                lowered = cap_left[product, i] < demand_cap[product, t, i] * (1.0 - 1e-12)
                candidate = cap_left[product, i] / floor
                best[i], second[i], code[i], reduced[i] = _tighter(
                    candidate, code_demand, lowered, best[i], second[i], code[i], reduced[i]
                )
                if in_market:
                    lowered = market_left[i] < market[t, i] * (1.0 - 1e-12)
                    candidate = market_left[i] / floor
                    best[i], second[i], code[i], reduced[i] = _tighter(
                        candidate, code_market, lowered, best[i], second[i], code[i], reduced[i]
                    )
                x = best[i] if best[i] > ZERO else 0.0
                if use_given:
                    wanted = given[v, i]
                    if x < wanted <= x * (1.0 + SLACK) + SLACK:
                        wanted = x
                    x = max(wanted, 0.0)
                on = active[product, t, i]
                x = x if on else 0.0
                per_attempt = vyield[v, t, i]
                made = x * per_attempt
                if record:
                    attempts[v, t, i] = x
                    good[v, t, i] = made
                    binding[v, t, i] = code[i] if on else 0
                    starved[v, t, i] = reduced[i] and on
                    relief[v, t, i] = (second[i] - x) * per_attempt if (on and second[i] < np.inf) else 0.0
                cap_left[product, i] -= made
                if in_market:
                    market_left[i] -= made
                best[i] = x  # now the attempts, for the draws below
                second[i] = made
            d = die_use[v]
            for k in range(uses):
                if use_code[v, k] < 0:
                    break
                for i in range(n):
                    room[i] = best[i] * coef[v, k, i] if mine[i] else 0.0  # what this use needs
                    whole[i] = room[i]
                for j in range(depth):
                    s = use_slices[v, k, j]
                    if s < 0:
                        break
                    a = slice_account[s]
                    g = origin_group[v, use_origin[v, j]] if k == d else 0
                    if not record:  # a claimant's need: what it draws on the target
                        here = s == target
                        for i in range(n):
                            taken = min(room[i], left[s, i])
                            left[s, i] -= taken
                            room[i] -= taken
                            got[i] += taken if here else 0.0
                    else:
                        for i in range(n):
                            taken = min(room[i], left[s, i])
                            left[s, i] -= taken
                            room[i] -= taken
                            drawn[a, t, i] += taken
                            used[a, t, i] += taken * vyield[v, t, i]
                            took[i] = taken
                        if k == d:  # the die's sources: good units pro rata, when out (a loop
                            # of its own: its scattered writes would keep the draws from vectorising)
                            for i in range(n):
                                out = t + variant_lag[v, i]
                                if out < months:
                                    share = took[i] / whole[i] if whole[i] > 0.0 else 0.0
                                    origin[g, out, i] += second[i] * share


@njit(nogil=True, inline="always")
def _tightest(left, coef, use_slices, v, k, best):  # type: ignore[no-untyped-def]
    """best[i] = min(best[i], what use k of variant v allows): its slices' room over the
    amount per attempt (the limit alone, without which one binds)."""
    n = best.shape[0]
    s = use_slices[v, k, 0]
    if use_slices.shape[2] == 1 or use_slices[v, k, 1] < 0:
        for i in range(n):
            best[i] = min(best[i], left[s, i] / max(coef[v, k, i], TINY))
        return
    for i in range(n):
        room = 0.0
        for j in range(use_slices.shape[2]):
            q = use_slices[v, k, j]
            if q < 0:
                break
            room += left[q, i]
        best[i] = min(best[i], room / max(coef[v, k, i], TINY))


@njit(nogil=True, inline="always")
def _idle(active, product, t, mine):  # type: ignore[no-untyped-def]
    """Whether ``product`` is inactive in month ``t`` for every sample in ``mine``."""
    for i in range(mine.shape[0]):  # noqa: SIM110 (numba compiles no generator into all())
        if mine[i] and active[product, t, i]:
            return False
    return True


@njit(nogil=True)
def _write_idle(v, t, mine, attempts, good, binding, starved, relief):  # type: ignore[no-untyped-def]
    """An inactive variant's month, for the samples in ``mine``: no attempts, no units, no
    binding limit."""
    for i in range(mine.shape[0]):
        if mine[i]:
            attempts[v, t, i] = 0.0
            good[v, t, i] = 0.0
            binding[v, t, i] = 0
            starved[v, t, i] = False
            relief[v, t, i] = 0.0


@njit(nogil=True)
def _one_order(order, row):  # type: ignore[no-untyped-def]
    """Whether every sample has the same priority order in ``order[row]`` (ranks, samples)."""
    if order.shape[2] == 1:
        return True
    for rank in range(order.shape[1]):
        first = order[row, rank, 0]
        for i in range(1, order.shape[2]):
            if order[row, rank, i] != first:
                return False
    return True


@njit(nogil=True)
def priority_ranks(priority, out):  # type: ignore[no-untyped-def]
    """out[t, r, i] = the variant at rank r in month t for sample i: variants by rising
    priority, equal priorities in variant order, NaN last (numpy's stable argsort). A
    variant's rank is how many others sort before it, counted with samples innermost; a
    month whose priorities all equal the month before's copies its order."""
    variants, months, n = priority.shape
    before = np.empty(n, np.int64)
    for t in range(months):
        if t > 0 and _same_month(priority, t):
            out[t] = out[t - 1]
            continue
        for v in range(variants):
            before[:] = 0
            for u in range(variants):
                tie = u < v
                for i in range(n):
                    a, b = priority[u, t, i], priority[v, t, i]
                    first = (a < b) | (np.isnan(b) & ~np.isnan(a)) | (tie & ((a == b) | (np.isnan(a) & np.isnan(b))))
                    before[i] += first
            for i in range(n):
                out[t, before[i], i] = v


@njit(nogil=True)
def _same_month(priority, t):  # type: ignore[no-untyped-def]
    """Whether every priority in month ``t`` equals (bit for bit, NaN included) month t − 1's."""
    for v in range(priority.shape[0]):
        for i in range(priority.shape[2]):
            a, b = priority[v, t, i], priority[v, t - 1, i]
            if a != b and not (np.isnan(a) and np.isnan(b)):
                return False
    return True


@njit(nogil=True, error_model="numpy")
def _ledger(t, static, block, inventory, held, drawable, left, outputs):  # type: ignore[no-untyped-def]
    """Take each account's consumption out of its inventory and classify what it holds at
    month end: **held by policy** (kept back by a ration or a runway, or left in a reserved
    or claimant's slice while a user of the component was bound by it; or no variant that
    may draw on the account is active while another user of the component is), **stranded**
    (an active variant that may draw on it was bound by another component or by packaging,
    none by this component), else **idle** (no active variant wants more)."""
    account_line, account_slices, slice_account, slice_kind = static[0], static[2], static[3], static[4]
    use_slices, use_code, use_component = static[6], static[7], static[13]
    variant_product, code_packaging, components, component_of = static[10], static[16], static[18], static[19]
    active = block[15]
    binding, drawn = outputs[2], outputs[5]
    closing, idle, stranded, policy = outputs[8], outputs[9], outputs[10], outputs[11]
    accounts, n = inventory.shape
    # Marks are bytes combined with bitwise operators, not booleans with ``and``/``not``:
    # numba compiles the latter to branches, the former to vector code.
    reach = np.zeros((accounts, n), dtype=np.uint8)
    here = np.zeros((accounts, n), dtype=np.uint8)
    elsewhere = np.zeros((accounts, n), dtype=np.uint8)
    wanted = np.zeros((components, n), dtype=np.uint8)
    bound = np.zeros((components, n), dtype=np.uint8)
    hit = np.empty(n, np.uint8)
    other = np.empty(n, np.uint8)
    on = np.empty(n, np.uint8)
    everyone = np.ones(n, np.bool_)
    for v in range(variant_product.shape[0]):
        product = variant_product[v]
        if _idle(active, product, t, everyone):  # marks nothing
            continue
        for i in range(n):
            on[i] = np.uint8(active[product, t, i])
        for k in range(use_slices.shape[1]):
            c = use_component[v, k]
            if use_code[v, k] < 0:
                break
            if c < 0:
                continue
            for i in range(n):  # without branches: they would follow the data
                code = binding[v, t, i]
                mark = np.uint8(code == c + 1)
                elsewhere_code = np.uint8(((code >= 1) & (code <= components)) | (code == code_packaging))
                hit[i] = on[i] & mark
                other[i] = on[i] & (mark ^ np.uint8(1)) & elsewhere_code
                wanted[c, i] |= on[i]
                bound[c, i] |= hit[i]
            for j in range(use_slices.shape[2]):
                s = use_slices[v, k, j]
                if s < 0:
                    break
                a = slice_account[s]
                for i in range(n):
                    reach[a, i] |= on[i]
                    here[a, i] |= hit[i]
                    elsewhere[a, i] |= other[i]
    restricted = np.empty(n)
    for a in range(accounts):
        if account_line[a]:
            closing[a, t, :] = 0.0
            idle[a, t, :] = 0.0
            stranded[a, t, :] = 0.0
            policy[a, t, :] = 0.0
            continue
        c = component_of[a]
        restricted[:] = 0.0
        for k in range(account_slices.shape[1]):
            s = account_slices[a, k]
            if s < 0:
                break
            if slice_kind[s] != 0:
                for i in range(n):
                    restricted[i] += left[s, i]
        for i in range(n):
            inventory[a, i] -= drawn[a, t, i]
            kept = max(inventory[a, i], 0.0)
            rationed = max(held[a, i] - drawable[a, i], 0.0)
            back = min(kept, rationed + (restricted[i] if bound[c, i] else 0.0))
            rest = kept - back
            closing[a, t, i] = inventory[a, i]
            lost_owner = wanted[c, i] & (reach[a, i] ^ np.uint8(1))
            waiting = wanted[c, i] & reach[a, i] & elsewhere[a, i] & (here[a, i] ^ np.uint8(1))
            policy[a, t, i] = back + (rest if lost_owner else 0.0)
            stranded[a, t, i] = rest if waiting else 0.0
            idle[a, t, i] = 0.0 if (lost_owner | waiting) else rest


@njit(nogil=True, error_model="numpy")
def all_months(static, block, state, outputs):  # type: ignore[no-untyped-def]
    """:func:`open_month` then greedy :func:`close_month` for every month of the horizon;
    ``state`` is (inventory, held, drawable, size)."""
    inventory, held, drawable, size = state
    no_given = np.zeros((1, 1))
    for t in range(block[0].shape[1]):
        open_month(t, static, block, inventory, held, drawable, size, outputs)
        close_month(t, static, block, inventory, held, drawable, size, no_given, False, outputs)


@njit(nogil=True)
def count_bins(bins, counts):  # type: ignore[no-untyped-def]
    """counts[s, t, bins[s, t, i]] += 1 for every series, month and sample (integers:
    exact in any order)."""
    series, months, n = bins.shape
    for s in range(series):
        for t in range(months):
            for i in range(n):
                counts[s, t, bins[s, t, i]] += 1


@njit(nogil=True)
def tally_binding(binding, relief, block_starts, counts, relief_sums):  # type: ignore[no-untyped-def]
    """Per variant, constraint code and month: how many sample-months each code bound
    (``counts``) and, per random block, the output it cost (``relief_sums``). Samples go
    round four lanes ((i − block start) mod 4) that are added pairwise at the end, an
    order fixed by the block alone, so block sums never depend on chunking; the lanes
    keep successive samples with the same code from waiting on each other."""
    variants, months, n = binding.shape
    blocks = block_starts.shape[0]
    codes = counts.shape[1]
    tally = np.zeros((4, codes), np.int64)
    lanes = np.zeros((4, codes))
    for v in range(variants):
        for b in range(blocks):
            first = block_starts[b]
            last = block_starts[b + 1] if b + 1 < blocks else n
            for t in range(months):
                tally[:, :] = 0
                lanes[:, :] = 0.0
                for i in range(first, last):
                    code = binding[v, t, i]
                    lane = (i - first) & 3
                    tally[lane, code] += 1
                    lanes[lane, code] += relief[v, t, i]
                for code in range(codes):
                    counts[v, code, t] += (tally[0, code] + tally[1, code]) + (tally[2, code] + tally[3, code])
                    relief_sums[b, v, code, t] += (lanes[0, code] + lanes[1, code]) + (lanes[2, code] + lanes[3, code])


@njit(nogil=True, error_model="numpy")
def periodic_totals(values, starts, stock, out):  # type: ignore[no-untyped-def]
    """out[i, p] = Σ values[t, i] over the months of period p (or, for a ``stock``, the
    period's last month), per sample, in month order; ``starts`` are the periods' first
    month indices."""
    months, n = values.shape
    periods = starts.shape[0]
    total = np.empty(n)
    for p in range(periods):
        first = starts[p]
        last = starts[p + 1] if p + 1 < periods else months
        if stock:
            total[:] = values[last - 1]
        else:
            total[:] = 0.0
            for t in range(first, last):
                for i in range(n):
                    total[i] += values[t, i]
        for i in range(n):
            out[i, p] = total[i]


@njit(nogil=True, error_model="numpy")
def bin_and_sum(values, words, edges, cell_bins, first_cell, cell_shift, block_starts, bins, block_sums):  # type: ignore[no-untyped-def]
    """For a (months, samples) series (and the same memory read as int64 ``words``): each
    value's histogram bin b, with ``edges[b] <= value < edges[b + 1]`` (0 below
    ``edges[1]``, NaN included; the last bin is overflow), and the sum of each random
    block's values per month (:func:`_block_sum`). A value's exponent and
    leading mantissa bits name its cell; ``cell_bins`` gives the bin of the cell's start,
    and one comparison with the next edge settles it (no logarithm, no branch)."""
    months, n = values.shape
    blocks = block_starts.shape[0]
    last_bin = edges.shape[0] - 2
    last_cell = cell_bins.shape[0] - 1
    low = edges[1]
    lanes = np.zeros(8)
    for t in range(months):
        for i in range(n):
            v = values[t, i]
            cell = min(max((words[t, i] >> cell_shift) - first_cell, 0), last_cell)
            guess = cell_bins[cell]
            b = min(guess + (v >= edges[guess + 1]), last_bin)
            bins[t, i] = b if v >= low else 0
        for b in range(blocks):
            first = block_starts[b]
            stop = block_starts[b + 1] if b + 1 < blocks else n
            block_sums[b, t] = _block_sum(values[t], first, stop, lanes)


@njit(nogil=True, inline="always")
def _block_sum(row, first, stop, lanes):  # type: ignore[no-untyped-def]
    """Σ row[first:stop] in a fixed order that depends only on the block's own values:
    eight running sums (sample i goes to lane (i − first) mod 8), then the lanes pairwise,
    then the remainder. Independent lanes keep the adder busy; one running sum would wait
    on itself at every sample."""
    lanes[:] = 0.0
    i = first
    while i + 8 <= stop:
        for k in range(8):
            lanes[k] += row[i + k]
        i += 8
    rest = 0.0
    for j in range(i, stop):
        rest += row[j]
    return ((lanes[0] + lanes[1]) + (lanes[2] + lanes[3])) + ((lanes[4] + lanes[5]) + (lanes[6] + lanes[7])) + rest


@njit(nogil=True)
def take_lagged(source, rows, lag, out):  # type: ignore[no-untyped-def]
    """out[t, i] = source[rows[t] − lag[i], i]: a (grid, samples) series read ``lag[i]``
    months late for sample i, at grid rows ``rows`` (months first on both sides). A
    source with one row (constant over time) or one column (the same for every sample)
    and a single lag stand for all."""
    months, n = out.shape
    one_row, one_column, one_lag = source.shape[0] == 1, source.shape[1] == 1, lag.shape[0] == 1
    for t in range(months):
        for i in range(n):
            row = 0 if one_row else rows[t] - lag[0 if one_lag else i]
            out[t, i] = source[row, 0 if one_column else i]


@njit(nogil=True)
def interpolate(weights, knots, out):  # type: ignore[no-untyped-def]
    """out[g, i] = Σ_k knots[k, i] · weights[k, g], summed from 0 in knot order: a curve
    on a grid of months from its knot values (one column per sample, or one for all).
    Zero weights are skipped: adding ±0 to a sum that started at +0 changes no bit, and
    an infinite knot then does not turn the months it has no weight in into NaN."""
    count, months = weights.shape
    n = knots.shape[1]
    for g in range(months):
        out[g, :] = 0.0
        for k in range(count):
            w = weights[k, g]
            if w != 0.0:
                for i in range(n):
                    out[g, i] = out[g, i] + knots[k, i] * w

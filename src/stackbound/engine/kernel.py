"""The compiled inner loop of one month (numba), over the samples of a block.

:func:`open_month` adds month ``t``'s arrivals and works out what each pool can give;
:func:`close_month` allocates by priority, draws consumption from pools in draw order and
marks stranded inventory. Both loop over samples inside compiled code and read and write
the block's (things, months, samples) arrays in place at month ``t``. Sample ``i`` only
ever touches column ``i``, so results do not depend on how samples are grouped.
"""

from __future__ import annotations

import numpy as np

from stackbound.engine.compiled import njit

__all__ = ["SLACK", "TINY", "ZERO", "all_months", "close_month", "interpolate", "open_month", "take_lagged"]

TINY = 1e-12
"""Floor on a divisor (a bill quantity, slots, a yield)."""
ZERO = 1e-9
"""Limits below this many attempts are rounding residue and count as zero."""
SLACK = 1e-7
"""An exact solver's answer above the limit by less than this (relative) is trimmed to it."""


@njit(nogil=True, error_model="numpy")
def open_month(t, inventory, arrivals, ration_of, rations, pool_component, drawable, available):  # type: ignore[no-untyped-def]
    """inventory += arrivals; drawable = min(inventory, ration); available = Σ drawable per
    component. ``ration_of[p]`` is pool p's row in ``rations`` (−1: no ration)."""
    pools, n = inventory.shape
    available[:] = 0.0
    for p in range(pools):
        c = pool_component[p]
        r = ration_of[p]
        for i in range(n):
            held = inventory[p, i] + arrivals[p, t, i]
            inventory[p, i] = held
            take = held if r < 0 else min(held, rations[r, t, i])
            drawable[p, i] = take
            available[c, i] += take


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
def close_month(t, available, drawable, inventory, exogenous, given, use_given, codes, work, outputs):  # type: ignore[no-untyped-def]
    """Allocate month ``t`` for every sample: variants in priority order each start the
    most package attempts every limit allows (or, with ``use_given``, the exact solver's
    answer), then draw consumption from pools in draw order and mark stranded stock.
    ``exogenous``, ``work`` and ``outputs`` are tuples of arrays, unpacked below (numba
    takes them as one argument each). ``bill_components[v]`` lists the components in
    variant v's bill (padded with -1); ``codes`` = (packaging, demand cap, market demand)
    binding codes; ``left``, ``line_left``, ``cap_left``, ``market_left`` are work
    arrays, written before they are read. ``relief`` is what the
    variant would have made more (good units) had its binding limit been lifted to the
    next tightest one (0 when no other limit is finite): the output that limit cost."""
    (
        draw_order,
        capacity,
        packaging_yield,
        demand_cap,
        market,
        has_market,
        active,
        bill,
        bill_components,
        slots,
        variant_product,
        variant_line,
        variant_domestic,
    ) = exogenous
    left, line_left, cap_left, market_left = work
    attempts, good, binding, starved, relief, consumed, closing, stranded = outputs
    variants, _, n = bill.shape
    code_packaging, code_demand, code_market = codes[0], codes[1], codes[2]
    left[:, :] = available
    line_left[:, :] = capacity[:, t, :]
    cap_left[:, :] = demand_cap[:, t, :]
    market_left[:] = market[t, :]
    width = bill_components.shape[1]
    for v in range(variants):
        product = variant_product[v]
        line = variant_line[v]
        domestic_market = has_market and variant_domestic[v]
        for i in range(n):
            if not active[product, t, i]:
                attempts[v, t, i] = 0.0
                relief[v, t, i] = 0.0
                good[v, t, i] = 0.0
                binding[v, t, i] = 0
                starved[v, t, i] = False
                continue
            best = np.inf
            second = np.inf
            code = 0
            reduced = False
            for k in range(width):
                c = bill_components[v, k]
                if c < 0:
                    break
                amount = max(bill[v, c, i], TINY)
                drawn = left[c, i] < available[c, i] * (1.0 - 1e-12)
                best, second, code, reduced = _tighter(left[c, i] / amount, c + 1, drawn, best, second, code, reduced)
            per_attempt = 1.0
            if line >= 0:
                per_attempt = packaging_yield[line, t, i]
                room = max(slots[v, i], TINY)
                drawn = line_left[line, i] < capacity[line, t, i] * (1.0 - 1e-12)
                candidate = line_left[line, i] / room
                best, second, code, reduced = _tighter(candidate, code_packaging, drawn, best, second, code, reduced)
            yield_floor = max(per_attempt, TINY)
            drawn = cap_left[product, i] < demand_cap[product, t, i] * (1.0 - 1e-12)
            candidate = cap_left[product, i] / yield_floor
            best, second, code, reduced = _tighter(candidate, code_demand, drawn, best, second, code, reduced)
            if domestic_market:
                drawn = market_left[i] < market[t, i] * (1.0 - 1e-12)
                candidate = market_left[i] / yield_floor
                best, second, code, reduced = _tighter(candidate, code_market, drawn, best, second, code, reduced)
            x = best if best > ZERO else 0.0
            if use_given:
                wanted = given[v, i]
                if x < wanted <= x * (1.0 + SLACK) + SLACK:
                    wanted = x
                x = max(wanted, 0.0)
            made = x * per_attempt
            attempts[v, t, i] = x
            good[v, t, i] = made
            binding[v, t, i] = code
            starved[v, t, i] = reduced
            relief[v, t, i] = (second - x) * per_attempt if second < np.inf else 0.0
            for k in range(width):
                c = bill_components[v, k]
                if c < 0:
                    break
                left[c, i] -= x * bill[v, c, i]
            if line >= 0:
                line_left[line, i] -= x * slots[v, i]
            cap_left[product, i] -= made
            if domestic_market:
                market_left[i] -= made
    _draw_and_strand(
        t,
        available,
        drawable,
        inventory,
        draw_order,
        active,
        bill_components,
        variant_product,
        code_packaging,
        left,
        binding,
        consumed,
        closing,
        stranded,
    )


@njit(nogil=True, error_model="numpy")
def _draw_and_strand(  # type: ignore[no-untyped-def]
    t,
    available,
    drawable,
    inventory,
    draw_order,
    active,
    bill_components,
    variant_product,
    code_packaging,
    left,
    binding,
    consumed,
    closing,
    stranded,
):
    """Draw each component's consumption from its pools in draw order; mark as stranded
    what is held of a component none of whose active users it bound while one was bound
    by another component or by packaging."""
    components, n = left.shape
    pools = inventory.shape[0]
    binds = np.zeros((components, n), dtype=np.bool_)
    elsewhere = np.zeros((components, n), dtype=np.bool_)
    for v in range(bill_components.shape[0]):
        product = variant_product[v]
        for k in range(bill_components.shape[1]):
            c = bill_components[v, k]
            if c < 0:
                break
            for i in range(n):  # without branches: they would follow the data
                bound = binding[v, t, i]
                on = active[product, t, i]
                here = on & (bound == c + 1)
                other = on & (bound != c + 1) & (((bound >= 1) & (bound <= components)) | (bound == code_packaging))
                binds[c, i] |= here
                elsewhere[c, i] |= other
    for c in range(components):
        for i in range(n):
            need = max(available[c, i] - left[c, i], 0.0)
            held = 0.0
            for k in range(draw_order.shape[1]):
                p = draw_order[c, k]
                if p < 0:
                    break
                taken = min(need, drawable[p, i])
                inventory[p, i] -= taken
                consumed[p, t, i] = taken
                need -= taken
                held += inventory[p, i]
            stranded[c, t, i] = held if (elsewhere[c, i] and not binds[c, i]) else 0.0
    for p in range(pools):
        for i in range(n):
            closing[p, t, i] = inventory[p, i]


@njit(nogil=True, error_model="numpy")
def all_months(opening, exogenous, codes, work, outputs):  # type: ignore[no-untyped-def]
    """:func:`open_month` then greedy :func:`close_month` for every month of the horizon;
    ``opening`` is :func:`open_month`'s arguments after ``t``."""
    inventory, arrivals, ration_of, rations, pool_component, drawable, available = opening
    no_given = np.zeros((1, 1))
    for t in range(arrivals.shape[1]):
        open_month(t, inventory, arrivals, ration_of, rations, pool_component, drawable, available)
        close_month(t, available, drawable, inventory, exogenous, no_given, False, codes, work, outputs)


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

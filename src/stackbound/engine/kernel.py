"""The compiled inner loop of one month (numba), over the samples of a block.

:func:`open_month` adds month ``t``'s arrivals and works out what each pool can give;
:func:`close_month` allocates by priority, draws consumption from pools in draw order and
marks stranded inventory. Both loop over samples inside compiled code and read and write
the block's (things, months, samples) arrays in place at month ``t``. Sample ``i`` only
ever touches column ``i``, so results do not depend on how samples are grouped.
"""

from __future__ import annotations

import numba
import numpy as np

__all__ = ["SLACK", "TINY", "ZERO", "close_month", "open_month"]

TINY = 1e-12
"""Floor on a divisor (a bill quantity, slots, a yield)."""
ZERO = 1e-9
"""Limits below this many attempts are rounding residue and count as zero."""
SLACK = 1e-7
"""An exact solver's answer above the limit by less than this (relative) is trimmed to it."""


@numba.njit(cache=True, nogil=True, error_model="numpy")
def open_month(t, inventory, arrivals, max_draw, pool_component, drawable, available):  # type: ignore[no-untyped-def]
    """inventory += arrivals; drawable = min(inventory, ration); available = Σ drawable per component."""
    pools, n = inventory.shape
    available[:] = 0.0
    for p in range(pools):
        c = pool_component[p]
        for i in range(n):
            held = inventory[p, i] + arrivals[p, t, i]
            inventory[p, i] = held
            take = min(held, max_draw[p, t, i])
            drawable[p, i] = take
            available[c, i] += take


@numba.njit(cache=True, nogil=True, error_model="numpy")
def close_month(  # type: ignore[no-untyped-def]
    t,
    available,
    drawable,
    inventory,
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
    given,
    use_given,
    codes,
    left,
    line_left,
    cap_left,
    market_left,
    attempts,
    good,
    binding,
    starved,
    relief,
    consumed,
    closing,
    stranded,
):
    """Allocate month ``t`` for every sample: variants in priority order each start the
    most package attempts every limit allows (or, with ``use_given``, the exact solver's
    answer), then draw consumption from pools in draw order and mark stranded stock.
    ``bill_components[v]`` lists the components in variant v's bill (padded with -1);
    ``codes`` = (packaging, demand cap, market demand) binding codes; ``left``,
    ``line_left``, ``cap_left``, ``market_left`` are work arrays. ``relief`` is what the
    variant would have made more (good units) had its binding limit been lifted to the
    next tightest one (0 when no other limit is finite): the output that limit cost."""
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
                candidate = left[c, i] / amount
                if candidate < best:
                    second = best
                    best = candidate
                    code = c + 1
                    reduced = left[c, i] < available[c, i] * (1.0 - 1e-12)
                elif candidate < second:
                    second = candidate
            per_attempt = 1.0
            if line >= 0:
                per_attempt = packaging_yield[line, t, i]
                room = max(slots[v, i], TINY)
                candidate = line_left[line, i] / room
                if candidate < best:
                    second = best
                    best = candidate
                    code = code_packaging
                    reduced = line_left[line, i] < capacity[line, t, i] * (1.0 - 1e-12)
                elif candidate < second:
                    second = candidate
            yield_floor = max(per_attempt, TINY)
            candidate = cap_left[product, i] / yield_floor
            if candidate < best:
                second = best
                best = candidate
                code = code_demand
                reduced = cap_left[product, i] < demand_cap[product, t, i] * (1.0 - 1e-12)
            elif candidate < second:
                second = candidate
            if domestic_market:
                candidate = market_left[i] / yield_floor
                if candidate < best:
                    second = best
                    best = candidate
                    code = code_market
                    reduced = market_left[i] < market[t, i] * (1.0 - 1e-12)
                elif candidate < second:
                    second = candidate
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


@numba.njit(cache=True, nogil=True, error_model="numpy")
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
            for i in range(n):
                if active[product, t, i]:
                    bound = binding[v, t, i]
                    if bound == c + 1:
                        binds[c, i] = True
                    elif (1 <= bound <= components) or bound == code_packaging:
                        elsewhere[c, i] = True
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


@numba.njit(cache=True, nogil=True)
def count_bins(bins, counts):  # type: ignore[no-untyped-def]
    """counts[s, t, bins[s, t, i]] += 1 for every series, month and sample (integers:
    exact in any order)."""
    series, months, n = bins.shape
    for s in range(series):
        for t in range(months):
            for i in range(n):
                counts[s, t, bins[s, t, i]] += 1


@numba.njit(cache=True, nogil=True)
def tally_binding(binding, relief, block_starts, counts, relief_sums):  # type: ignore[no-untyped-def]
    """Per variant, constraint code and month: how many sample-months each code bound
    (``counts``) and, per random block, the output it cost (``relief_sums``, summed sample
    by sample in sample order within the block, so block sums never depend on chunking)."""
    variants, months, n = binding.shape
    blocks = block_starts.shape[0]
    for v in range(variants):
        for b in range(blocks):
            first = block_starts[b]
            last = block_starts[b + 1] if b + 1 < blocks else n
            for t in range(months):
                for i in range(first, last):
                    code = binding[v, t, i]
                    counts[v, code, t] += 1
                    relief_sums[b, v, code, t] += relief[v, t, i]


@numba.njit(cache=True, nogil=True, error_model="numpy")
def periodic_totals(values, starts, stock, out):  # type: ignore[no-untyped-def]
    """out[i, p] = Σ values[t, i] over the months of period p (or, for a ``stock``, the
    period's last month), per sample, in month order; ``starts`` are the periods' first
    month indices."""
    months, n = values.shape
    periods = starts.shape[0]
    for p in range(periods):
        first = starts[p]
        last = starts[p + 1] if p + 1 < periods else months
        for i in range(n):
            if stock:
                out[i, p] = values[last - 1, i]
            else:
                total = 0.0
                for t in range(first, last):
                    total += values[t, i]
                out[i, p] = total


@numba.njit(cache=True, nogil=True, error_model="numpy")
def bin_and_sum(values, logs, low, scale, bins_count, block_starts, bins, block_sums):  # type: ignore[no-untyped-def]
    """For a (months, samples) series and its base-2 logarithms (float32, taken by numpy's
    vectorised log): each value's histogram bin (0 below ``low``, else ``1 + floor((log2 v
    − log2 low) · scale)``, capped at the last bin) and the sum of each random block's
    values per month, sample by sample in sample order."""
    months, n = values.shape
    blocks = block_starts.shape[0]
    log_low = np.log2(low)
    for t in range(months):
        for i in range(n):
            if values[t, i] < low:
                bins[t, i] = 0
            else:
                bins[t, i] = min(int((logs[t, i] - log_low) * scale) + 1, bins_count - 1)
        for b in range(blocks):
            first = block_starts[b]
            last = block_starts[b + 1] if b + 1 < blocks else n
            total = 0.0
            for i in range(first, last):
                total += values[t, i]
            block_sums[b, t] = total

"""Focused tests of engine pieces rewritten for speed: the histogram binning kernel, the
lagged read of a series, the allocator setting, and chunk/thread independence of a run.

Each kernel is checked against a plain numpy (or Python) reference written here.
"""

from __future__ import annotations

import math
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.typing import NDArray

from stackbound.engine.evaluate import lagged
from stackbound.engine.histogram import BINS, CELL_BINS, CELL_SHIFT, EDGES, FIRST_CELL
from stackbound.engine.kernel import bin_and_sum
from stackbound.engine.results import RunResult
from stackbound.engine.run import run
from stackbound.scenario.loader import load_scenario

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

quick = settings(max_examples=200, deadline=None)


# ------------------------------------------------------------------ bin_and_sum


def binned(values: FloatArray, block_starts: list[int] | None = None) -> tuple[NDArray[np.uint16], FloatArray]:
    """Call the kernel as :func:`stackbound.engine.accumulate._monthly` does: (months,
    samples) values, C-contiguous, read a second time as int64 words."""
    values = np.ascontiguousarray(values, dtype=np.float64)
    assert values.ndim == 2
    starts = np.array([0] if block_starts is None else block_starts, dtype=np.int64)
    bins = np.full(values.shape, 9_999, np.uint16)
    block_sums = np.full((len(starts), values.shape[0]), np.nan)
    bin_and_sum(values, values.view(np.int64), EDGES, CELL_BINS, FIRST_CELL, CELL_SHIFT, starts, bins, block_sums)
    return bins, block_sums


def reference_bins(values: FloatArray) -> IntArray:
    """b with EDGES[b] <= v < EDGES[b + 1]; 0 below EDGES[1] (NaN included), the last bin
    for anything from its lower edge up (+inf included)."""
    found = np.minimum(np.searchsorted(EDGES, values, side="right") - 1, BINS - 1)
    return np.where(values >= EDGES[1], found, 0).astype(np.int64)


def in_order_sum(row: FloatArray) -> float:
    """Σ row, one sample at a time in sample order."""
    total = 0.0
    for value in row:
        total += float(value)
    return total


def lane_sum(row: FloatArray) -> float:
    """Σ row in the order the kernel documents (``kernel._block_sum``): sample i of the
    block goes to running sum i mod 8 while whole groups of eight remain, the eight sums
    are added pairwise, then the remaining samples, summed in order, are added."""
    lanes = [0.0] * 8
    whole = len(row) // 8 * 8
    for i in range(whole):
        lanes[i % 8] += float(row[i])
    pairs = ((lanes[0] + lanes[1]) + (lanes[2] + lanes[3])) + ((lanes[4] + lanes[5]) + (lanes[6] + lanes[7]))
    return pairs + in_order_sum(row[whole:])


def reference_block_sums(values: FloatArray, block_starts: list[int]) -> FloatArray:
    """Each block's sum per month, from the block's own values only."""
    months, n = values.shape
    stops = [*block_starts[1:], n]
    out = np.empty((len(block_starts), months))
    for b, (first, stop) in enumerate(zip(block_starts, stops, strict=True)):
        for t in range(months):
            out[b, t] = lane_sum(values[t, first:stop])
    return out


def assert_inside_edges(values: FloatArray, bins: NDArray[np.uint16]) -> None:
    b = bins.astype(np.int64)
    above = values >= EDGES[1]
    assert np.all(b[~above] == 0)
    assert np.all(EDGES[b[above]] <= values[above])
    assert np.all(values[above] < EDGES[b[above] + 1])


def test_edge_table_is_what_the_kernel_assumes() -> None:
    assert EDGES.shape == (BINS + 1,)
    assert EDGES[0] == 0.0
    assert EDGES[-1] == np.inf
    assert np.all(np.diff(EDGES) > 0)
    # A cell (a float's exponent and leading mantissa bits) starts in bin CELL_BINS[cell]
    # and ends (where the next cell starts) no later than the bin after: one comparison
    # with EDGES[guess + 1] then finds the bin of any value in the cell.
    cells = np.arange(FIRST_CELL, FIRST_CELL + len(CELL_BINS) + 1, dtype=np.int64)
    starts = (cells << CELL_SHIFT).view(np.float64)
    guess = CELL_BINS.astype(np.int64)
    assert starts[0] < EDGES[1] <= starts[-1]
    assert EDGES[BINS - 1] < starts[-2]
    assert np.all(np.diff(guess) >= 0)
    assert np.array_equal(guess, reference_bins(starts[:-1]))
    assert np.all(starts[1:] <= EDGES[np.minimum(guess + 2, BINS)])


def test_values_on_every_edge_and_one_ulp_either_side_land_in_the_right_bin() -> None:
    edges = EDGES[1:-1]  # every finite positive edge: bins 1 … BINS-1
    below = np.nextafter(edges, -np.inf)
    above = np.nextafter(edges, np.inf)
    values = np.stack([edges, below, above])
    bins, _ = binned(values)
    on_edge = np.arange(1, BINS)
    assert np.array_equal(bins[0], on_edge)
    assert np.array_equal(bins[1], on_edge - 1)
    assert np.array_equal(bins[2], on_edge)
    assert np.array_equal(bins, reference_bins(values))
    assert_inside_edges(values, bins)


def test_values_below_the_first_edge_and_nan_go_to_bin_zero() -> None:
    low = EDGES[1]
    values = np.array(
        [[0.0, -0.0, -1.0, -1e300, -np.inf, np.nan, -np.nan, 5e-324, 1e-300, 1e-9, low / 2, np.nextafter(low, 0.0)]]
    )
    bins, _ = binned(values)
    assert np.array_equal(bins, np.zeros(values.shape, np.uint16))


def test_infinity_and_huge_values_go_to_the_last_bin() -> None:
    top = EDGES[-2]
    values = np.array([[np.inf, np.finfo(np.float64).max, 1e300, 1e20, 1e17, top, np.nextafter(top, np.inf), 2 * top]])
    bins, _ = binned(values)
    assert np.array_equal(bins, np.full(values.shape, BINS - 1, np.uint16))
    below_top, _ = binned(np.array([[np.nextafter(top, 0.0)]]))
    assert below_top[0, 0] == BINS - 2


def test_log_spaced_values_across_the_whole_range_match_searchsorted() -> None:
    rng = np.random.default_rng(3)
    values = 10.0 ** rng.uniform(-7.0, 18.0, size=(6, 5_000))
    bins, _ = binned(values)
    assert np.array_equal(bins, reference_bins(values))
    assert_inside_edges(values, bins)


@quick
@given(st.lists(st.floats(min_value=1e-6, max_value=1e15), min_size=1, max_size=40))
def test_every_value_lies_between_its_bin_edges(numbers: list[float]) -> None:
    values = np.array([numbers])
    bins, _ = binned(values)
    assert np.array_equal(bins, reference_bins(values))
    assert_inside_edges(values, bins)


def test_block_sums_of_blocks_shorter_than_eight_are_in_sample_order() -> None:
    """Below eight samples no lane fills: the sum is the plain in-order sum. The values
    make the order visible: (1e16 + 1) − 1e16 and (1 + 1e16) − 1e16 are 0 (1e16 + 1 rounds
    to 1e16), where 1 + (1e16 − 1e16) would be 1."""
    rng = np.random.default_rng(5)
    values = rng.standard_normal((4, 10)) * 10.0 ** rng.integers(-3, 12, size=(4, 10))
    values[0, 3:6] = [1e16, 1.0, -1e16]
    values[1, 3:6] = [1.0, 1e16, -1e16]
    values[2, 0] = -np.inf
    starts = [0, 3, 6]  # blocks of 3, 3 and 4 samples
    bins, block_sums = binned(values, starts)
    for b, (first, stop) in enumerate(((0, 3), (3, 6), (6, 10))):
        for t in range(4):
            assert block_sums[b, t] == in_order_sum(values[t, first:stop]), (b, t)
    assert block_sums[1, 0] == 0.0
    assert block_sums[1, 1] == 0.0
    assert block_sums[0, 2] == -np.inf
    assert np.array_equal(bins, reference_bins(values))


def test_block_sums_follow_the_documented_order_exactly() -> None:
    rng = np.random.default_rng(7)
    n = 61
    values = rng.standard_normal((3, n)) * 10.0 ** rng.integers(-3, 15, size=(3, n))
    starts = [0, 3, 10, 27, 53]  # 3, 7, 17, 26 and 8 samples: no lane, partial and whole groups
    _, block_sums = binned(values, starts)
    assert np.array_equal(block_sums, reference_block_sums(values, starts))
    # Eight lanes, then the ninth sample: (1e16 + 6) − 1e16 = 6, where in-order gives 0.
    _, lanes = binned(np.array([[1e16, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, -1e16]]))
    assert lanes[0, 0] == 6.0
    error = np.abs(block_sums.sum(axis=0) - [math.fsum(row) for row in values])
    assert np.all(error <= 1e-12 * np.abs(values).sum(axis=1))


def test_a_block_sum_does_not_depend_on_where_the_block_sits() -> None:
    """The same 1024 values give the same bits alone, after other blocks, or before them."""
    rng = np.random.default_rng(9)
    block = rng.standard_normal((2, 1_024)) * 10.0 ** rng.integers(-3, 12, size=(2, 1_024))
    other = rng.standard_normal((2, 13)) * 1e6
    _, alone = binned(block)
    _, after = binned(np.hstack([other, block]), [0, 13])
    _, before = binned(np.hstack([block, other]), [0, 1_024])
    assert np.array_equal(alone[0], after[1])
    assert np.array_equal(alone[0], before[0])


@settings(max_examples=100, deadline=None)
@given(
    st.integers(min_value=1, max_value=40).flatmap(
        lambda n: st.tuples(
            st.lists(
                st.floats(min_value=-1e12, max_value=1e12, allow_nan=False),
                min_size=2 * n,
                max_size=2 * n,
            ),
            st.sets(st.integers(min_value=1, max_value=n - 1), max_size=n - 1) if n > 1 else st.just(set[int]()),
        )
    )
)
def test_block_sums_match_the_reference_for_any_blocks(case: tuple[list[float], set[int]]) -> None:
    numbers, cuts = case
    values = np.array(numbers).reshape(2, -1)
    starts = [0, *sorted(cuts)]
    _, block_sums = binned(values, starts)
    assert np.array_equal(block_sums, reference_block_sums(values, starts))


# ------------------------------------------------------------------ lagged

SERIES_SHAPES = ["grid_by_sample", "grid_by_one", "one_by_sample", "one_by_one"]


def reference_lagged(series: FloatArray, first: int, months: IntArray, lag: IntArray) -> FloatArray:
    """out[t, i] = series[months[t] − first − lag[i], i], broadcasting a single row over
    time, a single column over samples and a single lag over samples."""
    n = max(len(lag), series.shape[1])
    rows = int(months.max()) - first + 1 if series.shape[0] == 1 else series.shape[0]
    full = np.broadcast_to(series, (rows, n))
    lags = np.broadcast_to(lag, (n,))
    index = months[:, None] - first - lags[None, :]
    assert index.min() >= 0
    assert index.max() < rows
    return np.asarray(full[index, np.arange(n)[None, :]], dtype=np.float64)


def make_series(shape: str, grid: int, n: int, rng: np.random.Generator) -> FloatArray:
    rows = grid if shape.startswith("grid") else 1
    columns = n if shape.endswith("sample") else 1
    return rng.standard_normal((rows, columns))


@pytest.mark.parametrize("shape", SERIES_SHAPES)
@pytest.mark.parametrize("lag_count", ["per_sample", "one"])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_lagged_matches_broadcast_fancy_indexing(shape: str, lag_count: str, seed: int) -> None:
    rng = np.random.default_rng(seed)
    n, first, grid, max_lag = 7, 600 + seed, 30, 6
    series = make_series(shape, grid, n, rng)
    lag = rng.integers(0, max_lag + 1, size=n if lag_count == "per_sample" else 1).astype(np.int64)
    # Months in any order (repeats included) whose every lagged read lies on the grid.
    months = rng.integers(first + max_lag, first + grid, size=12).astype(np.int64)
    months[:2] = [first + max_lag, first + grid - 1]
    got = lagged(series, first, months, lag)
    expected = reference_lagged(series, first, months, lag)
    assert got.shape == expected.shape
    assert np.array_equal(got, expected)


@pytest.mark.parametrize("shape", SERIES_SHAPES)
def test_lagged_reads_the_first_and_last_grid_rows(shape: str) -> None:
    rng = np.random.default_rng(11)
    n, first, grid = 5, 100, 10
    series = make_series(shape, grid, n, rng)
    lag = np.array([0, 1, 2, 3, 4], dtype=np.int64)
    months = np.array([first + 4, first + grid - 1], dtype=np.int64)  # rows 4 − lag … 9 − lag
    got = lagged(series, first, months, lag)
    assert np.array_equal(got, reference_lagged(series, first, months, lag))


@pytest.mark.parametrize("shape", SERIES_SHAPES)
@pytest.mark.parametrize("lag_count", ["per_sample", "one"])
def test_lagged_refuses_reads_before_the_grid(shape: str, lag_count: str) -> None:
    rng = np.random.default_rng(4)
    n, first, grid = 6, 50, 12
    series = make_series(shape, grid, n, rng)
    lag = np.full(n if lag_count == "per_sample" else 1, 2, dtype=np.int64)
    lag[-1] = 3
    months = np.array([first + 2, first + 5], dtype=np.int64)  # first + 2 − 3 is one month early
    with pytest.raises(ValueError, match="outside"):
        lagged(series, first, months, lag)


@pytest.mark.parametrize("lag_count", ["per_sample", "one"])
@pytest.mark.parametrize("shape", ["grid_by_sample", "grid_by_one"])
def test_lagged_refuses_reads_after_the_grid(shape: str, lag_count: str) -> None:
    rng = np.random.default_rng(6)
    n, first, grid = 6, 50, 12
    series = make_series(shape, grid, n, rng)
    lag = np.zeros(n if lag_count == "per_sample" else 1, dtype=np.int64)
    months = np.array([first, first + grid], dtype=np.int64)  # one month past the grid's end
    with pytest.raises(ValueError, match="outside"):
        lagged(series, first, months, lag)


@pytest.mark.parametrize("shape", SERIES_SHAPES)
def test_lagged_refuses_negative_lags_past_the_last_month(shape: str) -> None:
    rng = np.random.default_rng(8)
    n, first, grid = 4, 0, 8
    series = make_series(shape, grid, n, rng)
    lag = np.array([0, -1, 0, 0], dtype=np.int64)
    months = np.array([3, grid - 1], dtype=np.int64)
    with pytest.raises(ValueError, match="outside"):
        lagged(series, first, months, lag)


# ------------------------------------------------------------------ keep_freed_arrays


MALLOC_PROBE = """
import ctypes, sys
from stackbound.engine.memory import keep_freed_arrays

class MallInfo2(ctypes.Structure):
    _fields_ = [(name, ctypes.c_size_t) for name in (
        "arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks", "fordblks", "keepcost")]

libc = ctypes.CDLL(None)
if not hasattr(libc, "mallinfo2"):
    sys.exit(77)
libc.mallinfo2.restype = MallInfo2
libc.malloc.restype, libc.malloc.argtypes = ctypes.c_void_p, [ctypes.c_size_t]
libc.free.argtypes = [ctypes.c_void_p]
if sys.argv[1] == "keep":
    keep_freed_arrays()
    keep_freed_arrays()
before = libc.mallinfo2()
block = libc.malloc(16 * 2**20)
during = libc.mallinfo2()
libc.free(block)
after = libc.mallinfo2()
print(during.hblkhd - before.hblkhd, after.arena - before.arena)
"""
"""Allocates and frees one 16 MiB block (a chunk array's size) in a fresh process, with or
without :func:`keep_freed_arrays`; prints the bytes it took as a fresh mapping and the
heap bytes still held after it was freed (glibc's mallinfo2)."""


def _malloc_probe(mode: str) -> tuple[int, int]:
    done = subprocess.run([sys.executable, "-c", MALLOC_PROBE, mode], capture_output=True, text=True, timeout=60)
    if done.returncode == 77 or not sys.platform.startswith("linux"):
        pytest.skip("needs glibc's mallinfo2")
    assert done.returncode == 0, done.stderr
    mapped, kept = map(int, done.stdout.split())
    return mapped, kept


def test_keep_freed_arrays_takes_chunk_arrays_from_the_heap_and_keeps_them_when_freed() -> None:
    mapped, kept = _malloc_probe("default")
    assert mapped >= 16 * 2**20  # glibc's default: a fresh mapping, handed back when freed
    assert kept < 16 * 2**20
    mapped, kept = _malloc_probe("keep")
    assert mapped == 0  # from the heap…
    assert kept >= 16 * 2**20  # …and still held for the next chunk after it was freed


HUGEPAGE_PROBE = """
import sys
import numpy
from numpy._core import multiarray
from stackbound.engine.memory import keep_freed_arrays
keep_freed_arrays()
print(multiarray._set_madvise_hugepage(True))
"""


def test_keep_freed_arrays_turns_off_numpys_hugepage_advice() -> None:
    """The first touch of a madvised huge page can stall on compaction (engine/memory.py)."""
    if not sys.platform.startswith("linux"):
        pytest.skip("glibc and transparent huge pages are Linux's")
    done = subprocess.run([sys.executable, "-c", HUGEPAGE_PROBE], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "False"  # the advice was off when it was switched back on


# ------------------------------------------------------------------ chunking and threads


def assert_bit_identical(a: RunResult, b: RunResult) -> None:
    assert a.annual.keys() == b.annual.keys()
    for key in a.annual:
        assert np.array_equal(a.annual[key], b.annual[key]), key
    assert a.quarterly.keys() == b.quarterly.keys()
    for key in a.quarterly:
        assert np.array_equal(a.quarterly[key], b.quarterly[key]), key
    for name in ("monthly_counts", "monthly_sums", "binding_counts", "starved_counts", "relief_sums", "runout"):
        left, right = getattr(a, name), getattr(b, name)
        assert left.dtype == right.dtype, name
        assert np.array_equal(left, right), name


def test_example_is_bit_identical_across_workers_and_chunk_sizes() -> None:
    """5000 samples: chunks of 1024 (five, the last partial) or 3000 (rounded up to 3072:
    two), one or two threads. Also covers ``relief_sums``, which the chunking test in
    test_properties.py does not compare."""
    loaded = load_scenario("example")
    first, *others = (
        run(loaded, samples=5_000, seed=9, chunk_size=size, workers=workers)
        for size, workers in ((1_024, 1), (1_024, 2), (3_000, 1), (3_000, 2))
    )
    assert first.samples == 5_000
    for other in others:
        assert_bit_identical(first, other)


# ------------------------------------------------------------------ priority ranks


@st.composite
def priority_arrays(draw: st.DrawFn) -> FloatArray:
    """(variants, months, samples) priorities from a few values, so ties and repeated
    months are common, with NaN and infinities among them."""
    variants = draw(st.integers(1, 6))
    months = draw(st.integers(1, 5))
    n = draw(st.integers(1, 9))
    pool = draw(st.lists(st.sampled_from([0.0, -0.0, 1.0, 2.5, -3.0, math.inf, -math.inf, math.nan]), min_size=1))
    values = draw(st.lists(st.sampled_from(pool), min_size=variants * months * n, max_size=variants * months * n))
    array = np.array(values, dtype=np.float64).reshape(variants, months, n)
    if draw(st.booleans()):  # months that repeat the one before, the kernel's shortcut
        array[:, 1:] = array[:, :1]
    return array


@quick
@given(priority_arrays())
def test_priority_ranks_equal_numpys_stable_argsort(priority: FloatArray) -> None:
    from stackbound.engine.kernel import priority_ranks

    out = np.empty((priority.shape[1], priority.shape[0], priority.shape[2]), dtype=np.int64)
    priority_ranks(priority, out)
    expected = np.argsort(priority, axis=0, kind="stable").transpose(1, 0, 2)
    assert np.array_equal(out, expected)


# ------------------------------------------------------------------ reused chunk arrays


def test_a_workspace_hands_back_the_same_array_only_for_the_same_name_shape_and_type() -> None:
    from stackbound.engine.workspace import Workspace, empty, zeros

    space = Workspace()
    first = space.empty("a", (2, 3))
    assert space.empty("a", (2, 3)) is first
    assert space.empty("a", (2, 4)) is not first
    assert space.empty("a", (2, 4), np.int64).dtype == np.int64
    assert space.empty("b", (2, 4)) is not space.empty("a", (2, 4))
    reused = zeros(space, "b", (2, 4))
    reused[:] = 5.0
    assert not zeros(space, "b", (2, 4)).any()  # filled again
    assert empty(None, "a", (2, 3)) is not empty(None, "a", (2, 3))


def test_chunks_that_reuse_arrays_give_what_fresh_arrays_give_and_keep_nothing_shared() -> None:
    """A run (one thread, so one workspace reused by every chunk) equals simulating and
    deriving each chunk on fresh arrays; its per-sample results own their memory."""
    from stackbound.engine import run as engine_run
    from stackbound.engine.accumulate import reduce_chunk
    from stackbound.engine.allocate import simulate
    from stackbound.engine.outputs import derive
    from stackbound.engine.plan import build_plan
    from stackbound.engine.supply import build_supply

    loaded = load_scenario("china")
    result = run(loaded, samples=2_048, seed=3, workers=1, chunk_size=1_024)
    plan = build_plan(loaded)
    for chunk, (first, blocks) in enumerate(engine_run._chunks(2_048, 1_024)):
        n = sum(size for _, size in blocks)
        with np.errstate(all="ignore"):
            supply = build_supply(plan, engine_run._draws(loaded, 3, blocks, None, True), n)
            fresh = reduce_chunk(plan, derive(plan, supply, simulate(plan, supply, n)), [(0, n)], False)
        for key, values in fresh.annual.items():
            assert np.array_equal(result.annual[key][first : first + n], values), (chunk, key)
    # A reduction made from a workspace's arrays is untouched when the workspace is reused.
    from stackbound.engine.workspace import Workspace

    space = Workspace()
    blocks = engine_run._chunks(2_048, 1_024)[0][1]
    with np.errstate(all="ignore"):
        supply = build_supply(plan, engine_run._draws(loaded, 3, blocks, None, True), 1_024)
        kept = reduce_chunk(
            plan, derive(plan, supply, simulate(plan, supply, 1_024, None, space), space), [(0, 1_024)], True
        )
    before = {key: values.copy() for key, values in {**kept.annual, **(kept.paths or {})}.items()}
    for array in space._arrays.values():
        array.fill(7)
    after = {**kept.annual, **(kept.paths or {})}
    assert all(np.array_equal(before[key], after[key], equal_nan=True) for key in before)

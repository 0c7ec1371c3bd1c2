"""Benchmark (issue #16): a 100k-row layout sweep with perf_model=analytic against the same grid with 6·N·D only.

    PYTHONPATH=. python benchmarks/bench_perf_sweep.py [--rows-per-axis 1000]

Grid: tp (1, 2, 4, 8) × pp (1, 2, 4, 8, 16) × micro_batch (1, 2, 4, 8, 16) × n_gpus (1,000 values) = 100,000 rows,
solved through the engine's sweep path (engine/table/sweep.py: parse_grid, solve_chunk with side_values=False, as
`llmplan sweep` does). The analytic grid asks mfu and step_time for Llama-2-7B on H100 (every term of
formulas/performance.yaml); the reference grid asks train_time from 6·N·D at a given mfu (the seed's way). The
issue's bar: the analytic sweep within 3× the 6·N·D one. Plans are warmed first (both grids once on 1,000
rows), then each is timed best of 5 (the best run is the one least disturbed by other work on the machine).

Where the time went (cProfile, 100k rows): catalog figures and defaults were n-row copies, so every step computed
on full columns (and multiplied each constant factor in its own pass); the result frame divided and copied 99
columns (63 of them one value repeated) and walked the status codes of every variable per row for the warnings.
Now one value stays one number through the steps and into the frame (engine/solve/numeric.py, rowset.py,
table/result_columns.py, table/scope.py, table/note_columns.py). Measured on this 2-core machine, before
(main at db2ddde) and after, best of 5, several runs each:
  quiet (load 0.1):  analytic sweep 137 -> 84-88 ms, analytic solve 41 -> 31-33 ms; 6·N·D sweep 12 -> 16-17 ms,
                     solve 7 ms both; ratios 6.5-11.0× / 4.6-5.9× -> 5.1-7.9× / 3.9-4.6×
  loaded (load 5):   analytic sweep 637 -> 160-190 ms, solve 145 -> 46-65 ms; ratios 24.7× / 8.9× -> 4.3-8.3×
                     / 5.5-6.3× (full-column copies of constants cost most when memory bandwidth is shared)
Second pass (the result frame, branch sweepfast): a column of one value stays one value (a polars scalar column,
table/result_columns.Repeated) until it is written; the warnings column is one polars query, and a check's value
over many rows is formatted once per 4-figure bucket (no sort; each bucket's smallest and largest must round
alike) with each whole text made once per code and gathered (table/note_columns.py); one-value row masks are
shared views; the grid's row codes are runs (np.repeat), not a division per row. Output unchanged (every column
of both grids compared with main's, and a CSV sweep byte for byte). Best of 5 per run, main (a391650) and this
branch run alternately:
  quiet (load 0.0):      main: analytic sweep 63-64 ms, 6·N·D 11-12 ms, ratio 5.3-6.0×
  load 1.1-1.5, 5 runs each:  main: analytic 65-84 ms, 6·N·D 12.6-13.7 ms, ratio 4.9-6.7×
                              branch: analytic 52-62 ms, 6·N·D 11.6-13.1 ms, ratio 4.3-4.8×
  in-process split (load ~1): building the frame, analytic 38.7 -> 20-22 ms (warnings 22.8 -> 12, values
  14.5 -> 5.5-8), 6·N·D 3.7 -> 2.2 ms; the solve is unchanged (15-18 ms vs 3.6-6 ms: 3-4× by itself).
STILL NOT within 3×: the solve alone is 3.2-4.5× (48 steps over the rows against 10), so the frame would have
to cost the analytic grid under ~8 ms. Much of the solve's time is page faults on fresh 800 kB temporaries: with
GLIBC_TUNABLES=glibc.malloc.mmap_threshold=268435456:glibc.malloc.trim_threshold=1073741824 both grids run
~1.6× faster (branch: analytic 32-33 ms, solve 13.7 ms; 6·N·D 7.3-7.5 ms, solve 4.1-4.2 ms; ratio 4.3-4.4×).
The "solve only" column depends on that heap state: after the lighter frames of this branch the heap is returned
to the system between solves and a solve alone reads ~25 ms (14-16 ms after main's heavier frames), the same code.
Third pass (the grid's shape, engine/solve/factored.py): a chunk that is whole blocks of the inner axes goes to the
solver as a shape (4, 5, 5, 1000) with each axis as a broadcastable array, so a step runs once per combination of
the axes it reads: of the analytic grid's 48 steps, 20 are one number, 19 are at most 20,000 values (dp, shard
bytes, matmul time) and 9 full size (grad_accum and everything after it); products take their small factors
first, and the advisory and consistency checks read the shaped values too. Same values, statuses, errors and
frame as row by row (tests/solve/test_factored_grid.py). Columns made from the shape remember their min/max (from
the small arrays), so the table's NaN checks skip a pass per column (value columns 6.0 -> 4.3 ms). Heap kept, shape
vs row by row in the same process, three runs (load 0.6-1.1): analytic solve 16.5-17.5 -> ~12 ms (1.34-1.41×),
analytic sweep 38.5-42.6 -> 32.3-34.8 ms (1.17-1.22×), 6·N·D sweep 8.2-8.9 -> 6.1-6.4 ms (1.34-1.40×). The 6·N·D
grid gains as much (train_time reads n_gpus alone), so the ratio is 5.3-5.5× with the heap kept (6.9-7.4× without).
STILL NOT within 3×: what is left is mostly the results table, about 20 ms of the analytic 33: the warnings column
~10 ms (time.mfu_outside_band fires on 97,644 of the 100,000 layouts, each row's text carrying its mfu: up to
~14,000 distinct 4-figure texts formatted, then 100k strings of ~120 bytes gathered), value columns ~4 ms (109
columns against 47, ~60 of them varying) and ~5 ms of table assembly; 3× would need the whole analytic sweep in
~18 ms, its solve alone being ~12.
Fourth pass (this file's last lines): `llmplan sweep` itself spent most of its time before the sweep — the schema
probe solved 64 separate runs of 64 rows (640 of 767 ms for this grid to parquet, warm). A grid that fits in one
chunk is now solved once and written as it is, and the probe of a streamed sweep is one batch: warm, in process,
to .parquet, analytic 767 -> 108-114 ms, 6·N·D 294 -> 31-32 ms (ratio 3.4-3.6×); the warnings column's
distinct-value probe counts with numpy (1.1 -> 0.24 ms) and a one-label key axis is repeated without a gather.
In memory, heap kept: analytic 35 ms, 6·N·D 6.7 ms, 5.2×. STILL NOT within 3×, and why it will not get there by
trimming Python: the two sweeps do not produce the same amount. The analytic results are 109 columns, 31 of them
varying (46.8 MB with the warnings texts); the 6·N·D results 47 columns, 5 varying (5.8 MB): 8.1× the data in
5.2× the time. Its train_time reads n_gpus alone (1,000 numbers broadcast), while the analytic step_time differs
in every one of the 100,000 layouts, and from grad_accum on nine steps run at full size. Timed step by step in
place, writing a fresh 100k-float column costs ~115-160 µs (memory bandwidth of this shared VM: the same copy
takes 23 µs when the buffer stays in cache), so the full-size steps, the broadcast flats and the varying result
columns (~60 such columns) are ~7-9 ms of the 35 before any formatting, and the per-row warning texts (97,644
rows, ~185 bytes each) ~10 ms more. What would still move it: fewer temporaries in the full-size sums
(network_exposed_bytes and nvlink_exposed_bytes share (1 + pp_bubble_ratio) · tp_comm_bytes; numexpr would fuse
them), or a data-form warnings column for sweeps (check code and the value's own column, not a sentence per row).
Writing to parquet, the columns of one value cost most: written alone (materialized), the 6·N·D results' 42 of
them take 22 ms against 2.4 ms for its 5 varying columns; the analytic's 78 take 46 ms against 40 ms for its 31.
Fifth pass (2026-12-06): the admissibility check batching.admissible_global_batch (micro_batch × dp divides
global_batch, as Megatron-LM asserts) fires on ~99 % of this grid (n_gpus in steps of 128 gives dp that do not
divide 4,096): heap kept, analytic 36.8 -> 65.8 ms (its message then named five per-row values). The message now
names the rule and global_batch only, a placeholder with one value over its rows is one text rather than a
column, and fixed-text notes plus one coded note are joined once per combination present and gathered
(table/note_columns._by_combination): 39.2-42.6 ms with the extra note on every row (65.5 MB of results against
46.8 MB), 6·N·D 6.8-6.9 ms: 5.7-6.3×. Those rows are answered with grad_accum rounded up (the global batch
then 4,224, not 4,096) where the same row asked with `llmplan solve` is refused (engine/solve/recompute.py's
contradiction check on dp is not reached with side_values=False): a known gap, closed in the sixth pass.
Sixth pass (2026-12-06, stops 25-26): the sweep now refuses the layouts `llmplan solve` refuses (a grad_accum
rounded off a fixed global batch is checked against dp without side values; the refusal names the rule, the
exact grad_accum, its inputs, defaults marked), so a global_batch-4,096 grid is ~99 % refusals and no longer a
fair picture of a layout search: the timed grid gives grad_accum 8 instead (every layout answers; the global
batch then follows from dp), and the fixed-global-batch grid is timed on its own line (360-440 ms, the refusal
texts dominate). Speed-ups since: the warnings texts bucketed without a logarithm per row within one decade,
plan-structure facts (shown values, default keys read) kept with the plan, group assumptions made once per
table, one-value result columns as untyped float/str literals (~2 µs against ~10 µs each), and a grid axis in
grid shape reduced once for its bounds so the full-size steps built on it (matmul_time, memory_bound_time) are
shown in their domain by intervals instead of two reductions each. This machine was slower than the last
session's (the same code: 26 against 18.5 ms), so compare ratios only. Heap kept, best of 5, five runs: analytic
20.3-22.9 ms, 6·N·D 6.2-7.0 ms, in memory 3.10-3.36×; written to parquet 2.50-3.37× (2.9-3.0× in most runs).
STILL NOT reliably within 3× in memory: the analytic solve is ~10 ms against ~3 (9 steps at full size, ~2.2 ms,
and 39 small ones, ~2.2 ms of Python per step), the warnings column ~3 ms (the mfu band on 55,000 rows, each
text with its own value: ~1.2 ms to bucket, ~1 ms to join and gather 100k strings), the value columns ~3 ms.
What would still move it: network_exposed_bytes, nvlink_exposed_bytes and node_local_time hold terms that can be
0 (tp_in_node on one node, no ZeRO-3 gathers), so the interval proof (positive values only) gives up and each is
reduced for its domain (3 × ~55 µs); matmul_time and memory_bound_time read step_tokens / n_gpus, which is
micro_batch · grad_accum · seq_len / (tp · pp) and would be 100 values, not 100,000, if the planner substituted
global_batch = micro_batch · grad_accum · dp before the grid is solved (a symbolic pass per plan).
Seventh pass (2026-12-06, stop 27): the hot Python paths take their common cases first (row_masks.const_value
~1,100 calls per table, numeric._split on plain floats, Factored.rows computed once) and the one-decade bucket
keys skip a clip and an offset. Both sweeps gained about 1 ms (analytic 20.5 -> 19.5 ms, 6·N·D 6.5 -> 5.5 ms,
heap kept, in process, best of 10), so the ratio did not move: a shared path made faster helps the 6·N·D sweep
as much, and what is left is the analytic sweep's own volume (31 varying columns, 9 full-size steps, the mfu
band's text on 55,000 rows). Three runs of this script after it: heap kept 2.73-3.63×, to parquet 2.58-2.88×. Writing
parquet shows the same: a one-value column costs ~0.4 ms and a varying one ~0.85 ms (zstd), so the 6·N·D file
(42 of 47 columns one value) is cheap per column and the analytic one (31 varying) is not; lz4 would write
both ~15 % faster at twice the size, which is no reason to change the default.
Eighth pass (2026-12-07, stop 28): a one-value (broadcast) flag or column is read once: numpy walks a stride-0
view ~10x slower than a contiguous one (37 us against 3 us for 100k bools), and the 30 typed-key flags of
note_unused_givens cost 1.3 ms per chunk (now 0.04), has_nan on broadcast columns likewise; the names a plan
reads toward its answer are kept with the plan. In process, heap kept: analytic 21.1 -> 19.4 ms, 6·N·D 8.7 ->
6.0 ms. Three runs of this script right after: heap kept 3.18-3.37x, to parquet 2.70-2.80x. The same stop then
added nine checks the sweep evaluates (layers over pp stages, bandwidth plausibility, ...) and a refusing one
(dp not whole): three runs at its end, on a noisier machine (6·N·D itself 7.7-8.2 ms): heap kept 2.95-3.15x, to
parquet 2.27-3.61x. The structural reason is unchanged (5.9x the data).
Ninth pass (2026-12-07, stop 29): no speed work; the analytic sweep gained rules (QLoRA's dequantization term,
zero outside QLoRA; six_nd's attention check, not derived under perf_model=analytic) and results (118 columns,
34 varying). A plan's watched fit (engine/solve/watched.py) is left out of lean sweeps, so neither grid computes
memory unless memory_fill is asked; measured with and without it in the same process: the same times. One run
of this script at the end of the stop: heap kept 23.1 / 8.0 ms = 2.89x, to parquet 2.37x.
Tenth pass (2026-12-07, stop 31). Measured at the start, same machine, same code as the ninth pass plus
stop 30's rules: in memory 3.90x, heap kept 29.8 / 7.5 ms = 3.98x. Grid forms (engine/solve/grid_forms.py):
on the grid's shape a step's products are multiplied out through the formulas of the steps before it, so
a factor that cancels is never computed: matmul_time = hw_flops_per_token · step_tokens / (... · n_gpus)
read step_tokens = micro_batch · grad_accum · dp · seq_len with dp = n_gpus / (tp · pp), and is now 100
values (tp × pp × micro_batch), not 100,000; so are memory_bound_time, compute_time and pp_bubble_time.
A form is used only where each factor that cancels is finite and not zero (bounds) and the value it reads
through was computed on the grid by that formula. Sums of sums are one sum and add their terms over the
same axes first (step_time: one full-size pass, not six); and/or decide from a one-value part first
(seed_precision_timed, fp32_at_tensor_peak, mfu_leaves_out_attention are false from catalog figures
without comparing 100,000 step times); a value that comes out one number over some axes (ZeRO-1's 0 B
of parameter gathers) stays one number; the advisory checks read the forms too (admissible_grad_accum's
floor(global_batch · tp · pp / (grad_accum · n_gpus)) is micro_batch). Steps 7.4 -> 2.5 ms, checks 3.0
-> 2.0 ms. Memory-bound numpy passes run in two threads (engine/solve/two_threads.py: the grid's values
spread to every row, 3.0 -> 1.8 ms; bytes shown in GB, divided when the table is built). Tried and
dropped: dividing the GB columns in polars (it multiplies by the reciprocal: the last bit differed from
the same rows divided by numpy in a table with a row left out). Six runs after it (6·N·D itself
7.7-8.3 ms, a slow hour): in memory 2.61-3.08x, heap kept 2.87-3.17x and once 3.80x (analytic 29.3 ms
in that run against 23-25 in the others), to parquet 2.12-2.47x. What is left of the analytic sweep's
own cost: the warnings column ~3.5 ms (the mfu band's text with its value on 55,000 rows: bucketing
~1.5 ms, gathering 100,000 texts ~0.9 ms), the checks ~2 ms (admissible_global_batch and
admissible_grad_accum ~0.27 ms each at full size), the steps ~2.5 ms (global_batch, step_tokens,
step_time, mfu are full size by nature), the copies ~1.8 ms.
"""
from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
import polars as pl

from engine import Engine
from engine.cli.heap import keep_freed_memory
from engine.io.sweep_output import run_sweep
from engine.solve.keys import Categorical
from engine.table.sweep import Grid, parse_grid, solve_chunk

LAYOUT = {"tp": "1,2,4,8", "pp": "1,2,4,8,16", "micro_batch": "1,2,4,8,16"}
ANALYTIC = {"perf_model": "analytic", "model": "llama2-7b", "gpu": "H100-SXM", "seq_len": "4096",
            "grad_accum": "8", "precision": "mixed-bf16", "zero_stage": "1", "attention_kernel": "flash"}
# the same grid at a fixed global batch: only the layouts whose micro_batch × dp divides 4,096 answer
FIXED_BATCH = {**{k: v for k, v in ANALYTIC.items() if k != "grad_accum"}, "global_batch": "4096"}
SIX_ND = {"model": "llama2-7b", "gpu": "H100-SXM", "tokens": "2T", "mfu": "0.4"}


def solve_only(engine: Engine, grid: Grid) -> object:
    """The batch solve of the whole grid without building the result frame (engine.solve_columns, as
    engine/sweep.solve_chunk calls it)."""
    rows = grid.total
    numbers, keys = {}, {}
    for axis, code in zip(grid.axes, grid.codes(0, rows)):
        if axis.categorical:
            keys[axis.name] = Categorical(code, list(axis.labels))
        else:
            numbers[axis.name] = np.broadcast_to(axis.values[0], (rows,)) if len(axis) == 1 else axis.values[code]
    return engine.solve_columns(numbers, keys, [grid.targets], np.broadcast_to(np.int64(0), (rows,)), rows, None,
                                side_values=False, grid=grid.factored(0, rows, numbers))


def best_of(fn, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def timed(engine: Engine, targets: list[str], specs: dict[str, str], repeat: int = 5
          ) -> tuple[float, float, int, int]:
    """(sweep seconds with result columns, solve-only seconds, rows, rows with an error)."""
    grid = parse_grid(engine, targets, specs)
    outcome = solve_chunk(engine, grid, 0, min(grid.total, 1000), side_values=False)        # warm the plan
    whole = best_of(lambda: solve_chunk(engine, grid, 0, grid.total, side_values=False), repeat)
    alone = best_of(lambda: solve_only(engine, grid), repeat)
    outcome = solve_chunk(engine, grid, 0, grid.total, side_values=False)
    return whole, alone, grid.total, outcome.error_count


def varying(frame: pl.DataFrame) -> int:
    """Columns holding more than one value (the ones a sweep has to write row by row)."""
    return sum(1 for column in frame.columns if frame[column].n_unique() > 1)


def written(engine: Engine, targets: list[str], specs: dict[str, str], path: Path, repeat: int = 5) -> float:
    """Best-of seconds for the whole sweep written to `path` (engine/io/sweep_output.run_sweep)."""
    grid = parse_grid(engine, targets, specs)
    run_sweep(engine, grid, path, side_values=False)
    return best_of(lambda: run_sweep(engine, grid, path, side_values=False), repeat)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows-per-axis", type=int, default=1000, help="n_gpus values (rows = 100 × this)")
    args = ap.parse_args()
    n = args.rows_per_axis
    specs = {**LAYOUT, "n_gpus": f"128..{128 * n}+128"}
    engine = Engine.load()
    t_analytic, s_analytic, rows, errors_a = timed(engine, ["mfu", "step_time"], {**specs, **ANALYTIC})
    t_six, s_six, rows_six, errors_s = timed(engine, ["train_time"], {**specs, **SIX_ND})
    assert rows == rows_six
    print(f"rows per grid                                   {rows:>10,}")
    print("                                                sweep (result columns)   solve only")
    print(f"perf_model=analytic (mfu, step_time)            {t_analytic * 1e3:10.1f} ms   {s_analytic * 1e3:10.1f} ms"
          f"   ({errors_a:,} rows with an error)")
    print(f"6·N·D only (train_time at mfu 0.4)              {t_six * 1e3:10.1f} ms   {s_six * 1e3:10.1f} ms"
          f"   ({errors_s:,} rows with an error)")
    print(f"ratio analytic / 6·N·D                          {t_analytic / t_six:10.2f} ×   {s_analytic / s_six:10.2f} ×"
          "   (issue #16 target ≤ 3×)")
    t_fixed, _, _, errors_f = timed(engine, ["mfu", "step_time"], {**specs, **FIXED_BATCH}, repeat=3)
    print(f"analytic at global_batch 4,096 (refusals)       {t_fixed * 1e3:10.1f} ms"
          f"   ({errors_f:,} rows refused: no whole grad_accum)")
    # `llmplan sweep` keeps freed memory in the process (engine/cli/heap.py); the same grids after it:
    kept_sa = s_analytic
    if keep_freed_memory():
        kept_a, kept_sa = timed(engine, ["mfu", "step_time"], {**specs, **ANALYTIC})[:2]
        kept_s = timed(engine, ["train_time"], {**specs, **SIX_ND})[0]
        print(f"heap kept (llmplan sweep): analytic             {kept_a * 1e3:10.1f} ms   "
              f"({t_analytic / kept_a:.2f}× faster)")
        print(f"heap kept (llmplan sweep): 6·N·D                {kept_s * 1e3:10.1f} ms   "
              f"({t_six / kept_s:.2f}× faster)")
        print(f"ratio with the heap kept                        {kept_a / kept_s:10.2f} ×")
    # what each sweep produces, and the whole `llmplan sweep` write (run_sweep to .parquet, warm, heap kept)
    analytic = solve_chunk(engine, parse_grid(engine, ["mfu", "step_time"], {**specs, **ANALYTIC}), 0, rows,
                           side_values=False).results
    six = solve_chunk(engine, parse_grid(engine, ["train_time"], {**specs, **SIX_ND}), 0, rows,
                      side_values=False).results
    size_a, size_s = analytic.estimated_size(), six.estimated_size()   # (before n_unique fills the scalars)
    print(f"results: analytic {analytic.width} columns ({varying(analytic)} not one value), {size_a / 1e6:.1f} MB;"
          f" 6·N·D {six.width} ({varying(six)}), {size_s / 1e6:.1f} MB: {size_a / size_s:.1f}× the data")
    with tempfile.TemporaryDirectory() as folder:
        written_a = written(engine, ["mfu", "step_time"], {**specs, **ANALYTIC}, Path(folder) / "a.parquet")
        written_s = written(engine, ["train_time"], {**specs, **SIX_ND}, Path(folder) / "s.parquet")
    print(f"llmplan sweep -o .parquet (in process, warm): analytic {written_a * 1e3:.1f} ms, "
          f"6·N·D {written_s * 1e3:.1f} ms, ratio {written_a / written_s:.2f} ×")
    # the same grids solved row by row (no grid shape: engine/solve/factored.py off), heap kept
    shape = Grid.factored
    Grid.factored = lambda self, start, stop, numbers: None   # type: ignore[method-assign]
    try:
        flat_a, flat_sa = timed(engine, ["mfu", "step_time"], {**specs, **ANALYTIC})[:2]
        flat_s = timed(engine, ["train_time"], {**specs, **SIX_ND})[0]
    finally:
        Grid.factored = shape   # type: ignore[method-assign]
    print(f"row by row (no grid shape): analytic            {flat_a * 1e3:10.1f} ms   {flat_sa * 1e3:10.1f} ms"
          f"   (the grid shape: {flat_a / kept_a:.2f}× / {flat_sa / kept_sa:.2f}× faster)")
    print(f"row by row (no grid shape): 6·N·D               {flat_s * 1e3:10.1f} ms   "
          f"(the grid shape: {flat_s / kept_s:.2f}× faster)")


if __name__ == "__main__":
    main()

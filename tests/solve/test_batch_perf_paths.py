"""The batch engine's fast paths give the same answers as the general path.

Fast paths (engine/solve/batch.py, keys.py, columns.py, numeric.py): broadcast columns for one value in
every row, catalog figures of a varying key column gathered only when read (columns.Columns),
cached key bounds, errors kept as a bool mask, Enum codes without copies, in-place products.
Each test compares them with a path that does not take them: every row solved on its own,
plain dicts instead of Columns, String columns instead of Enum ones, writable full arrays
instead of broadcast views. No timings here (benchmarks/bench_batch.py measures).
"""
from __future__ import annotations

import math
import pickle

import numpy as np
import polars as pl
import pytest

from engine.solve.batch import STATUS_NAMES, Categorical, Columns
from engine.table.columns import Locator, prepare
from engine.table.frames import run_frame
from engine.solve.keys import expand_keys
from engine.solve.numeric import compile_tree

DAY = 86400.0
NAN = np.nan
TARGETS = [(), ("n_gpus",), ("train_time",), ("n_gpus", "gpu_hours")]


def mixed_inputs() -> tuple[dict[str, np.ndarray], dict[str, Categorical], np.ndarray]:
    """Rows of several patterns: two GPUs, an unknown GPU, empty cells, a user figure over the
    catalog's, a missing mfu (its default), rows that cannot be answered, partial groups."""
    rows = [
        # params, tokens, train_time days, n_gpus, mfu, peak_flops, gpu code, target
        (7e9, 2e12, 30, NAN, 0.4, NAN, 0, 1),
        (7e9, 2e12, 30, NAN, 0.4, NAN, 1, 1),
        (13e9, 1e12, 45, NAN, 0.35, NAN, 1, 1),
        (70e9, 2e12, 90, NAN, NAN, NAN, 0, 1),        # mfu: the default
        (7e9, 2e12, 30, NAN, 0.4, NAN, 2, 1),         # unknown GPU
        (7e9, NAN, 30, NAN, 0.4, NAN, 0, 1),          # no tokens: cannot be answered
        (7e9, 2e12, NAN, 256, 0.4, NAN, 0, 2),        # train_time asked
        (7e9, 2e12, NAN, 512, 0.5, NAN, 1, 2),
        (7e9, 2e12, NAN, 512, 0.5, 500e12, 1, 2),     # the user's peak figure, not the catalog's
        (7e9, 2e12, NAN, 512, 0.9, NAN, 0, 2),        # mfu far outside the band: warnings
        (7e9, 2e12, 30, NAN, 0.4, NAN, -1, 1),        # no GPU: under-determined
        (NAN, NAN, NAN, NAN, NAN, NAN, -1, 0),        # blank
        (1.3e9, 3e11, 10, NAN, 0.3, NAN, 1, 3),       # two targets
        (7e9, 2e12, 30, NAN, 0.4, NAN, 0, 1),
        (34e9, 1e12, 60, NAN, 0.45, NAN, 1, 1),
        (7e9, 2e12, NAN, 1, 0.4, NAN, 0, 2),
    ]
    table = np.array(rows, dtype=float)
    numbers = {"params": table[:, 0], "tokens": table[:, 1], "train_time": table[:, 2] * DAY,
               "n_gpus": table[:, 3], "mfu": table[:, 4], "peak_flops": table[:, 5]}
    keys = {"gpu": Categorical(table[:, 6].astype(np.int64), ["A800", "H100-SXM", "X900"]),
            "recompute": Categorical(np.ones(len(rows), dtype=np.int64), ["none", "full"])}
    return numbers, keys, table[:, 7].astype(np.int64)


def one_row(numbers, keys, row_targets, row):
    pick = slice(row, row + 1)
    return ({n: np.array(c[pick]) for n, c in numbers.items()},
            {n: Categorical(np.array(k.codes[pick]), list(k.labels)) for n, k in keys.items()},
            np.array(row_targets[pick]))


def shown(batch, row: int) -> dict[str, tuple[float, str]]:
    """What a row's answer says: every value with a status, and the status."""
    return {n: (float(batch.values[n][row]), STATUS_NAMES[int(batch.status[n][row])])
            for n in batch.status if batch.status[n][row] and n in batch.values}


def fired(batch, row: int) -> set[str]:
    return {cid for cid, mask in batch.warnings if mask[row]} | {code for code, _, mask in batch.notes if mask[row]}


def assert_same_row(big, row: int, small, small_row: int = 0) -> None:
    assert big.errors[row] == small.errors[small_row]
    assert bool(big.failed[row]) == (big.errors[row] is not None)
    if big.errors[row] is not None:
        return
    ours, theirs = shown(big, row), shown(small, small_row)
    assert ours.keys() == theirs.keys(), (row, ours.keys() ^ theirs.keys())
    for name, (value, status) in theirs.items():
        assert status == ours[name][1], (row, name)
        assert ours[name][0] == pytest.approx(value, rel=1e-12, nan_ok=True), (row, name)
    assert fired(big, row) == fired(small, small_row)


@pytest.mark.parametrize("side_values", [True, False])
def test_batch_of_mixed_patterns_matches_every_row_solved_alone(eng, side_values):
    numbers, keys, row_targets = mixed_inputs()
    rows = len(row_targets)
    batch = eng.solve_columns(numbers, keys, TARGETS, row_targets, rows, side_values=side_values)
    assert len(batch.groups) >= 6                                   # several patterns, partial groups
    assert "Did you mean" in batch.errors[4] and batch.errors[5] and batch.errors[10]
    for row in range(rows):
        row_numbers, row_keys, row_target = one_row(numbers, keys, row_targets, row)
        alone = eng.solve_columns(row_numbers, row_keys, TARGETS, row_target, 1, side_values=side_values)
        assert_same_row(batch, row, alone)


def test_hand_values_of_the_mixed_batch(eng):
    numbers, keys, row_targets = mixed_inputs()
    batch = eng.solve_columns(numbers, keys, TARGETS, row_targets, len(row_targets), side_values=False)
    peak = {0: 312e12, 1: 989e12}
    for row, gpu, params, tokens, days, mfu in ((0, 0, 7e9, 2e12, 30, 0.4), (1, 1, 7e9, 2e12, 30, 0.4),
                                                (2, 1, 13e9, 1e12, 45, 0.35)):
        flops = 8 * params * tokens                                  # recompute=full: 8 FLOP/token
        n = np.ceil(flops / (peak[gpu] * mfu * days * DAY) * (1 - 1e-12))
        assert batch.values["n_gpus"][row] == n
        assert batch.values["train_time"][row] == pytest.approx(flops / (n * peak[gpu] * mfu), rel=1e-12)
        assert batch.values["peak_flops"][row] == peak[gpu]
    # the user's 500 TFLOPS is used in row 8, not the catalog's 989
    assert batch.values["train_time"][8] == pytest.approx(8 * 7e9 * 2e12 / (512 * 500e12 * 0.5), rel=1e-12)
    assert STATUS_NAMES[batch.status["peak_flops"][8]] == "given"
    assert STATUS_NAMES[batch.status["peak_flops"][7]] == "catalog"


def test_broadcast_and_full_columns_give_the_same_batch(eng):
    rows = 50
    rng = np.random.default_rng(3)
    numbers = {"params": rng.uniform(1e9, 7e10, rows), "tokens": np.full(rows, 2e12),
               "train_time": np.broadcast_to(30 * DAY, (rows,)), "mfu": rng.uniform(0.25, 0.6, rows)}
    numbers["mfu"][[3, 17]] = NAN                                      # the default there
    gpu = rng.integers(0, 2, rows)
    fast = eng.solve_columns(numbers, {"gpu": Categorical(gpu.astype(np.int8), ["A800", "H100-SXM"]),
                                       "recompute": Categorical(np.broadcast_to(np.int64(0), (rows,)), ["full"])},
                             [("n_gpus",)], np.broadcast_to(np.int64(0), (rows,)), rows)
    slow = eng.solve_columns({n: np.array(c) for n, c in numbers.items()},
                             {"gpu": Categorical(gpu.astype(np.int64), ["A800", "H100-SXM"]),
                              "recompute": Categorical(np.zeros(rows, dtype=np.int64), ["full"])},
                             [("n_gpus",)], np.zeros(rows, dtype=np.int64), rows)
    assert fast.failed[3] and fast.failed[17] and fast.failed.sum() == 2      # no mfu: no answer
    np.testing.assert_array_equal(fast.failed, slow.failed)
    for row in range(rows):
        assert_same_row(fast, row, slow, row)


def test_catalog_figures_of_a_varying_key_are_gathered_when_read(eng):
    rows = 6
    numbers = {"params": np.full(rows, 7e9), "tokens": np.full(rows, 2e12), "train_time": np.full(rows, 30 * DAY),
               "mfu": np.full(rows, 0.4)}
    gpu = Categorical(np.array([0, 1, 0, 1, 1, 0], dtype=np.int8), ["A800", "H100-SXM"])
    lean = eng.solve_columns(numbers, {"gpu": gpu}, [("n_gpus",)], np.zeros(rows, np.int64), rows, side_values=False)
    assert isinstance(lean.values, Columns)
    assert lean.values.is_deferred("gpu_memory") and lean.values.is_deferred("gpu_power")   # nothing read them
    assert not lean.values.is_deferred("peak_flops")                                        # n_gpus needs it
    gpus = eng.rules.tables["gpu"].entries
    expected = np.array([gpus[g].values["gpu_memory"] for g in ("A800", "H100-SXM", "A800", "H100-SXM",
                                                               "H100-SXM", "A800")])
    np.testing.assert_array_equal(lean.values["gpu_memory"], expected)      # reading gathers it
    assert not lean.values.is_deferred("gpu_memory")
    assert (lean.status["gpu_memory"] == 2).all()                           # catalog
    full = eng.solve_columns(numbers, {"gpu": gpu}, [("n_gpus",)], np.zeros(rows, np.int64), rows)
    np.testing.assert_array_equal(full.values["gpu_memory"], expected)
    np.testing.assert_array_equal(full.values["n_gpus"], lean.values["n_gpus"])
    assert dict(lean.values).keys() == lean.values.keys()                   # dict(...) computes every column
    assert all(isinstance(v, np.ndarray) for v in dict(lean.values).values())


def test_expand_keys_with_columns_matches_a_plain_dict(eng):
    codes = np.array([0, 1, -1, 2, 1, 0], dtype=np.int16)
    keys = {"gpu": Categorical(codes, ["A800", "H100-SXM", "A100-80G"]),
            "precision": Categorical(np.full(6, -1, dtype=np.int64), [])}
    peak = np.array([NAN, NAN, NAN, NAN, 5e14, NAN])

    def run(values):
        status = {"peak_flops": (~np.isnan(peak)).astype(np.int8)}
        errors = []
        out = expand_keys(eng.rules, values, status, keys, {}, 6, lambda m, n, label: errors.append((n, label)))
        return out, {n: np.asarray(values[n]) for n in list(values)}, status, errors

    lazy = run(Columns({"peak_flops": peak}))
    plain = run({"peak_flops": peak})
    assert lazy[1].keys() == plain[1].keys()
    for name in plain[1]:
        np.testing.assert_array_equal(lazy[1][name], plain[1][name])
        np.testing.assert_array_equal(lazy[2][name], plain[2][name])
    assert lazy[3] == plain[3]
    assert lazy[0].soft.keys() == plain[0].soft.keys()
    for name in ("gpu", "precision"):
        np.testing.assert_array_equal(lazy[0].keys[name].codes, plain[0].keys[name].codes)
        np.testing.assert_array_equal(lazy[0].typed[name], plain[0].typed[name])
    np.testing.assert_array_equal(peak, [NAN, NAN, NAN, NAN, 5e14, NAN])   # the caller's column untouched


def test_columns_behave_like_a_dict():
    calls = []
    columns = Columns({"a": np.arange(3.0)})
    columns.defer("b", lambda: calls.append("b") or np.ones(3))
    assert "b" in columns and columns.is_deferred("b") and list(columns) == ["a", "b"] and len(columns) == 2
    assert not calls
    view = columns.subset(["b"])
    assert view.is_deferred("b") and not calls
    np.testing.assert_array_equal(view["b"], np.ones(3))
    assert calls == ["b"] and not columns.is_deferred("b")                 # computed once, for both
    assert view["b"] is columns["b"] and calls == ["b"]
    columns.defer("c", lambda: np.zeros(3))
    assert columns.get("c").tolist() == [0, 0, 0] and columns.get("missing", 7) == 7
    columns.defer("d", lambda: np.full(3, 2.0))
    copied = pickle.loads(pickle.dumps(columns))
    assert type(copied) is Columns and sorted(copied) == ["a", "b", "c", "d"]
    np.testing.assert_array_equal(copied["d"], np.full(3, 2.0))
    columns.defer("e", lambda: np.full(3, 5.0))
    assert {**columns}["e"].tolist() == [5.0, 5.0, 5.0]
    columns.defer("f", lambda: np.full(3, 6.0))
    assert columns.pop("f").tolist() == [6.0, 6.0, 6.0] and "f" not in columns
    columns["a"] = np.full(3, 9.0)
    assert [k for k, _ in columns.items()] == ["a", "b", "c", "d", "e"]


def test_inputs_are_never_written_into(eng):
    numbers, keys, row_targets = mixed_inputs()
    before = {n: c.copy() for n, c in numbers.items()}
    codes_before = {n: k.codes.copy() for n, k in keys.items()}
    errors = np.full(len(row_targets), None, dtype=object)
    errors[1] = "sheet!B3: bad cell"
    errors_before = errors.copy()
    for column in [*numbers.values(), *(k.codes for k in keys.values()), row_targets, errors]:
        column.flags.writeable = False                                   # a write would raise
    for side_values in (True, False):
        batch = eng.solve_columns(numbers, keys, TARGETS, row_targets, len(row_targets), errors,
                                  side_values=side_values)
        assert batch.errors[1] == "sheet!B3: bad cell" and batch.failed[1]
        assert batch.error_kinds[1].__name__ == "ValueParseError"
        batch.errors[0] = "written by a reader"                          # the batch's own copy
    for name, column in numbers.items():
        np.testing.assert_array_equal(column, before[name])
    for name, key in keys.items():
        np.testing.assert_array_equal(key.codes, codes_before[name])
    assert list(errors) == list(errors_before)


def test_failed_mask_and_lazy_error_arrays(eng):
    numbers, keys, row_targets = mixed_inputs()
    batch = eng.solve_columns(numbers, keys, TARGETS, row_targets, len(row_targets))
    np.testing.assert_array_equal(batch.failed, np.not_equal(batch.errors, None))
    np.testing.assert_array_equal(batch.failed, np.not_equal(batch.error_kinds, None))
    clean = eng.solve_columns({"params": np.full(3, 7e9), "tokens": np.full(3, 2e12)}, {}, [("train_flops",)],
                              np.zeros(3, np.int64), 3)
    assert clean._errors is None and clean._kinds is None                # nothing made until read
    assert list(clean.errors) == [None] * 3 and not clean.failed.any()


def enum(values: list[str | None], categories: list[str]) -> pl.Series:
    return pl.Series(values, dtype=pl.Enum(categories))


def frames() -> tuple[pl.DataFrame, pl.DataFrame]:
    """The same table twice: Enum key/solve columns and Float64 numbers (the fast path) vs text."""
    gpus = ["H100-SXM", "A800", "A800", None, "a800", "X900", "H100-SXM", "A800"]
    solve = ["n_gpus", "n_gpus", "train_time", "n_gpus", "n_gpus", "n_gpus", "", "n_gpus"]
    params = [7e9, 13e9, 7e9, 7e9, 7e9, 7e9, None, 70e9]
    days = [30.0, 45.0, None, 30.0, 30.0, 30.0, None, float("nan")]
    n_gpus = [None, None, 256.0, None, None, None, None, None]
    fast = pl.DataFrame({
        "solve": enum(solve, ["n_gpus", "train_time", ""]),
        "params": pl.Series(params, dtype=pl.Float64),
        "tokens": pl.Series([2e12] * 8, dtype=pl.Float64),
        "gpu": enum(gpus, ["A800", "H100-SXM", "a800", "X900"]),
        "train_time [days]": pl.Series(days, dtype=pl.Float64),
        "n_gpus": pl.Series(n_gpus, dtype=pl.Float64),
        "mfu": pl.Series([0.4] * 8, dtype=pl.Float64),
        "recompute": enum(["full"] * 8, ["none", "full"]),
    })
    slow = fast.with_columns(pl.col("solve", "gpu", "recompute").cast(pl.String),
                             pl.col("params", "tokens", "train_time [days]", "mfu").cast(pl.String),
                             pl.col("n_gpus").cast(pl.Int64))
    # a NaN in a Float64 column is an empty cell; the text "NaN" would be a typo: keep the cell empty
    slow = slow.with_columns(pl.col("train_time [days]").replace("NaN", None))
    return fast, slow


def test_prepare_enum_and_float_columns_match_text_columns(eng):
    fast, slow = frames()
    a, b = prepare(eng, fast, Locator("t")), prepare(eng, slow, Locator("t"))
    for name in b.numbers:
        np.testing.assert_array_equal(a.numbers[name], b.numbers[name])
    for name in b.keys:
        label = lambda k: [k.labels[c] if c >= 0 else None for c in k.codes.tolist()]  # noqa: E731
        assert label(a.keys[name]) == label(b.keys[name])
        assert a.keys[name].codes.dtype.kind == "i"                       # signed: -1 = empty
    assert [a.targets[i] for i in a.row_targets] == [b.targets[i] for i in b.row_targets]
    np.testing.assert_array_equal(a.blank, b.blank)
    assert list(a.errors) == list(b.errors)
    np.testing.assert_array_equal(a.failed, np.not_equal(a.errors, None))
    for name in b.empty:
        np.testing.assert_array_equal(a.empty[name], b.empty[name])
    assert fast.get_column("gpu").to_list()[3] is None                    # the frame is untouched


def test_prepare_without_problems_makes_no_error_array(eng):
    fast, _ = frames()
    clean = fast.filter(pl.col("gpu").is_in(["A800", "H100-SXM"]) & pl.col("params").is_not_null()
                        & (pl.col("solve") == "n_gpus") & pl.col("train_time [days]").is_not_nan())
    prep = prepare(eng, clean, Locator("t"))
    assert prep.errors is None and not prep.failed.any() and len(prep.failed) == clean.height
    assert not prep.blank.any()


@pytest.mark.parametrize("side_values", [True, False])
def test_run_frame_results_match_between_fast_and_text_frames(eng, side_values, monkeypatch):
    fast, slow = frames()
    if not side_values:
        solve_columns = eng.solve_columns
        monkeypatch.setattr(eng, "solve_columns", lambda *a, **k: solve_columns(*a, **{**k, "side_values": False}))
    a, b = run_frame(fast, eng), run_frame(slow, eng)
    assert a.results.columns == b.results.columns
    keep = [c for c in a.results.columns if c not in fast.columns]
    assert a.results.select(keep).equals(b.results.select(keep))
    assert a.error_count == b.error_count == 3                            # no GPU, X900, params missing
    np.testing.assert_array_equal(a.error_mask, np.not_equal(a.batch.errors, None) & ~a.blank)


def test_products_write_only_into_their_own_temporaries():
    rng = np.random.default_rng(0)
    env = {n: rng.uniform(1, 2, 7) for n in "abcd"}
    env["e"] = np.broadcast_to(3.0, (7,))
    before = {n: v.copy() for n, v in env.items()}
    a, b, c, d, e = (env[n] for n in "abcde")
    var = lambda n: ("var", n)  # noqa: E731
    inv = lambda t: ("pow", t, ("num", -1.0))  # noqa: E731
    cases = [
        (("mul", (var("a"), inv(var("b")))), a / b),                                        # env / env
        (("mul", (var("a"), var("b"), inv(var("c")))), a * b / c),                          # temp / env
        (("mul", (var("a"), inv(var("b")), inv(var("c")))), a / (b * c)),                  # env / temp
        (("mul", (("num", 2.0), var("e"), inv(var("d")))), 2.0 * e / d),                    # broadcast input
        (("mul", (("add", (var("a"), var("b"))), inv(var("c")))), (a + b) / c),            # sub-expression temp
        (("mul", (var("a"), inv(("add", (var("c"), var("d")))))), a / (c + d)),
        (("mul", (var("a"), inv(var("a")))), a / a),
    ]
    for tree, expected in cases:
        got = compile_tree(tree)(env)
        np.testing.assert_allclose(got, expected, rtol=1e-15)
        for name, value in env.items():
            np.testing.assert_array_equal(value, before[name])
    sub = Columns({"a": a})
    sub.defer("b", lambda: b)
    np.testing.assert_allclose(compile_tree(("mul", (var("a"), inv(var("b")))))(sub), a / b, rtol=1e-15)


def test_rounding_judged_from_bounds_matches_rows_alone(eng):
    # micro_batch rounds down: the longest sequences fit less than one (an error), the others fit some
    seq = np.array([2048.0, 8192.0, 4096.0, 16384.0, 1024.0])
    rows = len(seq)
    keys = {name: Categorical(np.zeros(rows, dtype=np.int64), [label]) for name, label in
            (("model", "llama2-7b"), ("precision", "bf16"), ("gpu", "H200"), ("attention_kernel", "flash"))}
    numbers = {"seq_len": seq, "memory_fill": np.ones(rows)}
    batch = eng.solve_columns(numbers, keys, [("micro_batch",)], np.zeros(rows, np.int64), rows)
    assert "rounds down to 0" in batch.errors[1] and "rounds down to 0" in batch.errors[3]
    assert batch.errors[0] is None and batch.values["micro_batch"][0] >= 1
    for row in range(rows):
        row_numbers, row_keys, row_target = one_row(numbers, keys, np.zeros(rows, np.int64), row)
        assert_same_row(batch, row, eng.solve_columns(row_numbers, row_keys, [("micro_batch",)], row_target, 1))
    fits = eng.solve_columns({"seq_len": np.full(3, 1024.0), "memory_fill": np.ones(3)},
                             {n: Categorical(k.codes[:3], k.labels) for n, k in keys.items()},
                             [("micro_batch",)], np.zeros(3, np.int64), 3)
    assert not fits.failed.any() and (fits.values["micro_batch"] >= 1).all()


def test_advisory_checks_skipped_by_bounds_fire_like_the_masks(eng):
    rng = np.random.default_rng(5)
    for mfu in (rng.uniform(0.3, 0.55, 40), rng.uniform(0.2, 0.9, 40), np.r_[rng.uniform(0.3, 0.5, 39), NAN]):
        rows = len(mfu)
        numbers = {"params": np.full(rows, 7e9), "tokens": np.full(rows, 2e12), "train_time": np.full(rows, 30 * DAY),
                   "mfu": mfu}
        batch = eng.solve_columns(numbers, {"gpu": Categorical(np.zeros(rows, np.int64), ["A800"])},
                                  [("n_gpus",)], np.zeros(rows, np.int64), rows, side_values=False)
        warned = {cid: mask for cid, mask in batch.warnings}
        band = ((mfu < 0.3) | (mfu > 0.55)) & ~np.isnan(mfu)
        np.testing.assert_array_equal(warned.get("time.mfu_outside_band", np.zeros(rows, bool)), band)
        np.testing.assert_array_equal(warned.get("time.mfu_implausible", np.zeros(rows, bool)), mfu > 0.75)


def test_may_be_true_never_hides_a_row_that_fires():
    from engine.solve.numeric import may_be_true

    rng = np.random.default_rng(11)
    ops = ["<", "<=", ">", ">="]

    def condition(depth: int):
        if depth == 0 or rng.random() < 0.4:
            name, value = rng.choice(["x", "y"]), float(rng.choice([0.0, 0.3, 0.5, 1.0]))
            cmp = ("cmp", rng.choice(ops), ("var", str(name)), ("num", value))
            return cmp if rng.random() < 0.7 else ("cmp", rng.choice(ops), ("num", value), ("var", str(name)))
        kind = rng.choice(["and", "or", "not"])
        if kind == "not":
            return ("not", condition(depth - 1))
        return (str(kind), tuple(condition(depth - 1) for _ in range(2)))

    for _ in range(400):
        tree = condition(3)
        env = {n: rng.choice([0.0, 0.3, 0.5, 1.0, 0.2, 0.7], size=int(rng.integers(1, 6))) for n in "xy"}
        env = {n: np.resize(v, 6) for n, v in env.items()}
        fires = np.asarray(compile_tree(tree)(env), dtype=bool)
        if not may_be_true(tree, lambda n, env=env: (float(env[n].min()), float(env[n].max()))):
            assert not fires.any(), tree
        # a variable without bounds is never judged
        assert may_be_true(tree, lambda n: None) or "var" not in repr(tree)


def test_remembered_bounds_only_for_columns_nobody_writes():
    from engine.solve.numeric import remember_bounds, remembered_bounds

    frozen = np.array([3.0, 1.0, 2.0])
    frozen.flags.writeable = False
    remember_bounds(frozen, 1.0, 3.0)
    assert remembered_bounds(frozen) == (1.0, 3.0)
    assert remembered_bounds(frozen.copy()) is None                      # another array
    frozen.flags.writeable = True                                        # could change now: not trusted
    assert remembered_bounds(frozen) is None
    open_ = np.array([1.0, 2.0])
    remember_bounds(open_, 1.0, 2.0)
    assert remembered_bounds(open_) is None


def test_sweep_without_side_values_keeps_the_answers(eng, tmp_path):
    from engine.io.sweep_output import run_sweep
    from engine.table import sweep

    grid = sweep.parse_grid(eng, ["n_gpus"], {"params": "7B,70B", "tokens": "2T", "gpu": "A800,H100-SXM",
                                              "train_time": "10d..90d+20d", "mfu": "0.3..0.6+0.1",
                                              "recompute": "none,full"})
    lean = run_sweep(eng, grid, tmp_path / "lean.parquet", chunk_rows=37, side_values=False)
    full = run_sweep(eng, grid, tmp_path / "full.parquet", chunk_rows=37)
    a, b = pl.read_parquet(tmp_path / "lean.parquet"), pl.read_parquet(tmp_path / "full.parquet")
    assert lean.rows == full.rows == grid.total == a.height == b.height and lean.errors == full.errors == 0
    assert set(a.columns) < set(b.columns) and "gpu_hours [hour]" in b.columns
    assert a.drop("warnings").equals(b.select(a.columns).drop("warnings"))   # the same answers, in order
    ids = lambda text: {part.split(":")[0] for part in (text or "").split(" | ")}  # noqa: E731
    for lean_text, full_text in zip(a["warnings"].to_list(), b["warnings"].to_list()):
        # only warnings about side values (tokens per parameter) are missing
        assert ids(lean_text) <= ids(full_text)
        assert all(w.startswith("scaling.") for w in ids(full_text) - ids(lean_text))
    expected = [math.ceil(k * p * 2e12 / (peak * m * d * DAY) * (1 - 1e-12))
                for p in (7e9, 70e9) for peak in (312e12, 989e12) for d in (10, 30, 50, 70, 90)
                for m in (0.3, 0.4, 0.5, 0.6) for k in (6, 8)]
    assert a["n_gpus"].to_list() == expected
    assert a.filter(pl.col("mfu") > 0.55)["warnings"].str.contains("time.mfu_outside_band").all()


def test_interval_contains_every_computed_value():
    from engine.solve.numeric import interval

    rng = np.random.default_rng(17)
    names = ["a", "b", "c"]

    def tree(depth: int):
        roll = rng.random()
        if depth == 0 or roll < 0.3:
            return ("var", str(rng.choice(names))) if rng.random() < 0.75 else \
                ("num", float(rng.choice([0.5, 2.0, 6.0, 1 / 6, -1.0, 1e-200, 1e200])))
        kind = rng.choice(["mul", "add", "pow", "call"])
        if kind == "mul":
            parts = [tree(depth - 1) if rng.random() < 0.6 else ("pow", tree(depth - 1), ("num", -1.0))
                     for _ in range(int(rng.integers(2, 4)))]
            return ("mul", tuple(parts))
        if kind == "add":
            return ("add", tuple(tree(depth - 1) for _ in range(2)))
        if kind == "pow":
            return ("pow", tree(depth - 1), ("num", float(rng.choice([2.0, 0.5, -1.0, 3.0, -0.5]))))
        return ("call", str(rng.choice(["sqrt", "min", "max", "ceil"])), (tree(depth - 1), tree(depth - 1))[
            :1 if rng.random() < 0.5 else 2])

    proven = 0
    for _ in range(600):
        t = tree(3)
        if t[0] == "call" and t[1] in ("sqrt", "ceil") and len(t[2]) != 1:
            continue
        scale = {n: float(10.0 ** rng.uniform(-150, 150)) for n in names}
        env = {n: rng.uniform(0.5, 4.0, 64) * scale[n] for n in names}
        env["b"][3] = env["b"].min() * 0.999                  # the exact bounds are attained
        found = interval(t, lambda n, env=env: (float(env[n].min()), float(env[n].max())))
        with np.errstate(all="ignore"):
            values = np.broadcast_to(np.asarray(compile_tree(t)(env), dtype=float), (64,))
        if found is None:
            continue
        proven += 1
        assert np.isfinite(values).all() and (values > 0).all(), t
        assert found[0] <= values.min() and values.max() <= found[1], (t, found, values.min(), values.max())
    assert proven > 100
    assert interval(("mul", (("num", -1.0), ("var", "a"))), lambda n: (1.0, 2.0)) is None
    assert interval(("var", "a"), lambda n: (float("nan"), float("nan"))) is None
    assert interval(("var", "a"), lambda n: None) is None
    assert interval(("mul", (("var", "a"), ("var", "a"))), lambda n: (1e200, 1e200)) is None   # would overflow


def test_domains_proven_by_bounds_agree_with_reductions(eng):
    numbers, keys, row_targets = mixed_inputs()
    rows = len(row_targets)
    solver = eng.batch
    seen = []
    original = solver._all_in_domain

    def checking(name, col):
        answer = original(name, col)
        low, high = float(np.min(col)), float(np.max(col))
        domain = eng.rules.variables[name].domain
        exact = {"positive": low > 0 and high < np.inf, "integer": low > 0 and high < np.inf,
                 "fraction": low > 0 and high <= 1 + 1e-12, "nonnegative": low >= 0 and high < np.inf
                 }.get(domain, bool(np.isfinite(low) and np.isfinite(high)))
        assert answer == exact, (name, low, high)
        seen.append(name)
        return answer

    solver._all_in_domain = checking
    try:
        for side_values in (True, False):
            eng.solve_columns(numbers, keys, TARGETS, row_targets, rows, side_values=side_values)
            big = {"params": np.geomspace(1e9, 1e12, 300), "tokens": np.geomspace(1e11, 1e13, 300),
                   "train_time": np.full(300, 30 * DAY), "mfu": np.full(300, 0.4)}
            eng.solve_columns(big, {"gpu": Categorical(np.arange(300) % 2, ["A800", "H100-SXM"])}, [("n_gpus",)],
                              np.zeros(300, np.int64), 300, side_values=side_values)
    finally:
        del solver._all_in_domain
    assert {"n_gpus", "train_flops", "train_time"} <= set(seen)


@pytest.mark.parametrize("case", ["contradiction", "default_overridden", "underdetermined"])
def test_errors_and_notes_in_a_group_of_every_row(eng, case):
    rows = 6
    n_gpus = np.array([8.0, 16, 32, 64, 128, 256])
    days = np.array([10.0, 20, 30, 40, 50, 60])
    numbers = {"n_gpus": n_gpus, "train_time": days * DAY, "params": np.full(rows, 7e9), "tokens": np.full(rows, 2e12)}
    if case == "contradiction":      # gpu_hours = n_gpus · train_time, wrong in rows 1 and 4
        hours = n_gpus * days * DAY                                   # (base units: GPU-seconds)
        hours[[1, 4]] *= 1.5
        numbers["gpu_hours"] = hours
        targets = [("gpu_days",)]
    elif case == "default_overridden":   # 6·N·D is the default; rows 2 and 5 give other FLOPs
        flops = 6 * 7e9 * 2e12 * np.ones(rows)
        flops[[2, 5]] *= 4 / 3
        numbers["train_flops"] = flops
        # dense model given as such: since issue #14 N is active_share · params (MoE), and with the share
        # known flops_factor is the one value left for the rule to derive
        numbers["active_share"] = np.ones(rows)
        # 64x the GPUs: 8 A800s for 10 days would need mfu = 39 (issue #13 §4 refuses that now)
        numbers["n_gpus"] = n_gpus * 64
        targets = [("mfu",)]
    else:                            # nothing says how fast a GPU is
        targets = [("mfu",)]
    batch = eng.solve_columns(numbers, {} if case != "default_overridden" else
                              {"gpu": Categorical(np.zeros(rows, np.int64), ["A800"])},
                              targets, np.zeros(rows, np.int64), rows)
    group = batch.groups[0]
    assert list(group.rows) == list(range(rows)) and batch.group_of(3) is group
    for row in range(rows):
        row_numbers = {n: c[row:row + 1] for n, c in numbers.items()}
        row_keys = {} if case != "default_overridden" else {"gpu": Categorical(np.zeros(1, np.int64), ["A800"])}
        assert_same_row(batch, row, eng.solve_columns(row_numbers, row_keys, targets, np.zeros(1, np.int64), 1))
    if case == "contradiction":
        assert [e is not None for e in batch.errors] == [False, True, False, False, True, False]
        assert "contradict" in batch.errors[1]
    elif case == "default_overridden":
        # issue #13 §3: the default convention (6 FLOP/token) never bends to the givens; rows 2 and 5
        # give 8·N·D, which contradicts it (before: a warning and flops_factor = 8 silently used)
        assert [e is not None for e in batch.errors] == [False, False, True, False, False, True]
        assert "compute.train_flops" in batch.errors[2] and "flops_factor" in batch.errors[2]
    else:
        assert batch.failed.all() and all("mfu" in e or "peak_flops" in e for e in batch.errors)


def test_results_of_a_clean_table_match_the_same_rows_beside_a_bad_one(eng):
    # a clean table takes the broadcast paths (every row ok, every value known); one bad row more
    # makes every mask a real per-row mask: the clean rows' results must not change
    rng = np.random.default_rng(8)
    rows = 40
    clean = pl.DataFrame({
        "solve": pl.Series(["n_gpus"] * rows, dtype=pl.Enum(["n_gpus"])),
        "params": rng.uniform(1e9, 7e10, rows), "tokens": rng.uniform(1e11, 2e13, rows),
        "gpu": pl.Series(["A800", "H100-SXM"], dtype=pl.Enum(["A800", "H100-SXM"])).gather(rng.integers(0, 2, rows)),
        "train_time [days]": rng.uniform(10, 90, rows), "mfu": rng.uniform(0.2, 0.7, rows),
        "recompute": pl.Series(["full"] * rows, dtype=pl.Enum(["none", "full"])),
    })
    bad = clean.head(1).with_columns(pl.lit(-1.0).alias("params"))          # out of its domain
    both = pl.concat([clean, bad])
    a, b = run_frame(clean, eng), run_frame(both, eng)
    assert a.error_count == 0 and b.error_count == 1
    assert a.results.columns == b.results.columns
    assert a.results.equals(b.results.head(rows))
    assert a.fills.keys() == b.fills.keys()
    for name, codes in a.fills.items():
        np.testing.assert_array_equal(np.broadcast_to(codes, (rows,)), np.asarray(b.fills[name])[:rows])
    assert a.assumptions and [(n, v, s) for n, v, s, _ in a.assumptions] == [(n, v, s) for n, v, s, _ in b.assumptions]

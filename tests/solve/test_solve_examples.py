"""The questions issue #2 names, answered end to end, against hand calculations written here."""
from __future__ import annotations

import json
import math
import subprocess
import sys

import pytest

from engine import ContradictionError, UnderdeterminedError, ValueParseError

DAY = 86400.0


def test_train_time_with_full_recomputation(eng):
    # seed §4b: time = 8 · tokens · N / (n_gpus · peak · mfu); A100 80GB PCIe peak 312 TFLOPS (seed §5)
    expected = 8 * 7e9 * 1e12 / (64 * 312e12 * 0.4)  # = 7.0112e6 s ≈ 81.15 days
    r = eng.solve(["train_time"], {"params": "7B", "tokens": "1T", "gpu": "A100-80GB-PCIe", "n_gpus": 64,
                                   "mfu": 0.4, "recompute": "full"})
    assert r.values["train_time"] == pytest.approx(expected, rel=1e-12)
    assert r.values["train_time"] / DAY == pytest.approx(81.148, abs=1e-3)
    assert r.status["train_time"] == "solved"
    assert r.status["peak_flops"] == "catalog"


def test_n_gpus_is_rounded_up_and_time_recomputed(eng):
    # 8 · 7e9 · 2e12 / (312e12 · 0.4 · 30 days) = 346.23 GPUs -> 347; time for 347 GPUs recomputed
    raw = 8 * 7e9 * 2e12 / (312e12 * 0.4 * 30 * DAY)
    assert raw == pytest.approx(346.233, abs=1e-3)
    r = eng.solve(["n_gpus"], {"params": "7B", "tokens": "2T", "gpu": "A800", "train_time": "30d", "mfu": 0.4,
                               "recompute": "full"})
    assert r.values["n_gpus"] == 347
    assert r.rounded["n_gpus"] == (pytest.approx(raw, rel=1e-12), 347)
    assert r.values["train_time"] == pytest.approx(8 * 7e9 * 2e12 / (347 * 312e12 * 0.4), rel=1e-12)
    assert r.status["train_time"] == "recomputed"
    assert r.values["train_time"] < 30 * DAY
    phases = [(s.phase, s.unknowns) for s in r.derivation if s.needed]
    assert ("solve", ("n_gpus",)) in phases and ("recompute", ("train_time",)) in phases


def test_tokens_for_a_gpu_day_budget(eng):
    # 10,000 GPU-days × 86400 s × 312e12 × 0.4 / (6 · 7e9) = 2.5673e12 tokens
    expected = 10_000 * DAY * 312e12 * 0.4 / (6 * 7e9)
    r = eng.solve(["tokens"], {"params": "7B", "gpu": "A800", "gpu_days": 10000, "mfu": 0.4, "recompute": "none"})
    assert r.values["tokens"] == pytest.approx(expected, rel=1e-12)
    assert r.values["tokens"] == pytest.approx(2.567e12, rel=1e-3)


def test_seed_training_memory_is_20_bytes_per_parameter(eng):
    # seed §3: fp32 weights 4 B + fp32 grads 4 B + Adam 12 B = 20 B/param -> 7e9 × 20 = 140 GB
    r = eng.solve(["train_memory"], {"params": "7B", "precision": "seed-fp32", "optimizer": "adam"})
    assert r.values["train_memory"] == pytest.approx(140e9, rel=1e-12)
    sgd = eng.solve(["optimizer_bytes_per_param"], {"precision": "seed-fp32", "optimizer": "sgd-momentum"})
    assert sgd.values["optimizer_bytes_per_param"] == 8  # seed §3c: SGD needs 8 bytes


def test_utilization_from_gpu_hours_alone(eng):
    # mfu = 6 · N · D / (peak · GPU-seconds): no n_gpus or train_time needed
    r = eng.solve(["mfu"], {"params": "7B", "tokens": "2T", "gpu": "A800", "gpu_hours": 250_000})
    assert r.values["mfu"] == pytest.approx(6 * 7e9 * 2e12 / (312e12 * 250_000 * 3600), rel=1e-12)


def test_seed_storage_figure_needs_a_two_byte_encoding(eng):
    # seed §8: 1B tokens × 1.4–1.7 chars × 2 bytes ≈ 3 GB; with UTF-8 (3 bytes per CJK char) it is 1.5× that
    two = eng.solve(["corpus_bytes"], {"unique_tokens": "1B", "chars_per_token": 1.5, "encoding": "seed-2byte"})
    utf8 = eng.solve(["corpus_bytes"], {"unique_tokens": "1B", "chars_per_token": 1.5, "encoding": "utf-8-zh"})
    assert two.values["corpus_bytes"] == pytest.approx(3.0e9)
    assert utf8.values["corpus_bytes"] == pytest.approx(4.5e9)


def test_underdetermined_names_what_to_give(eng):
    with pytest.raises(UnderdeterminedError) as info:
        eng.solve(["n_gpus"], {"params": "7B", "tokens": "2T", "gpu": "A800", "mfu": 0.4})
    assert "to solve n_gpus also give one of: train_time" in str(info.value)
    assert "train_time" in info.value.suggestions


def test_contradiction_is_reported_with_its_size(eng):
    # 64 GPUs × 30 days = 1920 GPU-days, not 2000: 4% apart
    with pytest.raises(ContradictionError) as info:
        eng.solve(["mfu"], {"params": "7B", "tokens": "1T", "gpu": "A800", "n_gpus": 64, "train_time": "30d",
                            "gpu_days": 2000})
    message = str(info.value)
    assert "4.00%" in message and "gpu_days=2,000 day" in message
    assert "from n_gpus, train_time" in message   # the derived side is traced back to what was given


@pytest.mark.parametrize("name, value, fragment", [
    ("train_time", "80GB", "train_time: '80GB' is [information]"),
    ("mfu", "1.7", "must be a fraction between 0 and 1"),
    ("params", "-7B", "must be greater than 0"),
    ("gpu", "A8000", "Did you mean: A800"),
])
def test_bad_values_are_refused_with_the_variable_named(eng, name, value, fragment):
    givens = {"params": "7B", "tokens": "2T", "gpu": "A800", "mfu": 0.4, "train_time": "30d", name: value}
    with pytest.raises(ValueParseError) as info:
        eng.solve(["n_gpus"], givens)
    assert fragment in str(info.value)


def test_user_value_overrides_catalog_figure(eng):
    r = eng.solve(["train_time"], {"params": "7B", "tokens": "1T", "gpu": "A800", "peak_flops": "280 TFLOPS",
                                   "n_gpus": 64, "mfu": 0.4})
    assert r.values["peak_flops"] == 280e12 and r.status["peak_flops"] == "given"
    assert r.values["train_time"] == pytest.approx(6 * 7e9 * 1e12 / (64 * 280e12 * 0.4))


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "engine", *args], capture_output=True, text=True, timeout=120)


def test_cli_json_contract():
    out = _cli("solve", "n_gpus", "params=7B", "tokens=2T", "gpu=A800", "train_time=30d", "mfu=0.4",
               "recompute=full", "--json")
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert data["solved"] == ["n_gpus"]
    assert data["values"]["n_gpus"] == {**data["values"]["n_gpus"], "value": 347.0, "unit": ""}
    assert data["values"]["train_flops"]["unit"] == "FLOP"
    assert data["values"]["train_flops"]["value"] == pytest.approx(1.12e23)
    assert data["values"]["train_time"]["unit"] == "s"           # SI base units in JSON
    assert data["values"]["peak_flops"]["unit"] == "FLOP/s"
    assert isinstance(data["warnings"], list) and all({"code", "message"} <= set(w) for w in data["warnings"])


def test_cli_exit_codes_and_messages():
    missing = _cli("solve", "n_gpus", "params=7B", "tokens=2T", "gpu=A800", "mfu=0.4")
    assert missing.returncode == 1
    assert "to solve n_gpus also give one of: train_time" in missing.stderr
    assert "Traceback" not in missing.stderr
    bad = _cli("solve", "n_gpus", "params=7B", "train_time=80GB")
    assert bad.returncode == 2 and "train_time" in bad.stderr and "Traceback" not in bad.stderr


def test_cli_text_and_chinese_labels():
    # issue #15: the derivation is shown with -v; times in human units, three digits ("60.9 天")
    out = _cli("solve", "train_time", "params=7B", "tokens=1T", "gpu=A800", "n_gpus=64", "mfu=0.4", "--lang", "zh",
               "-v")
    assert out.returncode == 0, out.stderr
    assert "答案" in out.stdout and "推导过程" in out.stdout and "训练耗时" in out.stdout
    days = 6 * 7e9 * 1e12 / (64 * 312e12 * 0.4) / DAY   # 60.86 days
    assert f"{days:.1f} 天" in out.stdout
    assert math.isclose(days, 60.86, abs_tol=0.01)


def test_approximate_rule_warns_on_a_small_miss(eng):
    # LLaMA-7B has 6,738,415,616 parameters (its config); "7B" is (7e9 - 6.738e9) / 7e9 = 3.7 % off (gaps are
    # relative to the larger side): beyond the 2 % tolerance of
    # architecture.params, within 5× of it -> a warning, and the given 7B is used
    r = eng.solve(["train_flops"], {"model": "llama-7b", "params": "7B", "tokens": "1T"})
    assert r.values["train_flops"] == pytest.approx(6 * 7e9 * 1e12)
    codes = {w.code: w.message for w in r.warnings}
    assert "3.7%" in codes["mismatch.architecture.params"]

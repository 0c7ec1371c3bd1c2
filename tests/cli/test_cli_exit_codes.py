"""Exit codes scripts can rely on (README "Exit codes"): 0 answered, 1 unanswerable, 2 usage/input error.

Most cases run engine.cli.main in-process (the console script calls exactly that); a few run
`python -m engine` in a subprocess so the real process exit status is checked too. Whatever
the code, stderr holds `llmplan: ...` lines and never a traceback.
"""
from __future__ import annotations

import json
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from engine.cli import main

OK, ROWS, INPUT = 0, 1, 2
TIME = ["params=7B", "tokens=2T", "gpu=A800", "mfu=0.4"]


def call(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    try:
        code = main(list(argv))
    except SystemExit as exc:   # argparse usage errors
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    assert "Traceback" not in err and "Traceback" not in out
    return code, out, err


def one_line_error(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("llmplan: "), err
    return lines[0]


# -- 0: answered ------------------------------------------------------------------------------------
@pytest.mark.parametrize("argv", [
    ["solve", "n_gpus", *TIME, "train_time=30d"],
    ["solve", "train_time", *TIME, "n_gpus=256", "--json"],
    ["solve", "train_time", "gpu_hours", *TIME, "n_gpus=256", "--lang", "zh"],
    ["rules"],
    ["catalog", "gpus"],
    ["explain", "mfu"],
])
def test_answered_questions_exit_0(capsys: pytest.CaptureFixture[str], argv: list[str]) -> None:
    code, out, err = call(capsys, *argv)
    assert code == OK, err
    assert out.strip()
    if "--json" in argv:
        assert json.loads(out)["solved"] == ["train_time"]


# -- 1: the question cannot be answered --------------------------------------------------------------
@pytest.mark.parametrize("argv, needle", [
    (["solve", "n_gpus", "params=7B"], "to solve n_gpus"),                                  # under-determined
    (["solve", "n_gpus", "params=7B", "tokens=2T"], "n_gpus"),
    (["solve", "train_time", *TIME, "n_gpus=8", "train_flops=1e20", "recompute=none"], "contradict"),
    (["solve", "train_flops", "params=1e200", "tokens=1e200"], "no valid value for param_flops"),   # overflow
    (["solve", "n_gpus", *TIME, "train_time=1e-300"], "no valid value"),
])
def test_unanswerable_questions_exit_1(capsys: pytest.CaptureFixture[str], argv: list[str], needle: str) -> None:
    code, out, err = call(capsys, *argv)
    assert code == ROWS, (code, out, err)
    assert out == ""
    assert needle in one_line_error(err)


def test_contradiction_says_by_how_much(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = call(capsys, "solve", "train_time", *TIME, "n_gpus=8", "train_flops=1e20", "recompute=none")
    assert code == ROWS
    assert "differ by" in err and "%" in err and "train_flops" in err


# -- 2: usage or input errors -----------------------------------------------------------------------
@pytest.mark.parametrize("argv, needle", [
    (["solve", "n_gpus", "params=seven"], "params: 'seven' is not a number"),
    (["solve", "n_gpus", "prams=7B"], "unknown variable 'prams'"),
    (["solve", "nope", "params=7B"], "unknown variable 'nope'"),
    (["solve", "params", "params=7B"], "both given and asked"),
    (["solve", "gpu", "params=7B"], "is a catalog key or convention"),
    (["solve", "params=7B"], "name at least one variable"),
    (["solve", "n_gpus", "gpu=B9000", *TIME[:2]], "gpu: unknown value 'B9000'"),
    (["solve", "n_gpus", "mfu=1.5", *TIME[:3]], "mfu: must be a fraction"),
    (["solve", "n_gpus", "params=7B", "params=8B"], "given twice"),
    (["solve", "n_gpus", "=7B"], "write NAME=VALUE"),
    (["solve", "n_gpus", *TIME, "train_time=30 parsecs"], "unknown unit"),
])
def test_bad_input_exits_2_with_one_line(capsys: pytest.CaptureFixture[str], argv: list[str], needle: str) -> None:
    code, out, err = call(capsys, *argv)
    assert code == INPUT, (code, out, err)
    assert out == ""
    assert needle in one_line_error(err)


@pytest.mark.parametrize("argv", [[], ["frobnicate"], ["solve"], ["solve", "n_gpus", "--lang", "fr"],
                                  ["solve", "n_gpus", "--no-such-option"]])
def test_usage_errors_exit_2(capsys: pytest.CaptureFixture[str], argv: list[str]) -> None:
    code, _, err = call(capsys, *argv)
    assert code == INPUT
    assert err.strip()


def test_help_exits_0(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = call(capsys, "solve", "--help")
    assert code == OK and "NAME=VALUE" in out


# -- rule files and catalogs on the command line -------------------------------------------------------
GOOD_RULES = """\
variables:
  tokens_per_gpu:
    unit: token
    en: Tokens each GPU processes
    zh: 每卡处理的 token 数
equations:
  - id: user.tokens_per_gpu
    eq: tokens = tokens_per_gpu * n_gpus
    source: definition
    en: tokens shared over GPUs
    zh: token 平均分到每张卡
"""
MY_GPU = """\
variable: gpu
fields: {peak_flops: TFLOPS, gpu_memory: GB}
entries:
  MyGPU:
    peak_flops: 500
    gpu_memory: 96
    source: vendor datasheet rev 3
"""


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def test_user_rules_and_catalog_are_used(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    rules = tmp_path / "rules"
    rules.mkdir()
    write(rules, "mine.yaml", GOOD_RULES)
    gpus = write(tmp_path, "gpus.yaml", MY_GPU)
    code, out, err = call(capsys, "solve", "tokens_per_gpu", "train_time", "params=7B", "tokens=2T", "gpu=MyGPU",
                          "n_gpus=100", "mfu=0.4", "--rules", str(rules), "--catalog", str(gpus), "--json")
    assert code == OK, err
    values = json.loads(out)["values"]
    assert values["tokens_per_gpu"]["value"] == pytest.approx(2e10)
    assert values["peak_flops"]["value"] == pytest.approx(5e14)


@pytest.mark.parametrize("option", ["--rules", "--catalog"])
def test_bad_user_files_exit_2_with_file_and_line(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                                  option: str) -> None:
    bad = write(tmp_path, "bad.yaml", GOOD_RULES.replace("tokens_per_gpu * n_gpus", "tokens_per_gpu * n_gpuz"))
    code, out, err = call(capsys, "solve", "n_gpus", *TIME, "train_time=30d", option, str(bad))
    assert code == INPUT and out == ""
    assert f"{bad}:8: equation 'user.tokens_per_gpu': unknown name 'n_gpuz'" in err
    assert "did you mean 'n_gpus'?" in err


def test_user_file_redeclaring_a_bundled_variable_exits_2(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    bad = write(tmp_path, "shadow.yaml", GOOD_RULES.replace("tokens_per_gpu:\n    unit: token", "params:\n    unit: ''"))
    code, _, err = call(capsys, "solve", "n_gpus", *TIME, "train_time=30d", "--rules", str(bad))
    assert code == INPUT
    assert f"{bad}:2: variable 'params' is already declared at " in err and "compute.yaml:" in err


def test_user_catalog_replacing_a_gpu_exits_2(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    bad = write(tmp_path, "gpus.yaml", MY_GPU.replace("MyGPU", "A800"))
    code, _, err = call(capsys, "solve", "n_gpus", *TIME, "train_time=30d", "--catalog", str(bad))
    assert code == INPUT
    assert f"{bad}:4: gpu entry 'A800' already exists at " in err and "gpus.yaml:" in err


@pytest.mark.parametrize("what", ["missing file", "empty folder", "not yaml"])
def test_unusable_rule_paths_exit_2(capsys: pytest.CaptureFixture[str], tmp_path: Path, what: str) -> None:
    path = {"missing file": tmp_path / "nope.yaml", "empty folder": tmp_path,
            "not yaml": write(tmp_path, "x.yaml", "\x00\x01 binary: [")}[what]
    code, _, err = call(capsys, "solve", "n_gpus", *TIME, "train_time=30d", "--rules", str(path))
    assert code == INPUT
    assert err.startswith("llmplan: ") and str(path) in err


# -- llmplan rules --check --------------------------------------------------------------------------
def test_rules_check_accepts_a_good_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = write(tmp_path, "mine.yaml", GOOD_RULES)
    code, out, err = call(capsys, "rules", "--check", str(path))
    assert code == OK, err
    assert out.startswith("ok: ") and " variables, " in out and " equations" in out and str(path) in out


def test_rules_check_accepts_a_folder_with_a_gpu(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    write(tmp_path, "mine.yaml", GOOD_RULES)
    write(tmp_path, "gpus.yml", MY_GPU)
    code, out, err = call(capsys, "rules", "--check", str(tmp_path))
    assert code == OK, err
    assert "mine.yaml" in out and "gpus.yml" in out


@pytest.mark.parametrize("mistake, text, where, needle", [
    ("bad YAML", "variables:\n  foo: [1,\n", 3, "not valid YAML"),
    ("typo", GOOD_RULES.replace("    eq:", "    eqn:"), 7, "unknown key 'eqn' (did you mean 'eq'?)"),
    ("units", GOOD_RULES.replace("tokens_per_gpu * n_gpus", "tokens_per_gpu * train_time"), 8,
     "not dimensionally consistent"),
    ("no source", GOOD_RULES.replace("    source: definition\n", ""), 7, "has no 'source'"),
])
def test_rules_check_reports_file_line_and_exits_2(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                                   mistake: str, text: str, where: int, needle: str) -> None:
    path = write(tmp_path, "mine.yaml", text)
    code, out, err = call(capsys, "rules", "--check", str(path))
    assert code == INPUT, (mistake, out, err)
    assert out == ""
    assert f"{path}:{where}: " in err and needle in err, err


def test_subprocess_exit_codes(llmplan: Callable[..., Any], tmp_path: Path) -> None:
    """The real process status, through `python -m engine` (entry() -> sys.exit(main()))."""
    assert llmplan("solve", "n_gpus", *TIME, "train_time=30d").returncode == OK
    under = llmplan("solve", "n_gpus", "params=7B")
    assert under.returncode == ROWS and "Traceback" not in under.stderr
    bad = llmplan("solve", "n_gpus", "params=seven")
    assert bad.returncode == INPUT and bad.stderr.startswith("llmplan: ") and "Traceback" not in bad.stderr
    check = llmplan("rules", "--check", str(write(tmp_path, "bad.yaml", "variables: [")))
    assert check.returncode == INPUT and "not valid YAML" in check.stderr and "Traceback" not in check.stderr


def test_an_internal_bug_exits_3_without_traceback(capsys: pytest.CaptureFixture[str],
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    from engine.solve import solver

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise ZeroDivisionError("simulated bug")

    monkeypatch.setattr(solver.Engine, "solve", broken)
    try:
        code = main(["solve", "n_gpus", *TIME, "train_time=30d"])
    except ZeroDivisionError:
        code = 1   # what the process would exit with (traceback printed)
    _, err = capsys.readouterr()
    assert code == 3
    assert err.startswith("llmplan: ") and "Traceback" not in err


def test_a_bug_while_solving_exits_3_with_one_line(capsys: pytest.CaptureFixture[str],
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    # A non-llmplan exception inside the batch solver is turned into an internal-error row (the other rows of
    # a workbook still answer); for `solve` that one row is the question, and its exit code is 3, not 1.
    from engine.solve.batch import BatchSolver

    def broken(self: Any, *args: Any, **kwargs: Any) -> None:
        raise AttributeError("'frozenset' object has no attribute 'add'")

    monkeypatch.setattr(BatchSolver, "_solve_group", broken)
    code, _, err = call(capsys, "solve", "n_gpus", *TIME, "train_time=30d")
    assert code == 3
    assert "internal error" in one_line_error(err)

"""`--lang zh` says file, value, sweep, training-config and convert errors in Chinese, through the real
command line, and keeps where they are (file, file:line, file!cell) (issue #15).

Each case also runs in English to show the same error is found there (the Chinese text is a translation
of it, not another error)."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.conftest import run_llmplan

CJK = re.compile(r"[\u4e00-\u9fff]")
ENGLISH_WORDS = re.compile(r"\b(?:no such|must be|not a|refusing|give|write|expected|found)\b")


def _chinese_error(args: list[str], code: int, cwd: Path) -> str:
    """stderr of `llmplan ARGS --lang zh`: the exit code expected, Chinese, no English sentence left."""
    done = run_llmplan(*args, "--lang", "zh", cwd=cwd)
    assert done.returncode == code, done.stderr
    err = done.stderr
    assert CJK.search(err), err
    assert not ENGLISH_WORDS.search(err), f"English left in: {err}"
    assert "Traceback" not in err
    return err


def _english_error(args: list[str], code: int, cwd: Path) -> str:
    done = run_llmplan(*args, cwd=cwd)
    assert done.returncode == code, done.stderr
    assert not CJK.search(done.stderr), done.stderr
    return done.stderr


def test_a_missing_scenario_file(tmp_path: Path) -> None:
    args = ["run", "nope.xlsx", "-o", "out.xlsx"]
    assert "nope.xlsx: no such file" in _english_error(args, 2, tmp_path)
    err = _chinese_error(args, 2, tmp_path)
    assert "nope.xlsx：文件不存在" in err          # the path stays in front


def test_csv_text_saved_with_an_xlsx_name(tmp_path: Path) -> None:
    (tmp_path / "scenarios.xlsx").write_text("solve,params\ntrain_flops,7B\n", encoding="utf-8")
    args = ["run", "scenarios.xlsx", "-o", "out.csv"]
    assert "this is CSV text" in _english_error(args, 2, tmp_path)
    err = _chinese_error(args, 2, tmp_path)
    assert "scenarios.xlsx：无法读取的工作簿" in err and "CSV 文本" in err and "改名为 .csv" in err


def test_an_unsupported_file_type(tmp_path: Path) -> None:
    (tmp_path / "scenarios.txt").write_text("solve,params\n", encoding="utf-8")
    err = _chinese_error(["run", "scenarios.txt", "-o", "out.csv"], 2, tmp_path)
    assert "scenarios.txt：不支持的文件类型 .txt" in err


@pytest.mark.parametrize("value, english, chinese", [
    ("abc", "'abc' is not a number; expected e.g. 7B or 0.4", "'abc' 不是数字；应为例如 7B 或 0.4"),
    ("-7B", "must be greater than 0, got -7e+09", "必须大于 0，实际为 -7e+09"),   # -7B = -7e9 parameters
])
def test_a_bad_or_negative_value_on_the_command_line(tmp_path: Path, value: str, english: str, chinese: str) -> None:
    args = ["solve", "n_gpus", f"params={value}", "tokens=2T", "gpu=A800", "train_time=30d"]
    assert f"params: {english}" in _english_error(args, 2, tmp_path)
    assert f"params：{chinese}" in _chinese_error(args, 2, tmp_path)


def test_bad_values_in_cells_keep_their_cell_address(tmp_path: Path) -> None:
    (tmp_path / "s.csv").write_text("solve,params,tokens,gpu,mfu,train_time [days]\n"
                                    "n_gpus,abc,2T,A800,0.4,30\n"
                                    "n_gpus,-7B,2T,A800,0.4,30\n", encoding="utf-8")
    args = ["run", "s.csv", "-o", "out.csv"]
    english = _english_error(args, 1, tmp_path)
    assert "s.csv!B2: params: 'abc' is not a number" in english and "s.csv!B3: params: must be greater" in english
    err = _chinese_error(args, 1, tmp_path)
    assert "s.csv!B2: params：'abc' 不是数字" in err
    assert "s.csv!B3: params：必须大于 0" in err


def test_a_sweep_range_without_a_step(tmp_path: Path) -> None:
    args = ["sweep", "train_time", "params=7B", "tokens=2T", "gpu=A800", "n_gpus=8..1024"]
    assert "n_gpus: '8..1024': write a range with a step" in _english_error(args, 2, tmp_path)
    err = _chinese_error(args, 2, tmp_path)
    assert "n_gpus：'8..1024'：范围须带步长" in err and "8..1024*2" in err


def test_a_training_config_key_set_twice_keeps_file_and_line(tmp_path: Path) -> None:
    (tmp_path / "sft.yaml").write_text("model_name_or_path: Qwen/Qwen2-7B\nstage: sft\nstage: pt\n",
                                       encoding="utf-8")
    args = ["preflight", "sft.yaml", "--gpu", "A800"]
    assert "sft.yaml:3: stage is set twice (first at line 2)" in _english_error(args, 2, tmp_path)
    err = _chinese_error(args, 2, tmp_path)
    assert "sft.yaml:3：stage 被设置了两次（第一次在第 2 行）" in err


def test_a_training_config_value_of_the_wrong_kind(tmp_path: Path) -> None:
    (tmp_path / "sft.yaml").write_text("model_name_or_path: Qwen/Qwen2-7B\nstage: sft\n"
                                       "per_device_train_batch_size: many\n", encoding="utf-8")
    err = _chinese_error(["preflight", "sft.yaml", "--gpu", "A800"], 2, tmp_path)
    assert "sft.yaml:3：per_device_train_batch_size 必须是整数" in err


def test_convert_refuses_a_destination_inside_the_source(tmp_path: Path) -> None:
    (tmp_path / "ckpt").mkdir()
    args = ["convert", "baichuan2-to-baichuan1", "ckpt", "ckpt/out"]
    assert "destination ckpt/out is inside the source ckpt; refusing" in _english_error(args, 2, tmp_path)
    err = _chinese_error(args, 2, tmp_path)
    assert err.startswith("错误：目标 ckpt/out 位于源 ckpt 之内；拒绝写入源目录")

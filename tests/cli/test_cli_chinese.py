"""`--lang zh` for the command line's own lines and the errors it words (issue #15)."""
from __future__ import annotations

import re

import xlsxwriter

from engine.cli.app import main
from engine.errors import ValueParseError
from engine.messages import keyed, localized

CJK = re.compile(r"[\u4e00-\u9fff]")


def test_unknown_value_and_suggestions_in_chinese(capsys):
    assert main(["solve", "n_gpus", "gpu=A900", "params=7B", "--lang", "zh"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("llmplan：gpu：未知取值 'A900'")
    assert "是否想写：A800" in err and "Did you mean" not in err and "Known" not in err
    # English stays as it was
    assert main(["solve", "n_gpus", "gpu=A900", "params=7B"]) == 2
    assert "unknown value 'A900'. Did you mean: A800" in capsys.readouterr().err


def test_underdetermined_in_chinese(capsys):
    assert main(["solve", "n_gpus", "params=7B", "tokens=2T", "gpu=A800", "mfu=0.4", "--lang", "zh"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("llmplan：要求解 n_gpus，还需给出以下之一：") and "train_time" in err
    assert "also give" not in err


def test_run_summary_in_chinese(tmp_path, capsys):
    source = tmp_path / "in.xlsx"
    book = xlsxwriter.Workbook(str(source))
    sheet = book.add_worksheet("scenarios")
    sheet.write_row(0, 0, ["name", "solve", "params", "tokens", "gpu"])
    sheet.write_row(1, 0, ["ok", "train_flops", "7B", "2T", "A800"])
    sheet.write_row(2, 0, ["bad", "train_flops", "7B", "2T", "A900"])
    book.close()
    assert main(["run", str(source), "-o", str(tmp_path / "out.xlsx"), "--lang", "zh"]) == 1
    err = capsys.readouterr().err
    assert "共 2 行：1 行已解答，1 行出错" in err and "rows:" not in err
    # the row's error names its cell and says the unknown key in Chinese, in the summary and the workbook
    assert "bad: scenarios!E3: gpu：未知取值 'A900'。是否想写：A800" in err
    import openpyxl

    results = openpyxl.load_workbook(tmp_path / "out.xlsx")["results"]
    header = [c.value for c in results[1]]
    errors = [row[header.index("error")] for row in results.iter_rows(min_row=2, values_only=True)]
    assert errors[1].startswith("scenarios!E3: gpu：未知取值 'A900'") and "Did you mean" not in errors[1]


def test_localized_keeps_a_cell_address_added_on_the_way_up():
    exc = keyed(ValueParseError, "values.given_twice", name="params", first="7B", second="8B")
    wrapped = ValueParseError(f"scenarios!C3: {exc}")
    wrapped.message_key, wrapped.message_fields = exc.message_key, exc.message_fields
    assert localized(wrapped, "zh") == "scenarios!C3: params 被给定了两次（'7B' 与 '8B'）"
    assert localized(wrapped, "en") == "scenarios!C3: params is given twice ('7B' and '8B')"


def test_template_success_line_in_chinese(tmp_path, capsys):
    assert main(["template", str(tmp_path / "t.xlsx"), "--lang", "zh"]) == 0
    err = capsys.readouterr().err
    assert err.startswith("llmplan：已写入") and CJK.search(err) and "fill it in" not in err


def test_verbose_chinese_has_no_english_engine_sentences(capsys):
    assert main(["solve", "n_gpus", "params=7B", "tokens=2T", "gpu=A800", "train_time=30d", "mfu=0.4",
                 "recompute=full", "-v", "--lang", "zh"]) == 0
    out = capsys.readouterr().out
    # 8 * 7e9 * 2e12 / (0.4 * 312e12 * 30 * 86400) = 346.23 -> 347, said in Chinese with the raw value
    assert "n_gpus = 346.23，向上取整为 347" in out
    for english in ("rounded up", "recomputed for", "Derivation", "Also derived", "From the catalog", "Warnings"):
        assert english not in out, english

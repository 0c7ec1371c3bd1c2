"""An error caught and said inside another message is said in that message's language (Caught), and a
message may have a field called `key` (issue #15)."""
from __future__ import annotations

from pathlib import Path

import pytest

from engine.errors import ScenarioError, ValueParseError
from engine.io.results_workbook import outcome_from_workbook
from engine.messages import Caught, keyed, localized, said, text


def test_a_caught_error_inside_another_is_said_in_chinese() -> None:
    inner = keyed(ScenarioError, "io.no_such_file", path="a.xlsx")
    outer = keyed(ValueParseError, "sheets.results_inputs", problem=Caught(inner), sheet="inputs")
    assert str(outer).startswith("a.xlsx: no such file (a results workbook")
    assert localized(outer, "zh") == ("a.xlsx：文件不存在（`llmplan run` 生成的结果工作簿把所用的场景保存在其 "
                                      "`inputs` 工作表中）")


def test_a_caught_plain_error_stays_as_raised() -> None:
    assert text("sweep.bad_bound", "zh", spec="1..x", problem=Caught(ValueError("odd"))) == "'1..x'：odd"


def test_a_row_error_keeps_its_cell_and_its_key() -> None:
    row = said("s.csv!B2: ", keyed(ValueParseError, "values.must_be_positive", name="params", value=-7e9))
    assert row == "s.csv!B2: params: must be greater than 0, got -7e+09"
    assert localized(row, "zh") == "s.csv!B2: params：必须大于 0，实际为 -7e+09"


def test_a_field_may_be_called_key() -> None:
    exc = keyed(ScenarioError, "training.key_twice", where="a.yaml:3", key="stage", first=2)
    assert str(exc) == ("a.yaml:3: stage is set twice (first at line 2); YAML would keep only the last one, "
                        "so write it once")


def test_a_results_workbook_without_its_inputs_sheet_is_said_in_chinese(tmp_path: Path) -> None:
    import xlsxwriter

    path = tmp_path / "results.xlsx"
    book = xlsxwriter.Workbook(str(path))
    book.add_worksheet("results").write_row(0, 0, ["params"])
    book.close()
    with pytest.raises(ValueParseError) as caught:
        outcome_from_workbook(path)
    said_zh = localized(caught.value, "zh")
    assert "没有名为 'inputs' 的工作表" in said_zh and "结果工作簿" in said_zh and str(path) in said_zh

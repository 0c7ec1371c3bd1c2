"""Hostile and odd input, round two (issue #18): each class of the campaign's findings as a test.

Runs engine.cli.main in-process (what the console script calls). Every case checks the exit code
a script relies on (0 answered, 1 rows with errors, 2 the file/input refused; never 3), that
stderr names the file/cell and has no traceback, and where data passes through, that it is
kept exactly. The files are built small in tmp dirs (tests/hostile_files.py).
"""
from __future__ import annotations

import datetime
import errno
import hashlib
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import openpyxl
import polars as pl
import pytest
import xlsxwriter

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import hostile_files as hf  # noqa: E402

from engine.cli import main  # noqa: E402

HEADER = hf.HEADER
GOOD = hf.GOOD_ROW
NUMERIC_TEXT = ["0012", "007", "9007199254740993", "123456789012345678901", "INF", "1e309", "NaN", "-0", "1.50",
                "+5", " 7"]


def call(capsys: pytest.CaptureFixture[str], *argv: str, bug: bool = False) -> tuple[int, str]:
    """`bug`: the test plants a bug, so exit 3 (a bug hit) is expected rather than refused."""
    try:
        code = main([str(a) for a in argv])
    except SystemExit as exc:
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    assert "Traceback" not in err + out
    assert bug or code != 3, err
    return code, err


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def xlsx(path: Path, rows: list[list[Any]]) -> Path:
    """rows[0] is the header; a (value, number format) tuple writes a formatted number."""
    book = xlsxwriter.Workbook(str(path), {"strings_to_numbers": False, "strings_to_formulas": False})
    ws = book.add_worksheet("scenarios")
    formats: dict[str, Any] = {}
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            if value is None:
                continue
            if isinstance(value, tuple):
                fmt = formats.setdefault(value[1], book.add_format({"num_format": value[1]}))
                ws.write(r, c, value[0], fmt)
            elif isinstance(value, str):
                ws.write_string(r, c, value)
            else:
                ws.write(r, c, value)
    book.close()
    return path


def sheet_column(path: Path, sheet: str, header: str) -> list[Any]:
    ws = openpyxl.load_workbook(path)[sheet]
    col = [c.value for c in ws[1]].index(header) + 1
    return [ws.cell(r, col).value for r in range(2, ws.max_row + 1)]


def calamine_column(path: Path, sheet: str, header: str) -> list[Any]:
    import fastexcel

    frame = fastexcel.read_excel(str(path)).load_sheet_by_name(sheet, dtypes="string").to_polars()
    return frame.get_column(header).to_list()


# -- crashes that deserve exit 2 or a row error ---------------------------------------------------
@pytest.mark.parametrize("suffix", [".csv", ".xlsx", ".parquet"])
def test_header_only_table_is_refused(capsys: pytest.CaptureFixture[str], tmp_path: Path, suffix: str) -> None:
    source = tmp_path / f"in{suffix}"
    if suffix == ".csv":
        source.write_text(",".join(HEADER) + "\n")
    elif suffix == ".xlsx":
        xlsx(source, [HEADER])
    else:
        pl.DataFrame({h: pl.Series([], dtype=pl.String) for h in HEADER}).write_parquet(source)
    code, err = call(capsys, "run", source, "-o", tmp_path / "out.csv")
    assert code == 2 and ("no scenario rows" in err or "no rows" in err), err
    assert not (tmp_path / "out.csv").exists()


@pytest.mark.parametrize("output", ["out.csv", "out.xlsx"])
def test_trailing_comma_keeps_the_empty_header_column(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                                     output: str) -> None:
    source = tmp_path / "in.csv"
    source.write_text(",".join(HEADER) + ",\n" + ",".join(map(str, GOOD)) + ",x\n")
    code, err = call(capsys, "run", source, "-o", tmp_path / output)
    assert code == 0, err
    if output.endswith(".csv"):
        header = (tmp_path / output).read_text().splitlines()[0].split(",")
        assert header[:8] == HEADER + [""]   # the empty header cell is written back as it was
        assert pl.read_csv(tmp_path / output, infer_schema=False).row(0)[7] == "x"
    else:
        ws = openpyxl.load_workbook(tmp_path / output)["results"]
        assert ws.cell(1, 8).value in ("", None) and ws.cell(2, 8).value == "x"


def test_duration_cells_in_a_time_column(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """1.5 days formatted [h]:mm:ss is a duration of 36 h: n_gpus scales as 1/time (30 days -> 260 GPUs,
    see tests/test_hostile_workbooks.py), so 1.5 days needs 20x as many: 5,200 (rounded up per rules)."""
    source = xlsx(tmp_path / "in.xlsx", [HEADER, GOOD[:5] + [(1.5, "[h]:mm:ss"), 0.4]])
    for output in ("out.xlsx", "out.csv"):
        code, err = call(capsys, "run", source, "-o", tmp_path / output)
        assert code == 0, err
    row = (tmp_path / "out.csv").read_text().splitlines()[1].split(",")
    assert row[5] == "36:00:00"   # a duration written as Excel shows it
    assert 5190 <= float(row[7]) <= 5200


@pytest.mark.parametrize("other", [30, "30 days", (datetime.datetime(2024, 1, 1), "yyyy-mm-dd")],
                         ids=["number", "text", "date"])
def test_a_column_mixing_durations_with_other_values_names_the_cell(capsys: pytest.CaptureFixture[str],
                                                                   tmp_path: Path, other: Any) -> None:
    rows = [HEADER, GOOD[:5] + [(1.5, "[h]:mm:ss"), 0.4], ["b"] + GOOD[1:5] + [other, 0.4]]
    source = xlsx(tmp_path / "in.xlsx", rows)
    code, err = call(capsys, "run", source, "-o", tmp_path / "out.csv")
    assert code == 1, err                       # the duration's row has an error, the file is read
    assert "scenarios!F2" in err
    frame = pl.read_csv(tmp_path / "out.csv", infer_schema=False)
    assert frame.height == 2 and frame["name"].to_list() == ["a", "b"]
    if not isinstance(other, tuple):            # the other row is answered
        assert frame["n_gpus"][1] is not None


def test_parquet_binary_and_list_columns_pass_through(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    source = tmp_path / "in.parquet"
    frame = pl.DataFrame([pl.Series(h, [v]) for h, v in zip(HEADER, GOOD)])
    frame = frame.with_columns(pl.Series("blob", [b"\xff\xfeok"]), pl.Series("tags", [[1, 2]]))
    frame.write_parquet(source)
    for output in ("out.xlsx", "out.csv", "out.parquet"):
        code, err = call(capsys, "run", source, "-o", tmp_path / output)
        assert code == 0, err
    assert pl.read_csv(tmp_path / "out.csv", infer_schema=False)["tags"][0] == "[1, 2]"


# -- JSON nesting and huge integers --------------------------------------------------------------
@pytest.mark.parametrize("text, needle", [
    (hf.deep_json(), "nested too deeply"),
    ('{"model_type": "llama", "num_hidden_layers": ' + "9" * 400 + "}", "400 digits"),
    ('{"model_type": "llama", "num_hidden_layers": 1e999}', "positive number"),
], ids=["deep-200k", "400-digit-int", "1e999"])
def test_config_json_bombs(capsys: pytest.CaptureFixture[str], tmp_path: Path, text: str, needle: str) -> None:
    config = tmp_path / "config.json"
    config.write_text(text)
    code, err = call(capsys, "solve", "n_gpus", f"model={config}", "tokens=2T", "gpu=A800", "train_time=30")
    assert code == 2 and needle in err and str(config) in err, err


@pytest.fixture
def checkpoint(tmp_path: Path) -> Path:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tools"))   # tests/tools/convert_fixtures.py
    from convert_fixtures import make_checkpoint

    make_checkpoint(tmp_path / "src")
    return tmp_path / "src"


def test_convert_refuses_deep_and_huge_headers(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    src = tmp_path / "deep"
    src.mkdir()
    hf.safetensors(src / "model.safetensors", hf.deep_json().encode())
    code, err = call(capsys, "convert", "baichuan2-to-baichuan1", src, tmp_path / "out", "--dry-run")
    assert code == 2 and "nested too deeply" in err, err
    index = tmp_path / "index"
    index.mkdir()
    (index / "model.safetensors.index.json").write_text(hf.deep_json())
    code, err = call(capsys, "convert", "baichuan2-to-baichuan1", index, tmp_path / "out", "--dry-run")
    assert code == 2 and "nested too deeply" in err, err
    big = tmp_path / "big"
    big.mkdir()
    hf.big_safetensors_header(big, megabytes=17)
    started = time.monotonic()
    code, err = call(capsys, "convert", "baichuan2-to-baichuan1", big, tmp_path / "out", "--dry-run")
    assert code == 2 and "16,777,216" in err and time.monotonic() - started < 5, err
    assert not (tmp_path / "out").exists()


# -- paths that are not regular files ----------------------------------------------------------
@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_special_files_are_refused(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    fifo = tmp_path / "config.json"
    os.mkfifo(fifo)
    for argv in (["solve", "n_gpus", f"model={fifo}", "tokens=2T"], ["rules", "--check", fifo],
                 ["rules", "--check", "/dev/zero"], ["solve", "n_gpus", "params=7B", "--catalog", "/dev/zero"]):
        code, err = call(capsys, *argv)
        assert code == 2 and "not a regular file" in err, (argv, err)


def test_convert_never_follows_links_out_of_src(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                                checkpoint: Path) -> None:
    (checkpoint / "root").symlink_to("/")
    code, err = call(capsys, "convert", "baichuan2-to-baichuan1", checkpoint, tmp_path / "out")
    assert code == 2 and "outside the checkpoint" in err, err
    (checkpoint / "root").unlink()
    secret = tmp_path / "secret.txt"
    secret.write_text("not yours")
    (checkpoint / "notes.txt").symlink_to(secret)
    code, err = call(capsys, "convert", "baichuan2-to-baichuan1", checkpoint, tmp_path / "out")
    assert code == 2 and "outside the checkpoint" in err and not (tmp_path / "out").exists(), err
    (checkpoint / "notes.txt").unlink()
    if hasattr(os, "mkfifo"):
        os.mkfifo(checkpoint / "pipe")
        code, err = call(capsys, "convert", "baichuan2-to-baichuan1", checkpoint, tmp_path / "out")
        assert code == 2 and "not a regular file" in err, err


# -- data kept exactly ------------------------------------------------------------------------
@pytest.mark.parametrize("suffix", [".xlsx", ".csv"])
def test_text_that_looks_numeric_is_kept_exactly(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                                 suffix: str) -> None:
    header = HEADER + ["note", "count"]
    rows = [GOOD + [text, 30] for text in NUMERIC_TEXT]
    if suffix == ".xlsx":
        source = xlsx(tmp_path / "in.xlsx", [header, *rows])
    else:
        source = tmp_path / "in.csv"
        source.write_text("\n".join(",".join(map(str, r)) for r in [header, *rows]) + "\n")
    before = sha(source)
    code, err = call(capsys, "run", source, "-o", tmp_path / "out.xlsx")
    assert code == 0, err
    assert sha(source) == before
    for sheet in ("results", "inputs"):
        assert sheet_column(tmp_path / "out.xlsx", sheet, "note") == NUMERIC_TEXT, sheet
        assert sheet_column(tmp_path / "out.xlsx", sheet, "count") == [30] * len(rows)   # numbers stay numbers
    code, err = call(capsys, "run", source, "-o", tmp_path / "out.csv")
    assert code == 0, err
    assert pl.read_csv(tmp_path / "out.csv", infer_schema=False)["note"].to_list() == NUMERIC_TEXT


def test_a_dtd_in_the_workbook_is_an_error(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, err = call(capsys, "run", hf.dtd_in_workbook(tmp_path), "-o", tmp_path / "out.csv")
    assert code == 2 and "DTD" in err and "workbook.xml" in err, err
    assert not (tmp_path / "out.csv").exists()


def test_password_protected_xlsx_is_named(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, err = call(capsys, "run", hf.encrypted_xlsx(tmp_path), "-o", tmp_path / "out.csv")
    assert code == 2 and "password-protected" in err and "old-format" not in err, err


@pytest.mark.parametrize("encoding, separator", [("utf-16", ","), ("utf-16-be", ","), ("utf-8", ";"),
                                                 ("utf-8-sig", "\t")])
def test_utf16_and_semicolon_csv_are_read(capsys: pytest.CaptureFixture[str], tmp_path: Path, encoding: str,
                                          separator: str) -> None:
    text = "\n".join(separator.join(map(str, r)) for r in [HEADER, GOOD]) + "\n"
    source = tmp_path / "in.csv"
    data = text.encode(encoding)
    source.write_bytes(b"\xfe\xff" + data if encoding == "utf-16-be" else data)
    code, err = call(capsys, "run", source, "-o", tmp_path / "out.csv")
    assert code == 0, err                       # answered, not "every row blank"
    assert pl.read_csv(tmp_path / "out.csv")["n_gpus"][0] == 260


def test_utf16_without_bom_is_named(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    source = tmp_path / "in.csv"
    source.write_bytes("\n".join(",".join(map(str, r)) for r in [HEADER, GOOD]).encode("utf-16-le"))
    code, err = call(capsys, "run", source, "-o", tmp_path / "out.csv")
    assert code == 2 and "UTF-16" in err, err


# -- CSV output cannot attack its reader ---------------------------------------------------------
FORMULAS = ['=HYPERLINK("http://x","y")', "=cmd|' /C calc'!A0", "+1+1", "-1+2", "@SUM(A1)", "\t=1", "\r=1"]


def test_csv_output_neutralises_formulas(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    header = HEADER + ["=note", "amount"]
    rows = [["x" + str(i)] + GOOD[1:] + [text, -5] for i, text in enumerate(FORMULAS)]
    source = xlsx(tmp_path / "in.xlsx", [header, *rows])
    code, err = call(capsys, "run", source, "-o", tmp_path / "out.csv")
    assert code == 0, err
    frame = pl.read_csv(tmp_path / "out.csv", infer_schema=False)
    assert "'=note" in frame.columns
    assert frame["'=note"].to_list() == ["'" + t for t in FORMULAS]
    assert {float(v) for v in frame["amount"]} == {-5.0}   # a real number is left alone (no apostrophe)
    code, err = call(capsys, "run", source, "-o", tmp_path / "out.xlsx")
    # xlsx: inline strings, as is; a CR is written _x000D_ (ECMA-376 ST_Xstring), which Excel and calamine
    # read back as CR (openpyxl does not unescape inline strings, so calamine reads it here)
    assert calamine_column(tmp_path / "out.xlsx", "results", "=note") == FORMULAS
    csv_source = tmp_path / "in.csv"
    csv_source.write_bytes(b",".join(h.encode() for h in HEADER) + b",note\n" + ",".join(map(str, GOOD)).encode()
                           + b',"\r=1"\n')
    code, err = call(capsys, "run", csv_source, "-o", tmp_path / "out2.xlsx")
    assert calamine_column(tmp_path / "out2.xlsx", "results", "note") == ["\r=1"]   # a CR survives


def test_catalog_keys_in_csv_output_are_neutralised(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    catalog = tmp_path / "gpus.yaml"
    catalog.write_text("variable: gpu\nfields: {peak_flops: TFLOPS, gpu_memory: GB}\nentries:\n"
                       "  '=HYPERLINK(1)':\n    peak_flops: 312\n    gpu_memory: 80\n    source: test\n")
    source = tmp_path / "in.csv"
    source.write_text(",".join(HEADER) + "\n" + ",".join(map(str, GOOD[:4])) + ',"=HYPERLINK(1)",30,0.4\n')
    code, err = call(capsys, "run", source, "-o", tmp_path / "out.csv", "--catalog", catalog)
    assert code == 0, err
    assert pl.read_csv(tmp_path / "out.csv", infer_schema=False)["gpu"][0] == "'=HYPERLINK(1)"


def test_math_markup_in_names_is_drawn_as_text(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    from engine.report import charts

    svg = charts.sweep([r"$\fakecmd{x}$", "A800"], [1.0, 2.0], r"$\fakecmd{y}$", "days")
    assert r"\fakecmd{x}" in svg and r"\fakecmd{y}" in svg


# -- writes that fail: exit 2, one line, nothing half-written ------------------------------------
def good_csv(tmp_path: Path) -> Path:
    source = tmp_path / "in.csv"
    source.write_text(",".join(HEADER) + "\n" + ",".join(map(str, GOOD)) + "\n")
    return source


def one_line(err: str) -> str:
    lines = [line for line in err.strip().splitlines() if not line.startswith(("llmplan: note", "llmplan: 1 rows"))]
    assert len(lines) == 1 and lines[0].startswith("llmplan: "), err
    return lines[0]


def test_a_file_blocking_the_chart_folder(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    (tmp_path / "rep_files").write_text("mine")
    code, err = call(capsys, "run", good_csv(tmp_path), "-o", tmp_path / "out.csv", "--report", tmp_path / "rep.md")
    assert code == 2 and "rep_files" in one_line(err)
    assert (tmp_path / "rep_files").read_text() == "mine" and not (tmp_path / "rep.md").exists()
    assert (tmp_path / "out.csv").exists()        # the results were written before the report


@pytest.mark.parametrize("failure", [errno.ENOSPC, errno.EACCES, errno.EROFS])
def test_report_write_failures_leave_nothing(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch, failure: int) -> None:
    """The Markdown text fails to land (disk full / permission / read-only, simulated: tests may run as
    root, who can write anywhere): no report, no chart folder, no temporary left, exit 2."""
    real = os.replace

    def replace(src: Any, dst: Any, *args: Any, **kwargs: Any) -> None:
        if str(dst).endswith(".md"):
            raise OSError(failure, os.strerror(failure), str(dst))
        real(src, dst, *args, **kwargs)

    monkeypatch.setattr(os, "replace", replace)
    code, err = call(capsys, "run", good_csv(tmp_path), "-o", tmp_path / "out.csv", "--report", tmp_path / "rep.md")
    assert code == 2 and os.strerror(failure) in one_line(err)
    left = sorted(p.name for p in tmp_path.iterdir())
    assert left == ["in.csv", "out.csv"], left


def test_template_write_failure_exits_2(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    real = os.replace

    def replace(src: Any, dst: Any, *args: Any, **kwargs: Any) -> None:
        raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(dst))

    monkeypatch.setattr(os, "replace", replace)
    code, err = call(capsys, "template", tmp_path / "t.xlsx")
    assert code == 2 and os.strerror(errno.EACCES) in one_line(err)
    monkeypatch.setattr(os, "replace", real)
    assert sorted(p.name for p in tmp_path.iterdir()) == []
    code, err = call(capsys, "template", tmp_path / "missing" / "t.xlsx")
    assert code == 2 and "missing" in one_line(err)


def test_stale_temporaries_of_ours_are_removed(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    old = time.time() - 2 * 86400
    stale = [tmp_path / ".out.llmplan-0123abcd.tmp.xlsx", tmp_path / ".rep.md.llmplan-x1y2z3.tmp"]
    fresh = tmp_path / ".out.llmplan-89abcdef.tmp.xlsx"       # another run may be writing it now
    theirs = tmp_path / ".out.tmp.xlsx"                        # not our naming
    for path in [*stale, fresh, theirs]:
        path.write_text("partial")
    for path in [*stale, theirs]:
        os.utime(path, (old, old))
    code, err = call(capsys, "run", good_csv(tmp_path), "-o", tmp_path / "out.xlsx", "--report", tmp_path / "rep.md")
    assert code == 0, err
    assert not any(p.exists() for p in stale) and fresh.exists() and theirs.exists()


def test_report_exits_1_when_rows_have_errors(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    source = tmp_path / "in.csv"
    source.write_text(",".join(HEADER) + "\n" + ",".join(map(str, GOOD)) + "\nb,n_gpus,7B,,A800,30,0.4\n")
    code, err = call(capsys, "run", source, "-o", tmp_path / "out.xlsx")
    assert code == 1, err
    code, err = call(capsys, "report", tmp_path / "out.xlsx", "-o", tmp_path / "rep.html")
    assert code == 1 and (tmp_path / "rep.html").exists(), err


def test_a_bug_in_one_row_never_costs_the_others(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """The batch solver raising a non-llmplan error (a bug) for the group of row 2 only: that row gets
    an error naming the bug, the other rows are answered and written; the exit code says a bug was hit
    (3, README "Exit codes"), not that the row's values were wrong (1)."""
    from engine.solve.solver import Engine

    original = Engine.solve_columns

    def buggy(self: Any, numbers: Any, keys: Any, targets: Any, row_targets: Any, rows: int,
              errors: Any = None, side_values: bool = True, failed: Any = None) -> Any:
        if failed is None or not bool(np.asarray(failed)[1]):
            raise AttributeError("'frozenset' object has no attribute 'add'")
        return original(self, numbers, keys, targets, row_targets, rows, errors, side_values, failed)

    monkeypatch.setattr(Engine, "solve_columns", buggy)
    source = tmp_path / "in.csv"
    source.write_text(",".join(HEADER) + "\n" + "\n".join(",".join(map(str, [n] + GOOD[1:])) for n in "abc") + "\n")
    code, err = call(capsys, "run", source, "-o", tmp_path / "out.csv", bug=True)
    assert code == 3, err
    frame = pl.read_csv(tmp_path / "out.csv", infer_schema=False)
    assert frame["name"].to_list() == ["a", "b", "c"]
    assert frame["n_gpus"].to_list() == ["260.0", None, "260.0"]
    assert "internal error" in frame["error"][1] and "frozenset" in frame["error"][1]


# -- what the sheet fuzzing found (tests/io/test_fuzz_sheets.py), kept as fixed examples ------------
@pytest.mark.parametrize("header", ["gpu", "solve", "params", "note"])
@pytest.mark.parametrize("output", ["out.xlsx", "out.csv", "out.parquet"])
def test_duration_column_anywhere(capsys: pytest.CaptureFixture[str], tmp_path: Path, header: str,
                                  output: str) -> None:
    source = tmp_path / "in.parquet"
    pl.DataFrame([pl.Series(header, [datetime.timedelta(days=30), None])]).write_parquet(source)
    code, err = call(capsys, "run", source, "-o", tmp_path / output)
    assert code in (0, 1), err


@pytest.mark.parametrize("cells", [["7B"], ["0012"], ["7B", (0.0, "[h]:mm:ss")]], ids=["text", "numeric-text", "mixed"])
def test_blank_header_cell_in_a_workbook(capsys: pytest.CaptureFixture[str], tmp_path: Path, cells: list[Any]) -> None:
    source = xlsx(tmp_path / "in.xlsx", [[" ", "name"], *[[c, "x"] for c in cells]])
    code, err = call(capsys, "run", source, "-o", tmp_path / "out.xlsx")
    assert code in (0, 1), err
    assert calamine_column(tmp_path / "out.xlsx", "inputs", "name") == ["x"] * len(cells)


def test_a_gbk_csv_from_chinese_excel_keeps_its_chinese(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """Excel on a Chinese Windows saves "CSV" in GBK (cp936). Read lossily as UTF-8, every Chinese
    character became U+FFFD in the output: the user's text was lost. It is read as GB18030 (GBK's
    superset), said in a note, and written back with a UTF-8 byte-order mark so Excel shows it."""
    header, row = [*HEADER, "备注"], ["千问方案", *GOOD[1:], "中文备注"]
    source = tmp_path / "in.csv"
    source.write_bytes(("\n".join(",".join(map(str, r)) for r in [header, row]) + "\n").encode("gbk"))
    code, err = call(capsys, "run", source, "-o", tmp_path / "out.csv")
    assert code == 0 and "GBK" in err, err
    written = (tmp_path / "out.csv").read_bytes()
    assert written.startswith(b"\xef\xbb\xbf")
    out = pl.read_csv(written[3:])
    assert out["备注"][0] == "中文备注" and out[HEADER[0]][0] == "千问方案"


def test_a_plain_utf8_csv_is_written_without_a_byte_order_mark(capsys: pytest.CaptureFixture[str],
                                                               tmp_path: Path) -> None:
    source = tmp_path / "in.csv"
    source.write_text("\n".join(",".join(map(str, r)) for r in [HEADER, GOOD]) + "\n", encoding="utf-8")
    assert call(capsys, "run", source, "-o", tmp_path / "out.csv")[0] == 0
    assert not (tmp_path / "out.csv").read_bytes().startswith(b"\xef\xbb\xbf")


def test_text_neither_utf8_nor_gbk_is_refused_with_its_line(capsys: pytest.CaptureFixture[str],
                                                            tmp_path: Path) -> None:
    source = tmp_path / "in.csv"
    lines = [",".join(map(str, HEADER)).encode(), ",".join(map(str, GOOD)).encode(), b"bad\xff\xfe,1"]
    source.write_bytes(b"\n".join(lines) + b"\n")
    code, err = call(capsys, "run", source, "-o", tmp_path / "out.csv")
    assert code == 2 and "in.csv:3" in err and "CSV UTF-8" in err, err
    assert not (tmp_path / "out.csv").exists()

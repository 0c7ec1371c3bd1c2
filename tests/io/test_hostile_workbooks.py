"""`llmplan run` on workbooks colleagues send: broken files, odd cells, 100,000 rows, a killed process.

For every case: the exit code scripts rely on (0 all answered, 1 some rows have errors, 2 the
file cannot be used), errors that name the sheet!cell (per row) or the file (per file), every
row kept in order, the input file byte-for-byte unchanged, and no output file at all when the
file as a whole is refused. A process killed while writing leaves the previous output intact.
"""
from __future__ import annotations

import hashlib
import math
import os
import shutil
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path
from typing import Any

import openpyxl
import polars as pl
import pytest
import xlsxwriter

from engine.cli import main

ROOT = Path(__file__).resolve().parents[2]
HEADER = ["name", "solve", "params", "tokens", "gpu", "train_time [days]", "mfu"]
GOOD = [["a", "n_gpus", "7B", "2T", "A800", 30, 0.4], ["b", "n_gpus", "13B", "2T", "A800", 30, 0.4]]


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def workbook(path: Path, rows: list[list[Any]], header: list[str] = HEADER, sheet: str = "scenarios") -> Path:
    book = xlsxwriter.Workbook(str(path), {"strings_to_numbers": False, "strings_to_formulas": False})
    ws = book.add_worksheet(sheet)
    ws.write_row(0, 0, header)
    for r, row in enumerate(rows, start=1):
        for c, value in enumerate(row):
            if value is not None:
                ws.write(r, c, value)
    book.close()
    return path


def run(capsys: pytest.CaptureFixture[str], source: Path, target: Path) -> tuple[int, str]:
    before = sha(source)
    try:
        code = main(["run", str(source), "-o", str(target)])
    except SystemExit as exc:
        code = int(exc.code or 0)
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert sha(source) == before, "the input file changed"
    return code, err


def results(target: Path) -> pl.DataFrame:
    if target.suffix == ".csv":
        return pl.read_csv(target, infer_schema_length=None)
    import fastexcel  # polars.read_excel's own dtype guess turns integral floats (8.4e22) into Int64 and fails

    return fastexcel.read_excel(str(target)).load_sheet_by_name("results", schema_sample_rows=None).to_polars()


# -- files that cannot be used: exit 2, the file named, no output written ------------------------------
def truncated(tmp: Path) -> Path:
    data = workbook(tmp / "good.xlsx", GOOD).read_bytes()
    (tmp / "in.xlsx").write_bytes(data[: len(data) // 2])
    return tmp / "in.xlsx"


def corrupt_sheet(tmp: Path) -> Path:
    """Bytes of the sheet's compressed XML overwritten (a damaged download)."""
    good = workbook(tmp / "good.xlsx", GOOD)
    data = bytearray(good.read_bytes())
    with zipfile.ZipFile(good) as archive:
        info = archive.getinfo("xl/worksheets/sheet1.xml")
    name_len, extra_len = int.from_bytes(data[info.header_offset + 26:info.header_offset + 28], "little"), \
        int.from_bytes(data[info.header_offset + 28:info.header_offset + 30], "little")
    start = info.header_offset + 30 + name_len + extra_len
    data[start + 10:start + 30] = bytes(b ^ 0xFF for b in data[start + 10:start + 30])
    (tmp / "in.xlsx").write_bytes(bytes(data))
    return tmp / "in.xlsx"


def csv_renamed(tmp: Path) -> Path:
    (tmp / "in.xlsx").write_text("name,solve,params,tokens\na,train_flops,7B,1T\n", encoding="utf-8")
    return tmp / "in.xlsx"


def xls_renamed(tmp: Path) -> Path:
    """An old binary .xls (OLE2 compound file) saved with an .xlsx name."""
    (tmp / "in.xlsx").write_bytes(bytes.fromhex("D0CF11E0A1B11AE1") + b"\x00" * 4096)
    return tmp / "in.xlsx"


def xlsx_renamed_csv(tmp: Path) -> Path:
    shutil.copy(workbook(tmp / "good.xlsx", GOOD), tmp / "in.csv")
    return tmp / "in.csv"


def empty_file(tmp: Path) -> Path:
    (tmp / "in.xlsx").write_bytes(b"")
    return tmp / "in.xlsx"


def empty_sheet(tmp: Path) -> Path:
    book = xlsxwriter.Workbook(str(tmp / "in.xlsx"))
    book.add_worksheet("scenarios")
    book.close()
    return tmp / "in.xlsx"


def no_scenarios_sheet(tmp: Path) -> Path:
    return workbook(tmp / "in.xlsx", GOOD, sheet="Sheet1")


def duplicate_columns(tmp: Path) -> Path:
    return workbook(tmp / "in.xlsx", [["a", "train_flops", "7B", "8B", "1T"]],
                    header=["name", "solve", "params", "params", "tokens"])


FILE_LEVEL = {
    "truncated .xlsx": (truncated, "not a readable workbook"),
    "corrupt sheet data": (corrupt_sheet, "not a readable workbook"),
    ".csv renamed .xlsx": (csv_renamed, "not a readable workbook"),
    ".xls renamed .xlsx": (xls_renamed, "not a readable workbook"),
    ".xlsx renamed .csv": (xlsx_renamed_csv, "not a readable CSV file"),
    "empty file": (empty_file, "not a readable workbook"),
    "empty sheet": (empty_sheet, "sheet 'scenarios' is empty"),
    "no scenarios sheet": (no_scenarios_sheet, "no sheet named 'scenarios' (sheets: Sheet1)"),
    "duplicate column names": (duplicate_columns, "scenarios!D1: params is given by two columns"),
}


@pytest.mark.parametrize("make, needle", FILE_LEVEL.values(), ids=FILE_LEVEL.keys())
@pytest.mark.parametrize("suffix", [".xlsx", ".csv"])
def test_unusable_files_exit_2_and_write_nothing(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                                 make: Any, needle: str, suffix: str) -> None:
    source = make(tmp_path)
    target = tmp_path / f"out{suffix}"
    code, err = run(capsys, source, target)
    assert code == 2, err
    assert err.startswith("llmplan: ") and needle in err, err
    assert str(source) in err or "scenarios!" in err, err      # names the file, or the sheet!cell
    assert not target.exists()
    assert not [p for p in tmp_path.iterdir() if "llmplan" in p.name], "a temporary file was left behind"


def test_previous_output_survives_a_refused_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    target = tmp_path / "out.xlsx"
    target.write_bytes(b"yesterday's results")
    code, _ = run(capsys, truncated(tmp_path), target)
    assert code == 2 and target.read_bytes() == b"yesterday's results"


def test_a_workbook_failing_its_checksum_is_refused(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    good = workbook(tmp_path / "good.xlsx", GOOD)
    stored = tmp_path / "stored.xlsx"
    with zipfile.ZipFile(good) as src, zipfile.ZipFile(stored, "w", zipfile.ZIP_STORED) as out:
        for info in src.infolist():
            out.writestr(info.filename, src.read(info.filename))
    data = stored.read_bytes()
    assert data.count(b"<t>13B</t>") == 1
    source = tmp_path / "in.xlsx"
    source.write_bytes(data.replace(b"<t>13B</t>", b"<t>93B</t>"))   # content changed, CRC not updated
    code, err = run(capsys, source, tmp_path / "out.csv")
    assert code == 2 and "in.xlsx" in err


@pytest.mark.parametrize("make, hint", [(csv_renamed, "CSV"), (xls_renamed, ".xls")], ids=["csv", "xls"])
def test_renamed_files_say_what_they_are(capsys: pytest.CaptureFixture[str], tmp_path: Path, make: Any,
                                         hint: str) -> None:
    code, err = run(capsys, make(tmp_path), tmp_path / "out.csv")
    assert code == 2 and hint in err and "Zip error" not in err


# -- odd cells: per-row errors naming sheet!cell, every row kept in order ---------------------------------
ODD = [
    ["text", "n_gpus", "seven", "2T", "A800", 30, 0.4],
    ["negative", "n_gpus", -7e9, "2T", "A800", 30, 0.4],
    ["zero", "n_gpus", "7B", 0, "A800", 30, 0.4],
    ["huge params", "n_gpus", 1e308, "2T", "A800", 30, 0.4],
    ["huge mfu", "n_gpus", "7B", "2T", "A800", 30, 1e308],
    [None] * 7,
    ["ok 1", "n_gpus", "7B", "2T", "A800", 30, 0.4],
    [None] * 7,
    ["unknown gpu", "n_gpus", "7B", "2T", "Z9000", 30, 0.4],
    ["bool", "n_gpus", True, "2T", "A800", 30, 0.4],
    ["rtl", "n_gpus", "7B\u202e", "2T", "A800", 30, 0.4],
    ["ok 2", "n_gpus", "13B", "2T", "A800", 30, "40%"],
]
EXPECTED_ERRORS = {
    "text": "scenarios!C2: params: 'seven' is not a number",
    "negative": "scenarios!C3: params: must be greater than 0",
    "zero": "scenarios!D4: tokens: must be greater than 0",
    "huge params": "no valid value for param_flops",
    "huge mfu": "scenarios!G6: mfu: must be a fraction",
    "unknown gpu": "scenarios!E10: gpu: unknown value 'Z9000'",
    "bool": "scenarios!C11: params:",
    "rtl": "scenarios!C12: params:",
}


@pytest.fixture(scope="module")
def odd_run(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    folder = tmp_path_factory.mktemp("odd")
    source = workbook(folder / "in.xlsx", ODD)
    before = sha(source)
    out = {}
    for suffix in (".xlsx", ".csv"):
        target = folder / f"out{suffix}"
        code = main(["run", str(source), "-o", str(target)])
        out[suffix] = (code, results(target))
    assert sha(source) == before
    return out


@pytest.mark.parametrize("suffix", [".xlsx", ".csv"])
def test_odd_cells_become_row_errors_and_every_row_stays(odd_run: dict[str, Any], suffix: str) -> None:
    code, frame = odd_run[suffix]
    assert code == 1
    assert frame.height == len(ODD)
    assert frame["name"].to_list() == [row[0] for row in ODD]            # every row, in order, blanks kept
    errors = dict(zip(frame["name"].to_list(), frame["error"].to_list()))
    for name, needle in EXPECTED_ERRORS.items():
        assert errors[name] is not None and errors[name].startswith(needle) or needle in (errors[name] or ""), \
            (name, errors[name])
    assert errors["ok 1"] is None and errors["ok 2"] is None
    n_gpus = dict(zip(frame["name"].to_list(), frame["n_gpus"].to_list()))
    by_hand = [math.ceil(6 * n * 2e12 / (312e12 * 0.4 * 30 * 86400)) for n in (7e9, 13e9)]   # 6·N·D, A800
    assert [n_gpus["ok 1"], n_gpus["ok 2"]] == by_hand == [260, 483]
    for name in EXPECTED_ERRORS:
        assert n_gpus[name] is None
    blank = [i for i, row in enumerate(ODD) if row[0] is None]
    for i in blank:
        assert all(frame.row(i)[j] is None for j in range(frame.width)), frame.row(i)


def test_formulas_without_cached_values_name_their_cells(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    ws = book.active
    ws.title = "scenarios"
    ws.append(HEADER)
    ws.append(["formula params", "n_gpus", "=7*10^9", "2T", "A800", 30, 0.4])   # openpyxl saves no cached value
    ws.append(["ok", "n_gpus", "7B", "2T", "A800", 30, 0.4])
    ws.append(["formula mfu", "n_gpus", "7B", "2T", "A800", 30, "=0.2*2"])
    book.save(tmp_path / "in.xlsx")
    code, _ = run(capsys, tmp_path / "in.xlsx", tmp_path / "out.csv")
    assert code == 1
    frame = results(tmp_path / "out.csv")
    assert frame["error"][0].startswith("scenarios!C2: formula =7*10^9 has no saved value")
    assert frame["error"][1] is None and frame["n_gpus"][1] == 260
    assert frame["error"][2].startswith("scenarios!G4: formula =0.2*2 has no saved value")


def test_merged_cells_are_named(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    book = xlsxwriter.Workbook(str(tmp_path / "in.xlsx"))
    ws = book.add_worksheet("scenarios")
    ws.write_row(0, 0, HEADER)
    for r, row in enumerate(GOOD, start=1):
        ws.write_row(r, 0, row)
    ws.merge_range("C2:C3", "7B")
    book.close()
    run(capsys, tmp_path / "in.xlsx", tmp_path / "out.csv")
    frame = results(tmp_path / "out.csv")
    assert frame["name"].to_list() == ["a", "b"]
    second = frame["error"][1]
    assert (second is None and frame["n_gpus"][1] == 260) or (second and "C3" in second and "merge" in second)


def test_merged_cells_never_lose_or_reorder_rows(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    book = xlsxwriter.Workbook(str(tmp_path / "in.xlsx"))
    ws = book.add_worksheet("scenarios")
    ws.write_row(0, 0, HEADER)
    for r, row in enumerate(GOOD + GOOD, start=1):
        ws.write_row(r, 0, [f"{row[0]}{r}", *row[1:]])
    ws.merge_range("E2:E5", "A800")
    ws.merge_range("A6:G6", "a note across the table")
    book.close()
    code, _ = run(capsys, tmp_path / "in.xlsx", tmp_path / "out.csv")
    assert code in (0, 1)
    frame = results(tmp_path / "out.csv")
    assert frame["name"].to_list() == ["a1", "b2", "a3", "b4", "a note across the table"]
    assert frame["n_gpus"][0] == 260 and frame["error"][0] is None


def test_pass_through_text_is_never_turned_into_formulas(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    header = [*HEADER, "notes"]
    rows = [[*GOOD[0], '=HYPERLINK("http://example.invalid","click")'], [*GOOD[1], "=cmd|' /C calc'!A0"]]
    book = xlsxwriter.Workbook(str(tmp_path / "in.xlsx"), {"strings_to_formulas": False})
    ws = book.add_worksheet("scenarios")
    ws.write_row(0, 0, header)
    for r, row in enumerate(rows, start=1):
        for c, value in enumerate(row):
            ws.write_string(r, c, value) if isinstance(value, str) else ws.write(r, c, value)
    book.close()
    code, _ = run(capsys, tmp_path / "in.xlsx", tmp_path / "out.xlsx")
    assert code == 0
    sheet = openpyxl.load_workbook(tmp_path / "out.xlsx")["results"]
    notes = [c for c in next(sheet.iter_cols(min_col=header.index("notes") + 1, max_col=header.index("notes") + 1))]
    assert [c.value for c in notes[1:3]] == [rows[0][-1], rows[1][-1]]
    assert all(c.data_type == "s" for c in notes[1:3])


# -- 100,000 rows with one bad one; then a run killed while it writes --------------------------------------
BIG_ROWS, BAD_ROW = 100_000, 54_321


@pytest.fixture(scope="module")
def big(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("big") / "big.xlsx"
    book = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    ws = book.add_worksheet("scenarios")
    ws.write_row(0, 0, HEADER)
    for i in range(1, BIG_ROWS + 1):
        ws.write_row(i, 0, [f"row{i}", "n_gpus", 7e9 + i, 2e12, "A800", 30, "lots" if i == BAD_ROW else 0.4])
    book.close()
    return path


def test_100k_rows_one_bad(capsys: pytest.CaptureFixture[str], big: Path) -> None:
    target = big.parent / "out.xlsx"
    code, err = run(capsys, big, target)
    assert code == 1
    assert f"{BIG_ROWS} rows: {BIG_ROWS - 1} answered, 1 with errors" in err
    assert f"row{BAD_ROW}: scenarios!G{BAD_ROW + 1}: mfu: 'lots' is not a number" in err
    frame = results(target)
    assert frame.height == BIG_ROWS
    assert frame["name"].to_list() == [f"row{i}" for i in range(1, BIG_ROWS + 1)]
    errors = frame["error"]
    assert errors.is_not_null().sum() == 1 and errors[BAD_ROW - 1].startswith(f"scenarios!G{BAD_ROW + 1}")
    n_gpus = frame["n_gpus"]
    assert n_gpus.is_null().sum() == 1 and n_gpus[BAD_ROW - 1] is None
    assert n_gpus.drop_nulls().min() == 260 and n_gpus.drop_nulls().max() == 260


_SLOW_WRITER = r"""
import sys, time, zipfile
from pathlib import Path
marker = Path(sys.argv[1])
original = zipfile._ZipWriteFile.write
written = [0]
def slow(self, data):
    n = original(self, data)
    written[0] += len(data)
    if written[0] > 1_000_000 and not marker.exists():   # a megabyte of the results is on disk
        marker.write_text("writing")
        time.sleep(60)                                      # the test kills us here
    return n
zipfile._ZipWriteFile.write = slow
from engine.cli import main
sys.exit(main(sys.argv[2:]))
"""


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")
def test_killed_while_writing_leaves_the_previous_output(big: Path, tmp_path: Path) -> None:
    target = tmp_path / "out.xlsx"
    previous = workbook(tmp_path / "previous.xlsx", GOOD)   # a valid earlier result
    shutil.copy(previous, target)
    before, source_before = sha(target), sha(big)
    marker = tmp_path / "writing.marker"
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.Popen([sys.executable, "-c", _SLOW_WRITER, str(marker), "run", str(big), "-o", str(target)],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 120
        while not marker.exists() and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert marker.exists(), f"the run never started writing (exit {proc.poll()})"
        partial = [p for p in tmp_path.iterdir() if p.name.startswith(".out.") and "llmplan" in p.name]
        assert partial and partial[0].stat().st_size > 0, sorted(p.name for p in tmp_path.iterdir())
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == -signal.SIGKILL
    assert sha(target) == before, "the previous output was replaced by a partial file"
    assert openpyxl.load_workbook(target)["scenarios"]["A2"].value == "a"
    assert sha(big) == source_before
    # the half-written temporary file is the only trace: hidden, beside the target, never at the target path
    leftovers = sorted(p.name for p in tmp_path.iterdir())
    assert set(leftovers) - {"out.xlsx", "previous.xlsx", "writing.marker"} == {partial[0].name}

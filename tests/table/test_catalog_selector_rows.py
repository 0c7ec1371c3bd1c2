"""Catalog conventions (info.selectors) in workbook rows answer like a single `llmplan solve` (issue #14).

qwen3-4b: hidden 2560, 32 heads, head_dim 128 (HF Qwen/Qwen3-4B config.json): 2560 / 32 = 80 is not
128, so the entry carries head_dim_rule=free; utf-8-en carries text_language=en (catalogs/encodings.yaml).
Before, a workbook row with either was refused (head_dim contradiction) or asked for text_language.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import openpyxl
import polars as pl
import pytest
import xlsxwriter

import engine
from engine.cli import main


def test_rows_take_the_catalog_conventions_like_a_single_solve(eng: Any) -> None:
    frame = pl.DataFrame({
        "solve": ["arch_params", "arch_params", "corpus_bytes", "arch_params"],
        "model": ["qwen3-4b", "Qwen/Qwen3-4B", None, "qwen2.5-7b"],
        "unique_tokens": [None, None, "15T", None],
        "tokenizer": [None, None, "llama3", None],
        "encoding": [None, None, "utf-8-en", None],
    })
    out = engine.solve_frame(frame, eng)
    assert out["error"].to_list() == [None] * 4
    single = eng.solve(["arch_params"], {"model": "qwen3-4b"}).values["arch_params"]
    assert out["arch_params"][0] == out["arch_params"][1] == single
    # Llama 3 Herd §3.2: 3.94 chars per English token; RFC 3629: ASCII 1 byte -> 15e12 × 3.94 = 5.91e13 B
    assert out["corpus_bytes [GB]"][2] == pytest.approx(15e12 * 3.94 / 1e9, rel=1e-12)
    # a model without selectors keeps the default head_dim_rule=tied (Qwen2.5-7B: 3584 / 28 = 128)
    assert out["arch_params"][3] == eng.solve(["arch_params"], {"model": "qwen2.5-7b"}).values["arch_params"]


def test_a_typed_cell_against_the_convention_is_that_rows_error(eng: Any) -> None:
    frame = pl.DataFrame({
        "solve": ["arch_params", "arch_params", "corpus_bytes"],
        "model": ["qwen3-4b", "qwen3-4b", None],
        "head_dim_rule": ["tied", "free", None],
        "unique_tokens": [None, None, "1B"],
        "encoding": [None, None, "utf-8-en"],
        "text_language": [None, None, "zh"],
    })
    out = engine.solve_frame(frame, eng)
    errors = out["error"].to_list()
    assert errors[0] is not None and "head_dim_rule" in errors[0] and "model" in errors[0]
    assert errors[1] is None        # the same value typed is fine
    assert errors[2] is not None and "text_language" in errors[2] and "utf-8-en" in errors[2]


def test_llmplan_run_workbook_with_current_models(tmp_path: Path, eng: Any) -> None:
    source = tmp_path / "scenarios.xlsx"
    book = xlsxwriter.Workbook(str(source))
    sheet = book.add_worksheet("scenarios")
    rows = [["solve", "model"], ["arch_params", "qwen3-4b"], ["arch_params", "Qwen/Qwen3-8B"],
            ["arch_params", "deepseek-v3"], ["arch_params", "gemma2-9b"]]
    for r, row in enumerate(rows):
        sheet.write_row(r, 0, row)
    book.close()
    target = tmp_path / "results.xlsx"
    assert main(["run", str(source), "-o", str(target)]) == 0
    result = openpyxl.load_workbook(target)["results"]
    headers = [c.value for c in result[1]]
    for r, (_, model) in enumerate(rows[1:], start=2):
        assert result.cell(row=r, column=headers.index("error") + 1).value is None, model
        expected = eng.solve(["arch_params"], {"model": model}).values["arch_params"]
        assert result.cell(row=r, column=headers.index("arch_params") + 1).value == pytest.approx(expected, rel=1e-12)


FAMILIES = ["qwen3-4b", "qwen3-30b-a3b", "deepseek-v3", "deepseek-v2-lite", "gemma2-9b", "gemma3-4b", "glm-4-9b",
            "phi-3-mini", "llama3.1-8b", "mistral-nemo-12b"]


def test_model_cells_with_config_json_answer_like_solve(tmp_path: Path, eng: Any) -> None:
    # published config.json files (tests/rules/test_hf_config.py: qwen3, qwen3_moe, deepseek_v3/v2, gemma2/3,
    # chatglm (GLM-4), phi3, llama, mistral); the same file in a `model` cell and in `model=` agree
    import json

    from tests.rules.test_hf_config import CONFIGS

    paths = []
    for key in FAMILIES:
        path = tmp_path / key / "config.json"
        path.parent.mkdir()
        path.write_text(json.dumps(CONFIGS[key]), encoding="utf-8")
        paths.append(str(path))
    frame = pl.DataFrame({"solve": ["arch_params"] * (len(paths) + 2),
                          "model": paths + [str(tmp_path / "missing.json"), paths[0]],
                          "layers": [None] * (len(paths) + 1) + [2]})
    out = engine.solve_frame(frame, eng)
    for row, (key, path) in enumerate(zip(FAMILIES, paths)):
        assert out["error"][row] is None, (key, out["error"][row])
        single = eng.solve(["arch_params"], {"model": path}).values["arch_params"]
        assert out["arch_params"][row] == single, key
    assert "missing.json" in out["error"][len(paths)]
    # a typed cell wins over the file, as with `model=... layers=2`
    assert out["arch_params"][len(paths) + 1] == eng.solve(["arch_params"], {"model": paths[0], "layers": 2}
                                                           ).values["arch_params"]


def test_hugging_face_ids_in_solve_and_in_a_model_column(eng: Any, llmplan: Any) -> None:
    # Qwen2.5-7B-Instruct shares qwen2.5-7b's entry: 7,615,616,512 (Qwen2.5-7B-Instruct model card: 7.61B)
    done = llmplan("solve", "arch_params", "model=Qwen/Qwen2.5-7B-Instruct", "--json")
    assert done.returncode == 0, done.stderr
    import json

    assert json.loads(done.stdout)["values"]["arch_params"]["value"] == 7_615_616_512
    frame = pl.DataFrame({"solve": ["arch_params", "arch_params"], "model": ["Qwen/Qwen2.5-7B-Instruct", "qwen2.5-7b"]})
    out = engine.solve_frame(frame, eng)
    assert out["arch_params"].to_list() == [7_615_616_512, 7_615_616_512]

"""Evaluation data split off the training data: LLaMA-Factory val_size (data/data_utils.py split_dataset),
axolotl val_set_size (utils/data/sft.py _handle_train_dataset_split). Both hand it to Hugging Face datasets'
Dataset.train_test_split as test_size: a float in (0, 1) is a share, n_test = ceil(test_size · n) (the float
product); a number above 1 is a count. `samples` is the training examples per epoch, after the split.
"""
from __future__ import annotations

import polars as pl
import pytest

from engine.io.training_config import TrainingConfigError, read_training_config

LF = "model_name_or_path: meta-llama/Llama-2-7b-hf\nfinetuning_type: lora\nper_device_train_batch_size: 4\n" \
     "gradient_accumulation_steps: 4\n"


def _read(tmp_path, text, name="train.yaml"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path, read_training_config(path)


@pytest.mark.parametrize("data, samples", [
    # 10,000 − ceil(0.1 × 10,000) = 10,000 − 1,000 = 9,000
    ("dataset: alpaca_en\nmax_samples: 10000\nval_size: 0.1\n", 9_000),
    # two datasets, each capped at 2,000: 4,000 − 500 (a count) = 3,500
    ("dataset: alpaca_en,identity\nmax_samples: 2000\nval_size: 500\n", 3_500),
    # 0.07 × 100 is 7.000000000000001 in floating point, so datasets holds out ceil = 8: 100 − 8 = 92
    ("dataset: alpaca_en\nmax_samples: 100\nval_size: 0.07\n", 92),
    # val_size 0 (LLaMA-Factory's default, hparams/data_args.py): no split
    ("dataset: alpaca_en\nmax_samples: 10000\nval_size: 0\n", 10_000),
])
def test_samples_are_max_samples_less_the_held_out_part(tmp_path, data, samples):
    path, read = _read(tmp_path, LF + data)
    filled = read.givens["samples"]
    assert filled.value == samples
    assert filled.origin.startswith(f"{path}:6 (max_samples ") and "is a cap, each dataset's own size if smaller" \
        in filled.origin
    if "val_size: 0\n" not in data:
        assert "held out for evaluation" in filled.origin and f"at {path}:7" in filled.origin
        assert filled.key.endswith("− val_size")


def test_steps_come_from_the_training_examples(eng, tmp_path):
    # Transformers Trainer: ceil(9,000 / 4) = 2,250 batches, // 4 accumulation = 562 steps per epoch (one GPU);
    # without the split 10,000 / 4 / 4 = 625, 11 % more
    path, _ = _read(tmp_path, LF + "dataset: alpaca_en\nmax_samples: 10000\nval_size: 0.1\n")
    result = eng.solve(["steps"], {"config": str(path), "n_gpus": "1", "epochs": "1"})
    assert result.values["samples"] == 9_000 and result.values["steps"] == 562
    assert "val_size 0.1" in result.origins["samples"]


def test_a_typed_samples_is_kept_and_told_what_the_split_means(eng, tmp_path):
    # samples typed: the user's number stays; the note says it counts the examples after the split, and what
    # the run would train on if it were the whole dataset: 50,000 − ceil(0.1 × 50,000) = 45,000
    path, _ = _read(tmp_path, LF + "dataset: alpaca_en\nval_size: 0.1\n")
    result = eng.solve(["steps"], {"config": str(path), "n_gpus": "1", "epochs": "1", "samples": "50k"})
    assert result.values["samples"] == 50_000 and result.values["steps"] == 3_125    # 50,000 / 4 / 4
    (note,) = [w for w in result.warnings if w.code == "config.held_out"]
    assert f"val_size 0.1 ({path}:6)" in note.message and "the run trains on 45,000" in note.message
    assert "samples = 50,000 is taken as the training examples" in note.message
    chinese = eng.solve(["steps"], {"config": str(path), "n_gpus": "1", "epochs": "1", "samples": "50k"}, "zh")
    (note,) = [w for w in chinese.warnings if w.code == "config.held_out"]
    assert "实际训练 45,000 条" in note.message


def test_no_note_without_a_split_or_a_typed_samples(eng, tmp_path):
    path, _ = _read(tmp_path, LF + "dataset: alpaca_en\n")
    result = eng.solve(["steps"], {"config": str(path), "n_gpus": "1", "epochs": "1", "samples": "50k"})
    assert not [w for w in result.warnings if w.code == "config.held_out"]


def test_axolotl_val_set_size(eng, tmp_path):
    # axolotl has no dataset-size key: val_set_size 500 (a count) is said beside a typed samples of 20,000
    path, read = _read(tmp_path, "base_model: meta-llama/Llama-2-7b-hf\nval_set_size: 500\n", "ax.yaml")
    assert read.held_out is not None and read.held_out.count(20_000) == 500 and "samples" not in read.givens
    result = eng.solve(["steps"], {"config": str(path), "n_gpus": "1", "samples": "20000"})
    (note,) = [w for w in result.warnings if w.code == "config.held_out"]
    assert f"val_set_size 500 ({path}:2)" in note.message and "trains on 19,500" in note.message


@pytest.mark.parametrize("data, where, what", [
    ("dataset: a\nmax_samples: 10\nval_size: 1\n", ":7", "neither a share"),
    ("dataset: a\nmax_samples: 10\nval_size: -0.1\n", ":7", "at least 0"),
    ("dataset: a\nmax_samples: 100\nval_size: 100\n", ":7", "leaving none to train on"),   # 100 of 100 held out
])
def test_a_split_that_leaves_nothing_or_means_nothing_is_refused(tmp_path, data, where, what):
    with pytest.raises(TrainingConfigError) as caught:
        _read(tmp_path, LF + data)
    assert str(caught.value).startswith(f"{tmp_path / 'train.yaml'}{where}:") and what in str(caught.value)


def test_a_workbook_row_that_types_samples_gets_the_note(eng, tmp_path):
    from engine.table.frames import run_frame

    path, _ = _read(tmp_path, LF + "dataset: alpaca_en\nmax_samples: 10000\nval_size: 0.1\n")
    frame = pl.DataFrame({"solve": ["steps", "steps"], "config": [str(path)] * 2, "n_gpus": [1, 1],
                          "epochs": [1, 1], "samples": [None, 50_000]})
    results = run_frame(frame, eng).results
    origins = results["config origins"].to_list()
    assert results["steps"].to_list() == [562, 3_125]          # 9,000 from the config; 50,000 typed
    assert "samples (" in origins[0] and "val_size 0.1" in origins[0]
    assert "the run trains on 45,000" in origins[1]

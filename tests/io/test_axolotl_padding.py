"""axolotl's pad_to_sequence_len (v0.18.0, commit 067b021) read as llmplan's pad_to: true pads every batch to
sequence_len (pad_to=max_length); unset or false pads each batch to its longest sample, llmplan's default."""
from __future__ import annotations

from engine.io.training_config import read_training_config


def test_axolotl_pad_to_sequence_len_pads_to_seq_len(tmp_path):
    # axolotl v0.18.0: pad_to_sequence_len true -> pad_to_multiple_of = sequence_len (core/builders/causal.py:387),
    # every batch padded to it: pad_to=max_length, from the file's line 3; false or unset: the longest of each
    # batch, llmplan's default (nothing filled)
    path = tmp_path / "axolotl.yml"
    path.write_text("base_model: m\nsequence_len: 2048\npad_to_sequence_len: true\n", encoding="utf-8")
    read = read_training_config(path)
    assert read.givens["pad_to"].value == "max_length" and read.givens["pad_to"].origin.endswith(":3")
    for text in ("base_model: m\npad_to_sequence_len: false\n", "base_model: m\n"):
        path.write_text(text, encoding="utf-8")
        read = read_training_config(path)
        assert "pad_to" not in read.givens and not any("pad_to_sequence_len" in key for key in read.ignored)


def test_a_config_padded_to_sequence_len_is_timed_so(eng, tmp_path):
    # the file's pad_to_sequence_len reaches the rules: micro_batch 1 (axolotl's default), 1,000 samples of 512
    # tokens padded to 2,048, 1 epoch (axolotl's default): 1,000 × 2,048 = 2,048,000 tokens, 1 - 512 / 2,048 = 0.75
    # padding; without it (pad_to=longest) a micro-batch of one is not padded: 1,000 × 512 = 512,000
    path = tmp_path / "axolotl.yml"
    for text, tokens, padding in (("pad_to_sequence_len: true\n", 2_048_000, 0.75), ("", 512_000, 0.0)):
        path.write_text("base_model: Qwen/Qwen2.5-7B\nsequence_len: 2048\n" + text, encoding="utf-8")
        r = eng.solve(["tokens", "padding_share"], {"config": str(path), "samples": "1000", "tokens_per_sample": "512"})
        assert r.values["tokens"] == tokens and r.values["padding_share"] == padding

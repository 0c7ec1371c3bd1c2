"""LoRA on Baichuan's fused q/k/v projection W_pack (Baichuan2 modeling_baichuan.py:
self.W_pack = nn.Linear(hidden_size, 3 * hidden_size, bias=False)), LLaMA-Factory's documented lora_target
for Baichuan and Baichuan 2.

Hand calculation, Baichuan2-7B (config.json: hidden 4096, 32 layers, 32 heads = 32 KV heads of 128,
intermediate 11008), r = 8 (Hu et al. 2021 §4.1: r·(d_in + d_out) per adapted matrix):
    W_pack  4096 -> 3·4096:  8 · (4096 + 12288) = 131,072 per layer;  × 32 = 4,194,304
    o_proj  4096 -> 4096:    8 · (4096 + 4096)  =  65,536 per layer
    MLP     3 × 4096 <-> 11008: 3 · 8 · (4096 + 11008) = 362,496 per layer
    W_pack,o_proj:                 (131,072 + 65,536) · 32 = 6,291,456
    W_pack,o_proj + MLP (all):     (131,072 + 65,536 + 362,496) · 32 = 17,891,328
Separate q, k, v adapters would be 3 · 8 · (4096 + 4096) = 196,608 per layer: the fused one is a third less.
"""
from __future__ import annotations

import pytest

from engine.io.training_config import read_training_config

W_PACK = 4_194_304
W_PACK_O = 6_291_456
ALL_FUSED = 17_891_328


@pytest.mark.parametrize("targets, expected", [
    ("W_pack", W_PACK), ("qkv-fused", W_PACK), ("W_pack,o_proj", W_PACK_O), ("all-linear-fused", ALL_FUSED),
])
def test_trainable_parameters_by_hand(eng, targets, expected):
    result = eng.solve(["trainable_params"], {"model": "baichuan2-7b", "method": "lora", "lora_rank": "8",
                                              "lora_targets": targets})
    assert result.values["trainable_params"] == expected


def test_the_fused_adapter_is_smaller_than_three_separate_ones(eng):
    # separate q, k, v (with o): 8 · 4 · (4096 + 4096) · 32 = 8,388,608; fused W_pack with o: 6,291,456
    given = {"model": "baichuan2-7b", "method": "lora", "lora_rank": "8"}
    assert eng.solve(["lora_params"], {**given, "lora_targets": "qkvo"}).values["lora_params"] == 8_388_608
    assert eng.solve(["lora_params"], {**given, "lora_targets": "qkv-fused-o"}).values["lora_params"] == W_PACK_O


LF = "model_name_or_path: baichuan-inc/Baichuan2-7B-Base\nfinetuning_type: lora\nlora_rank: 8\n"


@pytest.mark.parametrize("line, chosen, expected", [
    ("lora_target: W_pack\n", "qkv-fused", W_PACK),
    ("lora_target: W_pack,o_proj\n", "qkv-fused-o", W_PACK_O),
    ("lora_target: o_proj, W_pack\n", "qkv-fused-o", W_PACK_O),                  # any order, spaces
    ("lora_target: W_pack,o_proj,gate_proj,up_proj,down_proj\n", "all-linear-fused", ALL_FUSED),
    ("lora_target: all\n", "all-linear-fused", ALL_FUSED),   # find_all_linear_modules on Baichuan: the same five
    ("", "all-linear-fused", ALL_FUSED),                      # LLaMA-Factory's default lora_target = all
])
def test_llamafactory_lora_target_on_baichuan(eng, tmp_path, line, chosen, expected):
    path = tmp_path / "train.yaml"
    path.write_text(LF + line, encoding="utf-8")
    filled = read_training_config(path).givens["lora_targets"]
    assert filled.value == chosen
    if line:
        assert filled.origin.startswith(f"{path}:4")
    if "all" in line or not line:
        assert "W_pack" in filled.origin      # says why the fused set was chosen
    result = eng.solve(["trainable_params"], {"config": str(path)})
    assert result.values["trainable_params"] == expected


def test_a_w_pack_set_llmplan_does_not_count_is_refused_with_the_sets_it_does(eng, tmp_path):
    from engine.errors import EngineError

    path = tmp_path / "train.yaml"
    path.write_text(LF + "lora_target: W_pack,gate_proj,up_proj\n", encoding="utf-8")
    read = read_training_config(path)
    assert "lora_targets" not in read.givens
    (name, why), = read.unmodelled
    assert name == "lora_targets" and f"{path}:4" in why
    assert "W_pack = qkv-fused" in why and "W_pack,o_proj = qkv-fused-o" in why and "all-linear-fused" in why
    with pytest.raises(EngineError) as caught:
        eng.solve(["trainable_params"], {"config": str(path)})
    assert "lora_targets=..." in str(caught.value)


def test_axolotl_lora_target_modules_on_baichuan(tmp_path):
    path = tmp_path / "ax.yaml"
    path.write_text("base_model: baichuan-inc/Baichuan2-7B-Base\nadapter: lora\nlora_r: 8\n"
                    "lora_target_modules:\n  - W_pack\n  - o_proj\n", encoding="utf-8")
    assert read_training_config(path).givens["lora_targets"].value == "qkv-fused-o"
    path.write_text("base_model: baichuan-inc/Baichuan2-7B-Base\nadapter: lora\nlora_target_linear: true\n",
                    encoding="utf-8")
    assert read_training_config(path).givens["lora_targets"].value == "all-linear-fused"
    path.write_text("base_model: meta-llama/Llama-2-7b-hf\nadapter: lora\nlora_target_linear: true\n",
                    encoding="utf-8")
    assert read_training_config(path).givens["lora_targets"].value == "all-linear"


@pytest.mark.parametrize("target", ["q_proj,v_proj", "q_proj,k_proj,v_proj,o_proj"])
def test_separate_q_k_v_on_baichuan_are_refused_naming_w_pack(eng, tmp_path, target):
    # Baichuan's attention has no q_proj/k_proj/v_proj (one fused W_pack, modeling_baichuan.py): PEFT stops with
    # "target modules not found", so counting q and v adapters would plan a run that cannot start
    path = tmp_path / "train.yaml"
    path.write_text(LF + f"lora_target: {target}\n", encoding="utf-8")
    read = read_training_config(path)
    assert "lora_targets" not in read.givens
    (name, why), = read.unmodelled
    assert name == "lora_targets" and f"{path}:4" in why and "W_pack = qkv-fused" in why
    # the same names on a LLaMA model are its q and v projections
    llama = tmp_path / "llama.yaml"
    llama.write_text(LF.replace("baichuan-inc/Baichuan2-7B-Base", "meta-llama/Llama-2-7b-hf")
                     + f"lora_target: {target}\n", encoding="utf-8")
    assert read_training_config(llama).givens["lora_targets"].value in ("qv", "qkvo")

"""`model=path/to/config.json`: Hugging Face configs read offline into architecture givens.

The configs are written here with the field names and values of the published config.json
files; each must give the same parameter count as the catalog entry for the same model
(catalogs/models.yaml, checked against measured counts in tests/rules/test_catalog_models.py).
"""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

from engine.rules.hf_config import HFConfigError, is_config_path, read_hf_config

CONFIGS = {
    # meta-llama/Llama-2-7b-hf
    "llama2-7b": {"architectures": ["LlamaForCausalLM"], "model_type": "llama", "hidden_act": "silu",
                  "hidden_size": 4096, "intermediate_size": 11008, "max_position_embeddings": 4096,
                  "num_attention_heads": 32, "num_hidden_layers": 32, "num_key_value_heads": 32,
                  "rms_norm_eps": 1e-05, "tie_word_embeddings": False, "torch_dtype": "float16", "vocab_size": 32000},
    # meta-llama/Llama-2-70b-hf (grouped-query attention)
    "llama2-70b": {"model_type": "llama", "hidden_size": 8192, "intermediate_size": 28672,
                   "max_position_embeddings": 4096, "num_attention_heads": 64, "num_hidden_layers": 80,
                   "num_key_value_heads": 8, "tie_word_embeddings": False, "vocab_size": 32000},
    # openai-community/gpt2 (n_inner null = 4 · n_embd, tied output layer)
    "gpt2": {"activation_function": "gelu_new", "architectures": ["GPT2LMHeadModel"], "model_type": "gpt2",
             "n_ctx": 1024, "n_embd": 768, "n_head": 12, "n_inner": None, "n_layer": 12, "n_positions": 1024,
             "vocab_size": 50257},
    # tiiuae/falcon-7b (multi-query, parallel attention with one LayerNorm)
    "falcon-7b": {"architectures": ["FalconForCausalLM"], "model_type": "falcon", "bias": False,
                  "hidden_size": 4544, "multi_query": True, "new_decoder_architecture": False,
                  "num_attention_heads": 71, "num_hidden_layers": 32, "parallel_attn": True, "vocab_size": 65024},
    # tiiuae/falcon-40b (new decoder architecture: 8 KV heads, ln_attn and ln_mlp)
    "falcon-40b": {"model_type": "falcon", "bias": False, "hidden_size": 8192, "new_decoder_architecture": True,
                   "num_attention_heads": 128, "num_hidden_layers": 60, "num_kv_heads": 8, "parallel_attn": True,
                   "vocab_size": 65024},
    # THUDM/chatglm-6b (GLM block: GELU MLP, LayerNorm, biases)
    "chatglm-6b": {"model_type": "chatglm", "hidden_size": 4096, "inner_hidden_size": 16384,
                   "num_attention_heads": 32, "num_layers": 28, "vocab_size": 130528, "max_sequence_length": 2048,
                   "position_encoding_2d": True, "layernorm_epsilon": 1e-05},
    # Qwen/Qwen-7B (intermediate_size is twice one projection)
    "qwen-7b": {"model_type": "qwen", "hidden_size": 4096, "intermediate_size": 22016, "num_attention_heads": 32,
                "num_hidden_layers": 32, "seq_length": 8192, "vocab_size": 151936, "no_bias": True,
                "kv_channels": 128, "tie_word_embeddings": False},
    # Qwen/Qwen2-7B (QKV bias)
    "qwen2-7b": {"model_type": "qwen2", "hidden_size": 3584, "intermediate_size": 18944, "num_attention_heads": 28,
                 "num_hidden_layers": 28, "num_key_value_heads": 4, "max_position_embeddings": 32768,
                 "tie_word_embeddings": False, "vocab_size": 152064},
    # baichuan-inc/Baichuan-7B
    "baichuan-7b": {"model_type": "baichuan", "hidden_size": 4096, "intermediate_size": 11008,
                    "num_attention_heads": 32, "num_hidden_layers": 32, "max_position_embeddings": 4096,
                    "vocab_size": 64000, "tie_word_embeddings": False},
    # mistralai/Mixtral-8x7B-v0.1
    "mixtral-8x7b": {"model_type": "mixtral", "hidden_size": 4096, "intermediate_size": 14336,
                     "num_attention_heads": 32, "num_hidden_layers": 32, "num_key_value_heads": 8,
                     "num_local_experts": 8, "num_experts_per_tok": 2, "max_position_embeddings": 32768,
                     "tie_word_embeddings": False, "vocab_size": 32000},
    # mosaicml/mpt-7b (no_bias, tied, expansion_ratio 4)
    "mpt-7b": {"model_type": "mpt", "d_model": 4096, "n_heads": 32, "n_layers": 32, "expansion_ratio": 4,
               "max_seq_len": 2048, "vocab_size": 50432, "no_bias": True,
               "attn_config": {"attn_type": "multihead_attention", "alibi": True}},
}


def write(tmp_path, name: str, data: dict) -> str:
    path = tmp_path / f"{name}.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return str(path)


@pytest.mark.parametrize("key", sorted(CONFIGS))
def test_config_gives_the_catalog_parameter_count(eng, tmp_path, key):
    from_config = eng.solve(["arch_params", "active_params"], {"model": write(tmp_path, key, CONFIGS[key])})
    from_catalog = eng.solve(["arch_params", "active_params"], {"model": key})
    assert from_config.values["arch_params"] == from_catalog.values["arch_params"]
    assert from_config.values["active_params"] == from_catalog.values["active_params"]


def test_chatglm2_config_by_hand(tmp_path, eng):
    # THUDM/chatglm2-6b: multi-query groups 2, SwiGLU 13696, QKV bias only, RMSNorm, untied output layer.
    # per layer: qkv 4096 · (32 + 2·2) · 128 + bias 4608, dense 4096², MLP 3 · 4096 · 13696, 2 RMSNorms
    config = {"model_type": "chatglm", "num_layers": 28, "padded_vocab_size": 65024, "hidden_size": 4096,
              "ffn_hidden_size": 13696, "kv_channels": 128, "num_attention_heads": 32, "seq_length": 32768,
              "multi_query_attention": True, "multi_query_group_num": 2, "add_bias_linear": False,
              "add_qkv_bias": True, "rmsnorm": True, "post_layer_norm": True}
    layer = 4096 * 36 * 128 + 36 * 128 + 4096**2 + 3 * 4096 * 13696 + 2 * 4096
    total = 28 * layer + 4096 + 2 * 65024 * 4096
    assert total == 6_243_584_000
    r = eng.solve(["arch_params"], {"model": write(tmp_path, "chatglm2", config)})
    assert r.values["arch_params"] == total
    assert r.values["kv_heads"] == 2 and r.values["context_length"] == 32768


def test_read_values_and_folder(tmp_path):
    folder = tmp_path / "Llama-2-7b-hf"
    folder.mkdir()
    (folder / "config.json").write_text(json.dumps(CONFIGS["llama2-7b"]), encoding="utf-8")
    values = read_hf_config(folder)
    assert values["layers"] == 32 and values["kv_heads"] == 32 and values["embedding_copies"] == 2
    assert values["mlp_matrices"] == 3 and values["context_length"] == 4096 and values["n_experts"] == 1
    assert is_config_path(str(folder)) and is_config_path("x/config.json") and not is_config_path("llama2-7b")


def test_user_values_win_over_the_config(eng, tmp_path):
    path = write(tmp_path, "llama", CONFIGS["llama2-7b"])
    r = eng.solve(["arch_params"], {"model": path, "vocab_size": 64000})
    assert r.values["vocab_size"] == 64000
    assert r.values["arch_params"] == 6_738_415_616 + 2 * 32000 * 4096


def test_config_feeds_memory_questions(eng, tmp_path):
    path = write(tmp_path, "llama", CONFIGS["llama2-7b"])
    r = eng.solve(["lora_params"], {"model": path, "lora_rank": 8})
    assert r.values["lora_params"] == 4_194_304


@pytest.mark.parametrize("data, fragment", [
    ({"model_type": "llama", "hidden_size": 4096, "num_attention_heads": 32, "vocab_size": 32000,
      "intermediate_size": 11008}, "no layers (field num_hidden_layers or n_layer"),
    ({**CONFIGS["llama2-7b"], "intermediate_size": "big"}, "field intermediate_size must be a positive number"),
    ({**CONFIGS["llama2-7b"], "tie_word_embeddings": "yes"}, "field tie_word_embeddings must be true or false"),
    ({"model_type": "gemma", "hidden_size": 3072}, "model_type 'gemma' is not one llmplan can read"),
])
def test_bad_configs_name_the_file_and_field(tmp_path, data, fragment):
    path = write(tmp_path, "bad", data)
    with pytest.raises(HFConfigError) as info:
        read_hf_config(path)
    assert fragment in str(info.value) and path in str(info.value)


def test_unreadable_config_files(tmp_path):
    broken = tmp_path / "broken.json"
    broken.write_text("{not json", encoding="utf-8")
    with pytest.raises(HFConfigError, match="not valid JSON"):
        read_hf_config(broken)
    with pytest.raises(HFConfigError, match="no such file"):
        read_hf_config(tmp_path / "missing.json")
    listed = tmp_path / "list.json"
    listed.write_text("[1, 2]", encoding="utf-8")
    with pytest.raises(HFConfigError, match="expected a JSON object"):
        read_hf_config(listed)


def test_cli_reads_a_config(tmp_path):
    path = write(tmp_path, "gpt2", CONFIGS["gpt2"])
    out = subprocess.run([sys.executable, "-m", "engine", "solve", "arch_params", f"model={path}", "--json"],
                         check=False, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["values"]["arch_params"]["value"] == 124_439_808
    bad = subprocess.run([sys.executable, "-m", "engine", "solve", "arch_params", f"model={tmp_path}/none.json"],
                         check=False, capture_output=True, text=True, timeout=120)
    assert bad.returncode == 2 and "none.json" in bad.stderr and "Traceback" not in bad.stderr


def test_a_decoupled_head_width_switches_the_head_dim_rule(tmp_path, eng):
    # Llama-2-7B's shape with 256-wide heads (as Gemma does): attention q/k/v/o are 4096×(32·256) each,
    # so per layer 4·4096·8192 = 134,217,728 attention weights instead of 4·4096² = 67,108,864;
    # 32 layers × 67,108,864 more = 2,147,483,648 more parameters than Llama-2-7B's 6,738,415,616
    path = write(tmp_path, "wide", {**CONFIGS["llama2-7b"], "head_dim": 256})
    assert read_hf_config(path)["head_dim_rule"] == "free"
    r = eng.solve(["arch_params"], {"model": path})
    assert r.values["arch_params"] == 6_738_415_616 + 32 * (4 * 4096 * 8192 - 4 * 4096 * 4096)

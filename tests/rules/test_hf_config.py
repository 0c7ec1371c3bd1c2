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

    # -- current families (issue #14); fields as in each repo's published config.json ----------
    # Qwen/Qwen2.5-7B-Instruct (qwen2: QKV bias, untied)
    "qwen2.5-7b": {"architectures": ["Qwen2ForCausalLM"], "model_type": "qwen2", "hidden_size": 3584,
                   "intermediate_size": 18944, "max_position_embeddings": 32768, "num_attention_heads": 28,
                   "num_hidden_layers": 28, "num_key_value_heads": 4, "rms_norm_eps": 1e-06,
                   "tie_word_embeddings": False, "vocab_size": 152064},
    # Qwen/Qwen2.5-0.5B (tied embedding)
    "qwen2.5-0.5b": {"model_type": "qwen2", "hidden_size": 896, "intermediate_size": 4864,
                     "max_position_embeddings": 32768, "num_attention_heads": 14, "num_hidden_layers": 24,
                     "num_key_value_heads": 2, "tie_word_embeddings": True, "vocab_size": 151936},
    # Qwen/Qwen3-8B (head_dim 128, QK-norm, no attention bias)
    "qwen3-8b": {"architectures": ["Qwen3ForCausalLM"], "model_type": "qwen3", "attention_bias": False,
                 "head_dim": 128, "hidden_size": 4096, "intermediate_size": 12288, "max_position_embeddings": 40960,
                 "num_attention_heads": 32, "num_hidden_layers": 36, "num_key_value_heads": 8,
                 "tie_word_embeddings": False, "vocab_size": 151936},
    # Qwen/Qwen3-4B (head_dim 128 ≠ 2560 / 32: decoupled; tied)
    "qwen3-4b": {"model_type": "qwen3", "attention_bias": False, "head_dim": 128, "hidden_size": 2560,
                 "intermediate_size": 9728, "max_position_embeddings": 40960, "num_attention_heads": 32,
                 "num_hidden_layers": 36, "num_key_value_heads": 8, "tie_word_embeddings": True,
                 "vocab_size": 151936},
    # Qwen/Qwen3-30B-A3B (qwen3_moe: 128 experts of 768, top-8, every layer MoE)
    "qwen3-30b-a3b": {"architectures": ["Qwen3MoeForCausalLM"], "model_type": "qwen3_moe", "attention_bias": False,
                      "decoder_sparse_step": 1, "head_dim": 128, "hidden_size": 2048, "intermediate_size": 6144,
                      "max_position_embeddings": 40960, "mlp_only_layers": [], "moe_intermediate_size": 768,
                      "norm_topk_prob": True, "num_attention_heads": 32, "num_experts": 128,
                      "num_experts_per_tok": 8, "num_hidden_layers": 48, "num_key_value_heads": 4,
                      "tie_word_embeddings": False, "vocab_size": 151936},
    # meta-llama/Llama-3.1-8B (rope_scaling llama3)
    "llama3.1-8b": {"model_type": "llama", "attention_bias": False, "head_dim": 128, "hidden_size": 4096,
                    "intermediate_size": 14336, "max_position_embeddings": 131072, "mlp_bias": False,
                    "num_attention_heads": 32, "num_hidden_layers": 32, "num_key_value_heads": 8,
                    "rope_scaling": {"factor": 8.0, "high_freq_factor": 4.0, "low_freq_factor": 1.0,
                                     "original_max_position_embeddings": 8192, "rope_type": "llama3"},
                    "rope_theta": 500000.0, "tie_word_embeddings": False, "vocab_size": 128256},
    # meta-llama/Llama-3.2-1B (tied, head_dim 64)
    "llama3.2-1b": {"model_type": "llama", "head_dim": 64, "hidden_size": 2048, "intermediate_size": 8192,
                    "max_position_embeddings": 131072, "num_attention_heads": 32, "num_hidden_layers": 16,
                    "num_key_value_heads": 8, "rope_scaling": {"factor": 32.0, "rope_type": "llama3"},
                    "tie_word_embeddings": True, "vocab_size": 128256},
    # mistralai/Mistral-7B-v0.3
    "mistral-7b-v0.3": {"model_type": "mistral", "head_dim": None, "hidden_size": 4096, "intermediate_size": 14336,
                        "max_position_embeddings": 32768, "num_attention_heads": 32, "num_hidden_layers": 32,
                        "num_key_value_heads": 8, "tie_word_embeddings": False, "vocab_size": 32768},
    # mistralai/Mistral-Nemo-Base-2407 (head_dim 128 with hidden 5120 / 32 heads)
    "mistral-nemo-12b": {"model_type": "mistral", "head_dim": 128, "hidden_size": 5120, "intermediate_size": 14336,
                         "max_position_embeddings": 1024000, "num_attention_heads": 32, "num_hidden_layers": 40,
                         "num_key_value_heads": 8, "tie_word_embeddings": False, "vocab_size": 131072},
    # mistralai/Mixtral-8x22B-Instruct-v0.1
    "mixtral-8x22b": {"model_type": "mixtral", "hidden_size": 6144, "intermediate_size": 16384,
                      "max_position_embeddings": 65536, "num_attention_heads": 48, "num_experts_per_tok": 2,
                      "num_hidden_layers": 56, "num_key_value_heads": 8, "num_local_experts": 8,
                      "tie_word_embeddings": False, "vocab_size": 32768},
    # deepseek-ai/DeepSeek-V3 (MLA, 1 shared + 256 routed experts, first 3 layers dense)
    "deepseek-v3": {"architectures": ["DeepseekV3ForCausalLM"], "model_type": "deepseek_v3", "attention_bias": False,
                    "first_k_dense_replace": 3, "hidden_size": 7168, "intermediate_size": 18432,
                    "kv_lora_rank": 512, "max_position_embeddings": 163840, "moe_intermediate_size": 2048,
                    "moe_layer_freq": 1, "n_group": 8, "n_routed_experts": 256, "n_shared_experts": 1,
                    "num_attention_heads": 128, "num_experts_per_tok": 8, "num_hidden_layers": 61,
                    "num_key_value_heads": 128, "num_nextn_predict_layers": 1, "q_lora_rank": 1536,
                    "qk_nope_head_dim": 128, "qk_rope_head_dim": 64, "tie_word_embeddings": False,
                    "topk_group": 4, "v_head_dim": 128, "vocab_size": 129280},
    # deepseek-ai/DeepSeek-V2-Lite (q_lora_rank null: full query projection)
    "deepseek-v2-lite": {"model_type": "deepseek_v2", "first_k_dense_replace": 1, "hidden_size": 2048,
                         "intermediate_size": 10944, "kv_lora_rank": 512, "max_position_embeddings": 163840,
                         "moe_intermediate_size": 1408, "moe_layer_freq": 1, "n_routed_experts": 64,
                         "n_shared_experts": 2, "num_attention_heads": 16, "num_experts_per_tok": 6,
                         "num_hidden_layers": 27, "num_key_value_heads": 16, "q_lora_rank": None,
                         "qk_nope_head_dim": 128, "qk_rope_head_dim": 64, "tie_word_embeddings": False,
                         "v_head_dim": 128, "vocab_size": 102400},
    # google/gemma-2-9b
    "gemma2-9b": {"architectures": ["Gemma2ForCausalLM"], "model_type": "gemma2", "head_dim": 256,
                  "hidden_size": 3584, "intermediate_size": 14336, "max_position_embeddings": 8192,
                  "num_attention_heads": 16, "num_hidden_layers": 42, "num_key_value_heads": 8,
                  "query_pre_attn_scalar": 256, "vocab_size": 256000},
    # google/gemma-3-1b-pt (gemma3_text)
    "gemma3-1b": {"model_type": "gemma3_text", "head_dim": 256, "hidden_size": 1152, "intermediate_size": 6912,
                  "max_position_embeddings": 32768, "num_attention_heads": 4, "num_hidden_layers": 26,
                  "num_key_value_heads": 1, "vocab_size": 262144},
    # google/gemma-3-4b-pt: multimodal; text_config lists only what differs from Gemma3TextConfig defaults
    "gemma3-4b": {"architectures": ["Gemma3ForConditionalGeneration"], "model_type": "gemma3",
                  "text_config": {"hidden_size": 2560, "intermediate_size": 10240, "model_type": "gemma3_text",
                                  "num_hidden_layers": 34, "rope_scaling": {"factor": 8.0, "rope_type": "linear"},
                                  "sliding_window": 1024},
                  "vision_config": {"hidden_size": 1152, "model_type": "siglip_vision_model"}},
    # google/gemma-3-27b-pt
    "gemma3-27b": {"model_type": "gemma3",
                   "text_config": {"head_dim": 128, "hidden_size": 5376, "intermediate_size": 21504,
                                   "model_type": "gemma3_text", "num_attention_heads": 32, "num_hidden_layers": 62,
                                   "num_key_value_heads": 16, "query_pre_attn_scalar": 168}},
    # THUDM/glm-4-9b (chatglm layout: multi-query groups 2, QKV bias)
    "glm-4-9b": {"model_type": "chatglm", "add_bias_linear": False, "add_qkv_bias": True, "ffn_hidden_size": 13696,
                 "hidden_size": 4096, "kv_channels": 128, "multi_query_attention": True, "multi_query_group_num": 2,
                 "num_attention_heads": 32, "num_layers": 40, "padded_vocab_size": 151552, "rmsnorm": True,
                 "seq_length": 8192},
    # microsoft/Phi-3-mini-4k-instruct and microsoft/phi-4 (phi3)
    "phi-3-mini": {"model_type": "phi3", "hidden_size": 3072, "intermediate_size": 8192,
                   "max_position_embeddings": 4096, "num_attention_heads": 32, "num_hidden_layers": 32,
                   "num_key_value_heads": 32, "tie_word_embeddings": False, "vocab_size": 32064},
    "phi-4": {"model_type": "phi3", "hidden_size": 5120, "intermediate_size": 17920, "max_position_embeddings": 16384,
              "num_attention_heads": 40, "num_hidden_layers": 40, "num_key_value_heads": 10,
              "tie_word_embeddings": False, "vocab_size": 100352},
    # internlm/internlm2_5-7b (internlm2: fused wqkv, bias false)
    "internlm2.5-7b": {"model_type": "internlm2", "bias": False, "hidden_size": 4096, "intermediate_size": 14336,
                       "max_position_embeddings": 32768, "num_attention_heads": 32, "num_hidden_layers": 32,
                       "num_key_value_heads": 8, "tie_word_embeddings": False, "vocab_size": 92544},
    # 01-ai/Yi-1.5-34B (llama)
    "yi-1.5-34b": {"model_type": "llama", "hidden_size": 7168, "intermediate_size": 20480,
                   "max_position_embeddings": 4096, "num_attention_heads": 56, "num_hidden_layers": 60,
                   "num_key_value_heads": 8, "tie_word_embeddings": False, "vocab_size": 64000},
    # baichuan-inc/Baichuan2-13B-Base (baichuan, ALiBi, no num_key_value_heads)
    "baichuan2-13b": {"model_type": "baichuan", "hidden_size": 5120, "intermediate_size": 13696,
                      "model_max_length": 4096, "num_attention_heads": 40, "num_hidden_layers": 40,
                      "tie_word_embeddings": False, "vocab_size": 125696},
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


def test_glm4_0414_config_by_hand(eng, tmp_path):
    # THUDM/GLM-4-9B-0414 (model_type glm4, HF Glm4DecoderLayer): attention_bias on q, k, v only, 2 KV heads of
    # 128, four RMSNorms per layer (input, post_self_attn, post_attention, post_mlp), untied output layer
    config = {"model_type": "glm4", "attention_bias": True, "head_dim": 128, "hidden_size": 4096,
              "intermediate_size": 13696, "max_position_embeddings": 32768, "num_attention_heads": 32,
              "num_hidden_layers": 40, "num_key_value_heads": 2, "tie_word_embeddings": False, "vocab_size": 151552}
    layer = 4096 * (32 + 2 * 2) * 128 + (32 + 2 * 2) * 128 + 32 * 128 * 4096 + 3 * 4096 * 13696 + 4 * 4096
    total = 40 * layer + 4096 + 2 * 151552 * 4096
    assert total == 9_400_279_040
    r = eng.solve(["arch_params"], {"model": write(tmp_path, "glm4", config)})
    assert r.values["arch_params"] == total


def test_deepseek_config_values(tmp_path):
    values = read_hf_config(write(tmp_path, "v3", CONFIGS["deepseek-v3"]))
    assert values["attention_kind"] == "mla" and values["head_dim_rule"] == "free"
    assert values["head_dim"] == 192 and values["dense_layers"] == 3 and values["dense_ffn_hidden"] == 18432
    assert values["ffn_hidden"] == 2048 and values["shared_experts"] == 1 and values["n_experts"] == 256
    lite = read_hf_config(write(tmp_path, "lite", CONFIGS["deepseek-v2-lite"]))
    assert lite["attention_kind"] == "mla_direct_q" and lite["q_lora_rank"] == 0


def test_gemma3_text_config_defaults(tmp_path):
    # google/gemma-3-4b-pt's text_config omits heads, KV heads, head_dim and vocabulary: transformers'
    # Gemma3TextConfig defaults (8, 4, 256, 262,208) apply
    values = read_hf_config(write(tmp_path, "g3", CONFIGS["gemma3-4b"]))
    assert (values["heads"], values["kv_heads"], values["head_dim"], values["vocab_size"]) == (8, 4, 256, 262208)
    assert values["qk_norm"] == 1 and values["norms_per_layer"] == 4 and values["embedding_copies"] == 1


@pytest.mark.parametrize("data, fragment", [
    ({"model_type": "qwen3_moe", "hidden_size": 2048, "num_attention_heads": 32, "num_hidden_layers": 48,
      "vocab_size": 151936, "intermediate_size": 6144, "moe_intermediate_size": 768, "num_experts": 128,
      "num_experts_per_tok": 8, "decoder_sparse_step": 2}, "decoder_sparse_step 2"),
    ({**CONFIGS["deepseek-v3"], "moe_layer_freq": 2}, "moe_layer_freq 2"),
    ({"model_type": "gemma3", "vision_config": {}}, "without a text_config"),
])
def test_unsupported_layouts_are_refused(tmp_path, data, fragment):
    path = write(tmp_path, "odd", data)
    with pytest.raises(HFConfigError) as info:
        read_hf_config(path)
    assert fragment in str(info.value) and path in str(info.value)


def test_unknown_model_type_lists_the_supported_ones(tmp_path):
    path = write(tmp_path, "new", {"model_type": "brand_new_arch", "hidden_size": 1024})
    with pytest.raises(HFConfigError) as info:
        read_hf_config(path)
    text = str(info.value)
    assert path in text and "brand_new_arch" in text
    for supported in ("qwen3", "qwen3_moe", "deepseek_v3", "deepseek_v2", "gemma2", "gemma3", "glm4", "phi3",
                      "internlm2", "baichuan", "mixtral", "chatglm"):
        assert f"{supported}," in text or f"{supported})" in text

"""A Hugging Face `config.json` -> numeric givens for formulas/architecture.yaml (offline).

`model=path/to/config.json` (or a model folder holding one) describes a model the catalog does
not know. This module only translates field names; every formula stays in the rule files:

    read_hf_config("Llama-2-7b-hf/config.json")
    -> {"layers": 32, "hidden": 4096, "heads": 32, "kv_heads": 32, "ffn_hidden": 11008, ...}

Field names differ between families (num_hidden_layers / n_layer / num_layers, hidden_size /
n_embd / d_model, ...); the architecture flags that config files do not state (gated MLP,
RMSNorm vs LayerNorm, biases, parallel attention) follow the family's Hugging Face implementation,
as catalogs/models.yaml documents for its entries. A missing or unusable field is an error that
names the file and the field; an unknown `model_type` is refused rather than guessed.
"""
from __future__ import annotations

import json
import math
import stat
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from ..errors import HFConfigError
from ..messages import keyed

MAX_BYTES = 1_000_000   # a config.json is a few KB; refuse anything that is clearly not one

# model_type -> family; the families are described in _FAMILIES below
_TYPES = {
    "llama": "llama", "mistral": "llama", "mixtral": "llama", "qwen2": "llama", "qwen3": "llama",
    "baichuan": "llama", "internlm": "llama", "internlm2": "llama", "yi": "llama", "phi3": "llama",
    "glm": "llama", "glm4": "llama",
    "qwen3_moe": "qwen3_moe", "deepseek_v2": "deepseek", "deepseek_v3": "deepseek",
    "gemma2": "gemma", "gemma3": "gemma", "gemma3_text": "gemma",
    "qwen": "qwen", "gpt2": "gpt2", "falcon": "falcon", "RefinedWeb": "falcon", "RefinedWebModel": "falcon",
    "chatglm": "chatglm", "mpt": "mpt",
}

# Fields the published Gemma configs leave out and transformers fills from the config class
# defaults (transformers Gemma2Config / Gemma3TextConfig, v4.50): google/gemma-3-4b-pt's
# text_config, for one, gives only hidden_size, intermediate_size and num_hidden_layers.
_GEMMA_DEFAULTS = {
    "gemma2": {"vocab_size": 256000, "hidden_size": 2304, "intermediate_size": 9216, "num_hidden_layers": 26,
               "num_attention_heads": 8, "num_key_value_heads": 4, "head_dim": 256,
               "max_position_embeddings": 8192},
    "gemma3_text": {"vocab_size": 262208, "hidden_size": 2304, "intermediate_size": 9216, "num_hidden_layers": 26,
                    "num_attention_heads": 8, "num_key_value_heads": 4, "head_dim": 256,
                    "max_position_embeddings": 131072},
}

# variable -> config field names, first present wins
_LAYERS = ("num_hidden_layers", "n_layer", "num_layers", "n_layers")
_HIDDEN = ("hidden_size", "n_embd", "d_model")
_HEADS = ("num_attention_heads", "n_head", "num_heads", "n_heads")
_VOCAB = ("vocab_size", "padded_vocab_size", "n_vocab")
_CONTEXT = ("max_position_embeddings", "n_positions", "seq_length", "max_sequence_length", "max_seq_len",
            "model_max_length", "n_ctx")




class _Config:
    """The parsed JSON with field look-ups that name the file in every error."""

    def __init__(self, path: Path, data: dict[str, Any]) -> None:
        self.path, self.data = path, data

    def error(self, key: str, /, **fields: object) -> HFConfigError:
        return keyed(HFConfigError, key, path=self.path, **fields)

    def get(self, names: tuple[str, ...], default: Any = None) -> Any:
        for name in names:
            if self.data.get(name) is not None:
                return self.data[name]
        return default

    def number(self, names: tuple[str, ...], what: str, default: Any = None) -> float:
        value = self.get(names, default)
        if value is None:
            raise self.error("hfconfig.missing_field", what=what, fields=" or ".join(names),
                             model_type=self.data.get("model_type"))
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0 \
                or not math.isfinite(float(value)):
            field = next((n for n in names if n in self.data), names[0])
            raise self.error("hfconfig.not_positive", field=field, value=value)
        return float(value)

    def flag(self, name: str, default: bool) -> float:
        value = self.data.get(name, default)
        if value is None:
            value = default
        if not isinstance(value, bool):
            raise self.error("hfconfig.not_bool", field=name, value=value)
        return 1.0 if value else 0.0


def is_config_path(value: Any) -> bool:
    """Whether a `model=` value names a config.json (or a folder with one) rather than a catalog key."""
    if not isinstance(value, (str, Path)):
        return False
    text = str(value).strip()
    if text.lower().endswith(".json"):
        return True
    path = Path(text)
    return ("/" in text or "\\" in text or path.is_dir()) and (path / "config.json").is_file()


def read_hf_config(path: str | Path) -> dict[str, float | str]:
    """Architecture givens (formulas/architecture.yaml names) read from a config.json."""
    config = _load(Path(path))
    if config.data.get("model_type") == "gemma3":    # multimodal Gemma 3: the language model is text_config
        text = config.data.get("text_config")
        if not isinstance(text, dict):
            raise config.error("hfconfig.gemma3_without_text_config")
        config = _Config(config.path, {"model_type": "gemma3_text", **text})
    family = _TYPES.get(str(config.data.get("model_type", "")))
    if family is None:
        known = ", ".join(sorted(_TYPES))
        raise config.error("hfconfig.unknown_model_type", model_type=config.data.get("model_type"), known=known)
    values: dict[str, float | str] = dict(_FAMILIES[family](config))
    for name, value in _common(config, values).items():   # a family's own figures win (MLA, shared experts)
        values.setdefault(name, value)
    return values


MAX_INT_DIGITS = 30     # an integer field of a config.json (vocab, layers...) has a few digits


def _bounded_int(text: str) -> int:
    """json's parse_int: a 400-digit integer is not a model size (and would overflow a float)."""
    if len(text.lstrip("-")) > MAX_INT_DIGITS:
        raise ValueError(f"an integer with {len(text.lstrip('-'))} digits (at most {MAX_INT_DIGITS})")
    return int(text)


def _load(path: Path) -> _Config:
    if path.is_dir():
        path = path / "config.json"
    try:
        info = path.stat()
        if not stat.S_ISREG(info.st_mode):   # a FIFO would hang, /dev/zero never ends
            raise keyed(HFConfigError, "hfconfig.not_regular_file", path=path)
        if info.st_size > MAX_BYTES:
            raise keyed(HFConfigError, "hfconfig.too_large", path=path, size=info.st_size, limit=f"{MAX_BYTES:,}")
        data = json.loads(path.read_text(encoding="utf-8"), parse_int=_bounded_int)
    except HFConfigError:
        raise
    except FileNotFoundError:
        raise keyed(HFConfigError, "hfconfig.no_such_file", path=path) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise keyed(HFConfigError, "hfconfig.cannot_read", path=path, reason=exc) from None
    except RecursionError:
        raise keyed(HFConfigError, "hfconfig.nested_too_deeply", path=path) from None
    except ValueError as exc:
        raise keyed(HFConfigError, "hfconfig.invalid_json", path=path, reason=exc) from None
    if not isinstance(data, dict):
        raise keyed(HFConfigError, "hfconfig.not_an_object", path=path, found=type(data).__name__)
    return _Config(path, data)


# Dropout rates of the blocks as Transformers' configs name them (attention probabilities, residual branches)
_DROPOUT = ("attention_dropout", "attn_pdrop", "resid_pdrop", "hidden_dropout", "attention_probs_dropout_prob",
            "hidden_dropout_prob", "attn_dropout_prob")


def _shape(config: _Config) -> dict[str, float]:
    return {"layers": config.number(_LAYERS, "layers"), "hidden": config.number(_HIDDEN, "hidden"),
            "heads": config.number(_HEADS, "heads"), "vocab_size": config.number(_VOCAB, "vocab_size")}


def _common(config: _Config, values: Mapping[str, float | str]) -> dict[str, float | str]:
    """Context length, head width and experts, shared by every family."""
    out: dict[str, float | str] = {}
    context = config.get(_CONTEXT)
    if isinstance(context, (int, float)) and not isinstance(context, bool) and context > 0:
        out["context_length"] = float(context)
    head_dim = config.get(("head_dim", "kv_channels"))
    if head_dim is not None:
        head_dim = config.number(("head_dim", "kv_channels"), "head_dim")
        if head_dim * float(values["heads"]) != float(values["hidden"]):
            out["head_dim_rule"] = "free"   # decoupled head width (Gemma): architecture.head_dim does not apply
        out["head_dim"] = float(head_dim)
    experts = config.get(("num_local_experts", "num_experts", "moe_num_experts"))
    out.update(shared_experts=0.0, dense_layers=0.0, dense_ffn_hidden=0.0)
    if experts:
        out["n_experts"] = config.number(("num_local_experts", "num_experts", "moe_num_experts"), "n_experts")
        out["experts_per_token"] = config.number(("num_experts_per_tok", "moe_top_k"), "experts_per_token")
        out["moe_router"] = 1.0
    else:
        out.update(n_experts=1.0, experts_per_token=1.0, moe_router=0.0)
    rates = [config.data[k] for k in _DROPOUT if isinstance(config.data.get(k), (int, float))
             and not isinstance(config.data.get(k), bool)]
    if rates:   # activations.yaml's dropout selector: 1 if the blocks apply any dropout (GPT-2 0.1, LLaMA 0.0)
        out["dropout"] = 1.0 if max(rates) > 0 else 0.0
    return out


def _llama(config: _Config) -> dict[str, float]:
    """LLaMA 1-3.x, Mistral/Mixtral, Qwen2/2.5/3, Baichuan, InternLM2, Yi, Phi-3/4, GLM-4 (HF glm/glm4).

    SwiGLU, RMSNorm, rotary, untied unless tie_word_embeddings. Per model_type, following the
    transformers implementation (v4.50): qwen2 has a bias on q, k, v only; glm/glm4 the same when
    attention_bias; internlm2 a bias on wqkv and wo when `bias`; qwen3 normalizes q and k per head;
    glm4 (GLM-4-0414) adds post-attention and post-MLP RMSNorms (4 per layer). Phi-3's fused
    qkv_proj / gate_up_proj hold the same numbers as separate projections.
    """
    values = _shape(config)
    kind = config.data.get("model_type")
    if kind == "internlm2":
        qkv_bias = out_bias = config.flag("bias", False)
    elif kind in ("qwen2", "glm", "glm4"):    # q, k, v projections with bias, output without
        qkv_bias, out_bias = config.flag("attention_bias", kind == "qwen2"), 0.0
    else:
        qkv_bias = out_bias = config.flag("attention_bias", False)
    values.update(
        kv_heads=config.number(("num_key_value_heads",), "kv_heads", values["heads"]),
        ffn_hidden=config.number(("intermediate_size",), "ffn_hidden"),
        mlp_matrices=3.0, embedding_copies=2.0 - config.flag("tie_word_embeddings", False),
        qkv_bias=qkv_bias, attn_out_bias=out_bias,
        mlp_bias=config.flag("mlp_bias", False), lm_head_bias=0.0, norm_vectors_per_norm=1.0,
        norms_per_layer=4.0 if kind == "glm4" else 2.0, learned_positions=0.0,
        qk_norm=1.0 if kind == "qwen3" else 0.0)
    return values


def _qwen3_moe(config: _Config) -> dict[str, float]:
    """Qwen3-MoE: Qwen3 attention (QK-norm), MoE MLPs moe_intermediate_size wide, no shared expert.

    Layers listed in mlp_only_layers keep a dense MLP of intermediate_size (the count does not
    depend on where they are); a decoder_sparse_step other than 1 is refused rather than guessed.
    """
    values = _llama(config)
    values["qk_norm"] = 1.0
    step = config.data.get("decoder_sparse_step", 1)
    if step != 1:
        raise config.error("hfconfig.sparse_step", step=step)
    dense = config.data.get("mlp_only_layers") or []
    if not isinstance(dense, list):
        raise config.error("hfconfig.mlp_only_layers", value=dense)
    values.update(ffn_hidden=config.number(("moe_intermediate_size",), "ffn_hidden"),
                  n_experts=config.number(("num_experts",), "n_experts"),
                  experts_per_token=config.number(("num_experts_per_tok",), "experts_per_token"),
                  moe_router=1.0, shared_experts=0.0, dense_layers=float(len(dense)),
                  dense_ffn_hidden=values["ffn_hidden"] if dense else 0.0)
    return values


def _deepseek(config: _Config) -> dict[str, float | str]:
    """DeepSeek-V2/V3/R1: multi-head latent attention, first_k_dense_replace dense layers, then MoE
    layers of n_shared_experts + n_routed_experts experts moe_intermediate_size wide (HF
    DeepseekV3ForCausalLM). q_lora_rank null (V2-Lite) means one full query projection."""
    values: dict[str, float | str] = dict(_shape(config))
    freq = config.data.get("moe_layer_freq", 1)
    if freq != 1:
        raise config.error("hfconfig.moe_layer_freq", freq=freq)
    q_rank = config.data.get("q_lora_rank")
    nope = config.number(("qk_nope_head_dim",), "qk_nope_head_dim")
    rope = config.number(("qk_rope_head_dim",), "qk_rope_head_dim")
    routed = config.get(("n_routed_experts",))
    values.update(
        attention_kind="mla" if q_rank else "mla_direct_q", head_dim_rule="free",
        q_lora_rank=config.number(("q_lora_rank",), "q_lora_rank") if q_rank else 0.0,
        kv_lora_rank=config.number(("kv_lora_rank",), "kv_lora_rank"), qk_nope_head_dim=nope,
        qk_rope_head_dim=rope, v_head_dim=config.number(("v_head_dim",), "v_head_dim"),
        head_dim=nope + rope, kv_heads=values["heads"],
        mlp_matrices=3.0, embedding_copies=2.0 - config.flag("tie_word_embeddings", False),
        qkv_bias=config.flag("attention_bias", False), attn_out_bias=config.flag("attention_bias", False),
        mlp_bias=0.0, lm_head_bias=0.0, norm_vectors_per_norm=1.0, norms_per_layer=2.0, learned_positions=0.0,
        qk_norm=0.0)
    dense_ffn = config.number(("intermediate_size",), "dense_ffn_hidden")
    if routed:
        values.update(ffn_hidden=config.number(("moe_intermediate_size",), "ffn_hidden"),
                      n_experts=config.number(("n_routed_experts",), "n_experts"),
                      experts_per_token=config.number(("num_experts_per_tok",), "experts_per_token"),
                      shared_experts=float(config.data.get("n_shared_experts") or 0), moe_router=1.0,
                      dense_layers=float(config.data.get("first_k_dense_replace") or 0), dense_ffn_hidden=dense_ffn)
    else:   # a dense DeepSeek configuration
        values.update(ffn_hidden=dense_ffn, n_experts=1.0, experts_per_token=1.0, shared_experts=0.0,
                      moe_router=0.0, dense_layers=0.0, dense_ffn_hidden=0.0)
    return values


def _gemma(config: _Config) -> dict[str, float | str]:
    """Gemma 2 / Gemma 3 text model: GeGLU (3 matrices), tied embedding, decoupled head_dim, four
    RMSNorms per layer (input, post-attention, pre- and post-feed-forward); Gemma 3 adds QK-norm."""
    kind = str(config.data.get("model_type"))
    config = _Config(config.path, {**_GEMMA_DEFAULTS[kind], **{k: v for k, v in config.data.items() if v is not None}})
    values = _shape(config)
    values.update(kv_heads=config.number(("num_key_value_heads",), "kv_heads"),
                  ffn_hidden=config.number(("intermediate_size",), "ffn_hidden"),
                  mlp_matrices=3.0, embedding_copies=2.0 - config.flag("tie_word_embeddings", True),
                  qkv_bias=config.flag("attention_bias", False), attn_out_bias=config.flag("attention_bias", False),
                  mlp_bias=0.0, lm_head_bias=0.0, norm_vectors_per_norm=1.0, norms_per_layer=4.0,
                  learned_positions=0.0, qk_norm=1.0 if kind == "gemma3_text" else 0.0,
                  head_dim=config.number(("head_dim",), "head_dim"))
    mixed: dict[str, float | str] = dict(values)
    mixed.update(_common(config, values))      # head_dim_rule "free": Gemma's heads × head_dim is not hidden
    return mixed


def _qwen(config: _Config) -> dict[str, float]:
    """Qwen (v1): as LLaMA with a QKV bias; intermediate_size is twice one projection's width."""
    values = _shape(config)
    values.update(kv_heads=values["heads"], ffn_hidden=config.number(("intermediate_size",), "ffn_hidden") / 2,
                  mlp_matrices=3.0, embedding_copies=2.0 - config.flag("tie_word_embeddings", False),
                  qkv_bias=1.0, attn_out_bias=0.0, mlp_bias=0.0, lm_head_bias=0.0, norm_vectors_per_norm=1.0,
                  norms_per_layer=2.0, learned_positions=0.0)
    return values


def _gpt2(config: _Config) -> dict[str, float]:
    """GPT-2: learned positions, LayerNorm, biases everywhere, GELU MLP 4×, tied output layer."""
    values = _shape(config)
    values.update(kv_heads=values["heads"],
                  ffn_hidden=config.number(("n_inner",), "ffn_hidden", 4 * values["hidden"]),
                  mlp_matrices=2.0, embedding_copies=2.0 - config.flag("tie_word_embeddings", True),
                  qkv_bias=1.0, attn_out_bias=1.0, mlp_bias=1.0, lm_head_bias=0.0, norm_vectors_per_norm=2.0,
                  norms_per_layer=2.0, learned_positions=config.number(("n_positions", "n_ctx"), "learned_positions"))
    return values


def _falcon(config: _Config) -> dict[str, float]:
    """Falcon: GELU MLP, LayerNorm, multi-query (7B) or grouped (new decoder architecture, 40B)."""
    values = _shape(config)
    # RefinedWeb (the original Falcon-40B code) is the new decoder architecture under its old name
    new = config.flag("new_decoder_architecture", config.data.get("model_type") == "RefinedWeb")
    if new:
        kv = config.number(("num_kv_heads", "n_head_kv"), "kv_heads")
    elif config.flag("multi_query", True):
        kv = 1.0
    else:
        kv = values["heads"]
    bias = config.flag("bias", False)
    parallel = config.flag("parallel_attn", True)
    values.update(kv_heads=kv, ffn_hidden=config.number(("ffn_hidden_size",), "ffn_hidden", 4 * values["hidden"]),
                  mlp_matrices=2.0, embedding_copies=2.0 - config.flag("tie_word_embeddings", True),
                  qkv_bias=bias, attn_out_bias=bias, mlp_bias=bias, lm_head_bias=0.0, norm_vectors_per_norm=2.0,
                  norms_per_layer=2.0 if new or not parallel else 1.0, learned_positions=0.0)
    return values


def _chatglm(config: _Config) -> dict[str, float]:
    """ChatGLM-6B (GELU MLP, LayerNorm, biases, tied) or ChatGLM2/3 (SwiGLU, RMSNorm, MQA, untied)."""
    values = _shape(config)
    if "inner_hidden_size" in config.data and "ffn_hidden_size" not in config.data:   # ChatGLM-6B (v1)
        values.update(kv_heads=values["heads"], ffn_hidden=config.number(("inner_hidden_size",), "ffn_hidden"),
                      mlp_matrices=2.0, embedding_copies=1.0, qkv_bias=1.0, attn_out_bias=1.0, mlp_bias=1.0,
                      lm_head_bias=0.0, norm_vectors_per_norm=2.0, norms_per_layer=2.0, learned_positions=0.0)
        return values
    mqa = config.flag("multi_query_attention", False)
    linear_bias = config.flag("add_bias_linear", False)
    values.update(kv_heads=config.number(("multi_query_group_num",), "kv_heads") if mqa else values["heads"],
                  ffn_hidden=config.number(("ffn_hidden_size",), "ffn_hidden"), mlp_matrices=3.0,
                  embedding_copies=2.0 - config.flag("tie_word_embeddings", False),
                  qkv_bias=config.flag("add_qkv_bias", False), attn_out_bias=linear_bias, mlp_bias=linear_bias,
                  lm_head_bias=0.0, norm_vectors_per_norm=1.0 if config.flag("rmsnorm", True) else 2.0,
                  norms_per_layer=2.0, learned_positions=0.0)
    return values


def _mpt(config: _Config) -> dict[str, float]:
    """MPT: ALiBi, GELU MLP expansion_ratio × d_model, LayerNorm without bias when no_bias, tied."""
    values = _shape(config)
    no_bias = config.flag("no_bias", True)
    attn_config = config.data.get("attn_config")
    attn: dict[str, Any] = attn_config if isinstance(attn_config, dict) else {}
    kv = attn.get("kv_n_heads") if attn.get("attn_type") == "grouped_query_attention" else None
    values.update(kv_heads=float(kv) if kv else values["heads"],
                  ffn_hidden=config.number(("expansion_ratio",), "ffn_hidden", 4) * values["hidden"],
                  mlp_matrices=2.0, embedding_copies=2.0 - config.flag("tie_word_embeddings", True),
                  qkv_bias=1.0 - no_bias, attn_out_bias=1.0 - no_bias, mlp_bias=1.0 - no_bias, lm_head_bias=0.0,
                  norm_vectors_per_norm=1.0 if no_bias else 2.0, norms_per_layer=2.0, learned_positions=0.0)
    return values


_FAMILIES: dict[str, Callable[[_Config], Mapping[str, float | str]]] = {
    "llama": _llama, "qwen": _qwen, "gpt2": _gpt2, "falcon": _falcon, "chatglm": _chatglm, "mpt": _mpt,
    "qwen3_moe": _qwen3_moe, "deepseek": _deepseek, "gemma": _gemma,
}


def givens_from_config(givens: dict[str, Any]) -> dict[str, Any]:
    """`model=<config.json>` replaced by the values it describes; what the user typed wins."""
    raw = givens.get("model")
    if raw is None or not is_config_path(raw):
        return givens
    out = {name: value for name, value in givens.items() if name != "model"}
    for name, value in read_hf_config(str(raw).strip()).items():
        out.setdefault(name, value)
    return out

"""Texts about a Hugging Face config.json given as `model=` (engine/rules/hf_config.py).

Each names the file ("model: {path}: ...") and the field, and says what would be right."""
from __future__ import annotations

MESSAGES: dict[str, tuple[str, str]] = {
    "hfconfig.missing_field": (
        "model: {path}: no {what} (field {fields}) for model_type {model_type!r}; give {what}=... yourself",
        "model: {path}：model_type {model_type!r} 缺少 {what}（字段 {fields}）；请自行给出 {what}=..."),
    "hfconfig.not_positive": (
        "model: {path}: field {field} must be a positive number, found {value!r}",
        "model: {path}：字段 {field} 必须是正数，实际为 {value!r}"),
    "hfconfig.not_bool": (
        "model: {path}: field {field} must be true or false, found {value!r}",
        "model: {path}：字段 {field} 必须是 true 或 false，实际为 {value!r}"),
    "hfconfig.gemma3_without_text_config": (
        "model: {path}: model_type 'gemma3' without a text_config object; give the language model's "
        "config.json (model_type gemma3_text) or its shapes yourself",
        "model: {path}：model_type 'gemma3' 缺少 text_config 对象；请给出语言模型部分的 config.json"
        "（model_type gemma3_text），或自行给出各维度"),
    "hfconfig.unknown_model_type": (
        "model: {path}: model_type {model_type!r} is not one llmplan can read (known: {known}); give layers, "
        "hidden, heads, kv_heads, ffn_hidden, vocab_size and the architecture flags yourself "
        "(see `llmplan explain arch_params`)",
        "model: {path}：llmplan 无法读取 model_type {model_type!r}（支持：{known}）；请自行给出 layers、hidden、"
        "heads、kv_heads、ffn_hidden、vocab_size 及各架构开关（见 `llmplan explain arch_params`）"),
    "hfconfig.not_regular_file": (
        "model: {path}: not a regular file (a device, pipe or socket); give the path of a config.json",
        "model: {path}：不是普通文件（是设备、管道或套接字）；请给出 config.json 的路径"),
    "hfconfig.too_large": (
        "model: {path}: {size} bytes is too large for a config.json (at most {limit})",
        "model: {path}：{size} 字节，作为 config.json 过大（最多 {limit}）"),
    "hfconfig.no_such_file": (
        "model: {path}: no such file (a Hugging Face config.json, or a catalog key: see `llmplan catalog models`)",
        "model: {path}：文件不存在（应为 Hugging Face 的 config.json，或目录中的模型键：见 `llmplan catalog models`）"),
    "hfconfig.cannot_read": (
        "model: {path}: cannot read ({reason})",
        "model: {path}：无法读取（{reason}）"),
    "hfconfig.nested_too_deeply": (
        "model: {path}: not a usable config.json: JSON nested too deeply (a config.json is a flat object "
        "with a few nested ones)",
        "model: {path}：不是可用的 config.json：JSON 嵌套过深（config.json 是平铺的对象，只含少量嵌套对象）"),
    "hfconfig.invalid_json": (
        "model: {path}: not valid JSON ({reason})",
        "model: {path}：不是合法的 JSON（{reason}）"),
    "hfconfig.not_an_object": (
        "model: {path}: expected a JSON object, found {found}",
        "model: {path}：应为 JSON 对象，实际为 {found}"),
    "hfconfig.sparse_step": (
        "model: {path}: decoder_sparse_step {step!r}: only every layer being MoE (1) is read; "
        "give dense_layers and dense_ffn_hidden yourself",
        "model: {path}：decoder_sparse_step {step!r}：只支持每层都是 MoE（1）；"
        "请自行给出 dense_layers 和 dense_ffn_hidden"),
    "hfconfig.mlp_only_layers": (
        "model: {path}: field mlp_only_layers must be a list of layer numbers, found {value!r}",
        "model: {path}：字段 mlp_only_layers 必须是层号列表，实际为 {value!r}"),
    "hfconfig.moe_layer_freq": (
        "model: {path}: moe_layer_freq {freq!r}: only every layer after first_k_dense_replace being MoE "
        "(1) is read; give dense_layers and the expert counts yourself",
        "model: {path}：moe_layer_freq {freq!r}：只支持 first_k_dense_replace 之后每层都是 MoE（1）；"
        "请自行给出 dense_layers 和专家数量"),
}

"""Errors about training configs (LLaMA-Factory, axolotl, DeepSpeed, accelerate): engine/io/training_config."""
from __future__ import annotations

MESSAGES: dict[str, tuple[str, str]] = {
    # which framework
    "training.model_config": (
        "{path}: this is a model's config.json (it has {key}), not a training config; give it as model=PATH "
        "instead of config=",
        "{path}：这是模型的 config.json（含有 {key}），不是训练配置；请用 model=PATH 而不是 config= 给出"),
    "training.unknown_kind": (
        "{path}: not a training config llmplan knows (LLaMA-Factory: model_name_or_path; axolotl: base_model; "
        "DeepSpeed JSON: zero_optimization; accelerate: distributed_type)",
        "{path}：不是 llmplan 认识的训练配置（LLaMA-Factory：model_name_or_path；axolotl：base_model；"
        "DeepSpeed JSON：zero_optimization；accelerate：distributed_type）"),
    # reading the file (source.py)
    "training.too_large": ("{path}: {size:,} bytes is too large for a training config",
                           "{path}：{size:,} 字节，对训练配置而言过大"),
    "training.no_such_file": ("{path}: no such file", "{path}：文件不存在"),
    "training.is_folder": ("{path}: is a folder; give the training config file (.yaml or .json)",
                           "{path}：这是文件夹；请给出训练配置文件（.yaml 或 .json）"),
    "training.not_utf8": ("{path}: not UTF-8 text (byte {byte}); is this a training config?",
                          "{path}：不是 UTF-8 文本（第 {byte} 字节）；这是训练配置吗？"),
    "training.cannot_read": ("{path}: cannot read ({reason})", "{path}：无法读取（{reason}）"),
    "training.bad_yaml": (
        "{where}: not valid YAML ({reason}); check indentation (spaces, not tabs), colons and quotes",
        "{where}：不是有效的 YAML（{reason}）；请检查缩进（用空格，不用制表符）、冒号和引号"),
    "training.yaml_too_deep": ("{path}: not valid YAML (nested too deeply)", "{path}：不是有效的 YAML（嵌套过深）"),
    "training.empty": ("{path}: the file is empty; expected a training config (key: value lines)",
                       "{path}：文件为空；应为训练配置（键: 值 的行）"),
    "training.too_deep": ("{where}: nested or aliased too deeply to be a training config",
                          "{where}：嵌套或别名过深，不可能是训练配置"),
    "training.key_not_plain": ("{where}: a key must be a plain name", "{where}：键必须是普通名称"),
    "training.key_twice": (
        "{where}: {key} is set twice (first at line {first}); YAML would keep only the last one, so write it once",
        "{where}：{key} 被设置了两次（第一次在第 {first} 行）；YAML 只会保留最后一个，请只写一次"),
    "training.bad_value": (
        "{where}: cannot read the value {value!r} ({reason})",
        "{where}：无法读取取值 {value!r}（{reason}）"),
    "training.bad_json": ("{where}: not valid JSON ({reason})", "{where}：不是有效的 JSON（{reason}）"),
    "training.json_too_deep": ("{path}: not valid JSON (nested too deeply)", "{path}：不是有效的 JSON（嵌套过深）"),
    "training.expected_found": (
        "{where}: expected {expected}, found a {found}",
        "{where}：应为{expected}，实际为 {found}"),
    "training.a_config": ("a training config (key: value lines)", "训练配置（键: 值 的行）"),
    "training.a_json_object": ("a JSON object", "JSON 对象"),
    # keys and their values (model.py)
    "training.must_be": (
        "{where}: {key} must be {expected}, found {found!r}",
        "{where}：{key} 必须是{expected}，实际为 {found!r}"),
    "training.a_whole_number": ("a whole number", "整数"),
    "training.a_number": ("a number", "数字"),
    "training.true_or_false": ("true or false", "true 或 false"),
    "training.a_single_value": ("a single value", "单个取值"),
    "training.a_mapping": ("a mapping of sub-keys", "子键的映射"),
    "training.at_least": (
        "{where}: {key} must be at least {low}, found {value}",
        "{where}：{key} 至少为 {low}，实际为 {value}"),
    "training.positive": (
        "{where}: {key} must be greater than 0, found {value}",
        "{where}：{key} 必须大于 0，实际为 {value}"),
    "training.not_one_of": (
        "{where}: {key}: {value!r} is not one of {allowed}",
        "{where}：{key}：{value!r} 不是 {allowed} 之一"),
    # accelerate.py
    "training.num_processes": (
        "{where}: num_processes must be a positive whole number, found {value}",
        "{where}：num_processes 必须是正整数，实际为 {value}"),
    "training.processes_machines": (
        "{where}: num_processes {processes} (all GPUs of all machines) is not a multiple of num_machines {machines}",
        "{where}：num_processes {processes}（所有机器的全部 GPU）不是 num_machines {machines} 的整数倍"),
    "training.deepspeed_file_missing": (
        "{where}: {key} {value!r} not found (looked in {folder} and the working directory)",
        "{where}：找不到 {key} {value!r}（已在 {folder} 和当前工作目录中查找）"),
    "training.zero_stage_range": (
        "{where}: deepspeed_config.zero_stage must be 0-3, found {value}",
        "{where}：deepspeed_config.zero_stage 必须是 0-3，实际为 {value}"),
    "training.zero_stage": (
        "{where}: zero_optimization.stage must be 0, 1, 2 or 3, found {value}",
        "{where}：zero_optimization.stage 必须是 0、1、2 或 3，实际为 {value}"),
    # axolotl.py, llamafactory.py
    "training.no_base_model": ("{path}: axolotl config without base_model", "{path}：axolotl 配置缺少 base_model"),
    "training.no_model_path": (
        "{path}: LLaMA-Factory config without model_name_or_path", "{path}：LLaMA-Factory 配置缺少 model_name_or_path"),
    "training.quantized_full": (
        "{where}: a quantized base model needs adapter: lora or qlora (a full fine-tune cannot update quantized "
        "weights)",
        "{where}：量化的基座模型需要 adapter: lora 或 qlora（全参数微调无法更新量化权重）"),
    "training.bf16": ("{where}: bf16 must be true, false, auto or full, found {value!r}",
                      "{where}：bf16 必须是 true、false、auto 或 full，实际为 {value!r}"),
    "training.checkpointing": (
        "{where}: gradient_checkpointing must be true, false, offload or offload_disk, found {value!r}",
        "{where}：gradient_checkpointing 必须是 true、false、offload 或 offload_disk，实际为 {value!r}"),
    "training.quantization_needs_lora": (
        "{where}: quantization_bit needs finetuning_type lora; LLaMA-Factory refuses it with full or freeze "
        "(hparams/parser.py)",
        "{where}：quantization_bit 需要 finetuning_type lora；LLaMA-Factory 在 full 或 freeze "
        "下拒绝它（hparams/parser.py）"),
    "training.freeze_zero": (
        "{where}: freeze_trainable_layers must not be 0",
        "{where}：freeze_trainable_layers 不能为 0"),
    # evaluation data split off the training data (val_size, val_set_size)
    "training.held_out_one": (
        "{where}: {key} 1 is neither a share of the dataset (below 1) nor a count of examples (above 1); "
        "Hugging Face datasets' train_test_split refuses a test_size of 1.0: give a share such as 0.1 or a count "
        "such as 500",
        "{where}：{key} 为 1，既不是数据集的比例（小于 1），也不是样本条数（大于 1）；Hugging Face datasets 的 "
        "train_test_split 拒绝 test_size 为 1.0：请给出比例（如 0.1）或条数（如 500）"),
    "training.held_out_all": (
        "{where}: {key} {value} holds out {removed:,} of the {total:,} examples max_samples allows ({other}), "
        "leaving none to train on; give a smaller {key}",
        "{where}：{key} {value} 从 max_samples 允许的 {total:,} 条样本（{other}）中留出 {removed:,} 条用于评估，"
        "不剩训练样本；请给出更小的 {key}"),
    "training.held_out_typed": (
        "samples = {samples} is taken as the training examples per epoch after the config's evaluation split: "
        "{key} {value} ({where}) holds examples out of the dataset for evaluation ({framework}); if {samples} is "
        "the whole dataset, {held} of them are held out and the run trains on {rest:,}: give samples={rest}",
        "samples = {samples} 被视为配置划分评估集之后每个 epoch 的训练样本数：{key} {value}（{where}）从数据集中留出"
        "样本用于评估（{framework}）；若 {samples} 是整个数据集，其中 {held} 条被留出，实际训练 {rest:,} 条："
        "请给出 samples={rest}"),
    # deepspeed.py
    "training.offload_param_stage": (
        "{where}: {key} keeps the weights in host memory, which DeepSpeed does only with ZeRO stage 3 "
        "(offload_param is \"valid only with stage 3\", deepspeed/runtime/zero/config.py), but the stage is "
        "{stage} ({stage_where}): set the ZeRO stage to 3, or drop the parameter offload and keep only the "
        "optimizer's (llmplan's offload=optimizer, with stage 1 or more)",
        "{where}：{key} 把权重放在主机内存，而 DeepSpeed 只在 ZeRO 阶段 3 下这样做（offload_param “仅适用于阶段 3”，"
        "deepspeed/runtime/zero/config.py），但此处阶段为 {stage}（{stage_where}）："
        "请把 ZeRO 阶段设为 3，或去掉参数卸载、只保留优化器卸载（即 llmplan 的 offload=optimizer，需阶段 1 或以上）"),
    "training.offload_optimizer_stage": (
        "{where}: {key} moves the optimizer states to host memory, which DeepSpeed does only for ZeRO stages 1, 2 "
        "and 3 (offload_optimizer, deepspeed/runtime/zero/config.py), but the stage is 0 ({stage_where}): set the "
        "ZeRO stage to 1, 2 or 3 (ZeRO-Offload's own setting is 2), or drop the optimizer offload",
        "{where}：{key} 把优化器状态放到主机内存，而 DeepSpeed 只在 ZeRO 阶段 1、2、3 下这样做（offload_optimizer，"
        "deepspeed/runtime/zero/config.py），但此处阶段为 0（{stage_where}）："
        "请把 ZeRO 阶段设为 1、2 或 3（ZeRO-Offload 本身用 2），或去掉优化器卸载"),
    "training.ds_batch_not_whole": (
        "{where}: train_batch_size {batch} is not a multiple of micro-batch {micro} ({micro_where}) × accumulation "
        "{accumulation} ({accumulation_where}) = {per_gpu}, so no GPU count runs it: DeepSpeed asserts "
        "train_batch_size = micro-batch × accumulation × world size (deepspeed/runtime/config.py _batch_assertion); "
        "give a multiple of {per_gpu}, or \"auto\"",
        "{where}：train_batch_size {batch} 不是微批 {micro}（{micro_where}）× 累积步数 {accumulation}"
        "（{accumulation_where}）= {per_gpu} 的整数倍，任何 GPU 数都无法运行：DeepSpeed 要求 train_batch_size = "
        "微批 × 累积步数 × world size（deepspeed/runtime/config.py _batch_assertion）；请给出 {per_gpu} 的整数倍，"
        "或设为 \"auto\""),
    "training.ds_mismatch": (
        "{where}: {key} = {value} contradicts {other} = {other_value} ({origin}); the Hugging Face DeepSpeed "
        "integration refuses such mismatches: set it to \"auto\" or make them equal",
        "{where}：{key} = {value} 与 {other} = {other_value}（{origin}）矛盾；Hugging Face 的 DeepSpeed 集成拒绝这种"
        "不一致：请设为 \"auto\" 或让两者相等"),
    # givens.py, table.py
    "training.disagree": (
        "{where}: {key} gives {name} = {value}, but {other} gives {other_value}; make them agree or type {name}=...",
        "{where}：{key} 给出 {name} = {value}，但 {other} 给出 {other_value}；请让两者一致，或直接写 {name}=..."),
    "training.give_yourself": ("{why}; give {name}=... yourself", "{why}；请自己给出 {name}=..."),
    "training.give_column": ("{why}; give a {name} column", "{why}；请加一列 {name}"),
    "training.unknown_model": (
        "{where}: model {value!r} is neither a catalog model (see `llmplan catalog models`) nor a local folder with "
        "config.json; give model=<catalog key>, model=PATH/config.json, or the architecture (params=... or "
        "layers=, hidden=, heads=, ...)",
        "{where}：模型 {value!r} 既不是目录中的模型（见 `llmplan catalog models`），也不是含 config.json 的本地文件夹；"
        "请给出 model=<目录键>、model=PATH/config.json，或模型结构（params=... 或 layers=、hidden=、heads= 等）"),
    "training.bad_given": ("{where}: {key}: {problem}", "{where}：{key}：{problem}"),
}
MESSAGES.update({
    "training.config_cell": ("config: {problem}", "config：{problem}"),
})
MESSAGES.update({
    # values a framework has that llmplan cannot model (an error unless the user types the variable)
    "training.offload_param_only": (
        "{where}: offload_param without offload_optimizer has no llmplan offload value "
        "(none, optimizer, optimizer_and_params)",
        "{where}：只有 offload_param 而没有 offload_optimizer，llmplan 没有对应的 offload 取值"
        "（none、optimizer、optimizer_and_params）"),
    "training.fsdp_offload_no_shard": (
        "{where}: offload_params with NO_SHARD (plain data parallelism) has no llmplan offload value: llmplan "
        "offloads what a ZeRO stage partitions (offload=optimizer needs zero_stage 1 or more, optimizer_and_params "
        "zero_stage 3)",
        "{where}：NO_SHARD（普通数据并行）下的 offload_params 在 llmplan 中没有对应的 offload 取值："
        "llmplan 只卸载 ZeRO 阶段切分的状态"
        "（offload=optimizer 需要 zero_stage 1 或以上，optimizer_and_params 需要 zero_stage 3）"),
    "training.fp8": (
        "{where}: mixed_precision fp8 has no llmplan precision recipe",
        "{where}：mixed_precision fp8 在 llmplan 中没有对应的精度方案"),
    "training.megatron": (
        "{where}: distributed_type MEGATRON_LM: give tp and pp yourself",
        "{where}：distributed_type MEGATRON_LM：请自己给出 tp 和 pp"),
    "training.oft": (
        "{where}: finetuning_type oft has no llmplan method (full, freeze, lora, qlora)",
        "{where}：finetuning_type oft 在 llmplan 中没有对应的方法（full、freeze、lora、qlora）"),
    "training.quantization_bits": (
        "{where}: quantization_bit {bits} has no llmplan method (4 = qlora, 8 = qlora-8bit, 2 = qlora-2bit)",
        "{where}：quantization_bit {bits} 在 llmplan 中没有对应的方法（4 = qlora，8 = qlora-8bit，2 = qlora-2bit）"),
    "training.lora_target": (
        "{where}: lora_target {value!r} is not a set llmplan counts (q_proj,v_proj = qv; q,k,v,o_proj = qkvo; "
        "all = all-linear; Baichuan's fused W_pack = qkv-fused, W_pack,o_proj = qkv-fused-o, "
        "W_pack,o_proj,gate_proj,up_proj,down_proj = all-linear-fused)",
        "{where}：lora_target {value!r} 不是 llmplan 能计数的组合（q_proj,v_proj = qv；q,k,v,o_proj = qkvo；"
        "all = all-linear；百川合并的 W_pack = qkv-fused，W_pack,o_proj = qkv-fused-o，"
        "W_pack,o_proj,gate_proj,up_proj,down_proj = all-linear-fused）"),
    "training.lora_target_modules": (
        "{where}: lora_target_modules {value} is not a set llmplan counts (q_proj,v_proj = qv; q,k,v,o_proj = qkvo; "
        "all linear = all-linear; Baichuan's fused W_pack = qkv-fused, W_pack,o_proj = qkv-fused-o, "
        "W_pack,o_proj,gate_proj,up_proj,down_proj = all-linear-fused)",
        "{where}：lora_target_modules {value} 不是 llmplan 能计数的组合（q_proj,v_proj = qv；q,k,v,o_proj = qkvo；"
        "全部线性层 = all-linear；百川合并的 W_pack = qkv-fused，W_pack,o_proj = qkv-fused-o，"
        "W_pack,o_proj,gate_proj,up_proj,down_proj = all-linear-fused）"),
    "training.unknown_optimizer": (
        "{where}: {key} {value!r} has no entry in catalogs/optimizers.yaml",
        "{where}：{key} {value!r} 在 catalogs/optimizers.yaml 中没有条目"),
    "training.config_behind": (
        "{error}. From the config: {values}",
        "{error}。来自配置：{values}"),
})

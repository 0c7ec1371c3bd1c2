"""`llmplan preflight` texts (moved from engine/cli/preflight.py TEXTS and
engine/cli/commands/preflight.py WORDS): candidate changes, notes, the verdict's words."""
from __future__ import annotations

MESSAGES: dict[str, tuple[str, str]] = {
    "preflight.one_gpu": (
        "no --n-gpus and no accelerate num_processes in the config",
        "未给 --n-gpus，配置中也没有 accelerate 的 num_processes"),
    "preflight.no_micro_batch": ("not even micro_batch = 1 fits", "连 micro_batch = 1 也放不下"),
    "preflight.mfu": (
        "inside the seed §4a band 0.3–0.55; give mfu=... or perf_model=analytic",
        "取种子文档 §4a 区间 0.3–0.55 之内；可用 mfu=... 或 perf_model=analytic 指定"),
    "preflight.padded": (
        ("packing off: every sample is counted padded to seq_len (cutoff_len), an upper bound when the trainer pads "
         "each batch only to its longest sample"),
        "未打包：每条样本按补齐到 seq_len（cutoff_len）计算，训练器只补齐到批内最长样本时这是上界"),
    "preflight.padded_max_length": (
        "packing off, pad_to=max_length: every sample is padded to seq_len (cutoff_len), as the collator pads",
        "未打包且 pad_to=max_length：每条样本补齐到 seq_len（cutoff_len），与整理器一致"),
    "preflight.padded_longest": (
        ("packing off: each micro-batch is padded to its longest sample, {tokens} tokens computed per sequence "
         "(pad_to=longest, as LLaMA-Factory's, axolotl's and TRL's collators pad)"),
        ("未打包：每个微批补齐到其最长样本，每条序列计算 {tokens} 个 token"
         "（pad_to=longest，与 LLaMA-Factory、axolotl、TRL 的整理器一致）")),
    "preflight.recompute": ("gradient checkpointing (recompute=full)", "梯度检查点（recompute=full）"),
    "preflight.zero": ("ZeRO stage {stage} (zero_stage={stage})", "ZeRO 阶段 {stage}（zero_stage={stage}）"),
    "preflight.micro": (
        "micro_batch {micro}, grad_accum {accum} (same global batch)",
        "micro_batch {micro}，grad_accum {accum}（全局批大小不变）"),
    "preflight.offload": (
        "ZeRO-Offload: optimizer states to CPU (zero_stage={stage}, offload=optimizer)",
        "ZeRO-Offload：优化器状态放到 CPU（zero_stage={stage}，offload=optimizer）"),
    "preflight.offload_all": (
        "ZeRO-3 with optimizer and parameters on the CPU (zero_stage=3, offload=optimizer_and_params)",
        "ZeRO-3，优化器状态与参数都放到 CPU（zero_stage=3，offload=optimizer_and_params）"),
    "preflight.lora": ("LoRA (method=lora)", "LoRA（method=lora）"),
    "preflight.qlora": ("QLoRA, 4-bit NF4 base (method=qlora)", "QLoRA，4 位 NF4 基座（method=qlora）"),
    "preflight.cutoff": (
        "shorter cutoff: seq_len {length} (cutoff_len / sequence_len)",
        "缩短截断长度：seq_len {length}（cutoff_len / sequence_len）"),
    "preflight.more_gpus": (
        "{n} GPUs, ZeRO stage {stage} sharding the model states over them (n_gpus={n}, zero_stage={stage})",
        "{n} 张卡，ZeRO 阶段 {stage} 把模型状态切分到各卡（n_gpus={n}，zero_stage={stage}）"),
    "preflight.note_gpus": (
        "more GPUs; the global batch grows with them (per-device batch × grad_accum × GPUs)",
        "需要更多 GPU；全局批大小随卡数增大（单卡批 × grad_accum × 卡数）"),
    "preflight.note_offload": ("host↔GPU transfer time not counted", "未计入主机与 GPU 之间的传输时间"),
    "preflight.note_method": ("changes what is trained", "改变了训练内容"),
    "preflight.note_cutoff": ("longer samples are truncated", "更长的样本会被截断"),
    "preflight.need_samples": (
        ("for steps and time per epoch give samples=N (examples per epoch) and, with packing, tokens_per_sample=N "
         "(mean tokens per example)"),
        ("要得到每个 epoch 的步数和时间，请给出 samples=N（每个 epoch 的样本数）；打包时再给 "
         "tokens_per_sample=N（每条样本的平均 token 数）")),
    "preflight.need_tokens_per_sample": (
        ("for steps and time per epoch give tokens_per_sample=N (mean tokens per example: packed, the "
         "{samples} examples fill sequences of seq_len), or packing=off (one example per sequence)"),
        ("要得到每个 epoch 的步数和时间，请给出 tokens_per_sample=N（每条样本的平均 token 数：打包时 "
         "{samples} 条样本拼成 seq_len 长的序列），或 packing=off（每条样本一个序列）")),
    "preflight.word.fits": ("FITS", "放得下"),
    "preflight.word.no_fit": ("DOES NOT FIT", "放不下"),
    "preflight.word.per_gpu": ("Memory per GPU", "单卡显存"),
    "preflight.word.usable": ("usable", "可用"),
    "preflight.word.headroom": ("headroom", "余量"),
    "preflight.word.short": ("short by", "缺少"),
    "preflight.word.max_mb": ("Largest micro-batch that fits", "能放下的最大 micro-batch"),
    "preflight.word.steps": ("Steps per epoch", "每个 epoch 的步数"),
    "preflight.word.epoch": ("Time per epoch", "每个 epoch 的时间"),
    "preflight.word.mfu_assumed": ("mfu {mfu} assumed", "假设 mfu = {mfu}"),
    "preflight.word.mfu_given": ("mfu {mfu} given", "给定 mfu = {mfu}"),
    "preflight.word.changes": ("Changes, ranked (those that fit first)", "可选的改法（已排序，能放下的在前）"),
    "preflight.word.mfu_predicted": (
        "perf_model=analytic: mfu {mfu} predicted", "perf_model=analytic：预测 mfu = {mfu}"),
    "preflight.word.run": ("Whole run", "整个训练"),
    "preflight.word.run_steps": ("max_steps = {steps}, {epochs} epochs", "max_steps = {steps}，即 {epochs} 个 epoch"),
    "preflight.word.run_epochs": ("{epochs} epochs", "{epochs} 个 epoch"),
    "preflight.word.run_one_epoch": ("1 epoch", "1 个 epoch"),
    "preflight.word.fits_tag": ("fits", "放得下"),
    "preflight.word.tight_tag": ("fits, tight", "放得下，但余量很紧"),
    "preflight.word.tight": (
        "tight: under 2 GB left for the CUDA context, NCCL buffers and fragmentation, which llmplan does not count "
        "unless you give memory_overhead=...",
        "余量很紧：CUDA 上下文、NCCL 缓冲与显存碎片需要约 1–2 GB，不足 2 GB 时可能放不下；llmplan 只在给出 "
        "memory_overhead=... 时计入"),
    "preflight.word.no_fit_tag": ("does not fit", "放不下"),
    "preflight.word.from": ("Read from", "读取自"),
    "preflight.word.assumed": ("Assumed", "假设"),
    "preflight.word.on_command_line": ("typed", "命令行给出"),
    "preflight.word.default": ("llmplan default", "llmplan 默认值"),
    "preflight.word.none": ("none", "无"),
    "preflight.word.sequences": ("sequences", "条序列"),
    "preflight.word.host": ("host (CPU) memory per GPU", "每卡主机（CPU）内存"),
    "preflight.word.ignored": ("Ignored (config keys llmplan does not use)", "已忽略（llmplan 不使用的配置项）"),
    "preflight.word.weights_bytes_per_gpu": ("weights", "权重"),
    "preflight.word.grads_bytes_per_gpu": ("gradients", "梯度"),
    "preflight.word.optimizer_bytes_per_gpu": ("optimizer states", "优化器状态"),
    "preflight.word.activation_bytes_per_gpu": ("activations", "激活"),
    "preflight.word.memory_overhead": ("overhead", "额外开销"),
    "preflight.word.total": ("total", "合计"),
    "preflight.word.typed": ("as you typed it", "以命令行为准"),
    "preflight.word.not_used": ("not used", "未使用"),
}
MESSAGES.update({
    "preflight.which_gpu": (
        "preflight: which GPU? give --gpu KEY (e.g. --gpu A800, --gpu RTX-4090; see `llmplan catalog gpus`)",
        "preflight：哪种 GPU？请给出 --gpu KEY（例如 --gpu A800、--gpu RTX-4090；见 `llmplan catalog gpus`）"),
    "preflight.give_seq_len": (
        "give seq_len (the config names no cutoff_len / sequence_len)",
        "请给出 seq_len（配置中没有 cutoff_len / sequence_len）"),
})
MESSAGES.update({
    "preflight.epoch_needs_more": ("time per epoch needs more: {problem}", "每轮训练时间还需要更多信息：{problem}"),
})
MESSAGES.update({
    "preflight.give_config": (
        "give a training config file (LLaMA-Factory / axolotl YAML, DeepSpeed JSON, accelerate YAML)",
        "请给出训练配置文件（LLaMA-Factory / axolotl YAML、DeepSpeed JSON、accelerate YAML）"),
})

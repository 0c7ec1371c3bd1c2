"""Training frameworks' names for what llmplan calls otherwise: `cutoff_len=4096` typed on the command line
is answered "cutoff_len is LLaMA-Factory's name for seq_len", not only "unknown variable". The config
readers (engine/io/training_config/) map the same keys when they read a file, with its line."""
from __future__ import annotations

# framework key -> (llmplan variable, the frameworks that use the key)
FRAMEWORK_KEYS = {
    "cutoff_len": ("seq_len", "LLaMA-Factory"),
    "sequence_len": ("seq_len", "axolotl"),
    "max_seq_length": ("seq_len", "TRL"),
    "max_position_embeddings": ("context_length", "Hugging Face config.json"),
    "per_device_train_batch_size": ("micro_batch", "Hugging Face Trainer"),
    "micro_batch_size": ("micro_batch", "axolotl"),
    "train_micro_batch_size_per_gpu": ("micro_batch", "DeepSpeed"),
    "gradient_accumulation_steps": ("grad_accum", "Hugging Face Trainer, DeepSpeed, axolotl"),
    "train_batch_size": ("global_batch", "DeepSpeed"),
    "num_train_epochs": ("epochs", "Hugging Face Trainer"),
    "num_epochs": ("epochs", "axolotl"),
    "max_steps": ("steps", "Hugging Face Trainer"),
    "max_samples": ("samples", "LLaMA-Factory"),
    "lora_r": ("lora_rank", "axolotl, PEFT (r)"),
    "lora_target": ("lora_targets", "LLaMA-Factory"),
    "lora_target_modules": ("lora_targets", "axolotl"),
    "freeze_trainable_layers": ("trainable_layers", "LLaMA-Factory"),
    "finetuning_type": ("method", "LLaMA-Factory"),
    "adapter": ("method", "axolotl"),
    "num_processes": ("n_gpus", "accelerate"),
    "world_size": ("n_gpus", "torchrun"),
    "tensor_model_parallel_size": ("tp", "Megatron-LM"),
    "pipeline_model_parallel_size": ("pp", "Megatron-LM"),
    "optim": ("optimizer", "Hugging Face Trainer"),
    "num_hidden_layers": ("layers", "Hugging Face config.json"),
    "hidden_size": ("hidden", "Hugging Face config.json"),
    "num_attention_heads": ("heads", "Hugging Face config.json"),
    "num_key_value_heads": ("kv_heads", "Hugging Face config.json"),
    "intermediate_size": ("ffn_hidden", "Hugging Face config.json"),
}

"""Small GPT/LLaMA-style decoder models built from their dimensions.

Every architecture flag of formulas/architecture.yaml has a switch here, so
that the parameter formula can be checked against `sum(p.numel())` of a real
torch module for each combination:

    mlp_matrices           3 = SwiGLU (gate, up, down), 2 = GELU (up, down)
    embedding_copies       1 = lm_head tied to the token embedding, 2 = untied
    qkv_bias, attn_out_bias, mlp_bias, lm_head_bias   biases on/off
    norm_vectors_per_norm  1 = RMSNorm (scale only), 2 = LayerNorm (scale + bias)
    norms_per_layer        2 = sequential pre-norm block (GPT-2, LLaMA),
                           1 = parallel attention + MLP sharing one norm (GPT-J, Falcon)
    learned_positions      rows of a learned position table (0 = rotary embeddings)
    kv_heads               grouped-query / multi-query attention

Weights are random (no downloads). The module is plain PyTorch so that
`torch.utils.flop_counter.FlopCounterMode` sees every matmul, and it runs on
the `meta` device too (shapes only, no arithmetic), which lets the FLOPs of
real-size shapes be counted in milliseconds.

Attention implementations (`attention=`):

    "full"     scores over the whole s×s square, then a causal mask: what a
               plain PyTorch/HF "eager" implementation computes. FlopCounterMode
               counts both attention matmuls (QKᵀ and PV) over s² positions.
    "causal"   causal-aware blocked attention: each block of `block` queries is
               multiplied only with the keys up to the end of its block (as
               FlashAttention skips fully masked blocks), so about half of the
               s² work is done: s·(s + block)/2 query-key pairs per head.
    "sdpa"     torch.nn.functional.scaled_dot_product_attention(is_causal=True).
               On CPU, torch 2.13 dispatches it to
               aten._scaled_dot_product_flash_attention_for_cpu, for which
               FlopCounterMode has no formula (it counts 0 attention FLOPs), so
               the FLOPs checks never use it; it is here for the GPU memory script.

Recomputation (`recompute=`, Decoder.configure): "none"; "selective" checkpoints
the attention core of every layer (Korthikanti et al. 2022 §5); "full"
checkpoints every layer, so only each layer's input is kept.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass, replace
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn


@dataclass(frozen=True)
class Shape:
    """A decoder-only transformer, in the vocabulary of formulas/architecture.yaml."""

    name: str
    layers: int
    hidden: int
    heads: int
    kv_heads: int
    ffn_hidden: int
    vocab_size: int
    head_dim: int | None = None         # None = hidden / heads
    mlp_matrices: int = 3               # 3 SwiGLU, 2 GELU
    embedding_copies: int = 2           # 1 tied, 2 untied
    qkv_bias: int = 0
    attn_out_bias: int = 0
    mlp_bias: int = 0
    lm_head_bias: int = 0
    norm_vectors_per_norm: int = 1      # 1 RMSNorm, 2 LayerNorm with bias
    norms_per_layer: int = 2            # 2 sequential, 1 parallel block
    learned_positions: int = 0          # 0 = rotary
    dropout: float = 0.0                # attention-probability and residual dropout (GPU memory script)

    @property
    def d_head(self) -> int:
        return self.head_dim if self.head_dim is not None else self.hidden // self.heads

    @property
    def d_attn(self) -> int:
        """Query width heads · head_dim (Kaplan's d_attn)."""
        return self.heads * self.d_head

    def with_(self, **changes: Any) -> Shape:
        return replace(self, **changes)

    def arch_givens(self) -> dict[str, float]:
        """The architecture variables a user would type into llmplan for this model."""
        return {
            "layers": self.layers, "hidden": self.hidden, "heads": self.heads, "kv_heads": self.kv_heads,
            "head_dim": self.d_head, "ffn_hidden": self.ffn_hidden, "vocab_size": self.vocab_size,
            "mlp_matrices": self.mlp_matrices, "embedding_copies": self.embedding_copies,
            "qkv_bias": self.qkv_bias, "attn_out_bias": self.attn_out_bias, "mlp_bias": self.mlp_bias,
            "lm_head_bias": self.lm_head_bias, "norm_vectors_per_norm": self.norm_vectors_per_norm,
            "norms_per_layer": self.norms_per_layer, "learned_positions": self.learned_positions,
        }

    def describe(self) -> str:
        mlp = "SwiGLU" if self.mlp_matrices == 3 else "GELU"
        norm = "RMSNorm" if self.norm_vectors_per_norm == 1 else "LayerNorm"
        attn = "MHA" if self.kv_heads == self.heads else ("MQA" if self.kv_heads == 1 else f"GQA{self.kv_heads}")
        bits = [f"L{self.layers} h{self.hidden} {attn} {self.heads}h ffn{self.ffn_hidden} V{self.vocab_size}",
                mlp, norm, "tied" if self.embedding_copies == 1 else "untied"]
        if self.norms_per_layer == 1:
            bits.append("parallel")
        biases = [n for n in ("qkv_bias", "attn_out_bias", "mlp_bias", "lm_head_bias") if getattr(self, n)]
        if biases:
            bits.append("+".join(b.replace("_bias", "") for b in biases) + " bias")
        if self.learned_positions:
            bits.append(f"pos{self.learned_positions}")
        return ", ".join(bits)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def _norm(shape: Shape) -> nn.Module:
    if shape.norm_vectors_per_norm == 1:
        return nn.RMSNorm(shape.hidden, eps=1e-6)
    return nn.LayerNorm(shape.hidden)


def _rotary(x: torch.Tensor, positions: torch.Tensor) -> torch.Tensor:
    """Rotary position embedding (Su et al. 2021), half-split layout as in HF LLaMA; no parameters."""
    d = x.shape[-1]
    inv = 1.0 / (10000.0 ** (torch.arange(0, d, 2, device=x.device, dtype=torch.float32) / d))
    angles = positions.to(torch.float32)[:, None] * inv[None, :]            # (s, d/2)
    cos = torch.cat([angles.cos(), angles.cos()], dim=-1).to(x.dtype)
    sin = torch.cat([angles.sin(), angles.sin()], dim=-1).to(x.dtype)
    x1, x2 = x[..., : d // 2], x[..., d // 2:]
    return x * cos + torch.cat([-x2, x1], dim=-1) * sin


class Attention(nn.Module):
    def __init__(self, shape: Shape, impl: str, block: int) -> None:
        super().__init__()
        self.shape, self.impl, self.block = shape, impl, block
        self.selective = False
        d = shape.d_head
        self.q = nn.Linear(shape.hidden, shape.heads * d, bias=bool(shape.qkv_bias))
        self.k = nn.Linear(shape.hidden, shape.kv_heads * d, bias=bool(shape.qkv_bias))
        self.v = nn.Linear(shape.hidden, shape.kv_heads * d, bias=bool(shape.qkv_bias))
        self.o = nn.Linear(shape.heads * d, shape.hidden, bias=bool(shape.attn_out_bias))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, s, _ = x.shape
        sh = self.shape
        d = sh.d_head
        q = self.q(x).view(b, s, sh.heads, d).transpose(1, 2)
        k = self.k(x).view(b, s, sh.kv_heads, d).transpose(1, 2)
        v = self.v(x).view(b, s, sh.kv_heads, d).transpose(1, 2)
        if not sh.learned_positions:
            pos = torch.arange(s, device=x.device)
            q, k = _rotary(q, pos), _rotary(k, pos)
        if sh.kv_heads != sh.heads:   # GQA/MQA: each kv head serves heads/kv_heads query heads (HF repeat_kv)
            rep = sh.heads // sh.kv_heads
            k = k.repeat_interleave(rep, dim=1)
            v = v.repeat_interleave(rep, dim=1)
        if self.selective and self.training:
            # Korthikanti et al. 2022 §5 selective recomputation: keep q, k, v, recompute the attention core
            from torch.utils.checkpoint import checkpoint
            out = checkpoint(self._core, q, k, v, use_reentrant=False)
        else:
            out = self._core(q, k, v)
        return self.o(out.transpose(1, 2).reshape(b, s, sh.heads * d))

    def _core(self, q: torch.Tensor, k: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
        s = q.shape[2]
        p = self.shape.dropout if self.training else 0.0
        if self.impl == "sdpa":
            return F.scaled_dot_product_attention(q, k, v, is_causal=True, dropout_p=p)
        if self.impl == "full":
            return self._attend(q, k, v, 0, s, p)
        if self.impl == "causal":
            return torch.cat([self._attend(q[:, :, i:i + self.block], k[:, :, :i + self.block],
                                           v[:, :, :i + self.block], i, s, p)
                              for i in range(0, s, self.block)], dim=2)
        raise ValueError(f"unknown attention implementation {self.impl!r}")

    @staticmethod
    def _attend(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, first: int, s: int, p: float) -> torch.Tensor:
        """Softmax attention of queries first.. against keys 0..k.shape[2]-1 with a causal mask."""
        nq, nk = q.shape[2], k.shape[2]
        scores = (q * (1.0 / math.sqrt(q.shape[-1]))) @ k.transpose(-1, -2)
        rows = torch.arange(first, first + nq, device=q.device)[:, None]
        cols = torch.arange(nk, device=q.device)[None, :]
        # additive mask (as HF does): an add saves nothing for the backward pass, masked_fill would keep the mask
        mask = torch.zeros(nq, nk, dtype=scores.dtype, device=q.device).masked_fill(cols > rows, float("-inf"))
        scores = scores + mask
        probs = F.dropout(torch.softmax(scores, dim=-1), p=p)
        return probs @ v


class MLP(nn.Module):
    def __init__(self, shape: Shape) -> None:
        super().__init__()
        bias = bool(shape.mlp_bias)
        self.gated = shape.mlp_matrices == 3
        if shape.mlp_matrices not in (2, 3):
            raise ValueError("mlp_matrices must be 2 (GELU) or 3 (SwiGLU)")
        if self.gated:
            self.gate = nn.Linear(shape.hidden, shape.ffn_hidden, bias=bias)
        self.up = nn.Linear(shape.hidden, shape.ffn_hidden, bias=bias)
        self.down = nn.Linear(shape.ffn_hidden, shape.hidden, bias=bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.gated:
            return self.down(F.silu(self.gate(x)) * self.up(x))
        return self.down(F.gelu(self.up(x)))


class Block(nn.Module):
    def __init__(self, shape: Shape, impl: str, block: int) -> None:
        super().__init__()
        self.parallel = shape.norms_per_layer == 1
        if shape.norms_per_layer not in (1, 2):
            raise ValueError("norms_per_layer must be 1 (parallel block) or 2 (sequential)")
        self.norm1 = _norm(shape)
        if not self.parallel:
            self.norm2 = _norm(shape)
        self.attn = Attention(shape, impl, block)
        self.mlp = MLP(shape)
        self.p = shape.dropout

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        drop = lambda t: F.dropout(t, p=self.p, training=self.training)
        if self.parallel:
            h = self.norm1(x)
            return x + drop(self.attn(h)) + drop(self.mlp(h))
        x = x + drop(self.attn(self.norm1(x)))
        return x + drop(self.mlp(self.norm2(x)))


class Decoder(nn.Module):
    """Token embedding (+ learned positions) → layers → final norm → lm_head; loss = next-token cross entropy."""

    def __init__(self, shape: Shape, attention: str = "full", block: int = 32, recompute: str = "none") -> None:
        super().__init__()
        if shape.heads % shape.kv_heads:
            raise ValueError("heads must be a multiple of kv_heads")
        self.shape = shape
        self.recompute = "none"
        self.embed = nn.Embedding(shape.vocab_size, shape.hidden)
        self.positions = nn.Embedding(shape.learned_positions, shape.hidden) if shape.learned_positions else None
        self.layers = nn.ModuleList(Block(shape, attention, block) for _ in range(shape.layers))
        self.norm = _norm(shape)
        self.lm_head = nn.Linear(shape.hidden, shape.vocab_size, bias=bool(shape.lm_head_bias))
        if shape.embedding_copies == 1:
            self.lm_head.weight = self.embed.weight          # tied: one shared tensor
        elif shape.embedding_copies != 2:
            raise ValueError("embedding_copies must be 1 (tied) or 2 (untied)")
        self.configure(attention=attention, block=block, recompute=recompute)

    def configure(self, *, attention: str | None = None, block: int | None = None,
                  recompute: str | None = None) -> Decoder:
        """Switch the attention implementation / recomputation in place (same weights).

        recompute: "none"; "selective" = checkpoint the attention core of every layer (Korthikanti
        et al. 2022 §5); "full" = checkpoint every layer (only its input is kept)."""
        if recompute is not None:
            if recompute not in ("none", "selective", "full"):
                raise ValueError(f"unknown recompute {recompute!r}")
            self.recompute = recompute
        for layer in self.layers:
            attn = layer.attn
            assert isinstance(attn, Attention)
            if attention is not None:
                attn.impl = attention
            if block is not None:
                attn.block = block
            attn.selective = self.recompute == "selective"
        return self

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        """Mean next-token cross-entropy loss over the micro-batch (targets = inputs shifted by one)."""
        s = tokens.shape[1]
        x = self.embed(tokens)
        if self.positions is not None:
            if s > self.shape.learned_positions:
                raise ValueError("seq_len exceeds the learned position table")
            x = x + self.positions(torch.arange(s, device=tokens.device))
        x = F.dropout(x, p=self.shape.dropout, training=self.training)
        for layer in self.layers:
            if self.recompute == "full" and self.training:
                from torch.utils.checkpoint import checkpoint
                x = checkpoint(layer, x, use_reentrant=False)
            else:
                x = layer(x)
        logits = self.lm_head(self.norm(x))
        targets = torch.roll(tokens, -1, dims=1)
        return F.cross_entropy(logits.reshape(-1, logits.shape[-1]).float(), targets.reshape(-1))


def build(shape: Shape, *, attention: str = "full", block: int = 32, device: str | torch.device = "cpu",
          dtype: torch.dtype = torch.float32, seed: int = 0, recompute: str = "none") -> Decoder:
    """A Decoder with random weights; on device="meta" no memory is allocated."""
    torch.manual_seed(seed)
    with torch.device(device):
        model = Decoder(shape, attention=attention, block=block, recompute=recompute)
    return model.to(dtype=dtype)


def count_params(model: nn.Module) -> int:
    """sum(p.numel()); model.parameters() yields a tied tensor once."""
    return sum(p.numel() for p in model.parameters())


def matmul_weights(shape: Shape) -> int:
    """Weight elements that take part in a matmul per token: every Linear weight, lm_head included
    (the tied lm_head multiplies by the embedding matrix); not the embedding lookup, norms, biases or
    the position table."""
    d = shape.d_head
    attn = (shape.heads + 2 * shape.kv_heads) * d * shape.hidden + shape.heads * d * shape.hidden
    mlp = shape.mlp_matrices * shape.hidden * shape.ffn_hidden
    return shape.layers * (attn + mlp) + shape.vocab_size * shape.hidden


def tokens(shape: Shape, seq_len: int, micro_batch: int, device: str | torch.device = "cpu",
           seed: int = 0) -> torch.Tensor:
    if str(device) == "meta":
        return torch.empty(micro_batch, seq_len, dtype=torch.long, device="meta")
    g = torch.Generator().manual_seed(seed)
    return torch.randint(0, shape.vocab_size, (micro_batch, seq_len), generator=g).to(device)

"""The Llama model we train, written out by hand for torch 1.13 (no scaled_dot_product_attention).

Same computation as budgetkv's src/model/transformer.ts for a GGUF "llama" file:
RMSNorm (eps 1e-5), RoPE on adjacent pairs (x[2i], x[2i+1]) with theta 10000 (GGUF llama
convention, so q and k are exported without a permutation), grouped-query attention (query head h
reads kv head h // (n_heads / n_kv_heads)), SwiGLU feed-forward, output tied to the embedding.
"""
import math
from dataclasses import dataclass, asdict

import torch
import torch.nn as nn
import torch.nn.functional as F


@dataclass
class Config:
    vocab_size: int = 1024
    dim: int = 128
    n_layers: int = 4
    n_heads: int = 4
    n_kv_heads: int = 2
    hidden_dim: int = 384
    context_length: int = 2048
    rope_theta: float = 10000.0
    norm_eps: float = 1e-5

    @property
    def head_dim(self):
        return self.dim // self.n_heads

    def to_dict(self):
        return asdict(self)


class RMSNorm(nn.Module):
    def __init__(self, dim, eps):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(dim))

    def forward(self, x):  # x (..., dim)
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps) * self.weight


def rope_tables(c: Config, T: int):
    # cos, sin (T, head_dim/2): angle pos * theta^(-2i/head_dim)
    inv = 1.0 / (c.rope_theta ** (torch.arange(0, c.head_dim, 2).float() / c.head_dim))
    ang = torch.outer(torch.arange(T).float(), inv)
    return ang.cos(), ang.sin()


def apply_rope(x, cos, sin):
    # x (B, H, T, hd): pairs (x[2i], x[2i+1]) -> (a cos - b sin, a sin + b cos)
    a, b = x[..., 0::2], x[..., 1::2]
    return torch.stack((a * cos - b * sin, a * sin + b * cos), dim=-1).flatten(-2)


class Block(nn.Module):
    def __init__(self, c: Config):
        super().__init__()
        self.c = c
        hd = c.head_dim
        self.attn_norm = RMSNorm(c.dim, c.norm_eps)
        self.wq = nn.Linear(c.dim, c.n_heads * hd, bias=False)      # (n_heads*hd, dim)
        self.wk = nn.Linear(c.dim, c.n_kv_heads * hd, bias=False)   # (n_kv_heads*hd, dim)
        self.wv = nn.Linear(c.dim, c.n_kv_heads * hd, bias=False)   # (n_kv_heads*hd, dim)
        self.wo = nn.Linear(c.n_heads * hd, c.dim, bias=False)      # (dim, n_heads*hd)
        self.ffn_norm = RMSNorm(c.dim, c.norm_eps)
        self.w_gate = nn.Linear(c.dim, c.hidden_dim, bias=False)    # (hidden, dim)
        self.w_up = nn.Linear(c.dim, c.hidden_dim, bias=False)      # (hidden, dim)
        self.w_down = nn.Linear(c.hidden_dim, c.dim, bias=False)    # (dim, hidden)

    def forward(self, x, cos, sin, mask):  # x (B, T, dim); mask (T, T) additive
        c = self.c
        B, T, _ = x.shape
        hd = c.head_dim
        h = self.attn_norm(x)
        q = self.wq(h).view(B, T, c.n_heads, hd).transpose(1, 2)     # (B, H, T, hd)
        k = self.wk(h).view(B, T, c.n_kv_heads, hd).transpose(1, 2)  # (B, KV, T, hd)
        v = self.wv(h).view(B, T, c.n_kv_heads, hd).transpose(1, 2)
        q, k = apply_rope(q, cos, sin), apply_rope(k, cos, sin)
        rep = c.n_heads // c.n_kv_heads
        k = k.repeat_interleave(rep, dim=1)                           # (B, H, T, hd)
        v = v.repeat_interleave(rep, dim=1)
        att = torch.matmul(q, k.transpose(-1, -2)) * (1.0 / math.sqrt(hd)) + mask  # (B, H, T, T)
        att = torch.softmax(att, dim=-1)
        y = torch.matmul(att, v).transpose(1, 2).reshape(B, T, c.n_heads * hd)
        x = x + self.wo(y)
        h = self.ffn_norm(x)
        return x + self.w_down(F.silu(self.w_gate(h)) * self.w_up(h))


class Llama(nn.Module):
    def __init__(self, c: Config):
        super().__init__()
        self.c = c
        self.embed = nn.Embedding(c.vocab_size, c.dim)  # (vocab, dim), also the output matrix
        self.blocks = nn.ModuleList([Block(c) for _ in range(c.n_layers)])
        self.norm = RMSNorm(c.dim, c.norm_eps)
        self._tables = {}
        for n, p in self.named_parameters():
            if p.dim() == 2:
                std = 0.02 / math.sqrt(2 * c.n_layers) if n.endswith(("wo.weight", "w_down.weight")) else 0.02
                nn.init.normal_(p, mean=0.0, std=std)

    def tables(self, T):
        if T not in self._tables:
            cos, sin = rope_tables(self.c, T)
            mask = torch.full((T, T), float("-inf")).triu(1)
            self._tables = {T: (cos, sin, mask)}
        return self._tables[T]

    def forward(self, ids):  # ids (B, T) -> logits (B, T, vocab)
        cos, sin, mask = self.tables(ids.shape[1])
        x = self.embed(ids)
        for b in self.blocks:
            x = b(x, cos, sin, mask)
        return F.linear(self.norm(x), self.embed.weight)

    # GGUF tensor name -> tensor, in the file's order
    def gguf_tensors(self):
        out = [("token_embd.weight", self.embed.weight)]
        for i, b in enumerate(self.blocks):
            p = f"blk.{i}."
            out += [(p + "attn_norm.weight", b.attn_norm.weight), (p + "attn_q.weight", b.wq.weight),
                    (p + "attn_k.weight", b.wk.weight), (p + "attn_v.weight", b.wv.weight),
                    (p + "attn_output.weight", b.wo.weight), (p + "ffn_norm.weight", b.ffn_norm.weight),
                    (p + "ffn_gate.weight", b.w_gate.weight), (p + "ffn_up.weight", b.w_up.weight),
                    (p + "ffn_down.weight", b.w_down.weight)]
        out.append(("output_norm.weight", self.norm.weight))
        return out

"""Building blocks shared by the generator, the critic and the adversary."""

import torch
from torch import nn
from torch.nn import functional as F


class BlockDiagonalLinear(nn.Module):
    """Map each input block to its own output block with one matrix product.

    A loop of small ``nn.Linear`` layers, one per table column, spends most of its
    time in Python on a CPU. Masking one weight matrix to be block diagonal does the
    same work in a single product.

    Parameters
    ----------
    in_widths, out_widths : sequence of int
        The width of each input block and of the output block it maps to.
    """

    def __init__(self, in_widths, out_widths):
        super().__init__()
        if len(in_widths) != len(out_widths):
            raise ValueError("in_widths and out_widths must have the same length.")
        mask = torch.block_diag(
            *(torch.ones(o, i) for i, o in zip(in_widths, out_widths, strict=True))
        )
        self.register_buffer("mask", mask)
        self.weight = nn.Parameter(torch.empty_like(mask))
        self.bias = nn.Parameter(torch.zeros(mask.shape[0]))
        # Each block is initialised like an nn.Linear of its own fan-in.
        bound = torch.cat(
            [
                torch.full((o,), i**-0.5)
                for i, o in zip(in_widths, out_widths, strict=True)
            ]
        )
        with torch.no_grad():
            self.weight.uniform_(-1, 1).mul_(bound[:, None] * mask)

    def forward(self, x):
        return F.linear(x, self.weight * self.mask, self.bias)


class TransformerBlock(nn.Module):
    """A pre-norm transformer encoder block over column tokens.

    Attention is written out rather than taken from ``nn.MultiheadAttention``:
    the critic's gradient penalty differentiates twice, which the fused
    attention kernels do not support.

    Parameters
    ----------
    d_model : int
        Token width.
    n_heads : int
        Number of attention heads; must divide ``d_model``.
    dim_feedforward : int
        Width of the hidden layer of the feed-forward part.
    """

    def __init__(self, d_model, n_heads, dim_feedforward):
        super().__init__()
        if d_model % n_heads:
            raise ValueError(
                f"d_model={d_model} is not divisible by n_heads={n_heads}."
            )
        self.n_heads = n_heads
        self.norm_attention = nn.LayerNorm(d_model)
        self.qkv = nn.Linear(d_model, 3 * d_model)
        self.out = nn.Linear(d_model, d_model)
        self.norm_feedforward = nn.LayerNorm(d_model)
        self.feedforward = nn.Sequential(
            nn.Linear(d_model, dim_feedforward),
            # ReLU, as in the original transformer: GELU's second derivative, which
            # the gradient penalty needs, is several times dearer on a CPU.
            nn.ReLU(),
            nn.Linear(dim_feedforward, d_model),
        )

    def attention(self, tokens):
        """Multi-head self-attention of ``tokens`` of shape (batch, tokens, d_model)."""
        batch, length, width = tokens.shape
        qkv = self.qkv(tokens).unflatten(-1, (3, self.n_heads, -1))
        query, key, value = qkv.permute(2, 0, 3, 1, 4)
        scores = query @ key.transpose(-2, -1) * query.shape[-1] ** -0.5
        # A hand-written softmax: over a dozen tokens, torch's CPU kernel is several
        # times slower than these elementwise ops, which also differentiate twice.
        weights = (scores - scores.detach().amax(dim=-1, keepdim=True)).exp()
        mixed = (weights / weights.sum(dim=-1, keepdim=True)) @ value
        return self.out(mixed.transpose(1, 2).reshape(batch, length, width))

    def forward(self, tokens):
        tokens = tokens + self.attention(self.norm_attention(tokens))
        return tokens + self.feedforward(self.norm_feedforward(tokens))


class TransformerStack(nn.Sequential):
    """``n_layers`` transformer blocks followed by a final layer norm."""

    def __init__(self, d_model, n_heads, n_layers, dim_feedforward):
        blocks = [
            TransformerBlock(d_model, n_heads, dim_feedforward) for _ in range(n_layers)
        ]
        super().__init__(*blocks, nn.LayerNorm(d_model))


class ConditionEmbedding(nn.Module):
    """Embed the conditioning cell: one table per conditioning variable, summed.

    Summing per-variable embeddings, rather than embedding the whole cell, lets a
    rare intersection borrow what was learned from each of its parts.

    Parameters
    ----------
    cardinalities : sequence of int
        Number of values of each conditioning variable (each sensitive column,
        then the label).
    d_model : int
        Embedding width.
    """

    def __init__(self, cardinalities, d_model):
        super().__init__()
        self.tables = nn.ModuleList(nn.Embedding(k, d_model) for k in cardinalities)

    def forward(self, codes):
        return sum(table(codes[:, j]) for j, table in enumerate(self.tables))

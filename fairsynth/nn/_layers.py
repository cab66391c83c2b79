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

    Examples
    --------
    >>> import torch
    >>> from fairsynth.nn import BlockDiagonalLinear
    >>> layer = BlockDiagonalLinear([2, 3], [4, 4])
    >>> layer(torch.zeros(5, 5)).shape
    torch.Size([5, 8])

    The first output block reads the first input block only:

    >>> bool(layer.mask[:4, 2:].any())
    False
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

    Parameters
    ----------
    d_model : int
        Token width.
    n_heads : int
        Number of attention heads; must divide ``d_model``.
    dim_feedforward : int
        Width of the hidden layer of the feed-forward part.
    dropout : float, default=0.0
        Dropout on the outputs of the attention and feed-forward parts.
    causal : bool, default=False
        Whether a token attends to the tokens before it only, as a generator that
        writes one column after the other needs; such a block can also take its
        tokens one at a time (:meth:`step`).

    Examples
    --------
    >>> import torch
    >>> from fairsynth.nn import KeyValueCache, TransformerBlock
    >>> block = TransformerBlock(8, 2, 16, causal=True)
    >>> tokens = torch.randn(3, 5, 8)
    >>> block(tokens).shape
    torch.Size([3, 5, 8])

    Taking the tokens one at a time gives the same outputs:

    >>> cache = KeyValueCache(capacity=5)
    >>> with torch.no_grad():
    ...     steps = [block.step(tokens[:, j], cache) for j in range(5)]
    ...     together = block(tokens)
    >>> torch.allclose(torch.stack(steps, dim=1), together, atol=1e-5)
    True
    """

    def __init__(self, d_model, n_heads, dim_feedforward, *, dropout=0.0, causal=False):
        super().__init__()
        if d_model % n_heads:
            raise ValueError(
                f"d_model={d_model} is not divisible by n_heads={n_heads}."
            )
        self.n_heads, self.causal = n_heads, causal
        self.norm_attention = nn.LayerNorm(d_model)
        self.qkv = nn.Linear(d_model, 3 * d_model)
        self.out = nn.Linear(d_model, d_model)
        self.norm_feedforward = nn.LayerNorm(d_model)
        self.feedforward = nn.Sequential(
            nn.Linear(d_model, dim_feedforward),
            # ReLU, as in the original transformer: GELU's second derivative, which
            # the critic's gradient penalty needs, is several times dearer on a CPU.
            nn.ReLU(),
            nn.Linear(dim_feedforward, d_model),
        )
        self.dropout = nn.Dropout(dropout)

    def attention(self, tokens):
        """Multi-head self-attention of ``tokens`` of shape (batch, tokens, d_model)."""
        batch, length, width = tokens.shape
        qkv = self.qkv(tokens).unflatten(-1, (3, self.n_heads, -1))
        query, key, value = qkv.permute(2, 0, 3, 1, 4)
        if self.causal:
            # Nothing differentiates a generator twice, so the fused kernel serves.
            mixed = F.scaled_dot_product_attention(query, key, value, is_causal=True)
        else:
            # Written out for the critic's gradient penalty, which differentiates
            # twice: the fused kernels cannot. Over a dozen tokens, this softmax is
            # also several times faster than torch's CPU kernel.
            scores = query @ key.transpose(-2, -1) * query.shape[-1] ** -0.5
            weights = (scores - scores.detach().amax(dim=-1, keepdim=True)).exp()
            mixed = (weights / weights.sum(dim=-1, keepdim=True)) @ value
        return self.out(mixed.transpose(1, 2).reshape(batch, length, width))

    def forward(self, tokens):
        tokens = tokens + self.dropout(self.attention(self.norm_attention(tokens)))
        return tokens + self.dropout(self.feedforward(self.norm_feedforward(tokens)))

    def step(self, token, cache):
        """Take the next token of a causal block, shape (batch, d_model).

        It attends to itself and the tokens before it, whose keys and values
        ``cache`` (a :class:`KeyValueCache`) holds; its own are added there.
        """
        mixed = cache.attend(self.qkv, self.norm_attention(token), self.n_heads)
        token = token + self.dropout(self.out(mixed))
        return token + self.dropout(self.feedforward(self.norm_feedforward(token)))


class KeyValueCache:
    """The keys and values that a causal block has computed so far, token by token.

    Without gradients they are written into buffers allocated once, laid out
    batch last, (token, width, batch): each product and sum of one query's
    attention then runs over long contiguous rows instead of a head's few
    numbers, over twice as fast on a CPU. With gradients they are
    concatenated, since writing into a buffer that the backward pass still
    reads would break it.

    Parameters
    ----------
    capacity : int
        Most tokens the cache will hold.

    Examples
    --------
    >>> import torch
    >>> from fairsynth.nn import KeyValueCache
    >>> cache = KeyValueCache(capacity=3)
    >>> projection = torch.nn.Linear(8, 24)
    >>> with torch.no_grad():
    ...     for _ in range(2):
    ...         mixed = cache.attend(projection, torch.randn(4, 8), n_heads=2)
    >>> mixed.shape, cache.length
    (torch.Size([4, 8]), 2)
    """

    def __init__(self, capacity):
        self.capacity, self.length = capacity, 0
        self.keys = self.values = None

    def attend(self, projection, token, n_heads):
        """Add one token's key and value; return its query's attention.

        ``projection`` (an ``nn.Linear`` of width to 3 widths) maps ``token``,
        of shape (batch, width), to its query, key and value. Returns the
        softmax-weighted values of every token so far, the new one included,
        head by head, shape (batch, width).
        """
        self.length += 1
        if torch.is_grad_enabled():
            return self._attend_concatenated(projection, token, n_heads)
        return self._attend_buffered(projection, token, n_heads)

    def _attend_concatenated(self, projection, token, n_heads):
        query, key, value = projection(token).chunk(3, dim=-1)
        self.keys = _stack_on(self.keys, key)
        self.values = _stack_on(self.values, value)
        batch, length, width = self.keys.shape
        heads = (batch, length, n_heads, width // n_heads)
        # One query per row: elementwise products beat batched tiny matmuls here.
        scores = (query.view(batch, 1, *heads[2:]) * self.keys.view(heads)).sum(-1)
        weights = torch.softmax(scores * heads[-1] ** -0.5, dim=1)
        mixed = (weights[..., None] * self.values.view(heads)).sum(1)
        return mixed.reshape(batch, width)

    def _attend_buffered(self, projection, token, n_heads):
        batch, width = token.shape
        if self.keys is None:
            shape = (self.capacity, width, batch)
            self.keys, self.values = token.new_empty(shape), token.new_empty(shape)
        # Projected batch last, so that no copy has to transpose.
        query, key, value = torch.addmm(
            projection.bias[:, None], projection.weight, token.T
        ).chunk(3)
        self.keys[self.length - 1], self.values[self.length - 1] = key, value
        # Token by token, so that each product stays small enough for the CPU's
        # cache: one product over all tokens at once runs 1.6 times slower.
        heads = (n_heads, width // n_heads, batch)
        query = query.view(heads)
        scores = token.new_empty(self.length, n_heads, batch)
        for j in range(self.length):
            torch.sum(query * self.keys[j].view(heads), 1, out=scores[j])
        weights = torch.softmax(scores * heads[1] ** -0.5, dim=0)
        mixed = weights[0, :, None] * self.values[0].view(heads)
        for j in range(1, self.length):
            mixed.addcmul_(weights[j, :, None], self.values[j].view(heads))
        return mixed.view(width, batch).T


def _stack_on(previous, new):
    return new[:, None] if previous is None else torch.cat([previous, new[:, None]], 1)


class TransformerStack(nn.Sequential):
    """``n_layers`` transformer blocks followed by a final layer norm.

    Examples
    --------
    >>> import torch
    >>> from fairsynth.nn import TransformerStack
    >>> stack = TransformerStack(d_model=8, n_heads=2, n_layers=2, dim_feedforward=16)
    >>> stack(torch.randn(3, 4, 8)).shape
    torch.Size([3, 4, 8])

    A causal stack takes tokens one at a time with a cache per block:

    >>> len(stack.caches(capacity=4))
    2
    """

    def __init__(
        self, d_model, n_heads, n_layers, dim_feedforward, *, dropout=0.0, causal=False
    ):
        blocks = [
            TransformerBlock(
                d_model, n_heads, dim_feedforward, dropout=dropout, causal=causal
            )
            for _ in range(n_layers)
        ]
        super().__init__(*blocks, nn.LayerNorm(d_model))

    def caches(self, capacity):
        """One empty :class:`KeyValueCache` per block."""
        return [KeyValueCache(capacity) for _ in range(len(self) - 1)]

    def step(self, token, caches):
        """Take the next token through every causal block, then the final norm."""
        *blocks, norm = self
        for block, cache in zip(blocks, caches, strict=True):
            token = block.step(token, cache)
        return norm(token)


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

    Examples
    --------
    >>> import torch
    >>> from fairsynth.nn import ConditionEmbedding
    >>> embedding = ConditionEmbedding([3, 2], d_model=8)  # 3 groups, 2 classes
    >>> embedding(torch.tensor([[0, 1], [2, 0]])).shape
    torch.Size([2, 8])
    """

    def __init__(self, cardinalities, d_model):
        super().__init__()
        self.tables = nn.ModuleList(nn.Embedding(k, d_model) for k in cardinalities)

    def forward(self, codes):
        return sum(table(codes[:, j]) for j, table in enumerate(self.tables))

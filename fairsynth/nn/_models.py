"""The generator, critic and fairness adversary of the FairGAN.

Each column of the encoded table is one token. Column blocks are described by two
parallel lists: ``widths`` (how many encoded features a column spans) and ``kinds``
(``"numeric"`` or ``"categorical"``), as reported by
:class:`fairsynth.preprocessing.TabularEncoder`.
"""

import torch
from torch import nn

from ._layers import BlockDiagonalLinear, ConditionEmbedding, TransformerStack


class Generator(nn.Module):
    """Transformer generator of encoded rows for a given conditioning cell.

    Noise and the cell's embedding become one token per column; transformer blocks
    mix the tokens, and a head per column gives that column's block.

    Parameters
    ----------
    widths, kinds : sequence
        Width and kind of each column block of the encoded table.
    cardinalities : sequence of int
        Number of values of each conditioning variable.
    d_model, n_heads, n_layers, dim_feedforward : int
        Transformer sizes.
    noise_dim : int
        Width of the noise vector.
    """

    def __init__(
        self,
        widths,
        kinds,
        cardinalities,
        *,
        d_model,
        n_heads,
        n_layers,
        dim_feedforward,
        noise_dim,
    ):
        super().__init__()
        self.widths, self.kinds, self.noise_dim = list(widths), list(kinds), noise_dim
        n_tokens = len(self.widths)
        self.condition = ConditionEmbedding(cardinalities, d_model)
        self.noise_to_tokens = nn.Linear(noise_dim, n_tokens * d_model)
        self.column_embedding = nn.Parameter(0.02 * torch.randn(n_tokens, d_model))
        self.transformer = TransformerStack(d_model, n_heads, n_layers, dim_feedforward)
        self.head = BlockDiagonalLinear([d_model] * n_tokens, self.widths)
        block_index = torch.repeat_interleave(
            torch.arange(n_tokens), torch.tensor(widths)
        )
        self.register_buffer("block_index", block_index[None], persistent=False)
        numeric = torch.tensor([kind == "numeric" for kind in kinds])
        self.register_buffer("is_numeric", numeric[block_index][None], persistent=False)

    def forward(self, noise, codes):
        """Pre-activation outputs, shape (batch, sum(widths))."""
        condition = self.condition(codes)[:, None]
        tokens = self.noise_to_tokens(noise).unflatten(1, (len(self.widths), -1))
        tokens = torch.cat([condition, tokens + self.column_embedding + condition], 1)
        return self.head(self.transformer(tokens)[:, 1:].flatten(1))

    def gumbel_logits(self, raw):
        """Numbers through tanh; category logits perturbed by Gumbel noise.

        The argmax of a perturbed block is a draw from the block's softmax, which is
        all that decoding a generated row needs.
        """
        uniform = torch.rand_like(raw).clamp_(1e-10, 1 - 1e-7)
        perturbed = raw - torch.log(-torch.log(uniform))
        return torch.where(self.is_numeric, torch.tanh(raw), perturbed)

    def activate(self, raw, *, tau=0.2):
        """Tanh for numbers; straight-through Gumbel-softmax for categories.

        Each category block is a one-hot draw, so the critic and the adversary see
        rows shaped like real ones and cannot tell them apart (or hide the group) by
        how soft they are; gradients flow through the softmax with temperature
        ``tau``. All blocks are handled at once, by block index.
        """
        logits = self.gumbel_logits(raw) / tau
        block = self.block_index.expand_as(raw)
        block_max = torch.full(
            (len(raw), len(self.widths)), -torch.inf, device=raw.device, dtype=raw.dtype
        ).scatter_reduce(1, block, logits.detach(), "amax")
        exp = torch.exp(logits - block_max.gather(1, block))
        soft = exp / torch.zeros_like(block_max).scatter_add(1, block, exp).gather(
            1, block
        )
        one_hot = (exp.detach() == 1).to(raw.dtype)
        return torch.where(
            self.is_numeric, torch.tanh(raw), one_hot + soft - soft.detach()
        )


class Critic(nn.Module):
    """Transformer critic scoring how real an encoded row is within its cell.

    A condition token is prepended to the column tokens and its final state gives
    the score, as a class token would.

    Parameters
    ----------
    widths : sequence of int
        Width of each column block of the encoded table.
    cardinalities : sequence of int
        Number of values of each conditioning variable.
    d_model, n_heads, n_layers, dim_feedforward : int
        Transformer sizes.
    """

    def __init__(
        self, widths, cardinalities, *, d_model, n_heads, n_layers, dim_feedforward
    ):
        super().__init__()
        n_tokens = len(widths)
        self.tokenizer = BlockDiagonalLinear(widths, [d_model] * n_tokens)
        self.column_embedding = nn.Parameter(0.02 * torch.randn(n_tokens, d_model))
        self.condition = ConditionEmbedding(cardinalities, d_model)
        self.transformer = TransformerStack(d_model, n_heads, n_layers, dim_feedforward)
        self.score = nn.Linear(d_model, 1)

    def forward(self, x, codes):
        """Critic score per row, shape (batch,)."""
        tokens = self.tokenizer(x).unflatten(1, self.column_embedding.shape)
        condition = self.condition(codes)[:, None]
        tokens = torch.cat([condition, tokens + self.column_embedding], 1)
        return self.score(self.transformer(tokens)[:, 0]).squeeze(-1)


def mlp(n_inputs, n_outputs, hidden):
    """Two hidden layers of width ``hidden`` with leaky ReLUs."""
    return nn.Sequential(
        nn.Linear(n_inputs, hidden),
        nn.LeakyReLU(0.2),
        nn.Linear(hidden, hidden),
        nn.LeakyReLU(0.2),
        nn.Linear(hidden, n_outputs),
    )


class FairnessAdversary(nn.Module):
    """Predict the sensitive group of a row from its features and label.

    Parameters
    ----------
    n_features : int
        Width of the encoded rows.
    n_classes : int
        Number of label values, given to the adversary one-hot.
    n_groups : int
        Number of sensitive groups (intersections when there are several columns).
    hidden : int
        Width of the two hidden layers.
    """

    def __init__(self, n_features, n_classes, n_groups, *, hidden):
        super().__init__()
        self.n_classes, self.n_groups = n_classes, n_groups
        self.mlp = mlp(n_features + n_classes, n_groups, hidden)

    def forward(self, x, label):
        """Group logits, shape (batch, n_groups)."""
        one_hot = torch.nn.functional.one_hot(label, self.n_classes).to(x.dtype)
        return self.mlp(torch.cat([x, one_hot], 1))


class CellClassifier(nn.Module):
    """Predict the conditioning cell (group and label) of a row from its features.

    Trained on real rows, it tells the generator early in training whether a row
    generated for a cell looks like that cell, which the critic alone learns slowly
    (FairGAN+ trains a classifier beside its generator for the same reason).

    Parameters
    ----------
    n_features : int
        Width of the encoded rows.
    n_cells : int
        Number of (group, label) cells.
    hidden : int
        Width of the two hidden layers.
    """

    def __init__(self, n_features, n_cells, *, hidden):
        super().__init__()
        self.mlp = mlp(n_features, n_cells, hidden)

    def forward(self, x):
        """Cell logits, shape (batch, n_cells)."""
        return self.mlp(x)

"""Training rows as batches: cell-balanced draws, validation chunks, one-hot rows."""

import numpy as np
import torch

from ._distributed import check_same_rows, share, whole_shares, world

# Small groups are drawn more often than their share, but less than uniformly: the
# square root keeps rare cells learnable without overfitting their few rows.
GROUP_TEMPERATURE = 0.5
# Validation rows scored at once.
CHUNK_ROWS = 4096


class CellBatches:
    """Mini-batches whose cells follow a product of group and label marginals.

    Drawing group and label independently makes every batch a fair one, so the
    fairness adversary's best guess on generated rows is the group prior. Rare
    groups are drawn more often (tempered marginal) so that they are learned; the
    generator models each cell's rows given the cell, which the draw leaves as it
    is.

    Parameters
    ----------
    data : dict of torch.Tensor
        ``tokens``, ``codes`` (conditioning codes, label last), ``group``
        (sensitive group id) and, optionally, ``weight`` (row weights: a row's
        draws within its cell, and its cell's share, follow them), on the
        training device.
    batch_size : int
        Rows per batch; an epoch has as many rows as the data. Under
        ``torch.distributed`` every process draws the same batch and keeps its
        share of the rows (see :mod:`fairsynth.gan._distributed`), a batch
        being rounded up to a multiple of the number of processes.
    """

    def __init__(self, data, batch_size):
        check_same_rows(data)
        self.data, self.batch_size = data, batch_size
        self.weights = cell_weights(
            data["group"], data["codes"][:, -1], data.get("weight")
        )

    def __len__(self):
        return -(-len(self.weights) // self.batch_size)

    def __iter__(self):
        n_rows = len(self.weights)
        for start in range(0, n_rows, self.batch_size):
            yield self.draw(min(self.batch_size, n_rows - start))

    def draw(self, size=None):
        """One more batch of ``size`` rows (``batch_size`` by default)."""
        index = torch.multinomial(
            self.weights, whole_shares(size or self.batch_size), replacement=True
        )
        index = share(index)
        return {key: value[index] for key, value in self.data.items()}


class RowChunks:
    """All rows of ``data`` in order, in chunks of at most ``CHUNK_ROWS``.

    Under ``torch.distributed`` each process takes every w-th row, when there
    are rows enough for every process.
    """

    def __init__(self, data):
        if len(data["tokens"]) >= world()[1]:
            data = {key: share(value) for key, value in data.items()}
        self.data = data

    def __len__(self):
        return -(-len(self.data["tokens"]) // CHUNK_ROWS)

    def __iter__(self):
        for start in range(0, len(self.data["tokens"]), CHUNK_ROWS):
            yield {
                key: value[start : start + CHUNK_ROWS]
                for key, value in self.data.items()
            }


def cell_weights(group, label, weight=None):
    """Row weights giving cell probability ``p(group)**T * p(label)``, normalised.

    With ``weight``, the shares sum row weights instead of counting rows, and
    rows of a cell are drawn in proportion to their weights.
    """
    if weight is None:
        weight = torch.ones(len(group), device=group.device)
    weight = weight.double()
    cell = group * (int(label.max()) + 1) + label
    cell_size = torch.bincount(cell, weight)[cell]
    group_share = torch.bincount(group, weight)[group] ** GROUP_TEMPERATURE
    label_share = torch.bincount(label, weight)[label]
    # Within a cell, rows are drawn in proportion to their weights.
    return (weight * group_share * label_share / cell_size).float()


def cell_probabilities(totals):
    """Each cell's share of the batches, ``p(group)**T * p(label)``, normalised.

    The shares :func:`cell_weights` gives its rows, computed per cell for the
    streamed batches.

    ``totals`` (float, shape (n_groups, n_classes)) holds each cell's rows, or
    row weights; a cell without any is never drawn.
    """
    group_share = totals.sum(1, keepdim=True) ** GROUP_TEMPERATURE
    label_share = totals.sum(0, keepdim=True)
    probability = torch.where(totals > 0, group_share * label_share, 0.0)
    return probability / probability.sum()


def validation_split(cells, fraction):
    """Mark ``fraction`` of each cell's rows, rounded, for validation, at random.

    The draw takes its seed from torch's generator, which the caller seeds.
    """
    held_out = np.zeros(len(cells), dtype=bool)
    rng = np.random.default_rng(int(torch.randint(2**31 - 1, ())))
    for cell in np.unique(cells):
        rows = rng.permutation(np.flatnonzero(cells == cell))
        held_out[rows[: int(round(fraction * len(rows)))]] = True
    return held_out


def one_hot_rows(tokens, vocab_sizes):
    """Concatenated one-hot blocks of ``tokens``, shape (batch, sum(vocab_sizes))."""
    starts = np.concatenate([[0], np.cumsum(vocab_sizes)[:-1]])
    rows = torch.zeros(
        len(tokens), int(sum(vocab_sizes)), device=tokens.device, dtype=torch.float32
    )
    positions = tokens + torch.as_tensor(starts, device=tokens.device)
    return rows.scatter_(1, positions, 1.0)

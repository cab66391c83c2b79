"""A skorch iterator whose batches mix real and generated rows of every cell."""

import math

import numpy as np
import torch
from torch.utils.data import Subset, default_collate

POOL_EMPTY = (
    "the ratios draw {source} rows of cell {cell} (label {label}, group {group}), "
    "but the data has none; give rows of every cell, or ratios without that pool."
)


class RowPools:
    """Draw rows with replacement from pools of row positions.

    Parameters
    ----------
    pools : array-like of int of shape (n_rows,)
        The pool of every row.
    n_pools : int
        Number of pools (some may be empty).

    Examples
    --------
    >>> from fairsynth.mixing import RowPools
    >>> pools = RowPools([0, 1, 1, 0], 2)
    >>> drawn = pools.draw([3, 2]).tolist()  # 3 rows of pool 0, then 2 of pool 1
    >>> set(drawn[:3]) <= {0, 3}, set(drawn[3:]) <= {1, 2}
    (True, True)
    """

    def __init__(self, pools, n_pools):
        pools = np.asarray(pools, dtype=np.int64)
        self.order = torch.as_tensor(np.argsort(pools, kind="stable"))
        self.sizes = torch.as_tensor(np.bincount(pools, minlength=n_pools))
        self.starts = torch.cumsum(self.sizes, 0) - self.sizes
        self._plan = (None, None, None)

    def draw(self, counts):
        """Return row positions: ``counts[p]`` rows drawn uniformly from pool ``p``.

        Draws use torch's global generator, which the caller seeds.
        """
        starts, sizes = self._drawn_pools(np.asarray(counts, dtype=np.int64).ravel())
        offset = torch.minimum((torch.rand(len(sizes)) * sizes).long(), sizes - 1)
        return self.order[starts + offset]

    def _drawn_pools(self, counts):
        """Start and size of the pool of every drawn row, kept for the next draw.

        Counts seldom change from one batch to the next (and never for a
        validation batch), so the expansion is reused.
        """
        key, starts, sizes = self._plan
        if key != counts.tobytes():
            pool = torch.repeat_interleave(
                torch.arange(len(counts)), torch.as_tensor(counts)
            )
            starts, sizes = self.starts[pool], self.sizes[pool].clamp(min=1)
            self._plan = (counts.tobytes(), starts, sizes)
        return starts, sizes


class CellMixingIterator:
    """Batches drawn by cell, real and generated rows in the shares of a ratio object.

    Pass it to any skorch net as ``iterator_train``, with the cell and origin of
    each training row and a :class:`~fairsynth.mixing.MixingRatios`::

        net = NeuralNetBinaryClassifier(
            module, train_split=None, iterator_train=CellMixingIterator,
            iterator_train__cells=cells, iterator_train__real=real,
            iterator_train__ratios=ratios,
        )

    Each batch draws ``ratios.batch_counts(batch_size)`` rows of every ``(cell,
    real/generated)`` pool, with replacement, so that its composition follows the
    ratios as they are when the batch is drawn; a callback or a ``train_step``
    that updates them changes the next batch. See the user guide's page on mixing.

    Parameters
    ----------
    dataset : torch Dataset
        The training rows: a skorch ``Dataset`` (rows are then gathered by array
        indexing), a ``Subset`` of one, or any map-style dataset.
    batch_size : int
        The batch size the ratios are applied to; rounding and the one row that
        every pool gives make batches a few rows longer or shorter.
    cells : array-like of int of shape (n_rows,)
        Each row's cell, ``label_code * n_groups + group_code``.
    real : array-like of bool of shape (n_rows,)
        Whether each row is real (else generated).
    ratios : MixingRatios
        The ratios; read at every batch.
    n_batches : int or None, default=None
        Batches per epoch; None gives as many rows per epoch as there are real
        rows.
    shuffle : bool or None, default=None
        Ignored (batches are random draws); accepted because skorch nets pass it.

    Examples
    --------
    >>> import numpy as np
    >>> from skorch.dataset import Dataset
    >>> from fairsynth.mixing import CellMixingIterator, MixingRatios
    >>> X, y = np.zeros((8, 2), np.float32), np.array([0, 0, 0, 0, 1, 1, 1, 1])
    >>> cells = np.array([0, 0, 1, 1, 2, 2, 3, 3])  # label * n_groups + group
    >>> real = np.array([True, False] * 4)
    >>> ratios = MixingRatios([[1, 1], [1, 1]], has_generated=np.ones((2, 2), bool))
    >>> batches = CellMixingIterator(
    ...     Dataset(X, y), 8, cells=cells, real=real, ratios=ratios
    ... )
    >>> [len(X_batch) for X_batch, _ in batches]  # one row of each of 8 pools
    [8]
    """

    def __init__(
        self, dataset, batch_size, *, cells, real, ratios, n_batches=None, shuffle=None
    ):
        self.dataset = dataset
        self.batch_size = batch_size
        self.ratios = ratios
        self.shuffle = shuffle
        self._base, self._rows = _unwrap(dataset)
        cells = np.asarray(cells, dtype=np.int64)[self._rows]
        real = np.asarray(real, dtype=bool)[self._rows]
        n_cells = int(np.prod(ratios.shape))
        self.pools = RowPools(2 * cells + (~real), 2 * n_cells)
        self._check_pools()
        if n_batches is None:
            n_batches = max(1, math.ceil(int(real.sum()) / batch_size))
        self.n_batches = n_batches

    def _check_pools(self):
        wanted = np.asarray(self.ratios.sources()).reshape(-1)
        empty = np.flatnonzero(wanted & (self.pools.sizes.numpy() == 0))
        if len(empty):
            cell, generated = divmod(int(empty[0]), 2)
            label, group = divmod(cell, self.ratios.shape[1])
            source = "generated" if generated else "real"
            raise ValueError(
                POOL_EMPTY.format(source=source, cell=cell, label=label, group=group)
            )

    def __len__(self):
        return self.n_batches

    def __iter__(self):
        for _ in range(self.n_batches):
            positions = self.pools.draw(self.ratios.batch_counts(self.batch_size))
            yield self._gather(self._rows[positions.numpy()])

    def _gather(self, index):
        X, y = getattr(self._base, "X", None), getattr(self._base, "y", None)
        if _indexable(X):
            return _take(X, index), (None if y is None else _take(y, index))
        return default_collate([self._base[i] for i in index])


def _unwrap(dataset):
    """Return the dataset holding the arrays, and this one's rows in it."""
    if isinstance(dataset, Subset):
        base, rows = _unwrap(dataset.dataset)
        return base, rows[np.asarray(dataset.indices)]
    return dataset, np.arange(len(dataset))


def _indexable(X):
    return isinstance(X, (np.ndarray, torch.Tensor))


def _take(array, index):
    if isinstance(array, torch.Tensor):
        return array[torch.as_tensor(index)]
    return torch.as_tensor(array[index])

"""Cell-balanced training batches from rows read chunk by chunk.

For training data larger than memory: the rows pass through per-cell buffers,
and batches are drawn from the buffers with the cell shares that
:class:`~fairsynth.gan._batches.CellBatches` gives whole tables, so the memory
held is the buffers', whatever the number of rows.
"""

import itertools

import numpy as np
import torch

from ._batches import cell_probabilities
from ._distributed import share, whole_shares

# Rows the cell buffers hold together, shared out by the cells' draw shares.
BUFFER_ROWS = 131_072
# The least rows a cell's buffer holds (all of them, in a cell with fewer), so that
# a rare cell's batches do not repeat a handful of rows until new ones arrive.
MIN_CELL_BUFFER = 1_024


class StreamedRows:
    """Training rows read chunk by chunk, which FairGANNet takes in place of arrays.

    Given as ``X`` to :meth:`FairGANNet.fit <fairsynth.gan.FairGANNet.fit>`, the
    training batches come from :class:`StreamedCellBatches`, and the
    ``validation`` rows, held in memory, choose the best epoch and stop training
    (the net's ``validation_fraction`` is not used).

    Parameters
    ----------
    chunks : callable
        ``chunks(n_pass)`` yields the training rows of the ``n_pass``-th pass over
        the data (0, 1, ...) as dicts of NumPy arrays ``tokens``, ``codes`` and
        ``group``, in the form of FairGANNet's ``X``. Each pass may order the rows
        differently.
    cell_counts : array-like of int of shape (n_groups, n_classes)
        The training rows of each ``(group, class)`` cell, which set the cells'
        shares of the batches.
    reserve : dict of ndarray
        Rows in the same form that fill the buffers before the first chunk: at
        least one of every cell that has rows.
    validation : dict of ndarray or None, default=None
        Held-out rows; None trains every epoch and keeps the last.
    epoch_rows : int or None, default=None
        Rows drawn per epoch, the stream carrying on where the last epoch
        stopped; None is the number of training rows.
    """

    def __init__(self, chunks, cell_counts, reserve, validation=None, epoch_rows=None):
        self.chunks = chunks
        self.cell_counts = np.asarray(cell_counts, dtype=np.int64)
        self.reserve, self.validation = reserve, validation
        self.epoch_rows = epoch_rows or int(self.cell_counts.sum())

    def __len__(self):
        # The rows of an epoch, which skorch's progress bar counts batches of.
        return self.epoch_rows


class StreamedCellBatches:
    """Batches drawn from per-cell buffers that the chunks of a stream refill.

    A batch draws its cells as :class:`~fairsynth.gan._batches.CellBatches`
    does (a product of tempered group and label marginals), then each row
    uniformly from its cell's buffer. Each cell's buffer holds up to its share
    of ``BUFFER_ROWS``; once full, an arriving row replaces a random one, so
    that it holds a random sample of the cell's recent rows. For every batch
    of training, as many rows are read from the stream, so that an epoch of
    ``epoch_rows`` rows reads that many.

    Parameters
    ----------
    rows : StreamedRows
        The stream, its cell counts and the rows that start the buffers.
    batch_size : int
        Rows per batch. Under ``torch.distributed`` every process draws the same
        batch and keeps its share, as with CellBatches.
    device : str or torch.device
        Where the buffers and batches are.
    """

    def __init__(self, rows, batch_size, device):
        counts = torch.as_tensor(rows.cell_counts, dtype=torch.float64)
        self.n_classes = counts.shape[1]
        self.probability = cell_probabilities(counts).ravel().to(device)
        capacity = buffer_capacities(rows.cell_counts, self.probability.cpu().numpy())
        self.capacity = capacity.tolist()
        self.start = torch.as_tensor(np.cumsum([0, *capacity[:-1]]), device=device)
        self.fill = torch.zeros(len(capacity), dtype=torch.int64, device=device)
        self.buffer = {
            key: torch.zeros(
                (int(capacity.sum()), *np.shape(value)[1:]),
                dtype=torch.int64,
                device=device,
            )
            for key, value in rows.reserve.items()
        }
        self.batch_size, self.epoch_rows = batch_size, rows.epoch_rows
        self.device = device
        self.add(rows.reserve)
        empty = ((self.fill == 0) & (self.probability > 0)).nonzero().ravel()
        if len(empty):
            raise ValueError(
                f"The reserve rows have no row of the cell(s) {empty.tolist()}, "
                "which the counts say have rows; give it at least one of each."
            )
        self.stream = _endless(rows.chunks)
        # Rows read from the stream beyond those that batches have stood for.
        self.ahead = 0

    def __len__(self):
        return -(-self.epoch_rows // self.batch_size)

    def __iter__(self):
        for start in range(0, self.epoch_rows, self.batch_size):
            size = min(self.batch_size, self.epoch_rows - start)
            while self.ahead < size:
                self.ahead += self.add(next(self.stream))
            self.ahead -= size
            yield self.draw(size)

    def draw(self, size=None):
        """One more batch of ``size`` rows (``batch_size`` by default)."""
        size = whole_shares(size or self.batch_size)
        cells = torch.multinomial(self.probability, size, replacement=True)
        offset = (torch.rand(size, device=self.device) * self.fill[cells]).long()
        index = share(self.start[cells] + offset)
        return {key: value[index] for key, value in self.buffer.items()}

    def add(self, chunk):
        """Put a chunk's rows in their cells' buffers; return how many it had."""
        chunk = {
            key: torch.as_tensor(np.asarray(chunk[key]), device=self.device)
            for key in self.buffer
        }
        cells = chunk["group"] * self.n_classes + chunk["codes"][:, -1]
        order = torch.argsort(cells, stable=True)
        present, sizes = torch.unique_consecutive(cells[order], return_counts=True)
        for cell, rows in zip(
            present.tolist(), torch.split(order, sizes.tolist()), strict=True
        ):
            self._put(cell, {key: value[rows] for key, value in chunk.items()})
        return len(cells)

    def _put(self, cell, rows):
        """Append ``rows`` to the cell's buffer; once it is full, replace at random."""
        n_rows, capacity = len(rows["group"]), self.capacity[cell]
        filled = int(self.fill[cell])
        slots = torch.arange(filled, min(capacity, filled + n_rows), device=self.device)
        replaced = torch.randint(
            capacity, (n_rows - len(slots),), device=self.device, dtype=torch.int64
        )
        slots = self.start[cell] + torch.cat([slots, replaced])
        for key, value in rows.items():
            self.buffer[key][slots] = value
        self.fill[cell] = min(capacity, filled + n_rows)


def buffer_capacities(counts, probability):
    """Return the rows each cell's buffer holds: its share of BUFFER_ROWS.

    A cell's share is the larger of its draw share and its share of the rows;
    a buffer holds at least MIN_CELL_BUFFER rows, and no more than its cell has.
    """
    counts = np.asarray(counts).ravel()
    share_of_rows = counts / counts.sum()
    wanted = np.rint(BUFFER_ROWS * np.maximum(probability, share_of_rows))
    return np.minimum(counts, np.maximum(wanted, MIN_CELL_BUFFER)).astype(np.int64)


def _endless(chunks):
    """Yield the chunks of pass 0, then of pass 1, and so on."""
    for n_pass in itertools.count():
        rows = 0
        for chunk in chunks(n_pass):
            rows += len(chunk["group"])
            yield chunk
        if not rows:
            raise ValueError("The stream of training rows yielded no row.")

"""Cell-balanced batches from rows read chunk by chunk."""

import numpy as np
import pytest
import torch

from fairsynth.gan import _streaming
from fairsynth.gan._batches import CellBatches, cell_probabilities
from fairsynth.gan._streaming import StreamedCellBatches, StreamedRows


def make_rows(n_rows, seed=0):
    """Rows of 2 groups (one rare) and 2 classes; a row's token is its number."""
    rng = np.random.default_rng(seed)
    group = (rng.random(n_rows) < 0.1).astype(np.int64)
    label = rng.integers(0, 2, n_rows)
    return {
        "tokens": np.arange(n_rows)[:, None],
        "codes": np.column_stack([group, label]),
        "group": group,
    }


def counts_of(rows):
    counts = np.zeros((2, 2), dtype=np.int64)
    np.add.at(counts, (rows["group"], rows["codes"][:, -1]), 1)
    return counts


def streamed(rows, chunk_rows=500, epoch_rows=None, passes=None):
    """StreamedRows over ``rows`` in chunks; ``passes`` records the passes read."""

    def chunks(n_pass):
        if passes is not None:
            passes.append(n_pass)
        for start in range(0, len(rows["group"]), chunk_rows):
            yield {
                key: value[start : start + chunk_rows] for key, value in rows.items()
            }

    reserve = {key: value[:200] for key, value in rows.items()}
    return StreamedRows(chunks, counts_of(rows), reserve, epoch_rows=epoch_rows)


def test_cells_are_drawn_with_the_in_memory_shares():
    rows = make_rows(5000)
    torch.manual_seed(0)
    batches = StreamedCellBatches(streamed(rows), 256, "cpu")
    drawn = torch.cat([batch["group"] * 2 + batch["codes"][:, -1] for batch in batches])
    in_memory = CellBatches({k: torch.as_tensor(v) for k, v in rows.items()}, 256)
    cells = torch.as_tensor(rows["group"] * 2 + rows["codes"][:, -1])
    expected = cell_probabilities(torch.as_tensor(counts_of(rows), dtype=torch.float64))
    # The shares CellBatches gives a whole table, which the stream must keep.
    in_memory_shares = torch.bincount(cells, in_memory.weights.double(), minlength=4)
    in_memory_shares /= in_memory_shares.sum()
    assert torch.allclose(in_memory_shares, expected.ravel(), atol=1e-6)
    assert len(drawn) == 5000
    shares = torch.bincount(drawn, minlength=4) / len(drawn)
    assert torch.allclose(shares.double(), expected.ravel(), atol=0.02)


def test_buffers_are_bounded_and_take_rows_from_the_stream(monkeypatch):
    monkeypatch.setattr(_streaming, "BUFFER_ROWS", 300)
    monkeypatch.setattr(_streaming, "MIN_CELL_BUFFER", 50)
    rows = make_rows(4000)
    torch.manual_seed(0)
    passes = []
    batches = StreamedCellBatches(
        streamed(rows, epoch_rows=1000, passes=passes), 100, "cpu"
    )
    assert len(batches.buffer["tokens"]) <= 300 + 4 * 50
    first = torch.cat([batch["tokens"].ravel() for batch in batches])
    # Rows read after the 200 reserve rows reach the batches.
    assert (first >= 200).any() and len(first) == 1000
    for _ in range(4):
        list(batches)
    # 5 epochs of 1,000 rows are 5,000 rows: the second pass over 4,000 has begun.
    assert passes == [0, 1]


def test_a_cell_without_reserve_rows_is_refused():
    rows = make_rows(1000)
    stream = streamed(rows)
    stream.reserve = {key: value[rows["group"] == 0] for key, value in rows.items()}
    with pytest.raises(ValueError, match="no row of the cell"):
        StreamedCellBatches(stream, 64, "cpu")


def test_an_empty_stream_is_refused():
    rows = make_rows(1000)
    stream = streamed(rows)
    stream.chunks = lambda n_pass: iter(())
    with pytest.raises(ValueError, match="yielded no row"):
        list(StreamedCellBatches(stream, 64, "cpu"))

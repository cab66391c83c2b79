"""The reusable batch logic: ratios, row pools and the skorch iterator."""

import numpy as np
import pytest
import torch
from skorch import NeuralNetBinaryClassifier
from skorch.dataset import Dataset
from torch.utils.data import Subset

from fairsynth.adversarial._modules import Predictor
from fairsynth.mixing import CellMixingIterator, MixingRatios, RowPools

# Real rows per cell: label 0 (groups a, b), label 1 (groups a, b).
COUNTS = [[30, 10], [10, 10]]
ALL = [[True, True], [True, True]]


def test_initial_ratios():
    ratios = MixingRatios(COUNTS, has_generated=ALL)
    np.testing.assert_allclose(ratios.lambdas(), [[0.75, 0.25], [0.5, 0.5]])
    np.testing.assert_allclose(ratios.mus(), 0.5)
    np.testing.assert_allclose(ratios.label_shares, [2 / 3, 1 / 3])
    parity = MixingRatios(COUNTS, lambda_init="parity")
    # Groups a and b hold 40 and 20 of the 60 rows, under every label.
    np.testing.assert_allclose(parity.lambdas(), [[2 / 3, 1 / 3]] * 2)
    # Without generated rows, every cell is real only.
    np.testing.assert_allclose(parity.mus(), 1.0)


def test_batch_counts_follow_the_formula():
    ratios = MixingRatios(COUNTS, has_generated=[[True, True], [True, False]])
    counts = ratios.batch_counts(60)
    # S_0 = 40, S_1 = 20; lambda * mu * S rounded, generated rows only where any.
    assert counts[..., 0].tolist() == [[15, 5], [5, 10]]
    assert counts[..., 1].tolist() == [[15, 5], [5, 0]]
    assert ratios.min_batch_size() == 7
    # Every pool gives one row however small the batch.
    assert ratios.batch_counts(1).sum() == 7


def test_hypergradient_step_moves_toward_aligned_pools():
    ratios = MixingRatios(COUNTS, has_generated=ALL)
    alignments = np.zeros((2, 2, 2))
    # The real rows of (label 1, group b) lower the outer objective; its
    # generated rows raise it.
    alignments[1, 1, 0], alignments[1, 1, 1] = 1.0, -1.0
    before = ratios.mus().copy()
    for _ in range(20):
        ratios.hypergradient_step(alignments)
    after = ratios.mus()
    assert after[1, 1] > before[1, 1]
    np.testing.assert_allclose(after[0], before[0])
    assert ratios.lambdas()[1, 1] > 0.5


def test_fairbatch_step_moves_lambda_by_alpha():
    ratios = MixingRatios(COUNTS)
    losses = np.array([[0.2, 0.4], [0.9, 0.1]])
    # Equalized odds: only the label with the larger gap (label 1) moves.
    ratios.fairbatch_step(losses, "equalized_odds", 0.05)
    np.testing.assert_allclose(
        ratios.lambdas(), [[0.75, 0.25], [0.55, 0.45]], rtol=1e-6
    )
    ratios = MixingRatios(COUNTS)
    ratios.fairbatch_step(losses[::-1] * [[1], [0.1]], "equalized_odds", 0.05)
    np.testing.assert_allclose(ratios.lambdas(), [[0.8, 0.2], [0.5, 0.5]], rtol=1e-6)
    ratios = MixingRatios(COUNTS)
    ratios.fairbatch_step(losses, "equal_opportunity", 0.05)
    np.testing.assert_allclose(
        ratios.lambdas(), [[0.75, 0.25], [0.55, 0.45]], rtol=1e-6
    )


def test_fairbatch_step_for_demographic_parity():
    ratios = MixingRatios(COUNTS)
    # Group b is the farthest from being predicted positive: it gets more of the
    # positive rows and fewer of the negative ones.
    losses = np.array([[0.5, 1.5], [0.5, 1.5]])
    ratios.fairbatch_step(losses, "demographic_parity", 0.05)
    np.testing.assert_allclose(ratios.lambdas(), [[0.8, 0.2], [0.45, 0.55]], rtol=1e-6)


def test_row_pools_draw_exact_counts():
    pools = np.array([2, 0, 2, 1, 0, 2])
    drawn = RowPools(pools, 4).draw([3, 0, 5, 0]).numpy()
    assert len(drawn) == 8
    assert (pools[drawn[:3]] == 0).all() and (pools[drawn[3:]] == 2).all()


def _rows(seed=0):
    """60 real rows as COUNTS says, plus 10 generated rows per cell."""
    rng = np.random.RandomState(seed)
    cells = np.repeat([0, 1, 2, 3], [30, 10, 10, 10])
    cells = np.concatenate([cells, np.repeat([0, 1, 2, 3], 10)])
    real = np.r_[np.ones(60, bool), np.zeros(40, bool)]
    X = rng.normal(size=(len(cells), 3)).astype(np.float32)
    y = (cells >= 2).astype(np.int64)
    return X, y, cells, real


def test_iterator_batches_follow_the_ratios():
    X, y, cells, real = _rows()
    ratios = MixingRatios(COUNTS, has_generated=ALL)
    iterator = CellMixingIterator(
        Dataset(X, y), 60, cells=cells, real=real, ratios=ratios
    )
    assert len(iterator) == 1  # as many rows as real rows
    expected = ratios.batch_counts(60)
    for X_batch, y_batch in iterator:
        assert X_batch.dtype == torch.float32 and len(X_batch) == expected.sum()
        rows = [np.flatnonzero((x == X).all(1))[0] for x in X_batch.numpy()]
        pools = 2 * cells[rows] + ~real[rows]
        counts = np.bincount(pools, minlength=8).reshape(2, 2, 2)
        assert counts.tolist() == expected.tolist()
        np.testing.assert_array_equal(y_batch.numpy(), y[rows])


def test_iterator_on_a_subset_and_an_empty_pool():
    X, y, cells, real = _rows()
    ratios = MixingRatios(COUNTS, has_generated=ALL)
    subset = Subset(Dataset(X, y), np.flatnonzero(cells != 3))
    with pytest.raises(ValueError, match=r"real rows of cell 3 \(label 1, group 1\)"):
        CellMixingIterator(subset, 60, cells=cells, real=real, ratios=ratios)
    keep = np.flatnonzero(real | (cells == 0))
    ratios = MixingRatios(COUNTS, has_generated=[[True, False], [False, False]])
    iterator = CellMixingIterator(
        Subset(Dataset(X, y), keep), 20, cells=cells, real=real, ratios=ratios,
        n_batches=2,
    )  # fmt: skip
    batches = list(iterator)
    assert len(batches) == 2
    assert sum(len(b[0]) for b in batches) == 2 * ratios.batch_counts(20).sum()


def test_reusable_with_a_plain_skorch_net():
    X, y, cells, real = _rows()
    ratios = MixingRatios(COUNTS, has_generated=ALL)
    net = NeuralNetBinaryClassifier(
        Predictor,
        module__n_features=3,
        module__hidden_layer_sizes=(4,),
        max_epochs=2,
        batch_size=20,
        train_split=None,
        iterator_train=CellMixingIterator,
        iterator_train__cells=cells,
        iterator_train__real=real,
        iterator_train__ratios=ratios,
        verbose=0,
    )
    net.fit(X, y.astype(np.float32))
    # 60 real rows in batches of 20 give 3 batches per epoch.
    assert net.history[:, "train_batch_count"] == [3, 3]
    assert net.predict(X).shape == (len(X),)

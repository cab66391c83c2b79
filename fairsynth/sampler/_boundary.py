"""Which rows to add: those that look like their group's other classes.

Kamiran & Calders' preferential sampling (2012) duplicates the rows of the deprived
cells that lie nearest a ranker's decision boundary. Here the generator draws several
candidates for every row a cell needs, and each is kept with a probability that grows
with a ranker's belief that it belongs to its own group but to another class: a woman
with a high income whose other columns look like those of women with low incomes.
Such rows teach a model that never sees the group that the columns carrying it do not
decide the class; rows the model already gets right change little in it. Nothing
here imports torch.

Real rows to copy (``copy_share``) are drawn with the same weights.
"""

import numpy as np
from scipy import sparse
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline

from ..preprocessing import TabularEncoder

# Candidates drawn per row kept: enough for the draw to follow the weights closely
# (a pool of 4 flattened them), and cheap, since sampling is fast.
CANDIDATES = 10


class SparseTabularEncoder(TabularEncoder):
    """A :class:`~fairsynth.preprocessing.TabularEncoder` whose matrix is sparse.

    A column of thousands of categories (names, say) would otherwise make every step
    of the ranker's solver multiply a dense matrix of that width.
    """

    def transform(self, X):
        """Encode ``X`` as a CSR matrix."""
        return sparse.csr_matrix(super().transform(X))


def fit_ranker(features, cell_ids):
    """Fit a logistic regression of the ``(group, class)`` cell on the features.

    ``features`` leave the sensitive columns out, so the ranker reads the group
    from the other columns only, as the models the resampled data is meant for do.
    Numbers enter as their quantile codes, categories one-hot, in a sparse matrix.
    """
    model = make_pipeline(SparseTabularEncoder(), LogisticRegression(max_iter=1000))
    return model.fit(features, cell_ids)


def contrary_probability(ranker, features, cell_ids, n_classes):
    """Return the ranker's probability that each row is of its group, another class.

    Cell ``c`` is group ``c // n_classes`` and class ``c % n_classes``. Without a
    sensitive column every cell is a class, and this is one minus the probability of
    the row's class.
    """
    proba = ranker.predict_proba(features)
    known = ranker.classes_[None, :]
    cell_ids = np.asarray(cell_ids)[:, None]
    contrary = (known // n_classes == cell_ids // n_classes) & (known != cell_ids)
    return (proba * contrary).sum(axis=1)


def choose_contrary_rows(ranker, features, cell_ids, wanted, n_classes, focus, rng):
    """Choose ``wanted[c]`` candidates of every cell ``c``, favouring contrary ones.

    Each candidate weighs ``q**focus``, with ``q`` its
    :func:`contrary_probability`, and a cell's rows are drawn without replacement
    in proportion to those weights (Efraimidis & Spirakis, 2006).

    Parameters
    ----------
    ranker : fitted classifier
        Predicts the cell; its ``classes_`` are cell numbers.
    features : DataFrame of shape (n_candidates, n_features)
        The candidates' non-sensitive columns, as the ranker was fitted on.
    cell_ids : ndarray of shape (n_candidates,)
        Each candidate's cell number.
    wanted : ndarray of shape (n_cells,)
        How many rows to keep from each cell.
    n_classes : int
        Number of classes, which numbers the cells.
    focus : float
        0 keeps a uniform draw; larger values favour contrary rows more.
    rng : numpy.random.RandomState
        Source of the draw.

    Returns
    -------
    ndarray of int
        The chosen candidates, in their original order.
    """
    contrary = contrary_probability(ranker, features, cell_ids, n_classes)
    weights = _weights(contrary, focus)
    # The largest u ** (1 / w) form a weighted sample without replacement.
    keys = np.log(rng.random_sample(len(features))) / weights
    chosen = [
        rows[np.argsort(-keys[rows], kind="stable")[:n]]
        for rows, n in zip(_rows_by_cell(cell_ids, len(wanted)), wanted, strict=True)
    ]
    return np.sort(np.concatenate(chosen))


def draw_copies(contrary, cell_ids, wanted, focus, rng):
    """Draw ``wanted[c]`` real rows of every cell ``c`` to copy, with replacement.

    Each row weighs ``contrary ** focus``, as a generated candidate does in
    :func:`choose_contrary_rows`. Drawn with replacement, because a cell may need
    more copies than it has rows.

    Parameters
    ----------
    contrary : ndarray of shape (n_rows,)
        Each real row's :func:`contrary_probability`.
    cell_ids : ndarray of shape (n_rows,)
        Each real row's cell number.
    wanted : ndarray of shape (n_cells,)
        How many copies to draw from each cell.
    focus : float
        0 draws uniformly; larger values favour contrary rows more.
    rng : numpy.random.RandomState
        Source of the draw.

    Returns
    -------
    ndarray of int
        Positions of the rows to copy, cell by cell.
    """
    weights = _weights(contrary, focus)
    drawn = [
        rng.choice(rows, size=n, p=weights[rows] / weights[rows].sum())
        for rows, n in zip(_rows_by_cell(cell_ids, len(wanted)), wanted, strict=True)
        if n
    ]
    return np.concatenate(drawn) if drawn else np.zeros(0, dtype=np.int64)


def _weights(contrary, focus):
    """``contrary ** focus``, floored so that no weight is 0.

    A row the ranker rules out stays drawable, and a cell whose rows it all rules
    out still has weights to divide by.
    """
    return np.maximum(contrary, 1e-12) ** focus


def _rows_by_cell(cell_ids, n_cells):
    order = np.argsort(cell_ids, kind="stable")
    bounds = np.searchsorted(cell_ids[order], np.arange(n_cells + 1))
    return [order[a:b] for a, b in zip(bounds[:-1], bounds[1:], strict=True)]

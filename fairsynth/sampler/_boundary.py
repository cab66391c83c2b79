"""Which generated rows to keep: those a group-blind model finds hard.

Kamiran & Calders' preferential sampling (2012) duplicates the rows of the deprived
cells that lie nearest a ranker's decision boundary. Here the generator draws several
candidates for every row a cell needs, and each is kept with a probability that grows
with a ranker's error on it. Rows a model already gets right change little in it;
the hard ones move its boundary where the groups differ. Nothing here imports torch.
"""

import numpy as np
from sklearn.linear_model import LogisticRegression

# Candidates drawn per row kept: enough for the draw to follow the weights closely
# (a pool of 4 flattened them), and cheap, since sampling is fast.
CANDIDATES = 10


def fit_ranker(encoded, class_codes):
    """Fit a logistic regression of the class on the encoded non-sensitive columns.

    The encoder leaves the sensitive columns out, so the ranker is group-blind, like
    the models the resampled data is meant for.
    """
    return LogisticRegression(max_iter=1000).fit(encoded, class_codes)


def choose_hard_rows(ranker, encoded, class_codes, cell_ids, wanted, focus, rng):
    """Choose ``wanted[c]`` candidates of every cell ``c``, favouring hard ones.

    Each candidate weighs ``(1 - p)**focus``, with ``p`` the ranker's probability of
    its own class, and a cell's rows are drawn without replacement in proportion to
    those weights (Efraimidis & Spirakis, 2006).

    Parameters
    ----------
    ranker : fitted classifier
        Its ``predict_proba`` columns are the class codes.
    encoded : ndarray of shape (n_candidates, n_codes)
        The candidates, encoded as the ranker's training rows were.
    class_codes, cell_ids : ndarray of shape (n_candidates,)
        Each candidate's class code and cell number.
    wanted : ndarray of shape (n_cells,)
        How many rows to keep from each cell.
    focus : float
        0 keeps a uniform draw; larger values favour hard rows more.
    rng : numpy.random.RandomState
        Source of the draw.

    Returns
    -------
    ndarray of int
        The chosen candidates, in their original order.
    """
    proba = ranker.predict_proba(encoded)[np.arange(len(encoded)), class_codes]
    weights = np.maximum(1.0 - proba, 1e-12) ** focus
    # The largest u ** (1 / w) form a weighted sample without replacement.
    keys = np.log(rng.random_sample(len(encoded))) / weights
    chosen = [
        rows[np.argsort(-keys[rows], kind="stable")[:n]]
        for rows, n in zip(_rows_by_cell(cell_ids, len(wanted)), wanted, strict=True)
    ]
    return np.sort(np.concatenate(chosen))


def _rows_by_cell(cell_ids, n_cells):
    order = np.argsort(cell_ids, kind="stable")
    bounds = np.searchsorted(cell_ids[order], np.arange(n_cells + 1))
    return [order[a:b] for a, b in zip(bounds[:-1], bounds[1:], strict=True)]

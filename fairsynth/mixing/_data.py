"""Cells, validation rows and the net's targets of the Dr-Fairness classifier."""

import numpy as np
import pandas as pd

NO_SENSITIVE = (
    "DrFairnessClassifier needs a sensitive column: its ratios are per (group, "
    "label) cell. Pass sensitive='column' (or a list of columns)."
)
CONTINUOUS = (
    "Unknown label type: continuous. DrFairnessClassifier is a classifier and y "
    "looks continuous ({y_type}); give class labels (a binary target)."
)
TINY_CELL = (
    "the (group, label) cell {cell} has {n} real row(s); every cell needs at least "
    "2 (one to train on, one to validate the ratios). Merge small groups, or drop "
    "the cell's group."
)
BATCH_TOO_SMALL = (
    "batch_size={batch_size} is too small to hold one row of each cell: the "
    "{n_cells} (group, label) cells draw from {n_pools} pools of real and generated "
    "rows, one row each at least. Use batch_size >= {n_pools}."
)


def group_ids(columns, groups=None):
    """Code each row's group: the combination of its sensitive values.

    Parameters
    ----------
    columns : list of ndarray of shape (n_rows,)
        The values of each sensitive column.
    groups : list or None, default=None
        Known groups (values, or tuples with several columns); None finds them.

    Returns
    -------
    groups : list
        The groups in sorted order (as found, or as given).
    ids : ndarray of int of shape (n_rows,)
        Each row's position in ``groups``; -1 for a group not in a given list.
    """
    frame = pd.DataFrame({i: pd.Series(c, dtype=object) for i, c in enumerate(columns)})
    keys = list(frame.itertuples(index=False, name=None))
    if len(columns) == 1:
        keys = [key[0] for key in keys]
    if groups is None:
        groups = sorted(set(keys), key=lambda key: (str(type(key)), key))
    lookup = {group: i for i, group in enumerate(groups)}
    return groups, np.array([lookup.get(key, -1) for key in keys], dtype=np.int64)


def valid_mask(pools, fraction, rng):
    """Pick about ``fraction`` of every pool's rows, keeping one row out of each.

    Every pool of two rows or more gives at least one row, so that every cell can
    be measured.
    """
    mask = np.zeros(len(pools), dtype=bool)
    for pool in np.unique(pools):
        rows = np.flatnonzero(pools == pool)
        n = min(max(round(fraction * len(rows)), 1), len(rows) - 1)
        mask[rng.choice(rows, n, replace=False)] = True
    return mask


def targets(labels, cells, real):
    """Return the net's ``y``: label code, cell and origin (1 real, 0 generated)."""
    return np.column_stack([labels, cells, real.astype(np.int64)]).astype(np.int64)


def check_cells(counts, describe):
    """Raise if a real cell has fewer than two rows."""
    small = np.argwhere(counts < 2)
    if len(small):
        label, group = small[0]
        raise ValueError(
            TINY_CELL.format(cell=describe(label, group), n=int(counts[label, group]))
        )


def check_batch_size(batch_size, ratios):
    """Raise if a batch cannot hold one row of each pool."""
    n_pools = ratios.min_batch_size()
    if batch_size < n_pools:
        raise ValueError(
            BATCH_TOO_SMALL.format(
                batch_size=batch_size,
                n_cells=int(np.prod(ratios.shape)),
                n_pools=n_pools,
            )
        )


def ratio_history(epochs, groups, classes):
    """Return ``λ`` and ``μ`` per epoch and cell as a long table.

    Parameters
    ----------
    epochs : list
        One entry per epoch: a dict of ``lambda`` and ``mu``, or a pair of them,
        each nested lists (label, then group).
    groups, classes : sequence
        The groups and classes the codes stand for.

    Returns
    -------
    DataFrame
        Columns ``epoch``, ``group``, ``class``, ``lambda``, ``mu``.
    """
    rows = []
    for epoch, entry in enumerate(epochs):
        lam, mu = (entry["lambda"], entry["mu"]) if isinstance(entry, dict) else entry
        for (label, group), value in np.ndenumerate(np.asarray(lam)):
            rows.append(
                {
                    "epoch": epoch,
                    "group": groups[group],
                    "class": classes[label],
                    "lambda": value,
                    "mu": mu[label][group],
                }
            )
    return pd.DataFrame(rows)


def cell_table(target, groups, classes):
    """Return the real and generated rows per cell of the net's targets."""
    n_cells = len(classes) * len(groups)
    counts = [
        np.bincount(target[target[:, 2] == real, 1], minlength=n_cells)
        for real in (1, 0)
    ]
    return pd.DataFrame(
        {
            "group": [groups[c % len(groups)] for c in range(n_cells)],
            "class": [classes[c // len(groups)] for c in range(n_cells)],
            "n_real": counts[0],
            "n_generated": counts[1],
        }
    )

"""What added rows change beyond what they were added for."""

import numpy as np
import pandas as pd

from ._quality import category_labels, is_numeric


def cell_keys(frame, columns):
    """Return each row's cell: its values of ``columns`` joined by ``"|"``."""
    return frame[columns].astype(str).agg("|".join, axis=1).to_numpy()


def category_shift(real, added, *, real_cells, added_cells, columns=None):
    """Score how far added rows' categories stray from those of real rows like them.

    Rows added to some cells should look like the real rows of those cells. For
    each categorical column, the shares of its values among the added rows are
    compared with the shares expected of them: each cell's real shares, mixed in
    the added rows' cell proportions. The score is the total variation distance,
    half the sum of absolute differences of the shares.

    Parameters
    ----------
    real, added : pandas.DataFrame
        The real rows and the added (generated) rows, with the same columns.
    real_cells, added_cells : array-like of shape (n_rows,)
        Each row's cell, e.g. its group and label joined in one string. Added
        rows of a cell without real rows are left out.
    columns : list of str, default=None
        The columns to score; by default every column that is not numeric.

    Returns
    -------
    pandas.Series
        One score per column, in [0, 1], largest first: 0 means the added rows
        take their values as the real rows of their cells do, 1 that they share
        none.

    Examples
    --------
    The added row of cell ``a`` has the value its cell's real rows never have:

    >>> import pandas as pd
    >>> real = pd.DataFrame({"sex": ["F", "M", "M", "M"]})
    >>> added = pd.DataFrame({"sex": ["F", "M"]})
    >>> category_shift(real, added, real_cells=["a", "a", "b", "b"],
    ...                added_cells=["b", "b"])
    sex    0.5
    dtype: float64
    """
    if columns is None:
        columns = [name for name in real.columns if not is_numeric(real[name])]
    real_cells = np.asarray(real_cells).astype(str)
    added_cells = np.asarray(added_cells).astype(str)
    known = np.isin(added_cells, real_cells)
    weights = pd.Series(added_cells[known]).value_counts(normalize=True)
    scores = {}
    for name in columns:
        real_values = pd.Series(category_labels(real[name]))
        by_cell = pd.crosstab(real_cells, real_values, normalize="index")
        expected = by_cell.loc[weights.index].mul(weights.to_numpy(), axis=0).sum()
        observed = pd.Series(category_labels(added[name][known])).value_counts(
            normalize=True
        )
        gap = observed.sub(expected, fill_value=0.0).abs().sum() / 2
        scores[name] = float(gap)
    return pd.Series(scores, dtype=float).sort_values(ascending=False)

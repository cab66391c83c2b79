"""Input checks of the discovery estimators; messages are constants tests assert."""

import numpy as np
import pandas as pd

from ..preprocessing._table import as_frame

TOO_FEW_ROWS = (
    "{estimator} needs at least 2 rows to learn which rows are common; got "
    "n_samples={n}. Pass the whole table."
)
BAD_SHARE = "share must be a number strictly between 0 and 1; got {share!r}."
WRONG_LENGTH = "X has {n} rows but y has {n_y}; they must match."
MISSING_LABELS = (
    "y contains {n} missing values. Drop those rows or fill in their labels first."
)
NEEDS_LABELS = (
    "{estimator} was fitted with within_class=True, so it scores rarity within "
    "each class; pass the rows' labels as y."
)
NEEDS_FIT_LABELS = (
    "within_class=True scores rarity within each class, so fit needs the class "
    "labels as y."
)
UNSEEN_CLASSES = (
    "y holds classes not seen at fit time: {values}. Refit on data with them."
)
SMALL_CLASS = (
    "Class {label!r} has {n} row(s); scoring rarity within each class needs at "
    "least 2 per class. Drop the class, or set within_class=False."
)


def check_rows(X, estimator):
    """Return ``X`` as a DataFrame with string column names, at least 2 rows."""
    frame = as_frame(X)
    if len(frame) < 2:
        raise ValueError(TOO_FEW_ROWS.format(estimator=estimator, n=len(frame)))
    return frame


def check_labels(y, n_rows):
    """Return ``y`` as a 1-D array of ``n_rows`` labels, None when not given."""
    if y is None:
        return None
    values = y.to_numpy() if hasattr(y, "to_numpy") else np.asarray(y)
    values = values.ravel() if values.ndim == 2 and values.shape[1] == 1 else values
    if values.ndim != 1 or len(values) != n_rows:
        raise ValueError(WRONG_LENGTH.format(n=n_rows, n_y=np.shape(values)[0]))
    if pd.isna(values).any():
        raise ValueError(MISSING_LABELS.format(n=int(pd.isna(values).sum())))
    return values


def check_share(share):
    """``share`` must be a real number in (0, 1)."""
    valid = isinstance(share, (int, float, np.number)) and not isinstance(share, bool)
    if not (valid and 0 < share < 1):
        raise ValueError(BAD_SHARE.format(share=share))
    return float(share)


def top_share(scores, share):
    """Return a mask of the ``max(1, round(share * n))`` highest scores.

    Earlier rows win ties.
    """
    share = check_share(share)
    n_top = max(1, int(round(share * len(scores))))
    order = np.argsort(-np.asarray(scores), kind="stable")
    mask = np.zeros(len(scores), dtype=bool)
    mask[order[:n_top]] = True
    return mask

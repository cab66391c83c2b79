"""What the column-by-column codes of a table share: input checks and fitting.

Error messages are constants, so that tests can assert them.
"""

import numpy as np
import pandas as pd
from scipy.sparse import issparse
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted

from ._derived import find_derived

# Worded like scikit-learn's own messages, which its estimator checks look for.
EMPTY_TABLE = (
    "Found a table with 0 {what} (shape={shape}) while a minimum of 1 is required."
)
NOT_2D = (
    "Expected a pandas DataFrame or a 2-D array; got an array with shape {shape}. "
    "Reshape your data, e.g. with X.reshape(-1, 1) for a single column."
)
SPARSE = "Sparse input is not supported; pass a DataFrame or a dense array."
WRONG_WIDTH = (
    "X has {n} features, but {estimator} is expecting {n_in} features as input."
)
BAD_COLUMN_NAMES = (
    "Column names must be unique strings; got {names}. Rename the columns first."
)
MISSING_COLUMNS = "Columns {columns} were seen at fit time but are missing from X."


class TableCoder(TransformerMixin, BaseEstimator):
    """Base class of the encoders that code a table one column at a time.

    A subclass fits one column in ``_fit_column(name, series, random_state)``; the
    fitted columns that are coded (not derived from another) are ``_columns``.
    """

    def _fit_columns(self, X):
        """Fit every column of ``X``, find the derived ones, record the names."""
        frame = as_frame(X)
        for axis, what in enumerate(["sample(s)", "feature(s)"]):
            if frame.shape[axis] == 0:
                raise ValueError(EMPTY_TABLE.format(what=what, shape=frame.shape))
        random_state = check_random_state(self.random_state)
        fitted = {
            name: self._fit_column(name, frame[name], random_state)
            for name in frame.columns
        }
        self._derived = find_derived(frame, fitted)
        self.derived_columns_ = {column.name: column.source for column in self._derived}
        self._columns = [
            column
            for name, column in fitted.items()
            if name not in self.derived_columns_
        ]
        self.feature_names_in_ = np.asarray(frame.columns, dtype=object)
        self.n_features_in_ = len(fitted)
        self.column_kinds_ = {name: column.kind for name, column in fitted.items()}

    def _checked_frame(self, X):
        """``X`` as a frame with the fitted columns, for coding."""
        check_is_fitted(self)
        frame = as_frame(X)
        if not isinstance(X, pd.DataFrame) and frame.shape[1] != self.n_features_in_:
            # Array columns are matched by position, so the width must agree.
            raise ValueError(
                WRONG_WIDTH.format(
                    n=frame.shape[1],
                    estimator=type(self).__name__,
                    n_in=self.n_features_in_,
                )
            )
        absent = [name for name in self.feature_names_in_ if name not in frame.columns]
        if absent:
            raise ValueError(MISSING_COLUMNS.format(columns=absent))
        return frame

    def _assemble(self, decoded, n_rows):
        """Return the decoded table: coded columns, then derived ones, in order."""
        for column in self._derived:
            decoded[column.name] = column.decode(decoded[column.source])
        decoded = {name: decoded[name] for name in self.feature_names_in_}
        return pd.DataFrame(decoded, index=pd.RangeIndex(n_rows), copy=False)


def as_frame(X):
    """Return ``X`` as a DataFrame with unique string column names."""
    if isinstance(X, pd.DataFrame):
        names = list(X.columns)
        if len(set(names)) != len(names) or not all(isinstance(n, str) for n in names):
            raise ValueError(BAD_COLUMN_NAMES.format(names=names))
        return X
    if issparse(X):
        raise TypeError(SPARSE)
    array = np.asarray(X)
    if array.ndim != 2:
        raise ValueError(NOT_2D.format(shape=array.shape))
    columns = [f"x{i}" for i in range(array.shape[1])]
    return pd.DataFrame(array, columns=columns).infer_objects()

"""TabularEncoder: an invertible encoding of a mixed-type table for a generator."""

from numbers import Integral

import numpy as np
from sklearn.base import _fit_context
from sklearn.utils._param_validation import Interval
from sklearn.utils.validation import check_is_fitted

from ._columns import NUMERIC, column_kind, fit_categorical, fit_numeric
from ._table import (  # noqa: F401 (the error messages belong to this API too)
    BAD_COLUMN_NAMES,
    EMPTY_TABLE,
    MISSING_COLUMNS,
    NOT_2D,
    SPARSE,
    WRONG_WIDTH,
    TableCoder,
)

BAD_CODES_SHAPE = "Expected codes of shape (n, {n_out}); got shape {shape}."
NOT_FINITE_CODES = "The codes contain NaN or infinity; a generator may have diverged."


class TabularEncoder(TableCoder):
    """Encode a mixed-type table as a float matrix that can be decoded back.

    Numeric columns (ints and floats) get one quantile code in [-1, 1]: monotone, fast
    to fit and to invert, uniform on the training data, and exact for heavy point
    masses (a value that fills many quantiles owns a stretch of codes). Non-numeric
    columns (``category``, strings, ``object``, ``bool``) get a one-hot block.
    :attr:`spans_` tells a generator which activation each block needs: ``tanh`` for a
    numeric span, a softmax for a categorical one.

    Missing values are encoded, so a generator learns their rate. A numeric column
    with missing values at fit time gets a second, categorical span
    ``"<column>__missing"`` (present, missing); its numeric code is 0 on missing rows.
    A categorical column with missing values gets one more slot for them.

    A column that a categorical column determines (a code and its label, say) is not
    coded: decoding rebuilds it from that column, so each pair decoded is one seen at
    fit time. :attr:`derived_columns_` lists them.

    Decoding clips codes to [-1, 1], interpolates between quantiles and rounds
    integer-valued columns (ints, and floats whose values are all whole), so decoded
    values always lie in the range seen at fit time. Encoding then decoding the
    training data gives back integers exactly, other floats within a millionth of the
    column's range, and every category. The one exception is an integer column that
    spans more than about 15 million values, which float32 codes cannot resolve: its
    values come back within a few units.

    Parameters
    ----------
    n_quantiles : int, default=1000
        Quantiles per numeric column (at most the number of values).
    max_categories : int or None, default=None
        Refuse categorical columns with more categories than this, since each
        category is an output of the generator. None means no limit.
    subsample : int, default=100_000
        Values per numeric column used to compute quantiles. The minimum and maximum
        always come from all values.
    random_state : int, RandomState instance or None, default=None
        Draws the subsample; only used for columns with more than ``subsample``
        values.

    Attributes
    ----------
    spans_ : list of Span
        Contiguous blocks of the encoded matrix, in column order, covering
        ``0..n_features_out_``.
    column_kinds_ : dict
        ``"numeric"`` or ``"categorical"`` for each input column.
    derived_columns_ : dict
        Each column rebuilt from another, mapped to that column's name. A column is
        derived when a categorical column with at least 10 rows per value on
        average, all its categories seen, gives it one value per value; it has no
        span.
    n_features_out_ : int
        Width of the encoded matrix.
    feature_names_in_ : ndarray of str
        Input column names (``x0``, ``x1``, ... for an array).
    n_features_in_ : int
        Number of input columns.

    Examples
    --------
    >>> import pandas as pd
    >>> from fairsynth.preprocessing import TabularEncoder
    >>> X = pd.DataFrame({"age": [25, 40, 40, 61], "sex": ["F", "M", "M", "F"]})
    >>> enc = TabularEncoder().fit(X)
    >>> [(s.column, s.kind, s.width) for s in enc.spans_]
    [('age', 'numeric', 1), ('sex', 'categorical', 2)]
    >>> enc.inverse_transform(enc.transform(X)).equals(X)
    True
    """

    _parameter_constraints: dict = {
        "n_quantiles": [Interval(Integral, 2, None, closed="left")],
        "max_categories": [Interval(Integral, 1, None, closed="left"), None],
        "subsample": [Interval(Integral, 2, None, closed="left")],
        "random_state": ["random_state"],
    }

    def __init__(
        self,
        *,
        n_quantiles=1000,
        max_categories=None,
        subsample=100_000,
        random_state=None,
    ):
        self.n_quantiles = n_quantiles
        self.max_categories = max_categories
        self.subsample = subsample
        self.random_state = random_state

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Learn the code of every column of ``X``.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_samples, n_features)
            The table. An array is read as columns ``x0``, ``x1``, ...
        y : None
            Ignored.

        Returns
        -------
        self : TabularEncoder
            The fitted encoder.
        """
        self._fit_columns(X)
        self.spans_ = []
        for column in self._columns:
            self.spans_ += column.spans(self.spans_[-1].stop if self.spans_ else 0)
        self.n_features_out_ = self.spans_[-1].stop
        return self

    def _fit_column(self, name, series, random_state):
        if column_kind(name, series.dtype) == NUMERIC:
            return fit_numeric(
                name,
                series,
                n_quantiles=self.n_quantiles,
                subsample=self.subsample,
                random_state=random_state,
            )
        return fit_categorical(name, series, max_categories=self.max_categories)

    def transform(self, X):
        """Encode ``X``.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_samples, n_features_in_)
            A table with the columns seen at fit time (in any order; others are
            ignored), of the same kinds, without new categories, and with missing
            values only where there were some at fit time.

        Returns
        -------
        Z : ndarray of shape (n_samples, n_features_out_), dtype float32
            Numeric codes in [-1, 1] and one-hot blocks, laid out as in ``spans_``.
        """
        frame = self._checked_frame(X)
        Z = np.zeros((len(frame), self.n_features_out_), dtype=np.float32)
        start = 0
        for column in self._columns:
            column.encode(frame[column.name], Z[:, start : start + column.width])
            start += column.width
        return Z

    def inverse_transform(self, Z):
        """Decode codes back into a table.

        Codes need not be exact: numeric codes are clipped to [-1, 1], and each
        categorical block is read by its largest entry, so raw generator outputs
        (``tanh`` and softmax values) decode as they are.

        Parameters
        ----------
        Z : array-like of shape (n_samples, n_features_out_)
            Codes laid out as in ``spans_``.

        Returns
        -------
        X : DataFrame of shape (n_samples, n_features_in_)
            The fitted columns, in order, with their dtypes (and categories), and a
            ``RangeIndex``.
        """
        check_is_fitted(self)
        Z = np.asarray(Z)
        if Z.ndim != 2 or Z.shape[1] != self.n_features_out_:
            raise ValueError(
                BAD_CODES_SHAPE.format(n_out=self.n_features_out_, shape=Z.shape)
            )
        if not np.isfinite(Z).all():
            raise ValueError(NOT_FINITE_CODES)
        decoded, start = {}, 0
        for column in self._columns:
            decoded[column.name] = column.decode(Z[:, start : start + column.width])
            start += column.width
        return self._assemble(decoded, len(Z))

    def get_feature_names_out(self, input_features=None):
        """Names of the encoded columns, such as ``age`` and ``workclass=Private``.

        Parameters
        ----------
        input_features : None
            Ignored; the names seen at fit time are used.

        Returns
        -------
        names : ndarray of str
            One name per encoded column.
        """
        check_is_fitted(self)
        names = [name for column in self._columns for name in column.feature_names()]
        return np.asarray(names, dtype=object)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        tags.input_tags.categorical = True
        tags.input_tags.string = True
        tags.transformer_tags.preserves_dtype = ["float32"]
        return tags

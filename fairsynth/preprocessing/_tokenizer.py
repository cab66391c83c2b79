"""TabularTokenizer: a mixed-type table as one integer token per column."""

from numbers import Integral

import numpy as np
from sklearn.base import _fit_context
from sklearn.utils._param_validation import Interval
from sklearn.utils.validation import check_is_fitted

from ._bins import fit_binned
from ._columns import NUMERIC, column_kind, fit_categorical
from ._table import TableCoder

BAD_TOKENS_SHAPE = "Expected tokens of shape (n, {n_columns}); got shape {shape}."
TOKEN_OUT_OF_RANGE = (
    "Column {column!r} has tokens outside 0..{top}; tokens must come from transform "
    "or from a generator of vocab_sizes_."
)


class TabularTokenizer(TableCoder):
    """Code each column of a mixed-type table as an integer token, and decode back.

    A numeric column (ints and floats) with at most ``n_bins`` distinct values has
    one token per value, so it is coded exactly. Any other numeric column has a
    token per quantile bin: a value that holds at least ``1 / n_bins`` of the rows
    (such as the 0 of a mostly-zero column) is a bin of its own, and the other rows
    share the remaining bins equally. Decoding a bin places the value among the
    bin's own quantiles at a within-bin ``offset``, so a generator that picks
    tokens keeps spikes, gaps and long tails. A non-numeric column (``category``,
    strings, ``object``, ``bool``) has one token per category. Missing values are a
    token of their own, in any column that had some at fit time.

    A column that a categorical column determines (a code and its label, say) gets
    no token: decoding rebuilds it from that column (:attr:`derived_columns_`).

    Parameters
    ----------
    n_bins : int, default=100
        Most distinct values a numeric column is coded exactly with, and about the
        number of bins of the others.
    max_categories : int or None, default=None
        Refuse categorical columns with more categories than this. None means no
        limit.
    subsample : int, default=100_000
        Values per numeric column used to place the bins. The minimum and maximum
        always come from all values.
    random_state : int, RandomState instance or None, default=None
        Draws the subsample; only used for columns with more than ``subsample``
        values.

    Attributes
    ----------
    columns_ : list of str
        The columns that have a token, in the order of the token matrix.
    vocab_sizes_ : list of int
        Number of distinct tokens of each column of ``columns_``.
    column_kinds_ : dict
        ``"numeric"`` or ``"categorical"`` for each input column.
    derived_columns_ : dict
        Each column rebuilt from another, mapped to that column's name.
    feature_names_in_ : ndarray of str
        Input column names (``x0``, ``x1``, ... for an array).
    n_features_in_ : int
        Number of input columns.

    Examples
    --------
    >>> import pandas as pd
    >>> from fairsynth.preprocessing import TabularTokenizer
    >>> X = pd.DataFrame({"age": [25, 40, 40, 61], "sex": ["F", "M", "M", "F"]})
    >>> tokenizer = TabularTokenizer().fit(X)
    >>> tokenizer.vocab_sizes_
    [3, 2]
    >>> tokenizer.transform(X)
    array([[0, 0],
           [1, 1],
           [1, 1],
           [2, 0]])
    >>> tokenizer.inverse_transform(tokenizer.transform(X)).equals(X)
    True
    """

    _parameter_constraints: dict = {
        "n_bins": [Interval(Integral, 2, None, closed="left")],
        "max_categories": [Interval(Integral, 1, None, closed="left"), None],
        "subsample": [Interval(Integral, 2, None, closed="left")],
        "random_state": ["random_state"],
    }

    def __init__(
        self, *, n_bins=100, max_categories=None, subsample=100_000, random_state=None
    ):
        self.n_bins = n_bins
        self.max_categories = max_categories
        self.subsample = subsample
        self.random_state = random_state

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Learn the tokens of every column of ``X``.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_samples, n_features)
            The table. An array is read as columns ``x0``, ``x1``, ...
        y : None
            Ignored.

        Returns
        -------
        self : TabularTokenizer
            The fitted tokenizer.
        """
        self._fit_columns(X)
        self.columns_ = [column.name for column in self._columns]
        self.vocab_sizes_ = [column.width for column in self._columns]
        return self

    def _fit_column(self, name, series, random_state):
        if column_kind(name, series.dtype) == NUMERIC:
            return fit_binned(
                name,
                series,
                n_bins=self.n_bins,
                subsample=self.subsample,
                random_state=random_state,
            )
        return fit_categorical(name, series, max_categories=self.max_categories)

    def transform(self, X):
        """Return the tokens of ``X``.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_samples, n_features_in_)
            A table with the columns seen at fit time (in any order; others are
            ignored), of the same kinds, without new categories, and with missing
            values only where there were some at fit time. Numbers outside the
            fitted range take the first or the last bin.

        Returns
        -------
        tokens : ndarray of shape (n_samples, len(columns_)), dtype int64
            Column ``j`` holds tokens in ``0 .. vocab_sizes_[j] - 1``.
        """
        frame = self._checked_frame(X)
        tokens = np.empty((len(frame), len(self._columns)), dtype=np.int64)
        for j, column in enumerate(self._columns):
            tokens[:, j] = column.tokens(frame[column.name])
        return tokens

    def inverse_transform(self, tokens, offsets=None):
        """Decode tokens back into a table.

        Parameters
        ----------
        tokens : array-like of int of shape (n_samples, len(columns_))
            Tokens as :meth:`transform` gives them.
        offsets : array-like of shape (n_samples, len(columns_)), default=None
            Where in its bin each binned value lies, in [0, 1); draw them uniformly
            to draw values from each bin's distribution. None takes the middle of
            every bin. Columns coded exactly ignore them.

        Returns
        -------
        X : DataFrame of shape (n_samples, n_features_in_)
            The fitted columns, in order, with their dtypes (and categories), and a
            ``RangeIndex``.
        """
        check_is_fitted(self)
        tokens = np.asarray(tokens)
        if tokens.ndim != 2 or tokens.shape[1] != len(self._columns):
            raise ValueError(
                BAD_TOKENS_SHAPE.format(
                    n_columns=len(self._columns), shape=tokens.shape
                )
            )
        offsets = np.full(tokens.shape, 0.5) if offsets is None else np.asarray(offsets)
        decoded = {}
        for j, column in enumerate(self._columns):
            column_tokens = tokens[:, j].astype(np.intp)
            if column_tokens.size and (
                column_tokens.min() < 0 or column_tokens.max() >= column.width
            ):
                raise ValueError(
                    TOKEN_OUT_OF_RANGE.format(column=column.name, top=column.width - 1)
                )
            decoded[column.name] = column.decode_tokens(column_tokens, offsets[:, j])
        return self._assemble(decoded, len(tokens))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        tags.input_tags.categorical = True
        tags.input_tags.string = True
        tags.transformer_tags.preserves_dtype = []
        return tags

"""Per-column codes behind TabularEncoder: quantiles for numbers, one-hot for the rest.

Each fitted column knows its spans, writes its block of the encoded matrix and reads
it back. Error messages are constants, so that tests can assert them.
"""

from dataclasses import dataclass

import numpy as np
import pandas as pd
from pandas.api.types import is_bool_dtype, is_numeric_dtype, is_object_dtype

from ._spans import CATEGORICAL, NUMERIC, Span

# A float32 code in [-1, 1] is off by at most half a unit in the last place, 2**-25.
_HALF_ULP = 2.0**-25
# Decoding error allowed after that rounding: under 0.5, so that rounding recovers
# an integer; for other floats, a millionth of the column's range.
_INTEGER_TOLERANCE = 0.45
_FLOAT_TOLERANCE = 1e-6
# Widening steep segments may take at most half of the code range [-1, 1], so that
# the bulk of the data keeps most of it even when exactness cannot be had.
_MAX_WIDENING = 1.0

KIND_CHANGED = (
    "Column {column!r} was {expected} when the encoder was fitted, but now has dtype "
    "{dtype}. Pass the column with the same kind of dtype as at fit time, or refit."
)
UNEXPECTED_MISSING = (
    "Column {column!r} has missing values, but the encoder was fitted without missing "
    "values in it, so it has no code for them. Fill them in, or refit on data with "
    "missing values in {column!r}."
)
UNSEEN_CATEGORIES = (
    "Column {column!r} has categories not seen at fit time: {values}. Refit the "
    "encoder on data containing them, or map them to known categories."
)
ALL_MISSING = (
    "Numeric column {column!r} has no non-missing values to learn a code from."
)
NOT_FINITE = "Numeric column {column!r} has infinite values; replace them or drop them."
TOO_MANY_CATEGORIES = (
    "Column {column!r} has {n} categories, more than max_categories={cap}. Bin it, "
    "group its rare values into one category, or raise max_categories."
)
UNSUPPORTED_DTYPE = (
    "Column {column!r} has dtype {dtype}, which the encoder does not handle. Convert "
    "it to numbers (e.g. seconds since an epoch) or to a categorical dtype."
)


def column_kind(column, dtype):
    """Return ``"numeric"`` or ``"categorical"`` for a column's dtype, or raise."""
    if is_bool_dtype(dtype):
        return CATEGORICAL
    if is_numeric_dtype(dtype) and dtype.kind != "c":
        return NUMERIC
    if isinstance(dtype, pd.CategoricalDtype | pd.StringDtype) or is_object_dtype(
        dtype
    ):
        return CATEGORICAL
    raise TypeError(UNSUPPORTED_DTYPE.format(column=column, dtype=dtype))


def _check_kind(column, series, expected):
    if column_kind(column, series.dtype) != expected:
        raise ValueError(
            KIND_CHANGED.format(column=column, expected=expected, dtype=series.dtype)
        )


def _one_hot(out, codes):
    out[np.arange(len(codes)), codes] = 1.0


@dataclass(frozen=True)
class NumericColumn:
    """A number coded by its quantile, with an optional present/missing indicator.

    ``knots`` (non-decreasing values) and ``codes`` (increasing, from -1 to 1) define
    a piecewise-linear monotone map. A value repeated over several knots (a point
    mass) owns a flat stretch of codes: it encodes to the middle of the stretch, and
    every code in the stretch decodes back to it.
    """

    name: str
    dtype: object
    knots: np.ndarray
    codes: np.ndarray
    integral: bool
    has_missing: bool
    kind = NUMERIC

    @property
    def width(self):
        """int: One code, plus two indicator columns when missing values were seen."""
        return 3 if self.has_missing else 1

    def spans(self, start):
        """Return the column's spans, starting at encoded column ``start``."""
        spans = [Span(self.name, NUMERIC, start, start + 1)]
        if self.has_missing:
            spans.append(
                Span(f"{self.name}__missing", CATEGORICAL, start + 1, start + 3)
            )
        return spans

    def feature_names(self):
        """Return the names of the encoded columns."""
        indicator = [f"{self.name}__missing=False", f"{self.name}__missing=True"]
        return [self.name, *indicator] if self.has_missing else [self.name]

    def encode(self, series, out):
        """Write the codes of ``series`` into ``out``, a ``(n, width)`` view."""
        _check_kind(self.name, series, NUMERIC)
        values = series.to_numpy(dtype=np.float64, na_value=np.nan)
        missing = np.isnan(values)
        if not self.has_missing and missing.any():
            raise ValueError(UNEXPECTED_MISSING.format(column=self.name))
        # Averaging the two one-sided lookups puts a point mass in its stretch's middle.
        forward = np.interp(values, self.knots, self.codes)
        backward = -np.interp(-values, -self.knots[::-1], -self.codes[::-1])
        # Missing rows get the neutral code 0; the indicator tells them apart.
        out[:, 0] = np.where(missing, 0.0, 0.5 * (forward + backward))
        if self.has_missing:
            _one_hot(out[:, 1:], missing.astype(np.intp))

    def decode(self, block):
        """Return the column's values, a Series, from its ``(n, width)`` codes."""
        values = np.interp(np.clip(block[:, 0], -1.0, 1.0), self.codes, self.knots)
        if self.integral:
            values = np.rint(values)
        missing = block[:, 1:].argmax(axis=1) == 1 if self.has_missing else None
        return numeric_series(values, missing, self.dtype)


def numeric_series(values, missing, dtype):
    """Return float ``values`` as a Series of ``dtype``, missing where ``missing``."""
    if isinstance(dtype, np.dtype):
        if missing is not None:
            values[missing] = np.nan
        return pd.Series(values.astype(dtype, copy=False), copy=False)
    array = pd.array(values, dtype=dtype)
    if missing is not None:
        array[missing] = pd.NA
    return pd.Series(array, copy=False)


def observed_values(name, series):
    """Return a numeric column's floats, its missing mask and its observed values.

    Raises when nothing is observed or a value is infinite.
    """
    values = series.to_numpy(dtype=np.float64, na_value=np.nan)
    missing = np.isnan(values)
    observed = values[~missing]
    if observed.size == 0:
        raise ValueError(ALL_MISSING.format(column=name))
    if not np.isfinite(observed).all():
        raise ValueError(NOT_FINITE.format(column=name))
    return values, missing, observed


def draw_subsample(observed, size, random_state):
    """At most ``size`` of the ``observed`` values, drawn without replacement."""
    if observed.size > size:
        return random_state.choice(observed, size=size, replace=False)
    return observed


def fit_numeric(name, series, *, n_quantiles, subsample, random_state):
    """Learn a :class:`NumericColumn` from ``series``."""
    _, missing, observed = observed_values(name, series)
    # Integer-valued floats (ints that became float through NaN) are decoded rounded.
    integral = bool(np.all(observed == np.rint(observed)))
    sample = draw_subsample(observed, subsample, random_state)
    n_knots = max(2, min(n_quantiles, sample.size))
    knots = np.quantile(sample, np.linspace(0.0, 1.0, n_knots))
    # The subsample may miss the extremes, and decoded values must reach them.
    knots[0], knots[-1] = observed.min(), observed.max()
    knots = np.maximum.accumulate(knots)
    span = knots[-1] - knots[0]
    tolerance = _INTEGER_TOLERANCE if integral else _FLOAT_TOLERANCE * span
    codes = _widen_steep_segments(knots, np.linspace(-1.0, 1.0, n_knots), tolerance)
    return NumericColumn(
        name, series.dtype, knots, codes, integral, bool(missing.any())
    )


def _widen_steep_segments(knots, codes, tolerance):
    """Widen code segments that are too steep for float32 codes to decode exactly.

    Quantile codes give a sparse tail (say the top 0.1% of a wide-ranging column) a
    sliver of the code range, where float32 rounding of a code moves the decoded value
    by many units. Each segment gets at least the width that keeps that error within
    ``tolerance``; the other segments shrink in proportion to make room.
    """
    if tolerance == 0:
        return codes  # a constant column: every code decodes to its one value
    base = np.diff(codes)
    need = np.diff(knots) * (_HALF_ULP / tolerance)
    if need.sum() > _MAX_WIDENING:
        need *= _MAX_WIDENING / need.sum()
    free = np.ones(base.shape, dtype=bool)
    # The set of widened segments only grows as the scale shrinks, so this ends.
    while True:
        scale = (2.0 - need[~free].sum()) / base[free].sum()
        now_free = base * scale >= need
        if np.array_equal(now_free, free):
            break
        free = now_free
    widths = np.where(free, base * scale, need)
    codes = np.concatenate([[-1.0], -1.0 + np.cumsum(widths)])
    codes[-1] = 1.0
    return codes


@dataclass(frozen=True)
class CategoricalColumn:
    """A category coded one-hot, with an extra slot for missing values if seen."""

    name: str
    dtype: object
    categories: pd.Index
    has_missing: bool
    kind = CATEGORICAL

    @property
    def decoded_values(self):
        """pandas.Index: The values the column decodes to, each exactly."""
        return self.categories

    @property
    def width(self):
        """int: One slot per category, plus one for missing values if seen."""
        return len(self.categories) + self.has_missing

    def spans(self, start):
        """Return the column's span, starting at encoded column ``start``."""
        return [Span(self.name, CATEGORICAL, start, start + self.width)]

    def feature_names(self):
        """Return the names of the encoded columns."""
        names = [f"{self.name}={category}" for category in self.categories]
        return [*names, f"{self.name}=nan"] if self.has_missing else names

    def encode(self, series, out):
        """Write the one-hot codes of ``series`` into ``out``, a ``(n, width)`` view."""
        _one_hot(out, self.tokens(series))

    def tokens(self, series):
        """Return each value's slot: its category's position, missing values last."""
        _check_kind(self.name, series, CATEGORICAL)
        if isinstance(series.dtype, pd.CategoricalDtype):
            # Look up the few categories, not every row.
            lookup = np.append(self.categories.get_indexer(series.cat.categories), -1)
            codes = lookup[series.cat.codes.to_numpy()]
        else:
            codes = self.categories.get_indexer(series)
        missing = series.isna().to_numpy()
        unseen = (codes < 0) & ~missing
        if unseen.any():
            values = sorted(map(str, pd.unique(series[unseen])))
            raise ValueError(UNSEEN_CATEGORIES.format(column=self.name, values=values))
        if not self.has_missing and missing.any():
            raise ValueError(UNEXPECTED_MISSING.format(column=self.name))
        return np.where(missing, len(self.categories), codes)

    def decode(self, block):
        """Return the column's values, a Series, from its ``(n, width)`` block."""
        return self.decode_tokens(block.argmax(axis=1))

    def decode_tokens(self, tokens, offsets=None):
        """Return the column's values, a Series, from their slots (see ``tokens``).

        ``offsets`` are ignored: a category is coded exactly.
        """
        codes = np.where(tokens == len(self.categories), -1, tokens)
        if isinstance(self.dtype, pd.CategoricalDtype):
            return pd.Series(pd.Categorical.from_codes(codes, dtype=self.dtype))
        # Converting the few categories, then taking, is faster than converting rows.
        values = pd.Categorical.from_codes(codes, categories=self.categories)
        return pd.Series(values, copy=False).astype(self.dtype)


def fit_categorical(name, series, *, max_categories):
    """Learn a :class:`CategoricalColumn` from ``series``."""
    if isinstance(series.dtype, pd.CategoricalDtype):
        # Every category of the dtype gets a slot, used or not, in the dtype's order.
        categories = series.dtype.categories
    elif is_bool_dtype(series.dtype):
        categories = pd.Index([False, True])
    else:
        categories = pd.Index(_sorted(series.dropna().unique()))
    if max_categories is not None and len(categories) > max_categories:
        raise ValueError(
            TOO_MANY_CATEGORIES.format(
                column=name, n=len(categories), cap=max_categories
            )
        )
    return CategoricalColumn(name, series.dtype, categories, bool(series.isna().any()))


def _sorted(values):
    try:
        return sorted(values)
    except TypeError:
        # Mixed types (say ints and strings in an object column) have no order.
        return sorted(values, key=str)

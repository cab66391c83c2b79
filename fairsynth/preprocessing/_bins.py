"""A numeric column as tokens: its exact value when it has few, else its quantile bin.

A generator that picks one token per column from a softmax learns any shape of
distribution, spikes and long tails included, which a single squashed number does
badly: a value that fills many quantiles (a 0 in nine rows of ten) and a rare tail
value are both one token. Decoding a bin draws the value within it from the bin's
own quantiles (the within-bin offset), so the column's distribution is kept inside
every bin too.
"""

from dataclasses import dataclass

import numpy as np

from ._columns import (
    UNEXPECTED_MISSING,
    _check_kind,
    draw_subsample,
    numeric_series,
    observed_values,
)
from ._spans import NUMERIC

# Quantiles kept inside each bin; decoding interpolates between them.
_KNOTS_PER_BIN = 32
# Rows a quantile bin holds at the least: a generator learns little from a bin of a
# few rows, and would copy their values.
_MIN_ROWS_PER_BIN = 20


@dataclass(frozen=True)
class BinnedColumn:
    """A number coded as the token of its bin, missing values as a last token.

    Bin ``b`` holds the values up to ``highs[b]`` (above ``highs[b - 1]``), and
    ``knots[b]`` are its within-bin quantiles. A column with few distinct values has
    one bin per value, whose knots all equal it, so it is coded exactly.
    """

    name: str
    dtype: object
    highs: np.ndarray
    knots: np.ndarray
    integral: bool
    has_missing: bool
    kind = NUMERIC

    @property
    def decoded_values(self):
        """The values a column coded exactly decodes to (an ndarray), else None."""
        exact = np.all(self.knots == self.highs[:, None])
        return self.highs if exact else None

    @property
    def width(self):
        """int: Number of tokens: one per bin, plus one for missing values if seen."""
        return len(self.highs) + self.has_missing

    def tokens(self, series):
        """Return each value's token: its bin, missing values last."""
        _check_kind(self.name, series, NUMERIC)
        values = series.to_numpy(dtype=np.float64, na_value=np.nan)
        missing = np.isnan(values)
        if not self.has_missing and missing.any():
            raise ValueError(UNEXPECTED_MISSING.format(column=self.name))
        # Values outside the fitted range fall in the first or the last bin.
        bins = np.searchsorted(self.highs, np.where(missing, -np.inf, values))
        bins = np.minimum(bins, len(self.highs) - 1)
        return np.where(missing, len(self.highs), bins)

    def decode_tokens(self, tokens, offsets):
        """Return the values, a Series, of ``tokens`` at within-bin ``offsets``.

        ``offsets`` in [0, 1) place each value among its bin's quantiles: an
        integer-valued column takes the quantile the offset falls on, so decoded
        values are values seen at fit time; others interpolate between them.
        """
        missing = tokens >= len(self.highs) if self.has_missing else None
        bins = np.minimum(tokens, len(self.highs) - 1)
        offsets = np.clip(offsets, 0.0, 1.0)
        if self.integral:
            knot = np.minimum(offsets * (_KNOTS_PER_BIN + 1), _KNOTS_PER_BIN)
            values = self.knots[bins, knot.astype(np.intp)]
        else:
            position = offsets * _KNOTS_PER_BIN
            below = np.minimum(np.floor(position), _KNOTS_PER_BIN - 1).astype(np.intp)
            low, high = self.knots[bins, below], self.knots[bins, below + 1]
            values = low + (position - below) * (high - low)
        return numeric_series(values, missing, self.dtype)


def fit_binned(name, series, *, n_bins, subsample, random_state):
    """Learn a :class:`BinnedColumn` of about ``n_bins`` bins.

    A column with at most ``n_bins`` distinct values gets one bin per value. In any
    other, a value that holds ``1 / n_bins`` of the rows (a point mass) gets a bin
    of its own, and the remaining bins are quantile bins of the other rows,
    computed on a subsample of ``subsample`` values. A small column has fewer bins,
    of at least ``_MIN_ROWS_PER_BIN`` rows on average.
    """
    _, missing, observed = observed_values(name, series)
    integral = bool(np.all(observed == np.rint(observed)))
    distinct = np.unique(observed)
    if distinct.size <= n_bins:
        highs, knots = distinct, np.repeat(distinct[:, None], _KNOTS_PER_BIN + 1, 1)
    else:
        sample = np.sort(draw_subsample(observed, subsample, random_state))
        n_bins = int(np.clip(observed.size // _MIN_ROWS_PER_BIN, 2, n_bins))
        bin_ids = _quantile_bins(sample, n_bins)
        starts = np.flatnonzero(np.diff(bin_ids, prepend=-1))
        highs = sample[np.append(starts[1:], sample.size) - 1]
        # The subsample may miss the extremes, and decoded values must reach them.
        highs[-1] = observed.max()
        knots = np.stack(
            [_within_bin_knots(part, integral) for part in np.split(sample, starts[1:])]
        )
        if not integral:
            knots[0, 0], knots[-1, -1] = observed.min(), observed.max()
    return BinnedColumn(name, series.dtype, highs, knots, integral, bool(missing.any()))


def _within_bin_knots(values, integral):
    """Return the quantiles that decoding draws a bin's values from.

    Integer-valued columns take the values at the centres of equal shares, each of
    them a value seen in the bin, each equally likely; other columns interpolate
    between quantiles that span the bin from its lowest value to its highest.
    """
    if integral:
        levels = (np.arange(_KNOTS_PER_BIN + 1) + 0.5) / (_KNOTS_PER_BIN + 1)
        return np.quantile(values, levels, method="inverted_cdf")
    return np.quantile(values, np.linspace(0.0, 1.0, _KNOTS_PER_BIN + 1))


def _quantile_bins(sorted_values, n_bins):
    """Bin number of each sorted value: point masses alone, the rest by quantile.

    A value repeated in at least ``1 / n_bins`` of the rows is a bin of its own.
    The other rows share the remaining bins: between point masses they are cut at
    equal counts, never inside a run of equal values, so that all rows of a value
    share one bin.
    """
    _, counts = np.unique(sorted_values, return_counts=True)
    is_mass = counts >= sorted_values.size / n_bins
    # The bins left after the point masses share the other rows equally.
    size = counts[~is_mass].sum() / max(1, n_bins - is_mass.sum())
    # A segment is a point mass, or a run of other values between point masses.
    new_segment = is_mass | np.r_[True, is_mass[:-1]]
    segment = np.cumsum(new_segment) - 1
    before = np.cumsum(counts) - counts
    within = before - before[new_segment][segment]
    _, value_bin = np.unique(
        segment * (n_bins + 1) + within // size, return_inverse=True
    )
    return np.repeat(value_bin, counts)

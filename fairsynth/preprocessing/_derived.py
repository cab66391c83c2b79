"""Columns that another column determines, such as a level's name and its number.

A generator that learns both columns of such a pair can match them wrongly. On UCI
Adult, half the generated rows paired an ``education`` with another level's
``education_num``, and those two columns alone told generated rows from real ones
with a ROC AUC of 0.86. The encoders therefore code only the determining column
and rebuild the other from it, so every generated pair is one seen in the data.
"""

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ._spans import CATEGORICAL

# Rows per value of the determining column, on average, that a dependency needs
# before it is trusted: with fewer, a column can be constant within each value by
# chance.
MIN_ROWS_PER_VALUE = 10


@dataclass(frozen=True)
class DerivedColumn:
    """A column rebuilt from its ``source``, through one value per source value."""

    name: str
    source: str
    keys: pd.Index
    values: pd.Series

    def decode(self, source_values):
        """Return the column's values, a Series, for decoded ``source_values``."""
        positions = self.keys.get_indexer(source_values)
        return self.values.take(positions).reset_index(drop=True)


def find_derived(frame, columns):
    """Return :class:`DerivedColumn` for each column that another one determines.

    A source is a column coded exactly, value by value (``decoded_values``): a
    categorical column, or a number with few values in a tokenizer (an age, which
    determines an age band). A column is derived when every value of a source comes
    with one value of it (missing values included) in all rows, and it is not
    constant.
    A source must have at least ``MIN_ROWS_PER_VALUE`` rows per value on average,
    and every category it can be decoded to must occur, so that each has its
    partner. A derived column never serves as a source, and a source is never
    derived, so each derived column is rebuilt from a column that the encoder codes.

    Parameters
    ----------
    frame : DataFrame
        The table.
    columns : dict
        The fitted column of each name of ``frame``.
    """
    codes = {
        name: pd.factorize(frame[name], use_na_sentinel=False)[0] for name in frame
    }
    n_values = {name: codes[name].max() + 1 for name in frame}
    sources = [
        name
        for name, column in columns.items()
        if getattr(column, "decoded_values", None) is not None
        and frame[name].nunique() == len(column.decoded_values)
        and n_values[name] <= len(frame) / MIN_ROWS_PER_VALUE
    ]
    derived = {}
    # Numbers first: of a number and a label that determine each other, the
    # label is kept and the number rebuilt from it.
    for name in sorted(frame.columns, key=lambda n: columns[n].kind == CATEGORICAL):
        if n_values[name] < 2 or name in derived.values():
            continue
        for source in sources:
            # A function takes no more values than its argument: most pairs stop at
            # this cheap test, which keeps wide tables fast.
            if (
                source != name
                and source not in derived
                and n_values[name] <= n_values[source]
                and _determines(
                    codes[source], n_values[source], codes[name], n_values[name]
                )
            ):
                derived[name] = source
                break
    return [_fit_derived(frame, name, source) for name, source in derived.items()]


def _determines(source_codes, n_source, codes, n_codes):
    """Whether each of the ``n_source`` source codes comes with one code only."""
    return np.unique(source_codes * n_codes + codes).size == n_source


def _fit_derived(frame, name, source):
    first = frame[[source, name]].drop_duplicates(subset=source)
    return DerivedColumn(
        name,
        source,
        pd.Index(first[source].to_numpy(), dtype=object),
        first[name].reset_index(drop=True),
    )

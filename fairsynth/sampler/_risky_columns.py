"""Columns that a generator should not learn: identifiers, free text, dates, constants.

A generator copies what it is given. Identifiers and names come back as real
people's values; free text and dates make huge vocabularies that cost memory and
time and leak the rows they come from; a constant column teaches nothing. Such
columns are better dropped, or turned into features (a date into an age), before
fitting.
"""

import numpy as np
import pandas as pd

# A column of labels (text, categories) with at least this share of distinct values
# among its non-missing ones identifies rows rather than describing them; below
# MIN_ROWS rows, distinct values are expected. Integers count as identifiers only
# when they also fill their range densely (at most ID_SPREAD times as wide as the
# number of values), as row numbers do: a measurement such as a sampling weight is
# nearly unique too, but spread out.
ID_SHARE = 0.9
ID_SPREAD = 2
MIN_ROWS = 50
# Text this long on average is prose (addresses, notes), not a category.
TEXT_LENGTH = 30
# Labels of which this share of rows hold a value no other row has (first and last
# names, say) single those rows out: a generator that learns them hands real
# people's rare values back, and each value costs a token.
SINGLETON_SHARE = 0.2
# Values checked for a date format, and the share that must parse.
DATE_SAMPLE = 200
DATE_SHARE = 0.9


def describe(risky):
    """One line naming each risky column and why: ``'id' (an identifier ...)``."""
    return "; ".join(f"{name!r} ({reason})" for name, reason in risky.items())


def risky_columns(frame, *, exclude=()):
    """Return ``{column: reason}`` for the columns a generator should not learn.

    Parameters
    ----------
    frame : pandas.DataFrame
        The table.
    exclude : sequence, default=()
        Columns not to check (the sensitive ones, which have checks of their own).

    Returns
    -------
    dict
        Each flagged column and why, in the frame's column order.

    Examples
    --------
    >>> import pandas as pd
    >>> from fairsynth.sampler._risky_columns import risky_columns
    >>> ids = [f"p{i}" for i in range(60)]
    >>> frame = pd.DataFrame({"id": ids, "age": [20, 30] * 30, "kind": ["a"] * 60})
    >>> risky_columns(frame)
    {'id': 'an identifier (60 distinct values in 60 rows)', 'kind': 'constant'}
    """
    found = {}
    for name in frame.columns:
        if name in exclude:
            continue
        reason = _reason(frame[name])
        if reason:
            found[name] = reason
    return found


def _reason(column):
    values = column.dropna()
    if values.nunique() <= 1:
        return "all missing" if values.empty else "constant"
    if pd.api.types.is_datetime64_any_dtype(column) or isinstance(
        column.dtype, pd.PeriodDtype
    ):
        return "a date"
    text = not pd.api.types.is_numeric_dtype(column) and not isinstance(
        column.dtype, pd.CategoricalDtype
    )
    if text and _looks_like_dates(values):
        return "a date written as text"
    if text and values.astype(str).str.len().mean() >= TEXT_LENGTH:
        return "free text"
    if len(values) < MIN_ROWS or pd.api.types.is_float_dtype(column):
        return None
    distinct = values.nunique()
    if distinct >= ID_SHARE * len(values) and not _spread_out(values):
        return f"an identifier ({distinct} distinct values in {len(values)} rows)"
    if pd.api.types.is_numeric_dtype(column):
        return None
    counts = values.value_counts()
    singled_out = (counts == 1).sum() / len(values)
    if singled_out >= SINGLETON_SHARE:
        return (
            f"a label of {distinct} values that singles out rows ({singled_out:.0%} "
            "of rows hold a value no other row has)"
        )
    return None


def _spread_out(values):
    """Whether integers spread far wider than their count, as measurements do."""
    if not pd.api.types.is_integer_dtype(values):
        return False
    spread = int(values.max()) - int(values.min()) + 1
    return spread > ID_SPREAD * values.nunique()


def _looks_like_dates(values):
    """Whether most of a sample of text values parse as dates with digits in them."""
    sample = values.astype(str).head(DATE_SAMPLE)
    dated = sample.str.contains(r"\d") & sample.str.contains(r"[-/:.]")
    if dated.mean() < DATE_SHARE:
        return False
    parsed = pd.to_datetime(sample, errors="coerce", format="mixed")
    return bool(np.mean(parsed.notna()) >= DATE_SHARE)

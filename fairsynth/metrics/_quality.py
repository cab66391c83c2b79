"""Statistical fidelity of a synthetic table: marginals and pairwise associations.

Numeric columns are those with a numeric, non-boolean dtype; every other column
(categorical, object, string, boolean) is categorical, and a missing value is a
category of its own.
"""

import itertools

import numpy as np
import pandas as pd

NOT_A_FRAME = "{name} must be a pandas DataFrame; got {kind}."
COLUMNS_DIFFER = (
    "real and synthetic must have the same columns; missing from synthetic: "
    "{missing}, extra in synthetic: {extra}."
)
MISSING = "<missing>"


def check_frames(real, synthetic):
    """Check both tables are DataFrames with the same columns.

    Returns
    -------
    synthetic : pandas.DataFrame
        ``synthetic`` with its columns in the order of ``real``.
    """
    for name, frame in (("real", real), ("synthetic", synthetic)):
        if not isinstance(frame, pd.DataFrame):
            raise TypeError(NOT_A_FRAME.format(name=name, kind=type(frame).__name__))
    missing = [c for c in real.columns if c not in synthetic.columns]
    extra = [c for c in synthetic.columns if c not in real.columns]
    if missing or extra:
        raise ValueError(COLUMNS_DIFFER.format(missing=missing, extra=extra))
    return synthetic[list(real.columns)]


def is_numeric(column):
    """Return whether a column is treated as numeric (numeric and not boolean)."""
    dtype = column.dtype
    return pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_bool_dtype(
        dtype
    )


def category_labels(column):
    """Return a column as an object array of text, with missing values as a category."""
    values = column.astype(object)
    return values.where(values.notna(), MISSING).map(str).to_numpy(dtype=object)


def as_float(column):
    """Return a column as floats, NaN where missing or not a number."""
    return pd.to_numeric(column, errors="coerce").to_numpy(dtype=float, na_value=np.nan)


def _ks_with_missing(a, b):
    """KS statistic, with missing values treated as a value below every number.

    So the statistic is at least the difference in missing rates, and equals the
    plain KS statistic of the observed values when neither side has missing values.
    """
    cdfs = []
    grid = np.concatenate([a[~np.isnan(a)], b[~np.isnan(b)]])
    for values in (a, b):
        missing = np.isnan(values)
        observed = np.sort(values[~missing])
        share = missing.mean()
        if observed.size == 0:
            cdfs.append(np.ones(grid.size + 1))
            continue
        below = np.searchsorted(observed, grid, side="right") / observed.size
        cdfs.append(np.append(share + (1 - share) * below, share))
    return float(np.max(np.abs(cdfs[0] - cdfs[1])))


def _tvd(a, b):
    shares_a = pd.Series(category_labels(a)).value_counts(normalize=True)
    shares_b = pd.Series(category_labels(b)).value_counts(normalize=True)
    shares = pd.concat([shares_a, shares_b], axis=1).fillna(0.0)
    return 0.5 * float(np.abs(shares.iloc[:, 0] - shares.iloc[:, 1]).sum())


def column_fidelity(real, synthetic):
    r"""Score how well each column's distribution is reproduced, from 0 to 1.

    Numeric columns score ``1 - KS``, the Kolmogorov-Smirnov statistic between the
    two samples, where a missing value counts as a value below every number (so a
    different missing rate lowers the score by at least that difference). Other
    columns score ``1 - TVD``, the total variation distance
    :math:`\frac{1}{2}\sum_c |p_c - q_c|` between category shares, missing values
    being a category of their own.

    Parameters
    ----------
    real, synthetic : pandas.DataFrame
        Tables with the same columns.

    Returns
    -------
    pandas.Series
        One score per column of ``real``; 1 means identical marginals.

    Examples
    --------
    >>> import pandas as pd
    >>> real = pd.DataFrame({"age": [25, 32, 47, 51, 38, 29], "job": list("abacba")})
    >>> ages, jobs = [26, 33, 45, 60, 38, 30], list("abbcba")
    >>> synthetic = pd.DataFrame({"age": ages, "job": jobs})
    >>> column_fidelity(real, synthetic).round(3)
    age    0.833
    job    0.833
    Name: fidelity, dtype: float64
    """
    synthetic = check_frames(real, synthetic)
    scores = {}
    for name in real.columns:
        if is_numeric(real[name]):
            distance = _ks_with_missing(as_float(real[name]), as_float(synthetic[name]))
        else:
            distance = _tvd(real[name], synthetic[name])
        scores[name] = 1.0 - distance
    return pd.Series(scores, name="fidelity", dtype=float)


def _cramers_v(codes_a, codes_b):
    table = np.zeros((codes_a.max() + 1, codes_b.max() + 1))
    np.add.at(table, (codes_a, codes_b), 1)
    expected = table.sum(1, keepdims=True) * table.sum(0, keepdims=True) / table.sum()
    chi2 = np.sum((table - expected) ** 2 / expected)
    rank = min(table.shape) - 1
    return float(np.sqrt(chi2 / (table.sum() * rank))) if rank else 0.0


def _correlation_ratio(codes, values):
    """Return eta: the share of the variance of ``values`` explained by the groups."""
    observed = ~np.isnan(values)
    codes, values = codes[observed], values[observed]
    if values.size == 0 or np.var(values) == 0:
        return 0.0
    counts = np.bincount(codes)
    present = counts > 0
    means = np.bincount(codes, weights=values)[present] / counts[present]
    between = np.sum(counts[present] * (means - values.mean()) ** 2)
    return float(np.sqrt(between / np.sum((values - values.mean()) ** 2)))


def _pair_association(encoded, left, right):
    (left_numeric, a), (right_numeric, b) = encoded[left], encoded[right]
    if left_numeric and right_numeric:
        value = pd.Series(a).corr(pd.Series(b))  # on rows where both are present
        return 0.0 if np.isnan(value) else float(value)
    if not (left_numeric or right_numeric):
        return _cramers_v(a, b)
    return _correlation_ratio(b, a) if left_numeric else _correlation_ratio(a, b)


def association_matrix(frame):
    """Measure the association of every pair of columns.

    Numeric pairs use the Pearson correlation (in [-1, 1], on rows where both are
    present); categorical pairs use Cramér's V; mixed pairs use the correlation
    ratio eta (both in [0, 1]). Missing categories are a category; missing numbers
    are left out. A pair with a constant column scores 0.

    Parameters
    ----------
    frame : pandas.DataFrame
        A table with mixed types and missing values.

    Returns
    -------
    pandas.DataFrame
        A symmetric matrix with ones on the diagonal.

    Examples
    --------
    >>> import pandas as pd
    >>> frame = pd.DataFrame({"age": [25, 32, 47, 51, 38, 29], "job": list("abacba")})
    >>> association_matrix(frame).round(3)
           age    job
    age  1.000  0.669
    job  0.669  1.000
    """
    # Encode each column once: floats for numbers, integer codes for categories.
    encoded = {
        name: (True, as_float(column))
        if is_numeric(column)
        else (False, pd.factorize(category_labels(column))[0])
        for name, column in frame.items()
    }
    names = list(frame.columns)
    matrix = pd.DataFrame(np.eye(len(names)), index=names, columns=names)
    # A constant column makes numpy warn inside the correlation; it scores 0.
    with np.errstate(invalid="ignore", divide="ignore"):
        for left, right in itertools.combinations(names, 2):
            value = _pair_association(encoded, left, right)
            matrix.loc[left, right] = matrix.loc[right, left] = value
    return matrix


def association_difference(real, synthetic):
    """Return the association matrix of ``synthetic`` minus that of ``real``.

    Parameters
    ----------
    real, synthetic : pandas.DataFrame
        Tables with the same columns.

    Returns
    -------
    pandas.DataFrame
        Signed differences, zero on the diagonal; see :func:`association_matrix`.

    Examples
    --------
    >>> import pandas as pd
    >>> real = pd.DataFrame({"age": [25, 32, 47, 51, 38, 29], "job": list("abacba")})
    >>> ages, jobs = [26, 33, 45, 60, 38, 30], list("abbcba")
    >>> synthetic = pd.DataFrame({"age": ages, "job": jobs})
    >>> association_difference(real, synthetic).round(3)
           age    job
    age  0.000  0.277
    job  0.277  0.000
    """
    synthetic = check_frames(real, synthetic)
    return association_matrix(synthetic) - association_matrix(real)


def correlation_similarity(real, synthetic):
    """Score how well pairwise associations are reproduced, from 0 to 1.

    The score is ``1 - mean |delta|`` over the pairs of columns of
    :func:`association_difference`, each difference divided by the width of its
    range (2 for a Pearson correlation, 1 for Cramér's V and eta) so that the
    score stays within [0, 1].

    Parameters
    ----------
    real, synthetic : pandas.DataFrame
        Tables with the same columns (at least two).

    Returns
    -------
    float
        1 means the same associations.

    Examples
    --------
    >>> import pandas as pd
    >>> real = pd.DataFrame({"age": [25, 32, 47, 51, 38, 29], "job": list("abacba")})
    >>> ages, jobs = [26, 33, 45, 60, 38, 30], list("abbcba")
    >>> synthetic = pd.DataFrame({"age": ages, "job": jobs})
    >>> round(correlation_similarity(real, synthetic), 3)
    0.723
    """
    delta = association_difference(real, synthetic).to_numpy()
    numeric = np.array([is_numeric(real[name]) for name in real.columns])
    width = np.where(np.outer(numeric, numeric), 2.0, 1.0)
    upper = np.triu_indices(len(numeric), k=1)
    return float(1.0 - np.mean(np.abs(delta[upper]) / width[upper]))

"""What the rarest rows have in common: value lifts, and how rarity meets groups."""

import numpy as np
import pandas as pd
from pandas.api.types import is_bool_dtype, is_numeric_dtype
from sklearn.metrics import roc_auc_score

MISSING = "(missing)"
NOT_A_MASK = (
    "mask must be one boolean per row of X ({n} rows), True for the rarest; got "
    "shape {shape}. Use LatentRarity.minority(X)."
)


def _check_mask(mask, n_rows):
    mask = np.asarray(mask)
    if mask.shape != (n_rows,) or mask.dtype != bool:
        raise ValueError(NOT_A_MASK.format(n=n_rows, shape=mask.shape))
    return mask


def _value_labels(series, n_bins):
    """Each row's value as text: numbers with many values in quantile bands."""
    numeric = is_numeric_dtype(series.dtype) and not is_bool_dtype(series.dtype)
    if numeric and series.nunique() > n_bins:
        bands = pd.qcut(series, n_bins, duplicates="drop")
        labels = bands.astype(object).map(lambda band: f"{band}")
    else:
        labels = series.astype(object).map(str)
    return labels.where(series.notna(), MISSING)


def rarity_lifts(X, mask, *, n_bins=4, min_rows=5):
    """Rank the column values by how over-represented they are among rare rows.

    The lift of a value is its share among the rarest rows divided by its share
    among all rows: 3 means three times as common among the rare rows.

    Parameters
    ----------
    X : DataFrame of shape (n_samples, n_features)
        The rows.
    mask : ndarray of bool of shape (n_samples,)
        True for the rarest rows, e.g. :meth:`LatentRarity.minority`.
    n_bins : int, default=4
        A numeric column with more distinct values is cut into this many
        quantile bands, each a value.
    min_rows : int, default=5
        Values held by fewer rare rows are left out: their lifts are noise.

    Returns
    -------
    lifts : DataFrame
        One row per (column, value), highest lift first, with ``rare_rows``,
        ``share_rare``, ``share_all`` and ``lift``.

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> from fairsynth.discovery import rarity_lifts
    >>> X = pd.DataFrame({"job": ["a"] * 8 + ["b"] * 2})
    >>> rarity_lifts(X, np.arange(10) >= 8, min_rows=1)
      column value  rare_rows  share_rare  share_all  lift
    0    job     b          2         1.0        0.2   5.0
    """
    mask = _check_mask(mask, len(X))
    parts = []
    for column in X.columns:
        labels = _value_labels(X[column].reset_index(drop=True), n_bins)
        counts = pd.DataFrame(
            {
                "rare_rows": labels[mask].value_counts(),
                "share_all": labels.value_counts(normalize=True),
            }
        ).fillna(0)
        counts["share_rare"] = counts["rare_rows"] / max(int(mask.sum()), 1)
        counts["lift"] = counts["share_rare"] / counts["share_all"]
        parts.append(counts.rename_axis("value").reset_index().assign(column=column))
    table = pd.concat(parts, ignore_index=True)
    table = table[table["rare_rows"] >= min_rows].astype({"rare_rows": int})
    table = table.sort_values(["lift", "rare_rows"], ascending=False, kind="stable")
    columns = ["column", "value", "rare_rows", "share_rare", "share_all", "lift"]
    return table[columns].reset_index(drop=True)


def rarity_by_group(scores, mask, groups):
    """How rarity lines up with known groups: shares, lifts and ROC AUC.

    Parameters
    ----------
    scores : array-like of shape (n_samples,)
        Rarity scores, e.g. :meth:`LatentRarity.score_samples`.
    mask : ndarray of bool of shape (n_samples,)
        True for the rarest rows.
    groups : Series or DataFrame of shape (n_samples, n_columns)
        One or more sensitive columns; each column's groups are listed.

    Returns
    -------
    table : DataFrame
        One row per (column, group): ``rows``, ``share_all``, ``share_rare``,
        ``lift``, ``mean_rarity`` and ``auc``, the ROC AUC of the scores for
        telling the group's rows from the others (0.5: rarity ignores the group;
        1: the group's rows are all rarer than the others).

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> from fairsynth.discovery import rarity_by_group
    >>> groups = pd.Series(["x", "x", "x", "y"], name="g")
    >>> table = rarity_by_group(np.array([0.0, 1.0, 2.0, 3.0]),
    ...                         np.array([False, False, False, True]), groups)
    >>> table[["column", "group", "rows", "lift", "auc"]]
      column group  rows  lift  auc
    0      g     x     3   0.0  0.0
    1      g     y     1   4.0  1.0
    """
    scores = np.asarray(scores, dtype=float)
    mask = _check_mask(mask, len(scores))
    frame = groups.to_frame() if isinstance(groups, pd.Series) else groups
    rows = []
    for column in frame.columns:
        values = frame[column].reset_index(drop=True).astype(object).map(str)
        for group in sorted(values.unique()):
            member = (values == group).to_numpy()
            rows.append(_group_row(column, group, member, scores, mask))
    return pd.DataFrame(rows)


def _group_row(column, group, member, scores, mask):
    share_all = member.mean()
    share_rare = member[mask].mean() if mask.any() else 0.0
    both = 0 < member.sum() < len(member)
    return {
        "column": column,
        "group": group,
        "rows": int(member.sum()),
        "share_all": share_all,
        "share_rare": share_rare,
        "lift": share_rare / share_all,
        "mean_rarity": scores[member].mean(),
        "auc": roc_auc_score(member, scores) if both else np.nan,
    }

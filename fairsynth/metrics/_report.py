"""A per-group table of rates, with their differences and ratios."""

import numpy as np
import pandas as pd

from ._fairness import difference, group_rates, ratio
from ._validation import check_fairness_inputs, check_method

_MODEL_RATES = {
    "selection_rate": "selection",
    "tpr": "tpr",
    "fpr": "fpr",
    "accuracy": "accuracy",
}


def group_report(
    y_true,
    y_pred=None,
    *,
    sensitive_features,
    method="between_groups",
    sample_weight=None,
    pos_label=None,
):
    """Tabulate sizes and rates per group, then their differences and ratios.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True labels.
    y_pred : array-like of shape (n_samples,), default=None
        Predicted labels. Without them the report describes the data only
        (size and base rate).
    sensitive_features : array-like of shape (n_samples,) or (n_samples, n_columns)
        Group of each row. Several columns give intersectional groups, labelled by
        their values joined with ``", "`` (e.g. ``"Female, Black"``).
    method : {"between_groups", "to_overall"}, default="between_groups"
        How the ``difference`` and ``ratio`` rows compare the groups; see
        :func:`demographic_parity_difference`.
    sample_weight : array-like of shape (n_samples,), default=None
        Row weights; rates are weighted, ``size`` counts rows.
    pos_label : scalar, default=None
        The positive class; see :func:`demographic_parity_difference`.

    Returns
    -------
    pandas.DataFrame
        Columns ``size``, ``base_rate`` and, with ``y_pred``, ``selection_rate``,
        ``tpr``, ``fpr``, ``accuracy``. The index has two levels: ``("group", g)``
        for each group ``g``, then ``("summary", "overall")``,
        ``("summary", "difference")`` and ``("summary", "ratio")``. Use
        ``report.loc["group"]`` for the groups alone. A rate that a group cannot
        have (a TPR without positives) is NaN and is skipped in the summary.

    Examples
    --------
    >>> report = group_report([0, 1, 1, 1], sensitive_features=["a", "a", "b", "b"])
    >>> report.loc["group", "base_rate"].tolist()
    [0.5, 1.0]
    """
    check_method(method)
    checked = check_fairness_inputs(
        y_true,
        y_pred,
        sensitive_features=sensitive_features,
        sample_weight=sample_weight,
        pos_label=pos_label,
        min_groups=1,
    )
    rates = {"base_rate": "base"}
    if y_pred is not None:
        rates.update(_MODEL_RATES)
    columns = {
        name: group_rates(checked, rate, strict=False) for name, rate in rates.items()
    }
    return _assemble(checked.groups, columns, method)


def _assemble(groups, columns, method):
    sizes = np.bincount(groups.codes, minlength=len(groups.labels))
    body = pd.DataFrame({name: by_group for name, (by_group, _) in columns.items()})
    body.insert(0, "size", pd.array(sizes, dtype="Int64"))
    summary = pd.DataFrame(
        {
            name: [overall, difference(g, overall, method), ratio(g, overall, method)]
            for name, (g, overall) in columns.items()
        }
    )
    summary.insert(0, "size", pd.array([sizes.sum(), None, None], dtype="Int64"))
    index = [("group", label) for label in groups.labels]
    index += [("summary", "overall"), ("summary", "difference"), ("summary", "ratio")]
    report = pd.concat([body, summary], ignore_index=True)
    report.index = pd.MultiIndex.from_tuples(index, names=["kind", "group"])
    return report

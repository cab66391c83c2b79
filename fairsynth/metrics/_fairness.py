"""Group fairness metrics: demographic parity, equalized odds, equal opportunity.

Every metric compares one weighted rate across the groups of ``sensitive_features``.
``method="between_groups"`` takes the largest gap between two groups (ratio: smallest
over largest); ``method="to_overall"`` takes the largest gap between a group and the
whole sample (ratio: the smallest of ``min(r_g / r, r / r_g)``). These are fairlearn's
definitions, and the values agree with ``fairlearn.metrics`` to rounding.
"""

import numpy as np
import pandas as pd

from ._validation import check_fairness_inputs, check_group_support, check_method


def group_rates(checked, rate, *, strict=True):
    """Return a weighted rate per group and over all rows.

    Parameters
    ----------
    checked : CheckedInputs
        Output of :func:`check_fairness_inputs`.
    rate : {"selection", "base", "tpr", "fpr", "accuracy"}
        ``P(h=1)``, ``P(y=1)``, ``P(h=1 | y=1)``, ``P(h=1 | y=0)`` or ``P(h=y)``.
    strict : bool, default=True
        Raise if a group has no rows to condition on; otherwise its rate is NaN.

    Returns
    -------
    by_group : ndarray of shape (n_groups,)
        The rate within each group.
    overall : float
        The rate over all rows.
    """
    y_true, y_pred = checked.y_true, checked.y_pred
    hit, base = {
        "selection": lambda: (y_pred, 1.0),
        "base": lambda: (y_true, 1.0),
        "tpr": lambda: (y_pred, y_true),
        "fpr": lambda: (y_pred, 1.0 - y_true),
        "accuracy": lambda: (y_pred == y_true, 1.0),
    }[rate]()
    weights = checked.sample_weight * base
    codes, n_groups = checked.groups.codes, len(checked.groups.labels)
    numerators = np.bincount(codes, weights=weights * hit, minlength=n_groups)
    denominators = np.bincount(codes, weights=weights, minlength=n_groups)
    if strict and rate in ("tpr", "fpr"):
        check_group_support(
            denominators, checked.groups, rate=rate, pos_label=checked.pos_label
        )
    with np.errstate(invalid="ignore", divide="ignore"):
        return numerators / denominators, np.sum(weights * hit) / np.sum(weights)


def difference(by_group, overall, method):
    """Return the largest gap between groups, or between a group and the whole."""
    if method == "between_groups":
        return float(np.nanmax(by_group) - np.nanmin(by_group))
    return float(np.nanmax(np.abs(by_group - overall)))


def ratio(by_group, overall, method):
    """Return the smallest ratio (at most 1) between groups, or a group and the whole.

    A ratio of zero rates is undefined and comes out as NaN, as in fairlearn.
    """
    with np.errstate(invalid="ignore", divide="ignore"):
        if method == "between_groups":
            return float(np.nanmin(by_group) / np.nanmax(by_group))
        ratios = by_group / overall
        ratios = np.where(ratios > 1, 1 / ratios, ratios)
    # pandas' min skips NaN without warning when every ratio is undefined
    return float(pd.Series(ratios).min())


def _disparity(rate, y_true, y_pred, sensitive_features, sample_weight, pos_label):
    checked = check_fairness_inputs(
        y_true,
        y_pred,
        sensitive_features=sensitive_features,
        sample_weight=sample_weight,
        pos_label=pos_label,
    )
    return group_rates(checked, rate)


def demographic_parity_difference(
    y_true,
    y_pred,
    *,
    sensitive_features,
    method="between_groups",
    sample_weight=None,
    pos_label=None,
):
    r"""Largest gap in selection rate between groups.

    .. math:: \max_a P(h=1 \mid A=a) - \min_a P(h=1 \mid A=a)

    With ``method="to_overall"``: :math:`\max_a |P(h=1 \mid A=a) - P(h=1)|`.
    0 means every group is selected at the same rate.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True labels (used only to infer the positive class).
    y_pred : array-like of shape (n_samples,)
        Predicted labels :math:`h(X)`.
    sensitive_features : array-like of shape (n_samples,) or (n_samples, n_columns)
        Group of each row; several columns mean their intersections.
    method : {"between_groups", "to_overall"}, default="between_groups"
        Compare groups with each other, or each group with all rows.
    sample_weight : array-like of shape (n_samples,), default=None
        Row weights.
    pos_label : scalar, default=None
        The positive class; by default 1 for {0, 1} or {-1, 1} labels, otherwise
        the larger of two classes.

    Returns
    -------
    float
        The demographic parity difference, in [0, 1].

    Examples
    --------
    >>> demographic_parity_difference(
    ...     [0, 1, 0, 1], [1, 1, 0, 1], sensitive_features=["a", "a", "b", "b"]
    ... )
    0.5
    """
    check_method(method)
    rates = _disparity(
        "selection", y_true, y_pred, sensitive_features, sample_weight, pos_label
    )
    return difference(*rates, method)


def demographic_parity_ratio(
    y_true,
    y_pred,
    *,
    sensitive_features,
    method="between_groups",
    sample_weight=None,
    pos_label=None,
):
    r"""Smallest ratio of selection rates between groups.

    .. math:: \min_a P(h=1 \mid A=a) \,/\, \max_a P(h=1 \mid A=a)

    With ``method="to_overall"``: :math:`\min_a \min(r_a / r, r / r_a)` where
    :math:`r_a = P(h=1 \mid A=a)` and :math:`r = P(h=1)`. 1 means parity.

    Parameters
    ----------
    y_true, y_pred, sensitive_features, method, sample_weight, pos_label
        As in :func:`demographic_parity_difference`.

    Returns
    -------
    float
        The demographic parity ratio, in [0, 1] (NaN when no row is selected).

    Examples
    --------
    Women are selected at a rate of 3/4, men at 1/4:

    >>> y_true = [0, 1, 1, 0, 1, 0, 1, 1]
    >>> y_pred = [0, 1, 1, 1, 0, 0, 0, 1]
    >>> sex = ["F", "F", "F", "F", "M", "M", "M", "M"]
    >>> round(demographic_parity_ratio(y_true, y_pred, sensitive_features=sex), 3)
    0.333
    """
    check_method(method)
    rates = _disparity(
        "selection", y_true, y_pred, sensitive_features, sample_weight, pos_label
    )
    return ratio(*rates, method)


def equal_opportunity_difference(
    y_true,
    y_pred,
    *,
    sensitive_features,
    method="between_groups",
    sample_weight=None,
    pos_label=None,
):
    r"""Largest gap in true positive rate between groups.

    .. math:: \max_a P(h=1 \mid Y=1, A=a) - \min_a P(h=1 \mid Y=1, A=a)

    Parameters
    ----------
    y_true, y_pred, sensitive_features, method, sample_weight, pos_label
        As in :func:`demographic_parity_difference`.

    Returns
    -------
    float
        The equal opportunity difference, in [0, 1].

    Raises
    ------
    ValueError
        If a group has no positive rows.

    Examples
    --------
    Every positive woman is selected, and one positive man in three:

    >>> y_true = [0, 1, 1, 0, 1, 0, 1, 1]
    >>> y_pred = [0, 1, 1, 1, 0, 0, 0, 1]
    >>> sex = ["F", "F", "F", "F", "M", "M", "M", "M"]
    >>> round(equal_opportunity_difference(y_true, y_pred, sensitive_features=sex), 3)
    0.667
    """
    check_method(method)
    rates = _disparity(
        "tpr", y_true, y_pred, sensitive_features, sample_weight, pos_label
    )
    return difference(*rates, method)


def equal_opportunity_ratio(
    y_true,
    y_pred,
    *,
    sensitive_features,
    method="between_groups",
    sample_weight=None,
    pos_label=None,
):
    r"""Smallest ratio of true positive rates between groups.

    .. math:: \min_a P(h=1 \mid Y=1, A=a) \,/\, \max_a P(h=1 \mid Y=1, A=a)

    Parameters
    ----------
    y_true, y_pred, sensitive_features, method, sample_weight, pos_label
        As in :func:`demographic_parity_difference`.

    Returns
    -------
    float
        The equal opportunity ratio, in [0, 1].

    Raises
    ------
    ValueError
        If a group has no positive rows.

    Examples
    --------
    >>> y_true = [0, 1, 1, 0, 1, 0, 1, 1]
    >>> y_pred = [0, 1, 1, 1, 0, 0, 0, 1]
    >>> sex = ["F", "F", "F", "F", "M", "M", "M", "M"]
    >>> round(equal_opportunity_ratio(y_true, y_pred, sensitive_features=sex), 3)
    0.333
    """
    check_method(method)
    rates = _disparity(
        "tpr", y_true, y_pred, sensitive_features, sample_weight, pos_label
    )
    return ratio(*rates, method)


def equalized_odds_difference(
    y_true,
    y_pred,
    *,
    sensitive_features,
    method="between_groups",
    sample_weight=None,
    pos_label=None,
):
    r"""Return the larger of the true and false positive rate differences.

    .. math:: \max(\Delta_{TPR}, \Delta_{FPR}),\quad
        \Delta_{R} = \max_a R_a - \min_a R_a

    with :math:`TPR_a = P(h=1 \mid Y=1, A=a)`, :math:`FPR_a = P(h=1 \mid Y=0, A=a)`
    (fairlearn's ``agg="worst_case"``).

    Parameters
    ----------
    y_true, y_pred, sensitive_features, method, sample_weight, pos_label
        As in :func:`demographic_parity_difference`.

    Returns
    -------
    float
        The equalized odds difference, in [0, 1].

    Raises
    ------
    ValueError
        If a group has no positive or no negative rows.

    Examples
    --------
    The true positive rates differ by 2/3, the false positive rates by 1/2:

    >>> y_true = [0, 1, 1, 0, 1, 0, 1, 1]
    >>> y_pred = [0, 1, 1, 1, 0, 0, 0, 1]
    >>> sex = ["F", "F", "F", "F", "M", "M", "M", "M"]
    >>> round(equalized_odds_difference(y_true, y_pred, sensitive_features=sex), 3)
    0.667
    """
    check_method(method)
    args = (y_true, y_pred, sensitive_features, sample_weight, pos_label)
    return max(difference(*_disparity(r, *args), method) for r in ("tpr", "fpr"))


def equalized_odds_ratio(
    y_true,
    y_pred,
    *,
    sensitive_features,
    method="between_groups",
    sample_weight=None,
    pos_label=None,
):
    r"""Return the smaller of the true and false positive rate ratios.

    .. math:: \min(\rho_{TPR}, \rho_{FPR}),\quad \rho_{R} = \min_a R_a / \max_a R_a

    Parameters
    ----------
    y_true, y_pred, sensitive_features, method, sample_weight, pos_label
        As in :func:`demographic_parity_difference`.

    Returns
    -------
    float
        The equalized odds ratio, in [0, 1].

    Raises
    ------
    ValueError
        If a group has no positive or no negative rows.

    Examples
    --------
    No negative man is selected, so the false positive rates' ratio is 0:

    >>> y_true = [0, 1, 1, 0, 1, 0, 1, 1]
    >>> y_pred = [0, 1, 1, 1, 0, 0, 0, 1]
    >>> sex = ["F", "F", "F", "F", "M", "M", "M", "M"]
    >>> equalized_odds_ratio(y_true, y_pred, sensitive_features=sex)
    0.0
    """
    check_method(method)
    args = (y_true, y_pred, sensitive_features, sample_weight, pos_label)
    return min(ratio(*_disparity(r, *args), method) for r in ("tpr", "fpr"))


def p_percent_rule(
    y_true, y_pred, *, sensitive_features, sample_weight=None, pos_label=None
):
    r"""Compute the p%-rule: 100 times the demographic parity ratio.

    .. math:: 100 \cdot \min_{a, b} P(h=1 \mid A=a) \,/\, P(h=1 \mid A=b)

    The "80% rule" of disparate impact asks for at least 80.

    Parameters
    ----------
    y_true, y_pred, sensitive_features, sample_weight, pos_label
        As in :func:`demographic_parity_difference`.

    Returns
    -------
    float
        A value in [0, 100]; 100 means parity.

    Examples
    --------
    >>> y_true = [0, 1, 1, 0, 1, 0, 1, 1]
    >>> y_pred = [0, 1, 1, 1, 0, 0, 0, 1]
    >>> sex = ["F", "F", "F", "F", "M", "M", "M", "M"]
    >>> round(p_percent_rule(y_true, y_pred, sensitive_features=sex), 1)
    33.3
    """
    return 100.0 * demographic_parity_ratio(
        y_true,
        y_pred,
        sensitive_features=sensitive_features,
        sample_weight=sample_weight,
        pos_label=pos_label,
    )


def label_risk_difference(
    y,
    *,
    sensitive_features,
    method="between_groups",
    sample_weight=None,
    pos_label=None,
):
    r"""How much the label rate in the data depends on the group.

    .. math:: \max_a P(Y=1 \mid A=a) - \min_a P(Y=1 \mid A=a)

    This is a property of a data set, not of a model: the demographic parity
    difference of the labels themselves.

    Parameters
    ----------
    y : array-like of shape (n_samples,)
        Labels.
    sensitive_features, method, sample_weight, pos_label
        As in :func:`demographic_parity_difference`.

    Returns
    -------
    float
        The label (base-rate) difference, in [0, 1].

    Examples
    --------
    >>> label_risk_difference([1, 1, 0, 1], sensitive_features=["a", "a", "b", "b"])
    0.5
    """
    check_method(method)
    rates = _disparity("base", y, None, sensitive_features, sample_weight, pos_label)
    return difference(*rates, method)


def label_risk_ratio(
    y,
    *,
    sensitive_features,
    method="between_groups",
    sample_weight=None,
    pos_label=None,
):
    r"""Smallest ratio of label rates between groups.

    .. math:: \min_a P(Y=1 \mid A=a) \,/\, \max_a P(Y=1 \mid A=a)

    Parameters
    ----------
    y, sensitive_features, method, sample_weight, pos_label
        As in :func:`label_risk_difference`.

    Returns
    -------
    float
        The label (base-rate) ratio, in [0, 1].

    Examples
    --------
    >>> label_risk_ratio([1, 0, 1, 1], sensitive_features=["a", "a", "b", "b"])
    0.5
    """
    check_method(method)
    rates = _disparity("base", y, None, sensitive_features, sample_weight, pos_label)
    return ratio(*rates, method)


#: Fairness metrics by name, with how to turn each into an unfairness in [0, 1].
FAIRNESS_METRICS = {
    "demographic_parity_difference": (demographic_parity_difference, "difference"),
    "demographic_parity_ratio": (demographic_parity_ratio, "ratio"),
    "equalized_odds_difference": (equalized_odds_difference, "difference"),
    "equalized_odds_ratio": (equalized_odds_ratio, "ratio"),
    "equal_opportunity_difference": (equal_opportunity_difference, "difference"),
    "equal_opportunity_ratio": (equal_opportunity_ratio, "ratio"),
    "p_percent_rule": (p_percent_rule, "percent"),
}

"""Counterfactual twins, bias amplification and score divergence.

A twin is a row moved to another group, all else alike (see
:meth:`fairsynth.sampler.FairGANSampler.counterfactuals`). A twin frame's index
names each twin's source row, so ``X.loc[X_twin.index]`` lines up the sources.
"""

from functools import partial
from itertools import combinations
from numbers import Integral

import numpy as np
import pandas as pd

from ._validation import check_fairness_inputs, encode_groups, sensitive_keys

NOT_A_FRAME = (
    "{name} must be a pandas DataFrame; got {kind}. The twins' index names their "
    "source rows in X.index."
)
EMPTY_TWINS = "X_twin has no rows; there is no twin to compare with its source row."
DUPLICATE_INDEX = (
    "X's index has duplicate labels ({labels}), so a twin's index label cannot name "
    "one source row. Give X a unique index, e.g. X.reset_index(drop=True), before "
    "making the twins."
)
COLUMN_MISMATCH = (
    "X_twin's columns differ from X's: missing {missing}, extra {extra}. Twins need "
    "exactly the columns of their source rows."
)
UNKNOWN_SOURCES = (
    "X_twin's index has labels that are not in X.index ({labels}); each twin's index "
    "label must name its source row in X. Pass the X the twins were made from."
)
NO_PROBA = (
    "{name} has no predict_proba, so scores cannot change; use "
    "counterfactual_flip_rate, or a classifier with probabilities (e.g. "
    "LogisticRegression or CalibratedClassifierCV)."
)
NO_SENSITIVE_COLUMN = (
    "sensitive={column!r} is not a column of X and X_twin; pass the name, or a list "
    "of names, of their sensitive column(s)."
)
BAD_DIRECTION = (
    "direction must be 'attribute_to_task'; got {direction!r}. 'task_to_attribute' "
    "needs predicted attributes, which this function does not take."
)
BAD_SCORES = (
    "y_score must be a 1-D array of finite scores in [0, 1], such as "
    "estimator.predict_proba(X)[:, 1]; rescale a decision_function first, e.g. with "
    "scipy.special.expit."
)
SCORE_LENGTH_MISMATCH = (
    "y_score has {n_scores} rows but sensitive_features has {n_groups}; they must "
    "describe the same rows."
)
BAD_BINS = "bins must be a positive integer; got {bins!r}."

#: Added to every bin's share before renormalising, so that empty bins keep KL finite.
SCORE_EPSILON = 1e-6
#: How far outside [0, 1] a score may fall by rounding; it is clipped back.
SCORE_ROUNDING = 1e-9


def check_twin_inputs(X, X_twin):
    """Validate a frame of source rows and its twins; return both, aligned.

    Parameters
    ----------
    X : pandas.DataFrame
        Source rows, with a unique index.
    X_twin : pandas.DataFrame
        Twins with X's columns; each index label names a row of ``X``.

    Returns
    -------
    source, twin : pandas.DataFrame
        ``X.loc[X_twin.index]`` and ``X_twin`` with its columns in X's order.
    """
    for name, frame in (("X", X), ("X_twin", X_twin)):
        if not isinstance(frame, pd.DataFrame):
            raise TypeError(NOT_A_FRAME.format(name=name, kind=type(frame).__name__))
    if X_twin.empty:
        raise ValueError(EMPTY_TWINS)
    if not X.index.is_unique:
        duplicated = X.index[X.index.duplicated()].unique()
        raise ValueError(DUPLICATE_INDEX.format(labels=duplicated[:5].tolist()))
    missing = [column for column in X.columns if column not in X_twin.columns]
    extra = [column for column in X_twin.columns if column not in X.columns]
    if missing or extra:
        raise ValueError(COLUMN_MISMATCH.format(missing=missing, extra=extra))
    unknown = X_twin.index.difference(X.index)
    if len(unknown):
        raise ValueError(UNKNOWN_SOURCES.format(labels=unknown[:5].tolist()))
    return X.loc[X_twin.index], X_twin[X.columns]


def _flips(estimator, source, twin):
    return np.asarray(estimator.predict(source)) != np.asarray(estimator.predict(twin))


def _score_changes(estimator, source, twin):
    """Half the L1 distance between each row's and its twin's class probabilities."""
    if not hasattr(estimator, "predict_proba"):
        raise ValueError(NO_PROBA.format(name=type(estimator).__name__))
    gap = estimator.predict_proba(source) - estimator.predict_proba(twin)
    return 0.5 * np.abs(gap).sum(axis=1)


def counterfactual_flip_rate(estimator, X, X_twin):
    r"""Share of decisions that change between a row and its counterfactual twin.

    .. math:: \frac{1}{n} \sum_{i=1}^{n} \mathbb{1}[h(x_{s(i)}) \ne h(x'_i)]

    over the :math:`n` twins :math:`x'_i`, with :math:`s(i)` the source row of twin
    :math:`i`. 0 means no decision depends on the group; 1 means every one does.

    Parameters
    ----------
    estimator : fitted classifier
        Anything with ``predict``.
    X : pandas.DataFrame
        Source rows, with a unique index.
    X_twin : pandas.DataFrame
        Twins, with the columns of ``X``. Each index label names the twin's source
        row in ``X.index``; a row with several twins repeats its label.

    Raises
    ------
    ValueError
        If ``X_twin`` is empty, ``X``'s index is not unique, the columns differ, or
        a twin's index label is not in ``X.index``.

    Returns
    -------
    float
        The flip rate, in [0, 1].

    Examples
    --------
    >>> import pandas as pd
    >>> from sklearn.tree import DecisionTreeClassifier
    >>> X = pd.DataFrame({"sex": [0, 0, 1, 1], "hours": [20, 40, 20, 40]})
    >>> model = DecisionTreeClassifier().fit(X, [0, 1, 1, 1])
    >>> X_twin = X.loc[[0, 1]].assign(sex=1)
    >>> counterfactual_flip_rate(model, X, X_twin)
    0.5
    """
    source, twin = check_twin_inputs(X, X_twin)
    return float(np.mean(_flips(estimator, source, twin)))


def counterfactual_score_change(estimator, X, X_twin):
    r"""Mean change in predicted probability between a row and its twin.

    .. math:: \frac{1}{n} \sum_{i=1}^{n} \tfrac12 \lVert p(x_{s(i)}) - p(x'_i)
        \rVert_1

    where :math:`p(x)` is the vector ``predict_proba`` gives :math:`x`: the total
    variation distance between the two class distributions. For a binary classifier
    this is :math:`|p_1(x_{s(i)}) - p_1(x'_i)|`, the change in the positive score.
    0 means the group never moves the scores.

    Parameters
    ----------
    estimator : fitted classifier
        Anything with ``predict_proba``.
    X, X_twin : pandas.DataFrame
        As in :func:`counterfactual_flip_rate`.

    Returns
    -------
    float
        The mean score change, in [0, 1].

    Raises
    ------
    ValueError
        If ``estimator`` has no ``predict_proba``.

    Examples
    --------
    >>> import pandas as pd
    >>> from sklearn.tree import DecisionTreeClassifier
    >>> X = pd.DataFrame({"sex": [0, 0, 1, 1], "hours": [20, 40, 20, 40]})
    >>> model = DecisionTreeClassifier().fit(X, [0, 1, 1, 1])
    >>> counterfactual_score_change(model, X, X.loc[[0, 1]].assign(sex=1))
    0.5
    """
    source, twin = check_twin_inputs(X, X_twin)
    return float(np.mean(_score_changes(estimator, source, twin)))


def counterfactual_report(estimator, X, X_twin, *, sensitive):
    """Tabulate flip rates and score changes per pair of source and twin groups.

    Parameters
    ----------
    estimator : fitted classifier
        Anything with ``predict``; ``predict_proba`` gives the score changes.
    X, X_twin : pandas.DataFrame
        As in :func:`counterfactual_flip_rate`.
    sensitive : str or list of str
        The sensitive column(s) of ``X`` and ``X_twin``. Several columns give
        intersectional groups, labelled by their values joined with ``", "``.

    Returns
    -------
    pandas.DataFrame
        Columns ``n_twins``, ``flip_rate`` (see :func:`counterfactual_flip_rate`)
        and ``score_change`` (see :func:`counterfactual_score_change`; NaN without
        ``predict_proba``). The index levels ``source_group`` and ``twin_group``
        hold one row per pair that occurs, in sorted order, then ``("all", "all")``
        for every twin.

    Examples
    --------
    >>> import pandas as pd
    >>> from sklearn.tree import DecisionTreeClassifier
    >>> X = pd.DataFrame({"sex": [0, 0, 1, 1], "hours": [20, 40, 20, 40]})
    >>> model = DecisionTreeClassifier().fit(X, [0, 1, 1, 1])
    >>> X_twin = pd.concat([X.loc[[0, 1]].assign(sex=1), X.loc[[2, 3]].assign(sex=0)])
    >>> counterfactual_report(model, X, X_twin, sensitive="sex")["flip_rate"]
    source_group  twin_group
    0             1             0.5
    1             0             0.5
    all           all           0.5
    Name: flip_rate, dtype: float64
    """
    source, twin = check_twin_inputs(X, X_twin)
    keys = sensitive_keys(sensitive)
    for key in keys:
        if key not in X.columns:
            raise ValueError(NO_SENSITIVE_COLUMN.format(column=key))
    groups = encode_groups(pd.concat([source[keys], twin[keys]]), min_groups=1)
    changes = np.nan
    if hasattr(estimator, "predict_proba"):
        changes = _score_changes(estimator, source, twin)
    rows = pd.DataFrame(
        {
            "source_group": groups.codes[: len(twin)],
            "twin_group": groups.codes[len(twin) :],
            "n_twins": 1,
            "flip_rate": _flips(estimator, source, twin).astype(float),
            "score_change": changes,
        }
    )
    return _assemble(rows, groups.labels)


def _assemble(rows, labels):
    """Average the twins' rows per pair of group codes, then over all twins."""
    names = ["source_group", "twin_group"]
    aggregations = {"n_twins": "sum", "flip_rate": "mean", "score_change": "mean"}
    pairs = rows.groupby(names).agg(aggregations)
    pairs.index = pd.MultiIndex.from_arrays(
        [labels[pairs.index.get_level_values(name)] for name in names], names=names
    )
    total = rows[list(aggregations)].agg(aggregations).to_frame().T
    total.index = pd.MultiIndex.from_tuples([("all", "all")], names=names)
    return pd.concat([pairs, total.astype(pairs.dtypes)])


def directional_bias_amplification(
    y_true,
    y_pred,
    *,
    sensitive_features,
    direction="attribute_to_task",
    sample_weight=None,
    pos_label=None,
):
    r"""Directional bias amplification BiasAmp→ from attributes to tasks.

    .. math:: \frac{1}{|A||T|} \sum_{a \in A, t \in T}
        y_{at} \Delta_{at} + (1 - y_{at})(-\Delta_{at})

    with :math:`y_{at} = \mathbb{1}[P(A=a, T=t) > P(A=a) P(T=t)]` on ``y_true`` and
    :math:`\Delta_{at} = P(\hat T=t \mid A=a) - P(T=t \mid A=a)` (Wang and
    Russakovsky, "Directional Bias Amplification", ICML 2021). The attributes
    :math:`A` are the groups; the tasks :math:`T` are the positive class for binary
    labels (or with ``pos_label``), otherwise every class. Positive means the
    model amplifies the correlation between group and label in the data, negative
    that it reduces it, 0 neither.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True labels.
    y_pred : array-like of shape (n_samples,)
        Predicted labels :math:`h(X)`.
    sensitive_features : array-like of shape (n_samples,) or (n_samples, n_columns)
        Group of each row; several columns mean their intersections.
    direction : {"attribute_to_task"}, default="attribute_to_task"
        Only attribute → task is supported: task → attribute would need predicted
        groups.
    sample_weight : array-like of shape (n_samples,), default=None
        Row weights.
    pos_label : scalar, default=None
        The one task :math:`t`; by default the positive class of binary labels, as
        in :func:`demographic_parity_difference`, and every class of more than two.

    Returns
    -------
    float
        BiasAmp→, in [-1, 1].

    Examples
    --------
    The model gives group ``a``, already favoured in the data, every positive:

    >>> y_true = [1, 1, 0, 1, 0, 0]
    >>> y_pred = [1, 1, 1, 0, 0, 0]
    >>> groups = ["a", "a", "a", "b", "b", "b"]
    >>> directional_bias_amplification(y_true, y_pred, sensitive_features=groups)
    0.333...
    """
    if direction != "attribute_to_task":
        raise ValueError(BAD_DIRECTION.format(direction=direction))
    labels = np.concatenate([np.ravel(y_true), np.ravel(y_pred)]).astype(object)
    classes = pd.unique(labels)
    tasks = classes if pos_label is None and len(classes) > 2 else [pos_label]
    check = partial(
        check_fairness_inputs,
        y_true,
        y_pred,
        sensitive_features=sensitive_features,
        sample_weight=sample_weight,
    )
    terms = [_amplification_terms(check(pos_label=task)) for task in tasks]
    return float(np.mean(terms))


def _amplification_terms(checked):
    """Return each group's signed term of BiasAmp→ for one task."""
    codes, n_groups = checked.groups.codes, len(checked.groups.labels)
    weights = checked.sample_weight
    n_group = np.bincount(codes, weights=weights, minlength=n_groups)
    n_true = np.bincount(codes, weights=weights * checked.y_true, minlength=n_groups)
    n_pred = np.bincount(codes, weights=weights * checked.y_pred, minlength=n_groups)
    # Weighted counts rather than rates, so that independence compares exactly.
    correlated = n_true * weights.sum() > n_group * n_true.sum()
    delta = (n_pred - n_true) / n_group
    return np.where(correlated, delta, -delta)


def score_divergence(y_score, *, sensitive_features, bins=10):
    r"""Symmetric KL divergence between the groups' score distributions.

    Each group's scores fall in ``bins`` equal-width bins over [0, 1], giving
    shares :math:`c_{gk} / n_g`; a small :math:`\epsilon` = ``SCORE_EPSILON``
    (1e-6) is added to every share before renormalising, so that empty bins keep
    the divergence finite:

    .. math:: P_g(k) = \frac{c_{gk} / n_g + \epsilon}{1 + K \epsilon}, \qquad
        D(P, Q) = \sum_k (P(k) - Q(k)) \log \frac{P(k)}{Q(k)}

    :math:`D(P, Q) = KL(P \| Q) + KL(Q \| P)`, as in Ramaswamy, Kim and Russakovsky
    (CVPR 2021). With more than two groups, the largest :math:`D` over pairs.

    Parameters
    ----------
    y_score : array-like of shape (n_samples,)
        Scores in [0, 1], e.g. ``estimator.predict_proba(X)[:, 1]``.
    sensitive_features : array-like of shape (n_samples,) or (n_samples, n_columns)
        Group of each row; several columns mean their intersections.
    bins : int, default=10
        Number of equal-width bins over [0, 1].

    Returns
    -------
    float
        The divergence, at least 0 (0 means the same histograms); at most about
        :math:`2 \log(1/\epsilon) \approx 27.6`.

    Examples
    --------
    Group ``a`` has half its scores in each of two bins, group ``b`` a quarter and
    three quarters, so :math:`D = \tfrac14 \log 2 - \tfrac14 \log \tfrac23 =
    \tfrac14 \log 3`:

    >>> scores = [0.1, 0.2, 0.7, 0.8, 0.1, 0.6, 0.7, 0.9]
    >>> groups = ["a"] * 4 + ["b"] * 4
    >>> round(score_divergence(scores, sensitive_features=groups, bins=2), 4)
    0.2747
    """
    scores = _check_scores(y_score, sensitive_features, bins)
    groups = encode_groups(sensitive_features)
    histograms = [
        np.histogram(scores[groups.codes == g], bins=bins, range=(0.0, 1.0))[0]
        for g in range(len(groups.labels))
    ]
    shares = [
        (h / h.sum() + SCORE_EPSILON) / (1 + bins * SCORE_EPSILON) for h in histograms
    ]
    return float(
        max(np.sum((p - q) * np.log(p / q)) for p, q in combinations(shares, 2))
    )


def _check_scores(y_score, sensitive_features, bins):
    if not isinstance(bins, Integral) or bins < 1:
        raise ValueError(BAD_BINS.format(bins=bins))
    scores = np.asarray(y_score, dtype=float)
    # Probabilities summed from a mixture of models can miss [0, 1] by rounding.
    slack = SCORE_ROUNDING
    if scores.ndim != 1 or not np.all((scores >= -slack) & (scores <= 1 + slack)):
        raise ValueError(BAD_SCORES)
    scores = np.clip(scores, 0.0, 1.0)
    if len(scores) != len(sensitive_features):
        raise ValueError(
            SCORE_LENGTH_MISMATCH.format(
                n_scores=len(scores), n_groups=len(sensitive_features)
            )
        )
    return scores

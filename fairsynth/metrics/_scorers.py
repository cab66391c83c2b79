"""scikit-learn scorers for fairness metrics, and a fairness-aware refit rule.

The scorers read the sensitive values from the X they are scored on, so that
``GridSearchCV`` and ``cross_validate`` need no metadata routing; the model itself
should drop those columns (e.g. with a ``ColumnTransformer``). When metadata routing
is enabled and ``sensitive_features`` is requested and routed, the routed values win.
"""

import warnings

import numpy as np
from sklearn.metrics import get_scorer, make_scorer
from sklearn.metrics._scorer import _BaseScorer

from ._fairness import FAIRNESS_METRICS
from ._validation import sensitive_keys

UNKNOWN_METRIC = "Unknown fairness metric {metric!r}; use one of {names}."
MISSING_SENSITIVE_COLUMN = (
    "X has no column {column!r}; the fairness scorer reads the sensitive values from "
    "the X it scores. Keep the column in X (drop it for the model inside the pipeline, "
    "e.g. with a ColumnTransformer), or enable metadata routing and route "
    "sensitive_features."
)
MISSING_CV_KEY = (
    "cv_results_ has no {key!r}; the scoring dict passed to the search needs the keys "
    "{utility!r} and {fairness!r}."
)
NONE_WITHIN_BOUND = (
    "No candidate keeps the unfairness ({fairness!r}) within {bound}; refitting the "
    "least unfair one (unfairness {best:.4g})."
)


def resolve_metric(metric):
    """Return ``(name, function, kind)`` for a metric name or function.

    ``kind`` is ``"difference"``, ``"ratio"`` or ``"percent"``; see
    :func:`score_to_unfairness`.
    """
    for name, (function, kind) in FAIRNESS_METRICS.items():
        if metric == name or metric is function:
            return name, function, kind
    raise ValueError(UNKNOWN_METRIC.format(metric=metric, names=list(FAIRNESS_METRICS)))


def score_to_unfairness(score, kind):
    """Turn a greater-is-better fairness score into an unfairness (0 is fair).

    Differences are scored negated, so the unfairness is ``-score``; ratios give
    ``1 - score``; the p%-rule gives ``1 - score / 100``.
    """
    if kind == "difference":
        return -score
    return 1 - score / (100.0 if kind == "percent" else 1.0)


def _sign(kind):
    return -1 if kind == "difference" else 1


def _sensitive_values(X, sensitive):
    """Return the sensitive column(s) of ``X``, always as a 2-D selection."""
    if sensitive is None:
        # No column is named and no values were routed, so there are no groups.
        raise ValueError(MISSING_SENSITIVE_COLUMN.format(column=None))
    keys = sensitive_keys(sensitive)
    if hasattr(X, "columns"):
        for key in keys:
            if key not in X.columns:
                raise ValueError(MISSING_SENSITIVE_COLUMN.format(column=key))
        return X[keys]
    # NumPy input: the keys are column indices.
    return np.asarray(X)[:, keys]


class _FairnessScorer(_BaseScorer):
    """Score ``sign * metric(y, estimator.predict(X), sensitive_features=...)``."""

    def __init__(self, score_func, sign, kwargs, sensitive):
        super().__init__(score_func, sign, kwargs, response_method="predict")
        self._sensitive = sensitive

    def _score(self, method_caller, estimator, X, y_true, **kwargs):
        sensitive = kwargs.pop("sensitive_features", None)
        if sensitive is None:
            sensitive = _sensitive_values(X, self._sensitive)
        y_pred = method_caller(estimator, "predict", X)
        kwargs = {**self._kwargs, **kwargs}
        metric = self._score_func(
            y_true, y_pred, sensitive_features=sensitive, **kwargs
        )
        return self._sign * metric

    def __repr__(self):
        name = resolve_metric(self._score_func)[0]
        extra = "".join(f", {k}={v!r}" for k, v in self._kwargs.items())
        return f"make_fairness_scorer({name!r}, sensitive={self._sensitive!r}{extra})"


class _TradeoffScorer(_FairnessScorer):
    """Score ``utility - weight * unfairness``."""

    def __init__(self, score_func, kwargs, sensitive, utility, weight):
        super().__init__(
            score_func, _sign(resolve_metric(score_func)[2]), kwargs, sensitive
        )
        self._utility = utility
        self._weight = weight

    def _score(self, method_caller, estimator, X, y_true, **kwargs):
        fairness = super()._score(method_caller, estimator, X, y_true, **kwargs)
        unfairness = score_to_unfairness(fairness, resolve_metric(self._score_func)[2])
        weights = {k: v for k, v in kwargs.items() if k == "sample_weight"}
        utility = self._utility._score(method_caller, estimator, X, y_true, **weights)
        return utility - self._weight * unfairness

    def __repr__(self):
        name = resolve_metric(self._score_func)[0]
        return (
            f"make_tradeoff_scorer(utility={self._utility!r}, fairness={name!r}, "
            f"sensitive={self._sensitive!r}, weight={self._weight!r})"
        )


def make_fairness_scorer(metric, *, sensitive, **kwargs):
    """Make a scikit-learn scorer from a fairness metric.

    Parameters
    ----------
    metric : str or callable
        A name such as ``"demographic_parity_difference"``, or one of the metric
        functions of :mod:`fairsynth.metrics` (not ``label_risk_*``, which need no
        model).
    sensitive : str, int, list or tuple
        The sensitive column(s) of the X being scored: names for a DataFrame,
        integer indices for a NumPy array. A list or tuple of several columns
        means intersectional groups.
    **kwargs
        Passed to the metric, e.g. ``method="to_overall"`` or ``pos_label``.

    Returns
    -------
    scorer : callable
        ``scorer(estimator, X, y)``, greater is better: differences are negated
        (like ``neg_mean_squared_error``); ratios and the p%-rule are not.
        With metadata routing enabled, ``scorer.set_score_request(
        sensitive_features=True)`` lets routed values replace the column.

    Examples
    --------
    >>> scorer = make_fairness_scorer("demographic_parity_difference", sensitive="sex")
    >>> scorer
    make_fairness_scorer('demographic_parity_difference', sensitive='sex')
    """
    _, function, kind = resolve_metric(metric)
    return _FairnessScorer(function, _sign(kind), kwargs, sensitive)


def make_tradeoff_scorer(
    utility="accuracy",
    fairness="demographic_parity_difference",
    *,
    sensitive,
    weight=1.0,
    **kwargs,
):
    """Make a scorer of ``utility - weight * unfairness``.

    Parameters
    ----------
    utility : str or callable, default="accuracy"
        A scikit-learn scorer name or scorer object, or a metric
        ``f(y_true, y_pred)`` (wrapped with :func:`sklearn.metrics.make_scorer`).
    fairness : str or callable, default="demographic_parity_difference"
        A fairness metric, as in :func:`make_fairness_scorer`.
    sensitive : str, int, list or tuple
        The sensitive column(s) of X, as in :func:`make_fairness_scorer`.
    weight : float, default=1.0
        The price of one unit of unfairness in units of utility.
    **kwargs
        Passed to the fairness metric.

    Returns
    -------
    scorer : callable
        ``scorer(estimator, X, y)``, greater is better. The unfairness is the
        difference for ``*_difference`` metrics, ``1 - ratio`` for ratios and
        ``1 - p / 100`` for the p%-rule, so 0 is always fair.

    Examples
    --------
    >>> scorer = make_tradeoff_scorer(sensitive="sex", weight=2.0)
    >>> scorer
    make_tradeoff_scorer(utility=make_scorer(accuracy_score...),
                         fairness='demographic_parity_difference', sensitive='sex',
                         weight=2.0)

    Inside a search: ``GridSearchCV(pipeline, grid, scoring=scorer)``.
    """
    if isinstance(utility, str):
        utility = get_scorer(utility)
    elif not isinstance(utility, _BaseScorer):
        utility = make_scorer(utility)
    function = resolve_metric(fairness)[1]
    return _TradeoffScorer(function, kwargs, sensitive, utility, weight)


class _FairnessRefit:
    """Pick the best-utility candidate whose unfairness is within a bound."""

    def __init__(self, utility, fairness, bound, kind):
        self.utility, self.fairness, self.bound, self.kind = (
            utility,
            fairness,
            bound,
            kind,
        )

    def __call__(self, cv_results):
        utility = self._column(cv_results, self.utility)
        unfairness = score_to_unfairness(
            self._column(cv_results, self.fairness), self.kind
        )
        within = unfairness <= self.bound  # NaN (a failed fit) is never within
        if not within.any():
            best = int(np.nanargmin(unfairness))
            message = NONE_WITHIN_BOUND.format(
                fairness=self.fairness, bound=self.bound, best=unfairness[best]
            )
            warnings.warn(message, UserWarning, stacklevel=2)
            return best
        return int(np.nanargmax(np.where(within, utility, -np.inf)))

    def _column(self, cv_results, name):
        key = f"mean_test_{name}"
        if key not in cv_results:
            raise ValueError(
                MISSING_CV_KEY.format(
                    key=key, utility=self.utility, fairness=self.fairness
                )
            )
        return np.asarray(cv_results[key], dtype=float)

    def __repr__(self):
        return (
            f"fairness_refit(utility={self.utility!r}, fairness={self.fairness!r}, "
            f"bound={self.bound!r})"
        )


def fairness_refit(
    *,
    utility="accuracy",
    fairness="demographic_parity_difference",
    bound=0.05,
    metric=None,
):
    """Make a ``refit`` rule for a multi-metric search: best utility within a bound.

    Pass it as ``GridSearchCV(..., scoring={...}, refit=fairness_refit(...))``.
    It reads ``cv_results_["mean_test_<utility>"]`` and
    ``cv_results_["mean_test_<fairness>"]``, so ``utility`` and ``fairness`` are
    keys of the ``scoring`` dict.

    Parameters
    ----------
    utility : str, default="accuracy"
        Scoring key of the utility (greater is better).
    fairness : str, default="demographic_parity_difference"
        Scoring key of a scorer from :func:`make_fairness_scorer`.
    bound : float, default=0.05
        Largest unfairness allowed: the difference itself for ``*_difference``
        metrics, ``1 - ratio`` for ratios (``bound=0.2`` asks for a ratio of at least
        0.8) and ``1 - p / 100`` for the p%-rule.
    metric : str, default=None
        The metric behind the ``fairness`` key; by default the key itself.

    Returns
    -------
    refit : callable
        ``refit(cv_results) -> best_index``. When no candidate is within the bound,
        it warns and returns the least unfair candidate.

    Examples
    --------
    Of three candidates, the second is the most accurate one whose demographic-parity
    difference (scored negated, under the scoring key ``"dp"``) is at most 0.1:

    >>> refit = fairness_refit(
    ...     fairness="dp", metric="demographic_parity_difference", bound=0.1
    ... )
    >>> cv_results = {"mean_test_accuracy": [0.9, 0.85, 0.8],
    ...               "mean_test_dp": [-0.3, -0.08, -0.02]}
    >>> refit(cv_results)
    1

    Pass it as ``GridSearchCV(..., scoring={"accuracy": "accuracy", "dp":
    make_fairness_scorer("demographic_parity_difference", sensitive="sex")},
    refit=refit)``.
    """
    kind = resolve_metric(fairness if metric is None else metric)[2]
    return _FairnessRefit(utility, fairness, bound, kind)

"""Rarity as row weights: DB-VAE's reweighting for any estimator."""

from numbers import Real

import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin, MetaEstimatorMixin, clone
from sklearn.utils._param_validation import HasMethods, Interval
from sklearn.utils.metaestimators import available_if
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted

from ._rarity import LatentRarity, capped_weights

BAD_POWER = "power must be a number >= 0; got {power!r}."
BAD_CAP = (
    "cap must be None or a number >= 1 (a multiple of the mean weight); got {cap!r}."
)
NOT_RARITY = "rarity must be a LatentRarity (fitted or not) or None; got {kind}."


def _fitted_rarity(rarity, X, y):
    """Return ``rarity`` if fitted, else a clone of it fitted on X."""
    if rarity is None:
        rarity = LatentRarity()
    if not isinstance(rarity, LatentRarity):
        raise TypeError(NOT_RARITY.format(kind=type(rarity).__name__))
    if hasattr(rarity, "histograms_"):
        return rarity
    return clone(rarity).fit(X, y)


def rarity_weights(X, y=None, *, rarity=None, power=1.0, cap=10.0):
    """Row weights that grow with rarity, for an estimator's ``sample_weight``.

    The weight of a row is DB-VAE's ``prod_i 1 / (Q_i(z_i) + alpha)`` (the
    exponential of :meth:`LatentRarity.score_samples`) raised to ``power``,
    scaled to mean 1 and capped at ``cap`` times the mean. See :ref:`discovery`.

    Parameters
    ----------
    X : DataFrame or array-like of shape (n_samples, n_features)
        The training rows.
    y : array-like of shape (n_samples,), default=None
        Their labels, for a ``rarity`` with ``within_class=True`` (rows are then
        weighed within their class).
    rarity : LatentRarity or None, default=None
        A fitted model scores X as it is; one not fitted (None: the defaults)
        is cloned and fitted on X first.
    power : float >= 0, default=1.0
        Tempers the weights: 0 gives every row weight 1, 1 DB-VAE's weights.
    cap : float >= 1 or None, default=10.0
        The largest weight, as a multiple of the mean, so that a few very rare
        rows cannot outweigh the table. None leaves weights uncapped.

    Returns
    -------
    sample_weight : ndarray of shape (n_samples,)
        Positive weights with mean 1.

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression
    >>> from fairsynth.datasets import make_biased_classification
    >>> from fairsynth.discovery import LatentRarity, rarity_weights
    >>> X, y = make_biased_classification(n_samples=200, random_state=0)
    >>> weights = rarity_weights(X, rarity=LatentRarity(epochs=2, random_state=0))
    >>> round(float(weights.mean()), 6), bool(weights.max() <= 10.0)
    (1.0, True)
    """
    if isinstance(power, bool) or not isinstance(power, Real) or not power >= 0:
        raise ValueError(BAD_POWER.format(power=power))
    if cap is not None and (
        isinstance(cap, bool) or not isinstance(cap, Real) or not cap >= 1
    ):
        raise ValueError(BAD_CAP.format(cap=cap))
    fitted = _fitted_rarity(rarity, X, y)
    scores = fitted.score_samples(X, y if fitted.within_class else None)
    return capped_weights(power * scores, cap)


def _estimator_has(attribute):
    def check(self):
        return hasattr(self.estimator, attribute)

    return check


class RarityWeightedClassifier(ClassifierMixin, MetaEstimatorMixin, BaseEstimator):
    """Fit any estimator with :func:`rarity_weights` as its ``sample_weight``.

    A Pipeline step for DB-VAE's reweighting: rarity is learned on each
    training set (within each class if the rarity model's ``within_class``
    says so), and the weights go to the inner estimator's ``fit``. Prediction is
    the inner estimator's.

    Parameters
    ----------
    estimator : estimator object
        Takes ``sample_weight`` in ``fit``; a clone is fitted.
    rarity : LatentRarity or None, default=None
        The rarity model, cloned and fitted on each training set; None uses the
        defaults.
    power : float >= 0, default=1.0
        As in :func:`rarity_weights`.
    cap : float >= 1 or None, default=10.0
        As in :func:`rarity_weights`.

    Attributes
    ----------
    estimator_ : estimator object
        The fitted inner estimator.
    rarity_ : LatentRarity
        The fitted rarity model.
    sample_weight_ : ndarray of shape (n_samples,)
        The weights the estimator was fitted with.
    classes_ : ndarray
        The inner estimator's classes.
    n_features_in_ : int
        Number of columns of X.
    feature_names_in_ : ndarray of str
        The column names of X, when X is a DataFrame.

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression
    >>> from fairsynth.datasets import make_biased_classification
    >>> from fairsynth.discovery import LatentRarity, RarityWeightedClassifier
    >>> X, y = make_biased_classification(n_samples=200, n_categorical=0,
    ...                                   random_state=0)
    >>> model = RarityWeightedClassifier(
    ...     estimator=LogisticRegression(),
    ...     rarity=LatentRarity(epochs=2, random_state=0),
    ... ).fit(X.drop(columns="group"), y)
    >>> model.predict(X.drop(columns="group").head(3)).shape
    (3,)
    """

    _parameter_constraints: dict = {
        "estimator": [HasMethods(["fit"])],
        "rarity": [LatentRarity, None],
        "power": [Interval(Real, 0, None, closed="left")],
        "cap": [Interval(Real, 1, None, closed="left"), None],
    }

    def __init__(self, *, estimator=None, rarity=None, power=1.0, cap=10.0):
        self.estimator = estimator
        self.rarity = rarity
        self.power = power
        self.cap = cap

    def fit(self, X, y):
        """Fit the rarity model, then the estimator with the rarity weights.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_samples, n_features)
            Training rows, in a form both the rarity model and the estimator take.
        y : array-like of shape (n_samples,)
            Class labels.

        Returns
        -------
        self : RarityWeightedClassifier
            The fitted estimator.
        """
        if self.estimator is None:
            raise ValueError(
                "RarityWeightedClassifier needs an estimator: pass "
                "estimator=LogisticRegression() or another that takes sample_weight."
            )
        self._validate_params()
        check_classification_targets(y)
        self.rarity_ = clone(self.rarity or LatentRarity()).fit(X, y)
        self.n_features_in_ = self.rarity_.n_features_in_
        if isinstance(X, pd.DataFrame):
            self.feature_names_in_ = self.rarity_.feature_names_in_
        self.sample_weight_ = rarity_weights(
            X, y, rarity=self.rarity_, power=self.power, cap=self.cap
        )
        self.estimator_ = clone(self.estimator).fit(
            X, y, sample_weight=self.sample_weight_
        )
        return self

    @property
    def classes_(self):
        """ndarray: The inner estimator's classes."""
        check_is_fitted(self)
        return self.estimator_.classes_

    def predict(self, X):
        """Predict with the inner estimator."""
        check_is_fitted(self)
        return self.estimator_.predict(X)

    @available_if(_estimator_has("predict_proba"))
    def predict_proba(self, X):
        """Class probabilities from the inner estimator."""
        check_is_fitted(self)
        return self.estimator_.predict_proba(X)

    @available_if(_estimator_has("decision_function"))
    def decision_function(self, X):
        """Decision function of the inner estimator."""
        check_is_fitted(self)
        return self.estimator_.decision_function(X)

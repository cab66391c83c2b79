"""Classifier-based checks: detection, train-synthetic-test-real, group leakage."""

import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.metrics import get_scorer
from sklearn.model_selection import StratifiedKFold, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer, OrdinalEncoder
from sklearn.utils import check_random_state

from ._quality import category_labels, check_frames, is_numeric
from ._validation import encode_groups

# HistGradientBoosting handles at most 255 categories per feature; rarer ones pool.
_MAX_CATEGORIES = 255


def _to_text(frame):
    return pd.DataFrame({name: category_labels(frame[name]) for name in frame.columns})


def _to_float(frame):
    return frame.apply(pd.to_numeric, errors="coerce").astype(float)


def default_classifier(frame, random_state=None):
    """Return a pipeline that fits gradient boosting on a mixed-type table.

    Categorical columns are ordinal-encoded (missing values a category, unseen and
    pooled rare ones as missing) and passed to ``HistGradientBoostingClassifier`` as
    native categorical features; numeric columns pass through with their NaNs.
    """
    categorical = [name for name in frame.columns if not is_numeric(frame[name])]
    numeric = [name for name in frame.columns if is_numeric(frame[name])]
    encoder = make_pipeline(
        FunctionTransformer(_to_text),
        OrdinalEncoder(
            handle_unknown="use_encoded_value",
            unknown_value=np.nan,
            max_categories=_MAX_CATEGORIES,
        ),
    )
    columns = ColumnTransformer(
        [
            ("cat", encoder, categorical),
            ("num", FunctionTransformer(_to_float), numeric),
        ]
    )
    mask = [True] * len(categorical) + [False] * len(numeric)
    model = HistGradientBoostingClassifier(
        categorical_features=mask, random_state=random_state
    )
    return make_pipeline(columns, model)


def _cross_validated_auc(X, target, random_state, cv):
    rng = check_random_state(random_state)
    folds = StratifiedKFold(cv, shuffle=True, random_state=rng.randint(2**31 - 1))
    scoring = "roc_auc" if len(np.unique(target)) == 2 else "roc_auc_ovr"
    model = default_classifier(X, random_state=rng.randint(2**31 - 1))
    return float(np.mean(cross_val_score(model, X, target, scoring=scoring, cv=folds)))


def detection_auc(real, synthetic, *, random_state=None, cv=3, max_rows=20_000):
    """Score how well a classifier tells synthetic rows from real ones.

    Both tables are subsampled to the same size (at most ``max_rows // 2`` rows
    each), then gradient boosting (see :func:`tstr_score`) is cross-validated on the
    task "is this row synthetic?".

    Parameters
    ----------
    real, synthetic : pandas.DataFrame
        Tables with the same columns.
    random_state : int, RandomState instance or None, default=None
        Seeds the subsampling, the folds and the classifier.
    cv : int, default=3
        Number of stratified folds.
    max_rows : int, default=20_000
        Most rows used in all, to bound the time.

    Returns
    -------
    float
        Mean ROC AUC over the folds: 0.5 means indistinguishable, 1 means every
        synthetic row is recognised. Values well below 0.5 mean that synthetic
        rows copy real ones: a copy in the training folds labels its original in
        the test fold the wrong way (see :func:`exact_copy_rate`).

    Examples
    --------
    Two tables drawn from the same distribution cannot be told apart:

    >>> from fairsynth.datasets import make_biased_classification
    >>> real, _ = make_biased_classification(200, random_state=0)
    >>> other, _ = make_biased_classification(200, random_state=1)
    >>> round(detection_auc(real, other, random_state=0), 2)
    0.54
    """
    synthetic = check_frames(real, synthetic)
    rng = check_random_state(random_state)
    size = min(len(real), len(synthetic), max_rows // 2)
    parts = [
        frame.iloc[rng.choice(len(frame), size, replace=False)]
        for frame in (real, synthetic)
    ]
    X = pd.concat(parts, ignore_index=True)
    target = np.repeat([0, 1], size)
    return _cross_validated_auc(X, target, rng, cv)


def tstr_score(
    X_synthetic, y_synthetic, X_test, y_test, *, estimator=None, scoring="accuracy"
):
    """Train on synthetic data, test on real data.

    Parameters
    ----------
    X_synthetic, y_synthetic : pandas.DataFrame, array-like
        Generated training data.
    X_test, y_test : pandas.DataFrame, array-like
        Held-out real data.
    estimator : estimator, default=None
        A scikit-learn classifier, cloned before fitting. By default a
        ``HistGradientBoostingClassifier`` on native categorical features (missing
        values as a category, rare categories pooled).
    scoring : str or callable, default="accuracy"
        A scikit-learn scorer name or scorer.

    Returns
    -------
    float
        The score on the real test data; compare with the same model trained on
        real data.

    Examples
    --------
    >>> from fairsynth.datasets import make_biased_classification
    >>> X_synthetic, y_synthetic = make_biased_classification(200, random_state=0)
    >>> X_test, y_test = make_biased_classification(200, random_state=2)
    >>> round(tstr_score(X_synthetic, y_synthetic, X_test, y_test), 2)
    0.69
    """
    if estimator is None:
        model = default_classifier(X_synthetic, random_state=0)
    else:
        model = clone(estimator)
    model.fit(X_synthetic, y_synthetic)
    scorer = get_scorer(scoring) if isinstance(scoring, str) else scoring
    return float(scorer(model, X_test, y_test))


def group_recoverability_auc(X, groups, *, random_state=None, cv=3):
    """Score how well the sensitive group can be predicted from the other columns.

    Parameters
    ----------
    X : pandas.DataFrame
        Features, without the sensitive columns themselves.
    groups : array-like of shape (n_samples,) or pandas.DataFrame
        Group of each row; several columns mean their intersections.
    random_state : int, RandomState instance or None, default=None
        Seeds the folds and the classifier.
    cv : int, default=3
        Number of stratified folds.

    Returns
    -------
    float
        Cross-validated ROC AUC (macro one-vs-rest for more than two groups):
        0.5 means the group does not leak into X.

    Examples
    --------
    The ``proxy_*`` columns of this table carry the group:

    >>> from fairsynth.datasets import make_biased_classification
    >>> X, _ = make_biased_classification(200, random_state=0)
    >>> features = X.drop(columns="group")
    >>> round(group_recoverability_auc(features, X["group"], random_state=0), 2)
    0.96
    """
    codes = encode_groups(groups).codes
    return _cross_validated_auc(X, codes, random_state, cv)

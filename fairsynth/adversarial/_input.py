"""Input checks and encoding of the adversarial classifier.

The error messages are constants, so that tests can assert them.
"""

from numbers import Integral, Real

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from sklearn.utils import check_array

MISSING_SENSITIVE = (
    "sensitive column {key!r} is not in X. The sensitive columns must stay in X: "
    "in a Pipeline, give the ColumnTransformer remainder='passthrough' and "
    "verbose_feature_names_out=False, or pass column indices for NumPy input."
)
SENSITIVE_INDEX = (
    "X is a NumPy array, so sensitive must be column indices below "
    "n_features={n_features}; got {key!r}."
)
SINGLE_GROUP = (
    "sensitive column {key!r} has a single group ({group!r}); {who} needs "
    "at least two groups."
)
ONE_CLASS = (
    "y has only one class ({cls!r}); AdversarialFairClassifier needs two classes."
)
NOT_BINARY = (
    "Only binary classification is supported. The type of the target is {y_type}; "
    "AdversarialFairClassifier needs a binary target."
)
LAMBDAS_LENGTH = (
    "lambdas has {n_lambdas} values but there are {n_sensitive} sensitive columns "
    "({keys}); give one weight, or one per sensitive column."
)
LAMBDAS_KEYS = "lambdas keys {got} do not match the sensitive columns {keys}."
NEGATIVE_LAMBDA = "lambdas must be non-negative; got {value!r}."
HAS_NAN = (
    "X contains NaN or infinite values in {where}. AdversarialFairClassifier does "
    "not impute missing values: impute them first, for instance with a "
    "SimpleImputer step in a Pipeline."
)
NO_FEATURES = "X has no column besides the sensitive columns {keys}."


def split_sensitive(X, keys):
    """Split X into its features and its sensitive columns.

    Parameters
    ----------
    X : DataFrame or ndarray of shape (n_samples, n_columns)
        Validated input.
    keys : list of str or int
        Sensitive column names (DataFrame) or indices (ndarray).

    Returns
    -------
    features : DataFrame or ndarray
        X without the sensitive columns.
    sensitive : list of ndarray of shape (n_samples,)
        The values of each sensitive column.
    """
    if isinstance(X, pd.DataFrame):
        for key in keys:
            if key not in X.columns:
                raise ValueError(MISSING_SENSITIVE.format(key=key))
        sensitive = [X[key].to_numpy() for key in keys]
        features = X.drop(columns=keys)
    else:
        n_features = X.shape[1]
        for key in keys:
            valid = isinstance(key, Integral) and -n_features <= key < n_features
            if not valid:
                raise ValueError(SENSITIVE_INDEX.format(n_features=n_features, key=key))
        indices = [int(key) % n_features for key in keys]
        sensitive = [X[:, i] for i in indices]
        features = np.delete(X, indices, axis=1)
    if features.shape[1] == 0:
        raise ValueError(NO_FEATURES.format(keys=keys))
    return features, sensitive


def encode_groups(values, key, who="the adversary"):
    """Return the sorted groups of a sensitive column and each row's group code.

    ``who`` names what needs two groups, in the error raised for a single one.
    """
    if pd.isna(values).any():
        raise ValueError(HAS_NAN.format(where=f"the sensitive column {key!r}"))
    groups, codes = np.unique(values, return_inverse=True)
    if len(groups) < 2:
        raise ValueError(SINGLE_GROUP.format(key=key, group=groups[0], who=who))
    return groups, codes.ravel()


def group_weights(codes, n_groups):
    """Return balanced class weights ``n / (n_groups * n_g)`` of the group codes."""
    counts = np.bincount(codes, minlength=n_groups)
    return len(codes) / (n_groups * counts)


def resolve_lambdas(lambdas, keys):
    """Return one adversary weight per sensitive column, as a dict.

    Parameters
    ----------
    lambdas : float, sequence of float or dict
        One weight for all columns, one per column, or ``{column: weight}``.
    keys : list of str or int
        The sensitive columns.

    Returns
    -------
    dict
        ``{column: weight}`` in the order of ``keys``.
    """
    if isinstance(lambdas, dict):
        if set(lambdas) != set(keys):
            raise ValueError(LAMBDAS_KEYS.format(got=sorted(lambdas), keys=keys))
        values = [lambdas[key] for key in keys]
    elif isinstance(lambdas, Real):
        values = [lambdas] * len(keys)
    else:
        values = list(lambdas)
        if len(values) != len(keys):
            raise ValueError(
                LAMBDAS_LENGTH.format(
                    n_lambdas=len(values), n_sensitive=len(keys), keys=keys
                )
            )
    for value in values:
        if not isinstance(value, Real) or value < 0:
            raise ValueError(NEGATIVE_LAMBDA.format(value=value))
    return {key: float(value) for key, value in zip(keys, values, strict=True)}


def make_encoder(features):
    """Return an unfitted encoder: standardised numbers, one-hot categories.

    NumPy features must be numeric. DataFrame columns of a numeric or boolean dtype
    are standardised; the other columns (category, string, object) are one-hot
    encoded, and categories unseen at fit time encode as all zeros.
    """
    if not isinstance(features, pd.DataFrame):
        return StandardScaler()
    numeric = [
        column
        for column in features.columns
        if pd.api.types.is_numeric_dtype(features[column])
    ]
    categorical = [column for column in features.columns if column not in numeric]
    return ColumnTransformer(
        [
            ("numeric", StandardScaler(), numeric),
            ("categorical", OneHotEncoder(handle_unknown="ignore"), categorical),
        ],
        sparse_threshold=0.0,
    )


def check_features(features):
    """Raise a clear error for missing values; return NumPy features as floats."""
    if isinstance(features, pd.DataFrame):
        bad = [column for column in features.columns if _has_missing(features[column])]
        if bad:
            raise ValueError(HAS_NAN.format(where=f"column(s) {bad}"))
        return features
    features = check_array(features, dtype=np.float64, ensure_all_finite=False)
    if not np.isfinite(features).all():
        raise ValueError(HAS_NAN.format(where="the feature columns"))
    return features


def _has_missing(column):
    if pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column):
        values = column.to_numpy(dtype=np.float64, na_value=np.nan)
        return not np.isfinite(values).all()
    return bool(column.isna().any())

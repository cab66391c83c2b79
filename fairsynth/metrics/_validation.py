"""Input checks shared by every fairness metric.

All checks go through :func:`check_fairness_inputs`; its error messages are module
constants, so that tests (and users) can match them.
"""

from typing import NamedTuple

import numpy as np
import pandas as pd

LENGTH_MISMATCH = (
    "Inconsistent numbers of samples: {lengths}. y_true, y_pred, sensitive_features "
    "and sample_weight must describe the same rows."
)
SINGLE_GROUP = (
    "sensitive_features has a single group ({group!r}); fairness metrics compare at "
    "least two groups."
)
NO_POSITIVES = (
    "Group {group!r} has no samples with y_true == {pos_label!r}, so its true positive "
    "rate is undefined. Merge small groups or use fewer sensitive columns."
)
NO_NEGATIVES = (
    "Group {group!r} has no samples with y_true != {pos_label!r}, so its false "
    "positive rate is undefined. Merge small groups or use fewer sensitive columns."
)
NOT_LABELS = (
    "{name} holds non-integer values, which look like probabilities or scores; "
    "fairness metrics need hard labels, e.g. estimator.predict(X) or "
    "(proba >= 0.5).astype(int)."
)
CONTINUOUS_TARGET = (
    "{name} holds non-integer values, which look like a continuous (regression) "
    "target; fairness metrics need class labels. Binarize it first, e.g. "
    "(y > threshold).astype(int)."
)
MISSING_LABELS = (
    "{name} contains missing values (NaN/None); drop those rows or impute the labels "
    "before computing fairness metrics."
)
MISSING_SENSITIVE = (
    "sensitive_features contains missing values in column {column!r}; fill them with "
    "an explicit category, e.g. sf.fillna('missing'), or drop those rows."
)
POS_LABEL_NEEDED = (
    "Cannot infer the positive label from the classes {classes}; pass pos_label=... "
    "(--pos-label on the command line; labels in {{0, 1}}, {{-1, 1}} or exactly "
    "two classes need none)."
)
POS_LABEL_ABSENT = "pos_label={pos_label!r} is not among the labels {classes}."
BAD_SAMPLE_WEIGHT = (
    "sample_weight must be a 1-D array of finite, non-negative numbers with a "
    "positive sum."
)
NO_SENSITIVE = (
    "sensitive_features is None; pass the group of every row, e.g. "
    "sensitive_features=X['sex'], or a DataFrame of several columns."
)
BAD_METHOD = "method must be 'between_groups' or 'to_overall'; got {method!r}."

_BINARY_SETS = (frozenset({0, 1}), frozenset({-1, 1}))


class Groups(NamedTuple):
    """Integer group codes per row and one display label per group."""

    codes: np.ndarray
    labels: pd.Index


class CheckedInputs(NamedTuple):
    """Validated inputs: positive indicators, weights and groups."""

    y_true: np.ndarray | None
    y_pred: np.ndarray | None
    sample_weight: np.ndarray
    groups: Groups
    pos_label: object


def check_fairness_inputs(
    y_true, y_pred, *, sensitive_features, sample_weight, pos_label, min_groups=2
):
    """Validate metric inputs and turn labels into 0/1 positive indicators.

    Parameters
    ----------
    y_true, y_pred : array-like of shape (n_samples,) or None
        Class labels; ``None`` skips that argument.
    sensitive_features : array-like of shape (n_samples,) or (n_samples, n_columns)
        Group membership; several columns mean intersectional groups.
    sample_weight : array-like of shape (n_samples,) or None
        Row weights; ``None`` weighs every row 1.
    pos_label : scalar or None
        The positive class; ``None`` infers it (see :func:`infer_pos_label`).
    min_groups : int, default=2
        Fewest groups allowed.

    Returns
    -------
    CheckedInputs
        Float 0/1 arrays for the labels, float weights and the encoded groups.
    """
    if sensitive_features is None:
        raise ValueError(NO_SENSITIVE)
    labelled = {"y_true": y_true, "y_pred": y_pred}
    labelled = {k: v for k, v in labelled.items() if v is not None}
    _check_lengths(
        {**labelled, "sensitive_features": sensitive_features}, sample_weight
    )
    arrays = {name: _label_array(values, name) for name, values in labelled.items()}
    pos_label = infer_pos_label(np.concatenate(list(arrays.values())), pos_label)
    positive = {k: (v == pos_label).astype(float) for k, v in arrays.items()}
    groups = encode_groups(sensitive_features, min_groups=min_groups)
    n_rows = len(groups.codes)
    return CheckedInputs(
        positive.get("y_true"),
        positive.get("y_pred"),
        _weights(sample_weight, n_rows),
        groups,
        pos_label,
    )


def _check_lengths(named, sample_weight):
    if sample_weight is not None:
        named = {**named, "sample_weight": sample_weight}
    lengths = {name: len(values) for name, values in named.items()}
    if len(set(lengths.values())) > 1:
        raise ValueError(LENGTH_MISMATCH.format(lengths=lengths))


def _label_array(values, name):
    """Return labels as a 1-D array, rejecting missing values and non-labels."""
    array = np.asarray(values)
    if array.ndim == 2 and array.shape[1] == 1:  # a column vector, as from a frame
        array = array[:, 0]
    if pd.isna(array).any():
        raise ValueError(MISSING_LABELS.format(name=name))
    if array.dtype.kind == "f" and not np.all(np.mod(array, 1) == 0):
        template = NOT_LABELS if name == "y_pred" else CONTINUOUS_TARGET
        raise ValueError(template.format(name=name))
    return array


def infer_pos_label(labels, pos_label):
    """Return the positive class among ``labels``.

    With ``pos_label=None``, labels within {0, 1} or {-1, 1} (booleans included) use
    1, as fairlearn does; any other pair of classes uses the larger one. With an
    explicit ``pos_label``, any number of classes is allowed (one versus the rest).
    """
    classes = _sorted_classes(labels)
    if pos_label is not None:
        if pos_label not in classes:
            raise ValueError(
                POS_LABEL_ABSENT.format(pos_label=pos_label, classes=classes)
            )
        return pos_label
    if any(_within(binary, classes) for binary in _BINARY_SETS):
        return 1
    if len(classes) == 2:
        return classes[1]
    raise ValueError(POS_LABEL_NEEDED.format(classes=classes))


def _within(binary, classes):
    try:
        return binary.issuperset(classes)
    except TypeError:
        return False


def _sorted_classes(labels):
    classes = pd.unique(np.asarray(labels, dtype=object)).tolist()
    try:
        return sorted(classes)
    except TypeError:  # mixed types: order by text so the choice is still stable
        return sorted(classes, key=str)


def _weights(sample_weight, n_rows):
    if sample_weight is None:
        return np.ones(n_rows)
    weights = np.asarray(sample_weight, dtype=float)
    valid = weights.ndim == 1 and np.isfinite(weights).all()
    if not valid or (weights < 0).any() or weights.sum() <= 0:
        raise ValueError(BAD_SAMPLE_WEIGHT)
    return weights


def encode_groups(sensitive_features, *, min_groups=2):
    """Encode one or several sensitive columns as integer group codes.

    Several columns give intersectional groups; each is labelled by its values
    joined with ``", "`` (e.g. ``"Female, Black"``), in sorted order.

    Parameters
    ----------
    sensitive_features : array-like of shape (n_samples,) or (n_samples, n_columns)
        Group membership.
    min_groups : int, default=2
        Fewest groups allowed.

    Returns
    -------
    Groups
        Codes in ``range(n_groups)`` and the group labels.
    """
    groups = _encode_groups(sensitive_features)
    if len(groups.labels) < min_groups:
        raise ValueError(SINGLE_GROUP.format(group=groups.labels[0]))
    return groups


def _encode_groups(sensitive_features):
    frame = _as_frame(sensitive_features)
    for column in frame.columns:
        if frame[column].isna().any():
            raise ValueError(MISSING_SENSITIVE.format(column=column))
    per_column = [_factorize(frame[column]) for column in frame.columns]
    if len(per_column) == 1:
        codes, uniques = per_column[0]
        return Groups(codes, pd.Index(uniques, dtype=object))
    stacked = np.column_stack([codes for codes, _ in per_column])
    combos, codes = np.unique(stacked, axis=0, return_inverse=True)
    labels = [
        ", ".join(
            str(uniques[i]) for i, (_, uniques) in zip(row, per_column, strict=True)
        )
        for row in combos
    ]
    return Groups(codes.reshape(-1), pd.Index(labels, dtype=object))


def _as_frame(sensitive_features):
    if isinstance(sensitive_features, pd.DataFrame):
        return sensitive_features
    if isinstance(sensitive_features, pd.Series):
        return sensitive_features.to_frame()
    array = np.asarray(sensitive_features, dtype=object)
    if array.ndim == 1:
        return pd.DataFrame({"sensitive_feature_0": array})
    return pd.DataFrame(
        {f"sensitive_feature_{i}": array[:, i] for i in range(array.shape[1])}
    )


def _factorize(column):
    values = column.to_numpy(dtype=object)
    try:
        return pd.factorize(values, sort=True)
    except TypeError:  # mixed types cannot be sorted; keep order of appearance
        return pd.factorize(values)


def sensitive_keys(sensitive):
    """Return the sensitive column(s) as a list of names or indices.

    The one reading of a ``sensitive`` parameter, shared by the scorers and the
    estimators, so that a list and a tuple both mean several columns everywhere.

    Parameters
    ----------
    sensitive : str, int, list, tuple or None
        One column name (or index), several of them, or ``None`` for none.

    Returns
    -------
    list
        The column names or indices; empty for ``None``.
    """
    if sensitive is None:
        return []
    if isinstance(sensitive, (list, tuple)):
        return list(sensitive)
    return [sensitive]


def check_group_support(denominators, groups, *, rate, pos_label):
    """Raise if a group has no rows to compute a conditional rate on.

    Parameters
    ----------
    denominators : ndarray of shape (n_groups,)
        Weighted number of positives (``rate="tpr"``) or negatives (``"fpr"``).
    groups : Groups
        The encoded groups, for the message.
    rate : {"tpr", "fpr"}
        Which rate needs the rows.
    pos_label : scalar
        The positive class, for the message.
    """
    empty = np.flatnonzero(denominators <= 0)
    if empty.size:
        template = NO_POSITIVES if rate == "tpr" else NO_NEGATIVES
        group = groups.labels[empty[0]]
        raise ValueError(template.format(group=group, pos_label=pos_label))


def check_method(method):
    """Raise unless ``method`` is ``"between_groups"`` or ``"to_overall"``."""
    if method not in ("between_groups", "to_overall"):
        raise ValueError(BAD_METHOD.format(method=method))

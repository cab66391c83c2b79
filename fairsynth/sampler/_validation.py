"""Input checks of FairGANSampler; each message says how to fix the input."""

import numbers

import numpy as np
import pandas as pd
from imblearn.utils import check_target_type
from sklearn.utils import check_array
from sklearn.utils.multiclass import type_of_target

from ..metrics._validation import sensitive_keys

# More groups than this is almost always a continuous or identifier column passed by
# mistake, and would leave most cells too small to learn.
MAX_GROUPS_PER_COLUMN = 20


def as_frame(X):
    """Return ``X`` as a DataFrame, plus what is needed to give back the same type.

    NumPy (and list) input gets the column labels 0..n-1, so integer ``sensitive``
    indices name its columns.
    """
    if isinstance(X, pd.DataFrame):
        if X.shape[0] == 0 or X.shape[1] == 0:
            raise ValueError(
                f"X is empty (shape {X.shape}); pass at least one row and column."
            )
        return X, "frame"
    kind = "list" if isinstance(X, list) else "array"
    array = check_array(
        X, dtype=None, ensure_all_finite="allow-nan", ensure_min_samples=2
    )
    # Object arrays often hold numbers (e.g. a DataFrame's .to_numpy()); give each
    # column its own dtype so numbers are modelled as numbers.
    frame = pd.DataFrame(array).infer_objects()
    return frame, (kind, array.dtype)


def restore_container(frame, container):
    """Give back ``frame`` in the container type that ``as_frame`` recorded."""
    if container == "frame":
        return frame
    kind, dtype = container
    array = frame.to_numpy(dtype=dtype)
    return array.tolist() if kind == "list" else array


def check_target(y, n_rows):
    """Validate class labels; return them as a 1-D array and a way to restore ``y``."""
    if y is None:
        raise ValueError(
            "FairGANSampler requires y to be passed, but the target y is None. "
            "Pass the class labels as y."
        )
    # restore_target needs y's type, name and dtype, not its values, which model
    # files would otherwise carry.
    template = y.iloc[:0] if hasattr(y, "iloc") else y
    template = template[:0] if isinstance(template, np.ndarray) else template
    values = y.to_numpy() if hasattr(y, "to_numpy") else np.asarray(y)
    if values.ndim == 2 and values.shape[1] == 1:
        values = values.ravel()
    if len(values) != n_rows:
        raise ValueError(
            f"X has {n_rows} rows but y has {len(values)}; they must match."
        )
    if values.ndim == 1 and pd.isna(values).any():
        raise ValueError(
            f"y contains {int(pd.isna(values).sum())} missing values. Drop those rows "
            "or fill in their labels before resampling."
        )
    values, one_vs_all = check_target_type(values, indicate_one_vs_all=True)
    kind = type_of_target(values)
    if kind not in ("binary", "multiclass"):
        raise ValueError(
            f"Unknown label type: y must hold class labels, but it looks {kind} (e.g. "
            f"{values[0]!r}). Threshold or bin a continuous target into classes first."
        )
    if len(np.unique(values)) < 2:
        raise ValueError(
            "y has a single class; FairGANSampler needs two or more classes to balance."
        )
    return values, (template, one_vs_all)


def restore_target(values, target_info):
    """Give back labels in the container, name and dtype of the original ``y``."""
    template, one_vs_all = target_info
    if one_vs_all:
        classes = np.arange(np.asarray(template).shape[1])
        return (values[:, None] == classes).astype(np.asarray(template).dtype)
    if isinstance(template, pd.Series):
        return pd.Series(values, name=template.name).astype(template.dtype)
    if isinstance(template, pd.DataFrame):
        return pd.DataFrame({template.columns[0]: values}).astype(
            template.dtypes.iloc[0]
        )
    if isinstance(template, list):
        return values.tolist()
    return np.asarray(values).astype(np.asarray(template).dtype)


def resolve_sensitive(sensitive, frame):
    """Return the sensitive column labels, checked against the columns of X."""
    names = sensitive_keys(sensitive)
    if len(set(names)) != len(names):
        raise ValueError(f"sensitive lists a column twice: {names}.")
    missing = [name for name in names if name not in frame.columns]
    if missing:
        hint = (
            ""
            if all(isinstance(n, str) for n in missing)
            else " For NumPy input, name columns by integer index."
        )
        raise ValueError(
            f"The sensitive column(s) {missing} are not in X. X has the columns "
            f"{list(frame.columns)}.{hint}"
        )
    if len(names) == frame.shape[1]:
        raise ValueError(
            "X has no columns besides the sensitive ones; there is nothing to generate."
        )
    return names


def check_sensitive_values(frame, sensitive):
    """Each sensitive column must be complete and hold a few (2 or more) groups."""
    for name in sensitive:
        column = frame[name]
        if column.isna().any():
            raise ValueError(
                f"The sensitive column {name!r} has {int(column.isna().sum())} missing "
                "values. Fill them (e.g. with an 'unknown' group) or drop those rows."
            )
        n_values = column.nunique()
        if n_values > MAX_GROUPS_PER_COLUMN:
            raise ValueError(
                f"The sensitive column {name!r} has {n_values} distinct values, more "
                f"than the {MAX_GROUPS_PER_COLUMN} groups FairGANSampler supports. "
                "Bin it into a few bands first, e.g. pd.qcut(X[col], 4) (on the "
                "command line, --bins COL=4)."
            )
        if n_values < 2:
            raise ValueError(
                f"The sensitive column {name!r} has a single value, so there are no "
                "groups to compare. Use sensitive=None to oversample classes only."
            )


def _is_count(value, least):
    """Whether ``value`` is an integer (not a bool) of at least ``least``."""
    return (
        isinstance(value, numbers.Integral)
        and not isinstance(value, bool)
        and value >= least
    )


def check_n_samples(n_samples):
    """``n_samples`` must be a positive integer."""
    if not _is_count(n_samples, 1):
        raise ValueError(f"n_samples must be a positive integer; got {n_samples!r}.")


def check_count(name, value, least):
    """Refuse a ``value`` of ``name`` that is not an integer of at least ``least``."""
    if not _is_count(value, least):
        raise ValueError(
            f"{name} must be an integer of at least {least}; got {value!r}."
        )


def check_sample_weight(sample_weight, cell_ids, cell_names):
    """Validate row weights; return them as floats, or None when not given.

    ``cell_names[c]`` names cell ``c`` in messages. Every cell the data has needs
    some weight, or the generator has no rows to learn it from.
    """
    if sample_weight is None:
        return None
    weights = np.asarray(sample_weight, dtype=float)
    if weights.shape != cell_ids.shape or not np.isfinite(weights).all():
        raise ValueError(
            f"sample_weight must be one finite number per row of X ({len(cell_ids)} "
            f"rows); got an array of shape {weights.shape}"
            + ("" if weights.shape != cell_ids.shape else " with NaN or infinity")
            + "."
        )
    if (weights < 0).any():
        raise ValueError("sample_weight must not be negative; 0 leaves a row out.")
    totals = np.bincount(cell_ids, weights=weights, minlength=len(cell_names))
    empty = [cell_names[c] for c in np.unique(cell_ids) if totals[c] <= 0]
    if empty:
        raise ValueError(
            f"sample_weight is zero on every row of the cell(s) {empty}, so the "
            "generator has no row to learn them from. Give each cell some weight, "
            "or drop its rows."
        )
    return weights


def check_no_fit_params(method, params):
    """Refuse fit parameters other than ``sample_weight``, saying which are taken."""
    if params:
        raise TypeError(
            f"FairGANSampler.{method} got {sorted(params)}, which it does not take. "
            "It takes sample_weight only (row weights for training the generator); "
            "in a Pipeline with metadata routing, request it with "
            "set_fit_resample_request(sample_weight=True) and route nothing else to "
            "the sampler."
        )

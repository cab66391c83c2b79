"""A generator of small, mixed-type tables whose label is tied to a group."""

from numbers import Integral, Real

import numpy as np
import pandas as pd
from sklearn.utils import check_random_state

# Scales the standardised merit score into a logit. With 2.5, a model that knows the
# merit part exactly is right about 80% of the time: learnable, but not trivial.
_MERIT_SCALE = 2.5
_CATEGORY_LEVELS = ["a", "b", "c", "d"]
_COUNT_MEAN = 3.0


def make_biased_classification(
    n_samples=1000,
    *,
    n_groups=2,
    group_weights=None,
    bias=0.5,
    n_proxies=2,
    proxy_strength=2.0,
    n_numeric=3,
    n_categorical=2,
    missing_rate=0.0,
    as_frame=True,
    random_state=None,
):
    r"""Generate a small mixed-type table with a binary label that depends on a group.

    For tests and examples: the strength of the tie between label and group, and of
    the features that leak the group, are set by the caller.

    The generative model, row by row:

    1. Each sensitive column :math:`j` draws a group :math:`g_j \in \{0, \dots,
       k_j - 1\}` with probabilities ``group_weights[j]``, independently of the
       other columns. Its position :math:`r_j = g_j / (k_j - 1)` runs from 0 for
       the first group to 1 for the last; :math:`r` is the mean of the
       :math:`r_j`.
    2. The informative features are drawn independently of the groups:
       ``n_numeric`` standard normal floats, one Poisson count of mean 3 and
       ``n_categorical`` columns uniform over four levels. A linear score with
       random weights (fixed by ``random_state``), scaled to unit variance, gives
       the merit logit :math:`m = 2.5 \times \text{score}`.
    3. The label is :math:`y \sim \text{Bernoulli}(p)` with
       :math:`p = (1 - \text{bias})\,\sigma(m) + \text{bias}\; r`. With one
       sensitive column, the positive rate of the last group therefore exceeds that
       of the first by ``bias`` in expectation; with ``bias=0`` the label is
       independent of the groups.
    4. Each proxy column :math:`i` leaks sensitive column :math:`i \bmod J`
       (:math:`J` sensitive columns): it is
       :math:`\text{proxy\_strength} \times g_j + \varepsilon` with standard
       normal noise, so neighbouring groups lie ``proxy_strength`` noise standard
       deviations apart.
    5. With ``missing_rate > 0``, each cell of the float and categorical feature
       columns (proxies included) goes missing independently with that
       probability. The sensitive columns, the integer column and the label are
       never missing.

    Parameters
    ----------
    n_samples : int, default=1000
        Number of rows.
    n_groups : int or list of int, default=2
        Number of groups of the sensitive column, at least 2, or a list holding one
        such number per sensitive column.
    group_weights : array-like or list of array-like, default=None
        Relative group sizes: one weight per group (a list of such lists when there
        are several sensitive columns). They are normalised to sum to one. None
        gives groups of equal expected size.
    bias : float, default=0.5
        Weight in [0, 1] of the group in the label probability (see above).
    n_proxies : int, default=2
        Number of float columns that leak the groups.
    proxy_strength : float, default=2.0
        Distance, in noise standard deviations, between the proxy means of
        neighbouring groups. 0 makes the proxies pure noise.
    n_numeric : int, default=3
        Number of informative float columns.
    n_categorical : int, default=2
        Number of informative categorical columns.
    missing_rate : float, default=0.0
        Probability in [0, 1) that a float or categorical feature cell is missing.
    as_frame : bool, default=True
        Return pandas objects. With False, X is an object ndarray and y an integer
        ndarray.
    random_state : int, RandomState instance or None, default=None
        Seeds the draws. An int gives the same table on every call and leaves the
        global NumPy random state alone; None uses the global NumPy generator, as
        scikit-learn's generators do.

    Returns
    -------
    X : DataFrame of shape (n_samples, n_features) or ndarray of object
        Columns in this order: the sensitive columns (``"group"``, or
        ``"group_0"``, ``"group_1"``, ... when there are several; category dtype
        with categories ``"g0"``, ``"g1"``, ...), the float columns ``"num_0"``,
        ``"num_1"``, ..., the int64 column ``"count"``, the categorical columns
        ``"cat_0"``, ``"cat_1"``, ... (categories ``"a"`` to ``"d"``) and the float
        proxies ``"proxy_0"``, ``"proxy_1"``, ...
    y : Series of shape (n_samples,) or ndarray
        The int64 label, 0 or 1, named ``"label"``.

    Examples
    --------
    >>> from fairsynth.datasets import make_biased_classification
    >>> X, y = make_biased_classification(200, n_groups=[2, 3], random_state=0)
    >>> X.shape
    (200, 10)
    >>> list(X.columns[:3]), y.name
    (['group_0', 'group_1', 'num_0'], 'label')
    """
    sizes, weights = _check_groups(n_groups, group_weights)
    _check_arguments(
        n_samples, bias, n_proxies, proxy_strength, n_numeric, n_categorical
    )
    _check_real("missing_rate", missing_rate, 0.0, 1.0, high_inclusive=False)
    rng = check_random_state(random_state)
    groups = [rng.choice(len(w), size=n_samples, p=w) for w in weights]
    numeric = rng.standard_normal((n_samples, n_numeric))
    count = rng.poisson(_COUNT_MEAN, size=n_samples)
    codes = rng.randint(len(_CATEGORY_LEVELS), size=(n_samples, n_categorical))
    merit = _merit_logit(rng, numeric, count, codes)
    y = _draw_label(rng, merit, groups, sizes, bias)
    proxies = _draw_proxies(rng, groups, n_proxies, proxy_strength)
    if missing_rate > 0:
        numeric, codes, proxies = (
            _punch_holes(rng, block, missing_rate)
            for block in (numeric, codes, proxies)
        )
    X = _assemble(groups, sizes, numeric, count, codes, proxies)
    y = pd.Series(y, name="label", dtype="int64")
    if not as_frame:
        return X.to_numpy(dtype=object), y.to_numpy()
    return X, y


def _check_int(name, value, minimum):
    if isinstance(value, bool) or not isinstance(value, Integral) or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}; got {value!r}.")


def _check_real(name, value, low, high, *, high_inclusive=True):
    is_real = isinstance(value, Real) and not isinstance(value, bool)
    in_range = (
        is_real and low <= value and (value <= high if high_inclusive else value < high)
    )
    if not in_range:
        bracket = "]" if high_inclusive else ")"
        raise ValueError(
            f"{name} must be a number in [{low}, {high}{bracket}; got {value!r}."
        )


def _check_arguments(
    n_samples, bias, n_proxies, proxy_strength, n_numeric, n_categorical
):
    _check_int("n_samples", n_samples, 1)
    _check_int("n_proxies", n_proxies, 0)
    _check_int("n_numeric", n_numeric, 0)
    _check_int("n_categorical", n_categorical, 0)
    _check_real("bias", bias, 0.0, 1.0)
    _check_real("proxy_strength", proxy_strength, 0.0, np.inf, high_inclusive=False)


def _check_groups(n_groups, group_weights):
    """Return the group count and normalised group weights of each sensitive column."""
    if isinstance(n_groups, Integral):
        sizes = [n_groups]
    elif isinstance(n_groups, (list, tuple, np.ndarray)) and len(n_groups) > 0:
        sizes = list(n_groups)
    else:
        raise ValueError(
            "n_groups must be an integer >= 2 or a non-empty list of them; "
            f"got {n_groups!r}."
        )
    for size in sizes:
        _check_int("Each entry of n_groups", size, 2)
    sizes = [int(size) for size in sizes]
    if group_weights is None:
        return sizes, [np.full(size, 1.0 / size) for size in sizes]
    if len(sizes) == 1:
        return sizes, [_normalise(group_weights, sizes[0])]
    n_columns = len(sizes)
    well_formed = (
        isinstance(group_weights, (list, tuple))
        and len(group_weights) == n_columns
        and all(np.ndim(weights) == 1 for weights in group_weights)
    )
    if not well_formed:
        raise ValueError(
            f"With {n_columns} sensitive columns, group_weights must be a list of "
            f"{n_columns} lists of weights; got {group_weights!r}."
        )
    return sizes, [
        _normalise(w, size) for w, size in zip(group_weights, sizes, strict=True)
    ]


def _normalise(weights, size):
    try:
        values = np.asarray(weights, dtype=float)
    except (TypeError, ValueError):
        values = None
    valid = (
        values is not None
        and values.shape == (size,)
        and np.all(np.isfinite(values))
        and np.all(values >= 0)
        and values.sum() > 0
    )
    if not valid:
        raise ValueError(
            f"group_weights must give {size} non-negative weights, not all zero, for a "
            f"sensitive column with {size} groups; got {weights!r}."
        )
    return values / values.sum()


def _merit_logit(rng, numeric, count, codes):
    """Return the group-free part of the label logit, a random linear score."""
    signs = rng.choice([-1.0, 1.0], size=numeric.shape[1])
    weights = signs * rng.uniform(0.5, 1.5, size=numeric.shape[1])
    effects = rng.standard_normal((codes.shape[1], len(_CATEGORY_LEVELS)))
    # Centred, so that the positive rate is about one half when bias is 0.
    effects -= effects.mean(axis=1, keepdims=True)
    standard_count = (count - _COUNT_MEAN) / np.sqrt(_COUNT_MEAN)
    score = numeric @ weights + 0.5 * standard_count
    score += sum(effects[j, codes[:, j]] for j in range(codes.shape[1]))
    # The variance of the score in the population, so that the logit of a row does
    # not depend on the other rows drawn with it.
    variance = weights @ weights + 0.25 + effects.var(axis=1).sum()
    return _MERIT_SCALE * score / np.sqrt(variance)


def _draw_label(rng, merit, groups, sizes, bias):
    position = np.mean(
        [g / (k - 1) for g, k in zip(groups, sizes, strict=True)], axis=0
    )
    probability = (1 - bias) / (1 + np.exp(-merit)) + bias * position
    return (rng.uniform(size=merit.shape[0]) < probability).astype("int64")


def _draw_proxies(rng, groups, n_proxies, strength):
    by_column = np.column_stack(groups)
    leaked = by_column[:, np.arange(n_proxies) % by_column.shape[1]]
    return strength * leaked + rng.standard_normal(leaked.shape)


def _punch_holes(rng, block, rate):
    holes = rng.uniform(size=block.shape) < rate
    if block.dtype.kind == "i":
        # A code of -1 is a missing value for pandas.Categorical.from_codes.
        return np.where(holes, -1, block)
    return np.where(holes, np.nan, block)


def _assemble(groups, sizes, numeric, count, codes, proxies):
    columns = {}
    names = (
        ["group"] if len(groups) == 1 else [f"group_{j}" for j in range(len(groups))]
    )
    for name, group, size in zip(names, groups, sizes, strict=True):
        levels = [f"g{i}" for i in range(size)]
        columns[name] = pd.Categorical.from_codes(group, categories=levels)
    for j in range(numeric.shape[1]):
        columns[f"num_{j}"] = numeric[:, j].astype("float64")
    columns["count"] = count.astype("int64")
    for j in range(codes.shape[1]):
        columns[f"cat_{j}"] = pd.Categorical.from_codes(
            codes[:, j], categories=_CATEGORY_LEVELS
        )
    for j in range(proxies.shape[1]):
        columns[f"proxy_{j}"] = proxies[:, j].astype("float64")
    return pd.DataFrame(columns)

"""The UCI Adult (Census Income) table, bundled with the package."""

from importlib import resources

import pandas as pd

from ._base import make_bunch

ADULT_COLUMNS = [
    "age",
    "workclass",
    "fnlwgt",
    "education",
    "education_num",
    "marital_status",
    "occupation",
    "relationship",
    "race",
    "sex",
    "capital_gain",
    "capital_loss",
    "hours_per_week",
    "native_country",
    "income",
]
ADULT_CATEGORICAL = [
    "workclass",
    "education",
    "marital_status",
    "occupation",
    "relationship",
    "race",
    "sex",
    "native_country",
]
N_TRAIN = 32_561
_SUBSETS = {"all": slice(None), "train": slice(N_TRAIN), "test": slice(N_TRAIN, None)}

ADULT_DESCR = """\
UCI Adult (Census Income)
-------------------------
Extracted from the 1994 US Census by Barry Becker; donated by Ronny Kohavi and
Barry Becker (1996). The task is to predict whether a person earns more than
$50K a year.

Rows: 32,561 in the training file (adult.data), 16,281 in the test file
(adult.test), 48,842 in all. 14 features: 6 numeric (age, fnlwgt,
education_num, capital_gain, capital_loss, hours_per_week) and 8 categorical,
among them the sensitive attributes ``sex`` (2 groups) and ``race`` (5 groups).
Missing values (``?`` in the source) are missing here.

Target ``income``: 1 for ``>50K``, 0 for ``<=50K``.

Source: https://archive.ics.uci.edu/dataset/2/adult
Licence: Creative Commons Attribution 4.0 International (CC BY 4.0).
Citation: Becker, B. and Kohavi, R. (1996). Adult. UCI Machine Learning
Repository. https://doi.org/10.24432/C5XW20
"""


def _read_bundled(filename):
    path = resources.files("fairsynth.datasets") / "data" / filename
    with resources.as_file(path) as file:
        # The test file opens with a "|1x3 Cross validator" comment line.
        return pd.read_csv(
            file,
            names=ADULT_COLUMNS,
            sep=",",
            skipinitialspace=True,
            na_values="?",
            comment="|",
            compression="gzip",
        )


def _tidy(frame):
    # The test file's labels end with a dot (">50K.").
    target = frame["income"].str.rstrip(".").eq(">50K").astype("int64")
    frame = frame.drop(columns="income")
    for column in ADULT_CATEGORICAL:
        categories = sorted(frame[column].dropna().unique())
        frame[column] = pd.Categorical(frame[column], categories=categories)
    frame["income"] = target
    return frame


def load_adult(*, subset="all", return_X_y=False, as_frame=True):
    """Load the UCI Adult table from the copy bundled with fairsynth.

    Works offline. Categorical columns come back as ``category`` dtype with the same
    categories whatever the subset, so train and test frames line up.

    Parameters
    ----------
    subset : {"all", "train", "test"}, default="all"
        ``"train"`` is the 32,561 rows of ``adult.data``, ``"test"`` the 16,281 rows of
        ``adult.test`` and ``"all"`` both, train first (48,842 rows).
    return_X_y : bool, default=False
        Return ``(X, y)`` instead of a Bunch.
    as_frame : bool, default=True
        Return pandas objects. With False, ``data`` is an object ndarray and ``target``
        an integer ndarray.

    Returns
    -------
    data : Bunch
        With ``frame`` (features and target), ``data`` (the 14 features, ``sex`` and
        ``race`` among them), ``target`` (``income``, 1 for ``>50K``),
        ``feature_names``, ``target_names``, ``sensitive`` (``["sex", "race"]``)
        and ``DESCR``. Returned when
        ``return_X_y`` is False.
    (X, y) : tuple
        Returned when ``return_X_y`` is True.

    Examples
    --------
    >>> from fairsynth.datasets import load_adult
    >>> X, y = load_adult(subset="train", return_X_y=True)
    >>> X.shape, round(float(y.mean()), 3)
    ((32561, 14), 0.241)
    """
    if subset not in _SUBSETS:
        raise ValueError(
            f"subset must be one of 'all', 'train' or 'test'; got {subset!r}."
        )
    # Both files are read whatever the subset, so the categories always line up.
    frames = [_read_bundled(name) for name in ("adult.data.gz", "adult.test.gz")]
    frame = _tidy(pd.concat(frames, ignore_index=True))
    frame = frame.iloc[_SUBSETS[subset]].reset_index(drop=True)
    return make_bunch(
        frame,
        target="income",
        sensitive=["sex", "race"],
        descr=ADULT_DESCR,
        return_X_y=return_X_y,
        as_frame=as_frame,
    )

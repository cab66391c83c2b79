"""The benchmark tasks: a dataset split into train and test, and a sensitive column."""

from dataclasses import dataclass

import pandas as pd
from sklearn.model_selection import train_test_split

from fairsynth.datasets import fetch_compas, fetch_german_credit, load_adult

DATASETS = ("adult", "compas", "german")
# A group with fewer training rows is folded into "Other": its cells are too small
# for a GAN to learn, and its dozen test rows would decide the DP difference by
# chance. Only COMPAS's race has such groups (Asian, Native American).
MIN_GROUP_ROWS = 50


@dataclass
class Task:
    """One dataset, split into train and test, with one sensitive attribute."""

    dataset: str
    attribute: str
    X: pd.DataFrame
    y: pd.Series
    X_test: pd.DataFrame
    y_test: pd.Series


def load_tasks(name):
    """The tasks of one dataset, or a message saying why it is skipped."""
    if name == "adult":
        X, y = load_adult(subset="train", return_X_y=True)
        X_test, y_test = load_adult(subset="test", return_X_y=True)
        return tasks_of(name, ("sex", "race"), (X, y, X_test, y_test)), None
    try:
        if name == "compas":
            bunch = fetch_compas(download_if_missing=False)
            # COMPAS's own scores are its output, not features of a new model.
            X = bunch.data.drop(columns=["decile_score", "score_text"])
            attributes = ("race", "sex")
        else:
            bunch = fetch_german_credit(download_if_missing=False)
            X, attributes = bunch.data, ("sex", "age_group")
    except (FileNotFoundError, OSError) as exc:
        return [], f"{name} skipped: {exc}"
    X, X_test, y, y_test = train_test_split(
        X, bunch.target, test_size=0.3, stratify=bunch.target, random_state=0
    )
    return tasks_of(name, attributes, (X, y, X_test, y_test)), None


def tasks_of(name, attributes, split):
    """One task per sensitive attribute of a split dataset, small groups merged."""
    X, y, X_test, y_test = split
    tasks = []
    for attribute in attributes:
        X_merged, X_test_merged = merge_small_groups(X, X_test, attribute)
        tasks.append(Task(name, attribute, X_merged, y, X_test_merged, y_test))
    return tasks


def merge_small_groups(X, X_test, attribute):
    """Fold the groups with fewer than MIN_GROUP_ROWS training rows into "Other"."""
    counts = X[attribute].value_counts()
    small = counts.index[(counts > 0) & (counts < MIN_GROUP_ROWS)]
    if small.empty:
        return X, X_test

    def merged(frame):
        column = frame[attribute].astype(object)
        column = column.where(~column.isin(small), "Other").astype("category")
        return frame.assign(**{attribute: column})

    return merged(X), merged(X_test)

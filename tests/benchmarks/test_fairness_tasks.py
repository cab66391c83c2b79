"""How benchmarks/bench_fairness.py turns a dataset into tasks."""

import sys
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).parents[2] / "benchmarks"))
from _tasks import MIN_GROUP_ROWS, merge_small_groups  # noqa: E402


def frame(sizes):
    groups = [name for name, size in sizes.items() for _ in range(size)]
    return pd.DataFrame(
        {"x": range(len(groups)), "race": pd.Categorical(groups)},
        index=range(100, 100 + len(groups)),
    )


def test_groups_too_small_to_learn_join_other_in_both_splits():
    train = frame({"a": MIN_GROUP_ROWS, "b": MIN_GROUP_ROWS - 1, "Other": 3})
    test = frame({"a": 5, "b": 2, "Other": 1})
    merged, merged_test = merge_small_groups(train, test, "race")
    assert merged["race"].value_counts().to_dict() == {
        "a": MIN_GROUP_ROWS,
        "Other": MIN_GROUP_ROWS + 2,
    }
    assert merged_test["race"].value_counts().to_dict() == {"a": 5, "Other": 3}
    # The rows themselves stay as they were.
    pd.testing.assert_frame_equal(
        merged.drop(columns="race"), train.drop(columns="race")
    )


def test_tables_without_small_groups_are_returned_as_they_are():
    train, test = frame({"a": 60, "b": 70}), frame({"a": 5, "b": 5})
    merged, merged_test = merge_small_groups(train, test, "race")
    assert merged is train and merged_test is test

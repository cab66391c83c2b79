import numpy as np
import pandas as pd
import pytest

from fairsynth.discovery import rarity_by_group, rarity_lifts


def test_lifts_by_hand():
    X = pd.DataFrame(
        {
            "job": ["a"] * 6 + ["b"] * 4,
            "age": [20, 30, 40, 50, 60, 70, 80, 90, 25, 35],
            "note": ["x"] * 9 + [None],
        }
    )
    mask = np.array([False] * 6 + [True] * 4)
    lifts = rarity_lifts(X, mask, n_bins=2, min_rows=1)
    job_b = lifts[(lifts["column"] == "job") & (lifts["value"] == "b")].iloc[0]
    assert (job_b["rare_rows"], job_b["share_rare"], job_b["share_all"]) == (4, 1, 0.4)
    assert job_b["lift"] == pytest.approx(2.5)
    # Ages fall in two quantile bands; the missing note is a value of its own.
    assert set(lifts.loc[lifts["column"] == "age", "value"]) <= {
        "(19.999, 45.0]",
        "(45.0, 90.0]",
    }
    missing = lifts[lifts["value"] == "(missing)"].iloc[0]
    assert missing["lift"] == pytest.approx(2.5)
    assert lifts["lift"].is_monotonic_decreasing


def test_lifts_leave_out_values_of_few_rare_rows():
    X = pd.DataFrame({"job": ["a"] * 8 + ["b"] * 2})
    mask = np.arange(10) >= 7
    assert rarity_lifts(X, mask, min_rows=2)["value"].tolist() == ["b"]


def test_by_group_on_two_columns():
    groups = pd.DataFrame({"sex": ["F", "M", "M", "M"], "race": ["p", "p", "q", "q"]})
    scores = np.array([3.0, 0.0, 1.0, 2.0])
    table = rarity_by_group(scores, scores >= 2.5, groups)
    assert table[["column", "group"]].values.tolist() == [
        ["sex", "F"], ["sex", "M"], ["race", "p"], ["race", "q"]
    ]  # fmt: skip
    female = table.iloc[0]
    assert (female["lift"], female["auc"], female["mean_rarity"]) == (4.0, 1.0, 3.0)
    assert table.iloc[3]["auc"] == pytest.approx(0.5)


def test_a_mask_of_the_wrong_shape_is_refused():
    with pytest.raises(ValueError, match="mask must be one boolean per row of X"):
        rarity_lifts(pd.DataFrame({"a": [1, 2, 3]}), np.array([1, 0, 1]))

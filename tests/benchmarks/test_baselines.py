"""The baselines of benchmarks/bench_fairness.py: reweighing and cell-wise SMOTE."""

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

sys.path.insert(0, str(Path(__file__).parents[2] / "benchmarks"))
import _baselines  # noqa: E402
from _fairness_report import dominance, dominates, pareto_mask, summarise  # noqa: E402


@pytest.fixture(scope="module")
def table():
    """Mixed types, a missing category value, and cells of 40, 20, 12 and 8 rows."""
    rng = np.random.default_rng(0)
    group = np.repeat(["a", "a", "b", "b"], [40, 20, 12, 8])
    y = pd.Series(np.repeat([0, 1, 0, 1], [40, 20, 12, 8]), name="label")
    colour = pd.Categorical(rng.choice(["red", "blue", None], 80))
    X = pd.DataFrame(
        {
            "x": rng.normal(size=80),
            "n": rng.integers(0, 10, 80),
            "colour": colour,
            "group": pd.Categorical(group),
        }
    )
    return X, y


def test_reweighing_weights_by_hand():
    # P(a)=3/4, P(b)=1/4, P(y=1)=1/2; cells (a,0)=2/4, (a,1)=1/4, (b,1)=1/4.
    weights = _baselines.reweighing_weights(["a", "a", "a", "b"], [0, 0, 1, 1])
    np.testing.assert_allclose(weights, [0.75, 0.75, 1.5, 0.5])


def test_reweighing_makes_label_independent_of_group(table):
    X, y = table
    weights = _baselines.reweighing_weights(X["group"], y)
    frame = pd.DataFrame({"g": X["group"], "y": y, "w": weights})
    rate = frame.groupby("g", observed=True).apply(
        lambda f: np.average(f["y"], weights=f["w"]), include_groups=False
    )
    np.testing.assert_allclose(rate, y.mean())
    assert weights.sum() == pytest.approx(len(y))


def test_cell_smote_grows_every_cell_to_the_largest(table):
    X, y = table
    X_res, y_res = _baselines.cell_smote(X, y, "group", random_state=0)
    counts = pd.crosstab(X_res["group"], y_res)
    assert (counts.to_numpy() == 40).all()
    assert len(X_res) == len(y_res) == 160
    pd.testing.assert_frame_equal(X_res.iloc[:80], X.reset_index(drop=True))
    assert (X_res.dtypes == X.dtypes).all()
    assert set(X_res["colour"].dropna()) <= {"red", "blue"}


def test_cell_smote_repeats_a_one_row_cell(table):
    X, y = table
    keep = np.r_[np.arange(72), 79]  # (b, 1) keeps a single row
    X_res, y_res = _baselines.cell_smote(X.iloc[keep], y.iloc[keep], "group", 0)
    single = X_res[(X_res["group"] == "b") & (y_res == 1).to_numpy()]
    assert len(single) == 40
    assert single.drop_duplicates().shape[0] == 1


def test_pareto_and_dominance_by_hand():
    points = pd.DataFrame(
        {
            "accuracy_mean": [0.85, 0.84, 0.83, 0.80],
            "dp_difference_mean": [0.20, 0.10, 0.15, 0.00],
            "accuracy_std": [0.0, 0.0, 0.01, 0.0],
            "dp_difference_std": [0.0, 0.0, 0.0, 0.0],
        }
    )
    assert pareto_mask(points).tolist() == [True, True, False, True]
    first, second, third = (points.iloc[i] for i in range(3))
    assert dominates(second, third)
    assert dominates(third, second) is False
    assert dominates(second, third, strict=True)
    assert dominates(first, second) is False


def test_summary_separates_baselines_that_read_the_group_when_predicting():
    points = pd.DataFrame(
        {
            "method": ["threshold_dp", "reweighing", "fairgan_parity_s1"],
            "model": ["gradient_boosting"] * 3,
            "accuracy_mean": [0.87, 0.84, 0.85],
            "dp_difference_mean": [0.05, 0.10, 0.08],
            "accuracy_std": [0.0] * 3,
            "dp_difference_std": [0.0] * 3,
        }
    )
    checks = dominance(points)
    assert [c["group_aware"] for c in checks] == [True, False]
    lines = summarise("toy", points, pareto_mask(points), checks)
    assert any(
        line.startswith("- threshold_dp/gradient_boosting")
        and line.endswith("it reads the group at prediction time")
        for line in lines
    )
    assert (
        "- Of the baselines that never read the group when they predict, "
        "none is undominated" in lines
    )

import numpy as np
import pandas as pd
import pytest

from fairsynth.metrics import group_report

Y_TRUE = [1, 1, 0, 0, 1, 0, 0, 0]
Y_PRED = [1, 0, 1, 0, 1, 1, 1, 0]
GROUPS = ["a"] * 4 + ["b"] * 4


def test_report_hand_worked():
    report = group_report(Y_TRUE, Y_PRED, sensitive_features=GROUPS)
    assert list(report.columns) == [
        "size",
        "base_rate",
        "selection_rate",
        "tpr",
        "fpr",
        "accuracy",
    ]
    groups = report.loc["group"]
    assert groups["size"].tolist() == [4, 4]
    np.testing.assert_allclose(groups["selection_rate"], [0.5, 0.75])
    np.testing.assert_allclose(groups["tpr"], [0.5, 1.0])
    np.testing.assert_allclose(groups["fpr"], [0.5, 2 / 3])
    np.testing.assert_allclose(groups["accuracy"], [0.5, 0.5])
    summary = report.loc["summary"]
    assert summary.loc["overall", "size"] == 8
    assert summary.loc["difference", "selection_rate"] == pytest.approx(0.25)
    assert summary.loc["ratio", "tpr"] == pytest.approx(0.5)
    assert pd.isna(summary.loc["ratio", "size"])


def test_report_without_predictions_describes_data():
    report = group_report(Y_TRUE, sensitive_features=pd.Series(GROUPS, name="g"))
    assert list(report.columns) == ["size", "base_rate"]
    np.testing.assert_allclose(report.loc["group", "base_rate"], [0.5, 0.25])
    assert report.loc[("summary", "difference"), "base_rate"] == pytest.approx(0.25)


def test_report_intersectional_labels_and_missing_support():
    sf = pd.DataFrame({"sex": ["F", "F", "M", "M"], "race": ["x", "y", "x", "y"]})
    report = group_report([1, 0, 1, 1], [1, 0, 0, 1], sensitive_features=sf)
    assert report.loc["group"].index.tolist() == ["F, x", "F, y", "M, x", "M, y"]
    # "F, y" has no positives: its TPR is NaN and is left out of the summary.
    assert np.isnan(report.loc[("group", "F, y"), "tpr"])
    assert report.loc[("summary", "difference"), "tpr"] == 1.0
    assert "F, x" in report.to_string()

"""The group-aware verdict of benchmarks/bench_fairness.py's report."""

import sys
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).parents[2] / "benchmarks"))
from _fairness_report import thresholds_verdicts  # noqa: E402


def point(method, model, accuracy, dp, std=0.0):
    return {
        "method": method,
        "model": model,
        "accuracy_mean": accuracy,
        "accuracy_std": std,
        "dp_difference_mean": dp,
        "dp_difference_std": std,
    }


def test_verdicts_name_the_winner_per_model():
    after = "threshold_dp_after_fairgan_parity_s1"
    points = pd.DataFrame(
        [
            point("threshold_dp", "logistic", 0.84, 0.02),
            point(after, "logistic", 0.85, 0.01),
            point("threshold_dp", "gradient_boosting", 0.86, 0.01),
            point(after, "gradient_boosting", 0.87, 0.03),
        ]
    )
    logistic, boosting = thresholds_verdicts(points)
    assert logistic.startswith("- logistic") and "after fairsynth wins" in logistic
    assert "neither is better on both" in boosting


def test_points_within_the_spread_are_the_same():
    after = "threshold_dp_after_fairgan_parity_s1"
    points = pd.DataFrame(
        [
            point("threshold_dp", "logistic", 0.850, 0.020, std=0.005),
            point(after, "logistic", 0.849, 0.021, std=0.005),
        ]
    )
    assert "the same within the seeds' spread" in thresholds_verdicts(points)[0]


def test_no_composed_point_gives_no_verdict():
    points = pd.DataFrame([point("threshold_dp", "logistic", 0.84, 0.02)])
    assert thresholds_verdicts(points) == []

import numpy as np
import pandas as pd
import pytest

from fairsynth.metrics import _quality as q
from fairsynth.metrics import (
    association_difference,
    association_matrix,
    column_fidelity,
    correlation_similarity,
    detection_auc,
    distance_to_closest_record,
    exact_copy_rate,
    group_recoverability_auc,
    quality_report,
    tstr_score,
)


@pytest.fixture(scope="module")
def frame():
    rng = np.random.default_rng(0)
    n = 300
    group = rng.choice(["F", "M"], n)
    age = rng.normal(40, 10, n).round()
    age[rng.random(n) < 0.1] = np.nan
    income = age * 1000 + rng.normal(0, 5000, n)
    job = pd.Categorical(
        np.where(group == "F", rng.choice(["x", "y"], n), rng.choice(["y", "z"], n))
    )
    job[rng.random(n) < 0.05] = np.nan
    return pd.DataFrame(
        {
            "age": age,
            "income": income,
            "hours": rng.integers(10, 60, n),
            "job": job,
            "group": pd.Series(group, dtype="str"),
            "owner": rng.random(n) < 0.3,
        }
    )


@pytest.fixture(scope="module")
def different(frame):
    rng = np.random.default_rng(1)
    n = len(frame)
    return pd.DataFrame(
        {
            "age": rng.normal(70, 3, n),
            "income": rng.normal(0, 1, n),
            "hours": rng.integers(70, 80, n),
            "job": pd.Categorical(rng.choice(["z"], n)),
            "group": pd.Series(rng.choice(["F"], n), dtype="str"),
            "owner": np.ones(n, dtype=bool),
        }
    )


def _shuffled(frame, seed=2):
    return frame.sample(frac=1.0, random_state=seed).reset_index(drop=True)


def test_fidelity_of_shuffled_copy_is_one_and_of_other_frame_low(frame, different):
    assert column_fidelity(frame, _shuffled(frame)).tolist() == [1.0] * frame.shape[1]
    assert column_fidelity(frame, different).max() < 0.8


def test_fidelity_hand_worked_with_missing_values():
    real = pd.DataFrame({"n": [1.0, 2.0, np.nan, np.nan], "c": ["x", "x", "y", None]})
    synthetic = pd.DataFrame({"n": [1, 2, 3, 4], "c": ["x", "y", "y", "y"]})
    # Numbers: half the real values are missing, so the CDFs differ by 0.5.
    # Categories: real shares x .5, y .25, missing .25; synthetic x .25, y .75.
    np.testing.assert_allclose(column_fidelity(real, synthetic), [0.5, 0.5])


def test_frames_must_share_columns(frame):
    with pytest.raises(ValueError, match="missing from synthetic: \\['owner'\\]"):
        column_fidelity(frame, frame.drop(columns="owner"))
    with pytest.raises(TypeError, match="synthetic must be a pandas DataFrame"):
        exact_copy_rate(frame, frame.to_numpy())


def test_association_matrix_hand_worked():
    table = pd.DataFrame(
        {
            "a": [1.0, 2.0, 3.0, 4.0],
            "b": [2.0, 4.0, 6.0, 8.0],
            "c": ["u", "u", "v", "v"],
            "d": ["p", "p", "q", "q"],
            "e": [5.0, 5.0, 5.0, 5.0],
        }
    )
    matrix = association_matrix(table)
    assert matrix.loc["a", "b"] == pytest.approx(1.0)
    assert matrix.loc["c", "d"] == pytest.approx(1.0)
    # eta of a given c: group means 1.5 and 3.5 around 2.5 explain 4 of the 5 total.
    assert matrix.loc["c", "a"] == pytest.approx(np.sqrt(4 / 5))
    assert matrix.loc["a", "e"] == 0.0
    np.testing.assert_allclose(np.diag(matrix), 1.0)


def test_correlation_similarity(frame, different):
    assert correlation_similarity(frame, _shuffled(frame)) == pytest.approx(1.0)
    assert correlation_similarity(frame, different) < 0.9
    delta = association_difference(frame, _shuffled(frame))
    np.testing.assert_allclose(delta.to_numpy(), 0.0, atol=1e-12)


def test_detection_auc(frame, different):
    assert detection_auc(frame, different, random_state=0) > 0.95
    assert detection_auc(frame, _shuffled(frame), random_state=0, max_rows=200) < 0.8


def test_tstr_score(frame):
    X, y = frame.drop(columns="owner"), (frame["income"] > 40_000).astype(int)
    assert tstr_score(X, y, X, y) > 0.9
    assert 0 <= tstr_score(X.iloc[:150], y.iloc[:150], X.iloc[150:], y.iloc[150:]) <= 1


def test_group_recoverability(frame):
    X = frame.drop(columns="group")
    assert group_recoverability_auc(X, frame["group"], random_state=0) > 0.8
    three = frame["job"].astype(object).fillna("none")
    auc = group_recoverability_auc(frame[["group", "age"]], three, random_state=0)
    assert 0.5 < auc <= 1


def test_group_recoverability_needs_two_groups(frame):
    with pytest.raises(ValueError, match="single group"):
        group_recoverability_auc(frame[["age"]], np.zeros(len(frame)))


def test_detection_auc_falls_below_chance_on_copies(frame):
    assert detection_auc(frame, frame.copy(), random_state=0) < 0.5


def test_privacy_on_self_and_copies(frame, different):
    assert exact_copy_rate(frame, frame) == 1.0
    retyped = frame.astype({"hours": float, "job": object, "group": object})
    assert exact_copy_rate(frame, retyped) == 1.0
    assert exact_copy_rate(frame, different) == 0.0
    np.testing.assert_array_equal(
        distance_to_closest_record(frame, _shuffled(frame)), 0.0
    )
    distances = distance_to_closest_record(
        frame, different, max_real_rows=100, random_state=0
    )
    assert distances.shape == (len(different),)
    assert np.all(distances > 0)
    assert q.MISSING == "<missing>"


def test_quality_report_gathers_measures(frame):
    report = quality_report(frame, _shuffled(frame), random_state=0, max_rows=200)
    assert report["mean_fidelity"] == 1.0
    assert report["exact_copy_rate"] == 1.0
    assert report["median_distance_to_closest_record"] == 0.0
    assert set(report) >= {"column_fidelity", "correlation_similarity", "detection_auc"}

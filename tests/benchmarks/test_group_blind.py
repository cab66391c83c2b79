"""The plug-in group-blind classifier of benchmarks/bench_group_blind.py."""

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parents[2] / "benchmarks"))
from bench_group_blind import predict, tune_weights  # noqa: E402

from fairsynth.metrics import demographic_parity_difference  # noqa: E402


def test_tuned_weights_meet_the_cap_and_keep_what_accuracy_they_can():
    rng = np.random.default_rng(0)
    groups = rng.choice(["a", "b"], 2000, p=[0.6, 0.4])
    is_b = (groups == "b").astype(float)
    # Group b has the lower rate; the features half reveal the group.
    eta = np.clip(rng.beta(2, 3, 2000) - 0.25 * is_b, 0, 1)
    y = (rng.random(2000) < eta).astype(int)
    group_proba = np.column_stack([1 - 0.5 * is_b - 0.25, 0.5 * is_b + 0.25])
    unconstrained = predict(np.zeros(2), eta, group_proba)
    gap = demographic_parity_difference(y, unconstrained, sensitive_features=groups)
    assert gap > 0.1

    mu = tune_weights(eta, group_proba, y, groups, 0.02, np.random.default_rng(0), 600)
    fair = predict(mu, eta, group_proba)
    assert demographic_parity_difference(y, fair, sensitive_features=groups) <= 0.02
    # Parity costs accuracy, but far less than predicting one class for everyone.
    assert np.mean(fair == y) > max(np.mean(y), 1 - np.mean(y))


def test_features_that_say_nothing_of_the_group_leave_only_a_constant():
    groups = np.array(["a"] * 50 + ["b"] * 50)
    eta = np.r_[np.full(50, 0.9), np.full(50, 0.1)]
    y = (eta > 0.5).astype(int)
    group_proba = np.full((100, 2), 0.5)
    rng = np.random.default_rng(0)
    mu = tune_weights(eta, group_proba, y, groups, 0.1, rng, 200)
    assert len(np.unique(predict(mu, eta, group_proba))) == 1

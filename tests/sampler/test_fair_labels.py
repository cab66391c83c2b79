"""The fully generated table's labels: a classifier that is fair on real rows."""

import numpy as np
import pandas as pd
import pytest
from _helpers import TINY_GAN
from sklearn.linear_model import LogisticRegression

from fairsynth import FairGANSampler
from fairsynth.datasets import make_biased_classification
from fairsynth.metrics import demographic_parity_difference, label_risk_difference
from fairsynth.sampler import _fair_labels as fair_labels


def test_cell_posteriors_are_bayes_rule():
    log_likelihoods = np.log([[0.2, 0.6], [0.5, 0.5]])
    counts = np.array([[1, 3]])
    posterior = fair_labels.cell_posteriors(log_likelihoods, counts)
    # 0.2 * 1/4 against 0.6 * 3/4.
    np.testing.assert_allclose(posterior[0], [0.05 / 0.5, 0.45 / 0.5])
    np.testing.assert_allclose(posterior[1], [0.25, 0.75])


def test_a_cell_without_rows_gets_no_posterior():
    posterior = fair_labels.cell_posteriors(np.zeros((2, 2)), np.array([[0, 5]]))
    np.testing.assert_array_equal(posterior, [[0, 1], [0, 1]])


def test_offsets_give_every_group_the_rate():
    rng = np.random.default_rng(0)
    groups = rng.integers(0, 3, 6000)
    # The positive probability rises with the group, which x also reveals.
    group_posterior = np.eye(3)[groups] * 0.8 + 0.2 / 3
    positive = np.clip(0.25 * groups + rng.normal(0.2, 0.2, len(groups)), 0, 1)
    offsets = fair_labels.group_offsets(positive, group_posterior, groups, rate=0.4)
    chosen = positive - 0.5 + group_posterior @ offsets > 0
    rates = [chosen[groups == g].mean() for g in range(3)]
    np.testing.assert_allclose(rates, 0.4, atol=2e-3)


def test_top_rows_are_positive_in_each_group():
    score = np.array([0.1, 0.9, 0.5, 0.3, 0.8, 0.2])
    groups = np.array([0, 0, 0, 1, 1, 1])
    labels = fair_labels.top_rows_positive(score, groups, [2, 1])
    np.testing.assert_array_equal(labels, [0, 1, 1, 0, 1, 0])


@pytest.fixture(scope="module")
def strongly_biased():
    return (
        make_biased_classification(1500, bias=0.6, random_state=0),
        make_biased_classification(1500, bias=0.6, random_state=1),
    )


@pytest.fixture(scope="module")
def fitted(strongly_biased):
    (X, y), _ = strongly_biased
    params = {**TINY_GAN, "epochs": 3}
    return FairGANSampler(sensitive="group", keep_real=False, **params).fit(X, y)


def downstream_dp(X_fair, y_fair, X_test, y_test):
    """DP difference on real rows of a model trained on the generated table."""
    numeric = ["num_0", "num_1", "num_2", "count", "proxy_0", "proxy_1"]
    model = LogisticRegression(max_iter=1000).fit(X_fair[numeric], y_fair)
    predicted = model.predict(X_test[numeric])
    return demographic_parity_difference(
        y_test, predicted, sensitive_features=X_test["group"]
    )


def test_fair_labels_make_models_fair_on_real_rows(strongly_biased, fitted):
    (X, y), (X_test, y_test) = strongly_biased
    tables = {
        strength: fitted.set_params(label_fairness=strength).resample(X, y)
        for strength in (0.0, 1.0)
    }
    for X_fair, y_fair in tables.values():
        # Parity in the data, with the groups' sizes: exact cell counts.
        assert label_risk_difference(y_fair, sensitive_features=X_fair["group"]) < 0.01
        pd.testing.assert_series_equal(
            X_fair["group"].value_counts().sort_index(),
            X["group"].value_counts().sort_index(),
            atol=1,
        )
    unfair = downstream_dp(*tables[0.0], X_test, y_test)
    fair = downstream_dp(*tables[1.0], X_test, y_test)
    assert fair < 0.1 and fair < unfair - 0.1


def test_label_fairness_is_tuned_without_training(strongly_biased, fitted):
    (X, y), _ = strongly_biased
    net = fitted.net_
    labels = [
        fitted.set_params(label_fairness=strength).resample(X, y)[1]
        for strength in (0.0, 0.5, 1.0)
    ]
    assert fitted.net_ is net
    assert not labels[0].equals(labels[1]) and not labels[1].equals(labels[2])


def test_intersectional_cells_get_fair_labels():
    X, y = make_biased_classification(1200, n_groups=[2, 2], bias=0.5, random_state=1)
    sensitive = ["group_0", "group_1"]
    sampler = FairGANSampler(sensitive=sensitive, keep_real=False, **TINY_GAN)
    X_fair, y_fair = sampler.fit_resample(X, y)
    assert label_risk_difference(y_fair, sensitive_features=X_fair[sensitive]) < 0.02
    counts = sampler.cell_counts_
    observed = pd.crosstab([X_fair[c] for c in sensitive], y_fair).stack()
    np.testing.assert_array_equal(
        np.sort(observed.to_numpy()), np.sort(counts["n_generated"].to_numpy())
    )
